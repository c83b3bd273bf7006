"""Provenance inside the GeoPackage (issue 12): run_info and diagnostics tables; read_run_info gives back the
settings that re-run the same result."""
from __future__ import annotations

import hashlib
import subprocess
import sys
import warnings

import pandas as pd
import pyogrio
import pytest

import tierslieux as tl


@pytest.fixture(scope="module")
def run():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tl.DataWarning)
        territory = tl.load_territory()
        return territory, tl.score(territory, thresholds=(20,), weights={"pop_20min": 0.5}, stability_draws=20,
                                   commute={"car_share": 0.8}, progress=False)


def test_the_gpkg_says_how_it_was_made_and_the_settings_re_run_it(run, tmp_path):
    territory, result = run
    meta = result.attrs["tierslieux"]
    out = tl.write_gpkg(result, tmp_path / "r.gpkg")
    info = tl.read_run_info(out)
    assert info["tool"] == "tierslieux" and info["version"] == tl.__version__ and info["created"] == meta.created
    assert info["settings"] == meta.settings and info["settings"].commute == {"car_share": 0.8}
    assert info["effective_weights"] == pytest.approx(meta.effective_weights)
    assert info["diagnostics"] == meta.diagnostics and len(info["diagnostics"]) >= 1
    (source,) = [i for i in info["inputs"] if i["role"] == "territory"]
    data = tl.default_territory_path().read_bytes()
    assert source["sha256"] == hashlib.sha256(data).hexdigest() and source["bytes"] == len(data)
    # the data sources, vintages and licences of the embedded territory, in the file's language
    assert info["sources"].startswith("Sources : INSEE (COG et populations légales 2026") and "LICENCES.md" in \
        info["sources"]
    english = tl.read_run_info(tl.write_gpkg(result, tmp_path / "en.gpkg", lang="en"))["sources"]
    assert english.startswith("Sources: INSEE") and "Licence Ouverte (Etalab)" in english
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tl.DataWarning)
        again = tl.score(territory, settings=info["settings"], progress=False)
    pd.testing.assert_frame_equal(again.drop(columns="geometry"), result.drop(columns="geometry"))


def test_a_file_without_run_info_is_refused(tmp_path):
    path = tmp_path / "plain.gpkg"
    pyogrio.write_dataframe(pd.DataFrame({"a": [1]}), path, layer="t")
    with pytest.raises(tl.InputError, match="no run_info table"):
        tl.read_run_info(path)


def test_the_command_line_records_its_options(tmp_path):
    out = tmp_path / "c.gpkg"
    p = subprocess.run([sys.executable, "-m", "tierslieux", "run", "--out", str(out), "--no-map", "--quiet",
                        "--thresholds", "25", "--stability-draws", "0", "--weight", "pop_25min=0.4"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    s = tl.read_run_info(out)["settings"]
    assert s.thresholds == (25,) and s.stability_draws == 0 and s.weights == {"pop_25min": 0.4}
