"""Scenarios: tl.Scenario, tl.run_scenario, tl.compare and `tierslieux compare`, on the SYNTHETIC tiny territory
(conftest.py) with a third site, and on the real default territory for the command line."""
from __future__ import annotations

import hashlib
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

import tierslieux as tl

from conftest import write_territory

KM_PER_MINUTE = dict(detour_factor=1.0, speed_kmh=60.0, access_speed_kmh=60.0)  # 1 km straight = 1 minute


@pytest.fixture
def three_sites(tmp_path, tiny_layers):
    """The tiny territory (A B C D 1 km apart) plus a third site s-d on D's town hall."""
    sites = tiny_layers["sites"]
    d = tiny_layers["town_halls"].geometry[3]
    extra = gpd.GeoDataFrame({"site_id": ["s-d"], "name": ["Mairie D"], "kind": ["town_hall"],
                              "commune_code": ["99004"], "services": ["mairie"]}, geometry=[Point(d.x, d.y)],
                             crs=sites.crs)
    tiny_layers["sites"] = pd.concat([sites, extra], ignore_index=True)
    return write_territory(tmp_path / "three.gpkg", tiny_layers)


def base_of(path, **kw):
    with pytest.warns(tl.DataWarning):
        return tl.score(path, thresholds=(1, 2, 3), progress=False, **{**KM_PER_MINUTE, **kw})


def scenario_of(base, scenario):
    with pytest.warns(tl.DataWarning):
        return tl.run_scenario(base, scenario, progress=False)


def test_fibre_scenario_changes_the_fibre_criteria_only(three_sites):
    digest = hashlib.sha256(three_sites.read_bytes()).hexdigest()
    base = base_of(three_sites)
    result = scenario_of(base, tl.Scenario("fibre reaches A", fibre=["99001"]))
    assert hashlib.sha256(three_sites.read_bytes()).hexdigest() == digest, "the input file is never modified"
    frame = tl.compare(base, result).set_index("site_id")
    assert frame.loc["s-a", "ftth_share_delta"] == pytest.approx(1.0)  # 0 -> 1
    assert frame.loc["s-c", "ftth_share_delta"] == pytest.approx(0.0)
    assert (frame["status"] == "kept").all()
    assert not any(c.startswith("pop_") for c in frame.columns), "population did not change: no delta column"
    np.testing.assert_allclose(frame["score_delta"], frame["score_scenario"] - frame["score_base"])
    np.testing.assert_array_equal(frame["rank_change"], frame["rank_base"] - frame["rank_scenario"])
    # same parameters as the base: thresholds 1 2 3, the same graph
    meta = result.attrs["tierslieux"]
    assert meta.parameters["thresholds"] == [1, 2, 3]
    assert meta.parameters["scenario"]["fibre"] == {"99001": 1.0}
    assert len(meta.network_edges) == len(base.attrs["tierslieux"].network_edges)


def test_opening_a_site_as_a_tiers_lieu(three_sites):
    base = base_of(three_sites)
    result = scenario_of(base, tl.Scenario("C opens", open_tiers_lieux=["s-c"]))
    frame = tl.compare(base, result).set_index("site_id")
    assert frame.loc["s-c", "status"] == "opened as tiers-lieu"
    assert (frame.drop(index="s-c")["status"] == "kept").all()
    assert np.isnan(frame.loc["s-c", "score_scenario"]) and np.isnan(frame.loc["s-c", "rank_scenario"])
    assert frame.index[-1] == "s-c", "sites of the scenario first, by rank; then those it removed"
    # s-c is now an existing tiers-lieu (0.5 min from its node C): to s-a on A's town hall 0.5 + 2, to s-d 0.5 + 1
    site = result.set_index("site_id")
    assert site.loc["s-a", "minutes_to_existing_tiers_lieu"] == pytest.approx(2.5)
    assert site.loc["s-d", "minutes_to_existing_tiers_lieu"] == pytest.approx(1.5)
    assert "minutes_to_existing_tiers_lieu" not in base.columns
    # commune C's nearest candidate was s-c (0.5 min); now s-d, 1 minute away
    communes = frame.attrs["communes"].set_index("commune_code")
    assert communes.loc["99003", "minutes_base"] == pytest.approx(0.5)
    assert communes.loc["99003", "minutes_scenario"] == pytest.approx(1.0)
    assert (communes["minutes_delta"] >= -1e-9).all()


def test_closing_a_site(three_sites):
    base = base_of(three_sites)
    result = scenario_of(base, tl.Scenario("D closes", close_sites=["s-d"]))
    frame = tl.compare(base, result).set_index("site_id")
    assert frame.loc["s-d", "status"] == "closed"
    # commune D had s-d on its town hall; now s-c is 1 + 0.5 minutes away
    communes = frame.attrs["communes"].set_index("commune_code")
    assert communes.loc["99004", "minutes_base"] == pytest.approx(0.0)
    assert communes.loc["99004", "minutes_scenario"] == pytest.approx(1.5)
    coverage = frame.attrs["coverage"].set_index("minutes")
    # within 1 minute of a candidate: A, B (1 from s-a), C (0.5) and D (0) before; D is lost
    assert coverage.loc[1, "population_base"] == pytest.approx(1500)
    assert coverage.loc[1, "population_scenario"] == pytest.approx(700)
    assert coverage.loc[1, "population_delta"] == pytest.approx(-800)
    assert coverage.loc[3, "population_delta"] == pytest.approx(0)


def test_scenario_weights_and_building_fit(three_sites):
    base = base_of(three_sites)
    result = scenario_of(base, tl.Scenario("council", weights={"pop_1min": 5}, building_fit={"town_hall": 0.9}))
    assert result.attrs["tierslieux"].weights["pop_1min"] == 5
    assert base.attrs["tierslieux"].weights["pop_1min"] != 5
    fit = result.set_index("site_id")["building_fit"]
    assert fit["s-a"] == pytest.approx(0.9) and fit["s-c"] == pytest.approx(tl.default_building_fit()["library"])
    # None keeps the base run's weights
    weighted = base_of(three_sites, weights={"gravity_access": 0})
    kept = scenario_of(weighted, tl.Scenario("same weights"))
    assert kept.attrs["tierslieux"].weights["gravity_access"] == 0


def test_compare_portfolios(three_sites):
    base = base_of(three_sites)
    result = scenario_of(base, tl.Scenario("D closes", close_sites=["s-d"]))
    frame = tl.compare(base, result, k=2, minutes=1)
    curve = frame.attrs["portfolio_curve"]
    assert list(curve.columns) == ["k", "covered_share_base", "covered_share_scenario", "covered_share_delta",
                                   "mean_minutes_base", "mean_minutes_scenario"]
    assert curve["k"].tolist() == [1, 2]
    np.testing.assert_allclose(curve["covered_share_delta"],
                               curve["covered_share_scenario"] - curve["covered_share_base"])
    assert (curve["covered_share_delta"] <= 1e-12).all(), "fewer candidates cannot cover more"
    with pytest.raises(ValueError, match="both k and minutes"):
        tl.compare(base, result, k=2)


def test_scenario_file(tmp_path, three_sites):
    weights = tmp_path / "w.toml"
    weights.write_text("[weights]\npop_2min = 3\n", encoding="utf-8")
    f = tmp_path / "s.toml"
    f.write_text('name = "file"\ndescription = "d"\nclose_sites = ["s-d"]\nweights_file = "w.toml"\n'
                 '[fibre]\n"99002" = 0.75\n[commute]\ncar_share = 0.5\n', encoding="utf-8")
    s = tl.Scenario.from_file(f)
    assert s.name == "file" and s.fibre == {"99002": 0.75} and s.close_sites == ("s-d",)
    assert s.weights == str(weights.resolve()) and s.commute == {"car_share": 0.5}
    result = scenario_of(base_of(three_sites), s)
    assert result.attrs["tierslieux"].weights["pop_2min"] == 3
    assert result.attrs["tierslieux"].parameters["commute"]["car_share"] == 0.5


@pytest.mark.parametrize("text, message", [
    ('description = "no name"\n', "has no name"),
    ('name = "x"\nclose = ["s-d"]\n', "unexpected key 'close'"),
    ('name = "x"\nweights_file = "w.toml"\n[weights]\npop_1min = 1\n', "not both"),
    ('name = "x"\n[commute]\nbogus = 1\n', "no key 'bogus'"),
    ('name = "x"\nclose_sites = "s-d"\n', "list of site ids"),
    ('name = "x\n', "not valid TOML"),
])
def test_bad_scenario_files_are_refused(tmp_path, text, message):
    f = tmp_path / "bad.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as e:
        tl.Scenario.from_file(f)
    assert "bad.toml" in str(e.value)
    with pytest.raises(OSError, match="does not exist"):
        tl.Scenario.from_file(tmp_path / "absent.toml")


def test_bad_changes_name_the_scenario(three_sites):
    base = base_of(three_sites)
    with pytest.raises(ValueError, match=r"scenario 'typo'.*'s-z'.*3 sites, e.g. s-a, s-c, s-d"):
        tl.run_scenario(base, tl.Scenario("typo", close_sites=["s-z"]), progress=False)
    with pytest.raises(ValueError, match=r"scenario 'far'.*commune_code '12345'"):
        tl.run_scenario(base, tl.Scenario("far", fibre={"12345": 1.0}), progress=False)
    with pytest.raises(ValueError, match="leaves no candidate site"):
        tl.run_scenario(base, tl.Scenario("empty", close_sites=["s-a", "s-c", "s-d"]), progress=False)
    with pytest.raises(ValueError, match="non-empty name"):
        tl.Scenario(" ")
    with pytest.raises(TypeError, match="GeoDataFrames returned by tierslieux.score"):
        tl.compare(pd.DataFrame(), base)


def test_cli_compare_on_the_default_territory(tmp_path):
    f = tmp_path / "fibre.toml"
    f.write_text('name = "fibre reaches Sahune"\nfibre = ["26288"]\n', encoding="utf-8")
    out = tmp_path / "cmp.gpkg"
    p = subprocess.run([sys.executable, "-m", "tierslieux", "compare", "--scenario", str(f), "--out", str(out),
                        "--k", "3", "--minutes", "20"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "scénario : fibre reaches Sahune" in p.stdout and "meilleurs ensembles de k sites" in p.stdout
    frame = gpd.read_file(out, layer="comparison")
    sahune = frame.set_index("site_id").loc[["mairie-26288", "fs-1212"]]
    assert (sahune["ftth_share_delta"] == 1.0).all()  # ARCEP 2024: no fibre in Sahune
    assert (sahune["rank_change"] > 0).all(), "fibre where there was none lifts the sites of Sahune"
    assert len(gpd.read_file(out, layer="portfolio_comparison")) == 3
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "typo"\nclose_sites = ["nowhere"]\n', encoding="utf-8")
    p = subprocess.run([sys.executable, "-m", "tierslieux", "compare", "--scenario", str(bad), "--out",
                        str(tmp_path / "x.gpkg")], capture_output=True, text=True, timeout=300)
    assert p.returncode == 3 and "scenario 'typo'" in p.stderr and "'nowhere'" in p.stderr
    assert not (tmp_path / "x.gpkg").exists()


def test_a_scenario_changing_nothing_gives_the_base_run(three_sites):
    base = base_of(three_sites, local_minutes=2, normalisation="rank", stability_draws=200, stability_seed=7,
                   weights={"gravity_access": 0.5}, commute={"car_share": 0.5})
    same = scenario_of(base, tl.Scenario("nothing"))
    np.testing.assert_allclose(same["score"], base["score"])
    assert same["site_id"].tolist() == base["site_id"].tolist()
    np.testing.assert_allclose(same["p_top10"], base["p_top10"])
    pb, ps = base.attrs["tierslieux"].parameters, same.attrs["tierslieux"].parameters
    for key in ("thresholds", "local_minutes", "normalisation", "stability_draws", "stability_seed",
                "detour_factor", "speed_kmh", "commute", "building_fit"):
        assert ps[key] == pb[key], key
    assert same.attrs["tierslieux"].weights == base.attrs["tierslieux"].weights


def test_a_scenarios_weights_file_brings_its_tables(tmp_path, three_sites):
    base = base_of(three_sites, building_fit={"library": 0.2})
    f = tmp_path / "w.toml"
    f.write_text("[weights]\npop_1min = 1\n[building_fit]\ntown_hall = 0.3\n[commute]\nmax_ratio = 0.9\n",
                 encoding="utf-8")
    result = scenario_of(base, tl.Scenario("file", weights=str(f)))
    p = result.attrs["tierslieux"].parameters
    assert p["commute"]["max_ratio"] == 0.9, "the file's [commute] is not overridden by the base's defaults"
    fit = result.set_index("site_id")["building_fit"]
    assert fit["s-a"] == pytest.approx(0.3) and fit["s-c"] == pytest.approx(0.2), "file over base, base kept"


def test_a_scenario_result_is_not_a_base(three_sites):
    base = base_of(three_sites)
    closed = scenario_of(base, tl.Scenario("D closes", close_sites=["s-d"]))
    with pytest.raises(ValueError, match="needs a base run, not the result of scenario 'D closes'"):
        tl.run_scenario(closed, tl.Scenario("fibre", fibre=["99001"]), progress=False)


def test_a_value_that_appears_keeps_its_delta_column(tmp_path, tiny_layers):
    tiny_layers["broadband"] = tiny_layers["broadband"].iloc[1:]  # 99001 (s-a's commune) has no row
    path = write_territory(tmp_path / "norow.gpkg", tiny_layers)
    base = base_of(path)
    assert np.isnan(base.set_index("site_id").loc["s-a", "ftth_share"])
    frame = tl.compare(base, scenario_of(base, tl.Scenario("fibre reaches A", fibre=["99001"])))
    assert "ftth_share_delta" in frame.columns
    assert np.isnan(frame.set_index("site_id").loc["s-a", "ftth_share_delta"])


def test_one_site_left_is_not_a_ranking(three_sites):
    base = base_of(three_sites)
    with pytest.raises(ValueError, match=r"at least 2 sites.*'s-a'"):
        tl.run_scenario(base, tl.Scenario("one left", close_sites=["s-c", "s-d"]), progress=False)


def test_slices_of_comparisons_and_portfolios_concatenate(three_sites):
    base = base_of(three_sites)
    frame = tl.compare(base, scenario_of(base, tl.Scenario("D closes", close_sites=["s-d"])), k=2, minutes=1)
    assert len(pd.concat([frame.iloc[:1], frame.iloc[1:]])) == len(frame)
    plan = tl.choose_sites(base, 2, 1)
    assert len(pd.concat([plan.iloc[:1], plan.iloc[1:]])) == 2


@pytest.mark.parametrize("kw, message", [
    (dict(close_sites=5), "list of site ids"),
    (dict(fibre={"99001": "abc"}), "must be a number"),
    (dict(fibre=3), "mapping commune_code"),
])
def test_bad_scenario_fields(kw, message):
    with pytest.raises(ValueError, match=message):
        tl.Scenario("bad", **kw)


def test_settings_tables_of_a_weights_file_are_checked_with_its_name(tmp_path, three_sites):
    f = tmp_path / "w.toml"
    f.write_text("[weights]\npop_1min = 1\n[building_fit]\ntown_hall = 1.5\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"w.toml'.*town_hall.*\[0, 1\]"):
        tl.score(three_sites, weights=f, progress=False)
    f.write_text("[weights]\npop_1min = 1\n[commute]\ncar_share = 2\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"w.toml'.*car_share"):
        tl.score(three_sites, weights=f, progress=False)
    f.write_text('name = "x"\nweights_file = 3\n', encoding="utf-8")
    with pytest.raises(ValueError, match="weights_file must be a path"):
        tl.Scenario.from_file(f)
