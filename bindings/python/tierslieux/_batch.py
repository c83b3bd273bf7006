"""Batch runs: one territory file cut into partitions (EPCI, département…), each scored as its own study area on
Dask (dask.distributed), the results gathered into one GeoPackage (docs/scale.md).

Two steps, each usable alone:

* :func:`partition_territory` writes one territory file per value of a field: that value's study-area communes
  (``in_territory`` true) plus every commune within ``halo_km`` of them as neighbours (``in_territory`` false: demand
  and graph, as in a single run), with the layers that refer to them.
* :func:`batch` scores each of those files as an independent Dask task, read by path (nothing large is shipped to
  the workers), each writing a checkpoint GeoPackage atomically; a batch restarted with the same output skips the
  partitions whose checkpoint matches their input, then gathers everything into one GeoPackage.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Mapping, Optional, Union
from urllib.parse import quote

import numpy as np
import pandas as pd

from ._core import InputError
from ._provenance import file_sha256

PathLike = Union[str, "os.PathLike[str]"]

#: Layers copied into a partition's territory file, besides communes, town halls and sites, when the input has them
#: (``territory``, the study area's outline, is left out: a partition's outline is its communes).
OPTIONAL_LAYERS = ("broadband", "existing_tiers_lieux", "employment_poles", "commute_flows", "site_observations")

#: GDAL writes the date into gpkg_contents: pinned, the same partition gives the same bytes (and the same hash).
_PINNED_DATE = "2000-01-01T00:00:00Z"

#: Checkpoint format: a side file whose version differs is not trusted.
_CHECKPOINT_VERSION = 2

#: Layers of each partition's result gathered into the batch's GeoPackage.
_GATHERED = ("sites", "communes", "catchments")


def partition_file_name(partition: str) -> str:
    """File name (without suffix) of a partition id: the id itself, %-escaped where it is not a safe file name."""
    return quote(partition, safe="-_.") if partition not in ("", ".", "..") else quote(partition, safe="")


def _read(path: str, layer: str):
    import pyogrio

    return pyogrio.read_dataframe(path, layer=layer)


def _study_values(path: str, communes, by: str) -> pd.Series:
    """The partition id of each study-area commune, as text; an InputError names file, layer and field when the
    field is missing or empty."""
    if by not in communes.columns:
        fields = ", ".join(c for c in communes.columns if c != "geometry")
        raise InputError(f"'{path}', layer 'communes': field '{by}' to partition by is missing (fields: {fields})")
    study = communes[_in_territory(path, communes)]
    values = study[by]
    empty = values.isna() | (values.astype(str).str.strip() == "")
    if empty.all():
        raise InputError(f"'{path}', layer 'communes': field '{by}' to partition by is empty for every commune "
                         "of the study area (in_territory)")
    if empty.any():
        codes = ", ".join(sorted(study.loc[empty, "commune_code"].astype(str))[:5])
        raise InputError(f"'{path}', layer 'communes': field '{by}' to partition by is empty for {int(empty.sum())} "
                         f"commune(s) of the study area ({codes}{'…' if empty.sum() > 5 else ''})")
    if pd.api.types.is_float_dtype(values) and (values == values.round()).all():
        values = values.astype("int64")  # 26.0 -> "26"
    return values.astype(str).str.strip()


#: Suffixes of the files `by` may name (a list of study areas); any other text is a field of the communes layer.
_TABLE_SUFFIXES = (".csv", ".gpkg", ".xlsx", ".ods", ".dbf", ".shp", ".parquet", ".geojson", ".json", ".sqlite",
                   ".fgb", ".tsv", ".txt")

#: Columns of a file listing study areas.
AREA_COLUMNS = ("study_area", "commune_code")


def _is_area_file(by) -> bool:
    """Whether ``by`` names a file listing study areas (a path object, or text ending in a table's suffix or holding
    a folder separator) rather than a field of the communes layer."""
    if isinstance(by, os.PathLike):
        return True
    return isinstance(by, str) and (Path(by).suffix.lower() in _TABLE_SUFFIXES or "/" in by or os.sep in by)


def describe_by(by) -> str:
    """How a batch was partitioned, in words (for messages)."""
    if isinstance(by, Mapping):
        return f"a list of {len(by)} study area(s)"
    if _is_area_file(by):
        return f"the study areas of '{os.fspath(by)}'"
    return f"'{by}'"


def _text(value) -> str:
    """A cell as text: None/NaN -> "", 26.0 -> "26", strings stripped."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def _area_rows(by) -> tuple:
    """(where, rows): ``where`` names the list in messages; rows are (place, study_area, commune_code) as text,
    ``place`` naming the row ("row 3 (line 4)", or "study area 'x', item 2" for a dict)."""
    if isinstance(by, Mapping):
        rows = []
        for area, codes in by.items():
            if isinstance(codes, (str, bytes)) or not hasattr(codes, "__iter__"):
                raise InputError(f"study area {area!r}: give a list of commune codes, not {codes!r}")
            codes = list(codes)
            if not codes:
                raise InputError(f"the study areas given: study area {_text(area)!r} lists no commune")
            rows += [(f"study area {_text(area)!r}, item {i}", _text(area), _text(code))
                     for i, code in enumerate(codes, 1)]
        return "the study areas given", rows
    import pyogrio

    path = os.fspath(by)
    if not Path(path).exists():
        raise InputError(f"study areas file '{path}' not found (by is a field of the layer 'communes', or a table "
                         f"with columns {', '.join(AREA_COLUMNS)}: .csv, .gpkg…)")
    try:
        layers = [name for name, _ in pyogrio.list_layers(path)]
    except Exception as e:  # noqa: BLE001 - GDAL's own error, with the file named
        raise InputError(f"study areas file '{path}' cannot be read as a table: {e}") from None
    layer = "study_areas" if "study_areas" in layers else layers[0] if len(layers) == 1 else None
    if layer is None:
        raise InputError(f"study areas file '{path}' has several layers ({', '.join(layers)}) and none is named "
                         "'study_areas'")
    table = pyogrio.read_dataframe(path, layer=layer, read_geometry=False, fid_as_index=True)
    csv = Path(path).suffix.lower() in (".csv", ".tsv", ".txt")
    where = f"study areas file '{path}'" + ("" if csv else f", layer '{layer}'")
    missing = [c for c in AREA_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(f"{where}: column(s) {', '.join(missing)} missing (columns: "
                         f"{', '.join(map(str, table.columns)) or 'none'})")
    rows = []
    for i, (fid, area, code) in enumerate(zip(table.index, table["study_area"], table["commune_code"]), 1):
        place = f"row {i} (line {i + 1})" if csv else f"row {i} (fid {fid})"
        rows.append((place, _text(area), _text(code)))
    if not rows:
        raise InputError(f"{where} lists no study area (no row)")
    return where, rows


def _areas_from_list(src: str, communes, by) -> dict:
    """Study area id -> row index of its communes in ``communes``, from a file or a dict; an InputError names the
    file (or the dict), the row and the code for an empty id or code, a duplicate row, a code not in the territory
    file, or one of its neighbours (in_territory false: the file holds no candidate site there)."""
    where, rows = _area_rows(by)
    codes = communes["commune_code"].astype(str)
    index_of = dict(zip(codes, communes.index))
    study = dict(zip(codes, _in_territory(src, communes)))
    seen, areas = {}, {}
    for place, area, code in rows:
        if not area:
            raise InputError(f"{where}, {place}: the study area (study_area) is empty")
        if not code:
            raise InputError(f"{where}, {place}: study area '{area}' has an empty commune_code")
        if (area, code) in seen:
            raise InputError(f"{where}, {place}: commune {code} is listed twice in study area '{area}' "
                             f"(also {seen[(area, code)]})")
        seen[(area, code)] = place
        if code not in index_of:
            raise InputError(f"{where}, {place}: commune code '{code}' of study area '{area}' is not in the layer "
                             f"'communes' of '{src}'")
        if not study[code]:
            raise InputError(f"{where}, {place}: commune {code} of study area '{area}' is a neighbour in '{src}' "
                             "(in_territory false): the file holds no candidate site there")
        areas.setdefault(area, []).append(index_of[code])
    return {area: sorted(idx) for area, idx in areas.items()}


def _in_territory(path: str, communes) -> pd.Series:
    """The ``in_territory`` field as booleans, as the engine reads it (tl.load_territory checks the whole file first:
    one reading of the territory contract, with its errors naming file, layer, feature and field)."""
    from ._api import load_territory

    flags = load_territory(path).communes.set_index("commune_code")["in_territory"]
    return communes["commune_code"].astype(str).map(flags).fillna(False).astype(bool)


def _set_in_territory(communes, study_mask: pd.Series):
    """The communes with ``in_territory`` set to study_mask, in the field's own type (bool, integer or text)."""
    col = communes["in_territory"]
    out = communes.copy()
    if pd.api.types.is_bool_dtype(col):
        out["in_territory"] = study_mask.to_numpy()
    elif pd.api.types.is_numeric_dtype(col):
        out["in_territory"] = study_mask.astype(col.dtype).to_numpy()
    else:
        out["in_territory"] = np.where(study_mask.to_numpy(), "true", "false")
        out["in_territory"] = out["in_territory"].astype(col.dtype)
    return out


def _metric(frame):
    """The frame in metres: itself when its CRS is projected, else its UTM zone (distances only, never written)."""
    if frame.crs is None:
        return None
    if frame.crs.is_projected:
        return frame
    return frame.to_crs(frame.estimate_utm_crs())


def _halo(halo_km, halo_minutes) -> tuple:
    """("km" or "minutes", value) of the halo; 20 km when neither is given. InputError for both, or a value that is
    not a finite number ≥ 0."""
    if halo_km is not None and halo_minutes is not None:
        raise InputError("give the halo either in kilometres (halo_km) or in minutes (halo_minutes), not both")
    unit, value = ("minutes", halo_minutes) if halo_minutes is not None else ("km", 20.0 if halo_km is None
                                                                               else halo_km)
    name, words = ("halo_minutes", "minutes") if unit == "minutes" else ("halo_km", "kilometres")
    try:
        number = float(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or not math.isfinite(number) or number < 0:
        raise InputError(f"{name} must be a finite number of {words} ≥ 0, not {value!r}")
    return unit, number


class _CommuneReach:
    """Which communes' town halls lie within some minutes of a set of communes' town halls, on the travel-time
    graph a run of the whole territory file uses (the commune graph with the settings' detour factor, speeds and
    adjacency tolerance, or the road graph of ``settings.roads``): the engine's own run gives the graph
    (``network_edges``) and where each town hall joins it (``node_id``, ``access_minutes``), and the engine's
    :class:`Network` searches it. Minutes from commune a to commune b = a's access leg + shortest path + b's."""

    def __init__(self, src: str, communes, settings):
        from . import _api
        from ._network import Network
        from ._settings import Settings

        settings = Settings() if settings is None else settings
        # the graph depends on neither the weights, the catchment thresholds nor the stability draws: a run with
        # the default weights (a weight the whole file cannot give must not stop the partitioning), no draws and
        # one threshold of 1 minute (the catchment polygons of every site are most of a run's time: 4x faster on
        # the 3,500-commune synthetic share)
        graph_settings = settings.replace(stability_draws=0, weights={}, weights_file=None, thresholds=(1,))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", _api.DataWarning)  # each partition's own run reports its warnings
                meta = _api.score(src, settings=graph_settings, progress=False).attrs["tierslieux"]
        except InputError as e:
            raise _api._with_prefix(e, f"halo_minutes: the travel-time graph of the whole of '{src}' could not be "
                                       "built: ") from None
        edges, joined = meta.network_edges, meta.communes.set_index("commune_code")
        codes = communes["commune_code"].astype(str)
        node = joined["node_id"].reindex(codes).to_numpy(dtype=float)
        access = joined["access_minutes"].reindex(codes).to_numpy(dtype=float) if "access_minutes" in joined \
            else np.zeros(len(codes))
        if "snapped" in joined:
            node[~joined["snapped"].reindex(codes).fillna(False).astype(bool).to_numpy()] = np.nan
        node[~np.isfinite(access)] = np.nan
        self.node, self.access = node, np.where(np.isfinite(access), access, 0.0)
        ends = [edges["from_node"].to_numpy(dtype=np.int64), edges["to_node"].to_numpy(dtype=np.int64)]
        top = [int(e.max()) for e in ends if e.size]
        if np.isfinite(node).any():
            top.append(int(np.nanmax(node)))
        count = max(top, default=-1) + 1
        x, y = np.zeros(count), np.zeros(count)
        if len(edges):
            import shapely

            for end, at in zip(ends, (0, -1)):
                xy = shapely.get_coordinates(shapely.get_point(edges.geometry.values, at))
                x[end], y[end] = xy[:, 0], xy[:, 1]
        self.network = Network(x, y, ends[0], ends[1], edges["minutes"].to_numpy(dtype=float),
                               edges["twoway"].to_numpy(dtype=bool) if "twoway" in edges else True,
                               edge_length_m=edges["length_m"].to_numpy(dtype=float) if "length_m" in edges
                               else None)

    def within(self, study_idx, minutes: float) -> list:
        """Row indices of the communes within ``minutes`` (inclusive) of one of the ``study_idx`` communes."""
        study = np.asarray(list(study_idx), dtype=np.int64)
        joined = study[np.isfinite(self.node[study])]
        if joined.size == 0:
            return []
        start = pd.DataFrame({"node": self.node[joined].astype(np.int64), "access": self.access[joined]})
        start = start.groupby("node")["access"].min()
        reach = self.network.nodes_in_range(start.index.to_numpy(), max(0.0, minutes - float(start.min())))
        reach["minutes"] += start.reindex(reach["source"]).to_numpy()
        best = reach.groupby("node_id")["minutes"].min()
        to = pd.Series(self.node).map(best).to_numpy(dtype=float) + self.access
        return np.flatnonzero(to <= minutes).tolist()


def partition_territory(path: PathLike, by, *, halo_km: Optional[float] = None,
                        halo_minutes: Optional[float] = None, out_dir: PathLike, settings=None) -> pd.DataFrame:
    """Cut a territory file into one territory file per study area.

    ``by`` gives the study areas: the name of a field of the layer ``communes`` (one study area per value among
    the file's study-area communes, ``in_territory`` true: EPCI, département…), or a list of study areas: the path
    of a table (.csv, .gpkg or any table GDAL reads; a GeoPackage's layer ``study_areas`` when it has several)
    with the columns ``study_area`` (the id) and ``commune_code``, one row per commune of a study area, or a dict
    ``{study_area: [commune codes]}``. Listed study areas may overlap (a commune in two candidate projects is in
    the study area of both); each listed commune must be one of the file's study-area communes.

    For each study area, writes ``out_dir/<id>.gpkg`` with the input's layers and fields, read and written with
    pyogrio:

    * ``communes``: the area's communes (``in_territory`` true) and, as neighbours (``in_territory`` false), every
      other commune of the file within the halo — they count as demand and carry the commute graph, as the
      neighbours of a single run do. The halo is ``halo_km`` kilometres (polygon-to-polygon distance; 20 km when
      neither halo is given) or ``halo_minutes`` minutes (town hall to town hall on the travel-time graph a run of
      the whole file uses with ``settings``: the commune graph, or the road graph of ``settings.roads``);
    * ``town_halls`` of those communes; ``sites`` whose ``commune_code`` is in the partition's study area;
    * the optional layers the input has (``broadband``, ``existing_tiers_lieux``, ``employment_poles`` by their
      ``commune_code``; ``commute_flows`` when both ``home_code`` and ``work_code`` are kept communes;
      ``site_observations`` by ``site_id``). The ``territory`` outline and any other layer are left out.

    Rows are sorted by their id; each file is written to a temporary file and renamed into place, with GDAL's date
    pinned, so the same input always gives the same bytes. Distances are measured in the file's CRS when it is
    projected, else in its UTM zone.

    Returns a table sorted by partition: ``partition`` (the field's value or the study area's id, as text),
    ``path``, ``communes`` (study area), ``neighbours``, ``sites``.

    Raises InputError (naming file, layer and field) when ``by`` is missing or empty in the study area; (naming
    the file or dict, the row and the code) for a list with an empty id or code, a duplicate row or a code that is
    not a study-area commune of the file; when both halos are given or one is not a finite number ≥ 0, or when the
    communes have no CRS.
    """
    src = os.fspath(path)
    layers, frames, parts = _plan(src, by, halo_km, halo_minutes, settings)
    out_dir = Path(os.fspath(out_dir))
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for value, study_idx, kept_idx in parts:
        target = out_dir / f"{partition_file_name(value)}.gpkg"
        rows.append({"partition": value, "path": str(target),
                     **_write_cut(target, src, frames, layers, study_idx, kept_idx)})
    return pd.DataFrame(rows, columns=["partition", "path", "communes", "neighbours", "sites"])


def _plan(src: str, by, halo_km, halo_minutes, settings) -> tuple:
    """What partitioning ``src`` decides before writing anything: (the file's layers and their geometry types,
    the frames read by :func:`_read_frames`, and per study area in id order (id, positions of its communes in
    ``frames["communes"]``, positions of the communes kept: the area's and its halo's)). Checks ``by`` and the
    halos (the errors of :func:`partition_territory`)."""
    import pyogrio

    unit, halo = _halo(halo_km, halo_minutes)
    listed = isinstance(by, Mapping) or _is_area_file(by)
    if not listed and (not isinstance(by, str) or not by):
        raise InputError(f"by must be the name of a field of the layer 'communes' of '{src}', a table of study "
                         f"areas or a dict of them, not {by!r}")
    layers = {name: geometry for name, geometry in pyogrio.list_layers(src)}
    for required in ("communes", "town_halls", "sites"):
        if required not in layers:
            raise InputError(f"'{src}': required layer '{required}' is missing (layers: {', '.join(layers)})")
    frames = _read_frames(src, layers)
    communes = frames["communes"]
    if listed:
        areas = _areas_from_list(src, communes, by)
    else:
        values = _study_values(src, communes, by)
        areas = {value: values.index[values == value].tolist() for value in values.unique()}
    if unit == "km":
        metric = _metric(communes)
        if metric is None:
            raise InputError(f"'{src}', layer 'communes' declares no CRS: the halo of {halo:g} km cannot be "
                             "measured")

        def near(study_idx):
            return metric.sindex.query(metric.geometry.loc[study_idx], predicate="dwithin",
                                       distance=halo * 1000.0)[1].tolist()
    else:
        reach = _CommuneReach(src, communes, settings)

        def near(study_idx):
            return reach.within(study_idx, halo)
    parts = [(value, list(areas[value]), sorted(set(areas[value]) | set(near(areas[value])))) for value in sorted(areas)]
    return layers, frames, parts


def _read_frames(src: str, layers: dict) -> dict:
    """The layers a partition is cut from: communes (sorted by code), town halls, sites and the optional layers the
    file has. The client reads them to plan the partitions; a Dask worker reads them again, once, to cut its
    partitions (a task result: Dask reads them again if that worker dies)."""
    frames = {"communes": _read(src, "communes").sort_values("commune_code", kind="stable").reset_index(drop=True)}
    frames.update({name: _read(src, name) for name in ("town_halls", "sites") + OPTIONAL_LAYERS if name in layers})
    return frames


def _write_cut(target: Path, src: str, frames: dict, layers: dict, study_idx: list, kept_idx: list) -> dict:
    """Cuts one partition out of ``frames`` and writes it to ``target`` atomically; returns its counts."""
    from .plot import write_atomically

    communes = frames["communes"]
    kept = communes.loc[kept_idx]
    study_mask = pd.Series(kept.index.isin(study_idx), index=kept.index)
    kept_codes = set(kept["commune_code"].astype(str))
    study_codes = set(communes.loc[study_idx, "commune_code"].astype(str))
    part = {"communes": _set_in_territory(kept, study_mask).reset_index(drop=True)}
    for name, frame in frames.items():
        if name != "communes":
            part[name] = _rows_of(name, frame, kept_codes, study_codes, part)
    write_atomically(target, [src], lambda tmp: _write_partition(tmp, part, layers))
    return {"communes": len(study_codes), "neighbours": len(kept_codes) - len(study_codes),
            "sites": len(part["sites"])}


def _recipe(source_sha256: str, communes, study_idx: list, kept_idx: list) -> str:
    """The digest of everything a partition file's content depends on: the source file's bytes, the codes of the
    area's communes and of the communes kept, and the cutting rules' version. The same recipe writes the same
    file, so a checkpoint made from it can be trusted without cutting the partition again."""
    codes = communes["commune_code"].astype(str)
    text = "\n".join([f"partition v{_CHECKPOINT_VERSION}", source_sha256, ",".join(sorted(codes.loc[study_idx])),
                      ",".join(sorted(codes.loc[kept_idx]))])
    return hashlib.sha256(text.encode()).hexdigest()


def _write_partition(tmp: Path, part: dict, geometry_types: dict) -> None:
    """Writes a partition's layers to the temporary file ``tmp`` (renamed into place by the caller).

    GDAL's date is pinned (the same input gives the same bytes). SQLite does not sync to disk after each of its
    transactions (``OGR_SQLITE_SYNCHRONOUS=OFF``: a GeoPackage layer is several transactions, and their syncs were
    three quarters of the partitioning time); the finished file is synced once before it is renamed into place, so
    a partition file is never seen half-written, even after a crash of the machine."""
    import pyogrio

    options = {"OGR_CURRENT_DATE": _PINNED_DATE, "OGR_SQLITE_SYNCHRONOUS": "OFF"}
    before = {key: pyogrio.get_gdal_config_option(key) for key in options}
    pyogrio.set_gdal_config_options(options)
    try:
        for name, frame in part.items():
            pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG",
                                    geometry_type=geometry_types[name] if geometry_types[name] else None)
    finally:
        pyogrio.set_gdal_config_options(before)
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _rows_of(name: str, frame, kept_codes: set, study_codes: set, part: dict):
    """The rows of layer ``name`` a partition keeps, sorted by their id."""
    if name == "sites":
        rows, key = frame[frame["commune_code"].astype(str).isin(study_codes)], ["site_id"]
    elif name == "commute_flows":
        rows = frame[frame["home_code"].astype(str).isin(kept_codes) & frame["work_code"].astype(str).isin(kept_codes)]
        key = ["home_code", "work_code"]
    elif name == "site_observations":
        site_ids = set(part["sites"]["site_id"].astype(str))
        rows, key = frame[frame["site_id"].astype(str).isin(site_ids)], ["site_id", "period"]
    else:  # town_halls, broadband, existing_tiers_lieux, employment_poles
        rows = frame[frame["commune_code"].astype(str).isin(kept_codes)]
        key = ["id"] if "id" in frame.columns else ["commune_code"]
    key = [k for k in key if k in rows.columns]
    return rows.sort_values(key, kind="stable").reset_index(drop=True) if key else rows.reset_index(drop=True)


def _settings_key(settings) -> str:
    """A digest of the run's settings (their TOML): a checkpoint made with other settings is not reused."""
    return hashlib.sha256(settings.to_toml().encode()).hexdigest()


def _write_json_atomically(path: Path, record: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _score_partition(frames: dict, layers: dict, study_idx: list, kept_idx: list, territory: str, source: str,
                     recipe: str, settings, checkpoint: str, partition: str, lang: str = "fr") -> dict:
    """Dask task: cut one partition out of ``frames`` (the source's layers, read once per worker) into its
    territory file (atomically), score it (read by path, as a single run) and write the result GeoPackage to
    ``checkpoint`` atomically, then a side file ``<checkpoint>.json`` recording the partition's recipe (see
    :func:`_recipe`), its file's SHA-256, the settings' digest, seconds, worker and warnings. Pure: the same
    arguments write the same files, so Dask may re-run it on another worker when one dies. Errors of the data are
    returned (``error``), not raised, so the batch can name every failed partition."""
    from . import _api
    from ._core import GeometryError, IoError, ProjectionError

    started = time.perf_counter()
    _write_cut(Path(territory), source, frames, layers, study_idx, kept_idx)
    digest = file_sha256(territory)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", _api.DataWarning)
            result = _api.score(territory, settings=settings, progress=False)
        _api.write_gpkg(result, checkpoint, lang=lang)
    except (InputError, GeometryError, ProjectionError, IoError) as e:
        return {"partition": partition, "error": f"{type(e).__name__}: {e}"}
    try:
        from distributed import get_worker

        worker = get_worker().address
    except (ImportError, ValueError):
        worker = ""
    meta = result.attrs["tierslieux"]
    record = {"version": _CHECKPOINT_VERSION, "partition": partition, "recipe_sha256": recipe, "input_sha256": digest,
              "settings_sha256": _settings_key(settings), "lang": lang,
              "communes": int(meta.communes["in_territory"].astype(bool).sum()), "sites": len(result),
              "seconds": round(time.perf_counter() - started, 3), "worker": worker,
              "warnings": sum(1 for w in caught if issubclass(w.category, _api.DataWarning)),
              "worker_peak_mb": _peak_rss_mb()}
    _write_json_atomically(Path(checkpoint + ".json"), record)
    return record


def _peak_rss_mb() -> float:
    """The peak resident memory of this process so far, in MB (a high-water mark: on a worker, it includes the
    partitions it ran before).

    On Linux, VmHWM of /proc/self/status: the peak of this process's own memory since its program started.
    getrusage's ru_maxrss is not used there: it survives exec, so a worker spawned by a client that held the whole
    territory (a LocalCluster's nanny forks from the client) reported the client's size (408.6 MB for every
    worker of a national batch whose workers peaked lower). Elsewhere, ru_maxrss (kilobytes on Linux and BSD,
    bytes on macOS)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024.0, 1)  # kB
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 1024.0), 1)


def _checkpoint(checkpoint: Path, recipe: str, settings, lang: str) -> Optional[dict]:
    """The record of a finished partition whose checkpoint matches its recipe (see :func:`_recipe`), settings and
    language, else None."""
    side = Path(str(checkpoint) + ".json")
    if not (checkpoint.exists() and side.exists()):
        return None
    try:
        record = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (record.get("version") != _CHECKPOINT_VERSION or record.get("recipe_sha256") != recipe
            or record.get("settings_sha256") != _settings_key(settings) or record.get("lang") != lang):
        return None
    return record


def _client(workers: Optional[int], scheduler: Optional[str]):
    """A dask.distributed Client: on ``scheduler`` when given, else on a new LocalCluster of ``workers`` processes
    (one thread each; default the machine's cores). Returns (client, cluster or None, whether a local cluster
    serves a dashboard: it needs bokeh)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ImportError("tierslieux batch runs on Dask: pip install 'tierslieux[batch]' "
                          "(or 'dask[distributed]')") from None
    if scheduler:
        if workers is not None:
            raise InputError("give either workers (a local cluster) or scheduler (an existing cluster), not both")
        return Client(scheduler), None, True
    n = (os.cpu_count() or 1) if workers is None else workers
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InputError(f"workers must be a whole number ≥ 1, not {workers!r}")
    try:
        import bokeh  # noqa: F401  the dashboard needs it
        served = True
    except ImportError:
        served = False
    # a free port: the scheduler serves HTTP (health, metrics, and the dashboard with bokeh) even without bokeh,
    # and the default, 8787, is taken as soon as another cluster runs on the machine
    cluster = LocalCluster(n_workers=int(n), threads_per_worker=1, processes=True, dashboard_address=":0")
    return Client(cluster), cluster, served


def _dashboard(client, served: bool) -> Optional[str]:
    """The Dask dashboard's address, or None when there is none (a local cluster without bokeh has none)."""
    if not served:
        return None
    try:
        if "dashboard" not in client.scheduler_info().get("services", {}):
            return None
        return client.dashboard_link
    except Exception:  # noqa: BLE001 - an address to print, never a reason to fail
        return None


def batch(path: PathLike, by, *, halo_km: Optional[float] = None, halo_minutes: Optional[float] = None,
          out: PathLike, workers: Optional[int] = None, scheduler: Optional[str] = None, settings=None,
          lang: str = "fr") -> pd.DataFrame:
    """Score every partition of a territory file on Dask and gather the results into one GeoPackage.

    1. The partitions of :func:`partition_territory` are planned in the client, and each is written to
       ``<out stem>.parts/territories/`` by the Dask task that scores it (so partitioning runs on every worker):
       ``by`` is a field of the communes (EPCI, département…: one study area per value), or a list of study areas
       (a table with columns ``study_area`` and ``commune_code``, or a dict ``{id: [commune codes]}``); each file
       holds the area's communes plus their neighbours within ``halo_km`` km (20 by default) or ``halo_minutes``
       minutes on the run's travel-time graph.
    2. Each partition with at least 2 sites is cut and scored by :func:`tierslieux.score` as an independent Dask
       task: the source's layers are read once per cluster by a task and copied to the workers that need them; the
       task writes its partition file, reads it by path as a single run would (a cluster's workers must see the
       same files as the client: the source, the partition files, the checkpoints) and writes what :func:`write_gpkg`
       writes for a single run to the checkpoint ``<out stem>.parts/<id>.gpkg`` (atomically), with a side file
       ``<id>.gpkg.json`` (input SHA-256, settings digest, seconds, worker, warnings, the worker's peak memory). A
       worker that dies mid-task has its task re-run elsewhere by Dask. Run again with the same ``out``, the
       partitions whose checkpoint matches their recipe (the source file's SHA-256, the communes of the area and of
       its halo, the cutting rules' version), settings and language are neither cut nor scored again.
    3. The layers ``sites``, ``communes`` (each partition's study area) and ``catchments`` of every checkpoint,
       with an added ``partition`` column, and a ``partitions`` table (partition, status, communes, sites,
       seconds, worker, warnings, worker_peak_mb: the worker process's peak resident MB once the partition was
       done, a high-water mark) are written to ``out`` atomically, in partition order, as :func:`write_gpkg`
       writes a single run: QGIS styles of sites, communes and catchments, a description per layer, a title and
       a description per field in ``lang``.

    ``workers`` starts a LocalCluster of that many processes with one thread each (default: the machine's cores);
    ``scheduler`` ("tcp://host:8786") uses an existing cluster instead. The dashboard address is printed when the
    cluster has one (a local cluster serves it when bokeh is installed), and a progress bar by partition where
    somebody watches (a terminal, a notebook with ipywidgets). ``settings`` (a :class:`Settings`) applies
    to every partition; ``lang`` is the language of the titles (checkpoints and gathered file).

    Returns the ``partitions`` table, with a column ``computed`` (True when scored by this call, False when taken
    from a checkpoint) and ``attrs["out"]``, the path written.

    Raises InputError for a bad ``by`` (naming the field, or the list's file, row and code), ``halo_km`` or
    ``halo_minutes`` (both given, or not a number ≥ 0), ``workers`` or ``out``, and, after every other partition is
    done and checkpointed, an InputError naming the partitions whose data could not be scored, or a RuntimeError
    naming those whose task failed otherwise (e.g. its workers kept dying); ``out`` is then not written.
    """
    from . import _progress
    from ._i18n import check_lang
    from ._settings import Settings
    from .plot import check_output

    lang = check_lang(lang)
    settings = Settings() if settings is None else settings
    if not isinstance(settings, Settings):
        raise TypeError(f"settings must be a tierslieux.Settings, not {type(settings).__name__}")
    src = Path(os.fspath(path))
    target = Path(os.fspath(out))
    if target.suffix != ".gpkg":
        raise InputError(f"out '{target}' must end in .gpkg (the results are a GeoPackage)")
    inputs = [src] + [p for p in (settings.roads, settings.weights_file) if p]
    if not isinstance(by, Mapping) and _is_area_file(by):
        inputs.append(os.fspath(by))
    check_output(target, inputs)
    parts_dir = target.with_name(target.stem + ".parts")
    layers, frames, parts = _plan(os.fspath(src), by, halo_km, halo_minutes, settings)
    territories = parts_dir / "territories"
    territories.mkdir(parents=True, exist_ok=True)
    source_sha256 = file_sha256(src)
    sites_per_commune = frames["sites"]["commune_code"].astype(str).value_counts()

    records, todo = {}, []
    for pid, study_idx, kept_idx in parts:
        territory = territories / f"{partition_file_name(pid)}.gpkg"
        checkpoint = parts_dir / f"{partition_file_name(pid)}.gpkg"
        study_codes = sorted(set(frames["communes"].loc[study_idx, "commune_code"].astype(str)))
        n_sites = int(sites_per_commune.reindex(study_codes).fillna(0).sum())
        if n_sites < 2:  # nothing to score: its file is written here, for the record
            _write_cut(territory, os.fspath(src), frames, layers, study_idx, kept_idx)
            records[pid] = {"status": f"not scored: {n_sites} site(s), a ranking needs at least 2",
                            "communes": len(study_codes), "sites": n_sites, "seconds": 0.0, "worker": "",
                            "warnings": 0, "worker_peak_mb": float("nan"), "computed": False}
            continue
        recipe = _recipe(source_sha256, frames["communes"], study_idx, kept_idx)
        done = _checkpoint(checkpoint, recipe, settings, lang)
        if done is not None:
            records[pid] = {**done, "status": "scored", "computed": False}
        else:
            todo.append((pid, study_idx, kept_idx, territory, checkpoint, recipe))
    del frames  # the workers read their own copy

    if todo:
        client, cluster, served = _client(workers, scheduler)
        try:
            link = _dashboard(client, served)
            if link:
                print(f"Dask dashboard: {link}", file=sys.stderr)
            from distributed import as_completed

            # the source's layers are read once by one worker (a task, so Dask reads them again if that worker
            # dies) and copied to each other worker that cuts a partition: never shipped per task
            frames_future = client.submit(_read_frames, os.fspath(src), layers, pure=True,
                                          key=f"tierslieux-layers-{source_sha256[:16]}")
            futures = {}
            for pid, study_idx, kept_idx, territory, checkpoint, recipe in todo:
                # the key names everything the task's result depends on
                what = "\n".join([recipe, _settings_key(settings), lang, str(Path(checkpoint).resolve()),
                                  str(Path(territory).resolve())])
                key = (f"tierslieux-partition-{partition_file_name(pid)}-"
                       f"{hashlib.sha256(what.encode()).hexdigest()[:16]}")
                futures[client.submit(_score_partition, frames_future, layers, study_idx, kept_idx, str(territory),
                                      os.fspath(src), recipe, settings, str(checkpoint), pid, lang, pure=True,
                                      key=key)] = pid
            # a bar by partition where somebody watches (a terminal, a notebook with widgets), as tl.score's stages
            reused = sum(1 for r in records.values() if r["status"] == "scored")
            bar = _progress.bar(True, f"partitions ({reused} from checkpoints)" if reused else "partitions",
                                unit="partition")
            if bar:
                bar(0, len(futures))
            errors, failures = {}, {}
            for n, future in enumerate(as_completed(list(futures)), 1):
                pid = futures[future]
                try:
                    record = future.result()
                except Exception as e:  # noqa: BLE001 - e.g. KilledWorker: named with its partition below
                    failures[pid] = f"{type(e).__name__}: {e}"
                else:
                    if "error" in record:
                        errors[pid] = record["error"]
                    else:
                        records[pid] = {**record, "status": "scored", "computed": True}
                if bar:
                    bar(n, len(futures))
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        if errors or failures:
            listed = "; ".join(f"{pid}: {msg}" for pid, msg in sorted({**errors, **failures}.items()))
            kind = RuntimeError if failures else InputError
            raise kind(f"{len(errors) + len(failures)} partition(s) of '{src}' by {describe_by(by)} could not be "
                       f"scored ({listed}); the others are checkpointed in '{parts_dir}': run again to finish")

    columns = ["partition", "status", "communes", "sites", "seconds", "worker", "warnings", "worker_peak_mb"]
    partitions = pd.DataFrame([{"partition": pid, **{k: records[pid].get(k, float("nan")) for k in columns[1:]}}
                               for pid in sorted(records)], columns=columns)
    partitions = partitions.astype({"communes": "int64", "sites": "int64", "seconds": "float64", "warnings": "int64",
                                    "worker_peak_mb": "float64"})
    gathered = _gather(parts_dir, partitions[partitions["status"] == "scored"]["partition"].tolist())

    written = write_gathered(target, gathered, partitions, lang, inputs)
    result = partitions.assign(computed=[bool(records[pid]["computed"]) for pid in partitions["partition"]])
    result.attrs["out"] = written
    return result


#: Titles of what a batch adds to a single run's layers: column -> (French title, French description, English
#: title, English description); ("partitions", column) for the columns of the partitions table.
_TITLES = {
    "partition": ("Partition", "identifiant de la partition : valeur du champ de découpage ou zone d'étude de la "
                  "liste ; rangs et scores sont relatifs à la partition", "Partition",
                  "partition id: value of the field partitioned by, or study area of the list; ranks and scores "
                  "are relative to the partition"),
    ("partitions", "status"): ("Statut", "scored : classée ; not scored : pourquoi elle ne l'est pas (moins de deux "
                               "sites)", "Status", "scored, or not scored and why (fewer than two sites)"),
    ("partitions", "communes"): ("Communes de la zone d'étude", "communes de la zone d'étude de la partition "
                                 "(in_territory), sans les voisines", "Study-area communes",
                                 "communes of the partition's study area (in_territory), neighbours left out"),
    ("partitions", "sites"): ("Sites candidats", "sites candidats de la partition", "Candidate sites",
                              "candidate sites of the partition"),
    ("partitions", "seconds"): ("Durée (s)", "secondes de la tâche sur son worker : découpage et écriture du "
                                "fichier de la partition, lecture, calcul, écriture du point de reprise", "Seconds",
                                "seconds of the task on its worker: cutting and writing the partition's file, "
                                "reading, scoring, writing the checkpoint"),
    ("partitions", "worker"): ("Worker Dask", "adresse du worker qui l'a calculée (vide : non calculée)",
                               "Dask worker", "address of the worker that scored it (empty: not scored)"),
    ("partitions", "warnings"): ("Avertissements", "nombre d'avertissements du calcul de la partition (table "
                                 "diagnostics de son point de reprise)", "Warnings", "number of warnings of the "
                                 "partition's run (diagnostics table of its checkpoint)"),
    ("partitions", "worker_peak_mb"): ("Mémoire maximale du worker (Mo)", "pic de mémoire résidente du processus "
                                       "worker une fois la partition calculée (maximum depuis son démarrage)",
                                       "Worker peak memory (MB)", "peak resident memory of the worker process once "
                                       "the partition was scored (high-water mark since it started)"),
}

#: What a batch's layers hold, beyond the description of a single run's layer of the same name.
_DESCRIPTIONS = {
    "sites": {"fr": " Lot : les sites de toutes les partitions (colonne partition), rang et score relatifs à leur "
                    "partition.",
              "en": " Batch: the sites of every partition (column partition), rank and score relative to their "
                    "partition."},
    "communes": {"fr": " Lot : les communes de la zone d'étude de chaque partition (colonne partition), sans les "
                       "voisines.",
                 "en": " Batch: the study-area communes of each partition (column partition), neighbours left "
                       "out."},
    "catchments": {"fr": " Lot : ceux de toutes les partitions (colonne partition).",
                   "en": " Batch: those of every partition (column partition)."},
    "partitions": {"fr": "Partitions du lot : statut, communes, sites, durée, worker, avertissements, mémoire.",
                   "en": "The batch's partitions: status, communes, sites, seconds, worker, warnings, memory."},
}


def _titled(layer: dict, lang: str) -> dict:
    """A gathered layer with a single run's description and field titles (tl.write_gpkg's), and the batch's own
    for what it adds (``partition``, the ``partitions`` table)."""
    from ._api import _titled as run_titled
    from ._i18n import LANGS

    layer = run_titled(layer, lang)
    other = next(x for x in LANGS if x != lang)
    name = layer["name"]
    layer["description"] = (layer["description"] + _DESCRIPTIONS.get(name, {}).get(lang, "")).strip()
    columns = []
    for column in layer["columns"]:
        entry = _TITLES.get((name, column[0])) or _TITLES.get(column[0])
        if entry is not None:
            title, other_title = [(entry[0], entry[1]) if x == "fr" else (entry[2], entry[3]) for x in (lang, other)]
            column = tuple(column[:4]) + (title[0], f"{title[1]} [{other}: {other_title[0]} — {other_title[1]}]")
        columns.append(column)
    layer["columns"] = columns
    return layer


def write_gathered(target: Path, gathered: dict, partitions: pd.DataFrame, lang: str, inputs: list) -> Path:
    """Write the gathered layers and the ``partitions`` table to ``target`` as :func:`tierslieux.write_gpkg`
    writes a single run: the engine's atomic GeoPackage writer (never over one of ``inputs``), the default styles
    of sites, communes and catchments in ``layer_styles`` (tl._styles: scores classed over every partition; the 10
    best of each partition labelled, ranks being per partition), a description per layer and a title and
    description per field in ``lang`` (gpkg_contents, gpkg_data_columns)."""
    from . import _core, _provenance, _styles
    from ._frames import to_layer

    frames = {**gathered, "partitions": partitions}
    frames["layer_styles"] = _styles.layer_styles(gathered, _provenance.now(), lang)
    _core.write_gpkg(str(target), [_titled(to_layer(name, frame), lang) for name, frame in frames.items()],
                     [str(p) for p in inputs])
    return target


def _gather(parts_dir: Path, partition_ids: list) -> dict:
    """The gathered layers (sites, study-area communes, catchments) of the checkpoints, with a ``partition``
    column first, in partition order and each checkpoint's own row order."""
    import geopandas as gpd

    out = {}
    for name in _GATHERED:
        frames = []
        for pid in partition_ids:
            frame = _read(str(parts_dir / f"{partition_file_name(pid)}.gpkg"), name)
            if name == "communes":
                frame = frame[frame["in_territory"].astype(bool)]
            frame.insert(0, "partition", pid)
            frames.append(frame)
        if frames:
            # the union of the partitions' columns (a criterion skipped in a partition is empty there), the
            # geometry last, as when a layer is read
            frame = pd.concat(frames, ignore_index=True)
            geometry = frames[0].geometry.name
            frame = frame[[c for c in frame.columns if c != geometry] + [geometry]]
            out[name] = gpd.GeoDataFrame(frame, geometry=geometry, crs=frames[0].crs)
    return out
