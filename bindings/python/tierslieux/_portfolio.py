"""tl.choose_sites: the best k sites together (maximal covering or p-median) from a tl.score result."""
from __future__ import annotations

from typing import Iterable, Optional

import geopandas as gpd
import numpy as np
import pandas as pd

from . import _core
from ._core import InputError
from ._frames import shared
from ._network import Network

_DEMANDS = ("territory", "all")
_OBJECTIVES = ("coverage", "p-median")


def travel_minutes(result: gpd.GeoDataFrame, demand: str = "territory"):
    """(population per commune, minutes[commune, site]) for a tl.score result: the shortest-path minutes from the
    commune's node to the site's node plus the site's access leg (the time of ``pop_<T>min``), without a cut-off;
    NaN where the commune or the site is not snapped or no path joins them. ``demand``: "territory" (communes of
    the study area) or "all" (neighbours too)."""
    meta = result.attrs.get("tierslieux") if hasattr(result, "attrs") else None
    if meta is None:
        raise TypeError("choose_sites needs the GeoDataFrame returned by tierslieux.score")
    if demand not in _DEMANDS:
        raise InputError(f"demand={demand!r} is not one of: {', '.join(_DEMANDS)}")
    communes = meta.communes
    rows = np.arange(len(communes))
    if demand == "territory":
        rows = np.flatnonzero(communes["in_territory"].astype(bool).to_numpy())
        communes = communes.iloc[rows]
    if meta.engine_run is not None:  # the run's own graph: nothing is rebuilt
        position = {s: i for i, s in enumerate(meta.engine_site_ids)}
        try:
            sites = [position[s] for s in result["site_id"].astype(str)]
        except KeyError as e:
            raise InputError(f"site {e.args[0]!r} is not a site of the run this result comes from") from None
        minutes = meta.engine_run.commune_site_minutes(rows.tolist(), sites)
        return communes["population"].to_numpy(float), minutes
    edges = meta.network_edges  # a ScoreRun made without the engine's result: rebuild its graph
    c_node = communes["node_id"].to_numpy(dtype=float)
    s_node = result["node_id"].to_numpy(dtype=float)
    nodes = np.concatenate([edges["from_node"].to_numpy(float), edges["to_node"].to_numpy(float), c_node, s_node])
    n = int(np.nanmax(nodes)) + 1
    net = Network(np.zeros(n), np.zeros(n), edges["from_node"].to_numpy(np.int64),
                  edges["to_node"].to_numpy(np.int64), edges["minutes"].to_numpy(float),
                  edges["twoway"].to_numpy(bool))
    minutes = np.full((len(communes), len(result)), np.nan)
    c_ok, s_ok = ~np.isnan(c_node), ~np.isnan(s_node)
    if c_ok.any() and s_ok.any():
        t = net.travel_times(c_node[c_ok].astype(np.int64), s_node[s_ok].astype(np.int64), algorithm="dijkstra")
        access = result["access_minutes"].to_numpy(float)[s_ok]
        minutes[np.ix_(c_ok, s_ok)] = t + access[None, :]
    return communes["population"].to_numpy(float), minutes


def _check_minutes(minutes) -> float:
    T = float(minutes)
    if not np.isfinite(T) or T <= 0:
        raise InputError(f"minutes must be a finite number > 0 (got {minutes!r})")
    return T


def coverage(result: gpd.GeoDataFrame, minutes: float, demand: str = "territory"):
    """(population per commune, covered[commune, site]) for a tl.score result: a site covers a commune when the
    commune's node reaches the site's node within ``minutes`` minus the site's access leg (the pop_<T>min rule).
    ``demand``: "territory" (communes of the study area) or "all" (neighbours too)."""
    if demand not in _DEMANDS:  # the cheap checks before the travel times
        raise InputError(f"demand={demand!r} is not one of: {', '.join(_DEMANDS)}")
    T = _check_minutes(minutes)
    population, t = travel_minutes(result, demand)
    return population, ~np.isnan(t) & (t <= T)


def _prefix_figures(population, t, T, chosen):
    """For the sets chosen[:1], chosen[:2]…: people within T minutes of one of the sites, the p-median objective
    (person-minutes to the nearest site, unserved communes at their penalty; engine rule), and for the whole set
    the people whose nearest chosen site is each one (ties to the earlier) and the unserved communes."""
    t_sites = np.ascontiguousarray(t.T)
    pop = population.tolist()
    within = ~np.isnan(t) & (t <= T)
    covered = [float(population[within[:, chosen[:i + 1]].any(axis=1)].sum()) for i in range(len(chosen))]
    objective = [_core.median_objective(pop, t_sites, list(chosen[:i])) for i in range(len(chosen) + 1)]
    near = np.where(np.isnan(t[:, chosen]), np.inf, t[:, chosen]) if chosen else np.full((len(pop), 0), np.inf)
    served = np.isfinite(near).any(axis=1) if chosen else np.zeros(len(pop), bool)
    nearest = near.argmin(axis=1) if chosen else np.zeros(len(pop), int)
    assigned = np.bincount(nearest[served], weights=population[served], minlength=len(chosen))
    reachable = ~np.isnan(t).all(axis=1)
    unserved = reachable & ~served
    return covered, objective, assigned, unserved


def choose_sites(result: gpd.GeoDataFrame, k: int, minutes: float, *, fixed: Iterable[str] = (),
                 min_spacing_m: Optional[float] = None, score_floor: Optional[float] = None,
                 demand: str = "territory", objective: str = "coverage") -> gpd.GeoDataFrame:
    """Choose k sites together: so that the most people live within ``minutes`` of at least one of them
    (``objective="coverage"``, maximal covering, the default), or so that people have the fewest minutes to the
    nearest one, summed over people (``objective="p-median"``).

    Travel time of a commune to a site: the commune's node to the site's node plus the site's access leg (the
    rule of ``pop_<T>min``); a site covers a commune when that is at most ``minutes``. ``fixed``: site ids kept in
    every solution (places that already exist; they count in k). ``min_spacing_m``: no two chosen sites closer
    than this (straight metres). ``score_floor``: only sites scoring at least this may be chosen. ``demand``:
    "territory" (people of the study area, default) or "all" (neighbouring communes too). For the p-median, a
    commune that no site reaches is left out, and one that no chosen site reaches counts at its longest time to
    any site (reported as unserved). Solved by greedy with lazy evaluation and swaps from 33 starts
    (docs/criteria.md: on the default territory for k = 1…8, within 0.34 % of the exact optimum for coverage and
    0.00 % for the p-median).

    Returns the ``portfolio`` GeoDataFrame (``site_id``, ``name``, ``order``, ``marginal_population``,
    ``covered_population``, ``assigned_population``, ``person_minutes_saved``, ``mean_minutes``, geometry) and,
    in ``.attrs["coverage_curve"]``, the best set for k = 1…k (``k``, ``covered_population``, ``covered_share``,
    ``mean_minutes``, ``unserved_population``).
    """
    if objective not in _OBJECTIVES:
        raise InputError(f"objective={objective!r} is not one of: {', '.join(_OBJECTIVES)}")
    if isinstance(k, bool) or int(k) != k or int(k) < 1:
        raise InputError(f"k must be a whole number >= 1 (got {k!r})")
    k = int(k)
    if demand not in _DEMANDS:
        raise InputError(f"demand={demand!r} is not one of: {', '.join(_DEMANDS)}")
    T = _check_minutes(minutes)
    population, t = travel_minutes(result, demand)
    covered = ~np.isnan(t) & (t <= T)
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
    if k > sum(fixed_flags) and not (eligible & ~np.asarray(fixed_flags, dtype=bool)).any():
        why = [f"{int((~snapped).sum())} not snapped to the graph"] if (~snapped).any() else []
        if score_floor is not None:
            why.append(f"score_floor {float(score_floor):g} (best score {result['score'].max():.1f})")
        raise InputError(f"no site may be chosen besides the {sum(fixed_flags)} fixed one(s) "
                         f"({'; '.join(why) or 'every site is fixed'}): lower score_floor or k")
    possible = int((eligible | np.asarray(fixed_flags, dtype=bool)).sum())
    if k > possible:
        # never one solve per impossible k: the coverage curve stops at the number of sites that may be chosen
        raise InputError(f"k = {k} is more than the {possible} sites that may be chosen (of {len(site_ids)}; "
                         f"sites not snapped to the graph or below score_floor are left out): give k <= {possible}")
    conflicts = []
    if min_spacing_m is not None:
        if not np.isfinite(min_spacing_m) or min_spacing_m < 0:
            raise InputError(f"min_spacing_m must be a finite number >= 0 (got {min_spacing_m!r})")
        xy = np.column_stack([result.geometry.x.to_numpy(), result.geometry.y.to_numpy()])
        d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
        a, b = np.nonzero(np.triu(d < float(min_spacing_m), k=1))
        conflicts = list(zip(a.tolist(), b.tolist()))
    covers = [np.flatnonzero(covered[:, s]).tolist() for s in range(len(site_ids))]
    t_sites = np.ascontiguousarray(t.T)
    total = float(population.sum())
    reachable = ~np.isnan(t).all(axis=1)
    reachable_population = float(population[reachable].sum())
    curve = []
    chosen = []
    for kk in range(max(1, sum(fixed_flags)), k + 1):
        if objective == "coverage":
            chosen, _, _ = _core.max_covering(population.tolist(), covers, fixed_flags, eligible.tolist(), conflicts,
                                              kk)
        else:
            solution = _core.p_median(population.tolist(), t_sites, fixed_flags, eligible.tolist(), conflicts, kk)
            chosen = solution["sites"]
        got, person_minutes, _, unserved = _prefix_figures(population, t, T, chosen)
        curve.append({"k": kk, "covered_population": got[-1] if chosen else 0.0,
                      "covered_share": (got[-1] if chosen else 0.0) / total if total > 0 else np.nan,
                      "mean_minutes": _mean(person_minutes[-1], reachable_population),
                      "unserved_population": float(population[unserved].sum())})
    got, person_minutes, assigned, unserved = _prefix_figures(population, t, T, chosen)
    if objective == "p-median":
        assigned = np.asarray(solution["assigned"], float)  # the engine's own assignment (ties to the earlier)
    rows = result.iloc[chosen]
    portfolio = gpd.GeoDataFrame({"site_id": rows["site_id"].to_numpy(), "name": rows["name"].to_numpy(),
                                  "order": np.arange(1, len(chosen) + 1),
                                  "marginal_population": np.diff(np.asarray([0.0] + got)),
                                  "covered_population": np.asarray(got, float),
                                  "assigned_population": assigned,
                                  "person_minutes_saved": -np.diff(person_minutes),
                                  "mean_minutes": [_mean(o, reachable_population) for o in person_minutes[1:]]},
                                 geometry=rows.geometry.to_numpy(), crs=result.crs)
    portfolio.attrs["coverage_curve"] = shared(pd.DataFrame(curve))
    portfolio.attrs["parameters"] = {"k": k, "minutes": float(minutes), "objective": objective,
                                     "fixed": [s for s, f in zip(site_ids, fixed_flags) if f],
                                     "min_spacing_m": min_spacing_m, "score_floor": score_floor, "demand": demand,
                                     "demand_population": total,
                                     "unreachable_communes": int((~reachable).sum()),
                                     "unreachable_population": float(population[~reachable].sum()),
                                     "unserved_communes": int(unserved.sum()),
                                     "unserved_population": float(population[unserved].sum())}
    return portfolio


def _mean(person_minutes: float, people: float) -> float:
    return person_minutes / people if people > 0 else float("nan")
