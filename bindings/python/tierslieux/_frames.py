"""Conversions between the engine's layer dicts and (Geo)DataFrames. Internal."""
from __future__ import annotations

import numpy as np
import pandas as pd
import geopandas as gpd
import shapely

from ._core import InputError

# shapely type name -> the layer geometry type written (polygons are promoted to MultiPolygon)
_GEOMETRY_OF = {
    "POINT": "Point",
    "LINESTRING": "LineString",
    "POLYGON": "MultiPolygon",
    "MULTIPOLYGON": "MultiPolygon",
}


def shared(frame: pd.DataFrame) -> pd.DataFrame:
    """Mark a table kept in another frame's ``attrs`` as shared by that frame's copies.

    pandas deep-copies ``attrs`` into every slice and, in ``pd.concat``, compares the slices' ``attrs``; a
    DataFrame there makes that comparison fail ("truth value of a DataFrame is ambiguous"). A table whose deep
    copy is itself compares equal by identity, so slices of a portfolio or a comparison can be concatenated.
    """
    object.__setattr__(frame, "__deepcopy__", lambda memo, _frame=frame: _frame)
    return frame


def to_frame(layer: dict) -> pd.DataFrame:
    """Engine layer dict -> GeoDataFrame (or DataFrame for attribute-only layers)."""
    data = {}
    for name, kind, values, null in layer["columns"]:
        null = np.asarray(null, dtype=bool)
        if kind == "string":
            col = pd.Series(values, dtype=object)
            col[null] = None
        elif kind == "real":
            col = pd.Series(np.asarray(values, dtype=float))
        elif kind == "boolean":
            col = pd.Series(np.asarray(values) != 0)
        else:
            col = pd.Series(np.asarray(values, dtype=np.int64))
            if null.any():
                col = col.astype("Int64")
                col[null] = pd.NA
        data[name] = col
    frame = pd.DataFrame(data)
    if layer["geometry_type"] == "none":
        return frame
    geometry = shapely.from_wkb(np.asarray(layer["wkb"], dtype=object))
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=layer["crs"])


def _crs_string(frame: gpd.GeoDataFrame, name: str) -> str:
    if frame.crs is None:
        raise InputError(f"layer {name!r}: the GeoDataFrame has no CRS; set one with .set_crs(...)")
    auth = frame.crs.to_authority()
    return f"{auth[0]}:{auth[1]}" if auth else frame.crs.to_wkt()


def to_layer(name: str, frame: pd.DataFrame, empty_geometry_type: str = "MultiPolygon") -> dict:
    """(Geo)DataFrame -> engine layer dict, for write_gpkg. Raises InputError naming the column.

    ``empty_geometry_type`` is the layer's geometry type when the frame has no row."""
    columns = []
    geometry_name = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    for col in frame.columns:
        if col == geometry_name:
            continue
        s = frame[col]
        null = s.isna().to_numpy()
        if pd.api.types.is_bool_dtype(s):
            columns.append((str(col), "boolean", s.fillna(False).astype(np.int64).to_numpy(), null))
        elif pd.api.types.is_integer_dtype(s):
            columns.append((str(col), "integer", s.fillna(0).astype(np.int64).to_numpy(), null))
        elif pd.api.types.is_float_dtype(s):
            columns.append((str(col), "real", s.astype(float).to_numpy(), null))
        elif pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s):
            columns.append((str(col), "string", ["" if n else str(v) for v, n in zip(s, null)], null))
        else:
            raise InputError(f"layer {name!r}, column {col!r}: cannot write values of type {s.dtype}")
    if geometry_name is None:
        return {"name": name, "geometry_type": "none", "crs": "", "wkb": [], "columns": columns}
    geoms = frame.geometry.values
    if geoms.isna().any() or shapely.is_empty(np.asarray(geoms)).any():
        bad = int(np.flatnonzero(np.asarray(geoms.isna() | shapely.is_empty(np.asarray(geoms))))[0])
        raise InputError(f"layer {name!r}: row {bad} has no geometry")
    if len(geoms) == 0:
        return {"name": name, "geometry_type": empty_geometry_type, "crs": _crs_string(frame, name), "wkb": [],
                "columns": columns}
    types = set(shapely.get_type_id(np.asarray(geoms)).tolist())
    type_names = {shapely.GeometryType(t).name for t in types}
    kinds = {_GEOMETRY_OF.get(t) for t in type_names}
    if len(kinds) != 1 or None in kinds:
        raise InputError(f"layer {name!r}: mixed or unsupported geometry types {sorted(type_names)}")
    kind = kinds.pop()
    arr = np.asarray(geoms)
    if kind == "MultiPolygon":
        single = shapely.get_type_id(arr) == shapely.GeometryType.POLYGON
        arr = arr.copy()
        arr[single] = [shapely.MultiPolygon([g]) for g in arr[single]]
    wkb = shapely.to_wkb(arr, output_dimension=2, flavor="iso").tolist()
    return {"name": name, "geometry_type": kind, "crs": _crs_string(frame, name), "wkb": wkb, "columns": columns}
