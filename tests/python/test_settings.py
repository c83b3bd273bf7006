"""tl.Settings (issue 11): every option of a run in one typed, frozen object, written and read back as TOML, used by
tl.score, the command line's three subcommands and run_scenario."""
from __future__ import annotations

import dataclasses
import inspect
import subprocess
import sys
import warnings

import geopandas as gpd
import pandas as pd
import pytest

import tierslieux as tl


@pytest.fixture(scope="module")
def territory():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tl.DataWarning)
        return tl.load_territory()


def quiet_score(*args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tl.DataWarning)
        return tl.score(*args, progress=False, **kw)


def test_the_defaults_are_tl_scores():
    signature = inspect.signature(tl.score).parameters
    s = tl.Settings()
    for f in dataclasses.fields(s):
        if f.name in signature and f.name not in ("weights", "building_fit", "commute"):
            default = signature[f.name].default
            assert getattr(s, f.name) == (tuple(default) if isinstance(default, tuple) else default), f.name
    assert tl.Settings.from_keywords() == s


def test_a_result_keeps_its_settings_and_they_re_run_it(territory):
    first = quiet_score(territory, thresholds=(20,), weights={"pop_20min": 2.0}, normalisation="rank",
                        stability_draws=50)
    settings = first.attrs["tierslieux"].settings
    assert settings.thresholds == (20,) and settings.weights == {"pop_20min": 2.0} and settings.crs == "EPSG:2154"
    again = quiet_score(territory, settings=settings)
    pd.testing.assert_frame_equal(first.drop(columns="geometry"), again.drop(columns="geometry"))
    assert again.attrs["tierslieux"].parameters == first.attrs["tierslieux"].parameters


def test_toml_round_trip(tmp_path):
    s = tl.Settings(thresholds=(10, 25), weights={"pop_10min": 0.5, "ftth_share": 0}, building_fit={"library": 1},
                    commute={"car_share": 0.8}, roads=str(tmp_path / "roads.osm.pbf"), normalisation="z-score",
                    stability_seed=2**63 + 5, local_minutes=12.5, assume_crs="EPSG:4326")
    text = s.to_toml(tmp_path / "s.toml")
    assert "[weights]" in text and "thresholds = [10, 25]" in text
    back = tl.Settings.from_toml(tmp_path / "s.toml")
    assert back == s.replace(weights_file=str(tmp_path / "s.toml"))
    assert back.stability_seed == 2**63 + 5  # a 64-bit seed survives the round trip exactly


def test_paths_in_a_settings_file_are_relative_to_it(tmp_path):
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "s.toml"
    path.write_text('roads = "roads.osm.pbf"\nthresholds = [20]\n', encoding="utf-8")
    s = tl.Settings.from_toml(path)
    assert s.roads == str(tmp_path / "sub" / "roads.osm.pbf") and s.weights_file is None
    path.write_text("[weights]\npop_15min = -1\n", encoding="utf-8")
    with pytest.raises(tl.InputError, match=r"settings file '.*s\.toml': weight of 'pop_15min'"):
        tl.Settings.from_toml(path)


def test_a_pickled_result_still_chooses_sites(territory):
    import pickle

    result = quiet_score(territory, stability_draws=0)
    back = pickle.loads(pickle.dumps(result))
    assert back.attrs["tierslieux"].engine_run is None  # the engine's run is not pickled: the tables are
    pd.testing.assert_frame_equal(tl.choose_sites(back, 3, 20).drop(columns="geometry"),
                                  tl.choose_sites(result, 3, 20).drop(columns="geometry"))


def test_a_weights_file_is_a_settings_file(tmp_path):
    path = tmp_path / "w.toml"
    path.write_text('title = "council"\n[weights]\npop_15min = 2\n[commute]\ncar_share = 0.5\n', encoding="utf-8")
    s = tl.Settings.from_toml(path)
    assert s.weights == {"pop_15min": 2.0} and s.commute == {"car_share": 0.5} and s.weights_file == str(path)
    assert s == tl.Settings.from_keywords(weights=path)


@pytest.mark.parametrize("changes, message", [
    ({"detour_factor": 0.5}, "detour"),
    ({"thresholds": (0,)}, "thresholds"),
    ({"thresholds": "15"}, "thresholds"),
    ({"stability_draws": -1}, "stability_draws"),
    ({"local_minutes": "fifteen"}, "local_minutes"),
    ({"commute": {"car_share": 2}}, "car_share"),
    ({"commute": {"speed": 1}}, "speed"),
    ({"building_fit": {"library": 1.5}}, "library"),
])
def test_bad_values_are_refused_when_made(changes, message):
    with pytest.raises(tl.InputError, match=message):
        tl.Settings().replace(**changes)


def test_settings_file_errors_name_the_file(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("speed = 40\n", encoding="utf-8")
    with pytest.raises(tl.InputError, match=r"settings file '.*s\.toml': unknown option 'speed'"):
        tl.Settings.from_toml(path)
    path.write_text("detour_factor = 0.2\n", encoding="utf-8")
    with pytest.raises(tl.InputError, match=r"settings file '.*s\.toml'.*detour"):
        tl.Settings.from_toml(path)


def test_settings_or_keywords_not_both(territory):
    with pytest.raises(TypeError, match="thresholds"):
        tl.score(territory, thresholds=(20,), settings=tl.Settings(), progress=False)


def test_run_scenario_keeps_the_base_settings(territory):
    base = quiet_score(territory, thresholds=(20,), stability_draws=0, commute={"car_share": 0.5})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tl.DataWarning)
        run = tl.run_scenario(base, tl.Scenario("fibre", fibre=["26288"]), progress=False)
    s = run.attrs["tierslieux"].settings
    assert s == base.attrs["tierslieux"].settings
    assert "pop_20min" in run.columns and "p_top10" not in run.columns


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "tierslieux", *args], capture_output=True, text=True)


def test_every_subcommand_takes_every_run_option(tmp_path):
    helps = {c: _cli(c, "--help").stdout for c in ("run", "portfolio", "compare")}
    for f in dataclasses.fields(tl.Settings):
        if f.compare and f.name not in ("weights", "building_fit", "commute", "weights_file"):
            flag = f.metadata.get("flag") or "--" + f.name.replace("_", "-")
            for command, text in helps.items():
                assert flag in text, (command, flag)
    settings = tmp_path / "s.toml"
    tl.Settings(thresholds=(20,), stability_draws=0).to_toml(settings)
    out = tmp_path / "p.gpkg"
    p = _cli("portfolio", "--k", "2", "--minutes", "20", "--out", str(out), "--quiet", "--settings", str(settings),
             "--normalisation", "rank")
    assert p.returncode == 0, p.stderr
    sites = gpd.read_file(out, layer="sites")
    assert "pop_20min" in sites.columns and "pop_15min" not in sites.columns and "p_top10" not in sites.columns
