#!/usr/bin/env python3
"""Print the tables of docs/baronnies.md from the default territory with the default settings.

    .venv/bin/python scripts/baronnies_tables.py

Deterministic (rank stability is seeded). tests/python/test_baronnies_doc.py checks that every table this
prints appears, as printed, in docs/baronnies.md, so the document cannot drift from what the tool says.
"""
from __future__ import annotations

import warnings

import tierslieux as tl

# The seed study's pilot structures (MISSION.md; issue 9) and the site that holds each (geodata/README.md, rule 8)
PILOTS = [
    ("Point Information Jeunesse, Buis-les-Baronnies", "pij-26063"),
    ("France services (ex-RSP/MSAP), Serres", "fs-577"),
    ("France services (ex-RSP/MSAP), Laragne-Montéglin", "fs-615"),
    ("Asoft « La Vitrine », Nyons (at the France services)", "fs-2992"),
    ("Asoft « Maison des Associations », Nyons", "numerique-26220"),
    ("AVENTIC Sahune (France services Vallée de l'Eygues)", "fs-1212"),
    ("AVENTIC Rémuzat (France services Vallée de l'Eygues)", "fs-26264"),
    ("MSAP Hautes Baronnies, Séderon", "fs-1215"),
    ("Espace rural numérique, Valdoule (ex-Montmorin)", "fs-823"),
]
MINUTES = 20


def helps_and_hurts(result, site_id) -> tuple[str, str]:
    table = tl.explain(result, site_id).table
    counted = table[table["effective_weight"] > 0]
    helps = counted.loc[counted["points"].idxmax()]
    hurts = counted.loc[counted["points_missed"].idxmax()]
    return (f"`{helps['criterion']}` (+{helps['points']:.1f})", f"`{hurts['criterion']}` (−{hurts['points_missed']:.1f})")


def fmt_int(v) -> str:
    return f"{v:,.0f}".replace(",", " ")


def top10(result) -> str:
    names = {c: n for c, n in zip(result.attrs["tierslieux"].communes["commune_code"],
                                 result.attrs["tierslieux"].communes["name"])}
    rows = ["| rank | site | kind | commune | score | in top 10 (share of draws) | plausible ranks | "
            "people within 15 min | fibre at the site | helps most | hurts most |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for _, r in result.sort_values("rank").head(10).iterrows():
        helps, hurts = helps_and_hurts(result, r["site_id"])
        rows.append(f"| {r['rank']} | {r['name']} (`{r['site_id']}`) | {r['kind']} | {names[r['commune_code']]} | "
                    f"{r['score']:.1f} | {r['p_top10']:.2f} | {r['rank_p05']}–{r['rank_p95']} | "
                    f"{fmt_int(r['pop_15min'])} | {r['ftth_share']:.2f} | {helps} | {hurts} |")
    return "\n".join(rows)


def pilots(result) -> str:
    by_id = result.set_index("site_id")
    rows = ["| pilot structure | site | rank | score | in top 10 | plausible ranks | helps most | hurts most |",
            "|---|---|---|---|---|---|---|---|"]
    for label, site_id in PILOTS:
        r = by_id.loc[site_id]
        helps, hurts = helps_and_hurts(result, site_id)
        rows.append(f"| {label} | {r['name']} (`{site_id}`) | {r['rank']} of {len(result)} | {r['score']:.1f} | "
                    f"{r['p_top10']:.2f} | {r['rank_p05']}–{r['rank_p95']} | {helps} | {hurts} |")
    return "\n".join(rows)


def coverage(result) -> str:
    population = result.attrs["tierslieux"].communes
    total = population.loc[population["in_territory"], "population"].sum()
    pilot_ids = [s for _, s in PILOTS]
    only_pilots = tl.choose_sites(result, len(pilot_ids), MINUTES, fixed=pilot_ids)
    rows = [f"| sites | people of the study area within {MINUTES} min | share | the sites, in the order chosen |",
            "|---|---|---|---|"]

    def row(label, plan, listed):
        covered = plan["covered_population"].iloc[-1]
        ids = ", ".join(f"{n} (`{s}`)" for s, n in zip(plan["site_id"], plan["name"]) if s in listed)
        rows.append(f"| {label} | {fmt_int(covered)} | {covered / total:.1%} | {ids} |")

    for k in (3, 5, 8):
        plan = tl.choose_sites(result, k, MINUTES)
        row(f"best {k}", plan, set(plan["site_id"]))
    row(f"the {len(pilot_ids)} pilot sites", only_pilots, set(pilot_ids))
    for k in (3, 5, 8):
        plan = tl.choose_sites(result, len(pilot_ids) + k, MINUTES, fixed=pilot_ids)
        row(f"the pilots + best {k} more", plan, set(plan["site_id"]) - set(pilot_ids))
    return "\n".join(rows) + f"\n\n(study area: {fmt_int(total)} people)"


def main() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tl.DataWarning)
        result = tl.score(progress=False)
    print("<!-- top10 -->")
    print(top10(result))
    print("\n<!-- pilots -->")
    print(pilots(result))
    print("\n<!-- coverage -->")
    print(coverage(result))


if __name__ == "__main__":
    main()
