#!/usr/bin/env python3
"""Build tests/data/saint_barthelemy_territory.gpkg: a SYNTHETIC territory on the REAL road network of
Saint-Barthélemy (tests/data/saint_barthelemy.osm.pbf, © OpenStreetMap contributors, ODbL 1.0).

Only the roads are real. The "communes" are 1 km grid cells (EPSG:5490, RGAF09 / UTM 20N) that hold at least one
road node; their population is SYNTHETIC (25 people per road node in the cell); each cell's "town hall" is the
road node nearest to the mean of its road nodes; the "sites" are six SYNTHETIC candidates placed 40 m east of the
town halls of six cells. There is no broadband layer. Deterministic; run from the repository root:

    .venv/bin/python tests/data/make_saint_barthelemy_territory.py
"""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("OGR_CURRENT_DATE", "2026-11-28T00:00:00Z")

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import shapely  # noqa: E402

import tierslieux as tl  # noqa: E402

HERE = Path(__file__).resolve().parent
CRS = "EPSG:5490"
CELL_M = 1000.0


def main() -> None:
    net = tl.Network.from_osm(HERE / "saint_barthelemy.osm.pbf", crs=CRS)
    nodes = net.nodes_frame()
    x, y = nodes.geometry.x.to_numpy(), nodes.geometry.y.to_numpy()
    x0, y0 = np.floor(x.min() / CELL_M) * CELL_M, np.floor(y.min() / CELL_M) * CELL_M
    col, row = ((x - x0) // CELL_M).astype(int), ((y - y0) // CELL_M).astype(int)
    cells = sorted(set(zip(row.tolist(), col.tolist())))
    rows = []
    for k, (r, c) in enumerate(cells):
        inside = (row == r) & (col == c)
        mx, my = x[inside].mean(), y[inside].mean()
        members = np.flatnonzero(inside)
        hall = members[np.argmin(np.hypot(x[members] - mx, y[members] - my))]
        rows.append({"commune_code": f"SB{k + 1:03d}", "name": f"synthetic cell {r}-{c}",
                     "population": float(25 * inside.sum()), "in_territory": True,
                     "geometry": shapely.box(x0 + c * CELL_M, y0 + r * CELL_M, x0 + (c + 1) * CELL_M,
                                             y0 + (r + 1) * CELL_M),
                     "hall": shapely.Point(x[hall], y[hall])})
    communes = gpd.GeoDataFrame(rows, crs=CRS)
    halls = gpd.GeoDataFrame({"commune_code": communes["commune_code"]}, geometry=communes["hall"].values, crs=CRS)
    pick = np.linspace(0, len(communes) - 1, 6).round().astype(int)
    sites = gpd.GeoDataFrame({
        "site_id": [f"synthetic-{i + 1}" for i in range(len(pick))],
        "name": [f"Synthetic site {i + 1}" for i in range(len(pick))],
        "kind": ["synthetic"] * len(pick),
        "commune_code": communes["commune_code"].iloc[pick].tolist(),
        "services": [""] * len(pick),
    }, geometry=[shapely.Point(p.x + 40.0, p.y) for p in halls.geometry.iloc[pick]], crs=CRS)
    out = HERE / "saint_barthelemy_territory.gpkg"
    tmp = out.with_name(out.stem + ".tmp.gpkg")
    tmp.unlink(missing_ok=True)
    communes.drop(columns="hall").to_file(tmp, layer="communes", driver="GPKG", dataset_options={"VERSION": "1.2"})
    halls.to_file(tmp, layer="town_halls", driver="GPKG")
    sites.to_file(tmp, layer="sites", driver="GPKG")
    os.replace(tmp, out)
    print(f"wrote {out}: {len(communes)} synthetic cells, population {int(communes['population'].sum())}, "
          f"{len(sites)} synthetic sites")


if __name__ == "__main__":
    main()
