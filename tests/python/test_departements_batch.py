"""`tierslieux batch` on the four départements (26, 05, 04, 84; geodata/departements-26-05-04-84.gpkg, real data)
by EPCI, on a local cluster of 2 workers: every EPCI a partition, every site scored once, in its own EPCI,
as a single run of its partition would score it (docs/scale.md). About 15 s on this 2-core machine."""
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

import tierslieux as tl
from tierslieux import cli

ROOT = Path(__file__).resolve().parents[2]
DEPARTEMENTS = ROOT / "geodata" / "departements-26-05-04-84.gpkg"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("departements") / "departements_epci.gpkg"
    started = time.perf_counter()
    assert cli.main(["batch", "--territory", str(DEPARTEMENTS), "--by", "epci_code", "--out", str(out),
                     "--workers", "2"]) == 0
    print(f"tierslieux batch, four départements by EPCI, 2 workers: {time.perf_counter() - started:.1f} s")
    return out


def test_every_epci_is_a_scored_partition(run):
    communes = gpd.read_file(DEPARTEMENTS, layer="communes")
    table = pyogrio.read_dataframe(run, layer="partitions")
    sizes = communes.groupby("epci_code").size()
    assert table["partition"].tolist() == sorted(sizes.index) and len(table) == 41
    assert (table["status"] == "scored").all(), table.loc[table["status"] != "scored", ["partition", "status"]]
    assert dict(zip(table["partition"], table["communes"])) == sizes.to_dict()
    assert table["communes"].sum() == 873


def test_every_site_is_scored_once_in_its_own_epci(run):
    sites = pyogrio.read_dataframe(run, layer="sites")
    source = gpd.read_file(DEPARTEMENTS, layer="sites")
    communes = gpd.read_file(DEPARTEMENTS, layer="communes").set_index("commune_code")
    assert sites["site_id"].is_unique and sorted(sites["site_id"]) == sorted(source["site_id"])
    assert (sites["partition"] == sites["commune_code"].map(communes["epci_code"])).all()
    assert sites["score"].notna().all() and sites["score"].between(0, 100).all()
    # each partition ranks its own sites 1..n
    for _, group in sites.groupby("partition"):
        assert sorted(group["rank"]) == list(range(1, len(group) + 1))
    gathered = pyogrio.read_dataframe(run, layer="communes")
    assert sorted(gathered["commune_code"]) == sorted(communes.index)


@pytest.mark.parametrize("epci", ["200054807", "200068781"])  # one commune (Pertuis, of Aix-Marseille) / 54 communes
def test_a_partition_equals_a_single_run_of_its_file(run, epci):
    territory = run.with_name(run.stem + ".parts") / "territories" / f"{epci}.gpkg"
    with pytest.warns(tl.DataWarning):
        alone = tl.score(territory, progress=False)
    sites = pyogrio.read_dataframe(run, layer="sites")
    mine = sites[sites["partition"] == epci].drop(columns="partition").reset_index(drop=True)
    columns = [c for c in alone.columns if c != "geometry"]
    assert len(mine) == len(alone) > 0
    pd.testing.assert_frame_equal(mine[columns], pd.DataFrame(alone[columns]), check_dtype=False, check_exact=True)
