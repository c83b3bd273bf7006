"""tl.choose_sites: the best k sites together (maximal covering) from a tl.score result."""
from __future__ import annotations

from typing import Iterable, Optional

import geopandas as gpd
import numpy as np
import pandas as pd

from . import _core
from ._core import InputError
from ._network import Network

_DEMANDS = ("territory", "all")


def coverage(result: gpd.GeoDataFrame, minutes: float, demand: str = "territory"):
    """(population per commune, covered[commune, site]) for a tl.score result: a site covers a commune when the
    commune's node reaches the site's node within ``minutes`` minus the site's access leg (the pop_<T>min rule).
    ``demand``: "territory" (communes of the study area) or "all" (neighbours too)."""
    meta = result.attrs.get("tierslieux") if hasattr(result, "attrs") else None
    if meta is None:
        raise TypeError("choose_sites needs the GeoDataFrame returned by tierslieux.score")
    if demand not in _DEMANDS:
        raise InputError(f"demand={demand!r} is not one of: {', '.join(_DEMANDS)}")
    T = float(minutes)
    if not np.isfinite(T) or T <= 0:
        raise InputError(f"minutes must be a finite number > 0 (got {minutes!r})")
    communes = meta.communes
    if demand == "territory":
        communes = communes[communes["in_territory"].astype(bool)]
    edges = meta.network_edges
    c_node = communes["node_id"].to_numpy(dtype=float)
    s_node = result["node_id"].to_numpy(dtype=float)
    nodes = np.concatenate([edges["from_node"].to_numpy(float), edges["to_node"].to_numpy(float), c_node, s_node])
    n = int(np.nanmax(nodes)) + 1
    net = Network(np.zeros(n), np.zeros(n), edges["from_node"].to_numpy(np.int64),
                  edges["to_node"].to_numpy(np.int64), edges["minutes"].to_numpy(float),
                  edges["twoway"].to_numpy(bool))
    covered = np.zeros((len(communes), len(result)), dtype=bool)
    c_ok, s_ok = ~np.isnan(c_node), ~np.isnan(s_node)
    if c_ok.any() and s_ok.any():
        t = net.travel_times(c_node[c_ok].astype(np.int64), s_node[s_ok].astype(np.int64), max_minutes=T,
                             algorithm="dijkstra")
        access = result["access_minutes"].to_numpy(float)[s_ok]
        within = ~np.isnan(t) & (t + access[None, :] <= T)
        covered[np.ix_(c_ok, s_ok)] = within
    return communes["population"].to_numpy(float), covered


def choose_sites(result: gpd.GeoDataFrame, k: int, minutes: float, *, fixed: Iterable[str] = (),
                 min_spacing_m: Optional[float] = None, score_floor: Optional[float] = None,
                 demand: str = "territory") -> gpd.GeoDataFrame:
    """Choose k sites together so that the most people live within ``minutes`` of at least one of them.

    A site covers a commune when the commune's node reaches the site's node within ``minutes`` minus the site's
    access leg (the rule of ``pop_<T>min``). ``fixed``: site ids kept in every solution (places that already
    exist; they count in k). ``min_spacing_m``: no two chosen sites closer than this (straight metres).
    ``score_floor``: only sites scoring at least this may be chosen. ``demand``: "territory" (people of the
    study area, default) or "all" (neighbouring communes too). Solved by greedy with lazy evaluation and swaps
    from 33 starts (docs/criteria.md; within 2 % of the optimum in the tests).

    Returns the ``portfolio`` GeoDataFrame (``site_id``, ``name``, ``order``, ``marginal_population``,
    ``covered_population``, geometry) and, in ``.attrs["coverage_curve"]``, the best coverage for k = 1…k
    (``k``, ``covered_population``, ``covered_share``).
    """
    if isinstance(k, bool) or int(k) != k or int(k) < 1:
        raise InputError(f"k must be a whole number >= 1 (got {k!r})")
    k = int(k)
    population, covered = coverage(result, minutes, demand)
    site_ids = result["site_id"].astype(str).tolist()
    index = {s: i for i, s in enumerate(site_ids)}
    fixed_flags = [False] * len(site_ids)
    for s in fixed:
        if str(s) not in index:
            sample = ", ".join(result.sort_values("rank")["site_id"].astype(str).head(5))
            raise InputError(f"fixed site '{s}' is not in the result ({len(site_ids)} sites, e.g. {sample})")
        fixed_flags[index[str(s)]] = True
    if sum(fixed_flags) > k:
        raise InputError(f"{sum(fixed_flags)} fixed sites for k = {k} (k counts the fixed sites)")
    snapped = ~np.isnan(result["node_id"].to_numpy(float))
    eligible = snapped.copy()
    if score_floor is not None:
        eligible &= result["score"].to_numpy(float) >= float(score_floor)
    conflicts = []
    if min_spacing_m is not None:
        if not np.isfinite(min_spacing_m) or min_spacing_m < 0:
            raise InputError(f"min_spacing_m must be a finite number >= 0 (got {min_spacing_m!r})")
        xy = np.column_stack([result.geometry.x.to_numpy(), result.geometry.y.to_numpy()])
        d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
        a, b = np.nonzero(np.triu(d < float(min_spacing_m), k=1))
        conflicts = list(zip(a.tolist(), b.tolist()))
    covers = [np.flatnonzero(covered[:, s]).tolist() for s in range(len(site_ids))]
    total = float(population.sum())
    curve = []
    chosen = marginal = None
    for kk in range(max(1, sum(fixed_flags)), k + 1):
        sites, gains, got = _core.max_covering(population.tolist(), covers, fixed_flags, eligible.tolist(),
                                               conflicts, kk)
        curve.append({"k": kk, "covered_population": got, "covered_share": got / total if total > 0 else np.nan})
        chosen, marginal = sites, gains
    rows = result.iloc[chosen]
    portfolio = gpd.GeoDataFrame({"site_id": rows["site_id"].to_numpy(), "name": rows["name"].to_numpy(),
                                  "order": np.arange(1, len(chosen) + 1),
                                  "marginal_population": np.asarray(marginal, float),
                                  "covered_population": np.cumsum(marginal)},
                                 geometry=rows.geometry.to_numpy(), crs=result.crs)
    portfolio.attrs["coverage_curve"] = pd.DataFrame(curve)
    portfolio.attrs["parameters"] = {"k": k, "minutes": float(minutes),
                                     "fixed": [s for s, f in zip(site_ids, fixed_flags) if f],
                                     "min_spacing_m": min_spacing_m, "score_floor": score_floor, "demand": demand,
                                     "demand_population": total}
    return portfolio
