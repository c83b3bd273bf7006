"""tl.ranking_table / tl.export_table: the ranking with its explanation, one row per site, for a spreadsheet."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Union

import pandas as pd

from ._core import InputError

PathLike = Union[str, "os.PathLike[str]"]


def ranking_table(result: pd.DataFrame, lang: str = "fr") -> pd.DataFrame:
    """One row per site of a :func:`tierslieux.score` result, by rank: ``rank``, ``site_id``, ``name``, ``kind``,
    ``commune_code``, ``score``, the rank-stability columns when measured, ``helps_most`` and ``hurts_most`` (the
    criterion that brings the most points, and the one where the site is farthest below the best), ``explanation``
    (:func:`tierslieux.explain` in words, in ``lang``: "fr" or "en"), then the raw value of every criterion that
    counts in the score. Column names do not change with the language."""
    from ._explain import explain

    meta = result.attrs.get("tierslieux") if hasattr(result, "attrs") else None
    if meta is None:
        raise TypeError("ranking_table needs the GeoDataFrame returned by tierslieux.score")
    ordered = result.sort_values("rank")
    counted = [c for c, w in meta.effective_weights.items() if w > 0 and c in result.columns]
    rows = []
    for site in ordered.itertuples(index=False):
        e = explain(result, site.site_id, lang=lang)
        weighted = e.table[e.table["effective_weight"] > 0]
        row = {"rank": int(site.rank), "site_id": site.site_id, "name": site.name, "kind": site.kind,
               "commune_code": site.commune_code, "score": round(float(site.score), 2)}
        for column in ("p_top10", "rank_p05", "rank_p95"):
            if column in result.columns:
                row[column] = getattr(site, column)
        row["helps_most"] = weighted.sort_values("points", ascending=False)["criterion"].iloc[0] \
            if not weighted.empty else ""
        row["hurts_most"] = weighted.sort_values("points_missed", ascending=False)["criterion"].iloc[0] \
            if not weighted.empty else ""
        row["explanation"] = e.text
        for c in counted:
            row[c] = getattr(site, c)
        rows.append(row)
    return pd.DataFrame(rows)


def export_table(result: pd.DataFrame, path: PathLike, lang: str = "fr") -> Path:
    """Write :func:`ranking_table` to ``path``, for people who live in a spreadsheet: ``.csv`` (UTF-8 with a
    byte-order mark, so that spreadsheets read the accents; column names as header, the explanation in one quoted
    cell) or ``.xlsx`` (a sheet with the field titles in ``lang`` as header, frozen, the explanation wrapped, and a
    second sheet giving each column's name, title and description). Written to a temporary file renamed into
    place; a path that is one of the run's inputs is refused. Returns the path."""
    from ._i18n import check_lang
    from .plot import check_output, write_atomically

    lang = check_lang(lang)
    out = Path(os.fspath(path))
    if out.suffix.lower() not in (".csv", ".xlsx"):
        raise InputError(f"export '{out}' must end in .csv or .xlsx")
    inputs = result.attrs["tierslieux"].input_paths() if "tierslieux" in getattr(result, "attrs", {}) else []
    check_output(out, inputs)  # before the table is computed
    table = ranking_table(result, lang)
    if out.suffix.lower() == ".csv":
        return write_atomically(out, inputs, lambda tmp: table.to_csv(tmp, index=False, encoding="utf-8-sig",
                                                                      lineterminator="\r\n"))
    return write_atomically(out, inputs, lambda tmp: _write_xlsx(table, tmp, lang))


#: Sheet names and headers of the .xlsx export.
_SHEETS = {"fr": ("Classement", "Colonnes", ("colonne", "titre", "description")),
           "en": ("Ranking", "Columns", ("column", "title", "description"))}
_EXTRA_TITLES = {"helps_most": {"fr": ("Critère qui aide le plus", "critère qui apporte le plus de points"),
                                "en": ("Helps most", "criterion that brings the most points")},
                 "hurts_most": {"fr": ("Critère qui pénalise le plus", "critère où le site est le plus loin du "
                                       "meilleur"),
                                "en": ("Hurts most", "criterion where the site is farthest below the best")},
                 "explanation": {"fr": ("Explication", "le score expliqué en mots (tl.explain)"),
                                 "en": ("Explanation", "the score explained in words (tl.explain)")}}


def _write_xlsx(table: pd.DataFrame, path: Path, lang: str) -> None:
    from openpyxl.styles import Alignment, Font

    from ._titles import field_title

    titles = [(_EXTRA_TITLES[c][lang] if c in _EXTRA_TITLES else field_title("sites", c, lang) or (c, ""))
              for c in table.columns]
    ranking, columns, header = _SHEETS[lang]
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        table.set_axis([t[0] for t in titles], axis=1).to_excel(writer, sheet_name=ranking, index=False)
        pd.DataFrame([(c, t[0], t[1]) for c, t in zip(table.columns, titles)], columns=list(header)).to_excel(
            writer, sheet_name=columns, index=False)
        sheet = writer.sheets[ranking]
        sheet.freeze_panes = "D2"
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for i, column in enumerate(table.columns, start=1):
            letter = sheet.cell(row=1, column=i).column_letter
            sheet.column_dimensions[letter].width = 80 if column == "explanation" else 30 if column == "name" else 14
            if column == "explanation":
                for cell in sheet[letter][1:]:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
        writer.sheets[columns].column_dimensions["C"].width = 90
