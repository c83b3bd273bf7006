"""docs/baronnies.md says what the tool says: every table that scripts/baronnies_tables.py prints on the default
territory appears, as printed, in the document (regenerate the tables and paste them when this fails)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_table_of_the_baronnies_page_is_what_the_tool_prints():
    done = subprocess.run([sys.executable, str(ROOT / "scripts/baronnies_tables.py")], capture_output=True,
                          text=True, check=True, timeout=300)
    blocks = [b.strip() for b in done.stdout.split("<!-- ") if b.strip()]
    assert [b.split(" -->")[0] for b in blocks] == ["top10", "pilots", "coverage"]
    page = (ROOT / "docs/baronnies.md").read_text(encoding="utf-8")
    for block in blocks:
        name, table = block.split(" -->", 1)
        assert f"<!-- {name} -->\n{table.strip()}\n" in page, f"the '{name}' table of docs/baronnies.md is stale"
    # the pilot table names all nine pilot structures with a rank
    pilots = blocks[1]
    assert pilots.count(" of 145 |") == 9
