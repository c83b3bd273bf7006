"""Behaviour unchanged (issue 11): the default run, the Saint-Barthélemy road run and notebook 02's portfolio and
scenario steps give the tables stored in tests/data/expected/ (see golden.py for the tolerance)."""
from __future__ import annotations

import pandas as pd
import pytest

import golden


@pytest.fixture(scope="module")
def computed():
    return golden.compute()


def test_every_stored_table_is_computed(computed):
    stored = sorted(str(p.relative_to(golden.EXPECTED).with_suffix("")) for p in golden.EXPECTED.rglob("*.csv"))
    assert stored == sorted(computed)
    assert len(stored) == 27


@pytest.mark.parametrize("name", sorted(str(p.relative_to(golden.EXPECTED).with_suffix(""))
                                        for p in golden.EXPECTED.rglob("*.csv")))
def test_golden_table(computed, name):
    assert golden.differences(name, computed[name]) == []


def test_the_comparison_can_fail(computed):
    """A changed value, a changed text and a dropped column are each seen."""
    sites = computed["baronnies/sites"].copy()
    sites.loc[3, "score"] += 1e-6
    assert any("score" in p for p in golden.differences("baronnies/sites", sites))
    sites = computed["baronnies/sites"].copy()
    sites.loc[0, "name"] = "x"
    assert any(".name" in p for p in golden.differences("baronnies/sites", sites))
    assert golden.differences("baronnies/sites", computed["baronnies/sites"].drop(columns="rank"))
    run = computed["baronnies/run"].copy()
    run.loc[len(run)] = ["warning[99]", "new"]
    assert golden.differences("baronnies/run", pd.DataFrame(run))


def test_every_diagnostic_code_is_documented(computed):
    """docs/outputs.md lists each code the engine uses, and every code the golden runs produce is in that list."""
    import re

    docs = (golden.ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
    table = docs[docs.index("## Diagnostics"):docs.index("## Semantics")]
    documented = set(re.findall(r"`([a-z_]+)`", "\n".join(line.split(" | ")[0] for line in table.splitlines()
                                                         if line.startswith("| `"))))
    engine = "".join(p.read_text(encoding="utf-8") for p in (golden.ROOT / "engine").rglob("*.[ch]pp"))
    assert {code for code in documented if f'"{code}"' not in engine} == set()
    used = set(re.findall(r'(?:\.error\(\w+,\s*|layer_error\([^,]+,\s*[^,]+,\s*|warn\(|Diagnostic\{|push_back\(\s*\{|'
                          r'return \{)"([a-z_]+)"', engine))
    assert len(used) >= 30 and used - documented == set()
    produced = set()
    for name, frame in computed.items():
        if name.endswith("/run"):
            produced |= {v.split(" ")[0] for k, v in frame.itertuples(index=False) if k.startswith("diagnostic[")}
    assert produced and produced <= documented
