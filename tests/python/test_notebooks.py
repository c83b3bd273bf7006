"""Every notebook runs top to bottom, and what it produced is checked (not just that it ran)."""
from __future__ import annotations

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
        curve = tl.choose_sites(tl.score(progress=False), 10, 20).attrs["coverage_curve"]
    needed = int(curve.loc[curve["covered_share"] >= 0.8, "k"].min())
    assert f"{needed} sites put 80 % of the territory's people within 20 minutes" in streams


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
