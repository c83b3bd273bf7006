"""Determinism (issue 10): the same inputs and seed give identical values in every layer, and two writes of the
same result differ only in the GeoPackage's timestamps (gpkg_contents.last_change, one per layer); with
OGR_CURRENT_DATE pinned, not at all."""
from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
import warnings

import pandas as pd
import pyogrio
import pytest

import tierslieux as tl

LAYERS = ["sites", "communes", "network_edges", "catchments", "territory", "run_info", "diagnostics", "layer_styles"]


@pytest.fixture(scope="module")
def two_runs():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tl.DataWarning)
        return tl.score(progress=False), tl.score(progress=False)


def test_the_same_inputs_and_seed_give_identical_values_in_every_layer(two_runs, tmp_path):
    a, b = two_runs
    tl.write_gpkg(a, tmp_path / "a.gpkg")
    tl.write_gpkg(b, tmp_path / "b.gpkg")
    assert [name for name, _ in pyogrio.list_layers(tmp_path / "a.gpkg")] == LAYERS
    for layer in LAYERS:
        fa = pyogrio.read_dataframe(tmp_path / "a.gpkg", layer=layer)
        fb = pyogrio.read_dataframe(tmp_path / "b.gpkg", layer=layer)
        assert len(fa) > 0
        if layer == "run_info":  # the one value two runs may not share: when each was made
            fa, fb = fa[fa["key"] != "created"], fb[fb["key"] != "created"]
        if layer == "layer_styles":  # the styles are dated with the run
            fa, fb = fa.drop(columns="update_time"), fb.drop(columns="update_time")
        if "geometry" in fa.columns:
            assert (fa.geometry.to_wkb() == fb.geometry.to_wkb()).all(), layer
            fa, fb = fa.drop(columns="geometry"), fb.drop(columns="geometry")
        pd.testing.assert_frame_equal(fa, fb, check_exact=True)


def _dump(path) -> list:
    with sqlite3.connect(path) as db:
        return list(db.iterdump())


def test_two_writes_differ_only_in_gpkg_contents_last_change(two_runs, tmp_path):
    a, _ = two_runs
    assert "OGR_CURRENT_DATE" not in os.environ
    tl.write_gpkg(a, tmp_path / "1.gpkg")
    time.sleep(0.05)
    tl.write_gpkg(a, tmp_path / "2.gpkg")
    d1, d2 = _dump(tmp_path / "1.gpkg"), _dump(tmp_path / "2.gpkg")
    differing = [(x, y) for x, y in zip(d1, d2) if x != y]
    assert len(d1) == len(d2) and len(differing) == len(LAYERS)
    stamp = re.compile(r"'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z'")
    for x, y in differing:
        assert x.startswith('INSERT INTO "gpkg_contents"')
        assert stamp.sub("'T'", x) == stamp.sub("'T'", y)


def test_with_the_date_pinned_two_runs_write_the_same_bytes(tmp_path):
    env = {**os.environ, "OGR_CURRENT_DATE": "2026-12-07T00:00:00Z"}
    for name in ("1", "2"):
        subprocess.run([sys.executable, "-m", "tierslieux", "run", "--out", str(tmp_path / f"{name}.gpkg"),
                        "--no-map", "--quiet"], env=env, check=True, capture_output=True, timeout=300)
    assert (tmp_path / "1.gpkg").read_bytes() == (tmp_path / "2.gpkg").read_bytes()
