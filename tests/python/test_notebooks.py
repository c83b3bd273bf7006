"""Every notebook runs top to bottom, and what it produced is checked (not just that it ran)."""
from __future__ import annotations

import re
from html import escape
from pathlib import Path

import geopandas as gpd
import nbformat
import pyogrio
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


def run_notebook(path: Path, workdir: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    # the working folder is set explicitly, so the files a notebook writes land in workdir, not in notebooks/
    NotebookClient(nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(workdir)}}).execute()
    return nb


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebook found in notebooks/"


def check_quickstart(nb: nbformat.NotebookNode, workdir: Path) -> None:
    gpkg = workdir / "out" / "baronnies.gpkg"
    png = workdir / "out" / "baronnies_sites.png"
    assert dict(pyogrio.list_layers(gpkg)) == {"sites": "Point", "communes": "MultiPolygon",
                                                "network_edges": "LineString", "catchments": "MultiPolygon"}
    sites = gpd.read_file(gpkg, layer="sites")
    assert len(sites) == 117 and sorted(sites["rank"]) == list(range(1, 118))
    assert png.read_bytes()[:4] == b"\x89PNG"
    (top_cell,) = [c for c in nb.cells if "top10" in c.get("metadata", {}).get("tags", [])]
    html = "".join(o["data"].get("text/html", "") for o in top_cell.outputs if "data" in o)
    expected = sites.nsmallest(10, "rank")["site_id"].tolist()
    positions = [html.index(site_id) for site_id in expected]
    assert positions == sorted(positions)  # the table lists the file's top 10, in rank order
    streams = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
                      if o.output_type == "stream")
    assert "ftth_share" in streams  # the no-variation warning reaches the planner


def check_weights_stability_portfolio(nb: nbformat.NotebookNode, workdir: Path) -> None:
    import tierslieux as tl

    out = workdir / "out"
    for png in ("stability.png", "coverage_curve.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"
    assert tl.load_weights(out / "weights_example.toml") == {"pop_15min": 0.45, "minutes_to_nearest_site": 0.0}
    layers = dict(pyogrio.list_layers(out / "portfolio.gpkg"))
    assert layers["portfolio"] == "Point" and layers["coverage_curve"] is None
    plan = gpd.read_file(out / "portfolio.gpkg", layer="portfolio")
    assert plan["site_id"].iloc[0] == "fs-2992" and len(plan) == 4
    streams = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
                      if o.output_type == "stream")
    assert "Mairie de Vinsobres (mairie-26377) ranks 1 of 117" in streams
    # the number of sites the notebook says are needed for 80 % is the coverage curve's answer
    with pytest.warns(tl.DataWarning):
        base = tl.score(progress=False)
    curve = tl.choose_sites(base, 10, 20).attrs["coverage_curve"]
    needed = int(curve.loc[curve["covered_share"] >= 0.8, "k"].min())
    assert f"{needed} sites put 80 % of the territory's people within 20 minutes" in streams

    def tagged(tag: str) -> nbformat.NotebookNode:
        (cell,) = [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]
        return cell

    def text(tag: str) -> str:
        return "".join(o.get("text", "") for o in tagged(tag).outputs if o.output_type == "stream")

    def html(tag: str) -> str:
        return "".join(o["data"].get("text/html", "") for o in tagged(tag).outputs if "data" in o)

    assert "stderr" not in {o.get("name") for c in nb.cells if c.cell_type == "code" for o in c.outputs}
    meta = base.attrs["tierslieux"]

    # what is measured: the whole catalogue, the criteria this territory skips and why, fibre all zero
    table = html("criteria")
    assert all(escape(name) in table for name in tl.criteria()["name"])
    assert f"Families: {', '.join(tl.criteria()['family'].unique())}" in text("criteria")
    for criterion, reason in meta.skipped.items():
        assert f"- {criterion}: {reason}" in text("criteria")
    assert set(meta.skipped) == {"minutes_to_existing_tiers_lieu", "demand_share"}
    assert (f"{len(base)} of the {len(base)} sites have 0% of premises with fibre" in text("criteria")
            and "its effective weight is 0%" in text("criteria"))

    # commutes: the printed leader and its figures are the run's, and every assumption is printed with its value
    lead = base.nlargest(1, "commute_km_avoided").iloc[0]
    spaced = lambda x: f"{x:,.0f}".replace(",", " ")  # noqa: E731
    assert (f"{lead['name']} intercepts about {spaced(lead['commuters_intercepted'])} commuters: "
            f"{spaced(lead['commute_km_avoided'])} car km and {spaced(lead['commute_co2_avoided'])} tonnes"
            in text("commute"))
    assert "estimates for comparing sites" in text("commute")
    for key, value in meta.parameters["commute"].items():
        assert f"- {key} = {value}:" in text("commute")
    for site_id in base.nlargest(5, "commute_km_avoided")["site_id"]:
        assert site_id in html("commute")

    # p-median next to coverage: the printed k = 4 figures are each objective's own, and each objective wins its
    # own question (coverage: share within 20 min; p-median: mean minutes)
    assert (out / "coverage_vs_pmedian.png").read_bytes()[:4] == b"\x89PNG"
    printed = {m[1]: (float(m[2]), float(m[3])) for m in re.finditer(
        r"^(coverage|p-median), 4 sites: ([\d.]+) % of the people within 20 minutes, ([\d.]+) minutes on average",
        text("pmedian"), re.M)}
    assert set(printed) == {"coverage", "p-median"}
    for objective, (share, mean) in printed.items():
        row = tl.choose_sites(base, 4, 20, objective=objective).attrs["coverage_curve"].iloc[-1]
        assert (share, mean) == (round(100 * row["covered_share"], 1), round(row["mean_minutes"], 1))
    assert printed["coverage"][0] >= printed["p-median"][0] and printed["p-median"][1] <= printed["coverage"][1]
    assert ("For 8 of the 8 values of k, the p-median gives the shorter mean; for 8 of them, the coverage puts at "
            "least as many people within 20 minutes." in text("pmedian"))

    # scenario 5a: fibre in Nyons and Buis lifts their sites, nothing is closed or opened, coverage does not move
    moves = {m[1]: (int(m[2]), int(m[3]), int(m[4])) for m in re.finditer(
        r"\((\S+)\): rank (\d+) -> (\d+) \(rank_change ([+-]\d+)\)", text("scenario-fibre"))}
    for site_id in ("fs-2992", "mairie-26220", "fs-2732", "mairie-26063"):
        rank_base, rank_scenario, change = moves[site_id]
        assert change > 0 and change == rank_base - rank_scenario
    assert "Status of the sites: {'kept': 117}" in text("scenario-fibre")
    assert "opened as tiers-lieu" not in html("scenario-fibre")
    assert text("scenario-fibre-coverage").count("(+0).") == len(meta.parameters["thresholds"])

    # scenario 5b: the opened site has its status, and the competition criteria are computed
    assert "Skipped in the scenario: none." in text("scenario-open")
    for criterion in ("minutes_to_existing_tiers_lieu", "demand_share"):
        assert f"{criterion}: in the scenario's sites table: True" in text("scenario-open")
        assert criterion in html("scenario-open-competition")
    assert "Status of the sites: {'kept': 116, 'opened as tiers-lieu': 1}" in text("scenario-open")
    assert "opened as tiers-lieu" in html("scenario-open") and "fs-2992" in html("scenario-open")
    assert re.search(r"Mairie de Nyons is [\d.]+ minutes from the new tiers-lieu", text("scenario-open-competition"))
    assert "4 sites put" in text("scenario-open-coverage")

    # the scenario file is written, read back the same, and still reads from the test
    assert "Same scenario as in 5a: True" in text("scenario-file")
    scenario = tl.Scenario.from_file(out / "scenario_fibre.toml")
    assert scenario.fibre == {"26220": 1.0, "26063": 1.0} and not scenario.open_tiers_lieux


#: what each notebook must have produced, checked after it ran
CHECKS = {"01_quickstart_baronnies": check_quickstart,
          "02_weights_stability_portfolio": check_weights_stability_portfolio}


def test_every_notebook_has_a_check():
    assert {p.stem for p in NOTEBOOKS} == set(CHECKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook(path, tmp_path):
    nb = run_notebook(path, tmp_path)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    CHECKS[path.stem](nb, tmp_path)
