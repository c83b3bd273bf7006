"""The public Python API: load a territory, score its sites, write a GeoPackage."""
from __future__ import annotations

import math
import numbers
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping, Optional, Sequence, Union

import geopandas as gpd
import pandas as pd

from . import _core, _progress, _weights
from ._core import InputError
from ._frames import to_frame, to_layer

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
    diagnostics: list = field(default_factory=list)
    """The warnings as :class:`Diagnostic` records (code, text, ids…), in the order of ``warnings``."""

    def __deepcopy__(self, memo):
        return self

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
    def warnings(self) -> list:
        """What was noticed while loading (repaired geometries, missing optional layers)."""
        return list(self._core.warnings)

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
          progress: bool = True) -> gpd.GeoDataFrame:
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
        Show a progress bar.

    Returns
    -------
    GeoDataFrame of sites sorted by rank (1 = best), CRS of the territory, with the columns of docs/outputs.md.
    ``result.attrs["tierslieux"]`` is a :class:`ScoreRun` holding the ``communes`` and ``network_edges``
    GeoDataFrames, the warnings, the effective weights and the parameters; :func:`write_gpkg` writes them all.
    """
    if territory is None or isinstance(territory, (str, os.PathLike)):
        territory = load_territory(territory, crs=crs)
    if not isinstance(territory, Territory):
        raise TypeError(f"territory must be a tierslieux.Territory, a path or None, not {type(territory).__name__}")
    options = _core.RunOptions()
    graph = _core.CommuneGraphParams()
    graph.detour_factor = float(detour_factor)
    graph.speed_kmh = float(speed_kmh)
    graph.access_speed_kmh = float(access_speed_kmh)
    options.graph = graph
    options.thresholds_min = [whole_number(t, "thresholds (minutes)", 1, 1440) for t in thresholds]
    options.gravity_decay_min = float(gravity_decay_min)
    options.gravity_max_minutes = float(gravity_max_minutes)
    options.adjacency_tolerance_m = float(adjacency_tolerance_m)
    if roads is not None:
        options.roads_path = os.fspath(roads)
    options.roads_clip_buffer_m = float(roads_buffer_m)
    options.max_snap_m = float(max_snap_m)
    options.catchment_buffer_m = float(catchment_buffer_m)
    options.normalisation = str(normalisation)
    options.stability_draws = whole_number(stability_draws, "stability_draws", 0, MAX_STABILITY_DRAWS)
    whole = isinstance(stability_seed, numbers.Integral) or (isinstance(stability_seed, float) and
                                                              stability_seed.is_integer())
    if whole and not isinstance(stability_seed, bool) and 0 <= int(stability_seed) < 2**64:
        options.stability_seed = int(stability_seed)  # int(), not float(): seeds above 2**53 stay exact
    else:
        raise InputError(f"stability_seed must be a whole number in [0, 2**64) (got {stability_seed!r})")
    options.stability_concentration = float(stability_concentration)
    options.weights, fit, assumptions, weights_file = _weights.resolve(weights)
    fit.update(_weights.numbers(building_fit, "building_fit"))
    assumptions.update(_weights.numbers(commute, "commute", _weights.COMMUTE_KEYS))
    fit_given, commute_given = dict(fit), dict(assumptions)
    options.building_fit = fit
    c = _core.CommuteAssumptions()
    for key, value in assumptions.items():
        setattr(c, key, value)
    options.commute = c
    options.local_minutes = float(local_minutes)
    try:
        run = _core.run(territory._core, options, _progress.stages(progress))
    except InputError as e:
        if weights_file and e.code in WEIGHT_ERRORS:
            raise _with_prefix(e, f"weights file '{weights_file}': ") from None
        raise
    layers = {layer["name"]: to_frame(layer) for layer in run.layers(territory._core, options)}
    sites = layers["sites"].sort_values("rank").reset_index(drop=True)
    diagnostics = [Diagnostic(d["code"], d["text"], tuple(d["ids"]), d["file"], d["layer"], d["feature_id"],
                              d["field"]) for d in run.diagnostics]
    for d in diagnostics:
        if d.code != "input_data":  # the territory's own warnings: load_territory has shown those
            warnings.warn(d.text, DataWarning, stacklevel=2)
    sites.attrs["tierslieux"] = ScoreRun(
        communes=layers["communes"],
        network_edges=layers["network_edges"],
        catchments=layers["catchments"],
        graph_kind=run.graph_kind,
        warnings=list(run.warnings),
        weights=dict(run.weights),
        effective_weights=dict(run.effective_weights),
        stage_seconds=dict(run.stage_seconds),
        communes_unreachable=int(run.communes_unreachable),
        skipped=dict(run.skipped),
        commute_source=run.commute_source,
        diagnostics=diagnostics,
        parameters={"thresholds": list(options.thresholds_min), "detour_factor": graph.detour_factor,
                    "speed_kmh": graph.speed_kmh, "access_speed_kmh": graph.access_speed_kmh,
                    "gravity_decay_min": options.gravity_decay_min,
                    "gravity_max_minutes": options.gravity_max_minutes,
                    "adjacency_tolerance_m": options.adjacency_tolerance_m,
                    "weights_file": weights_file, "normalisation": options.normalisation,
                    "stability_draws": options.stability_draws, "stability_seed": options.stability_seed,
                    "stability_concentration": options.stability_concentration,
                    "roads": options.roads_path or None, "roads_buffer_m": options.roads_clip_buffer_m,
                    "max_snap_m": options.max_snap_m, "catchment_buffer_m": options.catchment_buffer_m,
                    "crs": territory.crs, "assume_crs": territory._assume_crs,
                    "weights_given": dict(options.weights),
                    "local_minutes": options.local_minutes, "building_fit": dict(options.building_fit),
                    "commute": {k: getattr(c, k) for k in _weights.COMMUTE_KEYS},
                    "building_fit_given": fit_given, "commute_given": commute_given},
        territory_path=territory.path,
    )
    return sites


def _with_prefix(error: InputError, prefix: str) -> InputError:
    """The same InputError (code, ids…) with its message prefixed (e.g. by the weights file it came from)."""
    out = InputError(prefix + str(error))
    for name in ("code", "ids", "file", "layer", "feature_id", "field"):
        setattr(out, name, getattr(error, name))
    return out


MAX_STABILITY_DRAWS = 1_000_000  # the default is 1 000; a million already takes minutes on the default territory


def whole_number(value, name: str, lo: int, hi: int) -> int:
    """The one range check of a whole-number argument, made before it is converted to one of the engine's
    fixed-size integers (which would fail with a bare TypeError): an InputError naming the argument and the range."""
    try:
        ok = not isinstance(value, bool) and math.isfinite(float(value)) and float(value) == int(float(value))
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok or not lo <= int(float(value)) <= hi:
        raise InputError(f"{name} must be a whole number in [{lo}, {hi}] (got {value!r})")
    return int(float(value))


def write_gpkg(result: gpd.GeoDataFrame, path: PathLike, *, extra_layers: Optional[Mapping[str, pd.DataFrame]] = None
               ) -> Path:
    """Write a score result to a GeoPackage (layers sites, communes, network_edges, catchments; docs/outputs.md).

    The file is written to a temporary file in the same folder and renamed into place only once complete: a
    failure leaves no partial file and any previous file untouched. A path that is one of the run's input files
    (territory, roads, weights file), however it is spelled, is refused. Columns you added to ``result`` are written
    too. ``extra_layers`` adds more (name -> (Geo)DataFrame). Returns the path written.
    """
    meta = result.attrs.get("tierslieux")
    if not isinstance(meta, ScoreRun):
        raise InputError("write_gpkg expects the GeoDataFrame returned by tierslieux.score "
                         "(its attrs['tierslieux'] holds the communes and network layers)")
    layers = [to_layer("sites", result), to_layer("communes", meta.communes),
              to_layer("network_edges", meta.network_edges), to_layer("catchments", meta.catchments)]
    for name, frame in (extra_layers or {}).items():
        layers.append(to_layer(name, frame))
    out = Path(os.fspath(path))
    _core.write_gpkg(str(out), layers, meta.input_paths())
    return out
