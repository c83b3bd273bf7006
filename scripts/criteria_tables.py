#!/usr/bin/env python3
"""The criteria tables of docs/criteria.md, printed from the engine's criteria registry (tl.criteria() and the
default weights): one table per family, between <!-- criteria-table:FAMILY --> and <!-- /criteria-table -->.

    .venv/bin/python scripts/criteria_tables.py            # print the tables
    .venv/bin/python scripts/criteria_tables.py --write    # put them into docs/criteria.md

tests/python/test_architecture.py checks that docs/criteria.md holds exactly these tables.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "criteria.md"
# table of docs/criteria.md -> registry families it shows
TABLES = {"demand": ["demand"], "broadband": ["broadband"], "commute": ["commute"], "building": ["building"],
          "gap filling and competition": ["gap filling", "competition"], "observed": ["observed"]}


def _weight(name: str, weights: dict) -> str:
    w = weights.get(name.replace("<T>", "1"), 0.0)
    if w <= 0:
        return "0 (shown, not scored)"
    return f"{w:.2f}, shared by the thresholds" if "<T>" in name else f"{w:.2f}"


def tables() -> dict:
    from tierslieux import _core
    import tierslieux as tl

    catalogue = tl.criteria()
    weights = dict(_core.default_weights([1]))
    out = {}
    for table, families in TABLES.items():
        rows = ["| criterion | unit | default weight | formula | input | when the input is missing |",
                "|---|---|---|---|---|---|"]
        for _, c in catalogue[catalogue["family"].isin(families)].iterrows():
            name = f"`{c['name']}`" + (", one per threshold T" if "<T>" in c["name"] else "")
            if c["direction"] != "more is better":
                name += f" ({c['direction']})"
            rows.append(f"| {name} | {c['unit']} | {_weight(c['name'], weights)} | {c['formula']} | {c['input']} | "
                        f"{c['when_missing']} |")
        out[table] = "\n".join(rows)
    return out


def with_tables(text: str, generated: dict) -> str:
    for table, body in generated.items():
        pattern = re.compile(rf"(<!-- criteria-table:{re.escape(table)} -->\n).*?(\n<!-- /criteria-table -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"{DOC}: no <!-- criteria-table:{table} --> … <!-- /criteria-table --> block")
        text = pattern.sub(lambda m: m.group(1) + body + m.group(2), text)
    return text


if __name__ == "__main__":
    generated = tables()
    if sys.argv[1:] == ["--write"]:
        DOC.write_text(with_tables(DOC.read_text(encoding="utf-8"), generated), encoding="utf-8")
    else:
        for table, body in generated.items():
            print(f"### {table}\n\n{body}\n")
