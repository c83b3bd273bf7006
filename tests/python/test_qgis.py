"""The GeoPackage in the real client: QGIS 3.22 (Debian's python3-qgis, headless) opens every layer with the
style stored in the file, renders them, and shows the French or English field titles (issue 12).

QGIS runs in Debian's /usr/bin/python3, not in the venv: tests/qgis/open_in_qgis.py is called as a subprocess and
prints what QGIS sees as JSON. `make test` installs python3-qgis (scripts/setup.sh); without it these tests fail.
"""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import tierslieux as tl

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "qgis" / "open_in_qgis.py"
QGIS_PYTHON = "/usr/bin/python3"
MAP_LAYERS = ["portfolio", "sites", "territory", "catchments", "network_edges", "communes"]


def open_in_qgis(gpkg: Path, png: Path, layers) -> dict:
    runtime = png.parent / "xdg-runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(runtime)}
    env.pop("PYTHONPATH", None)  # QGIS's own Python, not the venv's packages
    done = subprocess.run([QGIS_PYTHON, str(SCRIPT), str(gpkg), str(png), *layers], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, f"QGIS failed (is python3-qgis installed? `make test` installs it):\n{done.stderr}"
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def written(baronnies_result, tmp_path_factory):
    """The default run with a portfolio, written in French and in English, and what QGIS makes of each."""
    folder = tmp_path_factory.mktemp("qgis")
    chosen = tl.choose_sites(baronnies_result, 5, 20)
    out = {}
    for lang in ("fr", "en"):
        gpkg = folder / f"baronnies_{lang}.gpkg"
        tl.write_gpkg(baronnies_result, gpkg, lang=lang,
                      extra_layers={"portfolio": chosen, "coverage_curve": chosen.attrs["coverage_curve"]})
        png = folder / f"baronnies_{lang}.png"
        out[lang] = (gpkg, png, open_in_qgis(gpkg, png, MAP_LAYERS))
    return out


def test_every_map_layer_opens_with_its_stored_default_style(written):
    _, _, seen = written["fr"]
    expected = {"sites": "graduatedSymbol", "communes": "RuleRenderer", "catchments": "categorizedSymbol",
                "network_edges": "singleSymbol", "territory": "singleSymbol", "portfolio": "singleSymbol"}
    for layer, renderer in expected.items():
        info = seen[layer]
        assert info["valid"] and info["crs"] == "EPSG:2154", (layer, info)
        assert info["style_loaded"], (layer, info["message"])
        assert info["renderer"] == renderer, (layer, info["renderer"])
        assert info["features"] > 0, layer


def test_sites_are_graduated_on_score_with_classes_fitted_to_the_scores(written, baronnies_result):
    sites = written["fr"][2]["sites"]
    assert sites["attribute"] == "score"
    classes = sites["classes"]
    assert len(classes) == 5
    low, high = baronnies_result["score"].min(), baronnies_result["score"].max()
    # the first class starts at the lowest score and the last ends at the highest (rounded outwards to 0.1)
    assert low - 0.1 <= classes[0][0] <= low and high <= classes[-1][1] <= high + 0.1, classes
    assert all(a[1] == b[0] for a, b in zip(classes, classes[1:])), classes
    # each class holds about a fifth of the sites (quantiles), none is empty
    counts = [int(((baronnies_result["score"] >= c[0]) & (baronnies_result["score"] <= c[1])).sum()) for c in classes]
    assert min(counts) >= 0.1 * len(baronnies_result), counts
    assert len({c[3] for c in classes}) == 5, "one colour per class"
    # a marker shape per kind of building, and the ten best labelled with their rank
    for kind in baronnies_result["kind"].unique():
        assert f"'{kind}'" in sites["shape_expression"], kind
    assert sites["labels"] and '"rank" <= 10' in sites["label_expression"]


def test_communes_catchments_and_portfolio_styles(written):
    seen = written["fr"][2]
    communes = [label for _, label in seen["communes"]["classes"]]
    assert communes[0].startswith("Communes voisines") and communes[1] == "Aucun site accessible"
    # every commune of the Baronnies has a candidate (its town hall): shaded by people within 30 minutes
    assert all("hab. à 30 min" in label for label in communes[2:]) and len(communes) >= 5, communes
    assert [c[0] for c in seen["catchments"]["classes"]] == ["15", "30"]
    assert seen["catchments"]["attribute"] == "minutes"
    assert seen["portfolio"]["labels"] and '"order"' in seen["portfolio"]["label_expression"]


def test_field_titles_follow_the_language_and_names_do_not(written):
    fr, en = written["fr"][2]["sites"]["aliases"], written["en"][2]["sites"]["aliases"]
    assert fr["rank"] == "Rang" and en["rank"] == "Rank"
    assert fr["pop_15min"] == "Population à 15 min" and en["pop_15min"] == "People within 15 min"
    assert fr["contrib_building_fit"].startswith("Points : ")
    assert written["en"][2]["catchments"]["classes"][0][1] == "Catchment within 15 min"
    assert set(fr) == set(en)


def test_the_layers_render_to_a_map_that_is_not_blank(written):
    png, render = written["fr"][1], written["fr"][2]["_render"]
    assert png.stat().st_size > 20_000
    assert render["painted_share"] > 0.3 and render["colours"] > 50, render
    import matplotlib.image as mpimg

    pixels = mpimg.imread(png)[..., :3]
    assert pixels.std() > 0.1, "the render is one flat colour"
    assert np.mean(np.all(pixels > 0.98, axis=-1)) < 0.7, "mostly white"


def test_every_field_has_a_title_and_every_layer_a_description(written):
    gpkg = written["fr"][0]
    with sqlite3.connect(gpkg) as db:
        contents = dict(db.execute("SELECT table_name, description FROM gpkg_contents"))
        titled = {(t, c): (title, desc) for t, c, title, desc in
                  db.execute("SELECT table_name, column_name, title, description FROM gpkg_data_columns")}
        columns = {}
        for table in contents:
            names = [row[1] for row in db.execute(f'PRAGMA table_info("{table}")')]
            columns[table] = [n for n in names if n not in ("fid", "geom")]
    for table, description in contents.items():
        assert description, f"layer {table} has no description"
        for column in columns[table]:
            assert (table, column) in titled, f"{table}.{column} has no title"
            title, desc = titled[(table, column)]
            assert title and "[en: " in desc, (table, column, desc)


def test_the_sld_styles_are_well_formed_with_one_rule_per_class(written):
    gpkg = written["en"][0]
    with sqlite3.connect(gpkg) as db:
        rows = dict(db.execute("SELECT f_table_name, styleSLD FROM layer_styles WHERE useAsDefault"))
    assert set(rows) == set(MAP_LAYERS)
    ns = {"sld": "http://www.opengis.net/sld"}
    rules = ET.fromstring(rows["sites"].encode()).findall(".//sld:Rule", ns)
    assert len(rules) == 5
    assert [r.find("sld:Title", ns).text for r in ET.fromstring(rows["catchments"].encode()).findall(".//sld:Rule",
                                                                                                    ns)] == \
        ["Catchment within 15 min", "Catchment within 30 min"]
