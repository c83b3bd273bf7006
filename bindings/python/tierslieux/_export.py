"""tl.ranking_table / tl.export_table: the ranking with its explanation, one row per site, for a spreadsheet."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Union

import pandas as pd

from ._core import InputError

PathLike = Union[str, "os.PathLike[str]"]


def ranking_table(result: pd.DataFrame) -> pd.DataFrame:
    """One row per site of a :func:`tierslieux.score` result, by rank: ``rank``, ``site_id``, ``name``, ``kind``,
    ``commune_code``, ``score``, the rank-stability columns when measured, ``helps_most`` and ``hurts_most`` (the
    criterion that brings the most points, and the one where the site is farthest below the best), ``explanation``
    (:func:`tierslieux.explain` in words), then the raw value of every criterion that counts in the score."""
    from ._explain import explain

    meta = result.attrs.get("tierslieux") if hasattr(result, "attrs") else None
    if meta is None:
        raise TypeError("ranking_table needs the GeoDataFrame returned by tierslieux.score")
    ordered = result.sort_values("rank")
    counted = [c for c, w in meta.effective_weights.items() if w > 0 and c in result.columns]
    rows = []
    for site in ordered.itertuples(index=False):
        e = explain(result, site.site_id)
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


def export_table(result: pd.DataFrame, path: PathLike) -> Path:
    """Write :func:`ranking_table` to ``path`` (.csv: UTF-8 with a byte-order mark, so that spreadsheets read the
    accents; one row per site, the explanation in one quoted cell). Written to a temporary file renamed into
    place; a path that is one of the run's inputs is refused. Returns the path."""
    from .plot import check_output, write_atomically

    out = Path(os.fspath(path))
    if out.suffix.lower() != ".csv":
        raise InputError(f"export '{out}' must end in .csv (the only table format so far)")
    inputs = result.attrs["tierslieux"].input_paths() if "tierslieux" in getattr(result, "attrs", {}) else []
    check_output(out, inputs)  # before the table is computed
    table = ranking_table(result)
    return write_atomically(out, inputs, lambda tmp: table.to_csv(tmp, index=False, encoding="utf-8-sig",
                                                                  lineterminator="\r\n"))
