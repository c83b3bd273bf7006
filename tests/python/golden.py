"""Golden outputs (issue 11): everything the default run, the Saint-Barthélemy road run and notebook 02's portfolio and
scenario steps produce, as tables, so a refactoring can be checked to change nothing.

    .venv/bin/python tests/python/golden.py --write     # regenerate tests/data/expected/ (only for a wanted change)

test_golden.py compares a fresh computation with the stored tables: exact for integers, text and booleans, and a
relative tolerance of 1e-9 for real numbers (the order of floating-point sums may change). Geometries are compared
through their area, length, bounds and vertex count.
"""
from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = ROOT / "tests" / "data" / "expected"
DATA = ROOT / "tests" / "data"
REL_TOL = 1e-9
ABS_TOL = 1e-9


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame with its geometry (if any) replaced by numeric summaries; index dropped."""
    out = pd.DataFrame(frame).reset_index(drop=True).copy()
    if "geometry" in out.columns:
        geoms = np.asarray(out.pop("geometry"), dtype=object)
        geoms = np.array([shapely.from_wkb(g.wkb) if g is not None else None for g in geoms], dtype=object)
        bounds = shapely.bounds(geoms)
        out["geom_type"] = [g.geom_type if g is not None else "" for g in geoms]
        out["geom_area"] = shapely.area(geoms)
        out["geom_length"] = shapely.length(geoms)
        for k, name in enumerate(("geom_xmin", "geom_ymin", "geom_xmax", "geom_ymax")):
            out[name] = bounds[:, k]
        out["geom_vertices"] = shapely.get_num_coordinates(geoms)
    return out


def _portable(text: str) -> str:
    """Text with the paths of this checkout and of the installed package replaced (they differ between clones)."""
    import tierslieux as tl

    return text.replace(str(tl.default_territory_path().parent), "<package data>").replace(str(ROOT), "<repo>")


def _meta(result) -> pd.DataFrame:
    """The run's record besides its layers: warnings, skipped criteria, weights, parameters, counts."""
    m = result.attrs["tierslieux"]
    rows = [("graph_kind", m.graph_kind), ("communes_unreachable", str(m.communes_unreachable)),
            ("commute_source", m.commute_source)]
    rows += [(f"warning[{i}]", w) for i, w in enumerate(m.warnings)]
    rows += [(f"diagnostic[{i}]", d.code + " " + ";".join(d.ids)) for i, d in enumerate(m.diagnostics)]
    rows += [(f"skipped.{k}", v) for k, v in sorted((m.skipped or {}).items())]
    rows += [(f"weight.{k}", repr(float(v))) for k, v in sorted(m.weights.items())]
    rows += [(f"effective_weight.{k}", repr(float(v))) for k, v in sorted(m.effective_weights.items())]
    params = {k: v for k, v in m.parameters.items() if k not in ("territory", "roads")}
    rows += [("parameters", json.dumps(params, sort_keys=True, default=str))]
    return pd.DataFrame([(k, _portable(v)) for k, v in rows], columns=["key", "value"])


def _run_tables(prefix: str, result) -> dict:
    m = result.attrs["tierslieux"]
    return {f"{prefix}/sites": _flat(result), f"{prefix}/communes": _flat(m.communes),
            f"{prefix}/network_edges": _flat(m.network_edges), f"{prefix}/catchments": _flat(m.catchments),
            f"{prefix}/run": _meta(result)}


def compute() -> dict:
    """Every golden table, by name (folder/table)."""
    import tierslieux as tl

    tables = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tl.DataWarning)
        territory = tl.load_territory()
        base = tl.score(territory, progress=False)
        tables.update(_run_tables("baronnies", base))

        island = tl.load_territory(DATA / "saint_barthelemy_territory.gpkg", crs="EPSG:5490")
        road = tl.score(island, roads=DATA / "saint_barthelemy.osm.pbf", thresholds=(3, 6), progress=False)
        tables.update(_run_tables("saint_barthelemy", road))

        # notebook 02: portfolios
        chosen = tl.choose_sites(base, 10, 20)
        tables["notebook02/choose_10_20"] = _flat(chosen)
        tables["notebook02/choose_10_20_curve"] = _flat(chosen.attrs["coverage_curve"])
        for objective in ("coverage", "p-median"):
            c = tl.choose_sites(base, 8, 20, objective=objective)
            tables[f"notebook02/choose_8_20_{objective}"] = _flat(c)
            tables[f"notebook02/choose_8_20_{objective}_curve"] = _flat(c.attrs["coverage_curve"])
        plan = tl.choose_sites(base, 4, 20, fixed=["fs-2992"], min_spacing_m=5000)
        tables["notebook02/plan"] = _flat(plan)
        tables["notebook02/plan_curve"] = _flat(plan.attrs["coverage_curve"])

        # notebook 02: scenarios
        fibre = tl.Scenario("Fibre reaches Sahune and Rémuzat", fibre=["26288", "26264"])
        fibre_run = tl.run_scenario(base, fibre, progress=False)
        fibre_cmp = tl.compare(base, fibre_run)
        tables["notebook02/fibre_sites"] = _flat(fibre_run)
        tables["notebook02/fibre_run"] = _meta(fibre_run)
        tables["notebook02/fibre_compare"] = _flat(fibre_cmp)
        tables["notebook02/fibre_coverage"] = _flat(fibre_cmp.attrs["coverage"])
        opened = tl.Scenario("France services de Nyons opens as a tiers-lieu", open_tiers_lieux=["fs-2992"])
        open_run = tl.run_scenario(base, opened, progress=False)
        open_cmp = tl.compare(base, open_run, k=5, minutes=20)
        tables["notebook02/open_sites"] = _flat(open_run)
        tables["notebook02/open_run"] = _meta(open_run)
        tables["notebook02/open_compare"] = _flat(open_cmp)
        tables["notebook02/open_coverage"] = _flat(open_cmp.attrs["coverage"])
        tables["notebook02/open_portfolio_curve"] = _flat(open_cmp.attrs["portfolio_curve"])
    return tables


def _kind(series: pd.Series) -> str:
    return "real" if pd.api.types.is_float_dtype(series) else "exact"


def write(tables: dict) -> None:
    for name, frame in tables.items():
        path = EXPECTED / f"{name}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        kinds = {c: _kind(frame[c]) for c in frame.columns}
        text = frame.to_csv(index=False, float_format="%.17g", lineterminator="\n")
        path.write_text(text, encoding="utf-8")
        path.with_suffix(".kinds.json").write_text(json.dumps(kinds, indent=0, sort_keys=True) + "\n",
                                                   encoding="utf-8")


def differences(name: str, got: pd.DataFrame) -> list:
    """What differs between a fresh table and the stored one (empty: identical within tolerance)."""
    path = EXPECTED / f"{name}.csv"
    kinds = json.loads(path.with_suffix(".kinds.json").read_text(encoding="utf-8"))
    want = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype=str)
    problems = []
    if list(got.columns) != list(want.columns):
        return [f"{name}: columns {list(got.columns)} != stored {list(want.columns)}"]
    if len(got) != len(want):
        return [f"{name}: {len(got)} rows != stored {len(want)}"]
    fresh = pd.read_csv(pd.io.common.StringIO(got.to_csv(index=False, float_format="%.17g", lineterminator="\n")),
                        keep_default_na=False, na_values=[""], dtype=str)
    for column in want.columns:
        a, b = fresh[column], want[column]
        if kinds[column] == "real":
            x, y = pd.to_numeric(a).to_numpy(float), pd.to_numeric(b).to_numpy(float)
            same = np.isclose(x, y, rtol=REL_TOL, atol=ABS_TOL) | (np.isnan(x) & np.isnan(y)) | (x == y)
        else:
            same = (a.fillna("<NA>") == b.fillna("<NA>")).to_numpy()
        if not same.all():
            rows = np.flatnonzero(~same)[:3]
            problems.append(f"{name}.{column}: {int((~same).sum())} row(s) differ, e.g. row {rows[0]}: "
                            f"{a.iloc[rows[0]]!r} != stored {b.iloc[rows[0]]!r}")
    return problems


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit(__doc__)
    computed = compute()
    write(computed)
    print(f"wrote {len(computed)} tables to {EXPECTED.relative_to(ROOT)}")
