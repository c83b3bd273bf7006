"""tl.choose_sites on the default Baronnies territory, against the exact optimum from PuLP + CBC."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pulp
import pytest

import tierslieux as tl
from tierslieux._portfolio import coverage


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
    with warnings.catch_warnings():  # PuLP 3.3 flags its bundled CBC as deprecated (still the one shipped)
        warnings.simplefilter("ignore", DeprecationWarning)
        solver = pulp.PULP_CBC_CMD(msg=False)
    assert prob.solve(solver) == pulp.LpStatusOptimal
    return pulp.value(prob.objective)


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
    (dict(k=3, minutes=20, fixed=["nowhere"]), r"fixed site 'nowhere' is not in the result \(117 sites, e.g."),
    (dict(k=1, minutes=20, fixed=["fs-2992", "mairie-26377"]), r"2 fixed sites for k = 1"),
])
def test_bad_arguments_are_refused(baronnies, kwargs, message):
    with pytest.raises(ValueError, match=message):
        tl.choose_sites(baronnies, **kwargs)
    with pytest.raises(TypeError, match="returned by tierslieux.score"):
        tl.choose_sites(pd.DataFrame({"site_id": ["a"]}), 1, 20)
