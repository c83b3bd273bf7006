"""The command line: `tierslieux run`, its outputs, exit codes and error messages."""
from __future__ import annotations

import sqlite3
import subprocess
import sys

import geopandas as gpd
import pyogrio
import pytest

import tierslieux as tl

from conftest import write_territory


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "tierslieux", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def test_run_default_territory_writes_gpkg_png_and_prints_top10(tmp_path):
    out = tmp_path / "out" / "baronnies.gpkg"
    p = cli("run", "--out", str(out), "--verbose")
    assert p.returncode == 0, p.stderr
    assert dict(pyogrio.list_layers(out)) == {"sites": "Point", "communes": "MultiPolygon",
                                               "network_edges": "LineString", "catchments": "MultiPolygon",
                                               "territory": "MultiPolygon", "run_info": None,
                                               "diagnostics": None, "layer_styles": None}
    png = tmp_path / "out" / "baronnies_sites.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 50_000
    sites = gpd.read_file(out, layer="sites")
    assert len(sites) == 145
    lines = p.stdout.splitlines()
    start = lines.index("Les 10 meilleurs sites :")  # French by default
    table = lines[start + 2:start + 12]  # header line, then 10 rows
    assert [int(row.split()[0]) for row in table] == list(range(1, 11))
    top = sites.nsmallest(10, "rank")["site_id"].tolist()
    assert [row.split()[1] for row in table] == top
    assert "communes : 431 (98 dans le territoire), sites : 145" in p.stdout
    assert "écrit " in p.stdout
    assert "timings (s):" in p.stderr and "engine: catchments" in p.stderr
    assert "040 Avignon" in p.stderr  # the one warning (attraction-area centres outside the file) is shown
    assert "same value" not in p.stderr


def test_weights_from_the_command_line(tmp_path):
    out = tmp_path / "w.gpkg"
    zero = [n for n in tl._core.default_weights([15, 30]) if n != "pop_30min"]
    p = cli("run", "--out", str(out), "--no-map", "--quiet", "--weight", "pop_30min=1",
            *[f"--weight={n}=0" for n in zero])
    assert p.returncode == 0, p.stderr
    sites = gpd.read_file(out, layer="sites").sort_values("rank")
    # only pop_30min counts: ranks follow it (ties by site_id)
    expected = sites.sort_values(["pop_30min", "site_id"], ascending=[False, True])["site_id"].tolist()
    assert sites["site_id"].tolist() == expected
    assert not (tmp_path / "w_sites.png").exists()
    # rank stability columns are in the GeoPackage (default 1000 draws)
    assert sites["p_top10"].sum() == pytest.approx(10.0)
    assert (sites["rank_p05"] <= sites["rank_p95"]).all()


def test_weights_file_and_overrides_from_the_command_line(tmp_path):
    weights = tmp_path / "only_pop15.toml"
    zero = "".join(f"{n} = 0\n" for n in tl._core.default_weights([15, 30]) if n != "pop_15min")
    weights.write_text("[weights]\npop_15min = 1\n" + zero, encoding="utf-8")
    out = tmp_path / "w.gpkg"
    p = cli("run", "--out", str(out), "--no-map", "--quiet", "--weights", str(weights))
    assert p.returncode == 0, p.stderr
    sites = gpd.read_file(out, layer="sites").sort_values("rank")
    assert sites["site_id"].tolist() == sites.sort_values(["pop_15min", "site_id"],
                                                          ascending=[False, True])["site_id"].tolist()
    # --weight overrides the file: back to pop_30min only
    p = cli("run", "--out", str(out), "--no-map", "--quiet", "--weights", str(weights),
            "--weight", "pop_15min=0", "--weight", "pop_30min=1")
    assert p.returncode == 0, p.stderr
    sites = gpd.read_file(out, layer="sites").sort_values("rank")
    assert sites["site_id"].tolist() == sites.sort_values(["pop_30min", "site_id"],
                                                          ascending=[False, True])["site_id"].tolist()
    weights.write_text("[weights]\npop_15min = -1\n", encoding="utf-8")
    p = cli("run", "--out", str(out), "--no-map", "--weights", str(weights))
    assert p.returncode == 3
    assert "only_pop15.toml': weight of 'pop_15min' must be a finite number >= 0" in p.stderr
    p = cli("run", "--out", str(out), "--no-map", "--weights", str(tmp_path / "absent.toml"))
    assert p.returncode == 4 and "absent.toml' does not exist" in p.stderr


def test_missing_territory_file_exit_4(tmp_path):
    p = cli("run", "--territory", str(tmp_path / "absent.gpkg"), "--out", str(tmp_path / "o.gpkg"))
    assert p.returncode == 4
    assert "absent.gpkg' does not exist" in p.stderr
    assert "Traceback" not in p.stderr
    assert not (tmp_path / "o.gpkg").exists()


def test_layer_without_crs_exit_3(tmp_path, tiny_layers):
    tiny_layers["sites"] = tiny_layers["sites"].set_crs(None, allow_override=True)
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        path = write_territory(tmp_path / "nocrs.gpkg", tiny_layers)
    p = cli("run", "--territory", str(path), "--out", str(tmp_path / "o.gpkg"))
    assert p.returncode == 3
    assert "layer 'sites' declares no coordinate reference system" in p.stderr
    assert "--assume-crs" in p.stderr or "assume" in p.stderr
    p = cli("run", "--territory", str(path), "--out", str(tmp_path / "o.gpkg"), "--assume-crs", "EPSG:2154",
            "--quiet", "--no-map")
    assert p.returncode == 0, p.stderr


def test_negative_population_exit_3(tmp_path, tiny_layers):
    tiny_layers["communes"].loc[0, "population"] = -1
    path = write_territory(tmp_path / "neg.gpkg", tiny_layers)
    p = cli("run", "--territory", str(path), "--out", str(tmp_path / "o.gpkg"))
    assert p.returncode == 3
    assert "neg.gpkg', layer 'communes', feature fid=1 (commune_code=99001): population = -1" in p.stderr
    assert not (tmp_path / "o.gpkg").exists()


def test_unknown_weight_exit_3(tmp_path):
    p = cli("run", "--out", str(tmp_path / "o.gpkg"), "--weight", "fibre=2")
    assert p.returncode == 3
    assert "unknown criterion 'fibre'" in p.stderr and "pop_30min" in p.stderr


def test_bad_weight_syntax_exit_2(tmp_path):
    p = cli("run", "--weight", "pop_30min")
    assert p.returncode == 2
    assert "expected NAME=VALUE" in p.stderr


def test_portfolio_command_writes_portfolio_and_coverage_curve(tmp_path):
    out = tmp_path / "pf.gpkg"
    p = cli("portfolio", "--k", "3", "--minutes", "20", "--fixed", "fs-2992", "--min-spacing-m", "5000",
            "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert "3 sites à moins de 20 minutes de 33\u202f195 habitants (territoire) :" in p.stdout
    layers = dict(pyogrio.list_layers(out))
    assert layers["portfolio"] == "Point" and layers["coverage_curve"] is None and "sites" in layers
    portfolio = gpd.read_file(out, layer="portfolio")
    assert portfolio["site_id"].iloc[0] == "fs-2992" and portfolio["order"].tolist() == [1, 2, 3]
    curve = pyogrio.read_dataframe(out, layer="coverage_curve")
    assert curve["k"].tolist() == [1, 2, 3]
    assert curve["covered_population"].iloc[-1] == pytest.approx(portfolio["covered_population"].iloc[-1])
    assert curve["covered_population"].is_monotonic_increasing
    bad = cli("portfolio", "--k", "3", "--minutes", "20", "--fixed", "nowhere", "--out", str(tmp_path / "x.gpkg"))
    assert bad.returncode == 3 and "fixed site 'nowhere' is not in the result" in bad.stderr
    assert not (tmp_path / "x.gpkg").exists()


def test_portfolio_command_p_median(tmp_path):
    out = tmp_path / "pm.gpkg"
    p = cli("portfolio", "--k", "3", "--minutes", "20", "--objective", "p-median", "--out", str(out), "--lang", "en",
            "--no-map")
    assert p.returncode == 0, p.stderr
    assert "3 sites (p-median) for 33,195 people (territory): 14.4 minutes to the nearest on average" in p.stdout
    portfolio = gpd.read_file(out, layer="portfolio")
    assert portfolio["order"].tolist() == [1, 2, 3]
    assert {"assigned_population", "person_minutes_saved", "mean_minutes"} <= set(portfolio.columns)
    curve = pyogrio.read_dataframe(out, layer="coverage_curve")
    assert curve["mean_minutes"].is_monotonic_decreasing
    assert curve["mean_minutes"].iloc[-1] == pytest.approx(portfolio["mean_minutes"].iloc[-1])
    bad = cli("portfolio", "--k", "3", "--minutes", "20", "--objective", "median", "--out", str(tmp_path / "y.gpkg"))
    assert bad.returncode == 2 and "invalid choice: 'median'" in bad.stderr


def test_weight_overrides_keep_the_weights_files_name_and_tables(tmp_path):
    weights = tmp_path / "group.toml"
    weights.write_text("[weights]\nbogus_name = 1\n", encoding="utf-8")
    p = cli("run", "--out", str(tmp_path / "w.gpkg"), "--no-map", "--weights", str(weights),
            "--weight", "pop_15min=1")
    assert p.returncode == 3
    assert "weights file '" in p.stderr and "group.toml': unknown criterion 'bogus_name'" in p.stderr
    # the file's [commute] table still applies when --weight overrides its weights
    weights.write_text("[weights]\npop_15min = 1\n[commute]\ncar_share = 0\n", encoding="utf-8")
    out = tmp_path / "w.gpkg"
    p = cli("run", "--out", str(out), "--no-map", "--quiet", "--weights", str(weights), "--weight", "pop_30min=1")
    assert p.returncode == 0, p.stderr
    sites = gpd.read_file(out, layer="sites")
    assert (sites["commute_km_avoided"] == 0).all() and (sites["commuters_intercepted"] > 0).any()


def test_version():
    p = cli("--version")
    assert p.returncode == 0 and p.stdout.strip() == f"tierslieux {tl.__version__}"


def test_no_progress_bar_where_nobody_watches(tmp_path):
    """Piped stderr (a log file, CI): tl.score(progress=True) prints no bar (issue 12)."""
    code = ("import warnings, tierslieux as tl\n"
            "warnings.simplefilter('ignore')\n"
            "tl.score(stability_draws=0, progress=True)\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "catchments" not in p.stderr and "it/s" not in p.stderr and "\r" not in p.stderr


def test_run_speaks_english_on_request(tmp_path):
    out = tmp_path / "en.gpkg"
    p = cli("run", "--out", str(out), "--no-map", "--lang", "en", "--stability-draws", "0", "--top", "3")
    assert p.returncode == 0, p.stderr
    assert "Top 3 sites:" in p.stdout and "communes: 431 (98 in the territory), sites: 145" in p.stdout
    assert f"wrote {out}" in p.stdout
    with sqlite3.connect(out) as db:
        title = db.execute("SELECT title FROM gpkg_data_columns WHERE table_name = 'sites' AND column_name = 'rank'")
        assert title.fetchone()[0] == "Rank"
    assert cli("run", "--lang", "de", "--out", str(out)).returncode == 2  # argparse refuses it


def test_report_and_portfolio_map_from_the_command_line(tmp_path):
    out = tmp_path / "b.gpkg"
    p = cli("run", "--out", str(out), "--no-map", "--report", "--stability-draws", "0")
    assert p.returncode == 0, p.stderr
    html = out.with_suffix(".html")  # --report alone: next to the GeoPackage
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>") and f" et {html}" in p.stdout
    p = cli("report", "--out", str(tmp_path / "r.html"), "--k", "3", "--minutes", "20", "--lang", "en",
            "--stability-draws", "0")
    assert p.returncode == 0, p.stderr
    assert '<html lang="en">' in (tmp_path / "r.html").read_text(encoding="utf-8")
    assert cli("report", "--out", str(tmp_path / "r.html"), "--k", "3").returncode == 3  # --minutes missing
    assert cli("report", "--out", str(tmp_path / "r.pdf")).returncode == 3
    p = cli("portfolio", "--k", "3", "--minutes", "20", "--out", str(tmp_path / "p.gpkg"), "--quiet",
            "--stability-draws", "0")
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "p_portfolio.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
