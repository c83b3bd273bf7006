"""tl.Network against scipy.sparse.csgraph.dijkstra on random graphs (synthetic, seeded), and its input errors."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

import tierslieux as tl


def random_graph(seed: int, n: int = 300, m: int = 700):
    """Synthetic: n nodes on a 20 km square, m edges, a third one-way, some zero-length, some duplicated."""
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, 20_000, n), rng.uniform(0, 20_000, n)
    f, t = rng.integers(0, n, m), rng.integers(0, n, m)
    minutes = rng.uniform(0, 6, m)
    minutes[::19] = 0.0
    twoway = np.arange(m) % 3 != 0
    return x, y, f, t, minutes, twoway


def scipy_times(n, f, t, minutes, twoway):
    """All-pairs reference with scipy (duplicate arcs: keep the shortest; zero weights: a tiny epsilon, since
    scipy's sparse format drops explicit zeros)."""
    ff = np.concatenate([f, t[twoway]])
    tt = np.concatenate([t, f[twoway]])
    mm = np.concatenate([minutes, minutes[twoway]])
    keep = ff != tt
    order = np.lexsort((mm[keep], tt[keep], ff[keep]))
    ff, tt, mm = ff[keep][order], tt[keep][order], mm[keep][order]
    first = np.ones(ff.size, dtype=bool)
    first[1:] = (ff[1:] != ff[:-1]) | (tt[1:] != tt[:-1])
    w = np.maximum(mm[first], 1e-12)
    g = coo_matrix((w, (ff[first], tt[first])), shape=(n, n)).tocsr()
    return dijkstra(g, directed=True)


@pytest.mark.parametrize("algorithm", ["auto", "dijkstra", "hierarchy"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_travel_times_equal_scipy(seed, algorithm):
    x, y, f, t, minutes, twoway = random_graph(seed)
    net = tl.Network(x, y, f, t, minutes, twoway)
    ref = scipy_times(x.size, f, t, minutes, twoway)
    origins = np.arange(0, x.size, 7)
    got = net.travel_times(origins, np.arange(x.size), algorithm=algorithm)
    expected = np.where(np.isinf(ref[origins]), np.nan, ref[origins])
    np.testing.assert_allclose(got, expected, atol=1e-6, equal_nan=True)
    bounded = net.travel_times(origins, np.arange(x.size), max_minutes=5.0, threads=1, algorithm=algorithm)
    np.testing.assert_allclose(bounded, np.where(expected <= 5.0 + 1e-9, expected, np.nan), atol=1e-6,
                               equal_nan=True)


@pytest.mark.parametrize("algorithm", ["dijkstra", "hierarchy"])
@pytest.mark.parametrize("decay", ["flat", "linear", "exponential"])
def test_aggregate_equals_summing_over_scipy_reach(decay, algorithm):
    x, y, f, t, minutes, twoway = random_graph(7)
    net = tl.Network(x, y, f, t, minutes, twoway)
    aggregate = net.aggregate
    net.aggregate = lambda *a, **k: aggregate(*a, algorithm=algorithm, **k)
    values = np.random.default_rng(0).integers(0, 100, x.size).astype(float)
    T = 9.0
    ref = scipy_times(x.size, f, t, minutes, twoway)
    within = ref <= T
    w = {"flat": np.ones_like(ref), "linear": 1 - ref / T, "exponential": np.exp(-ref / T)}[decay]
    w = np.where(within, w, 0.0)
    np.testing.assert_allclose(net.aggregate(values, T, "sum", decay), w @ values, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(net.aggregate(values, T, "count", decay), w.sum(axis=1), rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(net.aggregate(values, T, "mean", decay, threads=1),
                               (w @ values) / w.sum(axis=1), rtol=1e-9)
    sources = [5, 0, 5]
    np.testing.assert_allclose(net.aggregate(values, T, "sum", decay, sources=sources), (w @ values)[sources])


def test_hierarchy_is_built_once_on_demand_and_kept():
    x, y, f, t, minutes, twoway = random_graph(4)
    net = tl.Network(x, y, f, t, minutes, twoway)
    net.aggregate(np.ones(x.size), 5.0)  # 300 nodes: too small for the automatic choice to build it
    assert not net.has_hierarchy
    assert net.prepare_hierarchy() is net and net.has_hierarchy
    before = net.travel_times(np.arange(50), np.arange(300), algorithm="hierarchy")
    np.testing.assert_allclose(before, net.travel_times(np.arange(50), np.arange(300), algorithm="dijkstra"),
                               rtol=1e-12, atol=1e-12, equal_nan=True)


def test_sparse_and_streamed_matrices_equal_the_dense_one():
    x, y, f, t, minutes, twoway = random_graph(5)
    net = tl.Network(x, y, f, t, minutes, twoway)
    origins, destinations = np.arange(0, 300, 2), np.r_[np.arange(0, 300, 3), 0, 0]
    dense = net.travel_times(origins, destinations, max_minutes=8.0)
    sparse = net.travel_times(origins, destinations, max_minutes=8.0, sparse=True)
    assert sparse.shape == dense.shape and sparse.nnz == np.count_nonzero(~np.isnan(dense))
    # absent pairs are the NaN ones; a time of 0 (origin = destination) is stored, not dropped as a sparse zero
    explicit = sparse.tocoo()
    got = np.full(dense.shape, np.nan)
    got[explicit.row, explicit.col] = explicit.data
    np.testing.assert_array_equal(got, dense)
    assert (explicit.data == 0).sum() == (dense == 0).sum() > 0
    parts = list(net.iter_travel_times(origins, destinations, max_minutes=8.0, block_rows=40))
    assert [start for start, _ in parts] == [0, 40, 80, 120]
    np.testing.assert_array_equal(np.vstack([b for _, b in parts]), dense)
    with pytest.raises(ValueError, match=r"block_rows must be a whole number >= 1 \(got 0\)"):
        net.iter_travel_times(origins, destinations, block_rows=0)


def test_nodes_in_range_and_nearest_nodes():
    x, y, f, t, minutes, twoway = random_graph(3, n=80, m=150)
    net = tl.Network(x, y, f, t, minutes, twoway)
    ref = scipy_times(x.size, f, t, minutes, twoway)
    sources = [9, 4, 9, 77]  # any order, duplicates kept
    frame = net.nodes_in_range(sources, 6.0, threads=2)
    assert list(frame.columns) == ["source", "node_id", "minutes"]
    sizes = [int((ref[src] <= 6.0 + 1e-12).sum()) for src in sources]
    assert frame["source"].tolist() == np.repeat(sources, sizes).tolist()  # one block per source, in order
    for src in (4, 9, 77):
        sub = frame[frame["source"] == src]
        expected = np.flatnonzero(ref[src] <= 6.0 + 1e-12).tolist()
        assert sub["node_id"].tolist() == expected * sources.count(src)  # by id, once per occurrence
        np.testing.assert_allclose(sub["minutes"], ref[src][sub["node_id"]], atol=1e-6)
    assert net.nodes_in_range([], 6.0).shape == (0, 3)
    qx, qy = np.array([100.0, 19_000.0]), np.array([50.0, 7_000.0])
    ids, dist = net.nearest_nodes(qx, qy, return_distance=True)
    brute = np.hypot(x[None, :] - qx[:, None], y[None, :] - qy[:, None])
    np.testing.assert_allclose(dist, brute.min(axis=1))
    assert (brute[np.arange(2), ids] == brute.min(axis=1)).all()


def test_nearest_pois_equal_scipy():
    x, y, f, t, minutes, twoway = random_graph(5, n=120, m=260)
    net = tl.Network(x, y, f, t, minutes, twoway)
    ref = scipy_times(x.size, f, t, minutes, twoway)
    pois = np.array([3, 50, 50, 77, 119])
    frame = net.nearest_pois(pois, k=2, max_minutes=8.0, return_poi=True)
    assert list(frame.columns) == [1, 2, "poi1", "poi2"] and len(frame) == 120
    for src in range(120):
        times = np.sort(ref[src][pois])
        times = times[times <= 8.0]
        for j in (1, 2):
            got = frame.loc[src, j]
            if j <= times.size:
                assert got == pytest.approx(times[j - 1], abs=1e-6)
                assert ref[src][pois[frame.loc[src, f"poi{j}"]]] == pytest.approx(got, abs=1e-6)
            else:
                assert np.isnan(got) and frame.loc[src, f"poi{j}"] is pd.NA
    with pytest.raises(ValueError, match="k must be a whole number"):
        net.nearest_pois(pois, k=0)


def test_edges_frame_has_crs_and_one_row_per_edge():
    x, y, f, t, minutes, twoway = random_graph(4, n=30, m=40)
    frame = tl.Network(x, y, f, t, minutes, twoway).edges_frame()
    assert len(frame) == 40 and frame.crs.to_epsg() == 2154
    assert frame["twoway"].tolist() == twoway.tolist()
    np.testing.assert_allclose(frame.length, frame["length_m"])


@pytest.mark.parametrize("call, message", [
    (lambda n: n.aggregate(np.ones(4), 5), r"values has 4 values for 5 nodes"),
    (lambda n: n.aggregate([1, 1, np.nan, 1, 1], 5), r"values\[2\] = nan is not a finite number"),
    (lambda n: n.aggregate(np.ones(5), 5, kind="bogus"), r"kind='bogus' is not one of: sum, mean, count"),
    (lambda n: n.aggregate(np.ones(5), 5, decay="gauss"), r"decay='gauss' is not one of"),
    (lambda n: n.aggregate(np.ones(5), -1), r"max_minutes must be finite and >= 0"),
    (lambda n: n.aggregate(np.ones(5), 5, sources=[0, 7]), r"sources\[1\] = 7 is not a node id"),
    (lambda n: n.travel_times([0, -1], [1]), r"origins\[1\] = -1 is not a node id"),
    (lambda n: n.travel_times([0], [1.5]), r"destinations\[0\] = 1.5 is not a node id"),
    (lambda n: n.travel_times([0], [1], max_minutes=float("nan")), r"max_minutes must be >= 0"),
    (lambda n: n.travel_times([0], [1], algorithm="fast"), r"algorithm='fast' is not one of: auto, dijkstra"),
    (lambda n: n.aggregate(np.ones(5), 5, algorithm="ch"), r"algorithm='ch' is not one of: auto, dijkstra"),
])
def test_bad_arguments_name_argument_and_index(call, message):
    net = tl.Network([0, 1, 2, 3, 4], [0, 0, 0, 0, 0], [0, 1, 2], [1, 2, 3], [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match=message):
        call(net)


@pytest.mark.parametrize("kwargs, message", [
    (dict(edge_minutes=[1.0, -2.0]), r"edge_minutes\[1\] = -2.0 \(must be finite and >= 0\)"),
    (dict(edge_minutes=[1.0, float("nan")]), r"edge_minutes\[1\] = nan"),
    (dict(edge_to=[1, 9]), r"edge_to\[1\] = 9 is not a node id"),
    (dict(edge_to=[1]), r"edge_to has 1 values for 2 edges"),
    (dict(node_y=[0.0, 0.0]), r"node_y has 2 values for 3 nodes"),
    (dict(twoway=[True]), r"twoway has 1 flags for 2 edges"),
])
def test_bad_construction_is_refused(kwargs, message):
    args = dict(node_x=[0.0, 1.0, 2.0], node_y=[0.0, 0.0, 0.0], edge_from=[0, 1], edge_to=[1, 2],
                edge_minutes=[1.0, 2.0])
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        tl.Network(**args)


def test_disconnected_and_one_way_trap():
    # 0 <-> 1 -> 2 (one-way), 3 alone
    net = tl.Network([0, 1, 2, 3], [0, 0, 0, 0], [0, 1], [1, 2], [1.0, 1.0], twoway=[True, False])
    tt = net.travel_times([0, 2, 3], [0, 1, 2, 3])
    np.testing.assert_array_equal(np.isnan(tt), [[False, False, False, True],
                                                 [True, True, False, True],
                                                 [True, True, True, False]])
    assert net.aggregate(np.ones(4), 10, "count").tolist() == [3, 3, 1, 1]  # 1 reaches 0, itself and 2


def test_hierarchy_is_the_same_on_any_number_of_threads_and_saved_loaded_exactly(tmp_path):
    x, y, f, t, minutes, twoway = random_graph(6, n=2000, m=4000)
    one = tl.Network(x, y, f, t, minutes, twoway).prepare_hierarchy(threads=1)
    two = tl.Network(x, y, f, t, minutes, twoway).prepare_hierarchy(threads=2)
    one.save_hierarchy(tmp_path / "one.ch")
    two.save_hierarchy(tmp_path / "two.ch")
    assert (tmp_path / "one.ch").read_bytes() == (tmp_path / "two.ch").read_bytes()
    loaded = tl.Network(x, y, f, t, minutes, twoway).load_hierarchy(tmp_path / "one.ch")
    assert loaded.has_hierarchy and loaded.hierarchy_origin["source"] == "loaded"
    origins = np.arange(0, 2000, 37)
    np.testing.assert_array_equal(loaded.travel_times(origins, np.arange(2000), algorithm="hierarchy"),
                                  one.travel_times(origins, np.arange(2000), algorithm="hierarchy"))
    np.testing.assert_allclose(loaded.travel_times(origins, np.arange(2000), algorithm="hierarchy"),
                               one.travel_times(origins, np.arange(2000), algorithm="dijkstra"),
                               rtol=1e-12, atol=1e-12, equal_nan=True)


def test_hierarchy_file_errors_name_the_file(tmp_path):
    x, y, f, t, minutes, twoway = random_graph(7)
    net = tl.Network(x, y, f, t, minutes, twoway)
    with pytest.raises(ValueError, match="net.ch.*prepare_hierarchy"):
        net.save_hierarchy(tmp_path / "net.ch")
    net.prepare_hierarchy().save_hierarchy(tmp_path / "net.ch")
    slower = tl.Network(x, y, f, t, minutes * 1.5, twoway)
    with pytest.raises(ValueError, match="net.ch.*another graph"):
        slower.load_hierarchy(tmp_path / "net.ch")
    same = tl.Network(x, y, f, t, minutes, twoway)
    (tmp_path / "cut.ch").write_bytes((tmp_path / "net.ch").read_bytes()[:100])
    with pytest.raises(ValueError, match="cut.ch.*truncated"):
        same.load_hierarchy(tmp_path / "cut.ch")
    with pytest.raises(OSError, match="none.ch"):
        same.load_hierarchy(tmp_path / "none.ch")
    assert not slower.has_hierarchy and not same.has_hierarchy
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.ch", "net.ch"]
