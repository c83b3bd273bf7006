"""tl.export_table / tierslieux run --table (issue 12): the ranking with its explanation, one row per site, as CSV
a spreadsheet opens (UTF-8 with a byte-order mark)."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import tierslieux as tl


def test_one_row_per_site_by_rank_with_its_explanation(baronnies_result, tmp_path):
    result = baronnies_result
    out = tl.export_table(result, tmp_path / "sub" / "ranking.csv")
    assert out.read_bytes()[:3] == b"\xef\xbb\xbf"  # the BOM spreadsheets need for the accents
    table = pd.read_csv(out, encoding="utf-8-sig", dtype={"commune_code": str})
    assert len(table) == len(result) and table["rank"].tolist() == list(range(1, len(result) + 1))
    by_rank = result.sort_values("rank")
    assert table["site_id"].tolist() == by_rank["site_id"].tolist()
    assert any("é" in n or "è" in n for n in table["name"])  # accents survive
    meta = result.attrs["tierslieux"]
    counted = {c for c, w in meta.effective_weights.items() if w > 0}
    assert set(table["helps_most"]) <= counted and set(table["hurts_most"]) <= counted
    first = table.iloc[0]
    assert first["explanation"] == tl.explain(result, first["site_id"]).text
    for c in counted:
        np.testing.assert_allclose(table[c].to_numpy(float), by_rank[c].to_numpy(float), rtol=1e-12,
                                   equal_nan=True)
    assert [p.name for p in out.parent.iterdir()] == ["ranking.csv"]  # no temporary left


def test_bad_export_paths_are_refused(baronnies_result, tmp_path):
    with pytest.raises(tl.InputError, match=r"must end in \.csv"):
        tl.export_table(baronnies_result, tmp_path / "ranking.xlsx")
    territory = baronnies_result.attrs["tierslieux"].territory_path
    with pytest.raises(tl.InputError):
        tl.export_table(baronnies_result, territory)


def test_run_writes_the_table_too(tmp_path):
    out, table = tmp_path / "r.gpkg", tmp_path / "r.csv"
    p = subprocess.run([sys.executable, "-m", "tierslieux", "run", "--out", str(out), "--no-map", "--table",
                        str(table), "--stability-draws", "0"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert f"and {table}" in p.stdout
    assert len(pd.read_csv(table, encoding="utf-8-sig")) == 145
    same = subprocess.run([sys.executable, "-m", "tierslieux", "run", "--out", str(out), "--no-map", "--table",
                           str(out)], capture_output=True, text=True)
    assert same.returncode == 3 and "must end in .csv" in same.stderr
