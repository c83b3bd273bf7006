"""Low-level routing API: tl.Network, built from numpy arrays (EPSG:2154 metres by default) or an OSM file."""
from __future__ import annotations

import hashlib
import json
import os
import warnings
from typing import Optional, Sequence, Union

import numpy as np
import pandas as pd
import geopandas as gpd
import shapely

from . import _core, _progress
from ._core import InputError
from ._provenance import file_sha256

_KINDS = ("sum", "mean", "count")
_ALGORITHMS = ("auto", "dijkstra", "hierarchy")
_BLOCK_BYTES = 256 * 2**20  # dense rows per block when a matrix is streamed or made sparse
_DECAYS = ("flat", "linear", "exponential", "exp")


def _ids(name: str, values, node_count: int) -> np.ndarray:
    """Node ids as uint32, or InputError naming the argument and the first bad index."""
    arr = np.asarray(values)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise InputError(f"{name} must be one-dimensional (got shape {arr.shape})")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        as_float = arr.astype(float) if np.issubdtype(arr.dtype, np.number) else None
        if as_float is None:
            raise InputError(f"{name} must hold node ids (integers), not {arr.dtype}")
        bad = np.flatnonzero(~np.isfinite(as_float) | (as_float != np.round(as_float)))
        if bad.size:
            i = int(bad[0])
            raise InputError(f"{name}[{i}] = {as_float[i]:g} is not a node id (an integer)")
    out_of_range = np.flatnonzero((arr < 0) | (arr >= node_count)) if arr.size else np.array([], dtype=int)
    if out_of_range.size:
        i = int(out_of_range[0])
        raise InputError(f"{name}[{i}] = {arr[i]} is not a node id (the network has {node_count} nodes)")
    return arr.astype(np.uint32)


def _floats(name: str, values, size: Optional[int] = None, what: str = "") -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise InputError(f"{name} must be one-dimensional (got shape {arr.shape})")
    if size is not None and arr.size != size:
        raise InputError(f"{name} has {arr.size} values for {size} {what}")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        i = int(bad[0])
        raise InputError(f"{name}[{i}] = {arr[i]} is not a finite number")
    return arr


def _per_edge(name: str, values, edge_count: int) -> np.ndarray:
    """One finite, non-negative float per edge, or InputError naming the argument and the first bad index."""
    arr = np.asarray(values, dtype=float)
    if arr.shape != (edge_count,):
        raise InputError(f"{name} has {arr.size} values for {edge_count} edges (edge_from)")
    bad = np.flatnonzero(~np.isfinite(arr) | (arr < 0))
    if bad.size:
        i = int(bad[0])
        raise InputError(f"{name}[{i}] = {arr[i]} (must be finite and >= 0)")
    return arr


def _algorithm(value: str) -> str:
    if value not in _ALGORITHMS:
        raise InputError(f"algorithm={value!r} is not one of: {', '.join(_ALGORITHMS)}")
    return value


def _max_minutes(value) -> float:
    if value is None:
        return float("inf")
    v = float(value)
    if np.isnan(v) or v < 0:
        raise InputError(f"max_minutes must be >= 0 (got {value!r})")
    return v


class Network:
    """A routable graph: nodes with coordinates, edges with travel minutes, searched with bounded Dijkstra.

    Parameters
    ----------
    node_x, node_y:
        Node coordinates in a metric CRS (metres; EPSG:2154 by default, see ``crs``).
    edge_from, edge_to:
        Node ids (0-based, as in ``node_x``) of each edge.
    edge_minutes:
        Travel time of each edge in minutes (finite, >= 0).
    twoway:
        True (every edge usable both ways), False, or one flag per edge.
    edge_length_m:
        Edge lengths in metres (default: the straight distance between the ends).
    crs:
        CRS of the coordinates.

    Every long search runs in C++ on ``threads`` threads (0: all cores) with the GIL released. Bad input raises
    ``ValueError`` (``tierslieux.InputError``) naming the argument and the index.

    ``aggregate`` and ``travel_times`` take ``algorithm``: "dijkstra" (one bounded search per source: best when
    each source reaches a small part of the graph), "hierarchy" (a contraction hierarchy, built once per Network
    and kept, then RPHAST sweeps of 8 sources at a time: best for matrices and for large catchments) or "auto"
    (default: the cheaper, estimated from 16 sample searches; see docs/network.md). Both give the same times up
    to floating-point rounding. ``prepare_hierarchy()`` builds the hierarchy up front (with a progress bar).
    ``save_hierarchy`` / ``load_hierarchy`` keep it in a file; ``Network.from_osm`` keeps it beside the road file
    by default (``hierarchy_cache``), and ``hierarchy_origin`` says where it came from.
    """

    def __init__(self, node_x, node_y, edge_from, edge_to, edge_minutes, twoway=True, *, edge_length_m=None,
                 crs: str = "EPSG:2154"):
        x = _floats("node_x", node_x)
        y = _floats("node_y", node_y, x.size, "nodes (node_x)")
        n = x.size
        f = _ids("edge_from", edge_from, n)
        t = _ids("edge_to", edge_to, n)
        if t.size != f.size:
            raise InputError(f"edge_to has {t.size} values for {f.size} edges (edge_from)")
        minutes = _per_edge("edge_minutes", edge_minutes, f.size)
        length = (np.hypot(x[f] - x[t], y[f] - y[t]) if edge_length_m is None
                  else _per_edge("edge_length_m", edge_length_m, f.size))
        if np.ndim(twoway) == 0:
            flags = np.full(f.size, bool(twoway), dtype=np.uint8)
        else:
            flags = np.asarray(twoway).astype(bool).astype(np.uint8)
            if flags.shape != (f.size,):
                raise InputError(f"twoway has {flags.size} flags for {f.size} edges (edge_from)")
        self._core = _core.Network(x, y, f, t, length, minutes, flags)
        self._x, self._y = x, y
        self._from, self._to, self._minutes, self._length, self._twoway = f, t, minutes, length, flags
        self._geometry = None  # per-edge shapely geometries (from OSM), else straight segments
        self.crs = crs
        self.osm_node_id: Optional[np.ndarray] = None
        self.osm_way_id: Optional[np.ndarray] = None
        self.highway: Optional[np.ndarray] = None
        self.report: dict = {}
        self._problems_said: set = set()

    # ------------------------------------------------------------------ OpenStreetMap
    @classmethod
    def from_osm(cls, path: Union[str, "os.PathLike[str]"], bbox_or_polygon=None, profile: str = "car", *,
                 crs: str = "EPSG:2154", buffer_m: float = 0.0, keep_largest_component: bool = True,
                 speeds: Optional[dict] = None,
                 hierarchy_cache: Union[bool, str, "os.PathLike[str]"] = True) -> "Network":
        """Road graph of an OpenStreetMap extract (.osm.pbf, .osm, .osm.bz2), read with libosmium.

        Parameters
        ----------
        path:
            The OSM file.
        bbox_or_polygon:
            Keep only the roads inside: a (west, south, east, north) tuple in degrees (lon/lat, EPSG:4326), a
            shapely (Multi)Polygon in ``crs``, or a GeoSeries/GeoDataFrame (its CRS is used; several polygons are
            merged). None: the whole file.
        profile:
            "car" (docs/osm.md: speeds per highway class, oneway rules, maxspeed).
        crs:
            Metric CRS of the graph.
        buffer_m:
            Grow the clip area by this many metres.
        keep_largest_component:
            Keep only the largest strongly connected component; what is dropped is in ``report``.
        speeds:
            Override class speeds, e.g. ``{"residential": 20}`` (km/h).
        hierarchy_cache:
            Where the contraction hierarchy is kept between runs. True (default): in a folder beside the road file,
            ``<path>.tlch/<key>.ch``, where key is the SHA-256 of the road file's bytes, of these options (profile,
            speeds, clip area, buffer, component rule, CRS) and of the file format version: another run, or
            another script, on the same file with the same options loads the hierarchy instead of building it.
            A path: that file. False: no cache. The file is read or written only when the hierarchy is needed
            (``prepare_hierarchy`` or a search that chooses it); a file that is refused (made for another graph,
            damaged, truncated) is built again and replaced, with a ``RuntimeWarning``. When the folder cannot be
            made or written, a ``RuntimeWarning`` says so and there is no cache. The road file is never written.

        The result has ``report`` (dict: ways read, routable, components, dropped nodes/edges/km, kept km…),
        ``osm_node_id`` (per node) and ``edges_frame()`` with the real road geometry.
        """
        if profile != "car":
            raise InputError(f"profile={profile!r} is not one of: car")
        sp = _core.SpeedProfile.car()
        if speeds:
            table = dict(sp.highway_kmh)
            for name, kmh in speeds.items():
                if not np.isfinite(float(kmh)) or float(kmh) <= 0:
                    raise InputError(f"speeds[{name!r}] = {kmh!r} must be a positive number of km/h")
                table[str(name)] = float(kmh)
            sp.highway_kmh = table
        clip = None if bbox_or_polygon is None else _clip_wkb(bbox_or_polygon, crs)
        g = _core.read_osm_roads(os.fspath(path), sp, crs, clip, float(buffer_m), bool(keep_largest_component))
        net = cls(g["x"], g["y"], g["edge_from"], g["edge_to"], g["minutes"], g["twoway"].astype(bool),
                  edge_length_m=g["length_m"], crs=crs)
        net._geometry = shapely.from_wkb(np.asarray(g["wkb"], dtype=object))
        net.osm_node_id = g["osm_id"]
        net.osm_way_id = g["way_id"]
        net.highway = np.asarray(g["highway"], dtype=object)
        net.report = dict(g["report"])
        cache = _hierarchy_cache_path(path, hierarchy_cache, sp, crs, clip, buffer_m, keep_largest_component)
        if cache is not None:
            net._core.set_hierarchy_cache(cache)
        return net

    # ------------------------------------------------------------------ basics
    @property
    def node_count(self) -> int:
        """Number of nodes."""
        return self._core.node_count

    @property
    def edge_count(self) -> int:
        """Number of edges (a two-way edge counts once)."""
        return self._core.edge_count

    def __repr__(self) -> str:
        return f"<tierslieux.Network {self.node_count} nodes, {self.edge_count} edges, {self.crs}>"

    # ------------------------------------------------------------------ searches
    def aggregate(self, values, max_minutes: float, kind: str = "sum", decay: str = "flat", sources=None, *,
                  threads: int = 0, progress: bool = False, algorithm: str = "auto") -> np.ndarray:
        """Aggregate ``values`` (one per node) over the nodes reachable within ``max_minutes`` of each source.

        ``kind``: "sum", "mean" or "count"; ``decay``: "flat" (weight 1), "linear" (1 - t/T) or "exponential"
        (exp(-t/T)). ``sources``: node ids (default: every node). Returns one float per source.
        Equivalent to pandana's ``Network.aggregate`` without a precompute step. ``algorithm``: see the class.
        """
        if kind not in _KINDS:
            raise InputError(f"kind={kind!r} is not one of: {', '.join(_KINDS)}")
        if decay not in _DECAYS:
            raise InputError(f"decay={decay!r} is not one of: flat, linear, exponential")
        algorithm = _algorithm(algorithm)
        v = _floats("values", values, self.node_count, "nodes")
        s = np.empty(0, dtype=np.uint32) if sources is None else _ids("sources", sources, self.node_count)
        if sources is not None and s.size == 0:
            return np.empty(0)
        T = float(max_minutes)
        if not np.isfinite(T) or T < 0:
            raise InputError(f"max_minutes must be finite and >= 0 (got {max_minutes!r})")
        out = self._core.aggregate(v, T, kind, decay, s, int(threads), _progress.bar(progress, "aggregate"),
                                   algorithm)
        self._say_hierarchy_problem()
        return out

    def travel_times(self, origins, destinations, max_minutes: Optional[float] = None, *, threads: int = 0,
                     progress: bool = False, algorithm: str = "auto", sparse: bool = False):
        """Shortest travel times in minutes, shape (len(origins), len(destinations)); NaN where unreachable or
        beyond ``max_minutes``.

        With ``sparse=True``: a ``scipy.sparse.csr_array`` holding only the pairs within reach (a time of 0 is
        stored explicitly; an absent pair is unreachable or beyond ``max_minutes``), computed in blocks of rows so
        the dense matrix never exists. ``algorithm``: see the class. For rows in blocks, see ``iter_travel_times``.
        """
        o = _ids("origins", origins, self.node_count)
        d = _ids("destinations", destinations, self.node_count)
        algorithm = _algorithm(algorithm)
        if not sparse:
            out = self._core.travel_times(o, d, _max_minutes(max_minutes), int(threads),
                                          _progress.bar(progress, "travel times"), algorithm)
            self._say_hierarchy_problem()
            return out
        from scipy.sparse import csr_array

        data, indices, indptr = [], [], [np.zeros(1, dtype=np.int64)]
        nnz = 0
        for _, block in self._blocks(o, d, max_minutes, threads, progress, algorithm, None):
            rows, cols = np.nonzero(~np.isnan(block))
            data.append(block[rows, cols])
            indices.append(cols)
            indptr.append(nnz + np.cumsum(np.bincount(rows, minlength=block.shape[0])))
            nnz += rows.size
        return csr_array((np.concatenate(data) if data else np.empty(0),
                          np.concatenate(indices) if indices else np.empty(0, dtype=np.int64),
                          np.concatenate(indptr)), shape=(o.size, d.size))

    def iter_travel_times(self, origins, destinations, max_minutes: Optional[float] = None, *,
                          block_rows: Optional[int] = None, threads: int = 0, progress: bool = False,
                          algorithm: str = "auto"):
        """The travel-time matrix streamed in blocks of rows: yields ``(first_row, block)`` where ``block`` is
        the dense ``(rows, len(destinations))`` array for ``origins[first_row:first_row + rows]`` (NaN where
        unreachable or beyond ``max_minutes``). ``block_rows`` defaults to what fits in 256 MB. Only one block
        is held at a time; the contraction hierarchy, when used, is built once and serves every block."""
        o = _ids("origins", origins, self.node_count)
        d = _ids("destinations", destinations, self.node_count)
        if block_rows is not None and (isinstance(block_rows, bool) or int(block_rows) != block_rows
                                       or int(block_rows) < 1):
            raise InputError(f"block_rows must be a whole number >= 1 (got {block_rows!r})")
        return self._blocks(o, d, max_minutes, threads, progress, _algorithm(algorithm), block_rows)

    def _blocks(self, o, d, max_minutes, threads, progress, algorithm, block_rows):
        T = _max_minutes(max_minutes)
        rows = int(block_rows) if block_rows else max(64, _BLOCK_BYTES // max(1, 8 * d.size))
        bar = _progress.bar(progress, "travel times", unit="origin")
        for start in range(0, o.size, rows):
            block = self._core.travel_times(o[start:start + rows], d, T, int(threads), None, algorithm)
            self._say_hierarchy_problem()
            if bar:
                bar(min(o.size, start + rows), o.size)
            yield start, block

    def prepare_hierarchy(self, *, threads: int = 0, progress: bool = False) -> "Network":
        """Build the contraction hierarchy now, on ``threads`` threads (0: all cores; the hierarchy is the same
        whatever their number; see bench/RESULTS.md for times), rather than on the first search that chooses it;
        or load it from the cache file (``from_osm``'s ``hierarchy_cache``). Returns self."""
        self._core.prepare_hierarchy(_progress.bar(progress, "contraction hierarchy", unit="node"), int(threads))
        self._say_hierarchy_problem()
        return self

    @property
    def has_hierarchy(self) -> bool:
        """True once the contraction hierarchy has been built or loaded (by ``prepare_hierarchy`` or a search)."""
        return bool(self._core.has_hierarchy)

    @property
    def hierarchy_origin(self) -> dict:
        """Where the contraction hierarchy came from: ``source`` ("none" until needed, "built" or "loaded"),
        ``path`` (the file it was loaded from or saved to, "" if none), ``saved`` (built and written to the cache
        file) and ``problem`` (why the cache file was refused or could not be written, "" if none)."""
        return dict(self._core.hierarchy_origin)

    def save_hierarchy(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Write the contraction hierarchy to ``path`` (after ``prepare_hierarchy`` or a search that used it;
        ``InputError`` before): a binary file that records a checksum of this graph, written to a temporary file
        then renamed into place."""
        self._core.save_hierarchy(os.fspath(path))

    def load_hierarchy(self, path: Union[str, "os.PathLike[str]"]) -> "Network":
        """Read a hierarchy written by ``save_hierarchy`` for this same graph. A file made for another graph
        (another road file, clip area or speed profile), truncated or damaged raises ``InputError`` naming it.
        Returns self."""
        self._core.load_hierarchy(os.fspath(path))
        return self

    def _say_hierarchy_problem(self) -> None:
        """A RuntimeWarning, once, when the cache file was refused or could not be written."""
        problem = self._core.hierarchy_origin["problem"]
        if problem and problem not in self._problems_said:
            self._problems_said.add(problem)
            warnings.warn(f"contraction hierarchy cache: {problem}", RuntimeWarning, stacklevel=3)

    def nearest_pois(self, poi_nodes, k: int = 1, max_minutes: Optional[float] = None, sources=None, *,
                     return_poi: bool = False, threads: int = 0, progress: bool = False) -> pd.DataFrame:
        """Travel minutes from each source (default: every node) to its ``k`` nearest points of interest.

        ``poi_nodes``: node id of each POI (several POIs may share a node). Returns a DataFrame indexed by source
        node with columns 1..k (minutes, ascending; NaN where fewer than k POIs lie within ``max_minutes``); with
        ``return_poi``, also columns poi1..poik (index into ``poi_nodes``, <NA> where there is none).
        Equivalent to pandana's ``nearest_pois``.
        """
        p = _ids("poi_nodes", poi_nodes, self.node_count)
        if isinstance(k, bool) or int(k) != k or int(k) < 1:
            raise InputError(f"k must be a whole number >= 1 (got {k!r})")
        s = np.empty(0, dtype=np.uint32) if sources is None else _ids("sources", sources, self.node_count)
        minutes, poi = self._core.nearest_pois(p, int(k), _max_minutes(max_minutes), s, int(threads),
                                               _progress.bar(progress, "nearest POIs"))
        index = pd.Index(np.arange(self.node_count) if sources is None else s.astype(np.int64), name="source")
        frame = pd.DataFrame(minutes, index=index, columns=range(1, int(k) + 1))
        if return_poi:
            for j in range(int(k)):
                col = pd.array(poi[:, j].astype(np.int64), dtype="Int64")
                col[np.isnan(minutes[:, j])] = pd.NA
                frame[f"poi{j + 1}"] = col
        return frame

    def nodes_in_range(self, sources, max_minutes: float, *, threads: int = 0,
                       progress: bool = False) -> pd.DataFrame:
        """Every node within ``max_minutes`` (inclusive; None: no bound) of each source: DataFrame (source,
        node_id, minutes), sources in the given order, nodes by id within each. One search per source, on
        ``threads`` threads."""
        s = _ids("sources", sources, self.node_count)
        T = _max_minutes(max_minutes)
        first, nodes, minutes = self._core.nodes_in_range(s, T, int(threads),
                                                          _progress.bar(progress, "nodes in range"))
        return pd.DataFrame({"source": np.repeat(s.astype(np.int64), np.diff(first)),
                             "node_id": nodes.astype(np.int64), "minutes": minutes})

    def nearest_nodes(self, x, y, *, return_distance: bool = False):
        """Id of the nearest node to each point (same CRS as the nodes); with return_distance, also the straight
        distance in metres."""
        xs = _floats("x", np.atleast_1d(x))
        ys = _floats("y", np.atleast_1d(y), xs.size, "points (x)")
        ids, dist = self._core.nearest_nodes(xs, ys)
        ids = ids.astype(np.int64)
        return (ids, dist) if return_distance else ids

    # ------------------------------------------------------------------ frames
    def edges_frame(self) -> gpd.GeoDataFrame:
        """The edges as a GeoDataFrame: from_node, to_node, length_m, minutes, twoway, geometry (LineString)."""
        if self._geometry is not None:
            geometry = self._geometry
        else:
            coords = np.stack([np.column_stack([self._x[self._from], self._y[self._from]]),
                               np.column_stack([self._x[self._to], self._y[self._to]])], axis=1)
            geometry = shapely.linestrings(coords)
        data = {"from_node": self._from.astype(np.int64), "to_node": self._to.astype(np.int64),
                "length_m": self._length, "minutes": self._minutes, "twoway": self._twoway.astype(bool)}
        if self.osm_way_id is not None:
            data["osm_way_id"] = self.osm_way_id
            data["highway"] = self.highway
        return gpd.GeoDataFrame(data, geometry=geometry, crs=self.crs)

    def nodes_frame(self) -> gpd.GeoDataFrame:
        """The nodes as a GeoDataFrame (node_id, geometry)."""
        return gpd.GeoDataFrame({"node_id": np.arange(self.node_count, dtype=np.int64)},
                                geometry=shapely.points(self._x, self._y), crs=self.crs)


def _hierarchy_cache_path(path, cache, profile, crs: str, clip: Optional[bytes], buffer_m: float,
                          keep_largest_component: bool) -> Optional[str]:
    """The cache file of from_osm's contraction hierarchy, or None (no cache; a RuntimeWarning when the folder
    cannot be made or written)."""
    if cache is False or cache is None:
        return None
    if cache is not True:
        return os.fspath(cache)
    digest = file_sha256(path, hashlib.sha256())
    options = {"format": _core.HIERARCHY_FILE_VERSION, "profile": profile.name,
               "highway_kmh": sorted(profile.highway_kmh.items()), "use_maxspeed": profile.use_maxspeed,
               "maxspeed_factor": profile.maxspeed_factor, "max_kmh": profile.max_kmh,
               "obey_oneway": profile.obey_oneway, "crs": crs, "clip": None if clip is None else clip.hex(),
               "buffer_m": float(buffer_m), "keep_largest_component": bool(keep_largest_component)}
    digest.update(json.dumps(options, sort_keys=True).encode())
    folder = os.fspath(path) + ".tlch"
    file = os.path.join(folder, digest.hexdigest()[:32] + ".ch")
    if os.path.isfile(file):
        return file  # read it even where it cannot be written
    # The engine makes the folder when it first writes the file; here only check that it could. A folder whose mode
    # lets nobody write (a read-only data share) counts as not writable even for root, whom access() lets through.
    def writable(p):
        return os.path.isdir(p) and os.access(p, os.W_OK) and os.stat(p).st_mode & 0o222 != 0

    parent = os.path.dirname(os.path.abspath(folder))
    if os.path.lexists(folder):
        problem = None if writable(folder) else "not a writable folder"
    else:
        problem = None if writable(parent) else f"'{parent}' is not writable"
    if problem:
        warnings.warn(f"contraction hierarchy cache: cannot write in '{folder}' ({problem}); the hierarchy will be "
                      "built when needed and not kept (hierarchy_cache=False: no cache, no warning)",
                      RuntimeWarning, stacklevel=3)
        return None
    return file


def _clip_wkb(area, crs: str) -> bytes:
    """The clip area as WKB in ``crs``."""
    if isinstance(area, (gpd.GeoDataFrame, gpd.GeoSeries)):
        if area.crs is None:
            raise InputError("bbox_or_polygon: the GeoDataFrame/GeoSeries has no CRS")
        geom = shapely.union_all(np.asarray(area.to_crs(crs).geometry.values))
    elif isinstance(area, (tuple, list)) and len(area) == 4:
        west, south, east, north = (float(v) for v in area)
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise InputError(f"bbox_or_polygon: {tuple(area)} is not (west, south, east, north) in degrees")
        geom = gpd.GeoSeries([shapely.box(west, south, east, north)], crs="EPSG:4326") \
            .segmentize(0.01).to_crs(crs).iloc[0]
    elif isinstance(area, shapely.Geometry):
        geom = area
    else:
        raise InputError("bbox_or_polygon must be a (west, south, east, north) tuple, a shapely polygon or a "
                         f"GeoSeries/GeoDataFrame, not {type(area).__name__}")
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
        raise InputError(f"bbox_or_polygon must be a polygon, got {geom.geom_type}")
    return shapely.to_wkb(geom, output_dimension=2, flavor="iso")
