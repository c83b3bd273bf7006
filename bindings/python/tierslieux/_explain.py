"""tl.explain: one site's score broken down by criterion, in numbers and in words."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import pandas as pd

from . import _core
from ._core import InputError

def _catalogue_entry(criterion: str) -> Optional[dict]:
    try:
        return _core.criterion_info(criterion)
    except _core.NotFound:
        return None


def _describe(criterion: str) -> str:
    entry = _catalogue_entry(criterion)
    return entry["description"] if entry else criterion


def _unit(criterion: str) -> str:
    entry = _catalogue_entry(criterion)
    return entry["unit"] if entry else ""


def _number(v: float) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "no value"
    if abs(v) >= 100:
        return f"{v:,.0f}".replace(",", " ")
    return f"{v:.2f}".rstrip("0").rstrip(".") if v != int(v) else f"{int(v)}"


@dataclass
class Explanation:
    """The breakdown of one site's score. ``table`` has one row per criterion; ``text`` says it in words."""

    site_id: str
    name: str
    rank: int
    sites: int
    score: float
    table: pd.DataFrame
    text: str

    def __str__(self) -> str:
        return self.text


def explain(result: pd.DataFrame, site_id) -> Explanation:
    """Explain one site's score from a :func:`tierslieux.score` result.

    ``table`` columns: ``criterion``, ``description``, ``value`` (raw, in ``unit``), ``weight`` (as given),
    ``effective_weight`` (share of the score the criterion can bring; 0 when it does not vary across sites),
    ``normalised`` (0–1 on the run's normalisation, 1 = best site), ``points`` (= 100 × effective_weight ×
    normalised; they add up to the score), ``points_missed`` (what the best value would have added) and
    ``share_of_score``. ``text`` gives the rank, the score, each criterion's part and where the site loses most.
    """
    meta = result.attrs.get("tierslieux") if hasattr(result, "attrs") else None
    if meta is None:
        raise TypeError("explain needs the GeoDataFrame returned by tierslieux.score")
    rows = result[result["site_id"].astype(str) == str(site_id)]
    if rows.empty:
        sample = ", ".join(result.sort_values("rank")["site_id"].astype(str).head(5))
        raise InputError(f"site_id '{site_id}' is not in the result ({len(result)} sites, e.g. {sample})")
    site = rows.iloc[0]
    records = []
    for criterion, weight in meta.weights.items():
        eff = float(meta.effective_weights.get(criterion, 0.0))
        points = float(site.get(f"contrib_{criterion}", 0.0))
        normalised = points / (100.0 * eff) if eff > 0 else math.nan
        records.append({"criterion": criterion, "description": _describe(criterion),
                        "value": float(site[criterion]) if criterion in site else math.nan,
                        "unit": _unit(criterion), "weight": float(weight), "effective_weight": eff,
                        "normalised": normalised, "points": points,
                        "points_missed": 100.0 * eff - points if eff > 0 else 0.0})
    table = pd.DataFrame.from_records(records)
    score = float(site["score"])
    table["share_of_score"] = table["points"] / score if score > 0 else 0.0
    table = table.sort_values(["points", "criterion"], ascending=[False, True]).reset_index(drop=True)

    name = str(site.get("name", site_id))
    lines = [f"{name} ({site['site_id']}) ranks {int(site['rank'])} of {len(result)} with a score of "
             f"{score:.1f} / 100 ({meta.parameters.get('normalisation', 'min-max')} normalisation)."]
    normalisation = meta.parameters.get("normalisation", "min-max")
    position = {"min-max": "{:.0%} of the way from the worst site to the best",
                "rank": "ahead of {:.0%} of the other sites",
                "z-score": "normalised {:.2f} (0.5 = the mean site)"}
    for r in table.itertuples():
        if r.effective_weight <= 0:
            continue
        where = position.get(normalisation, "normalised {:.2f}").format(r.normalised)
        lines.append(f"- {r.description}: {_number(r.value)} {r.unit}".rstrip() +
                     f" -> {where}, × weight {r.effective_weight:.0%} = {r.points:.1f} points "
                     f"({r.share_of_score:.0%} of its score)")
    for r in table.itertuples():
        if r.effective_weight <= 0 and r.weight > 0:
            lines.append(f"- {r.description}: not counted (the same value for every site, so its weight went to "
                         f"the others)")
    unweighted = [r.criterion for r in table.itertuples() if r.weight <= 0]
    if unweighted:
        lines.append(f"- shown but not counted (weight 0): {', '.join(sorted(unweighted))}")
    counted = table[table["effective_weight"] > 0]
    if not counted.empty and counted["points_missed"].max() > 0.05:
        worst = counted.sort_values("points_missed", ascending=False).iloc[0]
        lines.append(f"It loses most on {worst['description']}: {worst['points_missed']:.1f} points below the "
                     f"best site on that criterion.")
    if {"p_top10", "rank_p05", "rank_p95"} <= set(site.index):
        draws = meta.parameters.get("stability_draws", 0)
        lines.append(f"With the weights varied ({draws} draws, docs/criteria.md) it ranks {int(site['rank_p05'])} to "
                     f"{int(site['rank_p95'])} (5th-95th percentile) and is in the top 10 in "
                     f"{site['p_top10']:.0%} of the draws.")
    return Explanation(site_id=str(site["site_id"]), name=name, rank=int(site["rank"]), sites=len(result),
                       score=score, table=table, text="\n".join(lines))
