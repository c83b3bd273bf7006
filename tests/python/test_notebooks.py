"""Every notebook runs top to bottom, and what it produced is checked (not just that it ran)."""
from __future__ import annotations

import re
import warnings
from html import escape
from html.parser import HTMLParser
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


def tagged(nb: nbformat.NotebookNode, tag: str) -> nbformat.NotebookNode:
    (cell,) = [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]
    return cell


def text(nb: nbformat.NotebookNode, tag: str) -> str:
    """What the tagged cell printed."""
    return "".join(o.get("text", "") for o in tagged(nb, tag).outputs if o.output_type == "stream")


def html(nb: nbformat.NotebookNode, tag: str) -> str:
    """The HTML the tagged cell displayed (its tables)."""
    return "".join(o["data"].get("text/html", "") for o in tagged(nb, tag).outputs if "data" in o)


class _TableRows(HTMLParser):
    """The rows of the HTML tables in a cell's output, each as the list of its <th> and <td> texts."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("th", "td"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def table_records(markup: str) -> list[dict]:
    """A displayed DataFrame as one dict per row, keyed by column name (a named index is keyed by its name)."""
    parser = _TableRows()
    parser.feed(markup)
    header, *rows = parser.rows
    if rows and rows[0][0] and not any(rows[0][1:]):  # the index's name, on a header row of its own
        header, rows = [rows[0][0], *header[1:]], rows[1:]
    return [dict(zip(header, row)) for row in rows]


def spaced(x) -> str:
    """1234567 -> '1 234 567', as the notebooks print it"""
    return f"{x:,.0f}".replace(",", " ")


#: the seed study's pilot structures -> the site holding each (geodata/README.md, rule 8)
PILOT_SITES = {"pij-26063", "fs-577", "fs-615", "fs-2992", "numerique-26220", "fs-1212", "fs-26264", "fs-1215",
               "fs-823"}


def check_quickstart(nb: nbformat.NotebookNode, workdir: Path) -> None:
    import tierslieux as tl

    gpkg = workdir / "out" / "baronnies.gpkg"
    png = workdir / "out" / "baronnies_sites.png"
    assert dict(pyogrio.list_layers(gpkg)) == {"sites": "Point", "communes": "MultiPolygon",
                                                "network_edges": "LineString", "catchments": "MultiPolygon",
                                               "territory": "MultiPolygon", "run_info": None,
                                               "diagnostics": None, "layer_styles": None}
    sites = gpd.read_file(gpkg, layer="sites")
    assert len(sites) == 145 and sorted(sites["rank"]) == list(range(1, 146))
    assert png.read_bytes()[:4] == b"\x89PNG"
    # the map shows inline (plot_sites leaves the notebook's backend alone; issue 12)
    assert any("image/png" in o.get("data", {}) for o in tagged(nb, "map").outputs)
    top_html = html(nb, "top10")
    expected = sites.nsmallest(10, "rank")["site_id"].tolist()
    positions = [top_html.index(site_id) for site_id in expected]
    assert positions == sorted(positions)  # the table lists the file's top 10, in rank order
    streams = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
                      if o.output_type == "stream")
    # the run's one warning reaches the planner: attraction-area centres outside the file; 2024 fibre varies, so
    # no "same value for every site" warning any more
    assert "040 Avignon" in streams and "same value" not in streams

    # the territory file's own fields, read independently of the notebook
    territory_file = tl.default_territory_path()
    communes = gpd.read_file(territory_file, layer="communes")
    study = communes[communes["in_territory"]]
    by_id = sites.set_index("site_id")

    # the introduction's numbers are the data's
    intro = nb.cells[0].source
    assert f"{len(study)} communes, {spaced(study['population'].sum())} inhabitants" in intro
    assert f"The {len(communes) - len(study)} communes around it" in intro and f"{len(sites)} public buildings" in intro

    # the study area by membership: 97 members, 11 enclaves, 7 villes-portes, and Rémuzat with its reason
    counts = communes["membership"].value_counts().to_dict()
    assert (counts["member"], counts["enclave"], counts["ville_porte"]) == (97, 11, 7)
    assert f"Communes of the file by membership: {counts}" in text(nb, "membership")
    assert f"Study area: {len(study)} communes, {spaced(study['population'].sum())} inhabitants" in text(
        nb, "membership")
    (remuzat,) = study[study["membership"] != "member"].itertuples()
    assert remuzat.commune_code == "26264"
    assert f"Rémuzat (26264): {remuzat.in_territory_reason}" in text(nb, "membership")

    # broadband: the range and counts are the study area's, and the pilots' communes are listed with their share
    broadband = gpd.read_file(territory_file, layer="broadband")
    fibre = study[["commune_code"]].merge(broadband, on="commune_code")
    assert len(fibre) == len(study)
    assert (f"ftth_share goes from {fibre['ftth_share'].min():.0%} to {fibre['ftth_share'].max():.0%}: "
            f"{(fibre['ftth_share'] == 0).sum()} communes at 0 %, {(fibre['ftth_share'] >= 0.8).sum()} at 80 % "
            f"or more" in text(nb, "broadband"))
    parser = _TableRows()
    parser.feed(html(nb, "broadband"))
    shown = {row[0]: float(row[3]) for row in parser.rows if re.fullmatch(r"\d[\dAB]\d{3}", row[0])}
    assert set(shown) == set(by_id.loc[sorted(PILOT_SITES), "commune_code"])
    share = broadband.set_index("commune_code")["ftth_share"]
    assert all(value == round(share[code], 2) for code, value in shown.items())
    assert shown["26288"] == 0 and shown["26264"] == 0  # Sahune and Rémuzat: no fibre yet

    # the kinds of candidate sites, with the default building fit
    kinds = {r["kind"]: r for r in table_records(html(nb, "kinds")) if r.get("kind")}
    assert {kind: int(r["sites"]) for kind, r in kinds.items()} == sites["kind"].value_counts().to_dict()
    assert all(float(r["building_fit"]) == tl.default_building_fit()[kind] for kind, r in kinds.items())
    assert all(int(r["best_rank"]) == sites.loc[sites["kind"] == kind, "rank"].min() for kind, r in kinds.items())
    assert f"{len(sites)} sites: {(sites['kind'] == 'town_hall').sum()} town halls (IGN points)" in text(nb, "kinds")

    # the existing tiers-lieux: the count, none in the study area, the nearest ones in order
    existing = gpd.read_file(territory_file, layer="existing_tiers_lieux")
    inside = existing["commune_code"].isin(study["commune_code"]).sum()
    assert f"{len(existing)} existing tiers-lieux (" in text(nb, "existing") and len(existing) == 23
    assert f"{inside} of them in the study area" in text(nb, "existing") and inside == 0
    minutes = sites["minutes_to_existing_tiers_lieu"]
    assert (f"the nearest one is {minutes.min():.0f} to {minutes.max():.0f} minutes away (median "
            f"{minutes.median():.0f})" in text(nb, "existing"))
    nearest = existing.assign(km=existing.distance(study.union_all())).nsmallest(6, "km")["id"].tolist()
    assert [r["id"] for r in table_records(html(nb, "existing")) if r.get("id")] == nearest

    # the pilot table: all nine pilot sites, each with the rank, score and stability the run wrote, in rank order
    pilots = [r for r in table_records(html(nb, "pilots")) if r.get("site_id")]
    assert len(pilots) == len(PILOT_SITES) and {r["site_id"] for r in pilots} == PILOT_SITES
    for r in pilots:
        site = by_id.loc[r["site_id"]]
        assert r["name"] == site["name"] or (  # pandas cuts long texts to 50 characters, ending in "..."
            r["name"].endswith("...") and site["name"].startswith(r["name"].removesuffix("...")))
        assert (int(r["rank"]), int(r["rank_p05"]), int(r["rank_p95"])) == (
            site["rank"], site["rank_p05"], site["rank_p95"])
        assert float(r["score"]) == pytest.approx(round(site["score"], 1), abs=1e-9)
        assert float(r["p_top10"]) == pytest.approx(round(site["p_top10"], 3), abs=1e-9)
    assert [int(r["rank"]) for r in pilots] == sorted(int(r["rank"]) for r in pilots)
    ranks = by_id.loc[sorted(PILOT_SITES), "rank"]
    assert (f"{len(PILOT_SITES)} of the {len(PILOT_SITES)} pilot structures are candidate sites; "
            f"{(ranks <= 10).sum()} rank in the top 10 and {(ranks <= 50).sum()} in the top 50 of {len(sites)}."
            in text(nb, "pilots"))
    pij = by_id.loc["pij-26063"]
    assert text(nb, "pilot-explain").startswith(
        f"{pij['name']} (pij-26063) ranks {pij['rank']} of {len(sites)} with a score of {pij['score']:.1f} / 100")

    # "demand within 30 minutes only" is that: the ten shown are the ten largest pop_30min, in that order
    shown = [float(r["pop_30min"]) for r in table_records(html(nb, "demand-only")) if r.get("site_id")]
    assert shown == sorted(sites["pop_30min"], reverse=True)[:10]


def check_weights_stability_portfolio(nb: nbformat.NotebookNode, workdir: Path) -> None:
    import tierslieux as tl

    out = workdir / "out"
    for png in ("stability.png", "coverage_curve.png", "portfolio_map.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"
    # the portfolio's map shows inline (plot_portfolio leaves the notebook's backend alone; issue 12)
    assert any("image/png" in o.get("data", {}) for o in tagged(nb, "portfolio-map").outputs)
    assert tl.load_weights(out / "weights_example.toml") == {"pop_15min": 0.45, "minutes_to_nearest_site": 0.0}
    layers = dict(pyogrio.list_layers(out / "portfolio.gpkg"))
    assert layers["portfolio"] == "Point" and layers["coverage_curve"] is None
    plan = gpd.read_file(out / "portfolio.gpkg", layer="portfolio")
    assert plan["site_id"].iloc[0] == "fs-2992" and len(plan) == 4
    streams = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
                      if o.output_type == "stream")
    assert "Mairie de Vinsobres (mairie-26377) ranks 1 of 145" in streams
    # the number of sites the notebook says are needed for 80 % is the coverage curve's answer
    with pytest.warns(tl.DataWarning):
        base = tl.score(progress=False)
    curve = tl.choose_sites(base, 10, 20).attrs["coverage_curve"]
    needed = int(curve.loc[curve["covered_share"] >= 0.8, "k"].min())
    assert f"{needed} sites put 80 % of the territory's people within 20 minutes" in streams
    assert len(base) == 145
    # the counts the texts quote are the data's
    existing = gpd.read_file(tl.default_territory_path(), layer="existing_tiers_lieux")
    assert (f"their {len(base)} candidate public buildings, and the\n{len(existing)} existing tiers-lieux"
            in nb.cells[0].source)
    (open_text,) = [c.source for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("### 5b.")]
    assert f"The territory already has {len(existing)}\naround the park and none inside" in open_text
    communes = gpd.read_file(tl.default_territory_path(), layer="communes")
    assert not existing["commune_code"].isin(communes.loc[communes["in_territory"], "commune_code"]).any()

    assert "stderr" not in {o.get("name") for c in nb.cells if c.cell_type == "code" for o in c.outputs}
    meta = base.attrs["tierslieux"]

    # what is measured: the whole catalogue; only observed_visits is skipped (the study has not yet counted visits;
    # existing tiers-lieux are in the file), 2024 fibre varies
    table = html(nb, "criteria")
    assert all(escape(name) in table for name in tl.criteria()["name"])
    assert f"Families: {', '.join(tl.criteria()['family'].unique())}" in text(nb, "criteria")
    assert set(meta.skipped) == {"observed_visits"}
    assert "Skipped on this territory:\n- observed_visits: " in text(nb, "criteria")
    fibre, weight = base["ftth_share"], meta.effective_weights["ftth_share"]
    assert fibre.nunique() > 1 and weight > 0
    assert (f"from {fibre.min():.0%} to {fibre.max():.0%} of premises are eligible to fibre; {(fibre == 0).sum()} "
            f"of the {len(base)} sites are in a commune with none, {(fibre >= 0.8).sum()} in one at 80 % or more"
            in text(nb, "criteria") and f"its effective weight is {weight:.0%}" in text(nb, "criteria"))

    # commutes: the printed leader and its figures are the run's, and every assumption is printed with its value
    lead = base.nlargest(1, "commute_km_avoided").iloc[0]
    assert (f"{lead['name']} intercepts about {spaced(lead['commuters_intercepted'])} commuters: "
            f"{spaced(lead['commute_km_avoided'])} car km and {spaced(lead['commute_co2_avoided'])} tonnes"
            in text(nb, "commute"))
    assert "estimates for comparing sites" in text(nb, "commute")
    for key, value in meta.parameters["commute"].items():
        assert f"- {key} = {value}:" in text(nb, "commute")
    for site_id in base.nlargest(5, "commute_km_avoided")["site_id"]:
        assert site_id in html(nb, "commute")

    # p-median next to coverage: the printed k = 4 figures are each objective's own, and each objective wins its
    # own question (coverage: share within 20 min; p-median: mean minutes)
    assert (out / "coverage_vs_pmedian.png").read_bytes()[:4] == b"\x89PNG"
    printed = {m[1]: (float(m[2]), float(m[3])) for m in re.finditer(
        r"^(coverage|p-median), 4 sites: ([\d.]+) % of the people within 20 minutes, ([\d.]+) minutes on average",
        text(nb, "pmedian"), re.M)}
    assert set(printed) == {"coverage", "p-median"}
    for objective, (share, mean) in printed.items():
        row = tl.choose_sites(base, 4, 20, objective=objective).attrs["coverage_curve"].iloc[-1]
        assert (share, mean) == (round(100 * row["covered_share"], 1), round(row["mean_minutes"], 1))
    assert printed["coverage"][0] >= printed["p-median"][0] and printed["p-median"][1] <= printed["coverage"][1]
    assert ("For 8 of the 8 values of k, the p-median gives the shorter mean; for 8 of them, the coverage puts at "
            "least as many people within 20 minutes." in text(nb, "pmedian"))

    # scenario 5a: fibre in Sahune and Rémuzat (0 % in 2024) lifts their four sites, and changes ftth_share at
    # those four only; nothing is closed or opened, coverage does not move
    fibre_communes = ("26288", "26264")
    assert (base.loc[base["commune_code"].isin(fibre_communes), "ftth_share"] == 0).all()
    moves = {m[1]: (int(m[2]), int(m[3]), int(m[4])) for m in re.finditer(
        r"\((\S+)\): rank (\d+) -> (\d+) \(rank_change ([+-]\d+)\)", text(nb, "scenario-fibre"))}
    fibre_sites = ("mairie-26288", "fs-1212", "mairie-26264", "fs-26264")
    assert set(moves) == set(fibre_sites)
    for site_id in fibre_sites:
        rank_base, rank_scenario, change = moves[site_id]
        assert change > 0 and change == rank_base - rank_scenario
        assert rank_base == base.set_index("site_id").loc[site_id, "rank"]
    assert set(base.loc[base["commune_code"].isin(fibre_communes), "site_id"]) == set(fibre_sites)
    assert f"ftth_share changes at {len(fibre_sites)} sites (those of the two communes)" in text(nb, "scenario-fibre")
    assert f"Status of the sites: {{'kept': {len(base)}}}" in text(nb, "scenario-fibre")
    assert "opened as tiers-lieu" not in html(nb, "scenario-fibre")
    assert text(nb, "scenario-fibre-coverage").count("(+0).") == len(meta.parameters["thresholds"])

    # scenario 5b: the opened site has its status, and the competition criteria are computed
    assert "Skipped in the scenario: observed_visits." in text(nb, "scenario-open")
    for criterion in ("minutes_to_existing_tiers_lieu", "demand_share"):
        assert f"{criterion}: in the scenario's sites table: True" in text(nb, "scenario-open")
        assert criterion in html(nb, "scenario-open-competition")
    assert f"Status of the sites: {{'kept': {len(base) - 1}, 'opened as tiers-lieu': 1}}" in text(nb, "scenario-open")
    assert "opened as tiers-lieu" in html(nb, "scenario-open") and "fs-2992" in html(nb, "scenario-open")
    assert re.search(r"Mairie de Nyons is [\d.]+ minutes from the new tiers-lieu",
                     text(nb, "scenario-open-competition"))
    assert "4 sites put" in text(nb, "scenario-open-coverage")

    # the scenario file is written, read back the same, and still reads from the test
    assert "Same scenario as in 5a: True" in text(nb, "scenario-file")
    scenario = tl.Scenario.from_file(out / "scenario_fibre.toml")
    assert scenario.fibre == {"26288": 1.0, "26264": 1.0} and not scenario.open_tiers_lieux
    assert scenario.name == "Fibre reaches Sahune and Rémuzat"


#: the intercommunalité whose part of the park notebook 03 takes as "your territory"
BARONNIES_DROME_PROVENCALE = "200068229"


def check_your_territory(nb: nbformat.NotebookNode, workdir: Path) -> None:
    import openpyxl
    import pandas as pd

    import tierslieux as tl

    # the selection, recomputed from the embedded file: the EPCI's communes in the park's study area, and every
    # commune within 20 km of them (by distance here; the notebook intersects a buffer)
    source = tl.default_territory_path()
    embedded = gpd.read_file(source, layer="communes")
    epci = embedded[embedded["epci_code"] == BARONNIES_DROME_PROVENCALE]
    study = epci[epci["in_territory"]]
    near = embedded[embedded.distance(study.union_all()) <= 20_000]
    neighbours = near[~near["commune_code"].isin(study["commune_code"])]
    sites = gpd.read_file(source, layer="sites")
    sites = sites[sites["commune_code"].isin(study["commune_code"])]
    existing = gpd.read_file(source, layer="existing_tiers_lieux")
    existing = existing[existing["commune_code"].isin(near["commune_code"])]
    broadband = pyogrio.read_dataframe(source, layer="broadband", read_geometry=False)
    assert (len(study), len(neighbours), len(epci), len(sites)) == (54, 255, 67, 69)  # what the prose says

    # the prose's numbers are the selection's
    intro = nb.cells[0].source
    assert (f"**{len(study)} communes of the Communauté de\ncommunes des Baronnies en Drôme Provençale that are in "
            f"the park's study area** ({spaced(study['population'].sum())} inhabitants" in intro)
    assert f"with the {len(neighbours)} communes within 20 km of them as neighbours" in intro
    (part1,) = [c.source for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## 1.")]
    assert f"The intercommunalité has {len(epci)} communes; the other {len(epci) - len(study)} are outside" in part1
    assert (f"Study area: {len(study)} communes of the CC des Baronnies en Drôme Provençale, "
            f"{spaced(study['population'].sum())} inhabitants\nNeighbours within 20 km: {len(neighbours)} communes, "
            f"{spaced(neighbours['population'].sum())} inhabitants" in text(nb, "selection"))

    # the planner's tables: codes as text, the study area as oui/non, lon/lat, every row of the selection
    tables = workdir / "tables"
    communes_csv = pd.read_csv(tables / "communes.csv", dtype={"code_insee": str})
    assert set(communes_csv["code_insee"]) == set(near["commune_code"]) and len(communes_csv) == len(near)
    assert set(communes_csv.loc[communes_csv["perimetre_etude"] == "oui", "code_insee"]) == set(study["commune_code"])
    assert set(communes_csv["perimetre_etude"]) == {"oui", "non"}
    buildings_csv = pd.read_csv(tables / "batiments.csv", dtype=str)
    assert set(buildings_csv["id"]) == set(sites["site_id"]) and "mairie" in set(buildings_csv["type"])
    assert len(pd.read_csv(tables / "mairies.csv")) == len(near)

    # the territory file: its layers, and each one equal to the selection
    territory_file = workdir / "territory.gpkg"
    assert dict(pyogrio.list_layers(territory_file)) == {
        "communes": "MultiPolygon", "town_halls": "Point", "sites": "Point", "broadband": None,
        "existing_tiers_lieux": "Point", "territory": "MultiPolygon"}
    communes = gpd.read_file(territory_file, layer="communes")
    assert communes.crs.to_epsg() == 2154 and communes["in_territory"].dtype == bool
    assert communes["commune_code"].tolist() == near["commune_code"].tolist()
    assert set(communes.loc[communes["in_territory"], "commune_code"]) == set(study["commune_code"])
    by_code = near.set_index("commune_code")
    for column in ("name", "population", "active_population", "aav2020_code", "aav2020_category"):
        assert communes.set_index("commune_code")[column].equals(by_code[column].rename(column)), column
    halls = gpd.read_file(territory_file, layer="town_halls")
    assert sorted(halls["commune_code"]) == sorted(near["commune_code"])
    truth = gpd.read_file(source, layer="town_halls").set_index("commune_code").geometry
    assert halls.set_index("commune_code").geometry.distance(truth.loc[halls["commune_code"]]).max() < 0.5  # metres
    layer = gpd.read_file(territory_file, layer="sites").set_index("site_id")
    assert sorted(layer.index) == sorted(sites["site_id"])
    assert layer["kind"].to_dict() == sites.set_index("site_id")["kind"].to_dict()  # the words went both ways
    assert layer["commune_code"].to_dict() == sites.set_index("site_id")["commune_code"].to_dict()
    share = pyogrio.read_dataframe(territory_file, layer="broadband", read_geometry=False).set_index("commune_code")
    expected = broadband.set_index("commune_code").loc[near["commune_code"], "ftth_share"]
    assert sorted(share.index) == sorted(near["commune_code"])
    assert (share.loc[expected.index, "ftth_share"] - expected).abs().max() < 1e-12
    places = gpd.read_file(territory_file, layer="existing_tiers_lieux")
    assert sorted(places["id"]) == sorted(existing["id"]) and len(places) == 8
    outline = gpd.read_file(territory_file, layer="territory")
    assert len(outline) == 1 and outline.area.sum() == pytest.approx(study.area.sum(), rel=1e-6)

    # what the load says: the counts, and the warnings it gave
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", tl.DataWarning)
        territory = tl.load_territory(territory_file)
    load = text(nb, "load")
    assert (f"<tierslieux.Territory 'territory.gpkg': {len(near)} communes ({len(study)} in the territory), "
            f"{len(sites)} sites, EPSG:2154>" in load)
    assert (f"Study area: {len(study)} communes, {spaced(study['population'].sum())} inhabitants; "
            f"{len(neighbours)} neighbouring communes; {len(sites)} candidate sites" in load)
    assert f"Warnings while loading: {len(caught)}" in load and len(territory.warnings) == len(caught)

    # the planner's error: the postcode of Nyons (26110) where its INSEE code (26220) belongs
    assert "26110" not in set(embedded["commune_code"])
    assert sites.set_index("site_id").loc["fs-2992", "commune_code"] == "26220"
    error = text(nb, "input-error")
    assert re.search(r"^InputError: file 'territory_with_a_slip\.gpkg', layer 'sites', feature fid=\d+ "
                     r"\(site_id=fs-2992\): commune_code '26110' is not in the communes layer$", error, re.M), error
    assert "code=unknown_commune, layer=sites" in error and "field=commune_code" in error
    assert (f"<tierslieux.Territory 'territory_with_a_slip.gpkg': {len(near)} communes ({len(study)} in the "
            f"territory), {len(sites)} sites" in text(nb, "fixed"))

    # the score: the test's own run of the written file gives the notebook's top 10, explanation and plan
    with pytest.warns(tl.DataWarning):
        ours = tl.score(territory_file, progress=False)
    meta = ours.attrs["tierslieux"]
    assert len(ours) == len(sites) and set(meta.skipped) == {"observed_visits"}
    assert f"{len(ours)} sites ranked; criteria skipped: observed_visits" in text(nb, "score")
    # the same warnings (the notebook named the file by its relative path)
    printed = [w.replace(str(territory_file), "territory.gpkg") for w in meta.warnings]
    assert text(nb, "score").endswith("Warnings of the run:\n" + "".join(f"- {w}\n" for w in printed))
    assert "107 Montélimar" in text(nb, "score")
    shown = [r for r in table_records(html(nb, "top10")) if r.get("site_id")]
    best = ours.head(10)
    assert [r["site_id"] for r in shown] == best["site_id"].tolist()
    assert [int(r["rank"]) for r in shown] == list(range(1, 11))
    assert [float(r["score"]) for r in shown] == best["score"].round(1).tolist()
    assert [float(r["pop_15min"]) for r in shown] == best["pop_15min"].round(0).tolist()
    first = ours["site_id"].iloc[0]
    assert text(nb, "explain").strip() == str(tl.explain(ours, first)).strip()
    assert text(nb, "explain").startswith(f"{ours['name'].iloc[0]} ({first}) est classé 1er sur {len(ours)}")
    plan = tl.choose_sites(ours, 4, 20)
    assert [r["site_id"] for r in table_records(html(nb, "portfolio")) if r.get("site_id")] == plan["site_id"].tolist()
    curve = plan.attrs["coverage_curve"]
    assert (f"4 site(s): {100 * curve['covered_share'].iloc[-1]:.1f} % of the study area's people within 20 minutes"
            in text(nb, "portfolio"))

    # the maps show inline and are written
    out = workdir / "out"
    for tag, png in (("map", "my_territory_sites.png"), ("portfolio-map", "my_territory_portfolio.png")):
        assert any("image/png" in o.get("data", {}) for o in tagged(nb, tag).outputs), tag
        assert (out / png).read_bytes()[:4] == b"\x89PNG"

    # what goes to the meeting
    gpkg = out / "my_territory.gpkg"
    assert {"sites", "communes", "catchments", "territory", "portfolio", "coverage_curve", "run_info",
            "layer_styles"} <= {name for name, _ in pyogrio.list_layers(gpkg)}
    assert gpd.read_file(gpkg, layer="sites")["site_id"].tolist() == ours["site_id"].tolist()
    assert gpd.read_file(gpkg, layer="portfolio")["site_id"].tolist() == plan["site_id"].tolist()
    report = (out / "my_territory.html").read_text(encoding="utf-8")
    assert len(report) > 100_000 and '<html lang="fr">' in report
    assert f'<div class="big">{len(ours)}</div><div>bâtiments candidats comparés</div>' in report
    assert "CC des Baronnies en Drôme Provençale" in report and first in report
    sheet = openpyxl.load_workbook(out / "my_territory.xlsx")["Classement"]
    assert sheet.max_row == len(ours) + 1 and sheet.cell(row=2, column=2).value == first
    observations = pd.read_csv(out / "observations.csv", encoding="utf-8-sig")
    assert observations.empty and "site_id" in observations.columns and "visits" in observations.columns

    assert "stderr" not in {o.get("name") for c in nb.cells if c.cell_type == "code" for o in c.outputs}


#: what each notebook must have produced, checked after it ran
CHECKS = {"01_quickstart_baronnies": check_quickstart,
          "02_weights_stability_portfolio": check_weights_stability_portfolio,
          "03_your_territory": check_your_territory}


def test_every_notebook_has_a_check():
    assert {p.stem for p in NOTEBOOKS} == set(CHECKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook(path, tmp_path):
    nb = run_notebook(path, tmp_path)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    CHECKS[path.stem](nb, tmp_path)
