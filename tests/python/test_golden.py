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
