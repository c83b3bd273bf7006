"""The public Python API: load a territory, score its sites, write a GeoPackage."""
from __future__ import annotations

import inspect
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence, Union

import geopandas as gpd
import pandas as pd

from . import _core, _progress, _provenance, _weights
from ._core import InputError
from ._frames import to_frame, to_layer
from ._settings import Settings

PathLike = Union[str, "os.PathLike[str]"]

#: Criterion names and what they measure (the engine's catalogue; docs/criteria.md has the formulas).
CRITERIA = {c["name"]: c["description"] for c in _core.criteria_catalogue()}


def criteria() -> pd.DataFrame:
    """The criteria catalogue: one row per criterion with ``name`` ("<T>" stands for a threshold in minutes),
    ``family``, ``unit``, ``direction``, ``description``, ``input``, ``when_missing`` (what happens without
    that input: the criterion is skipped with a message, never a silent zero) and ``formula``."""
    return pd.DataFrame.from_records(_core.criteria_catalogue())


def default_building_fit() -> dict:
    """The default building fit per site kind (0–1): a judgement to edit (``tl.score(building_fit=...)``)."""
    return dict(_core.default_building_fit())


#: Codes of the errors about weights (an InputError's ``code``; its ``ids`` hold the criterion name).
WEIGHT_ERRORS = frozenset({"unknown_criterion", "bad_weight", "weight_for_skipped_criterion"})


@dataclass(frozen=True)
class Diagnostic:
    """A warning of a run with what it concerns, so that a program never has to read the text (docs/outputs.md,
    "Diagnostics", lists the codes). An :class:`InputError` carries the same fields as attributes."""

    code: str
    """Stable identifier, e.g. ``"criterion_skipped"``, ``"not_snapped"``, ``"commute_pole_missing"``."""
    text: str
    """The message, in words (the same as the DataWarning)."""
    ids: tuple = ()
    """What it concerns: criterion names, site ids, commune codes, attraction areas…"""
    file: str = ""
    layer: str = ""
    feature_id: Optional[int] = None
    field: str = ""


@dataclass(eq=False)
class ScoreRun:
    """What a :func:`score` run produced besides the sites table; found in ``result.attrs["tierslieux"]``.

    pandas copies ``attrs`` along with the frame; a ScoreRun is shared, not copied, by those copies.
    """

    communes: gpd.GeoDataFrame
    """Communes with node_id, minutes_to_nearest_site and pop_<T>min (docs/outputs.md)."""
    network_edges: gpd.GeoDataFrame
    """The commute graph's edges: from_node, to_node, length_m, minutes, twoway."""
    catchments: gpd.GeoDataFrame
    """Per site and threshold, the area whose people reach the site in time (site_id, minutes, polygon)."""
    graph_kind: str
    """"commune" (commune commute graph) or "osm" (road graph of an OpenStreetMap file)."""
    warnings: list
    weights: dict
    """Weights used (defaults merged with the caller's)."""
    effective_weights: dict
    """Share of the score each criterion can bring (0 for criteria without variation)."""
    stage_seconds: dict
    communes_unreachable: int
    parameters: dict
    territory_path: str
    skipped: dict = None
    """Criteria left out because their input is missing: name -> reason."""
    commute_source: str = ""
    """Where commutes came from: "commute_flows", "employment_poles", "aav2020" or "" (skipped)."""
    settings: Optional[Settings] = None
    """The :class:`Settings` the run was made with (``tl.score(t, settings=meta.settings)`` re-runs it)."""
    engine_run: Any = field(default=None, repr=False)
    """The engine's result (its graph and where communes and sites join it), reused by :func:`choose_sites`."""
    engine_site_ids: tuple = ()
    """Site ids in the engine's order (the rows of ``engine_run``)."""
    created: str = ""
    """When the run was made (UTC, ISO 8601; OGR_CURRENT_DATE pins it, as it pins GDAL's own timestamps)."""
    inputs: list = field(default_factory=list)
    """The files the run read: role, absolute path, bytes and SHA-256 of each (written to run_info)."""
    diagnostics: list = field(default_factory=list)
    """The warnings as :class:`Diagnostic` records (code, text, ids…), in the order of ``warnings``."""
    site_observations: Optional[pd.DataFrame] = None
    """The territory's ``site_observations`` table (the study's own counts at its sites), None without one."""

    def __deepcopy__(self, memo):
        return self

    def __getstate__(self):
        # the engine's run cannot be pickled: a pickled result rebuilds the graph from network_edges when needed
        return {**self.__dict__, "engine_run": None}

    def input_paths(self) -> list:
        """The files this run read (territory, roads, weights file): outputs may never be written over them."""
        p = self.parameters or {}
        return [str(x) for x in (self.territory_path, p.get("roads"), p.get("weights_file")) if x]


class DataWarning(UserWarning):
    """Something in the data or the run a planner should know about (the message says what and why)."""


def default_territory_path() -> Path:
    """Path of the embedded Baronnies provençales territory (geodata/baronnies.gpkg, shipped in the package)."""
    return Path(__file__).resolve().parent / "data" / "baronnies.gpkg"


class Territory:
    """A loaded, validated territory: communes (with population and town hall), candidate sites, broadband.

    Build it with :func:`load_territory`. ``communes``, ``town_halls`` and ``sites`` are GeoDataFrames in the
    territory's metric CRS (EPSG:2154 by default).
    """

    def __init__(self, core: "_core.Territory"):
        self._core = core
        self._frames: Optional[dict] = None
        self._assume_crs: Optional[str] = None

    def _layers(self) -> dict:
        if self._frames is None:
            self._frames = {layer["name"]: to_frame(layer) for layer in self._core.layers()}
        return self._frames

    @property
    def path(self) -> str:
        """File the territory was read from."""
        return self._core.path

    @property
    def crs(self) -> str:
        """Metric CRS every geometry was reprojected to."""
        return self._core.crs

    @property
    def communes(self) -> gpd.GeoDataFrame:
        """Communes: commune_code, name, population, active_population, in_territory, geometry."""
        return self._layers()["communes"].copy()

    @property
    def town_halls(self) -> gpd.GeoDataFrame:
        """One point per commune (commune_code, name)."""
        return self._layers()["town_halls"].copy()

    @property
    def sites(self) -> gpd.GeoDataFrame:
        """Candidate sites: site_id, name, kind, commune_code, services, geometry."""
        return self._layers()["sites"].copy()

    @property
    def site_observations(self) -> Optional[pd.DataFrame]:
        """The study's observations of its sites (site_id, period, visits, publics, needs, uses_tested, source,
        date), or None when the file has no ``site_observations`` table (docs/inputs.md)."""
        table = self._layers().get("site_observations")
        return None if table is None else pd.DataFrame(table).copy()

    @property
    def warnings(self) -> list:
        """What was noticed while loading (repaired geometries, missing optional layers)."""
        return list(self._core.warnings)

    @property
    def diagnostics(self) -> list:
        """The same as :class:`Diagnostic` records (code, text, ids, file, layer, feature_id)."""
        return _diagnostics(self._core.diagnostics)

    def __repr__(self) -> str:
        n_in = int(self._layers()["communes"]["in_territory"].sum())
        return (f"<tierslieux.Territory {Path(self.path).name!r}: {self._core.commune_count} communes "
                f"({n_in} in the territory), {self._core.site_count} sites, {self.crs}>")


def load_territory(path: Optional[PathLike] = None, *, crs: str = "EPSG:2154",
                   assume_crs: Optional[str] = None) -> Territory:
    """Load and validate a territory file.

    Parameters
    ----------
    path:
        Any OGR-readable file with layers ``communes``, ``town_halls``, ``sites`` and optionally ``broadband``
        (docs/inputs.md). Default: the embedded Baronnies provençales territory.
    crs:
        Metric CRS to reproject everything to (EPSG:2154, Lambert-93, for metropolitan France).
    assume_crs:
        CRS of layers that declare none (e.g. ``"EPSG:4326"``). Without it such layers are refused.

    Raises
    ------
    OSError (tierslieux.IoError)
        The file or a layer cannot be opened.
    ValueError (tierslieux.InputError)
        Bad data; the message names the file, layer, feature id and field.
    """
    p = default_territory_path() if path is None else Path(os.fspath(path))
    core = _core.load_territory(str(p), crs, assume_crs or "")
    t = Territory(core)
    t._assume_crs = assume_crs
    for w in core.warnings:
        warnings.warn(w, DataWarning, stacklevel=2)
    return t


def score(territory: Optional[Union[Territory, PathLike]] = None,
          weights: Optional[Union[Mapping[str, float], PathLike]] = None,
          thresholds: Sequence[int] = (15, 30), *, detour_factor: float = 1.5, speed_kmh: float = 50.0,
          access_speed_kmh: float = 50.0, gravity_decay_min: float = 20.0, gravity_max_minutes: float = 90.0,
          adjacency_tolerance_m: float = 50.0, roads: Optional[PathLike] = None, roads_buffer_m: float = 5000.0,
          max_snap_m: float = 1000.0, catchment_buffer_m: float = 150.0, crs: str = "EPSG:2154",
          normalisation: str = "min-max", stability_draws: int = 1000, stability_seed: int = 20261128,
          stability_concentration: float = 50.0, local_minutes: float = 15.0,
          building_fit: Optional[Mapping[str, float]] = None, commute: Optional[Mapping[str, float]] = None,
          progress: bool = True, settings: Optional[Settings] = None) -> gpd.GeoDataFrame:
    """Score and rank every candidate site of a territory.

    Builds the commune commute graph (communes sharing a border are linked; minutes = straight distance ×
    ``detour_factor`` / ``speed_kmh``), measures each site on the criteria of :func:`criteria` (demand within
    reach, broadband, commute interception, building fit, gap filling and competition with existing tiers-lieux),
    normalises each criterion (min-max by default), and sums the weighted criteria into a 0–100 score. A criterion
    whose input is missing is skipped with a warning saying why (``result.attrs["tierslieux"].skipped``).

    Parameters
    ----------
    territory:
        A :class:`Territory`, a path, or None for the embedded Baronnies territory.
    weights:
        Weight per criterion name, merged over the defaults (set a weight to 0 to drop a criterion), as a dict or
        the path of a TOML file with a ``[weights]`` table (:func:`load_weights`) and optional
        ``[building_fit]`` and ``[commute]`` tables. Unknown names or negative weights raise ValueError listing the
        valid names (and naming the file). A positive weight for a skipped criterion is an error saying why.
    thresholds:
        Catchment thresholds in whole minutes; each gives a ``pop_<T>min`` criterion.
    detour_factor, speed_kmh, access_speed_kmh:
        Commute-graph parameters (docs/network.md: calibration of the defaults).
    gravity_decay_min, gravity_max_minutes:
        Gravity accessibility = sum of population × exp(-minutes / gravity_decay_min) up to gravity_max_minutes.
    adjacency_tolerance_m:
        Commune outlines closer than this count as sharing a border.
    roads:
        An OpenStreetMap file (.osm.pbf): travel times then come from its road graph (car profile, docs/osm.md),
        clipped to the communes grown by ``roads_buffer_m``; town halls and sites are snapped to the nearest road
        node and reach it at ``access_speed_kmh`` in a straight line. Points farther than ``max_snap_m`` are not
        snapped: their times are NaN and a warning lists them.
    catchment_buffer_m:
        On a road graph, catchment polygons are the reached roads grown by this many metres.
    crs:
        Metric CRS to load the territory in when ``territory`` is a path (ignored for a loaded Territory).
    normalisation:
        How each criterion is brought to 0–1 before weighting: "min-max" (default), "rank" (percentile rank,
        ties share the mean rank) or "z-score" (z clamped to ±3, mapped to 0–1). Formulas: docs/criteria.md.
    stability_draws, stability_seed, stability_concentration:
        Rank stability: the sites are re-scored with ``stability_draws`` weight vectors drawn from a Dirichlet
        distribution centred on the effective weights (``stability_concentration`` × weights; larger = tighter),
        giving the columns ``p_top10`` (share of draws in the top 10), ``rank_p05`` and ``rank_p95``. The same
        seed gives the same columns. 0 draws skips it.
    local_minutes:
        The local catchment of ``ftth_share_catchment``, ``poor_broadband_pop``, commute interception and
        ``demand_share`` (minutes).
    building_fit:
        Fit per site kind, 0–1, merged over :func:`default_building_fit` ("other" serves unlisted kinds).
    commute:
        Commute assumptions merged over the sourced defaults: ``pole_commuter_share`` (0.15), ``max_ratio``
        (0.5), ``days_per_week`` (1.9), ``weeks_per_year`` (43.6), ``car_share`` (0.9), ``co2_g_per_km`` (193).
        docs/criteria.md gives the source of each.
    progress:
        Show progress bars where somebody watches: on a terminal, or in a notebook that has ipywidgets (never
        in piped logs or files).
    settings:
        A :class:`Settings` holding every option above at once (then leave the keywords at their defaults);
        the result keeps the settings it ran with in ``result.attrs["tierslieux"].settings``.

    Returns
    -------
    GeoDataFrame of sites sorted by rank (1 = best), CRS of the territory, with the columns of docs/outputs.md.
    ``result.attrs["tierslieux"]`` is a :class:`ScoreRun` holding the ``communes`` and ``network_edges``
    GeoDataFrames, the warnings, the effective weights and the parameters; :func:`write_gpkg` writes them all.
    """
    keywords = dict(weights=weights, thresholds=thresholds, detour_factor=detour_factor, speed_kmh=speed_kmh,
                    access_speed_kmh=access_speed_kmh, gravity_decay_min=gravity_decay_min,
                    gravity_max_minutes=gravity_max_minutes, adjacency_tolerance_m=adjacency_tolerance_m, roads=roads,
                    roads_buffer_m=roads_buffer_m, max_snap_m=max_snap_m, catchment_buffer_m=catchment_buffer_m,
                    crs=crs, normalisation=normalisation, stability_draws=stability_draws,
                    stability_seed=stability_seed, stability_concentration=stability_concentration,
                    local_minutes=local_minutes, building_fit=building_fit, commute=commute)
    if settings is None:
        settings = Settings.from_keywords(**keywords)
    else:
        if not isinstance(settings, Settings):
            raise TypeError(f"settings must be a tierslieux.Settings, not {type(settings).__name__}")
        defaults = inspect.signature(score).parameters
        given = [k for k, v in keywords.items() if not _same(v, defaults[k].default)]
        if given:
            raise TypeError(f"give the options either in settings or as keywords, not both ({', '.join(given)})")
    if territory is None or isinstance(territory, (str, os.PathLike)):
        territory = load_territory(territory, crs=settings.crs, assume_crs=settings.assume_crs)
    if not isinstance(territory, Territory):
        raise TypeError(f"territory must be a tierslieux.Territory, a path or None, not {type(territory).__name__}")
    settings = settings.replace(crs=territory.crs, assume_crs=territory._assume_crs)  # what the territory is in
    options = settings.to_options()
    try:
        run = _core.run(territory._core, options, _progress.stages(progress))
    except InputError as e:
        name = e.ids[0] if e.code in WEIGHT_ERRORS and e.ids else None
        if settings.weights_file and (name in settings.file_weight_names or e.code == "no_weight_left"):
            raise _with_prefix(e, f"weights file '{settings.weights_file}': ") from None
        raise
    started = time.perf_counter()
    layers = {layer["name"]: to_frame(layer) for layer in run.layers(territory._core, options)}
    layers_seconds = time.perf_counter() - started  # the output layers, catchment polygons included
    sites = layers["sites"].sort_values("rank").reset_index(drop=True)
    diagnostics = _diagnostics(run.diagnostics)
    for d in diagnostics[len(territory._core.warnings):]:  # the territory's own come first: load_territory
        warnings.warn(d.text, DataWarning, stacklevel=2)    # has shown those
    sites.attrs["tierslieux"] = ScoreRun(
        communes=layers["communes"],
        network_edges=layers["network_edges"],
        catchments=layers["catchments"],
        graph_kind=run.graph_kind,
        warnings=list(run.warnings),
        weights=dict(run.weights),
        effective_weights=dict(run.effective_weights),
        stage_seconds={**dict(run.stage_seconds), "layers": layers_seconds},
        communes_unreachable=int(run.communes_unreachable),
        skipped=dict(run.skipped),
        commute_source=run.commute_source,
        diagnostics=diagnostics,
        parameters=_parameters(settings, options),
        settings=settings,
        engine_run=run,
        created=_provenance.now(),
        inputs=_provenance.describe_inputs({"territory": territory.path, "roads": settings.roads,
                                            "weights_file": settings.weights_file}),
        engine_site_ids=tuple(layers["sites"]["site_id"].astype(str)),
        territory_path=territory.path,
        site_observations=territory.site_observations,
    )
    return sites


def _diagnostics(records) -> list:
    """The engine's diagnostics (dicts) as Diagnostic records."""
    return [Diagnostic(d["code"], d["text"], tuple(d["ids"]), d["file"], d["layer"], d["feature_id"], d["field"])
            for d in records]


def _same(a, b) -> bool:
    """Whether a keyword was left at its default (sequences compared by value: thresholds=[15, 30] is the default)."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return list(a) == list(b)
    return a is b or (type(a) is type(b) and a == b)


def _parameters(settings: Settings, options) -> dict:
    """The ``parameters`` record of a run (the keys of earlier versions; ``settings`` has them typed)."""
    s = settings
    commute = options.commute
    return {"thresholds": list(s.thresholds), "detour_factor": s.detour_factor, "speed_kmh": s.speed_kmh,
            "access_speed_kmh": s.access_speed_kmh, "gravity_decay_min": s.gravity_decay_min,
            "gravity_max_minutes": s.gravity_max_minutes, "adjacency_tolerance_m": s.adjacency_tolerance_m,
            "weights_file": s.weights_file, "normalisation": s.normalisation,
            "stability_draws": s.stability_draws, "stability_seed": s.stability_seed,
            "stability_concentration": s.stability_concentration, "roads": s.roads,
            "roads_buffer_m": s.roads_buffer_m, "max_snap_m": s.max_snap_m,
            "catchment_buffer_m": s.catchment_buffer_m, "crs": s.crs, "assume_crs": s.assume_crs,
            "weights_given": dict(s.weights), "local_minutes": s.local_minutes,
            "building_fit": dict(s.building_fit),
            "commute": {k: getattr(commute, k) for k in _weights.COMMUTE_KEYS},
            "building_fit_given": dict(s.building_fit), "commute_given": dict(s.commute)}


def _with_prefix(error: InputError, prefix: str) -> InputError:
    """The same InputError (code, ids…) with its message prefixed (e.g. by the weights file it came from)."""
    out = InputError(prefix + str(error))
    for name in ("code", "ids", "file", "layer", "feature_id", "field"):
        setattr(out, name, getattr(error, name))
    return out


def write_gpkg(result: gpd.GeoDataFrame, path: PathLike, *, extra_layers: Optional[Mapping[str, pd.DataFrame]] = None,
               lang: str = "fr", top: int = 10) -> Path:
    """Write a score result to a GeoPackage that opens styled in QGIS and says how it was made (docs/outputs.md).

    Layers ``sites``, ``communes``, ``network_edges``, ``catchments``, the study area's outline ``territory`` (when
    the territory file has one), the tables ``run_info`` and ``diagnostics`` (:func:`read_run_info`), and
    ``layer_styles``: the default QGIS style (QML, and SLD for other clients) of every map layer, with the ``top``
    best sites labelled. Every layer has a description (``gpkg_contents``) and every field a title and a
    description (``gpkg_data_columns``, the QML's aliases) in ``lang`` ("fr", the default, or "en"), the other
    language following in the description; column names do not change with the language.

    The file is written to a temporary file in the same folder and renamed into place only once complete: a
    failure leaves no partial file and any previous file untouched. A path that is one of the run's input files
    (territory, roads, weights file), however it is spelled, is refused. Columns you added to ``result`` are written
    too. ``extra_layers`` adds more (name -> (Geo)DataFrame). Returns the path written.
    """
    from . import _styles
    from ._i18n import check_lang

    lang = check_lang(lang)
    meta = result.attrs.get("tierslieux")
    if not isinstance(meta, ScoreRun):
        raise InputError("write_gpkg expects the GeoDataFrame returned by tierslieux.score "
                         "(its attrs['tierslieux'] holds the communes and network layers)")
    frames = [("sites", result), ("communes", meta.communes), ("network_edges", meta.network_edges),
              ("catchments", meta.catchments)]
    outline = _territory_outline(meta, result.crs)
    if outline is not None:
        frames.append(("territory", outline))
    if meta.site_observations is not None:
        frames.append(("site_observations", meta.site_observations))
    frames += list(_provenance.frames(meta, lang).items()) + list((extra_layers or {}).items())
    # a name given twice is written twice, and GDAL refuses the second: the write fails, the old file stays
    frames.append(("layer_styles", _styles.layer_styles(dict(frames), meta.created, lang, top)))
    layers = [_titled(to_layer(name, frame), lang) for name, frame in frames]
    out = Path(os.fspath(path))
    _core.write_gpkg(str(out), layers, meta.input_paths())
    return out


def _territory_outline(meta: "ScoreRun", crs) -> Optional[gpd.GeoDataFrame]:
    """The territory file's ``territory`` layer (the study area's outline), in the result's CRS, or None."""
    path = meta.territory_path
    if not path or "territory" not in _core.layer_names(path):
        return None
    outline = gpd.read_file(path, layer="territory")
    if outline.crs is None:  # as for every layer: an assumed CRS or nothing, never a guess
        if not (meta.settings and meta.settings.assume_crs):
            warnings.warn(f"'{path}', layer 'territory' declares no CRS: the outline is left out of the output "
                          "(give --assume-crs to use it)", DataWarning, stacklevel=3)
            return None
        outline = outline.set_crs(meta.settings.assume_crs)
    outline = outline.to_crs(crs)
    return outline[[c for c in outline.columns if c in ("name", "geometry")]]


def _titled(layer: dict, lang: str) -> dict:
    """An engine layer dict with its description and its columns' titles (``lang`` first, the other language
    after it in the description)."""
    from ._i18n import LANGS
    from ._titles import field_title, layer_description

    other = next(x for x in LANGS if x != lang)
    layer["description"] = layer_description(layer["name"], lang)
    columns = []
    for name, kind, values, null in layer["columns"]:
        title, other_title = field_title(layer["name"], name, lang), field_title(layer["name"], name, other)
        if title is None:
            columns.append((name, kind, values, null))
            continue
        description = f"{title[1]} [{other}: {other_title[0]} — {other_title[1]}]"
        columns.append((name, kind, values, null, title[0], description))
    layer["columns"] = columns
    return layer
