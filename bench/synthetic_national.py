"""SYNTHETIC national-like territory generator for batch benchmarks (issue 13, section 3).

Everything this script writes is SYNTHETIC: made-up communes, populations, buildings and broadband shares,
not French data. Every layer carries a `source` field "synthetic (bench/synthetic_national.py, seed N)", commune
names start with "SYNTH", and the GeoPackage's `territory` outline is named "SYNTHETIC national-like instance".

Model (deterministic for a given --seed, numpy default_rng):

* Box: a square in EPSG:2154 centred on (650 000, 6 600 000) whose area is 551 500 km2 (metropolitan France)
  x communes / 35 000, so a share (`--communes 3500`) keeps the national density (~15.8 km2 per commune).
* Communes: Voronoi polygons (shapely.voronoi_polygons) of `--communes` uniform random points, clipped to the box.
* Populations: lognormal, median 450 (mu = ln 450), sigma = 1.7, rounded, at least 1. Mean ~1,900, so 35,000
  communes hold ~66 million people; P(pop > 100,000) ~ 0.07 %, i.e. ~25 communes above 100k at 35,000 communes
  (France: 42). active_population = 0.45 x population.
* Partitions (`epci_code`, "SEPCI0001"...): k-means (scipy.cluster.vq.kmeans2, seeded, 20 iterations,
  k-means++ init) on the commune centroids, k = `--partitions`; contiguous in practice but not guaranteed.
* Sites (`--sites`, default 100,000): one `town_hall` per commune at its representative point; the rest drawn
  with kinds library 30 %, school 25 %, post_office 15 %, association 12 %, social_centre 6 %, france_services 5 %,
  espace_numerique 4 %, information_jeunesse 3 %, in communes chosen with probability proportional to
  sqrt(population), at a uniform random point of the polygon (rejection sampling in its bounds).
* Town halls: the polygon's representative point. `in_territory` true for every commune.
* Broadband (unless --no-broadband): ftth_share ~ Beta(4, 1.5) per commune.

Usage:
    .venv/bin/python bench/synthetic_national.py --out /tmp/synthetic_national.gpkg            # 35,000 communes
    .venv/bin/python bench/synthetic_national.py --communes 3500 --partitions 125 --sites 10000 \
        --out /tmp/synthetic_share.gpkg                                                          # a tenth
"""
from __future__ import annotations

import argparse
import math
import os
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.cluster.vq import kmeans2

FRANCE_KM2 = 551_500.0
CENTRE = (650_000.0, 6_600_000.0)
POP_MEDIAN = 450.0
POP_SIGMA = 1.7
KINDS = {
    "library": 0.30, "school": 0.25, "post_office": 0.15, "association": 0.12, "social_centre": 0.06,
    "france_services": 0.05, "espace_numerique": 0.04, "information_jeunesse": 0.03,
}


def generate(communes=35_000, partitions=1_250, sites=100_000, seed=1, out="synthetic_national.gpkg",
             broadband=True, verbose=True):
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    tag = f"synthetic (bench/synthetic_national.py, seed {seed})"
    side = math.sqrt(FRANCE_KM2 * communes / 35_000.0) * 1000.0
    x0, y0 = CENTRE[0] - side / 2, CENTRE[1] - side / 2
    box = shapely.box(x0, y0, x0 + side, y0 + side)

    xy = np.column_stack([x0 + rng.random(communes) * side, y0 + rng.random(communes) * side])
    pts = shapely.points(xy)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=box))
    cells = shapely.intersection(cells, box)
    # voronoi_polygons does not keep input order: match each cell to the point it contains
    tree = shapely.STRtree(pts)
    cell_idx, pt_idx = tree.query(cells, predicate="contains")
    poly = np.empty(communes, dtype=object)
    poly[pt_idx] = cells[cell_idx]
    assert all(p is not None for p in poly), "a Voronoi cell lost its point"

    pop = np.maximum(1, np.round(rng.lognormal(math.log(POP_MEDIAN), POP_SIGMA, communes))).astype(np.int64)
    codes = np.array([f"S{i:05d}" for i in range(communes)])
    cent = shapely.get_coordinates(shapely.centroid(poly))
    _, labels = kmeans2(cent, partitions, iter=20, minit="++", seed=np.random.default_rng(seed + 1))
    # renumber partitions by first appearance so codes are stable and dense
    _, labels = np.unique(labels, return_inverse=True)
    epci = np.array([f"SEPCI{k + 1:04d}" for k in labels])

    crs = "EPSG:2154"
    com = gpd.GeoDataFrame({
        "commune_code": codes, "name": [f"SYNTH commune {c}" for c in codes], "population": pop,
        "active_population": np.round(pop * 0.45), "in_territory": np.ones(communes, dtype=bool),
        "epci_code": epci, "source": tag}, geometry=list(poly), crs=crs)
    halls = gpd.GeoDataFrame({"commune_code": codes, "source": tag},
                             geometry=shapely.point_on_surface(poly), crs=crs)

    n_other = max(0, sites - communes)
    kinds = rng.choice(list(KINDS), size=n_other, p=np.array(list(KINDS.values())))
    w = np.sqrt(pop.astype(float))
    owner = rng.choice(communes, size=n_other, p=w / w.sum())
    locs = np.empty(n_other, dtype=object)
    bounds = shapely.bounds(poly)
    todo = np.arange(n_other)
    while todo.size:
        b = bounds[owner[todo]]
        cand = shapely.points(b[:, 0] + rng.random(todo.size) * (b[:, 2] - b[:, 0]),
                              b[:, 1] + rng.random(todo.size) * (b[:, 3] - b[:, 1]))
        ok = shapely.contains(poly[owner[todo]], cand)
        locs[todo[ok]] = cand[ok]
        todo = todo[~ok]
    site_df = pd.concat([
        pd.DataFrame({"site_id": [f"synth-th-{c}" for c in codes], "kind": "town_hall", "commune_code": codes,
                      "geometry": list(halls.geometry)}),
        pd.DataFrame({"site_id": [f"synth-{i:06d}" for i in range(n_other)], "kind": kinds,
                      "commune_code": codes[owner], "geometry": list(locs)})], ignore_index=True)
    site_df["name"] = "SYNTH " + site_df["kind"] + " " + site_df["site_id"]
    site_df["source"] = tag
    site_gdf = gpd.GeoDataFrame(site_df, geometry="geometry", crs=crs)

    tmp = out + ".tmp.gpkg"
    if os.path.exists(tmp):
        os.remove(tmp)
    com.to_file(tmp, layer="communes", driver="GPKG")
    halls.to_file(tmp, layer="town_halls", driver="GPKG")
    site_gdf.to_file(tmp, layer="sites", driver="GPKG")
    if broadband:
        bb = gpd.GeoDataFrame({"commune_code": codes, "ftth_share": np.round(rng.beta(4, 1.5, communes), 4),
                               "vintage": tag, "source": tag}, geometry=[None] * communes, crs=crs)
        bb.to_file(tmp, layer="broadband", driver="GPKG")
    gpd.GeoDataFrame({"name": ["SYNTHETIC national-like instance"], "source": [tag]}, geometry=[box],
                     crs=crs).to_file(tmp, layer="territory", driver="GPKG")
    os.replace(tmp, out)
    if verbose:
        print(f"SYNTHETIC instance written to {out}: {communes} communes, {labels.max() + 1} partitions "
              f"(epci_code), {len(site_gdf)} sites, population {pop.sum():,} (median {np.median(pop):.0f}, "
              f"max {pop.max():,}, {(pop > 100_000).sum()} > 100k), box {side / 1000:.0f} km square, "
              f"seed {seed}, {time.perf_counter() - t0:.1f} s")
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description="Write a SYNTHETIC national-like territory GeoPackage (issue 13).")
    p.add_argument("--communes", type=int, default=35_000)
    p.add_argument("--partitions", type=int, default=1_250)
    p.add_argument("--sites", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-broadband", action="store_true")
    p.add_argument("--out", default="synthetic_national.gpkg")
    a = p.parse_args(argv)
    generate(a.communes, a.partitions, a.sites, a.seed, a.out, not a.no_broadband)


if __name__ == "__main__":
    main()
