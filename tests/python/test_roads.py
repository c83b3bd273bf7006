"""The whole job on a road graph: `tierslieux run --roads` on the real Saint-Barthélemy roads with the SYNTHETIC
territory of tests/data/make_saint_barthelemy_territory.py (synthetic cells, populations and sites)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import numpy as np
import pyogrio
import pytest
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

import tierslieux as tl

DATA = Path(__file__).resolve().parents[1] / "data"
PBF = DATA / "saint_barthelemy.osm.pbf"
TERRITORY = DATA / "saint_barthelemy_territory.gpkg"
CRS = "EPSG:5490"


def score(territory=TERRITORY, **kw):
    with pytest.warns(tl.DataWarning):
        return tl.score(territory, roads=PBF, thresholds=(3, 6), progress=False, **kw)


@pytest.fixture(scope="module")
def result():
    t = tl.load_territory(TERRITORY, crs=CRS)
    return score(t)


def test_road_graph_is_used(result):
    meta = result.attrs["tierslieux"]
    assert meta.graph_kind == "osm"
    edges = meta.network_edges
    assert len(edges) == 979 and edges.crs.to_epsg() == 5490
    assert edges["twoway"].sum() == 979 - 9  # the island has 9 one-way pieces in the kept component
    assert result["snapped"].all() and meta.communes["snapped"].all()
    assert (result["snap_distance_m"] < 100).all()


def test_pop_follows_the_contract_on_roads(result):
    """pop_T of a site = population of communes whose node reaches the site's node within T - access_minutes."""
    meta = result.attrs["tierslieux"]
    e, communes = meta.network_edges, meta.communes
    f, t, m, two = (e["from_node"].to_numpy(), e["to_node"].to_numpy(), e["minutes"].to_numpy(),
                    e["twoway"].to_numpy())
    n = int(max(f.max(), t.max())) + 1
    ff, tt, mm = np.concatenate([f, t[two]]), np.concatenate([t, f[two]]), np.concatenate([m, m[two]])
    order = np.lexsort((mm, tt, ff))
    keep = np.ones(order.size, dtype=bool)
    keep[1:] = (ff[order][1:] != ff[order][:-1]) | (tt[order][1:] != tt[order][:-1])
    o = order[keep]
    graph = coo_matrix((np.maximum(mm[o], 1e-12), (ff[o], tt[o])), shape=(n, n)).tocsr()
    # people travel from their commune's node to the site: times from every node to the site's node
    to_site = dijkstra(graph.T.tocsr(), directed=True, indices=result["node_id"].to_numpy())
    node = communes["node_id"].to_numpy()
    for k, (_, site) in enumerate(result.iterrows()):
        for T in (3, 6):
            within = to_site[k][node] <= T - site["access_minutes"] + 1e-9
            assert site[f"pop_{T}min"] == pytest.approx(communes["population"][within].sum()), (site["site_id"], T)
    # minutes_to_nearest_site of a commune: access + network + site access, the least over sites
    best = np.min(to_site[:, node] + result["access_minutes"].to_numpy()[:, None], axis=0)
    np.testing.assert_allclose(communes["minutes_to_nearest_site"], best + communes["access_minutes"], atol=1e-6)


def test_catchments_grow_with_the_threshold(result):
    c = result.attrs["tierslieux"].catchments
    assert set(c["site_id"]) == set(result["site_id"]) and set(c["minutes"]) == {3, 6}
    area = c.set_index(["site_id", "minutes"]).geometry.area
    for site_id in result["site_id"]:
        small, big = c[(c.site_id == site_id) & (c.minutes == 3)], c[(c.site_id == site_id) & (c.minutes == 6)]
        assert area[(site_id, 3)] < area[(site_id, 6)]
        assert big.geometry.iloc[0].buffer(1).contains(small.geometry.iloc[0])
        site = result.loc[result.site_id == site_id, "geometry"].iloc[0]
        assert small.geometry.iloc[0].contains(site)


def test_far_site_is_flagged_not_snapped(tmp_path):
    layers = {name: gpd.read_file(TERRITORY, layer=name) for name in ("communes", "town_halls", "sites")}
    sites = layers["sites"]
    sites.loc[0, "geometry"] = shapely.Point(sites.geometry.iloc[0].x, sites.geometry.iloc[0].y + 5000)  # at sea
    path = tmp_path / "far.gpkg"
    for name, frame in layers.items():
        frame.to_file(path, layer=name, driver="GPKG")
    with pytest.warns(tl.DataWarning) as record:
        r = tl.score(path, roads=PBF, thresholds=(3, 6), progress=False, crs=CRS)
    messages = " ".join(str(w.message) for w in record)
    assert "1 site lie(s) more than 1000 m" in messages and "synthetic-1" in messages
    far = r.set_index("site_id").loc["synthetic-1"]
    assert not far["snapped"] and np.isnan(far["pop_3min"]) and np.isnan(far["access_minutes"])
    assert far["snap_distance_m"] > 1000
    assert far["rank"] == len(r) or far["score"] <= r["score"].min() + 1e-9


def test_cli_with_roads(tmp_path):
    out = tmp_path / "sb.gpkg"
    p = subprocess.run([sys.executable, "-m", "tierslieux", "run", "--territory", str(TERRITORY), "--roads",
                        str(PBF), "--crs", CRS, "--thresholds", "3", "6", "--out", str(out)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "liaisons du réseau : 979 (graphe routier de" in p.stdout
    assert dict(pyogrio.list_layers(out)) == {"sites": "Point", "communes": "MultiPolygon",
                                               "network_edges": "LineString", "catchments": "MultiPolygon",
                                               "run_info": None, "diagnostics": None, "layer_styles": None}
    assert "kept the largest of 7 strongly connected parts" in p.stderr


def test_cli_missing_roads_file(tmp_path):
    p = subprocess.run([sys.executable, "-m", "tierslieux", "run", "--territory", str(TERRITORY), "--roads",
                        str(tmp_path / "none.osm.pbf"), "--crs", CRS, "--out", str(tmp_path / "o.gpkg")],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 4 and "none.osm.pbf" in p.stderr


# ---------------------------------------------------------------------------------------------- catalogue on roads

def _forward_graph(edges):
    """Directed csr graph of the road edges (cheapest parallel arc kept) and, per (from, to), the shortest length
    among the fastest arcs: an independent rebuild for checking directions and path lengths."""
    f, t, m, length, two = (edges["from_node"].to_numpy(), edges["to_node"].to_numpy(), edges["minutes"].to_numpy(),
                            edges["length_m"].to_numpy(), edges["twoway"].to_numpy())
    n = int(max(f.max(), t.max())) + 1
    ff, tt = np.concatenate([f, t[two]]), np.concatenate([t, f[two]])
    mm, ll = np.concatenate([m, m[two]]), np.concatenate([length, length[two]])
    order = np.lexsort((ll, mm, tt, ff))
    keep = np.ones(order.size, dtype=bool)
    keep[1:] = (ff[order][1:] != ff[order][:-1]) | (tt[order][1:] != tt[order][:-1])
    o = order[keep]
    graph = coo_matrix((np.maximum(mm[o], 1e-12), (ff[o], tt[o])), shape=(n, n)).tocsr()
    arc_length = {(int(a), int(b)): float(x) for a, b, x in zip(ff[o], tt[o], ll[o])}
    return graph, arc_length


def _path_metres(pred, arc_length, source, target):
    metres, v = 0.0, target
    while v != source:
        u = pred[v]
        metres += arc_length[(int(u), int(v))]
        v = u
    return metres


def test_commutes_and_competition_on_one_way_roads(tmp_path):
    """SYNTHETIC attraction area (cell SB014 as commune-centre, every other cell in its belt, active population =
    half the population) and one SYNTHETIC existing tiers-lieu at site synthetic-3, on the real roads: the
    engine's commute interception and competition criteria against an independent directed Dijkstra (scipy)."""
    layers = {name: gpd.read_file(TERRITORY, layer=name) for name in pyogrio.list_layers(TERRITORY)[:, 0]}
    communes = layers["communes"]
    communes["active_population"] = communes["population"] / 2
    communes["aav2020_code"] = "A01"
    communes["aav2020_category"] = np.where(communes["commune_code"] == "SB014", 11, 20)
    site3 = layers["sites"].set_index("site_id").loc["synthetic-3"]
    layers["existing_tiers_lieux"] = gpd.GeoDataFrame(
        {"id": ["tl-1"], "name": ["synthetic"], "commune_code": [site3["commune_code"]]},
        geometry=[site3.geometry], crs=layers["sites"].crs)
    path = tmp_path / "sb.gpkg"
    for name, frame in layers.items():
        frame.to_file(path, layer=name, driver="GPKG")
    L = 3.0
    with pytest.warns(tl.DataWarning):
        r = tl.score(tl.load_territory(path, crs=CRS), roads=PBF, thresholds=(3, 6), local_minutes=L,
                     commute={"max_ratio": 0.9}, progress=False)
    meta = r.attrs["tierslieux"]
    assert meta.commute_source == "aav2020" and not meta.skipped.keys() & {"commute_km_avoided", "demand_share"}
    graph, arc_length = _forward_graph(meta.network_edges)
    c = meta.communes.set_index("commune_code")
    s = r.set_index("site_id")
    metres_per_minute = 50 * 1000 / 60  # access legs at the default 50 km/h
    # commute interception: forward searches from each home (home -> site, home -> work)
    D, pred = dijkstra(graph, directed=True, indices=c["node_id"].to_numpy(), return_predecessors=True)
    row = {code: i for i, code in enumerate(c.index)}
    work = c.loc["SB014"]
    commuters = pd.Series(0.0, index=s.index)
    km = pd.Series(0.0, index=s.index)
    for code, home in c.iterrows():
        if code == "SB014":
            continue
        i, n = row[code], home["active_population"] * 0.15
        t_work = home["access_minutes"] + D[i, int(work["node_id"])] + work["access_minutes"]
        d_work = (home["access_minutes"] + work["access_minutes"]) * metres_per_minute + _path_metres(
            pred[i], arc_length, int(home["node_id"]), int(work["node_id"]))
        for site_id, site in s.iterrows():
            t_site = home["access_minutes"] + D[i, int(site["node_id"])] + site["access_minutes"]
            if t_site <= L and t_site <= 0.9 * t_work:
                d_site = (home["access_minutes"] + site["access_minutes"]) * metres_per_minute + _path_metres(
                    pred[i], arc_length, int(home["node_id"]), int(site["node_id"]))
                commuters[site_id] += n
                km[site_id] += n * max(0.0, d_work - d_site) / 1000 * 2 * 1.9 * 43.6 * 0.9
    assert commuters.sum() > 0, "the synthetic area must intercept someone, or the test checks nothing"
    np.testing.assert_allclose(s["commuters_intercepted"], commuters, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(s["commute_km_avoided"], km, rtol=1e-6, atol=1e-6)
    # competition: from the existing tiers-lieu (at synthetic-3: same node and access leg) to each site
    e_node, e_access = int(s.loc["synthetic-3", "node_id"]), s.loc["synthetic-3", "access_minutes"]
    from_e = dijkstra(graph, directed=True, indices=[e_node])[0]
    np.testing.assert_allclose(s["minutes_to_existing_tiers_lieu"],
                               e_access + from_e[s["node_id"].to_numpy()] + s["access_minutes"], atol=1e-9)
    # N(c): communes whose node reaches the tiers-lieu within L - its access; demand shared with it
    to_e = dijkstra(graph.T.tocsr(), directed=True, indices=[e_node])[0]
    n_c = (to_e[c["node_id"].to_numpy()] + e_access <= L + 1e-9).astype(float)
    np.testing.assert_allclose(c["existing_tiers_lieux_within"], n_c)
    to_sites = dijkstra(graph.T.tocsr(), directed=True, indices=s["node_id"].to_numpy())
    expected = [(c["population"] / (1 + n_c))[to_sites[k][c["node_id"].to_numpy()] + site["access_minutes"] <= L
                                              + 1e-9].sum() for k, (_, site) in enumerate(s.iterrows())]
    np.testing.assert_allclose(s["demand_share"], expected, rtol=1e-9)
    # the one-way pieces make some of these times differ by direction
    assert np.abs(D - dijkstra(graph.T.tocsr(), directed=True, indices=c["node_id"].to_numpy())).max() > 1e-6
