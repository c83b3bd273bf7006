"""tl.explain: one site's score broken down by criterion, in numbers and in words."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import pandas as pd

from . import _core
from ._core import InputError
from ._i18n import check_lang, criterion_description, number, percent

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


def _number(v: float, lang: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return _WORDS[lang]["no_value"]
    if abs(v) >= 100 or v == int(v):
        return number(v, lang)
    return number(v, lang, 2).rstrip("0").rstrip(",.")


def _unit_words(unit: str, lang: str) -> str:
    return _UNITS.get(unit, unit) if lang == "fr" else unit


#: Units of the catalogue (tl.criteria()) in French.
_UNITS = {"people": "habitants", "people (decay-weighted)": "habitants (pondérés par la distance)",
          "share of premises": "des locaux", "km per year": "km par an", "tonnes CO2 per year": "tonnes de CO2 par an",
          "out of 1": "sur 1", "services": "services", "minutes": "minutes"}

_WORDS = {
    "fr": {"head": "{name} ({id}) est classé {rank_fr} sur {n} avec un score de {score} / 100 (normalisation "
                   "{normalisation}).",
           "position": {"min-max": "à {} du chemin entre le moins bon site et le meilleur",
                        "rank": "devant {} des autres sites"},
           "normalised": "normalisé {} (0,5 = le site moyen)",
           "part": " -> {where}, × pondération {weight} = {points} points ({share} de son score)",
           "flat": "non compté (même valeur pour tous les sites : sa pondération est allée aux autres critères)",
           "unweighted": "- affichés mais non comptés (pondération 0) : {}",
           "worst": "Il perd le plus sur le critère « {what} » : {points} points de moins que le meilleur site sur ce "
                    "critère.",
           "stability": "Quand les pondérations varient ({draws} tirages, docs/criteria.md), il est classé de {best} à "
                        "{worst} (5e–95e centile) et figure dans le top 10 dans {share} des tirages.",
           "no_value": "sans valeur"},
    "en": {"head": "{name} ({id}) ranks {rank} of {n} with a score of {score} / 100 ({normalisation} normalisation).",
           "position": {"min-max": "{} of the way from the worst site to the best",
                        "rank": "ahead of {} of the other sites"},
           "normalised": "normalised {} (0.5 = the mean site)",
           "part": " -> {where}, × weight {weight} = {points} points ({share} of its score)",
           "flat": "not counted (the same value for every site, so its weight went to the others)",
           "unweighted": "- shown but not counted (weight 0): {}",
           "worst": "It loses most on {what}: {points} points below the best site on that criterion.",
           "stability": "With the weights varied ({draws} draws, docs/criteria.md) it ranks {best} to {worst} "
                        "(5th-95th percentile) and is in the top 10 in {share} of the draws.",
           "no_value": "no value"},
}


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


def explain(result: pd.DataFrame, site_id, lang: str = "fr") -> Explanation:
    """Explain one site's score from a :func:`tierslieux.score` result.

    ``table`` columns: ``criterion``, ``description``, ``value`` (raw, in ``unit``), ``weight`` (as given),
    ``effective_weight`` (share of the score the criterion can bring; 0 when it does not vary across sites),
    ``normalised`` (0–1 on the run's normalisation, 1 = best site), ``points`` (= 100 × effective_weight ×
    normalised; they add up to the score), ``points_missed`` (what the best value would have added) and
    ``share_of_score``. ``text`` gives the rank, the score, each criterion's part and where the site loses most,
    in ``lang``: "fr" (default) or "en"; ``description`` follows the language too.
    """
    lang = check_lang(lang)
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
        description = criterion_description(criterion, lang)
        records.append({"criterion": criterion,
                        "description": _describe(criterion) if description == criterion else description,
                        "value": float(site[criterion]) if criterion in site else math.nan,
                        "unit": _unit(criterion), "weight": float(weight), "effective_weight": eff,
                        "normalised": normalised, "points": points,
                        "points_missed": 100.0 * eff - points if eff > 0 else 0.0})
    table = pd.DataFrame.from_records(records)
    score = float(site["score"])
    table["share_of_score"] = table["points"] / score if score > 0 else 0.0
    table = table.sort_values(["points", "criterion"], ascending=[False, True]).reset_index(drop=True)

    name = str(site.get("name", site_id))
    words = _WORDS[lang]
    normalisation = meta.parameters.get("normalisation", "min-max")
    rank = int(site["rank"])
    lines = [words["head"].format(name=name, id=site["site_id"], rank=rank, rank_fr="1er" if rank == 1 else f"{rank}e",
                                  n=len(result),
                                  score=number(score, lang, 1), normalisation=normalisation)]
    position = words["position"]
    for r in table.itertuples():
        if r.effective_weight <= 0:
            continue
        where = position.get(normalisation, words["normalised"]).format(
            percent(r.normalised, lang) if normalisation in ("min-max", "rank") else number(r.normalised, lang, 2))
        lines.append(f"- {r.description} : {_number(r.value, lang)} {_unit_words(r.unit, lang)}".rstrip() +
                     words["part"].format(where=where, weight=percent(r.effective_weight, lang),
                                          points=number(r.points, lang, 1), share=percent(r.share_of_score, lang)))
    for r in table.itertuples():
        if r.effective_weight <= 0 and r.weight > 0:
            lines.append(f"- {r.description} : " + words["flat"])
    unweighted = [r.criterion for r in table.itertuples() if r.weight <= 0]
    if unweighted:
        lines.append(words["unweighted"].format(", ".join(sorted(unweighted))))
    counted = table[table["effective_weight"] > 0]
    if not counted.empty and counted["points_missed"].max() > 0.05:
        worst = counted.sort_values("points_missed", ascending=False).iloc[0]
        lines.append(words["worst"].format(what=worst["description"], points=number(worst["points_missed"], lang, 1)))
    if {"p_top10", "rank_p05", "rank_p95"} <= set(site.index):
        draws = meta.parameters.get("stability_draws", 0)
        lines.append(words["stability"].format(draws=number(draws, lang), best=int(site["rank_p05"]),
                                               worst=int(site["rank_p95"]), share=percent(site["p_top10"], lang)))
    if lang == "en":  # English keeps its colon tight
        lines = [line.replace(" : ", ": ") for line in lines]
    return Explanation(site_id=str(site["site_id"]), name=name, rank=int(site["rank"]), sites=len(result),
                       score=score, table=table, text="\n".join(lines))
