"""The public Python API on a tiny synthetic territory and on the embedded Baronnies territory."""
from __future__ import annotations

import math
import warnings
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

import tierslieux as tl
from conftest import dijkstra, write_territory

KM_PER_MINUTE = dict(detour_factor=1.0, speed_kmh=60.0, access_speed_kmh=60.0)  # 1 km straight = 1 minute


def only(keep: str, thresholds=(1, 2, 3)) -> dict:
    """Weights that keep one criterion: every default weight set to 0 but `keep`'s."""
    weights = {name: 0.0 for name in tl._core.default_weights(list(thresholds))}
    return {**weights, keep: 1.0}


def score_tiny(path, **kw):
    with pytest.warns(tl.DataWarning):
        return tl.score(path, thresholds=(1, 2, 3), **{"progress": False, **KM_PER_MINUTE, **kw})


# ---------------------------------------------------------------------------------------------- tiny territory

def test_tiny_catchments_match_hand_computed_values(tiny_territory):
    r = score_tiny(tiny_territory).set_index("site_id")
    # s-a sits on town hall A: A 0, B 1, C 2, D 3 minutes
    assert r.loc["s-a", "access_minutes"] == pytest.approx(0.0)
    assert r.loc["s-a", ["pop_1min", "pop_2min", "pop_3min"]].tolist() == [300, 700, 1500]
    # s-c is 500 m from town hall C: C 0.5, B and D 1.5, A 2.5 minutes
    assert r.loc["s-c", "access_minutes"] == pytest.approx(0.5)
    assert r.loc["s-c", ["pop_1min", "pop_2min", "pop_3min"]].tolist() == [400, 1400, 1500]
    assert r.loc["s-a", "minutes_to_nearest_site"] == pytest.approx(2.5)


def test_tiny_unreachable_commune_is_nan_and_counted(tiny_territory):
    with pytest.warns(tl.DataWarning) as record:
        r = tl.score(tiny_territory, thresholds=(1, 2, 3), progress=False, **KM_PER_MINUTE)
    meta = r.attrs["tierslieux"]
    communes = meta.communes.set_index("commune_code")
    assert math.isnan(communes.loc["99005", "minutes_to_nearest_site"])
    assert communes.loc["99004", "minutes_to_nearest_site"] == pytest.approx(1.5)
    assert meta.communes_unreachable == 1
    messages = " ".join(str(w.message) for w in record)
    assert "cannot reach any site" in messages and "separate parts" in messages


def test_scores_contributions_and_ranks(tiny_territory):
    r = score_tiny(tiny_territory)
    contrib = r[[c for c in r.columns if c.startswith("contrib_")]].sum(axis=1)
    np.testing.assert_allclose(contrib, r["score"], atol=1e-9)
    assert sorted(r["rank"]) == [1, 2]
    assert r["rank"].tolist() == [1, 2]  # sorted by rank
    assert r["score"].between(0, 100).all()


def test_weights_merge_and_change_the_ranking(tiny_territory):
    r = score_tiny(tiny_territory, weights=only("pop_1min"))
    assert r.iloc[0]["site_id"] == "s-c"  # 400 people within 1 min vs 300
    assert r.iloc[0]["score"] == pytest.approx(100.0)
    eff = r.attrs["tierslieux"].effective_weights
    assert eff["pop_1min"] == pytest.approx(1.0)


def test_unknown_weight_lists_valid_names(tiny_territory):
    with pytest.raises(ValueError, match=r"unknown criterion 'popp_30min'.*pop_15min"):
        tl.score(tiny_territory, weights={"popp_30min": 1}, progress=False)


def test_negative_weight_is_refused(tiny_territory):
    with pytest.raises(ValueError, match="gravity_access.*>= 0"):
        tl.score(tiny_territory, weights={"gravity_access": -1}, progress=False)


def test_weights_file_gives_the_same_result_as_the_dict(tiny_territory, tmp_path):
    f = tmp_path / "council.toml"
    f.write_text('title = "test weights"\n[weights]\npop_1min = 1\npop_2min = 0\npop_3min = 0.0\n'
                 'gravity_access = 0\nftth_share = 0\nminutes_to_nearest_site = 0\n', encoding="utf-8")
    assert tl.load_weights(f) == {"pop_1min": 1.0, "pop_2min": 0.0, "pop_3min": 0.0, "gravity_access": 0.0,
                                  "ftth_share": 0.0, "minutes_to_nearest_site": 0.0}
    from_file = score_tiny(tiny_territory, weights=f)
    from_dict = score_tiny(tiny_territory, weights=tl.load_weights(f))
    pd.testing.assert_series_equal(from_file["score"], from_dict["score"])
    assert from_file.iloc[0]["site_id"] == "s-c"
    assert from_file.attrs["tierslieux"].parameters["weights_file"] == str(f)


@pytest.mark.parametrize("text, message", [
    ("[weights]\npop_1min = \"high\"\n", r"weight of 'pop_1min' must be a number, not 'high'"),
    ("[weights]\npop_1min = true\n", r"weight of 'pop_1min' must be a number, not True"),
    ("[weights]\npop_1min = -2\n", r"weight of 'pop_1min' must be a finite number >= 0 \(got -2\)"),
    ("[weights]\npop_1min = nan\n", r"weight of 'pop_1min' must be a finite number >= 0 \(got nan\)"),
    ("pop_1min = 1\n", r"unexpected key 'pop_1min' at the top level .*\[weights\] table"),
    ("title = \"x\"\n", r"has no \[weights\] table"),
    ("[weights\npop_1min = 1\n", r"is not valid TOML"),
])
def test_bad_weights_file_names_file_and_key(tmp_path, text, message):
    f = tmp_path / "bad.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=r"weights file '.*bad\.toml'.*" + message):
        tl.load_weights(f)


def test_weights_file_with_unknown_criterion_names_the_file_and_valid_names(tiny_territory, tmp_path):
    f = tmp_path / "w.toml"
    f.write_text("[weights]\nfibre = 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"weights file '.*w\.toml': unknown criterion 'fibre'.*pop_1min"):
        tl.score(tiny_territory, weights=f, thresholds=(1, 2, 3), progress=False)
    with pytest.raises(OSError, match=r"weights file '.*absent\.toml' does not exist"):
        tl.load_weights(tmp_path / "absent.toml")


@pytest.mark.parametrize("normalisation", ["min-max", "rank", "z-score"])
def test_normalisations_follow_their_formulas(tiny_territory, normalisation):
    r = score_tiny(tiny_territory, weights=only("pop_1min"), normalisation=normalisation)
    v = r["pop_1min"].astype(float)
    expected = {"min-max": (v - v.min()) / (v.max() - v.min()),
                "rank": (v.rank(method="average") - 1) / (v.size - 1),
                "z-score": ((v - v.mean()) / v.std(ddof=0)).clip(-3, 3).add(3) / 6}[normalisation]
    np.testing.assert_allclose(r["score"], 100 * expected, atol=1e-9)
    assert r.attrs["tierslieux"].parameters["normalisation"] == normalisation


def test_unknown_normalisation_lists_the_valid_ones(tiny_territory):
    with pytest.raises(ValueError, match=r"normalisation 'minmax' is not one of: min-max, rank, z-score"):
        tl.score(tiny_territory, normalisation="minmax", progress=False)


def test_bad_thresholds_are_refused(tiny_territory):
    with pytest.raises(ValueError, match="whole number"):
        tl.score(tiny_territory, thresholds=(12.5,), progress=False)
    with pytest.raises(ValueError, match="1..1440"):
        tl.score(tiny_territory, thresholds=(0,), progress=False)


def test_progress_callback_reports_stages(tiny_territory, capsys, monkeypatch):
    from tierslieux import _progress

    score_tiny(tiny_territory, progress=True)  # captured stderr is not a terminal: no bar
    assert "catchments" not in capsys.readouterr().err
    monkeypatch.setattr(_progress, "watched", lambda: True)  # as on a terminal
    r = score_tiny(tiny_territory, progress=True)
    assert len(r) == 2
    assert "catchments" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------- input errors

def test_missing_file_names_the_path(tmp_path):
    missing = tmp_path / "nowhere.gpkg"
    with pytest.raises(OSError, match="nowhere.gpkg.*does not exist"):
        tl.load_territory(missing)


def test_missing_layer_lists_layers(tmp_path, tiny_layers):
    del tiny_layers["sites"]
    path = write_territory(tmp_path / "nosites.gpkg", tiny_layers)
    with pytest.raises(OSError, match=r"no layer 'sites' \(layers: .*communes"):
        tl.load_territory(path)


def test_layer_without_crs_is_refused_unless_stated(tmp_path, tiny_layers):
    tiny_layers["town_halls"] = tiny_layers["town_halls"].set_crs(None, allow_override=True)
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        path = write_territory(tmp_path / "nocrs.gpkg", tiny_layers)
    with pytest.raises(ValueError, match="layer 'town_halls' declares no coordinate reference system"):
        tl.load_territory(path)
    t = tl.load_territory(path, assume_crs="EPSG:2154")
    assert len(t.town_halls) == 5


def test_negative_population_names_feature_and_field(tmp_path, tiny_layers):
    tiny_layers["communes"].loc[2, "population"] = -5
    path = write_territory(tmp_path / "neg.gpkg", tiny_layers)
    with pytest.raises(ValueError, match=r"layer 'communes', feature fid=3 \(commune_code=99003\): population"):
        tl.load_territory(path)


def test_non_numeric_population_is_refused(tmp_path, tiny_layers):
    tiny_layers["communes"]["population"] = ["100", "200", "many", "800", "1600"]
    path = write_territory(tmp_path / "text.gpkg", tiny_layers)
    with pytest.raises(ValueError, match="field 'population' = 'many' is not a finite number"):
        tl.load_territory(path)


def test_site_in_unknown_commune_is_refused(tmp_path, tiny_layers):
    tiny_layers["sites"].loc[1, "commune_code"] = "5070"
    path = write_territory(tmp_path / "unknown.gpkg", tiny_layers)
    with pytest.raises(ValueError, match="site_id=s-c.*commune_code '5070' is not in the communes layer"):
        tl.load_territory(path)


def test_territory_in_lon_lat_gives_the_same_result(tmp_path, tiny_layers):
    base = score_tiny(write_territory(tmp_path / "l93.gpkg", tiny_layers))
    wgs = {k: (v.to_crs("EPSG:4326") if isinstance(v, gpd.GeoDataFrame) else v) for k, v in tiny_layers.items()}
    other = score_tiny(write_territory(tmp_path / "wgs84.gpkg", wgs))
    assert other.crs.to_epsg() == 2154
    np.testing.assert_allclose(other["access_minutes"], base["access_minutes"], atol=1e-6)
    np.testing.assert_allclose(other.geometry.x, base.geometry.x, atol=1e-3)
    assert other["pop_3min"].tolist() == base["pop_3min"].tolist()


# ---------------------------------------------------------------------------------------------- GeoPackage output

def test_write_gpkg_contract_and_roundtrip(tmp_path, tiny_territory):
    r = score_tiny(tiny_territory)
    r["note"] = ["planner column", None]
    out = tl.write_gpkg(r, tmp_path / "sub" / "result.gpkg")
    layers = dict(pyogrio.list_layers(out))
    assert layers == {"sites": "Point", "communes": "MultiPolygon", "network_edges": "LineString",
                      "catchments": "MultiPolygon", "run_info": None, "diagnostics": None, "layer_styles": None}
    sites = gpd.read_file(out, layer="sites")
    assert sites.crs.to_epsg() == 2154
    for col in ["site_id", "name", "kind", "commune_code", "node_id", "access_minutes", "pop_1min", "pop_3min",
                "score", "rank", "contrib_pop_1min", "gravity_access", "note"]:
        assert col in sites.columns, col
    assert sites["note"][0] == "planner column" and pd.isna(sites["note"][1])
    communes = gpd.read_file(out, layer="communes")
    for col in ["commune_code", "name", "population", "in_territory", "node_id", "minutes_to_nearest_site"]:
        assert col in communes.columns, col
    assert pd.isna(communes.set_index("commune_code").loc["99005", "minutes_to_nearest_site"])
    edges = gpd.read_file(out, layer="network_edges")
    assert sorted(zip(edges["from_node"], edges["to_node"])) == [(0, 1), (1, 2), (2, 3)]
    assert edges["minutes"].tolist() == pytest.approx([1.0, 1.0, 1.0])
    assert not [p for p in os.listdir(out.parent) if p.endswith(".tmp.gpkg")]


def test_failed_write_leaves_previous_file_untouched(tmp_path, tiny_territory):
    r = score_tiny(tiny_territory)
    out = tl.write_gpkg(r, tmp_path / "result.gpkg")
    before = out.read_bytes()
    # a second layer named "sites" makes GDAL fail half-way through the write
    with pytest.raises(OSError, match="sites"):
        tl.write_gpkg(r, out, extra_layers={"sites": r})
    assert out.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["result.gpkg", "tiny.gpkg"]


def test_write_gpkg_refuses_a_frame_without_crs(tmp_path, tiny_territory):
    r = score_tiny(tiny_territory)
    with pytest.raises(ValueError, match="no CRS"):
        tl.write_gpkg(r, tmp_path / "x.gpkg", extra_layers={"extra": r.set_crs(None, allow_override=True)})
    assert not (tmp_path / "x.gpkg").exists()


# ---------------------------------------------------------------------------------------------- Baronnies

def test_default_territory_counts():
    t = tl.load_territory()
    communes, sites = t.communes, t.sites
    assert len(communes) == 431 and int(communes["in_territory"].sum()) == 98  # 97 members + Rémuzat
    assert communes.crs.to_epsg() == 2154
    inside = set(communes.loc[communes["in_territory"], "commune_code"])
    halls = sites[sites["kind"] == "town_hall"]
    assert set(halls["commune_code"]) == inside  # every territory town hall is a site
    assert len(sites) == 145 and (sites["kind"] == "france_services").sum() == 10
    assert len(gpd.read_file(t.path, layer="existing_tiers_lieux")) == 23
    assert communes["commune_code"].str.fullmatch(r"\d{5}|2[AB]\d{3}").all()


def test_baronnies_result_contract(baronnies_result):
    r = baronnies_result
    assert r.crs.to_epsg() == 2154
    assert sorted(r["rank"]) == list(range(1, len(r) + 1))
    contrib = r[[c for c in r.columns if c.startswith("contrib_")]].sum(axis=1)
    np.testing.assert_allclose(contrib, r["score"], atol=1e-9)
    assert r["ftth_share"].min() == 0 and r["ftth_share"].max() > 0.8  # ARCEP 2024: fibre varies
    assert (r["contrib_ftth_share"] > 0).any() and r["hybridity"].nunique() > 1
    assert r["minutes_to_existing_tiers_lieu"].notna().all() and "demand_share" in r.columns
    assert r["score"].max() <= 100 and r["score"].min() >= 0
    assert r.attrs["tierslieux"].communes_unreachable == 0


def test_baronnies_pop_matches_independent_dijkstra(baronnies_result):
    r = baronnies_result
    meta = r.attrs["tierslieux"]
    communes, edges = meta.communes, meta.network_edges
    pop = communes.set_index("node_id")["population"]
    n = len(communes)
    for _, site in r.iterrows():
        dist = dijkstra(n, edges, int(site["node_id"]))
        for t in (15, 30):
            budget = t - site["access_minutes"]
            expected = sum(pop[v] for v in range(n) if dist[v] <= budget)
            assert site[f"pop_{t}min"] == pytest.approx(expected), (site["site_id"], t)


def test_territory_without_broadband_skips_ftth_share(tmp_path, tiny_layers):
    del tiny_layers["broadband"]
    path = write_territory(tmp_path / "nobb.gpkg", tiny_layers)
    with pytest.warns(tl.DataWarning) as record:
        r = tl.score(path, thresholds=(1, 2, 3), progress=False, **KM_PER_MINUTE)
    assert any("criterion 'ftth_share' is skipped" in str(w.message) and "no broadband layer" in str(w.message)
               for w in record)
    assert r.attrs["tierslieux"].skipped["ftth_share_catchment"].endswith("has no broadband layer (or it is empty)")
    assert "ftth_share" not in r.columns and "contrib_ftth_share" not in r.columns
    assert "ftth_share" not in r.attrs["tierslieux"].weights
    with pytest.raises(ValueError, match="ftth_share.*skipped.*no broadband layer"):
        tl.score(path, weights={"ftth_share": 1}, progress=False)


# ---------------------------------------------------------------------------------------------- tl.explain

@pytest.mark.parametrize("normalisation", ["min-max", "rank", "z-score"])
def test_explain_adds_up_and_says_it_in_words(tiny_territory, normalisation):
    r = score_tiny(tiny_territory, normalisation=normalisation)
    for site_id in r["site_id"]:
        e = tl.explain(r, site_id, lang="en")
        site = r[r["site_id"] == site_id].iloc[0]
        assert e.rank == site["rank"] and e.score == pytest.approx(site["score"])
        assert e.table["points"].sum() == pytest.approx(site["score"], abs=1e-9)
        counted = e.table[e.table["effective_weight"] > 0]
        assert ((counted["normalised"] >= -1e-12) & (counted["normalised"] <= 1 + 1e-12)).all()
        np.testing.assert_allclose(counted["points"] + counted["points_missed"], 100 * counted["effective_weight"])
        for row in e.table.itertuples():
            assert row.value == pytest.approx(site[row.criterion], nan_ok=True)
        assert f"ranks {site['rank']} of {len(r)} with a score of {site['score']:.1f} / 100" in e.text
        assert f"({normalisation} normalisation)" in e.text
    best = tl.explain(r, r.sort_values("rank").iloc[0]["site_id"], lang="en")
    top = best.table.iloc[0]
    assert f"{top['points']:.1f} points" in best.text.splitlines()[1]  # largest part first


def test_explain_names_criteria_left_out_and_refuses_unknown_sites(tiny_territory):
    r = score_tiny(tiny_territory, weights={"gravity_access": 0})
    e = tl.explain(r, r.iloc[0]["site_id"], lang="en")
    line = next(x for x in e.text.splitlines() if "shown but not counted (weight 0): " in x)
    assert "gravity_access" in line and "pop_1min" not in line
    with pytest.raises(ValueError, match=r"site_id 'nowhere' is not in the result \(\d+ sites, e.g. s-"):
        tl.explain(r, "nowhere")
    with pytest.raises(TypeError, match="GeoDataFrame returned by tierslieux.score"):
        tl.explain(pd.DataFrame({"site_id": ["a"]}), "a")


def test_explain_example_in_the_docs_is_what_the_default_run_says(baronnies_result):
    from pathlib import Path

    text = tl.explain(baronnies_result, baronnies_result.sort_values("rank").iloc[0]["site_id"], lang="en").text
    docs = (Path(__file__).resolve().parents[2] / "docs" / "criteria.md").read_text(encoding="utf-8")
    assert text in docs


# ---------------------------------------------------------------------------------------------- rank stability

def test_rank_stability_columns_are_seeded_and_consistent(baronnies_result):
    r = baronnies_result
    assert {"p_top10", "rank_p05", "rank_p95"} <= set(r.columns)
    assert r["p_top10"].between(0, 1).all()
    assert (r["rank_p05"] <= r["rank_p95"]).all() and r["rank_p05"].min() >= 1 and r["rank_p95"].max() <= len(r)
    # each draw has exactly 10 sites in its top 10: the shares add up to 10
    assert r["p_top10"].sum() == pytest.approx(10.0)
    assert r.attrs["tierslieux"].parameters["stability_draws"] == 1000
    with pytest.warns(tl.DataWarning):
        again = tl.score(progress=False)
    pd.testing.assert_frame_equal(again[["p_top10", "rank_p05", "rank_p95"]], r[["p_top10", "rank_p05", "rank_p95"]])
    with pytest.warns(tl.DataWarning):
        other = tl.score(progress=False, stability_seed=7, stability_draws=300)
    assert not other["p_top10"].equals(r["p_top10"])  # another seed, other draws (fragile sites move)
    assert other["p_top10"].sum() == pytest.approx(10.0)


def test_rank_stability_can_be_skipped_and_checks_its_options(tiny_territory):
    r = score_tiny(tiny_territory, stability_draws=0)
    assert not {"p_top10", "rank_p05", "rank_p95"} & set(r.columns)
    with pytest.raises(ValueError, match=r"stability_draws must be a whole number in \[0, 1000000\] \(got -1\)"):
        tl.score(tiny_territory, stability_draws=-1, progress=False)
    with pytest.raises(ValueError, match=r"stability concentration must be a finite number > 0"):
        tl.score(tiny_territory, stability_concentration=0.0, progress=False)


def test_warnings_and_errors_carry_a_code_and_what_they_concern():
    """Issue 11: a program reads codes and ids, never the text (tl.Diagnostic; InputError's attributes)."""
    data = Path(__file__).resolve().parents[1] / "data"
    territory = tl.load_territory(data / "saint_barthelemy_territory.gpkg", crs="EPSG:5490")
    with pytest.warns(tl.DataWarning):
        result = tl.score(territory, thresholds=(3, 6), progress=False)
    meta = result.attrs["tierslieux"]
    assert [d.text for d in meta.diagnostics] == meta.warnings
    assert all(isinstance(d, tl.Diagnostic) and d.code for d in meta.diagnostics)
    skipped = {d.ids[0] for d in meta.diagnostics if d.code == "criterion_skipped"}
    assert skipped == set(meta.skipped) and "ftth_share" in skipped
    with pytest.raises(tl.InputError) as unknown:
        tl.score(territory, weights={"pop_99min": 1}, progress=False)
    assert (unknown.value.code, unknown.value.ids) == ("unknown_criterion", ("pop_99min",))
    with pytest.raises(tl.InputError) as for_skipped:
        tl.score(territory, weights={"ftth_share": 0.2}, progress=False)
    assert (for_skipped.value.code, for_skipped.value.ids) == ("weight_for_skipped_criterion", ("ftth_share",))
    assert tl.InputError("raised in Python").code == "input_error"


def test_bad_input_errors_carry_file_layer_feature_and_field(tmp_path, tiny_layers):
    """Issue 11: a bad feature is named by the error's attributes, not only by its text."""
    layers = dict(tiny_layers)
    communes = layers["communes"].copy()
    communes.loc[communes.index[2], "population"] = -5
    layers["communes"] = communes
    path = write_territory(tmp_path / "bad.gpkg", layers)
    with pytest.raises(tl.InputError) as bad:
        tl.load_territory(path)
    e = bad.value
    assert (e.code, e.layer, e.field) == ("negative_value", "communes", "population")
    assert e.file == str(path) and e.feature_id == 3 and f"fid={e.feature_id}" in str(e)
    layers = dict(tiny_layers)
    layers["sites"] = layers["sites"].drop(columns="kind")
    path = write_territory(tmp_path / "nokind.gpkg", layers)
    with pytest.raises(tl.InputError) as missing:
        tl.load_territory(path)
    assert (missing.value.code, missing.value.layer, missing.value.field, missing.value.feature_id) == (
        "missing_field", "sites", "kind", None)


def test_territory_warnings_are_diagnostics_too(tmp_path, tiny_layers):
    layers = dict(tiny_layers)
    extra = layers["communes"][["commune_code"]].iloc[:1].assign(commune_code="99999", ftth_share=0.5)
    layers["broadband"] = pd.DataFrame(extra)
    path = write_territory(tmp_path / "bb.gpkg", layers)
    with pytest.warns(tl.DataWarning, match="99999"):
        territory = tl.load_territory(path)
    (d,) = territory.diagnostics
    assert (d.code, d.ids, d.layer, d.file) == ("broadband_unknown_communes", ("99999",), "broadband", str(path))
    assert [x.text for x in territory.diagnostics] == territory.warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", tl.DataWarning)
        result = tl.score(territory, progress=False)
    assert result.attrs["tierslieux"].diagnostics[0] == d  # kept first in the run's list…
    assert not any("99999" in str(w.message) for w in caught)  # …and not shown twice


def test_a_territory_outline_without_crs_is_left_out_with_a_warning(tiny_territory, tmp_path):
    from shapely.geometry import box

    outline = gpd.GeoDataFrame({"name": ["synthetic outline"]}, geometry=[box(900_000, 6_400_000, 904_000, 6_401_000)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pyogrio says the CRS is missing: that is the point
        pyogrio.write_dataframe(outline, tiny_territory, layer="territory", driver="GPKG")
    r = score_tiny(tiny_territory)
    with pytest.warns(tl.DataWarning, match="layer 'territory' declares no CRS: the outline is left out"):
        out = tl.write_gpkg(r, tmp_path / "r.gpkg")
    assert "territory" not in dict(pyogrio.list_layers(out))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tl.DataWarning)
        assumed = tl.score(tl.load_territory(tiny_territory, assume_crs="EPSG:2154"), progress=False)
    out = tl.write_gpkg(assumed, tmp_path / "assumed.gpkg")
    assert pyogrio.read_dataframe(out, layer="territory").crs == "EPSG:2154"
