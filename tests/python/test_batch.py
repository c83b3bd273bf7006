"""Batch runs on Dask (tl.batch, tl.partition_territory, `tierslieux batch`), on the real default territory
(geodata/baronnies.gpkg) partitioned by EPCI, with a local cluster of 2 workers (docs/scale.md)."""
import json
import os
import shutil
import signal
import sqlite3
import threading
import time
from pathlib import Path
from urllib.parse import quote

import distributed  # requirements-dev.txt installs it: missing, these tests fail rather than skip
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

import tierslieux as tl
from tierslieux import cli


TERRITORY = tl.default_territory_path()
#: EPCIs of the study area and their number of communes in it (geodata/README.md; the file's epci_code field).
EPCIS = {"200068229": 54, "200068765": 31, "200067445": 4, "242600492": 4}


def _layer(path, name):
    return pyogrio.read_dataframe(path, layer=name)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One batch of the default territory by EPCI on 2 workers: (partitions table, out path)."""
    out = tmp_path_factory.mktemp("batch") / "baronnies_epci.gpkg"
    partitions = tl.batch(TERRITORY, "epci_code", out=out, workers=2)
    return partitions, out


def test_partitions_are_the_study_area_epcis(run, tmp_path):
    table = tl.partition_territory(TERRITORY, "epci_code", out_dir=tmp_path)
    study = gpd.read_file(TERRITORY, layer="communes")
    study = study[study["in_territory"]]
    assert table["partition"].tolist() == sorted(study["epci_code"].unique())
    counts = dict(zip(table["partition"], table["communes"]))
    assert {k: counts[k] for k in EPCIS} == EPCIS
    assert table["communes"].sum() == len(study) == 98
    for row in table.itertuples():
        communes = _layer(row.path, "communes")
        inside = communes[communes["in_territory"]]
        assert set(inside["epci_code"]) == {row.partition} and len(inside) == row.communes
        assert list(communes.columns) == list(study.columns)
        assert communes["commune_code"].is_monotonic_increasing
        sites = _layer(row.path, "sites")
        assert set(sites["commune_code"]) <= set(inside["commune_code"])
        assert set(_layer(row.path, "town_halls")["commune_code"]) == set(communes["commune_code"])
        layers = {name for name, _ in pyogrio.list_layers(row.path)}
        assert layers == {"communes", "town_halls", "sites", "broadband", "existing_tiers_lieux"}
    # every neighbour lies within the halo of the partition's study area, and every commune within it is kept
    row = table.set_index("partition").loc["200067445"]
    communes = _layer(row.path, "communes")
    inside = study[study["epci_code"] == "200067445"].union_all()
    all_communes = gpd.read_file(TERRITORY, layer="communes")
    near = all_communes[all_communes.distance(inside) <= 20_000]
    assert set(communes["commune_code"]) == set(near["commune_code"])


def test_partition_files_are_byte_identical_when_rewritten(run, tmp_path):
    _, out = run
    again = tl.partition_territory(TERRITORY, "epci_code", out_dir=tmp_path)
    for path in again["path"]:
        first = out.with_name(out.stem + ".parts") / "territories" / Path(path).name
        assert Path(path).read_bytes() == first.read_bytes()


@pytest.mark.parametrize("epci", ["200068229", "200068765", "200067445", "242600492"])
def test_batch_sites_equal_a_single_run_of_the_partition(run, epci):
    partitions, out = run
    territory = out.with_name(out.stem + ".parts") / "territories" / f"{epci}.gpkg"
    with pytest.warns(tl.DataWarning):
        alone = tl.score(territory, progress=False)
    sites = _layer(out, "sites")
    mine = sites[sites["partition"] == epci].drop(columns="partition").reset_index(drop=True)
    assert len(mine) == len(alone) == partitions.set_index("partition").loc[epci, "sites"]
    columns = [c for c in alone.columns if c != "geometry"]
    assert list(mine.columns) == list(alone.columns)
    pd.testing.assert_frame_equal(mine[columns], pd.DataFrame(alone[columns]), check_dtype=False, check_exact=True)
    assert mine.geometry.geom_equals_exact(alone.geometry.reset_index(drop=True), tolerance=0).all()
    communes = _layer(out, "communes")
    assert sorted(communes.loc[communes["partition"] == epci, "commune_code"]) == sorted(
        alone.attrs["tierslieux"].communes.query("in_territory")["commune_code"])


def test_partitions_table(run):
    partitions, out = run
    table = _layer(out, "partitions")
    assert table["partition"].tolist() == sorted(table["partition"])
    assert list(table.columns) == ["partition", "status", "communes", "sites", "seconds", "worker", "warnings",
                                   "worker_peak_mb"]
    scored = table[table["status"] == "scored"]
    # 200071033 has one candidate site: no ranking, said so instead of failing the batch
    assert table.set_index("partition").loc["200071033", "status"].startswith("not scored: 1 site(s)")
    assert (scored["seconds"] > 0).all() and scored["worker"].str.startswith("tcp://").all()
    assert (scored["warnings"] > 0).all()
    # a worker holds the engine, geopandas and a partition: some tens of MB at least, far from this machine's 24 GB
    assert scored["worker_peak_mb"].between(50, 8000).all(), scored["worker_peak_mb"].tolist()
    sites = _layer(out, "sites")
    assert sites.groupby("partition").size().to_dict() == scored.set_index("partition")["sites"].to_dict()
    assert partitions["computed"].sum() == len(scored)


def _sql(path, query):
    with sqlite3.connect(path) as con:
        return con.execute(query).fetchall()


def _styled_as_a_single_run(out, lang, checkpoint):
    """The gathered file has a single run's styles, descriptions and field titles (in ``lang``), and the batch's own
    for the partition column and the partitions table."""
    from tierslieux import _styles
    from tierslieux._titles import field_title, layer_description

    styles = {name: (qml, sld, default) for name, qml, sld, default in
              _sql(out, "select f_table_name, styleQML, styleSLD, useAsDefault from layer_styles")}
    assert sorted(styles) == ["catchments", "communes", "sites"]
    for name in styles:  # tl._styles' own style of the gathered layer, default in QGIS
        expected = _styles.style_for(name, _layer(out, name), lang)
        assert styles[name] == (expected["qml"], expected["sld"], 1)
    assert "&quot;rank&quot; &lt;= 10" in styles["sites"][0]  # the 10 best of each partition labelled (ranks per partition)
    contents = dict(_sql(out, "select table_name, description from gpkg_contents"))
    for name in ("sites", "communes", "catchments"):
        assert contents[name].startswith(layer_description(name, lang)) and "partition" in contents[name]
    assert contents["partitions"] and contents["layer_styles"] == layer_description("layer_styles", lang)
    titles = {(t, c): (title, d) for t, c, title, d in
              _sql(out, "select table_name, column_name, title, description from gpkg_data_columns")}
    single = {(t, c): title for t, c, title, _ in
              _sql(checkpoint, "select table_name, column_name, title, description from gpkg_data_columns")}
    for (table, column), title in single.items():  # every title of a single run's layers, as it writes them
        if table in ("sites", "communes", "catchments"):
            assert titles[(table, column)][0] == title == field_title(table, column, lang)[0]
    partition_title = {"fr": "Partition", "en": "Partition"}[lang]
    for table in ("sites", "communes", "catchments", "partitions"):
        assert titles[(table, "partition")][0] == partition_title
    words = {"fr": ("Statut", "Mémoire maximale du worker (Mo)", "[en: "),
             "en": ("Status", "Worker peak memory (MB)", "[fr: ")}[lang]
    assert titles[("partitions", "status")][0] == words[0]
    assert titles[("partitions", "worker_peak_mb")][0] == words[1] and words[2] in titles[("partitions",
                                                                                            "seconds")][1]
    assert {c for t, c in titles if t == "partitions"} == set(_layer(out, "partitions").columns)


def test_gathered_file_is_styled_and_titled_as_a_single_run(run):
    _, out = run
    _styled_as_a_single_run(out, "fr", out.with_name(out.stem + ".parts") / "200068229.gpkg")


def test_same_answer_with_one_worker(run, tmp_path):
    _, out = run
    partitions = tl.batch(TERRITORY, "epci_code", out=tmp_path / "one.gpkg", workers=1)
    assert partitions["worker"].nunique() == 2  # one worker, and "" for the partition not scored
    for name in ("sites", "communes", "catchments"):
        pd.testing.assert_frame_equal(_layer(tmp_path / "one.gpkg", name), _layer(out, name), check_exact=True)


def test_restart_skips_checkpointed_partitions(run, tmp_path):
    _, out = run
    copy = tmp_path / "again.gpkg"
    shutil.copytree(out.with_name(out.stem + ".parts"), tmp_path / "again.parts")
    partitions = tl.batch(TERRITORY, "epci_code", out=copy, workers=1)
    assert not partitions["computed"].any()  # nothing recomputed: no cluster was even started
    for name in ("sites", "communes", "catchments", "partitions"):
        pd.testing.assert_frame_equal(_layer(copy, name), _layer(out, name), check_exact=True)
    # a checkpoint whose input changed is recomputed, alone
    os.remove(tmp_path / "again.parts" / "242600492.gpkg")
    partitions = tl.batch(TERRITORY, "epci_code", out=copy, workers=1)
    assert partitions.loc[partitions["computed"], "partition"].tolist() == ["242600492"]
    for name in ("sites", "communes", "catchments"):
        pd.testing.assert_frame_equal(_layer(copy, name), _layer(out, name), check_exact=True)


def test_a_killed_worker_loses_and_duplicates_no_partition(run, tmp_path):
    _, out = run
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    client = distributed.Client(cluster)
    result, killed = {}, []
    try:
        job = threading.Thread(target=lambda: result.update(
            table=tl.batch(TERRITORY, "epci_code", out=tmp_path / "killed.gpkg", scheduler=cluster.scheduler_address)))
        job.start()
        pids = client.run(os.getpid)
        deadline = time.monotonic() + 60
        while not killed and time.monotonic() < deadline:
            busy = [w for w, keys in client.processing().items() if any("200068229" in str(k) for k in keys)]
            if busy:  # the largest partition is being scored: kill its worker's process
                os.kill(pids[busy[0]], signal.SIGKILL)
                killed.append(busy[0])
            time.sleep(0.05)
        job.join(120)
    finally:
        client.close()
        cluster.close()
    assert killed, "the largest partition never started"
    table = result["table"]
    assert table["partition"].is_unique and table.loc[table["partition"] == "200068229", "computed"].all()
    for name in ("sites", "communes", "catchments"):
        pd.testing.assert_frame_equal(_layer(tmp_path / "killed.gpkg", name), _layer(out, name), check_exact=True)


@pytest.mark.parametrize("by, words", [("no_such_field", "field 'no_such_field' to partition by is missing"),
                                       ("population_vintage", None)])
def test_bad_partition_field(tmp_path, by, words):
    if words is None:  # a field that exists but is empty in the study area
        src = tmp_path / "t.gpkg"
        shutil.copy(TERRITORY, src)
        communes = gpd.read_file(src, layer="communes")
        communes["epci_code"] = None
        communes.to_file(src, layer="communes", driver="GPKG")
        by, words, path = "epci_code", "field 'epci_code' to partition by is empty", src
    else:
        path = TERRITORY
    with pytest.raises(tl.InputError, match=f"'{path}', layer 'communes': {words}"):
        tl.batch(path, by, out=tmp_path / "x.gpkg", workers=1)
    assert not (tmp_path / "x.gpkg").exists()


def test_partitions_that_cannot_be_scored_are_named(tmp_path):
    # a weight for observed_visits, which the territory cannot give (no site_observations): every partition fails
    settings = tl.Settings.from_keywords(weights={"observed_visits": 1.0})
    with pytest.raises(tl.InputError, match=r"7 partition\(s\) of .* could not be scored \(200040681: InputError: "
                                            r".*observed_visits.*; 248400335: "):
        tl.batch(TERRITORY, "epci_code", out=tmp_path / "x.gpkg", workers=1, settings=settings)
    assert not (tmp_path / "x.gpkg").exists()
    assert not list((tmp_path / "x.parts").glob("*.gpkg"))  # no checkpoint of a failed partition


def test_bad_halo_and_out(tmp_path):
    with pytest.raises(tl.InputError, match="halo_km"):
        tl.partition_territory(TERRITORY, "epci_code", halo_km=-1, out_dir=tmp_path)
    with pytest.raises(tl.InputError, match="must end in .gpkg"):
        tl.batch(TERRITORY, "epci_code", out=tmp_path / "x.csv", workers=1)


# --- partitioning by a list of study areas (a table or a dict) ---------------------------------------------------

#: Two EPCIs of the study area, as a planner would list them, and a third area overlapping both (two candidate
#: projects sharing communes).
AREAS = {"nord": ["05028", "05099", "05131", "05158"], "sud": ["26202", "26276", "26350", "26373"],
         "projet commun": ["05158", "26202"]}


def _areas_csv(path, areas=AREAS):
    rows = [(area, code) for area, codes in areas.items() for code in codes]
    pd.DataFrame(rows, columns=["study_area", "commune_code"]).to_csv(path, index=False)
    return path


def test_partition_by_a_list_of_study_areas(tmp_path):
    by_field = tl.partition_territory(TERRITORY, "epci_code", out_dir=tmp_path / "field").set_index("partition")
    csv = _areas_csv(tmp_path / "areas.csv")
    table = tl.partition_territory(TERRITORY, csv, out_dir=tmp_path / "csv")
    assert table["partition"].tolist() == sorted(AREAS)
    assert dict(zip(table["partition"], table["communes"])) == {k: len(v) for k, v in AREAS.items()}
    paths = dict(zip(table["partition"], table["path"]))
    # an area that is an EPCI gives the EPCI's partition file, byte for byte
    for area, epci in (("nord", "200067445"), ("sud", "242600492")):
        assert Path(paths[area]).read_bytes() == Path(by_field.loc[epci, "path"]).read_bytes()
    # overlap: a commune of two areas is in the study area of both, with its sites
    shared = _layer(paths["projet commun"], "communes")
    assert sorted(shared.loc[shared["in_territory"], "commune_code"]) == ["05158", "26202"]
    sites = _layer(paths["projet commun"], "sites")
    nord_sites = _layer(paths["nord"], "sites")
    assert set(sites.loc[sites["commune_code"] == "05158", "site_id"]) == set(
        nord_sites.loc[nord_sites["commune_code"] == "05158", "site_id"]) != set()
    assert Path(paths["projet commun"]).name == "projet%20commun.gpkg"
    # a dict and a GeoPackage table give the same files
    as_dict = tl.partition_territory(TERRITORY, AREAS, out_dir=tmp_path / "dict")
    gpkg = tmp_path / "areas.gpkg"
    pyogrio.write_dataframe(pd.read_csv(csv, dtype=str), gpkg, layer="study_areas", driver="GPKG")
    pyogrio.write_dataframe(pd.DataFrame({"x": [1]}), gpkg, layer="other", driver="GPKG")
    as_gpkg = tl.partition_territory(TERRITORY, gpkg, out_dir=tmp_path / "gpkg")
    for other in (as_dict, as_gpkg):
        for a, b in zip(other["path"], table["path"]):
            assert Path(a).read_bytes() == Path(b).read_bytes()


@pytest.mark.parametrize("rows, words", [
    ([("nord", "05028"), ("nord", "99999")], r"row 2 \(line 3\): commune code '99999' of study area 'nord' is not in"),
    ([("nord", "05028"), ("", "05099")], r"row 2 \(line 3\): the study area \(study_area\) is empty"),
    ([("nord", "05028"), ("sud", "")], r"row 2 \(line 3\): study area 'sud' has an empty commune_code"),
    ([("nord", "05028"), ("sud", "26202"), ("nord", "05028")],
     r"row 3 \(line 4\): commune 05028 is listed twice in study area 'nord' \(also row 1 \(line 2\)\)"),
    ([("nord", "04013")], r"row 1 \(line 2\): commune 04013 of study area 'nord' is a neighbour in .*in_territory "
                          r"false"),
])
def test_bad_list_of_study_areas(tmp_path, rows, words):
    csv = tmp_path / "areas.csv"
    pd.DataFrame(rows, columns=["study_area", "commune_code"]).to_csv(csv, index=False)
    with pytest.raises(tl.InputError, match=f"study areas file '{csv}', {words}"):
        tl.partition_territory(TERRITORY, csv, out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_a_list_whose_areas_cannot_be_ranked(tmp_path):
    # 26200 has one candidate site: no ranking, said so; nothing to score, so no cluster is started
    partitions = tl.batch(TERRITORY, {"seul": ["26200"]}, out=tmp_path / "x.gpkg", workers=1)
    assert partitions["status"].tolist() == ["not scored: 1 site(s), a ranking needs at least 2"]
    assert {name for name, _ in pyogrio.list_layers(tmp_path / "x.gpkg")} == {"partitions", "layer_styles"}


def test_bad_list_of_study_areas_other_forms(tmp_path):
    with pytest.raises(tl.InputError, match=r"study areas file '.*nope.csv' not found"):
        tl.partition_territory(TERRITORY, tmp_path / "nope.csv", out_dir=tmp_path)
    wrong = tmp_path / "wrong.csv"
    pd.DataFrame({"area": ["a"], "commune_code": ["05028"]}).to_csv(wrong, index=False)
    with pytest.raises(tl.InputError, match=r"wrong\.csv': column\(s\) study_area missing "
                                            r"\(columns: area, commune_code\)"):
        tl.partition_territory(TERRITORY, wrong, out_dir=tmp_path)
    with pytest.raises(tl.InputError, match="the study areas given: study area 'vide' lists no commune"):
        tl.partition_territory(TERRITORY, {"vide": [], "nord": ["05028"]}, out_dir=tmp_path)
    with pytest.raises(tl.InputError, match=r"study area 'nord', item 2: commune code '123' .* is not in"):
        tl.partition_territory(TERRITORY, {"nord": ["05028", 123]}, out_dir=tmp_path)
    with pytest.raises(tl.InputError, match="study area 'nord': give a list of commune codes"):
        tl.partition_territory(TERRITORY, {"nord": "05028"}, out_dir=tmp_path)


# --- halos in minutes ----------------------------------------------------------------------------------------------

def _study_and_neighbours(table):
    out = {}
    for row in table.itertuples():
        communes = _layer(row.path, "communes")
        out[row.partition] = (frozenset(communes.loc[communes["in_territory"], "commune_code"]),
                              frozenset(communes["commune_code"]))
    return out


def _minutes_oracle(settings=None):
    """Town hall to town hall minutes on the graph of a run of the whole file, by scipy (an independent check of
    the engine's searches): (commune codes, matrix)."""
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import dijkstra

    with pytest.warns(tl.DataWarning):
        meta = tl.score(TERRITORY, settings=settings or tl.Settings(stability_draws=0), progress=False
                        ).attrs["tierslieux"]
    edges, communes = meta.network_edges, meta.communes
    n = int(communes["node_id"].max()) + 1
    graph = coo_array((edges["minutes"], (edges["from_node"], edges["to_node"])), shape=(n, n)).tocsr()
    minutes = dijkstra(graph, directed=False)
    nodes = communes["node_id"].to_numpy()
    return communes["commune_code"].tolist(), minutes[np.ix_(nodes, nodes)]


def test_halo_in_minutes(tmp_path):
    large_km = tl.partition_territory(TERRITORY, "epci_code", halo_km=1000, out_dir=tmp_path / "km")
    large_min = tl.partition_territory(TERRITORY, "epci_code", halo_minutes=10_000, out_dir=tmp_path / "min")
    assert (large_km["neighbours"] + large_km["communes"] == 431).all()
    for a, b in zip(large_km["path"], large_min["path"]):  # everything is within both: the same files
        assert Path(a).read_bytes() == Path(b).read_bytes()
    codes, minutes = _minutes_oracle()
    index = {c: i for i, c in enumerate(codes)}
    previous = _study_and_neighbours(large_min)
    for halo in (30, 15, 5, 0):
        table = tl.partition_territory(TERRITORY, "epci_code", halo_minutes=halo, out_dir=tmp_path / f"m{halo}")
        parts = _study_and_neighbours(table)
        for pid, (study, kept) in parts.items():
            assert kept <= previous[pid][1] and study == previous[pid][0]  # a smaller halo: a subset
            rows = [index[c] for c in study]
            within = {c for c in codes if minutes[rows, index[c]].min() <= halo + 1e-9}
            assert kept == frozenset(within), (halo, pid)
        previous = parts
    assert all(study == kept for study, kept in previous.values())  # halo 0: the study area alone


def test_halo_in_minutes_follows_the_run_settings(tmp_path):
    # twice the speed on the commune graph: every edge takes half the minutes (exactly), so 15 min reach as far
    fast = tl.partition_territory(TERRITORY, "epci_code", halo_minutes=15, out_dir=tmp_path / "fast",
                                  settings=tl.Settings(speed_kmh=100))
    slow = tl.partition_territory(TERRITORY, "epci_code", halo_minutes=30, out_dir=tmp_path / "slow")
    assert _study_and_neighbours(fast) == _study_and_neighbours(slow)
    assert (fast["neighbours"] > tl.partition_territory(TERRITORY, "epci_code", halo_minutes=15,
                                                        out_dir=tmp_path / "s15")["neighbours"]).any()


def test_halo_in_minutes_on_a_road_graph(tmp_path):
    """With --roads, the halo is measured on the run's road graph: access leg + directed shortest path + access
    leg (the real Saint-Barthélemy roads, SYNTHETIC communes of tests/data)."""
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import dijkstra

    data = Path(__file__).resolve().parents[1] / "data"
    territory, settings = data / "saint_barthelemy_territory.gpkg", tl.Settings(
        roads=str(data / "saint_barthelemy.osm.pbf"), crs="EPSG:5490", stability_draws=0, thresholds=(3, 6))
    with pytest.warns(tl.DataWarning):
        meta = tl.score(territory, settings=settings, progress=False).attrs["tierslieux"]
    assert meta.graph_kind == "osm"
    edges, communes = meta.network_edges, meta.communes.set_index("commune_code")
    n = int(max(edges["from_node"].max(), edges["to_node"].max(), communes["node_id"].max())) + 1
    back = edges[edges["twoway"].astype(bool)]
    graph = coo_array((np.r_[edges["minutes"], back["minutes"]], (np.r_[edges["from_node"], back["to_node"]],
                                                                  np.r_[edges["to_node"], back["from_node"]])),
                      shape=(n, n)).tocsr()
    snapped = communes[communes["snapped"].astype(bool)]
    nodes = snapped["node_id"].astype(int).to_numpy()
    access = snapped["access_minutes"].to_numpy()
    minutes = access[:, None] + dijkstra(graph, indices=nodes)[:, nodes] + access[None, :]
    codes = snapped.index.tolist()
    areas = {"ouest": ["SB001", "SB002", "SB005"], "est": ["SB026", "SB027"]}
    sizes = []
    for halo in (1, 2, 4):
        table = tl.partition_territory(territory, areas, halo_minutes=halo, out_dir=tmp_path / f"m{halo}",
                                       settings=settings)
        for pid, (study, kept) in _study_and_neighbours(table).items():
            rows = [codes.index(c) for c in study]
            assert kept == frozenset(areas[pid]) | {c for j, c in enumerate(codes)
                                                    if minutes[rows, j].min() <= halo + 1e-9}, (halo, pid)
            sizes.append(len(kept))
    assert len(set(sizes)) > 2, sizes  # the halos differ


def test_bad_halos(tmp_path):
    with pytest.raises(tl.InputError, match="either in kilometres .* or in minutes .*, not both"):
        tl.partition_territory(TERRITORY, "epci_code", halo_km=10, halo_minutes=10, out_dir=tmp_path)
    for bad in (-1, float("nan"), "soon", True):
        with pytest.raises(tl.InputError, match="halo_minutes must be a finite number of minutes ≥ 0"):
            tl.partition_territory(TERRITORY, "epci_code", halo_minutes=bad, out_dir=tmp_path)
    with pytest.raises(SystemExit):
        cli.main(["batch", "--by", "epci_code", "--out", str(tmp_path / "x.gpkg"), "--halo-km", "5",
                  "--halo-min", "5"])


def test_batch_by_study_areas_with_a_halo_in_minutes(tmp_path):
    csv = _areas_csv(tmp_path / "areas.csv")
    out = tmp_path / "areas.gpkg"
    partitions = tl.batch(TERRITORY, csv, halo_minutes=20, out=out, workers=1, lang="en")
    _styled_as_a_single_run(out, "en", out.with_name("areas.parts") / "nord.gpkg")
    assert partitions["partition"].tolist() == sorted(AREAS) and (partitions["status"] == "scored").all()
    sites = _layer(out, "sites")
    for area in AREAS:
        territory = out.with_name("areas.parts") / "territories" / f"{quote(area)}.gpkg"
        with pytest.warns(tl.DataWarning):
            alone = tl.score(territory, progress=False)
        mine = sites[sites["partition"] == area].drop(columns="partition").reset_index(drop=True)
        columns = [c for c in alone.columns if c != "geometry"]
        pd.testing.assert_frame_equal(mine[columns], pd.DataFrame(alone[columns]), check_dtype=False,
                                      check_exact=True)
    # the sites of a commune shared by two areas are ranked in each
    shared = sites[sites["commune_code"] == "05158"]
    assert sorted(shared["partition"].unique()) == ["nord", "projet commun"]
    communes = _layer(out, "communes")
    assert sorted(communes.loc[communes["commune_code"] == "26202", "partition"]) == ["projet commun", "sud"]


def test_dashboard_address_only_when_served():
    from tierslieux._batch import _dashboard

    class Client:
        dashboard_link = "http://127.0.0.1:8787/status"

        def __init__(self, services):
            self.services = services

        def scheduler_info(self):
            return {"services": self.services}

    assert _dashboard(Client({"dashboard": 8787}), True) == "http://127.0.0.1:8787/status"
    assert _dashboard(Client({}), True) is None  # a cluster without bokeh serves no dashboard
    assert _dashboard(Client({"dashboard": 8787}), False) is None


def test_cli_batch(run, tmp_path, capsys, monkeypatch):
    from tierslieux import _progress

    _, out = run
    shutil.copytree(out.with_name(out.stem + ".parts"), tmp_path / "cli.parts")
    os.remove(tmp_path / "cli.parts" / "242600492.gpkg.json")  # this one is scored again, on a cluster
    monkeypatch.setattr(_progress, "watched", lambda: True)  # as on a terminal: a bar by partition
    code = cli.main(["batch", "--by", "epci_code", "--out", str(tmp_path / "cli.gpkg"), "--workers", "1"])
    assert code == 0
    captured = capsys.readouterr()
    printed = captured.out
    assert "partitions (6 from checkpoints)" in captured.err and "1/1" in captured.err, captured.err
    assert "dashboard" not in captured.err  # no bokeh here: a local cluster has no dashboard, and nothing is said
    lines = {line.split()[0]: line.split() for line in printed.splitlines() if line.split()}
    # the command line's default options are the API's: the other checkpoints are reused
    assert lines["242600492"][-1] == "True" and lines["200068229"][-1] == "False"
    assert f"écrit {tmp_path / 'cli.gpkg'}" in printed
    for name in ("sites", "communes", "catchments"):
        pd.testing.assert_frame_equal(_layer(tmp_path / "cli.gpkg", name), _layer(out, name), check_exact=True)
    assert cli.main(["batch", "--by", "nope", "--out", str(tmp_path / "cli.gpkg"), "--workers", "1"]) == cli.EXIT_INPUT
    assert "field 'nope' to partition by is missing" in capsys.readouterr().err
    # --by a table of study areas and --halo-min reach the API (an area that cannot be ranked: no cluster needed)
    areas = _areas_csv(tmp_path / "seul.csv", {"seul": ["26200"]})
    assert cli.main(["batch", "--by", str(areas), "--halo-min", "15", "--out", str(tmp_path / "seul.gpkg"),
                     "--workers", "1"]) == 0
    assert "seul not scored: 1 site(s)" in " ".join(capsys.readouterr().out.split())
    communes = _layer(tmp_path / "seul.parts" / "territories" / "seul.gpkg", "communes")
    assert len(communes) < 1 + 91  # fewer than the default halo of 20 km keeps around 26200
    assert len(communes) == 1 + tl.partition_territory(TERRITORY, {"seul": ["26200"]}, halo_minutes=15,
                                                       out_dir=tmp_path / "check")["neighbours"].iloc[0]
    areas.write_text("study_area,commune_code\nseul,99999\n")
    assert cli.main(["batch", "--by", str(areas), "--out", str(tmp_path / "seul.gpkg")]) == cli.EXIT_INPUT
    assert f"study areas file '{areas}', row 1 (line 2): commune code '99999'" in capsys.readouterr().err


def test_a_worker_peak_is_its_own_not_its_spawning_clients():
    # a LocalCluster's worker is spawned from the client: getrusage's peak would carry the client's (measured:
    # 460 MB for a worker of 62 MB); _peak_rss_mb must give the worker's own
    import multiprocessing

    import numpy as np

    from tierslieux import _batch

    held = np.ones(400 * 2**20 // 8)  # 400 MB resident in this process
    assert _batch._peak_rss_mb() > 400
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        child = pool.apply(_batch._peak_rss_mb)
    assert 5 < child < 300, child
    del held


def test_a_checkpoint_is_trusted_only_for_its_recipe(run):
    # the recipe names the source's bytes, the area's and the halo's communes and the cutting rules' version
    from tierslieux import _batch

    _, out = run
    communes = gpd.read_file(TERRITORY, layer="communes").sort_values("commune_code").reset_index(drop=True)
    study = communes.index[communes["epci_code"] == "242600492"].tolist()
    halo = sorted(set(study) | {0, 1})
    base = _batch._recipe("a" * 64, communes, study, halo)
    assert base == _batch._recipe("a" * 64, communes, list(reversed(study)), halo)  # order does not matter
    assert base != _batch._recipe("b" * 64, communes, study, halo)  # another source file
    assert base != _batch._recipe("a" * 64, communes, study, halo[:-1])  # another halo
    assert base != _batch._recipe("a" * 64, communes, study[:-1], halo)  # another study area
    checkpoint = out.with_name(out.stem + ".parts") / "242600492.gpkg"
    record = json.loads(Path(str(checkpoint) + ".json").read_text(encoding="utf-8"))
    settings = tl.Settings()
    assert _batch._checkpoint(checkpoint, record["recipe_sha256"], settings, "fr") is not None
    assert _batch._checkpoint(checkpoint, base, settings, "fr") is None
    assert _batch._checkpoint(checkpoint, record["recipe_sha256"], settings, "en") is None
    # the recorded recipe is the one of this source and partition; its file's hash is kept for the record
    source = _batch.file_sha256(TERRITORY)
    part = communes.index[(communes["epci_code"] == "242600492") & communes["in_territory"]].tolist()
    territory = out.with_name(out.stem + ".parts") / "territories" / "242600492.gpkg"
    kept = sorted(communes.index[communes["commune_code"].isin(_layer(territory, "communes")["commune_code"])])
    assert record["recipe_sha256"] == _batch._recipe(source, communes, part, kept)
    assert record["input_sha256"] == _batch.file_sha256(territory)
