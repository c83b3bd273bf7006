"""Scenarios: named variations of a territory's data or weights, run against the same graph and compared.

A scenario is "fibre reaches communes X and Y", "site Z closes", "site W opens as a tiers-lieu", "the youth
council's weights", or any mix. :func:`run_scenario` re-scores a base result with the scenario's changes and the
base run's parameters; :func:`compare` puts the two side by side (docs/criteria.md, Scenarios).
"""
from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, field
from typing import Mapping, Optional, Tuple, Union

import geopandas as gpd
import pandas as pd

from . import _core, _weights
from ._core import InputError
from ._frames import shared

PathLike = Union[str, "os.PathLike[str]"]
_KEYS = ("name", "description", "fibre", "close_sites", "open_tiers_lieux", "weights_file", "weights",
         "building_fit", "commute")


@dataclass(frozen=True)
class Scenario:
    """A named variation of the inputs.

    ``fibre``: new fibre share per commune code (a list of codes means 1.0: "fibre reaches them").
    ``close_sites``: site ids that are no longer candidates. ``open_tiers_lieux``: site ids that open as
    tiers-lieux: they leave the candidates and join the existing tiers-lieux, so the competition criteria see
    them. ``weights``: a mapping or a weights file, merged over the defaults like ``tl.score(weights=...)``;
    None keeps the base run's weights. ``building_fit`` and ``commute`` are merged over the base run's.
    """

    name: str
    description: str = ""
    fibre: Mapping[str, float] = field(default_factory=dict)
    close_sites: Tuple[str, ...] = ()
    open_tiers_lieux: Tuple[str, ...] = ()
    weights: Optional[Union[Mapping[str, float], PathLike]] = None
    building_fit: Mapping[str, float] = field(default_factory=dict)
    commute: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise InputError("a scenario needs a non-empty name")
        fibre = self.fibre
        if isinstance(fibre, (list, tuple, set)):
            fibre = {str(code): 1.0 for code in fibre}
        if not isinstance(fibre, Mapping):
            raise InputError(f"scenario '{self.name}': fibre must be a mapping commune_code -> share or a list "
                             f"of commune codes, not {type(fibre).__name__}")
        for code, share in fibre.items():
            if isinstance(share, bool) or not isinstance(share, (int, float)):
                raise InputError(f"scenario '{self.name}': fibre share of commune '{code}' must be a number, "
                                 f"not {share!r}")
        object.__setattr__(self, "fibre", {str(k): float(v) for k, v in fibre.items()})
        for key in ("close_sites", "open_tiers_lieux"):
            value = getattr(self, key)
            if isinstance(value, str) or not isinstance(value, (list, tuple, set)):
                raise InputError(f"scenario '{self.name}': {key} must be a list of site ids, not {value!r}")
            object.__setattr__(self, key, tuple(str(v) for v in value))

    @classmethod
    def from_file(cls, path: PathLike) -> "Scenario":
        """Read a scenario from a TOML file::

            name = "Fibre reaches Nyons and Buis"
            description = "the 2027 rollout plan"
            fibre = ["26220", "26063"]            # or a [fibre] table: "26220" = 0.8
            close_sites = ["mairie-26377"]
            open_tiers_lieux = ["fs-2992"]
            weights_file = "youth_council.toml"   # relative to this file; or a [weights] table
            [building_fit]
            town_hall = 0.8

        Errors name the file and the key.
        """
        p, doc = _weights.read_toml(path, "scenario file")
        extra = [k for k in doc if k not in _KEYS]
        if extra:
            raise InputError(f"scenario file '{p}': unexpected key '{extra[0]}' (allowed: {', '.join(_KEYS)})")
        if "name" not in doc:
            raise InputError(f"scenario file '{p}' has no name = \"...\"")
        if "weights" in doc and "weights_file" in doc:
            raise InputError(f"scenario file '{p}': give weights_file or a [weights] table, not both")
        weights = None
        if "weights_file" in doc:
            if not isinstance(doc["weights_file"], str):
                raise InputError(f"scenario file '{p}': weights_file must be a path in quotes, not "
                                 f"{doc['weights_file']!r}")
            weights = str((p.parent / doc["weights_file"]).resolve())
        elif "weights" in doc:
            weights = _weights.numbers(doc["weights"], f"scenario file '{p}': weight")
        try:
            return cls(name=doc["name"], description=str(doc.get("description", "")), fibre=doc.get("fibre", {}),
                       close_sites=doc.get("close_sites", ()), open_tiers_lieux=doc.get("open_tiers_lieux", ()),
                       weights=weights,
                       building_fit=_weights.numbers(doc.get("building_fit"), f"scenario file '{p}': building fit"),
                       commute=_weights.numbers(doc.get("commute"), f"scenario file '{p}': commute",
                                                _weights.COMMUTE_KEYS))
        except InputError as e:
            raise InputError(f"scenario file '{p}': {e}") from None


def run_scenario(base: gpd.GeoDataFrame, scenario: Scenario, *, progress: bool = True) -> gpd.GeoDataFrame:
    """Score a scenario with the base run's territory file and parameters (same graph, same thresholds, same
    normalisation and stability draws); only the scenario's changes differ. Returns a ``tl.score`` result whose
    ``attrs["tierslieux"].parameters["scenario"]`` describes the scenario."""
    from ._api import DataWarning, Territory, load_territory, score

    meta = _meta(base, "run_scenario")
    if not isinstance(scenario, Scenario):
        raise TypeError(f"scenario must be a tierslieux.Scenario, not {type(scenario).__name__}")
    p = dict(meta.parameters)
    if p.get("scenario"):
        raise InputError(f"run_scenario needs a base run, not the result of scenario '{p['scenario']['name']}' "
                         "(its changes would be lost): put both sets of changes in one Scenario")
    settings = meta.settings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # the base run has shown the loading warnings
        territory = load_territory(meta.territory_path, crs=settings.crs, assume_crs=settings.assume_crs)
    changed = Territory(_core.with_changes(territory._core, dict(scenario.fibre), list(scenario.close_sites),
                                           list(scenario.open_tiers_lieux), scenario.name))
    # settings: the base run's, then the scenario's weights (a mapping, or a file with its tables), then its own
    # without weights of its own, the scenario re-uses the base run's weights as given (a record without file, as
    # before Settings existed)
    fit, commute, weights = dict(settings.building_fit), dict(settings.commute), settings.weights
    weights_file, file_names = None, frozenset()
    if isinstance(scenario.weights, (str, os.PathLike)):
        weights, file_fit, file_commute = _weights.load_settings(scenario.weights)
        fit.update(file_fit)
        commute.update(file_commute)
        weights_file, file_names = os.fspath(scenario.weights), frozenset(weights)
    elif scenario.weights is not None:
        weights, weights_file, file_names = dict(scenario.weights), None, frozenset()
    fit.update(scenario.building_fit)
    commute.update(scenario.commute)
    result = score(changed, settings=settings.replace(weights=weights, building_fit=fit, commute=commute,
                                                      weights_file=weights_file, file_weight_names=file_names),
                   progress=progress)
    result.attrs["tierslieux"].parameters["scenario"] = {
        "name": scenario.name, "description": scenario.description, "fibre": dict(scenario.fibre),
        "close_sites": list(scenario.close_sites), "open_tiers_lieux": list(scenario.open_tiers_lieux),
        "weights": scenario.weights if not isinstance(scenario.weights, Mapping) else dict(scenario.weights)}
    return result


def compare(base: gpd.GeoDataFrame, scenario: gpd.GeoDataFrame, *, k: Optional[int] = None,
            minutes: Optional[float] = None, objective: str = "coverage") -> gpd.GeoDataFrame:
    """Side by side: one row per site of either run, sorted by the scenario's rank.

    Columns: ``site_id``, ``name``, ``status`` ("kept", "closed", "opened as tiers-lieu" or "new"),
    ``score_base``, ``score_scenario``, ``rank_base``, ``rank_scenario``, ``score_delta``, ``rank_change``
    (rank_base − rank_scenario: positive = climbs), ``p_top10_base`` / ``p_top10_scenario`` when measured, and
    ``<criterion>_delta`` for each criterion of both runs whose value changed somewhere. A site in one run only
    has NaN for the other. ``attrs["coverage"]``: per threshold T, the territory's people within T minutes of
    the nearest candidate site in each run and the difference; ``attrs["communes"]``: each territory commune's
    minutes to the nearest candidate site in each run.

    With ``k`` and ``minutes``, the best k sites are also chosen in each run (:func:`tierslieux.choose_sites`,
    ``objective`` "coverage" or "p-median"): ``attrs["portfolio_base"]`` and ``attrs["portfolio_scenario"]`` are
    the two portfolios and ``attrs["portfolio_curve"]`` puts their coverage curves side by side (``k``,
    ``covered_share_base``, ``covered_share_scenario``, ``covered_share_delta``, ``mean_minutes_base``,
    ``mean_minutes_scenario``): "with the scenario, 4 sites reach 81 % of the people within 20 minutes instead
    of 77 %".
    """
    mb, ms = _meta(base, "compare"), _meta(scenario, "compare")
    info = ms.parameters.get("scenario") or {}
    opened = set(info.get("open_tiers_lieux", ()))
    b = pd.DataFrame(base.drop(columns="geometry")).set_index("site_id")
    s = pd.DataFrame(scenario.drop(columns="geometry")).set_index("site_id")
    ids = list(s.sort_values("rank").index) + [i for i in b.sort_values("rank").index if i not in s.index]
    out = pd.DataFrame(index=pd.Index(ids, name="site_id"))
    out["name"] = s["name"].combine_first(b["name"]).reindex(ids)
    out["status"] = ["kept" if i in s.index and i in b.index else "new" if i in s.index else
                     "opened as tiers-lieu" if i in opened else "closed" for i in ids]
    for col in ("score", "rank"):
        out[f"{col}_base"] = b[col].reindex(ids).astype(float)
        out[f"{col}_scenario"] = s[col].reindex(ids).astype(float)
    out["score_delta"] = out["score_scenario"] - out["score_base"]
    out["rank_change"] = out["rank_base"] - out["rank_scenario"]
    if "p_top10" in b.columns and "p_top10" in s.columns:
        out["p_top10_base"] = b["p_top10"].reindex(ids)
        out["p_top10_scenario"] = s["p_top10"].reindex(ids)
    for criterion in [c for c in mb.weights if c in ms.weights]:
        after, before = s[criterion].reindex(ids).astype(float), b[criterion].reindex(ids).astype(float)
        delta = after - before
        both = ~after.isna() & ~before.isna()
        # a value that appears or vanishes (NaN on one side, e.g. fibre for a commune without a row) is a change
        gained_or_lost = (after.isna() != before.isna()) & out["status"].eq("kept").to_numpy()
        if (delta[both].abs() > 1e-9).any() or gained_or_lost.any():
            out[f"{criterion}_delta"] = delta
    geometry = scenario.set_index("site_id").geometry.combine_first(base.set_index("site_id").geometry)
    frame = gpd.GeoDataFrame(out.reset_index(), geometry=list(geometry.reindex(ids)), crs=base.crs)
    frame.attrs["coverage"], frame.attrs["communes"] = (shared(t) for t in _coverage(mb, ms))
    frame.attrs["scenario"] = info.get("name", "")
    if k is not None or minutes is not None:
        if k is None or minutes is None:
            raise InputError("compare: give both k and minutes to compare portfolios")
        from ._portfolio import choose_sites

        pb = choose_sites(base, k, minutes, objective=objective)
        ps = choose_sites(scenario, k, minutes, objective=objective)
        cols = ["k", "covered_share", "mean_minutes"]
        curve = pb.attrs["coverage_curve"][cols].merge(ps.attrs["coverage_curve"][cols], on="k", how="outer",
                                                       suffixes=("_base", "_scenario"))
        curve["covered_share_delta"] = curve["covered_share_scenario"] - curve["covered_share_base"]
        curve = curve[["k", "covered_share_base", "covered_share_scenario", "covered_share_delta",
                       "mean_minutes_base", "mean_minutes_scenario"]]
        frame.attrs["portfolio_base"], frame.attrs["portfolio_scenario"] = shared(pb), shared(ps)
        frame.attrs["portfolio_curve"] = shared(curve)
    return frame


def _coverage(mb, ms) -> "tuple[pd.DataFrame, pd.DataFrame]":
    cb = mb.communes[mb.communes["in_territory"].astype(bool)].set_index("commune_code")
    cs = ms.communes.set_index("commune_code").reindex(cb.index)
    people = cb["population"].astype(float)
    total = float(people.sum())
    rows = []
    for T in mb.parameters["thresholds"]:
        base_people = float(people[cb["minutes_to_nearest_site"] <= T].sum())
        scen_people = float(people[cs["minutes_to_nearest_site"] <= T].sum())
        rows.append({"minutes": int(T), "population_base": base_people, "population_scenario": scen_people,
                     "population_delta": scen_people - base_people,
                     "share_base": base_people / total if total > 0 else math.nan,
                     "share_scenario": scen_people / total if total > 0 else math.nan})
    communes = pd.DataFrame({"name": cb["name"], "population": people,
                             "minutes_base": cb["minutes_to_nearest_site"].astype(float),
                             "minutes_scenario": cs["minutes_to_nearest_site"].astype(float)})
    communes["minutes_delta"] = communes["minutes_scenario"] - communes["minutes_base"]
    return pd.DataFrame(rows), communes.reset_index()


def _meta(result, who: str):
    meta = result.attrs.get("tierslieux") if hasattr(result, "attrs") else None
    if meta is None:
        raise TypeError(f"{who} needs GeoDataFrames returned by tierslieux.score")
    return meta
