#!/usr/bin/env python3
"""Calibrate the detour factor of the coarse commune commute graph.

Reads (read-only) the raw files below, reprojects to EPSG:2154 (Lambert-93)
and compares road-network distance (Travel Mapping junction graph) with the
straight-line distance between town halls (IGN ADMIN EXPRESS chefs-lieux).
Deterministic, no randomness, standard library + numpy + shapely + pyproj.

Usage (from the repository root):
    .venv/bin/python geodata/calibration/calibrate_detour.py            # print summary + (re)write DETOUR.md
    .venv/bin/python geodata/calibration/calibrate_detour.py --no-write # print only

The raw data directory can be overridden with the GEODATA_RAW environment
variable (default /work/shared/geodata-raw). Nothing from it is copied.
"""
from __future__ import annotations

import argparse
import csv
import heapq
import json
import os
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import shape
from shapely.strtree import STRtree

RAW = Path(os.environ.get("GEODATA_RAW", "/work/shared/geodata-raw"))
TM_ROUTES = RAW / "travelmapping-highwaydata/tm_routes_fraarad26_frapacd05-04-84_plus_N-A-E.geojson"
CHFLIEU = RAW / "ign-adminexpress-chflieu-2023/chflieu_commune_dep26-05-04-84_DERIVED-insee.geojson"
COMMUNES = [RAW / f"france-geojson/communes-{d}.geojson"
            for d in ("26-drome", "05-hautes-alpes", "04-alpes-de-haute-provence", "84-vaucluse")]
TERRITORY_CSV = RAW / "pnr-perimetre/communes_vs_pnr_polygon_DERIVED.csv"

MAX_SNAP_M = 2000.0          # drop pairs whose snap distance exceeds this on either end
LONG_MIN_M, LONG_MAX_M = 10_000.0, 40_000.0
PCTS = (10, 25, 50, 75, 90)
OUT_MD = Path(__file__).resolve().parent / "DETOUR.md"

# Documented assumptions (not measured here, see DETOUR.md):
WINDING_CORRECTION = 1.15   # real road length / TM junction-chord length on this network
DEFAULT_DETOUR = 1.5        # recommended per-edge detour factor of the commune graph
DEFAULT_SPEED_KMH = 50.0    # recommended mean speed on rural / mountain D roads
EXAMPLES = [("26220", "26063", "Nyons", "Buis-les-Baronnies"),
            ("26220", "26288", "Nyons", "Sahune"),
            ("26063", "26340", "Buis-les-Baronnies", "Séderon"),
            ("05166", "05070", "Serres", "Laragne-Montéglin"),
            ("26220", "05166", "Nyons", "Serres")]

TO_L93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)


def load_json(p: Path):
    with open(p, encoding="utf-8") as f:
        return json.load(f)


# ----------------------------------------------------------------------------- road graph
def build_road_graph():
    """Nodes = distinct vertices (identical lon/lat), edges = consecutive vertices."""
    fc = load_json(TM_ROUTES)
    index: dict[tuple[float, float], int] = {}
    lonlat: list[tuple[float, float]] = []
    raw_edges: list[tuple[int, int]] = []
    for feat in fc["features"]:
        geom = feat["geometry"]
        parts = [geom["coordinates"]] if geom["type"] == "LineString" else geom["coordinates"]
        for coords in parts:
            prev = None
            for c in coords:
                key = (float(c[0]), float(c[1]))
                i = index.get(key)
                if i is None:
                    i = index[key] = len(lonlat)
                    lonlat.append(key)
                if prev is not None and prev != i:
                    raw_edges.append((prev, i))
                prev = i
    ll = np.asarray(lonlat)
    x, y = TO_L93.transform(ll[:, 0], ll[:, 1])
    xy = np.column_stack([x, y])
    adj: list[dict[int, float]] = [dict() for _ in range(len(xy))]
    for a, b in raw_edges:
        w = float(np.hypot(*(xy[a] - xy[b])))
        if w < adj[a].get(b, np.inf):
            adj[a][b] = w
            adj[b][a] = w
    edges = np.array(sorted({(min(a, b), max(a, b)) for a in range(len(adj)) for b in adj[a]}))
    return xy, adj, edges, len(fc["features"])


def components(adj):
    comp = [-1] * len(adj)
    sizes = []
    for s in range(len(adj)):
        if comp[s] >= 0:
            continue
        cid, stack, n = len(sizes), [s], 0
        comp[s] = cid
        while stack:
            u = stack.pop()
            n += 1
            for v in adj[u]:
                if comp[v] < 0:
                    comp[v] = cid
                    stack.append(v)
        sizes.append(n)
    return comp, sizes


def dijkstra(adj, sources: dict[int, float]):
    """Multi-source Dijkstra; sources maps node -> initial distance."""
    dist = {}
    heap = [(d, n) for n, d in sources.items()]
    heapq.heapify(heap)
    while heap:
        d, u = heapq.heappop(heap)
        if u in dist:
            continue
        dist[u] = d
        for v, w in adj[u].items():
            if v not in dist:
                heapq.heappush(heap, (d + w, v))
    return dist


# ----------------------------------------------------------------------------- communes
def load_communes():
    polys, names = {}, {}
    for p in COMMUNES:
        for feat in load_json(p)["features"]:
            g = shapely.transform(shape(feat["geometry"]),
                                  lambda a: np.column_stack(TO_L93.transform(a[:, 0], a[:, 1])))
            polys[feat["properties"]["code"]] = shapely.make_valid(g)
            names[feat["properties"]["code"]] = feat["properties"]["nom"]
    halls = {}
    for feat in load_json(CHFLIEU)["features"]:
        lon, lat = feat["geometry"]["coordinates"][:2]
        halls[feat["properties"]["insee_2018_polygon"]] = np.array(TO_L93.transform(lon, lat))
    with open(TERRITORY_CSV, encoding="utf-8") as f:
        territory = sorted(r["code_insee"] for r in csv.DictReader(f) if r["pos_in_outer_ring"] == "1")
    return polys, names, halls, territory


def adjacent_pairs(polys, territory):
    codes = sorted(polys)
    tree = STRtree([polys[c] for c in codes])
    tset = set(territory)
    pairs = set()
    for a in territory:
        for j in tree.query(polys[a], predicate="intersects"):
            b = codes[j]
            if b != a:
                pairs.add((min(a, b), max(a, b)))
    point_only = sum(1 for a, b in pairs
                     if polys[a].intersection(polys[b]).length == 0)  # touch at a point only
    both_in = sum(1 for a, b in pairs if a in tset and b in tset)
    return sorted(pairs), point_only, both_in


# ----------------------------------------------------------------------------- snapping
def snap_to_vertex(pt, xy):
    d = np.hypot(xy[:, 0] - pt[0], xy[:, 1] - pt[1])
    i = int(np.argmin(d))
    return i, float(d[i])


def snap_to_edge(pt, xy, edges):
    """Nearest point on any edge: (u, v, snap_dist, dist_to_u, dist_to_v)."""
    a, b = xy[edges[:, 0]], xy[edges[:, 1]]
    ab = b - a
    L2 = (ab ** 2).sum(1)
    t = np.clip(((pt - a) * ab).sum(1) / np.where(L2 > 0, L2, 1), 0, 1)
    proj = a + ab * t[:, None]
    d = np.hypot(*(proj - pt).T)
    k = int(np.argmin(d))
    L = float(np.sqrt(L2[k]))
    return int(edges[k, 0]), int(edges[k, 1]), float(d[k]), t[k] * L, (1 - t[k]) * L


def ceil_to(x, step):
    return round(float(np.ceil(round(x / step, 9)) * step), 2)


def stats(vals):
    v = np.asarray(vals, dtype=float)
    if v.size == 0:
        return {"n": 0}
    out = {"n": int(v.size), "mean": float(v.mean())}
    for p in PCTS:
        out[f"p{p}"] = float(np.percentile(v, p))
    return out


def fmt(s):
    if s["n"] == 0:
        return "n=0"
    return (f"n={s['n']:4d}  median={s['p50']:.3f}  mean={s['mean']:.3f}  p10={s['p10']:.3f}  "
            f"p25={s['p25']:.3f}  p75={s['p75']:.3f}  p90={s['p90']:.3f}")


# ----------------------------------------------------------------------------- output
def summary(R):
    L = [
        "# calibrate_detour.py summary (EPSG:2154; ratios = road-network / straight; percentiles numpy linear)",
        f"road graph: {R['n_routes']} TM routes -> {R['n_vertices']} distinct vertices, {R['n_edges']} edges "
        f"(concurrent routes merged), {R['n_comp']} components (largest {R['largest']}), {R['km']:.0f} km",
        f"communes: {R['n_terr']} territory + {R['n_neigh']} neighbours sharing a border; "
        f"town hall missing: {R['no_hall'] or 'none'}",
        f"adjacent pairs (>=1 in territory): {R['n_pairs']} ({R['both_in']} both in territory, "
        f"{R['point_only']} touching at a point only); straight distance median "
        f"{R['adj_d']['p50'] / 1000:.1f} km (p10 {R['adj_d']['p10'] / 1000:.1f}, p90 {R['adj_d']['p90'] / 1000:.1f})",
        f"snap town hall -> nearest vertex (territory): median {R['snap_med']:.0f} m, p90 {R['snap_p90']:.0f} m, "
        f"max {R['snap_max']:.0f} m; all communes > {MAX_SNAP_M:.0f} m: "
        + (", ".join(f"{c} ({d:.0f} m)" for c, d in zip(R['far'], R['far_d'])) or "none"),
        f"snap to nearest point on an edge (variant): territory median {R['esnap_med']:.0f} m, "
        f"max {R['esnap_max']:.0f} m; > {MAX_SNAP_M:.0f} m: {R['efar'] or 'none'}",
        "",
        f"[A]  adjacent pairs, vertex snap    : {fmt(R['A'])}  sum-ratio={R['A_agg']:.3f}  "
        f"dropped(snap>2km)={R['A_drop']} unreachable={R['A_unr']}",
        f"[B]  territory 10-40 km, vertex snap: {fmt(R['B'])}  sum-ratio={R['B_agg']:.3f}  "
        f"dropped={R['B_drop']} unreachable={R['B_unr']} of {R['n_long']}",
        f"[A'] adjacent pairs, edge snap      : {fmt(R['A2'])}  sum-ratio={R['A2_agg']:.3f}  "
        f"dropped={R['A2_drop']} unreachable={R['A2_unr']}",
        f"[B'] territory 10-40 km, edge snap  : {fmt(R['B2'])}  sum-ratio={R['B2_agg']:.3f}  "
        f"dropped={R['B2_drop']} unreachable={R['B2_unr']}",
        f"[C]  10-40 km, commune-graph path / straight    : {fmt(R['C'])}",
        f"[D]  10-40 km, road network / commune-graph path: {fmt(R['D'])}",
    ]
    for (lo, hi), st in R["D_bins"].items():
        lab = "all distances" if hi > 1e8 else f"{lo / 1000:.0f}-{hi / 1000:.0f} km"
        L.append(f"     [D] territory pairs {lab:>13}: {fmt(st)}")
    L += [f"TM-based factor x winding correction {WINDING_CORRECTION} (assumption), rounded up to 0.05: "
          f"single hop (median A) {R['detour_single_hop']:.2f}, multi hop (median D) {R['detour_multi_hop']:.2f}"
          f" -> recommended detour {DEFAULT_DETOUR}, speed {DEFAULT_SPEED_KMH:.0f} km/h",
          "examples (straight / TM network / commune-graph path / model = path x detour, minutes at speed):"]
    for na, nb, s, n, g, m, t in R["examples"]:
        L.append(f"  {na} - {nb}: {s:.1f} / {n:.1f} / {g:.1f} / {m:.1f} km, {t:.0f} min")
    return "\n".join(L)


def render_md(R, text):
    A, D, Db = R["A"], R["D"], R["D_bins"]
    ex = {(e[0], e[1]): e for e in R["examples"]}
    nb, ns = ex[("Nyons", "Buis-les-Baronnies")], ex[("Nyons", "Serres")]
    far = "; ".join(f"{c} ({n}, snap {d:.0f} m)" for c, n, d in zip(R["far"], R["far_names"], R["far_d"])) or "none"
    return f"""# Detour factor and speed of the commune commute graph (PNR Baronnies provençales)

Generated by `geodata/calibration/calibrate_detour.py`; reproduce from `/work/main` with
`.venv/bin/python geodata/calibration/calibrate_detour.py` (about 5 s, deterministic; `--no-write` = print only).
Model calibrated: node = commune town hall, edge = shared border, edge km = straight km x DETOUR, min = km / SPEED x 60.

## Data (read-only under /work/shared/geodata-raw, nothing copied into the project)
- Roads: Travel Mapping routes (D roads of 26/05/04/84 + N/A/E), `travelmapping-highwaydata/tm_routes_*.geojson`;
  licence unclear (OSM-traced, treat as ODbL), so only aggregate ratios are kept here.
- Town halls: IGN ADMIN EXPRESS 2023 chefs-lieux; polygons: france-geojson COG 2018 (26/05/04/84); territory: the
  {R['n_terr']} rows with `pos_in_outer_ring == 1` of `pnr-perimetre/communes_vs_pnr_polygon_DERIVED.csv`.

## Method (all in EPSG:2154)
1. Graph: nodes = distinct route vertices (junctions share identical coordinates), edges = consecutive vertices,
   weight = Euclidean metres (concurrent routes merged, shortest kept).
2. Communes = territory + neighbours whose polygon intersects a territory polygon. Each town hall is snapped to its
   nearest graph vertex; pairs with a snap > 2 km at either end are dropped.
3. ratio = (snap_a + shortest network distance + snap_b) / straight town-hall distance, for [A] every adjacent pair
   with at least one territory commune and [B] every pair of territory town halls 10-40 km apart.
4. Extra diagnostics: [A'], [B'] same with snapping to the nearest point of an edge; [C] length of the shortest
   commune-graph path (sum of straight adjacency edges, territory communes only) / straight; [D] network /
   commune-graph path = the per-edge factor that multi-hop trips actually need, since the model sums edges.

## Results (stdout of the script)
```
{text}
```

## Caveats
- TM lines are straight between junctions/shaping points, so every network distance above is a LOWER bound of the
  real road length (hairpins and bends are cut). This is the dominant bias.
- Opposite biases, smaller: TM holds only numbered roads (no voies communales), so some adjacent pairs linked by a
  communal road look too long (tail of [A]: p90 {A['p90']:.2f}); vertex snapping can add a back-and-forth to a
  junction (median {A['p50']:.3f} with vertex snap vs {R['A2']['p50']:.3f} with edge snap). Medians are used for that reason.
- Dropped (snap > 2 km): {R['A_drop']} adjacent pairs, all involving {far}; none in [B]; no pair unreachable.
- A constant per-edge factor cannot fit every trip: [D] median falls from {Db[(0, 10_000)]['p50']:.2f} (0-10 km) to
  {Db[(20_000, 40_000)]['p50']:.2f} (20-40 km); p25-p75 of [D] 10-40 km is {D['p25']:.2f}-{D['p75']:.2f}. Trips across a ridge come out short (Nyons-Buis:
  model {nb[5]:.1f} km vs TM lower bound {nb[3]:.1f} km), long valley trips long (Nyons-Serres: {ns[5]:.1f} vs {ns[3]:.1f} km).

## Recommendation
- **DETOUR default = {DEFAULT_DETOUR}** per commune-graph edge. Derivation: median of [D] for 10-40 km ({D['p50']:.3f}) x
  winding correction {WINDING_CORRECTION} = {D['p50'] * WINDING_CORRECTION:.3f}, rounded up. The correction {WINDING_CORRECTION} (real length / TM chord) is an
  ASSUMPTION, not measured (plausible range 1.10-1.25 on mountain D roads); replace it by a measurement
  (OSM way length / TM chord) once a real OSM extract of 26/05 is available. [D] rather than [A] is used because
  commutes are mostly multi-hop and the commune-graph path is already {R['C']['p50']:.2f}x the straight line ([C]).
  Single-hop (adjacent-commune) trips would need {R['detour_single_hop']:.2f} (median [A] {A['p50']:.3f} x {WINDING_CORRECTION}, rounded up).
  Sensitivity values: 1.3 (TM lower bound, no correction) and 1.8 (single-hop value).
- **SPEED default = {DEFAULT_SPEED_KMH:.0f} km/h** (mean over the real road length, door to door). ASSUMPTION, no source for
  measured mean speeds on these roads: the limit outside villages is 80 km/h on two-way roads without a central
  separator since 1 July 2018 (décret 2018-487; a département may restore 90 on some sections, not checked here),
  50 km/h or less in villages, and the Baronnies D roads have many bends, cols and village crossings, so a mean
  of roughly 60 % of the 80 km/h limit is assumed. Sensitivity: 45 and 60 km/h.
  Together: {DEFAULT_DETOUR / DEFAULT_SPEED_KMH * 60:.1f} min per km of commune-graph path.
"""


# ----------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-write", action="store_true", help="print the summary only, do not rewrite DETOUR.md")
    args = ap.parse_args()

    xy, adj, edges, n_routes = build_road_graph()
    comp, sizes = components(adj)
    polys, names, halls, territory = load_communes()
    tset = set(territory)
    pairs, point_only, both_in = adjacent_pairs(polys, territory)
    involved = sorted({c for p in pairs for c in p})
    no_hall = [c for c in involved if c not in halls]
    neighbours = [c for c in involved if c not in tset]

    snap = {c: snap_to_vertex(halls[c], xy) for c in involved if c in halls}
    esnap = {c: snap_to_edge(halls[c], xy, edges) for c in involved if c in halls}
    far = sorted(c for c, (_, d) in snap.items() if d > MAX_SNAP_M)
    efar = sorted(c for c, s in esnap.items() if s[2] > MAX_SNAP_M)

    # shortest paths from every snapped vertex / snapped-edge end (deterministic order)
    need = sorted({snap[c][0] for c in snap} | {e for c in esnap for e in esnap[c][:2]})
    D = {s: dijkstra(adj, {s: 0.0}) for s in need}

    def straight(a, b):
        return float(np.hypot(*(halls[a] - halls[b])))

    def net_vertex(a, b):
        (ia, da), (ib, db) = snap[a], snap[b]
        nd = D[ia].get(ib)
        return None if nd is None else da + nd + db

    def net_edge(a, b):
        ua, va, sa, ta_u, ta_v = esnap[a]
        ub, vb, sb, tb_u, tb_v = esnap[b]
        best = np.inf
        if (ua, va) == (ub, vb):
            best = abs(ta_u - tb_u)
        for ea, la in ((ua, ta_u), (va, ta_v)):
            for eb, lb in ((ub, tb_u), (vb, tb_v)):
                nd = D[ea].get(eb)
                if nd is not None:
                    best = min(best, la + nd + lb)
        return None if not np.isfinite(best) else sa + best + sb

    def ratios(pair_list, netf, farset):
        r, dropped, unreachable, num, den = [], 0, 0, 0.0, 0.0
        for a, b in pair_list:
            if a not in halls or b not in halls:
                continue
            if a in farset or b in farset:
                dropped += 1
                continue
            n = netf(a, b)
            if n is None:
                unreachable += 1
                continue
            s = straight(a, b)
            r.append(n / s)
            num += n
            den += s
        return r, dropped, unreachable, (num / den if den else float("nan"))

    adj_r, adj_drop, adj_unr, adj_agg = ratios(pairs, net_vertex, set(far))
    adj_re, adj_drop_e, adj_unr_e, adj_agg_e = ratios(pairs, net_edge, set(efar))
    adj_d = [straight(a, b) for a, b in pairs if a in halls and b in halls]

    long_pairs = [(a, b) for i, a in enumerate(territory) for b in territory[i + 1:]
                  if LONG_MIN_M <= straight(a, b) <= LONG_MAX_M]
    long_r, long_drop, long_unr, long_agg = ratios(long_pairs, net_vertex, set(far))
    long_re, long_drop_e, long_unr_e, long_agg_e = ratios(long_pairs, net_edge, set(efar))

    # per-edge factor implied for long trips when the model sums straight commune-graph edges:
    # road / (shortest path over the territory adjacency graph with straight edge lengths)
    cadj = {c: {} for c in territory}
    for a, b in pairs:
        if a in tset and b in tset and a in halls and b in halls:
            cadj[a][b] = cadj[b][a] = straight(a, b)
    cidx = {c: i for i, c in enumerate(territory)}
    cadj_l = [{cidx[v]: w for v, w in cadj[c].items()} for c in territory]
    CG = {a: dijkstra(cadj_l, {cidx[a]: 0.0}) for a in territory}
    long_cg, cg_over_straight = [], []
    for a, b in long_pairs:
        if a in far or b in far:
            continue
        n, g = net_vertex(a, b), CG[a].get(cidx[b])
        if n is None or g is None:
            continue
        long_cg.append(n / g)
        cg_over_straight.append(g / straight(a, b))

    snaps_t = [snap[c][1] for c in territory]
    esnaps_t = [esnap[c][2] for c in territory]

    # same per-edge factor for every territory pair, by straight-distance bin
    bins = [(0, 10_000), (10_000, 20_000), (20_000, 40_000), (0, 1e9)]
    per_edge_bins = {bn: [] for bn in bins}
    for i, a in enumerate(territory):
        if a in far:
            continue
        for b in territory[i + 1:]:
            if b in far:
                continue
            n, g, s = net_vertex(a, b), CG[a].get(cidx[b]), straight(a, b)
            if n is None or g is None:
                continue
            for lo, hi in bins:
                if lo <= s < hi:
                    per_edge_bins[(lo, hi)].append(n / g)

    R = dict(n_routes=n_routes, n_vertices=len(xy), n_edges=len(edges), n_comp=len(sizes),
             largest=max(sizes), km=sum(w for a in adj for w in a.values()) / 2 / 1000,
             n_terr=len(territory), n_neigh=len(neighbours), no_hall=no_hall, n_pairs=len(pairs),
             both_in=both_in, point_only=point_only,
             snap_med=float(np.median(snaps_t)), snap_p90=float(np.percentile(snaps_t, 90)),
             snap_max=float(max(snaps_t)), far=far, far_d=[snap[c][1] for c in far],
             far_names=[f"{names[c]}, {'territory' if c in tset else 'neighbour'}" for c in far],
             esnap_med=float(np.median(esnaps_t)), esnap_max=float(max(esnaps_t)), efar=efar,
             adj_d=stats(adj_d), n_long=len(long_pairs),
             A=stats(adj_r), A_agg=adj_agg, A_drop=adj_drop, A_unr=adj_unr,
             B=stats(long_r), B_agg=long_agg, B_drop=long_drop, B_unr=long_unr,
             A2=stats(adj_re), A2_agg=adj_agg_e, A2_drop=adj_drop_e, A2_unr=adj_unr_e,
             B2=stats(long_re), B2_agg=long_agg_e, B2_drop=long_drop_e, B2_unr=long_unr_e,
             C=stats(cg_over_straight), D=stats(long_cg),
             D_bins={bn: stats(v) for bn, v in per_edge_bins.items()})
    R["detour_single_hop"] = ceil_to(R["A"]["p50"] * WINDING_CORRECTION, 0.05)
    R["detour_multi_hop"] = ceil_to(R["D"]["p50"] * WINDING_CORRECTION, 0.05)
    examples = []
    for a, b, na, nb in EXAMPLES:
        s, n, g = straight(a, b), net_vertex(a, b), CG[a].get(cidx[b])
        examples.append((na, nb, s / 1000, n / 1000, g / 1000, g * DEFAULT_DETOUR / 1000,
                         g * DEFAULT_DETOUR / 1000 / DEFAULT_SPEED_KMH * 60))
    R["examples"] = examples

    text = summary(R)
    print(text)
    if not args.no_write:
        OUT_MD.write_text(render_md(R, text), encoding="utf-8")
        print(f"\nwrote {OUT_MD}")


if __name__ == "__main__":
    main()
