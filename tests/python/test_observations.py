"""The study's own field data (issue 12, section 6): the blank site_observations template, the table read with the
territory, the observed_visits criterion (skipped without it), the table in the GeoPackage and on the report's
cards. Every observation here is synthetic (labelled so in its source field); the default territory has none."""
from __future__ import annotations

import sqlite3
import subprocess
import sys

import numpy as np
import pandas as pd
import pyogrio
import pytest

import tierslieux as tl
from tierslieux._template import OBSERVATION_COLUMNS

SYNTHETIC = "synthetic test data"


def with_observations(territory_path, rows) -> None:
    frame = pd.DataFrame(rows, columns=list(OBSERVATION_COLUMNS))
    frame["visits"] = frame["visits"].astype(float)
    pyogrio.write_dataframe(frame, territory_path, layer="site_observations", driver="GPKG", append=False)


def test_the_template_is_blank_typed_and_titled(tmp_path):
    csv = tl._template.observations_template(tmp_path / "obs.csv")
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")
    assert pd.read_csv(csv, encoding="utf-8-sig").columns.tolist() == list(OBSERVATION_COLUMNS)
    gpkg = tl._template.observations_template(tmp_path / "obs.gpkg", lang="en")
    info = pyogrio.read_info(gpkg, layer="site_observations")
    assert info["features"] == 0 and list(info["fields"]) == list(OBSERVATION_COLUMNS)
    assert dict(zip(info["fields"], info["dtypes"]))["visits"] == "float64"
    with sqlite3.connect(gpkg) as db:
        titles = dict(db.execute("SELECT column_name, title FROM gpkg_data_columns"))
    assert titles["uses_tested"] == "Uses tested" and titles["visits"] == "Visits"
    with pytest.raises(tl.InputError, match=r"must end in \.csv or \.gpkg"):
        tl._template.observations_template(tmp_path / "obs.xlsx")
    p = subprocess.run([sys.executable, "-m", "tierslieux", "template", "observations", "--out",
                        str(tmp_path / "cli.csv")], capture_output=True, text=True)
    assert p.returncode == 0 and "écrit" in p.stdout, p.stderr
    assert pd.read_csv(tmp_path / "cli.csv", encoding="utf-8-sig").columns.tolist() == list(OBSERVATION_COLUMNS)


def test_observed_visits_is_skipped_without_observations(tiny_territory):
    with pytest.warns(tl.DataWarning) as record:
        result = tl.score(tiny_territory, progress=False)
    assert any("'observed_visits' is skipped" in str(w.message) and "no site_observations table" in str(w.message)
               for w in record)
    assert "observed_visits" in result.attrs["tierslieux"].skipped
    assert "observed_visits" not in result.columns
    assert tl.load_territory(tiny_territory).site_observations is None


def test_observations_are_read_scored_on_request_written_and_shown(tiny_territory, tmp_path):
    with_observations(tiny_territory, [
        ("s-a", "2025-T1", 30, "télétravailleurs;étudiants", "impression", "coin coworking", SYNTHETIC, "2025-04-01"),
        ("s-a", "2025-T2", 50, "", "", "repair café", SYNTHETIC, "2025-07-01"),
        ("s-c", "2025-T1", None, "associations", "salle", "", SYNTHETIC, ""),
        ("s-c", "2025-T2", 10, "", "", "", SYNTHETIC, ""),
    ])
    territory = tl.load_territory(tiny_territory)
    observed = territory.site_observations
    assert observed["site_id"].tolist() == ["s-a", "s-a", "s-c", "s-c"] and np.isnan(observed["visits"].iloc[2])
    with pytest.warns(tl.DataWarning):
        result = tl.score(territory, progress=False)
    by_id = result.set_index("site_id")
    assert by_id.loc["s-a", "observed_visits"] == 40.0  # mean over its two counted periods
    assert by_id.loc["s-c", "observed_visits"] == 10.0  # a period without a count is left out of the mean
    meta = result.attrs["tierslieux"]
    assert meta.effective_weights.get("observed_visits", 0.0) == 0.0  # shown, not scored by default
    with pytest.warns(tl.DataWarning):
        weighted = tl.score(territory, weights={"observed_visits": 0.5}, progress=False)
    assert weighted.attrs["tierslieux"].effective_weights["observed_visits"] > 0
    assert weighted.set_index("site_id").loc["s-a", "contrib_observed_visits"] > 0

    out = tl.write_gpkg(result, tmp_path / "run.gpkg")
    table = pyogrio.read_dataframe(out, layer="site_observations")
    assert table["uses_tested"].tolist()[:2] == ["coin coworking", "repair café"]

    html = tl.report(result, tmp_path / "run.html", top=1).read_text(encoding="utf-8")
    assert "Observé sur le terrain par l" in html and "repair café" in html and "coin coworking" in html
    # the observed site s-c gets its card even outside the top 1, and the heading says so
    assert 'id="site-s-c"' in html and "Fiches des 1 premiers sites et des 1 autres sites observés" in html


def test_bad_observations_are_refused_naming_the_row(tiny_territory):
    with_observations(tiny_territory, [("s-a", "2025", 3, "", "", "", SYNTHETIC, ""),
                                       ("nowhere", "2025", 3, "", "", "", SYNTHETIC, "")])
    with pytest.raises(tl.InputError) as bad:
        tl.load_territory(tiny_territory)
    assert "site_observations" in str(bad.value) and "'nowhere' is not in the sites layer" in str(bad.value)
    assert bad.value.code == "unknown_site" and bad.value.field == "site_id"
    with_observations(tiny_territory, [("s-a", "2025", -1, "", "", "", SYNTHETIC, "")])
    with pytest.raises(tl.InputError, match="visits = -1"):
        tl.load_territory(tiny_territory)
