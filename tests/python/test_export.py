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
    assert first["explanation"] == tl.explain(result, first["site_id"]).text  # French, the default
    for c in counted:
        np.testing.assert_allclose(table[c].to_numpy(float), by_rank[c].to_numpy(float), rtol=1e-12,
                                   equal_nan=True)
    assert [p.name for p in out.parent.iterdir()] == ["ranking.csv"]  # no temporary left


def test_the_explanation_is_in_french_by_default_and_in_english_on_request(baronnies_result):
    fr, en = tl.ranking_table(baronnies_result), tl.ranking_table(baronnies_result, lang="en")
    assert list(fr.columns) == list(en.columns)  # names are the contract; only the words change
    assert " est classé 1er sur 145 " in fr["explanation"].iloc[0] and " est classé 2e sur 145 " in \
        fr["explanation"].iloc[1]
    assert " ranks 1 of 145 " in en["explanation"].iloc[0]
    assert "Il perd le plus sur le critère" in fr["explanation"].iloc[0]


def test_xlsx_has_titles_as_header_and_a_sheet_of_columns(baronnies_result, tmp_path):
    import openpyxl

    out = tl.export_table(baronnies_result, tmp_path / "classement.xlsx")
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Classement", "Colonnes"]
    sheet = book["Classement"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Rang", "Identifiant du site", "Nom"] and "Explication" in header
    assert sheet.max_row == len(baronnies_result) + 1
    best = baronnies_result.sort_values("rank").iloc[0]
    assert sheet.cell(row=2, column=2).value == best["site_id"]
    assert abs(sheet.cell(row=2, column=header.index("Score (0–100)") + 1).value - round(best["score"], 2)) < 1e-9
    names = [row[0].value for row in book["Colonnes"].iter_rows(min_row=2)]
    assert names == list(tl.ranking_table(baronnies_result).columns)
    english = openpyxl.load_workbook(tl.export_table(baronnies_result, tmp_path / "ranking.xlsx", lang="en"))
    assert english.sheetnames == ["Ranking", "Columns"] and english["Ranking"]["A1"].value == "Rank"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["classement.xlsx", "ranking.xlsx"]


def test_bad_export_paths_are_refused(baronnies_result, tmp_path):
    with pytest.raises(tl.InputError, match=r"must end in \.csv or \.xlsx"):
        tl.export_table(baronnies_result, tmp_path / "ranking.ods")
    with pytest.raises(tl.InputError, match="'it' is not supported"):
        tl.export_table(baronnies_result, tmp_path / "ranking.csv", lang="it")
    territory = baronnies_result.attrs["tierslieux"].territory_path
    with pytest.raises(tl.InputError):
        tl.export_table(baronnies_result, territory)


def test_run_writes_the_table_too(tmp_path):
    out, table = tmp_path / "r.gpkg", tmp_path / "r.csv"
    p = subprocess.run([sys.executable, "-m", "tierslieux", "run", "--out", str(out), "--no-map", "--table",
                        str(table), "--stability-draws", "0"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert f" et {table}" in p.stdout
    assert len(pd.read_csv(table, encoding="utf-8-sig")) == 145
    same = subprocess.run([sys.executable, "-m", "tierslieux", "run", "--out", str(out), "--no-map", "--table",
                           str(out)], capture_output=True, text=True)
    assert same.returncode == 3 and "must end in .csv" in same.stderr
