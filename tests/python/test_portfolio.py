"""tl.choose_sites (maximal covering and p-median) on the default Baronnies territory, against the exact optimum
from PuLP + CBC."""
from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pulp
import pytest

import tierslieux as tl
from tierslieux import _core
from tierslieux._portfolio import coverage, travel_minutes


def exact(population, covered, k, fixed=(), eligible=None, conflicts=()):
    """Maximal covering as an integer programme solved by CBC (the reference)."""
    n_c, n_s = covered.shape
    prob = pulp.LpProblem("max_covering", pulp.LpMaximize)
    x = [prob.add_variable(f"x{s}", cat="Binary") for s in range(n_s)]
    y = [prob.add_variable(f"y{c}", cat="Binary") for c in range(n_c)]
    prob += pulp.lpSum(float(population[c]) * y[c] for c in range(n_c))
    for c in range(n_c):
        prob += y[c] <= pulp.lpSum(x[s] for s in np.flatnonzero(covered[c]))
    prob += pulp.lpSum(x) == k
    for s in fixed:
        prob += x[s] == 1
    if eligible is not None:
        for s in np.flatnonzero(~eligible):
            if s not in fixed:
                prob += x[s] == 0
    for a, b in conflicts:
        prob += x[a] + x[b] <= 1
    return solve(prob)


def solve(prob):
    with warnings.catch_warnings():  # PuLP 3.3 flags its bundled CBC as deprecated (still the one shipped)
        warnings.simplefilter("ignore", DeprecationWarning)
        solver = pulp.PULP_CBC_CMD(msg=False)
    assert prob.solve(solver) == pulp.LpStatusOptimal
    return pulp.value(prob.objective)


def exact_median(population, t, k):
    """p-median as an integer programme solved by CBC (the reference), with the engine's unreachable rule: a
    commune no site reaches is left out; one no chosen site reaches costs its longest finite time (u = 1)."""
    n_c, n_s = t.shape
    prob = pulp.LpProblem("p_median", pulp.LpMinimize)
    x = [prob.add_variable(f"x{s}", cat="Binary") for s in range(n_s)]
    cost = []
    for c in np.flatnonzero(~np.isnan(t).all(axis=1)):
        finite = np.flatnonzero(~np.isnan(t[c]))
        y = [prob.add_variable(f"y{c}_{s}", 0, 1) for s in finite]
        u = prob.add_variable(f"u{c}", 0, 1)
        prob += pulp.lpSum(y) + u == 1
        for s, v in zip(finite, y):
            prob += v <= x[s]
        cost.append(pulp.lpDot([float(population[c] * t[c, s]) for s in finite], y))
        cost.append(float(population[c] * t[c, finite].max()) * u)
    prob += pulp.lpSum(cost)
    prob += pulp.lpSum(x) == k
    return solve(prob)


@pytest.fixture(scope="module")
def baronnies():
    with pytest.warns(tl.DataWarning):
        return tl.score(progress=False, stability_draws=0)


def test_within_two_percent_of_the_optimum_for_k_1_to_8(baronnies):
    population, covered = coverage(baronnies, 20)
    portfolio = tl.choose_sites(baronnies, 8, 20)
    curve = portfolio.attrs["coverage_curve"]
    assert curve["k"].tolist() == list(range(1, 9))
    gaps = []
    for k, got in zip(curve["k"], curve["covered_population"]):
        best = exact(population, covered, k)
        assert got <= best + 1e-6
        gaps.append((best - got) / best)
    print("gaps to the CBC optimum, k = 1..8:", [f"{g:.4%}" for g in gaps])
    assert max(gaps) <= 0.02
    # the layer: cumulative marginal gains give the covered population of the 8-site set
    assert portfolio["order"].tolist() == list(range(1, 9))
    assert portfolio["covered_population"].iloc[-1] == pytest.approx(curve["covered_population"].iloc[-1])
    assert np.all(np.diff(portfolio["covered_population"]) >= 0)
    assert curve["covered_share"].iloc[-1] == pytest.approx(
        curve["covered_population"].iloc[-1] / population.sum())
    assert portfolio.crs == baronnies.crs


def test_one_site_covers_what_its_pop_column_says(baronnies):
    """Same rule as pop_<T>min: with every commune as demand, the best single site covers max(pop_15min)."""
    curve = tl.choose_sites(baronnies, 1, 15, demand="all").attrs["coverage_curve"]
    assert curve["covered_population"].iloc[0] == pytest.approx(baronnies["pop_15min"].max())


def test_fixed_spacing_and_score_floor_are_respected_and_near_optimal(baronnies):
    fixed = ["fs-2992"]  # a France services office that already exists
    p = tl.choose_sites(baronnies, 4, 20, fixed=fixed, min_spacing_m=10_000, score_floor=30)
    assert p["site_id"].iloc[0] == "fs-2992"
    chosen = baronnies.set_index("site_id").loc[p["site_id"]]
    xy = np.column_stack([chosen.geometry.x, chosen.geometry.y])
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    assert (d[np.triu_indices(len(xy), 1)] >= 10_000).all()
    assert (chosen["score"].drop("fs-2992") >= 30).all()
    population, covered = coverage(baronnies, 20)
    ids = baronnies["site_id"].tolist()
    sx, sy = baronnies.geometry.x.to_numpy(), baronnies.geometry.y.to_numpy()
    dist = np.hypot(sx[:, None] - sx[None, :], sy[:, None] - sy[None, :])
    conflicts = list(zip(*np.nonzero(np.triu(dist < 10_000, 1))))
    best = exact(population, covered, 4, fixed=[ids.index("fs-2992")],
                 eligible=baronnies["score"].to_numpy() >= 30, conflicts=conflicts)
    assert p["covered_population"].iloc[-1] >= 0.98 * best


@pytest.mark.parametrize("kwargs, message", [
    (dict(k=0, minutes=20), r"k must be a whole number >= 1 \(got 0\)"),
    (dict(k=3, minutes=0), r"minutes must be a finite number > 0"),
    (dict(k=3, minutes=20, demand="everyone"), r"demand='everyone' is not one of: territory, all"),
    (dict(k=3, minutes=20, fixed=["nowhere"]), r"fixed site 'nowhere' is not in the result \(145 sites, e.g."),
    (dict(k=1, minutes=20, fixed=["fs-2992", "mairie-26377"]), r"2 fixed sites for k = 1"),
    (dict(k=3, minutes=20, objective="median"), r"objective='median' is not one of: coverage, p-median"),
    (dict(k=3, minutes=20, objective="p-median", min_spacing_m=-1), r"min_spacing_m must be a finite number >= 0"),
    (dict(k=3, minutes=float("nan"), objective="p-median"), r"minutes must be a finite number > 0"),
])
def test_bad_arguments_are_refused(baronnies, kwargs, message):
    with pytest.raises(ValueError, match=message):
        tl.choose_sites(baronnies, **kwargs)
    with pytest.raises(TypeError, match="returned by tierslieux.score"):
        tl.choose_sites(pd.DataFrame({"site_id": ["a"]}), 1, 20)


def test_p_median_within_two_percent_of_the_optimum_for_k_1_to_8(baronnies):
    population, t = travel_minutes(baronnies)
    portfolio = tl.choose_sites(baronnies, 8, 20, objective="p-median")
    curve = portfolio.attrs["coverage_curve"]
    assert curve["k"].tolist() == list(range(1, 9))
    assert not np.isnan(t).any()  # every commune of the territory reaches every site: nothing left out
    gaps = []
    for k, mean in zip(curve["k"], curve["mean_minutes"]):
        got = mean * population.sum()
        best = exact_median(population, t, k)
        assert got >= best - 1e-6 * best
        gaps.append((got - best) / best)
    print("p-median gaps to the CBC optimum, k = 1..8:", [f"{g:.4%}" for g in gaps])
    print("p-median mean minutes, k = 1..8:", [f"{m:.2f}" for m in curve["mean_minutes"]])
    assert max(gaps) <= 0.02
    assert np.all(np.diff(curve["mean_minutes"]) <= 1e-9)  # one more site never makes the best set worse
    # the layer: the reductions of the engine are the person-minutes saved, and add up to the objective
    got = _core.p_median(population.tolist(), np.ascontiguousarray(t.T), [], [], [], 8)
    assert portfolio["site_id"].tolist() == baronnies["site_id"].iloc[got["sites"]].tolist()
    assert portfolio["person_minutes_saved"].to_numpy() == pytest.approx(got["reduction"])
    assert portfolio["assigned_population"].to_numpy() == pytest.approx(got["assigned"])
    assert portfolio["assigned_population"].sum() == pytest.approx(population.sum())
    assert portfolio["mean_minutes"].iloc[-1] == pytest.approx(got["objective"] / population.sum())
    assert curve["mean_minutes"].iloc[-1] == pytest.approx(portfolio["mean_minutes"].iloc[-1])
    # coverage is reported alongside: people within 20 minutes of a chosen site
    within = (t[:, got["sites"]] <= 20).any(axis=1)
    assert curve["covered_population"].iloc[-1] == pytest.approx(population[within].sum())
    assert portfolio["covered_population"].iloc[-1] == pytest.approx(population[within].sum())
    assert got["unreachable_points"] == got["unserved_points"] == 0


def test_coverage_curve_reports_mean_minutes_too(baronnies):
    population, t = travel_minutes(baronnies)
    p = tl.choose_sites(baronnies, 3, 20)
    curve = p.attrs["coverage_curve"]
    assert list(curve.columns) == ["k", "covered_population", "covered_share", "mean_minutes",
                                   "unserved_population"]
    chosen = baronnies.set_index("site_id").index.get_indexer(p["site_id"])
    nearest = t[:, chosen].min(axis=1)
    assert p["mean_minutes"].iloc[-1] == pytest.approx((population * nearest).sum() / population.sum())
    # the p-median's best set is at least as good on minutes, the coverage's on people within T
    pm = tl.choose_sites(baronnies, 3, 20, objective="p-median").attrs["coverage_curve"]
    assert (pm["mean_minutes"] <= curve["mean_minutes"] + 1e-9).all()
    assert (pm["covered_population"] <= curve["covered_population"] + 1e-9).all()


def test_p_median_respects_fixed_spacing_and_score_floor(baronnies):
    p = tl.choose_sites(baronnies, 4, 20, fixed=["fs-2992"], min_spacing_m=10_000, score_floor=30,
                        objective="p-median")
    assert p["site_id"].iloc[0] == "fs-2992" and len(p) == 4
    chosen = baronnies.set_index("site_id").loc[p["site_id"]]
    xy = np.column_stack([chosen.geometry.x, chosen.geometry.y])
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    assert (d[np.triu_indices(len(xy), 1)] >= 10_000).all()
    assert (chosen["score"].drop("fs-2992") >= 30).all()
    assert p.attrs["parameters"]["objective"] == "p-median"


def test_unreachable_communes_are_left_out_and_unserved_ones_counted_at_their_penalty(baronnies):
    """One commune not snapped (no site reaches it); one commune and one site moved together onto a node with no
    edges, so that only that site reaches it (at its access leg) and it reaches nothing else."""
    meta = baronnies.attrs["tierslieux"]
    communes = meta.communes.copy()
    inside = np.flatnonzero(communes["in_territory"].astype(bool).to_numpy())
    order = inside[np.argsort(communes["population"].to_numpy()[inside])]
    lost, alone = order[0], order[1]  # the two smallest communes of the territory
    lonely_node = float(np.nanmax(np.concatenate([meta.network_edges[["from_node", "to_node"]].to_numpy().ravel(),
                                                  communes["node_id"].to_numpy(float)]))) + 1
    communes.loc[communes.index[lost], "node_id"] = np.nan
    communes.loc[communes.index[alone], "node_id"] = lonely_node
    sites = baronnies.copy()
    far = int(np.argmin(sites["score"].to_numpy()))  # the lowest-scoring site
    sites.loc[sites.index[far], "node_id"] = lonely_node
    # the edited tables, not the engine's run, describe this graph
    sites.attrs["tierslieux"] = dataclasses.replace(meta, communes=communes, engine_run=None)
    population, t = travel_minutes(sites)
    territory = communes[communes["in_territory"].astype(bool)]
    i_lost, i_alone = territory.index.get_loc(communes.index[lost]), territory.index.get_loc(communes.index[alone])
    assert np.isnan(t[i_lost]).all()
    assert np.flatnonzero(~np.isnan(t[i_alone])).tolist() == [far]
    assert t[i_alone, far] == pytest.approx(sites["access_minutes"].iloc[far])

    p = tl.choose_sites(sites, 3, 20, objective="p-median")
    params, curve = p.attrs["parameters"], p.attrs["coverage_curve"]
    assert sites["site_id"].iloc[far] not in p["site_id"].tolist()
    assert params["unreachable_communes"] == 1
    assert params["unreachable_population"] == population[i_lost]
    assert params["unserved_communes"] == 1
    assert params["unserved_population"] == population[i_alone] > 0
    assert curve["unserved_population"].tolist() == [population[i_alone]] * 3
    # the objective: nearest chosen site for the served, the penalty (longest finite time) for the unserved one
    chosen = sites.set_index("site_id").index.get_indexer(p["site_id"])
    served = ~np.isnan(t).all(axis=1)
    minutes = np.nanmin(np.where(np.isnan(t[:, chosen]), np.inf, t[:, chosen]), axis=1)
    minutes[i_alone] = t[i_alone, far]
    expected = (population[served] * minutes[served]).sum() / population[served].sum()
    assert p["mean_minutes"].iloc[-1] == pytest.approx(expected)
    got = _core.p_median(population.tolist(), np.ascontiguousarray(t.T), [], [], [], 3)
    assert (got["unreachable_points"], got["unreachable_demand"]) == (1, population[i_lost])
    assert (got["unserved_points"], got["unserved_demand"]) == (1, population[i_alone])
    assert got["reachable_demand"] == pytest.approx(population[served].sum())
    assert sum(got["assigned"]) + got["unserved_demand"] == pytest.approx(population[served].sum())
    # forcing the lonely site in serves it
    q = tl.choose_sites(sites, 3, 20, objective="p-median", fixed=[sites["site_id"].iloc[far]])
    assert q.attrs["parameters"]["unserved_communes"] == 0
    assert q["assigned_population"].iloc[0] == population[i_alone]


def test_p_median_engine_refuses_bad_arrays():
    with pytest.raises(tl.InputError, match="minutes must be a 2-D array"):
        _core.p_median([1.0, 2.0], np.zeros(2), [], [], [], 1)
    with pytest.raises(tl.InputError, match="minutes has 3 values for 1 sites x 2 demand points"):
        _core.p_median([1.0, 2.0], np.zeros((1, 3)), [], [], [], 1)
    with pytest.raises(tl.InputError, match="minutes from demand point 0 to site 0 = -1"):
        _core.p_median([1.0], np.array([[-1.0]]), [], [], [], 1)
    with pytest.raises(tl.InputError, match="site 4 does not exist"):
        _core.median_objective([1.0], np.array([[1.0]]), [4])


@pytest.mark.parametrize("objective", ["coverage", "p-median"])
def test_no_eligible_site_is_an_error_not_an_empty_portfolio(baronnies, objective):
    with pytest.raises(ValueError, match=r"no site may be chosen besides the 0 fixed.*score_floor 101"):
        tl.choose_sites(baronnies, 3, 20, score_floor=101, objective=objective)
    # with fixed sites only, k = number of fixed sites is fine
    p = tl.choose_sites(baronnies, 1, 20, fixed=["fs-2992"], score_floor=101, objective=objective)
    assert p["site_id"].tolist() == ["fs-2992"]


def test_choose_sites_reuses_the_runs_graph_and_gets_what_the_tables_give(baronnies):
    """The minutes from the engine's own graph (nothing rebuilt) equal those of a graph rebuilt from the output
    tables, for every commune of the file and every site, in the result's order (sorted by rank)."""
    meta = baronnies.attrs["tierslieux"]
    assert meta.engine_run is not None
    population, t = travel_minutes(baronnies, "all")
    rebuilt = baronnies.copy()
    rebuilt.attrs["tierslieux"] = dataclasses.replace(meta, engine_run=None)
    population2, t2 = travel_minutes(rebuilt, "all")
    assert t.shape == (len(meta.communes), len(baronnies))
    np.testing.assert_array_equal(population, population2)
    np.testing.assert_allclose(t, t2, rtol=1e-12, atol=0)
    assert np.isnan(t).sum() == np.isnan(t2).sum()
    shuffled = baronnies.sample(frac=1.0, random_state=1)  # another row order: columns follow the rows
    _, t3 = travel_minutes(shuffled, "all")
    order = [baronnies.index.get_loc(i) for i in shuffled.index]
    np.testing.assert_array_equal(t3, t[:, order])
