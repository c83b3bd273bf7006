"""tl.report: one self-contained HTML file a council can read.

The file holds everything it shows: the summary in words, an interactive map (Leaflet 1.9.4, vendored in
_vendor/leaflet/ and inlined, with the communes as the base map: no tile server), the sortable ranking, one card
per site for the best ones, the portfolio curve, the methods, the data sources with their vintages and licences,
the warnings and the settings. It opens from disk with no network: no script, style, font or picture is fetched
(docs/report.md; tests/python/test_report.py checks it in headless Chromium).
"""
from __future__ import annotations

import html
import inspect
import json
import math
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional, Union

import numpy as np
import pandas as pd

from ._core import InputError
from ._i18n import check_lang, criterion_description, criterion_title, kind_label, number, percent
from ._provenance import reads_embedded_territory

PathLike = Union[str, "os.PathLike[str]"]

_VENDOR = Path(__file__).resolve().parent / "_vendor" / "leaflet"
LEAFLET_VERSION = "1.9.4"

#: Every fixed text of the report, in French and in English. ``{name}`` fields are filled with str.format.
WORDS = {
    "fr": {
        "title": "Potentiel tiers-lieux des bâtiments publics",
        "subtitle": "{territory} · {sites} sites candidats · calcul du {created} · tierslieux {version}",
        "nav_summary": "En bref", "nav_map": "Carte", "nav_ranking": "Classement", "nav_cards": "Fiches",
        "nav_portfolio": "Portefeuille", "nav_methods": "Méthode", "nav_data": "Données",
        "nav_warnings": "Avertissements", "nav_settings": "Paramètres",
        "summary": "En bref",
        "tile_area": "communes dans la zone d'étude", "tile_people": "habitants dans la zone d'étude",
        "tile_sites": "bâtiments candidats comparés", "tile_best": "meilleur score (sur 100)",
        "tile_portfolio": "des habitants à moins de {minutes} min de l'un des {k} sites choisis ensemble",
        "sum_area": "<b>Zone d'étude</b> : {n_in} communes et {pop_in} habitants. {neighbours}",
        "sum_neighbours": "{n_out} communes voisines ({pop_out} habitants) comptent aussi dans la demande : "
                          "leurs habitants pourraient fréquenter un tiers-lieu proche, dans la zone ou non.",
        "sum_no_neighbours": "Aucune commune voisine n'est dans le fichier : seule la zone d'étude compte dans "
                             "la demande.",
        "sum_sites": "<b>{n} bâtiments candidats</b> sont comparés : {kinds}.",
        "sum_best": "<b>En tête</b> : {best}.",
        "sum_stability": "Quand les poids varient ({draws} tirages), le premier se classe entre {p05} et {p95} "
                         "(5<sup>e</sup> et 95<sup>e</sup> centiles) ; {sure} dans les dix premiers dans au "
                         "moins 90 % des tirages.",
        "sure_one": "un seul site reste", "sure_many": "{n} sites restent", "sure_none": "aucun site ne reste",
        "sum_score": "<b>Ce que dit un score</b> : chaque critère est ramené entre 0 (le moins bon des {n} sites "
                     "comparés) et 1 (le meilleur), pondéré, puis additionné sur 100. Un score est donc "
                     "<i>relatif aux candidats comparés</i> : {best} n'est pas « {best} % de potentiel », et il "
                     "changerait si l'on ajoutait ou retirait des sites. 100 serait le meilleur site sur tous les "
                     "critères à la fois.",
        "sum_times_commune": "<b>Temps de trajet</b> : ils sont calculés de chef-lieu à chef-lieu entre "
                             "communes qui se touchent, en ligne droite × {detour} à {speed} km/h. Ce n'est pas "
                             "un réseau routier : un fichier de routes OpenStreetMap donne des temps plus fins.",
        "sum_times_osm": "<b>Temps de trajet</b> : ils sont calculés sur le réseau routier du fichier "
                         "OpenStreetMap « {roads} » (profil voiture).",
        "sum_read": "Le classement complet, une fiche pour chacun des {top} premiers sites, la méthode, les "
                    "sources et les avertissements suivent la carte.",
        "map": "Carte", "map_hint": "Survolez une commune ou un site ; cliquez sur un site (ou sur une ligne du "
                                    "classement) pour afficher son bassin.",
        "selected": "Site sélectionné", "select_hint": "Cliquez sur un site de la carte ou sur une ligne du "
                                                       "classement : son bassin s'affiche sur la carte.",
        "legend": "Légende", "communes_shading": "Couleur des communes",
        "shade_pop": "Habitants à moins de {t} min du chef-lieu",
        "shade_minutes": "Minutes jusqu'au site candidat le plus proche",
        "sites_score": "Sites : score (échelle ajustée aux scores)",
        "study_area": "Limite de la zone d'étude", "neighbours_note": "communes voisines en plus clair",
        "catchment": "Bassin à {t} min du site sélectionné", "kinds": "Types de bâtiment",
        "portfolio_layer": "Portefeuille ({k} sites, numérotés dans l'ordre du choix)",
        "ranking": "Classement", "ranking_hint": "Cliquez sur un en-tête pour trier ; cliquez sur une ligne pour "
                                                "voir le site et son bassin sur la carte.",
        "col_rank": "Rang", "col_site": "Site", "col_kind": "Type", "col_commune": "Commune",
        "col_score": "Score", "col_range": "Rangs plausibles", "col_top10": "Top 10",
        "col_pop": "Hab. à {t} min", "col_fibre": "Fibre (commune)",
        "range": "{p05} à {p95}",
        "cards": "Fiches des {top} premiers sites",
        "cards_observed": " et des {extra} autres sites observés par l'étude",
        "cards_note": "Une fiche par site pour les {top} premiers du classement ; les autres sites sont dans le "
                      "classement et sur la carte.",
        "card_score": "score {score} / 100 · rang {rank} sur {n}",
        "card_range": "Rangs plausibles : {p05} à {p95} (5<sup>e</sup>–95<sup>e</sup> centiles sur {draws} "
                      "tirages de poids) ; dans les dix premiers dans {p_top10} des tirages.",
        "card_catchment": "Bassin : {people}.",
        "card_catchment_t": "{pop} habitants à {t} min",
        "card_helps": "Ce qui le porte le plus : <b>{title}</b> (+{points} points).",
        "card_hurts": "Ce qui lui coûte le plus : <b>{title}</b> ({missed} points de moins que le meilleur site "
                      "sur ce critère).",
        "card_bars": "Points obtenus par critère (barre pleine = le meilleur site sur ce critère)",
        "card_text": "Explication détaillée",
        "card_show": "Voir sur la carte", "card_link": "→ fiche du site",
        "card_observed": "Observé sur le terrain par l'étude (à comparer avec ce que dit le modèle)",
        "observed_head": ("période", "visites", "publics", "besoins", "usages testés", "source", "date"),
        "points_of": "{points} / {max} pts",
        "portfolio": "Portefeuille : choisir {k} sites ensemble",
        "pf_coverage": "Les {k} sites choisis ensemble pour que le plus grand nombre d'habitants {demand} vive à "
                       "moins de {minutes} minutes de l'un d'eux (couverture maximale). Ce ne sont pas forcément "
                       "les sites les mieux notés : un site par vallée atteint plus de monde que trois sites "
                       "dans la même ville.",
        "pf_pmedian": "Les {k} sites choisis ensemble pour que les habitants {demand} aient, au total, le moins "
                      "de minutes jusqu'au site choisi le plus proche (p-médiane).",
        "pf_demand_territory": "de la zone d'étude", "pf_demand_all": "de toutes les communes du fichier",
        "pf_fixed": "Sites imposés (déjà ouverts) : {fixed}.",
        "pf_curve": "Part des habitants {demand} à moins de {minutes} min selon le nombre de sites",
        "pf_axis_k": "nombre de sites choisis ensemble", "pf_axis_share": "habitants couverts",
        "pf_col_order": "Ordre", "pf_col_site": "Site", "pf_col_marginal": "Habitants ajoutés",
        "pf_col_covered": "Habitants couverts (cumul)",
        "methods": "Méthode",
        "m_scoring": "Chaque site est mesuré sur les critères ci-dessous. Chaque critère est normalisé entre 0 "
                     "et 1 parmi les {n} sites comparés ({normalisation}), multiplié par son poids effectif et "
                     "additionné : le score va de 0 à 100 et la somme des points des critères fait le score.",
        "norm_min-max": "min-max : 0 = la plus petite valeur, 1 = la plus grande",
        "norm_rank": "par le rang : 0 = le dernier, 1 = le premier",
        "norm_z-score": "par l'écart à la moyenne, borné à ±3 écarts-types",
        "m_weights": "Poids effectif : le poids donné, divisé par la somme des poids des critères qui varient "
                     "d'un site à l'autre. Un critère qui a la même valeur partout ne peut pas départager les "
                     "sites : son poids revient aux autres.",
        "m_demand": "Demande : tous les habitants des communes du fichier comptent, communes voisines comprises "
                    "({n_out} communes hors zone d'étude).",
        "m_stability": "Stabilité du classement : les sites sont notés de nouveau avec {draws} jeux de poids tirés "
                       "au hasard autour des poids effectifs (loi de Dirichlet, concentration {concentration}, "
                       "graine {seed}). « Rangs plausibles » donne les 5<sup>e</sup> et 95<sup>e</sup> centiles "
                       "du rang, « Top 10 » la part des tirages où le site est dans les dix premiers.",
        "m_no_stability": "La stabilité du classement n'a pas été mesurée (0 tirage de poids).",
        "m_times_commune": "Temps de trajet : un nœud par commune, au chef-lieu ; une arête entre deux communes "
                           "dont les limites se touchent (à {tolerance} m près), de durée = distance en ligne "
                           "droite × {detour} à {speed} km/h ; le trajet d'un site au chef-lieu de sa commune "
                           "est compté à {access} km/h.",
        "m_times_osm": "Temps de trajet : plus court chemin sur les routes du fichier OpenStreetMap « {roads} » "
                       "(profil voiture) ; chefs-lieux et sites sont raccordés au nœud routier le plus proche "
                       "(à moins de {snap} m).",
        "m_criteria": "Critères",
        "m_col_criterion": "Critère", "m_col_description": "Ce qu'il mesure", "m_col_weight": "Poids donné",
        "m_col_effective": "Poids effectif", "m_col_formula": "Formule (catalogue du moteur, en anglais)",
        "m_not_counted": "Critères montrés mais non comptés (poids nul) : {names}.",
        "m_skipped": "Critères écartés faute de données :",
        "m_building_fit": "Adaptation du bâtiment par type (jugement de l'aménageur, modifiable) : {table}.",
        "data": "Données : sources, millésimes, licences",
        "d_embedded": "Territoire par défaut : Parc naturel régional des Baronnies provençales, construit à partir "
                      "de données ouvertes réelles uniquement (geodata/README.md du projet). À citer sur toute "
                      "carte ou tout document qui en est tiré :",
        "d_col_source": "Source (attribution)", "d_col_licence": "Licence", "d_col_vintage": "Millésime",
        "d_col_use": "Utilisée pour", "d_unverified": "non vérifiée",
        "d_other": "Ce fichier de territoire n'est pas celui fourni avec l'outil : ses sources et licences sont "
                   "celles qu'indique qui l'a constitué. Millésimes trouvés dans le fichier :",
        "d_no_vintage": "aucun champ de millésime dans le fichier.",
        "d_vintage_field": "{layer}.{field} : {values}",
        "d_inputs": "Fichiers lus par le calcul",
        "d_col_role": "Rôle", "d_col_path": "Fichier", "d_col_bytes": "Octets", "d_col_sha": "SHA-256",
        "d_limits": "Limites : les sites sont des bâtiments recensés dans des fichiers publics de 2020 à 2024 ; "
                    "un lieu a pu fermer ou déménager depuis. Plusieurs licences restent à vérifier (voir le "
                    "tableau).",
        "warnings": "Avertissements",
        "w_none": "Aucun avertissement pour ce calcul.",
        "w_note": "Messages du moteur de calcul (en anglais), avec leur code :",
        "settings": "Paramètres et version",
        "s_note": "Les paramètres du calcul, au format TOML : tl.Settings.from_toml les relit, et "
                  "tl.score(territoire, settings=…) refait le même calcul.",
        "s_version": "tierslieux {version} · calcul du {created} · rapport écrit le {written} · carte : Leaflet "
                     "{leaflet} (licence BSD à 2 clauses, texte ci-dessous)",
        "s_licence": "Licence de Leaflet",
        "yes": "oui", "no": "non",
        "attribution": "Leaflet {leaflet} · communes : IGN ADMIN EXPRESS",
        "js_rank": "rang {rank} sur {n}", "people": "habitants",
        "tip_commune": "{pop} habitants · {reach} à moins de {t} min · {minutes} du site le plus proche",
        "min": "{m} min", "unreachable": "aucun site atteint",
        "outside": "commune voisine (hors zone d'étude)",
        "roles": {"territory": "territoire", "roads": "routes (OpenStreetMap)", "weights_file": "fichier de poids"},
        "units": {"people": "hab.", "commuters": "navetteurs", "km": "km/an", "co2": "t CO2/an", "min": "min",
                  "services": "service(s)", "of1": "/ 1"},
    },
    "en": {
        "title": "Tiers-lieu potential of public buildings",
        "subtitle": "{territory} · {sites} candidate sites · run of {created} · tierslieux {version}",
        "nav_summary": "Summary", "nav_map": "Map", "nav_ranking": "Ranking", "nav_cards": "Site cards",
        "nav_portfolio": "Portfolio", "nav_methods": "Methods", "nav_data": "Data",
        "nav_warnings": "Warnings", "nav_settings": "Settings",
        "summary": "Summary",
        "tile_area": "communes in the study area", "tile_people": "people in the study area",
        "tile_sites": "candidate buildings compared", "tile_best": "best score (out of 100)",
        "tile_portfolio": "of the people within {minutes} min of one of the {k} sites chosen together",
        "sum_area": "<b>Study area</b>: {n_in} communes and {pop_in} people. {neighbours}",
        "sum_neighbours": "{n_out} neighbouring communes ({pop_out} people) count as demand too: their "
                          "residents could use a nearby tiers-lieu, inside the study area or not.",
        "sum_no_neighbours": "The file has no neighbouring commune: only the study area counts as demand.",
        "sum_sites": "<b>{n} candidate buildings</b> are compared: {kinds}.",
        "sum_best": "<b>At the top</b>: {best}.",
        "sum_stability": "When the weights vary ({draws} draws), the first ranks {p05} to {p95} (5th and 95th "
                         "percentiles); {sure} in the top ten in at least 90% of the draws.",
        "sure_one": "one site stays", "sure_many": "{n} sites stay", "sure_none": "no site stays",
        "sum_score": "<b>What a score means</b>: each criterion is brought between 0 (the worst of the {n} sites "
                     "compared) and 1 (the best), weighted, and added up out of 100. A score is therefore "
                     "<i>relative to the candidates compared</i>: {best} is not \"{best}% of potential\", and it "
                     "would change if sites were added or removed. 100 would be the best site on every criterion "
                     "at once.",
        "sum_times_commune": "<b>Travel times</b> run from town hall to town hall between communes that touch, as "
                             "the straight distance × {detour} at {speed} km/h. This is not a road network: an "
                             "OpenStreetMap roads file gives finer times.",
        "sum_times_osm": "<b>Travel times</b> run on the road network of the OpenStreetMap file \"{roads}\" "
                         "(car profile).",
        "sum_read": "The full ranking, one card for each of the {top} best sites, the methods, the sources and the "
                    "warnings follow the map.",
        "map": "Map", "map_hint": "Hover over a commune or a site; click a site (or a row of the ranking) to show "
                                  "its catchment.",
        "selected": "Selected site", "select_hint": "Click a site on the map or a row of the ranking: its "
                                                    "catchment appears on the map.",
        "legend": "Legend", "communes_shading": "Colour of the communes",
        "shade_pop": "People within {t} min of the town hall",
        "shade_minutes": "Minutes to the nearest candidate site",
        "sites_score": "Sites: score (scale fitted to the scores)",
        "study_area": "Edge of the study area", "neighbours_note": "neighbouring communes paler",
        "catchment": "Catchment within {t} min of the selected site", "kinds": "Kinds of building",
        "portfolio_layer": "Portfolio ({k} sites, numbered in the order chosen)",
        "ranking": "Ranking", "ranking_hint": "Click a header to sort; click a row to see the site and its "
                                              "catchment on the map.",
        "col_rank": "Rank", "col_site": "Site", "col_kind": "Kind", "col_commune": "Commune",
        "col_score": "Score", "col_range": "Plausible ranks", "col_top10": "Top 10",
        "col_pop": "People within {t} min", "col_fibre": "Fibre (commune)",
        "range": "{p05} to {p95}",
        "cards": "Cards of the {top} best sites",
        "cards_observed": " and of the {extra} other sites the study observed",
        "cards_note": "One card per site for the {top} best of the ranking; the other sites are in the ranking and "
                      "on the map.",
        "card_score": "score {score} / 100 · rank {rank} of {n}",
        "card_range": "Plausible ranks: {p05} to {p95} (5th–95th percentiles over {draws} weight draws); in the "
                      "top ten in {p_top10} of the draws.",
        "card_catchment": "Catchment: {people}.",
        "card_catchment_t": "{pop} people within {t} min",
        "card_helps": "What lifts it most: <b>{title}</b> (+{points} points).",
        "card_hurts": "What costs it most: <b>{title}</b> ({missed} points below the best site on that "
                      "criterion).",
        "card_bars": "Points earned per criterion (a full bar = the best site on that criterion)",
        "card_text": "Detailed explanation",
        "card_show": "Show on the map", "card_link": "→ site card",
        "card_observed": "Observed on the ground by the study (to compare with what the model says)",
        "observed_head": ("period", "visits", "publics", "needs", "uses tested", "source", "date"),
        "points_of": "{points} / {max} pts",
        "portfolio": "Portfolio: choosing {k} sites together",
        "pf_coverage": "The {k} sites chosen together so that the most people {demand} live within {minutes} "
                       "minutes of one of them (maximal covering). They are not necessarily the best-scored "
                       "sites: one site per valley reaches more people than three sites in the same town.",
        "pf_pmedian": "The {k} sites chosen together so that the people {demand} have, in total, the fewest minutes "
                      "to the nearest chosen site (p-median).",
        "pf_demand_territory": "of the study area", "pf_demand_all": "of every commune of the file",
        "pf_fixed": "Sites kept fixed (already open): {fixed}.",
        "pf_curve": "Share of the people {demand} within {minutes} min, by number of sites",
        "pf_axis_k": "number of sites chosen together", "pf_axis_share": "people covered",
        "pf_col_order": "Order", "pf_col_site": "Site", "pf_col_marginal": "People added",
        "pf_col_covered": "People covered (cumulative)",
        "methods": "Methods",
        "m_scoring": "Each site is measured on the criteria below. Each criterion is normalised between 0 and 1 "
                     "among the {n} sites compared ({normalisation}), multiplied by its effective weight and added "
                     "up: the score runs from 0 to 100 and the points of the criteria add up to it.",
        "norm_min-max": "min-max: 0 = the smallest value, 1 = the largest",
        "norm_rank": "by rank: 0 = the last, 1 = the first",
        "norm_z-score": "by the distance to the mean, capped at ±3 standard deviations",
        "m_weights": "Effective weight: the weight given, divided by the sum of the weights of the criteria that "
                     "vary from site to site. A criterion with the same value everywhere cannot tell sites "
                     "apart: its weight goes to the others.",
        "m_demand": "Demand: every inhabitant of the communes of the file counts, neighbouring communes included "
                    "({n_out} communes outside the study area).",
        "m_stability": "Rank stability: the sites are scored again with {draws} sets of weights drawn at random "
                       "around the effective weights (Dirichlet distribution, concentration {concentration}, "
                       "seed {seed}). \"Plausible ranks\" gives the 5th and 95th percentiles of the rank, "
                       "\"Top 10\" the share of draws in which the site is in the top ten.",
        "m_no_stability": "Rank stability was not measured (0 weight draws).",
        "m_times_commune": "Travel times: one node per commune, at its town hall; an edge between two communes "
                           "whose outlines touch (within {tolerance} m), taking the straight distance × {detour} "
                           "at {speed} km/h; the leg from a site to its commune's town hall is counted at {access} "
                           "km/h.",
        "m_times_osm": "Travel times: shortest path on the roads of the OpenStreetMap file \"{roads}\" (car "
                       "profile); town halls and sites join the nearest road node (within {snap} m).",
        "m_criteria": "Criteria",
        "m_col_criterion": "Criterion", "m_col_description": "What it measures", "m_col_weight": "Weight given",
        "m_col_effective": "Effective weight", "m_col_formula": "Formula (the engine's catalogue)",
        "m_not_counted": "Criteria shown but not counted (weight 0): {names}.",
        "m_skipped": "Criteria left out for want of data:",
        "m_building_fit": "Building fit per kind (a planner's judgement, to edit): {table}.",
        "data": "Data: sources, vintages, licences",
        "d_embedded": "Default territory: the Parc naturel régional des Baronnies provençales, built from real open "
                      "data only (the project's geodata/README.md). To be credited on any map or document made "
                      "from it:",
        "d_col_source": "Source (attribution)", "d_col_licence": "Licence", "d_col_vintage": "Vintage",
        "d_col_use": "Used for", "d_unverified": "unverified",
        "d_other": "This territory file is not the one shipped with the tool: its sources and licences are those "
                   "given by whoever made it. Vintages found in the file:",
        "d_no_vintage": "no vintage field in the file.",
        "d_vintage_field": "{layer}.{field}: {values}",
        "d_inputs": "Files read by the run",
        "d_col_role": "Role", "d_col_path": "File", "d_col_bytes": "Bytes", "d_col_sha": "SHA-256",
        "d_limits": "Limits: the sites are buildings listed in public files from 2020 to 2024; a place may have "
                    "closed or moved since. Several licences are still to be verified (see the table).",
        "warnings": "Warnings",
        "w_none": "No warning for this run.",
        "w_note": "Messages of the engine, with their code:",
        "settings": "Settings and version",
        "s_note": "The settings of the run, as TOML: tl.Settings.from_toml reads them back, and "
                  "tl.score(territory, settings=…) re-runs the same result.",
        "s_version": "tierslieux {version} · run of {created} · report written {written} · map: Leaflet {leaflet} "
                     "(BSD 2-Clause licence, text below)",
        "s_licence": "Licence of Leaflet",
        "yes": "yes", "no": "no",
        "attribution": "Leaflet {leaflet} · communes: IGN ADMIN EXPRESS",
        "js_rank": "rank {rank} of {n}", "people": "people",
        "tip_commune": "{pop} people · {reach} within {t} min · {minutes} to the nearest site",
        "min": "{m} min", "unreachable": "no site reached",
        "outside": "neighbouring commune (outside the study area)",
        "roles": {"territory": "territory", "roads": "roads (OpenStreetMap)", "weights_file": "weights file"},
        "units": {"people": "people", "commuters": "commuters", "km": "km/year", "co2": "t CO2/year", "min": "min",
                  "services": "service(s)", "of1": "/ 1"},
    },
}

#: The embedded territory's sources, vintages and licences, as geodata/README.md and geodata/raw/LICENCES.md
#: give them (attribution strings verbatim). use: key of _USES; licence: key of _LICENCES; verified: whether the
#: licence could be checked at the source.
_BARONNIES_SOURCES = (
    ("IGN – ADMIN EXPRESS COG 2018, simplified by france-geojson (G. David)", "lo", "COG 2018", "outlines", True),
    ("INSEE – COG 2026 and populations légales, via @etalab/decoupage-administratif 6.0.0", "lo", "COG 2026",
     "population", True),
    ("Parc naturel régional des Baronnies provençales – communes membres (compiled from public sources, see "
     "SOURCES.md)", "facts", "2015 / INPN", "membership", True),
    ("MNHN/INPN – Parcs naturels régionaux (simplified outline)", "lo", "≥ 2015", "enclaves", True),
    ("IGN – ADMIN EXPRESS 2023-03-20 (chefs-lieux)", "lo2", "2023-03-20", "town_halls", True),
    ("INSEE – RP 2021 (active population 15–64), via datas.fun", "lo_insee", "RP 2021", "active", False),
    ("INSEE – Aires d'attraction des villes 2020, géographie 2025", "lo", "AAV 2020", "commutes", True),
    ("Communes et villes de France 2025 (data.gouv.fr), from INSEE data", "unstated", "COG 2025", "attributes",
     False),
    ("ARCEP – Ma connexion internet, 2024", "lo2", "2024", "broadband", False),
    ("ARCEP – observatoire HD/THD, T1 2018", "lo", "2018-Q1", "history", True),
    ("ANCT – liste des France services, 2024-08-01", "lo2", "2024-08-01", "sites", True),
    ("Hinaura – lieux de médiation numérique (2023-02), via la Cartographie nationale (ANCT)", "lo2",
     "2021-12 … 2022-09", "sites_tl", True),
    ("Région Sud – lieux d'inclusion numérique 2022", "unstated", "2022", "sites_tl", False),
    ("ANCT – Cartographie nationale des lieux de médiation numérique, Hub du Sud, 2023-05-16", "lo2",
     "2018 … 2023-05", "sites_tl", True),
    ("ANCT – Conseillers numériques France Services, structures d'accueil (2021)", "lo2", "2021-03 … 2021-05",
     "services", True),
    ("ANCT – lieux d'activité des conseillers numériques (2023-01)", "lo", "2022-04 … 2022-12", "sites", False),
    ("La Poste – points de contact (2020-12)", "lo", "2020-12", "post", True),
)
_LICENCES = {
    "lo": {"fr": "Licence Ouverte (Etalab)", "en": "Licence Ouverte (Etalab)"},
    "lo2": {"fr": "Licence Ouverte 2.0", "en": "Licence Ouverte 2.0"},
    "lo_insee": {"fr": "Licence Ouverte (parts INSEE) ; pas de fichier de licence à la source",
                 "en": "Licence Ouverte (INSEE parts); no licence file at the source"},
    "facts": {"fr": "faits compilés, sans licence", "en": "compiled facts, no licence attached"},
    "unstated": {"fr": "non indiquée", "en": "not stated"},
}
_USES = {
    "outlines": {"fr": "limites des communes", "en": "commune outlines"},
    "population": {"fr": "codes, noms et populations des communes", "en": "commune codes, names, populations"},
    "membership": {"fr": "zone d'étude (communes membres)", "en": "study area (member communes)"},
    "enclaves": {"fr": "communes enclavées (trous du périmètre)", "en": "enclaves (holes of the outline)"},
    "town_halls": {"fr": "chefs-lieux (nœuds du graphe), sites « mairie »",
                   "en": "town halls (graph nodes), town-hall sites"},
    "active": {"fr": "population active", "en": "active population"},
    "commutes": {"fr": "navettes (aires d'attraction)", "en": "commutes (attraction areas)"},
    "attributes": {"fr": "attributs des communes (EPCI, zonages)", "en": "commune attributes (EPCI, zonings)"},
    "broadband": {"fr": "fibre par commune (critères haut débit)", "en": "fibre per commune (broadband criteria)"},
    "history": {"fr": "historique seulement, non noté", "en": "history only, not scored"},
    "sites": {"fr": "sites candidats", "en": "candidate sites"},
    "sites_tl": {"fr": "sites candidats, tiers-lieux existants", "en": "candidate sites, existing tiers-lieux"},
    "services": {"fr": "services des mairies", "en": "services of town halls"},
    "post": {"fr": "bureaux de poste ; agences postales (services des mairies)",
             "en": "post offices; agences postales (services of town halls)"},
}

#: Colour maps (matplotlib names) and the part of each that is used: light enough under the site markers.
_SITE_CMAP = ("YlOrRd", 0.18, 1.0)
_COMMUNE_CMAPS = {"pop": ("GnBu", 0.08, 0.85), "minutes": ("BuPu", 0.05, 0.8)}
_GREY = "#d9d9d9"


def _w(lang: str, key: str, **fields) -> str:
    text = WORDS[lang][key]
    return text.format(**fields) if fields else text


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _we(lang: str, key: str, **fields) -> str:
    """_w, escaped for HTML."""
    return _e(_w(lang, key, **fields))


def _fmt_date(iso: str, lang: str) -> str:
    """An ISO 8601 time as a date a reader writes ("8 décembre 2026" / "8 December 2026"); as given if unparsable."""
    try:
        d = datetime.fromisoformat(str(iso).replace("Z", "+00:00"))
    except ValueError:
        return str(iso)
    months = {"fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
                     "octobre", "novembre", "décembre"],
              "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                     "October", "November", "December"]}[lang]
    return f"{d.day} {months[d.month - 1]} {d.year}"


# --------------------------------------------------------------------------------------------------------------
# checks

def _check_args(result, path, lang, portfolio, k, minutes, top):
    from ._api import ScoreRun

    lang = check_lang(lang)
    meta = result.attrs.get("tierslieux") if hasattr(result, "attrs") else None
    if not isinstance(meta, ScoreRun):
        raise InputError("report expects the GeoDataFrame returned by tierslieux.score (its attrs['tierslieux'] "
                         "holds the communes, catchments and settings of the run)")
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 0:
        raise InputError(f"top must be a whole number >= 0 (got {top!r})")
    out = Path(os.fspath(path))
    if out.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"report '{out}' must end in .html (a self-contained web page)")
    if portfolio is not None and (k is not None or minutes is not None):
        raise InputError("give either portfolio (a tl.choose_sites result) or k and minutes, not both")
    if (k is None) != (minutes is None):
        raise InputError(f"k and minutes go together: both or neither (got k={k!r}, minutes={minutes!r})")
    if portfolio is not None:
        if not isinstance(portfolio, pd.DataFrame) or "coverage_curve" not in portfolio.attrs \
                or not {"site_id", "order"} <= set(portfolio.columns):
            raise InputError("portfolio must be the GeoDataFrame returned by tierslieux.choose_sites")
        unknown = sorted(set(portfolio["site_id"].astype(str)) - set(result["site_id"].astype(str)))
        if unknown:
            raise InputError(f"portfolio site(s) {', '.join(unknown[:5])} are not sites of this result")
    return lang, meta, out


# --------------------------------------------------------------------------------------------------------------
# geometry for the map

def _tolerance(frame) -> float:
    """Simplification tolerance in the run's metric CRS: 1/800 of the extent, at most 100 m (invisible at the
    zoom that shows the whole territory, and 5 to 10 times fewer vertices)."""
    x0, y0, x1, y1 = frame.total_bounds
    extent = max(x1 - x0, y1 - y0)
    return float(min(100.0, extent / 800.0)) if extent > 0 else 0.0


def _simplify_coverage(geoms, tolerance):
    """Communes simplified together so that neighbours keep a shared border (shapely's coverage_simplify, GEOS
    3.12+); one by one when that is not available or the outlines do not form a clean coverage."""
    import shapely

    if tolerance <= 0:
        return geoms
    if hasattr(shapely, "coverage_simplify"):
        try:
            out = shapely.coverage_simplify(geoms, tolerance)
            if bool(np.all(shapely.is_valid(out))) and not bool(np.any(shapely.is_empty(out))):
                return out
        except Exception:  # noqa: BLE001 - a coverage GEOS refuses: simplified one by one below
            pass
    return shapely.simplify(geoms, tolerance, preserve_topology=True)


def _geojson(geom, scale: int = 100_000):
    """A polygonal shapely geometry (EPSG:4326) as a GeoJSON geometry dict whose coordinates are whole numbers:
    degrees × ``scale`` (10⁵ ≈ 1 m). The page divides them back (Leaflet's ``coordsToLatLng``): shorter than
    decimals, and exact. Non-polygonal parts (points, lines left by a union) are dropped."""
    from shapely.geometry import MultiPolygon, Polygon

    def ring(r):
        return np.rint(np.asarray(r.coords)[:, :2] * scale).astype(np.int64).tolist()

    def polygon(p):
        return [ring(p.exterior)] + [ring(i) for i in p.interiors]

    if geom is None or geom.is_empty:
        return None
    if isinstance(geom, Polygon):
        return {"type": "Polygon", "coordinates": polygon(geom)}
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, (Polygon, MultiPolygon)) and not g.is_empty]
    polygons = [q for g in parts for q in (g.geoms if isinstance(g, MultiPolygon) else [g])]
    if not polygons:
        return None
    return {"type": "MultiPolygon", "coordinates": [polygon(q) for q in polygons]}


def _colour_scale(name, lo, hi, n=9):
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cmap = colormaps[name]
    return [to_hex(cmap(lo + (hi - lo) * i / (n - 1))) for i in range(n)]


def _colours(values, vmin, vmax, spec):
    """Hex colours of values on the colour map spec, vmin..vmax; grey for NaN."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    name, lo, hi = spec
    cmap = colormaps[name]
    v = np.asarray(values, dtype=float)
    span = vmax - vmin
    x = np.clip((v - vmin) / span, 0, 1) if span > 0 else np.full(v.shape, 0.5)
    return [_GREY if not np.isfinite(val) else to_hex(cmap(lo + (hi - lo) * float(xx))) for val, xx in zip(v, x)]


def _thresholds(meta) -> list:
    return [int(t) for t in (meta.parameters or {}).get("thresholds", [])] or sorted(
        int(c[4:-3]) for c in meta.communes.columns if re.fullmatch(r"pop_\d+min", c))


def _map_data(result, meta, lang, portfolio, embedded: bool):
    import geopandas as gpd
    import shapely

    communes = meta.communes.reset_index(drop=True)
    crs = result.crs
    projected = crs is not None and crs.is_projected
    tol = _tolerance(communes) if projected else 0.0
    simple = gpd.GeoSeries(_simplify_coverage(communes.geometry.values, tol), crs=crs)
    inside = communes["in_territory"].astype(bool).to_numpy()
    outline = shapely.union_all(simple.values[inside]) if inside.any() else None
    wgs = simple.to_crs(4326)
    features = [{"type": "Feature", "properties": {"i": i}, "geometry": _geojson(g)} for i, g in enumerate(wgs)]
    features = [f for f in features if f["geometry"] is not None]
    outline_json = None
    if outline is not None:
        outline_json = _geojson(gpd.GeoSeries([outline], crs=crs).to_crs(4326).iloc[0])

    thresholds = _thresholds(meta)
    shading = []
    for t in thresholds:
        col = f"pop_{t}min"
        if col not in communes:
            continue
        values = communes[col].to_numpy(float)
        ref = values[inside] if inside.any() else values
        vmax = float(np.nanmax(ref)) if np.isfinite(ref).any() else 0.0
        shading.append({"label": _w(lang, "shade_pop", t=t), "colors": _colours(values, 0.0, vmax,
                                                                                  _COMMUNE_CMAPS["pop"]),
                        "stops": _colour_scale(*_COMMUNE_CMAPS["pop"]), "min": number(0, lang),
                        "max": number(vmax, lang)})
    minutes = communes["minutes_to_nearest_site"].to_numpy(float) if "minutes_to_nearest_site" in communes else None
    ref = None if minutes is None else (minutes[inside] if inside.any() else minutes)
    if ref is not None and np.isfinite(ref).any() and np.nanmax(ref) > np.nanmin(ref):
        # offered only when it varies: where every commune has a site of its own (a town hall), it is 0 everywhere
        values = minutes
        vmax = float(np.nanmax(ref))
        shading.append({"label": _w(lang, "shade_minutes"), "colors": _colours(values, 0.0, vmax,
                                                                               _COMMUNE_CMAPS["minutes"]),
                        "stops": _colour_scale(*_COMMUNE_CMAPS["minutes"]), "min": "0",
                        "max": _w(lang, "min", m=number(vmax, lang))})

    t0 = thresholds[0] if thresholds else None
    info = []
    for i, c in communes.iterrows():
        bits = [f"<b>{_e(c['name'])}</b>"]
        if not inside[i]:
            bits.append(f"<i>{_e(_w(lang, 'outside'))}</i>")
        m = c.get("minutes_to_nearest_site", math.nan)
        reach = c.get(f"pop_{t0}min", math.nan) if t0 is not None else math.nan
        bits.append(_e(_w(lang, "tip_commune", pop=number(c["population"], lang), reach=number(reach, lang),
                          t=t0, minutes=_w(lang, "min", m=number(m, lang, 0)) if m == m else
                          _w(lang, "unreachable"))))
        info.append([str(c["name"]), int(bool(inside[i])), "<br>".join(bits)])

    # sites: colour fitted to the scores
    ordered = result.sort_values("rank")
    scores = ordered["score"].to_numpy(float)
    smin, smax = float(np.nanmin(scores)), float(np.nanmax(scores))
    colours = _colours(scores, smin, smax, _SITE_CMAP)
    pts = gpd.GeoSeries(ordered.geometry.values, crs=crs).to_crs(4326)
    names = dict(zip(communes["commune_code"].astype(str), communes["name"].astype(str)))
    n = len(ordered)
    sites = []
    for (idx, s), colour, p in zip(ordered.iterrows(), colours, pts):
        kind = kind_label(str(s["kind"]), lang)
        tip = (f"<b>{int(s['rank'])}. {_e(s['name'])}</b><br>{_e(kind)} · {_e(names.get(str(s['commune_code']), ''))}"
               f"<br>{_e(_w(lang, 'card_score', score=number(s['score'], lang, 1), rank=int(s['rank']), n=n))}")
        sites.append({"id": str(s["site_id"]), "kind": str(s["kind"]), "rank": int(s["rank"]),
                      "lat": round(float(p.y), 6), "lon": round(float(p.x), 6), "color": colour, "tip": tip})

    catch = meta.catchments
    catchments = {}
    if catch is not None and len(catch):
        simple_c = gpd.GeoSeries(shapely.simplify(catch.geometry.values, tol, preserve_topology=True)
                                 if tol > 0 else catch.geometry.values, crs=catch.crs or crs).to_crs(4326)
        rows = sorted(zip(catch["site_id"].astype(str), catch["minutes"].astype(int), simple_c),
                      key=lambda r: -r[1])  # the largest first: drawn below the smaller
        for sid, t, g in rows:
            gj = _geojson(g, 10_000)  # ≈ 10 m, well under the simplification tolerance
            if gj is not None:
                catchments.setdefault(sid, []).append({"t": int(t), "g": gj})
    catchment_minutes = sorted({c["t"] for cs in catchments.values() for c in cs})

    kinds = ordered["kind"].astype(str).value_counts()
    pf = None
    if portfolio is not None:
        pf = [{"id": str(r.site_id), "order": int(r.order)} for r in portfolio.sort_values("order").itertuples()]
    bounds = wgs[inside].total_bounds if inside.any() else wgs.total_bounds
    catchment_colours = ["#6a1b9a", "#8e44ad", "#b57edc"]
    return {
        "communes": {"type": "FeatureCollection", "features": features},
        "communeInfo": info, "shading": shading, "outline": outline_json, "sites": sites,
        "kinds": [{"kind": k, "label": f"{kind_label(k, lang, plural=c > 1)} ({c})"} for k, c in kinds.items()],
        "catchments": catchments,
        "catchmentStyle": [{"t": t, "color": catchment_colours[min(j, 2)], "dash": j > 0,
                            "fill": 0.22 if j == 0 else 0.06, "label": _w(lang, "catchment", t=t)}
                           for j, t in enumerate(sorted(catchment_minutes))],
        "portfolio": pf,
        "scoreScale": {"stops": _colour_scale(*_SITE_CMAP), "min": number(smin, lang, 1),
                       "max": number(smax, lang, 1)},
        "bounds": [[float(bounds[1]), float(bounds[0])], [float(bounds[3]), float(bounds[2])]],
        "scale": {"communes": 100_000, "catchments": 10_000},
        "t": {"selectHint": _w(lang, "select_hint"),
              # the communes' source is known (and named) only for the embedded territory
              "attribution": _w(lang, "attribution", leaflet=LEAFLET_VERSION) if embedded else
              f"Leaflet {LEAFLET_VERSION}"},
    }


# --------------------------------------------------------------------------------------------------------------
# words

def _criterion_value(name: str, value, lang: str, unit: str = "") -> str:
    u = WORDS[lang]["units"]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if name.startswith(("pop_", "active_")) or name in ("gravity_access", "poor_broadband_pop", "demand_share"):
        return f"{number(value, lang)} {u['people']}"
    if name == "commuters_intercepted":
        return f"{number(value, lang)} {u['commuters']}"
    if name.startswith("ftth_share"):
        return percent(value, lang)
    if name == "commute_km_avoided":
        return f"{number(value, lang)} {u['km']}"
    if name == "commute_co2_avoided":
        return f"{number(value, lang, 1)} {u['co2']}"
    if name == "building_fit":
        return f"{number(value, lang, 2)} {u['of1']}"
    if name == "hybridity":
        return f"{number(value, lang)} {u['services']}"
    if name.startswith("minutes_"):
        return f"{number(value, lang, 1)} {u['min']}"
    return f"{number(value, lang, 2)} {unit}".strip()


def _kinds_sentence(result, lang) -> str:
    counts = result["kind"].astype(str).value_counts()
    parts = [f"{number(c, lang)} {kind_label(k, lang, plural=c > 1)}" for k, c in counts.items()]
    if len(parts) > 1:
        joiner = " et " if lang == "fr" else " and "
        return ", ".join(parts[:-1]) + joiner + parts[-1]
    return parts[0] if parts else ""


def _territory_name(meta) -> str:
    """The name in the territory file's ``territory`` layer, without a trailing note in parentheses; else the
    file's name."""
    path = meta.territory_path
    try:
        import pyogrio

        if path and "territory" in {name for name, _ in pyogrio.list_layers(path)}:
            frame = pyogrio.read_dataframe(path, layer="territory", read_geometry=False)
            if "name" in frame.columns and len(frame) and isinstance(frame["name"].iloc[0], str):
                return re.sub(r"\s*\([^)]*\)\s*$", "", frame["name"].iloc[0]).strip()
    except Exception:  # noqa: BLE001 - the name is a nicety: the file's name does
        pass
    return Path(path).stem if path else ""


def _vintages(meta) -> list:
    """(layer, field, values) of the vintage fields of the territory file (``population_vintage``, ``vintage``)."""
    out = []
    path = meta.territory_path
    try:
        import pyogrio

        layers = [name for name, _ in pyogrio.list_layers(path)]
        for layer in layers:
            fields = list(pyogrio.read_info(path, layer=layer)["fields"])
            for field in fields:
                if "vintage" in field.lower():
                    frame = pyogrio.read_dataframe(path, layer=layer, columns=[field], read_geometry=False)
                    values = sorted({str(v) for v in frame[field].dropna().unique()})
                    out.append((layer, field, values))
    except Exception:  # noqa: BLE001 - a file that cannot be read again: said as "no vintage field"
        return out
    return out


def _explain(result, site_id, lang):
    from ._explain import explain

    try:
        accepts_lang = "lang" in inspect.signature(explain).parameters
    except (TypeError, ValueError):
        accepts_lang = False
    e = explain(result, site_id, lang=lang) if accepts_lang else explain(result, site_id)
    return e, accepts_lang


# --------------------------------------------------------------------------------------------------------------
# sections

def _summary(result, meta, lang, top, pf_info):
    c = meta.communes
    inside = c["in_territory"].astype(bool)
    n_in, n_out = int(inside.sum()), int((~inside).sum())
    pop_in, pop_out = float(c.loc[inside, "population"].sum()), float(c.loc[~inside, "population"].sum())
    ordered = result.sort_values("rank")
    n = len(ordered)
    names = dict(zip(c["commune_code"].astype(str), c["name"].astype(str)))
    best = []
    for s in ordered.head(3).itertuples():
        commune = names.get(str(s.commune_code), "")
        where = "" if not commune or commune.lower() in str(s.name).lower() else f"{_e(commune)}, "
        best.append(f"{int(s.rank)}. {_e(s.name)} ({where}{number(s.score, lang, 1)})")
    s = meta.settings
    tiles = [(number(n_in, lang), _w(lang, "tile_area")), (number(pop_in, lang), _w(lang, "tile_people")),
             (number(n, lang), _w(lang, "tile_sites")),
             (number(ordered["score"].iloc[0], lang, 1) if n else "—", _w(lang, "tile_best"))]
    if pf_info is not None:
        tiles.append((percent(pf_info["share"], lang), _w(lang, "tile_portfolio", minutes=number(pf_info["minutes"],
                                                                                               lang),
                                                          k=pf_info["k"])))
    neighbours = (_w(lang, "sum_neighbours", n_out=number(n_out, lang), pop_out=number(pop_out, lang)) if n_out
                  else _w(lang, "sum_no_neighbours"))
    paras = [_w(lang, "sum_area", n_in=number(n_in, lang), pop_in=number(pop_in, lang), neighbours=_e(neighbours)),
             _w(lang, "sum_sites", n=number(n, lang), kinds=_e(_kinds_sentence(result, lang)))]
    if best:
        line = _w(lang, "sum_best", best=" ; ".join(best) if lang == "fr" else "; ".join(best))
        if {"rank_p05", "rank_p95", "p_top10"} <= set(result.columns) and s.stability_draws:
            first = ordered.iloc[0]
            count = int((result["p_top10"] >= 0.9).sum())
            sure = (_w(lang, "sure_none") if count == 0 else _w(lang, "sure_one") if count == 1 else
                    _w(lang, "sure_many", n=number(count, lang)))
            line += " " + _w(lang, "sum_stability", draws=number(s.stability_draws, lang), p05=int(first["rank_p05"]),
                             p95=int(first["rank_p95"]), sure=sure)
        paras.append(line)
    paras.append(_w(lang, "sum_score", n=number(n, lang), best=number(ordered["score"].iloc[0], lang, 0) if n else ""))
    if meta.graph_kind == "osm":
        paras.append(_w(lang, "sum_times_osm", roads=_e(Path(str(s.roads or "")).name)))
    else:
        paras.append(_w(lang, "sum_times_commune", detour=number(s.detour_factor, lang, 1),
                        speed=number(s.speed_kmh, lang)))
    paras.append(_e(_w(lang, "sum_read", top=top)))
    tiles_html = "".join(f'<div class="tile"><div class="big">{_e(v)}</div><div>{_e(t)}</div></div>'
                         for v, t in tiles)
    return (f'<section id="summary"><h2>{_e(_w(lang, "summary"))}</h2><div class="tiles">{tiles_html}</div>'
            + '<div class="words">' + "".join(f"<p>{p}</p>" for p in paras) + "</div></section>")


def _map_section(lang, data):
    legend_shading = "".join(
        f'<label><input type="radio" name="shade" value="{i}"{" checked" if i == 0 else ""}> {_e(s["label"])}</label>'
        for i, s in enumerate(data["shading"]))
    kinds = "".join(f'<label><input type="checkbox" class="kind-toggle" value="{_e(k["kind"])}" checked> '
                    f'{_e(k["label"])}</label>' for k in data["kinds"])
    catch = "".join(f'<div class="swatch-row"><span class="swatch" style="background:{c["color"]}'
                    f'{int(c["fill"] * 255):02x};border:2px {"dashed" if c["dash"] else "solid"} {c["color"]}">'
                    f'</span>{_e(c["label"])}</div>' for c in data["catchmentStyle"])
    pf = ""
    if data["portfolio"]:
        pf = (f'<label><input type="checkbox" id="pf-toggle" checked> <span class="pf-swatch">1</span>'
              f'{_e(_w(lang, "portfolio_layer", k=len(data["portfolio"])))}</label>')
    return f"""<section id="map-section"><h2>{_e(_w(lang, "map"))}</h2><p class="hint">{_e(_w(lang, "map_hint"))}</p>
<div class="map-grid"><div id="map" role="application" aria-label="{_e(_w(lang, "map"))}"></div>
<aside class="side"><div id="site-info" class="panel"><h3>{_we(lang, "selected")}</h3>
<div id="site-info-body"><p class="hint">{_we(lang, "select_hint")}</p></div></div>
<div class="panel legend"><h3>{_e(_w(lang, "legend"))}</h3>
<div class="legend-title">{_e(_w(lang, "sites_score"))}</div><div class="ramp" id="score-ramp"></div>
<div class="ramp-labels"><span>{_e(data["scoreScale"]["min"])}</span><span>{_e(data["scoreScale"]["max"])}</span></div>
<div class="legend-title">{_e(_w(lang, "communes_shading"))}</div>{legend_shading}
<div class="ramp" id="commune-ramp"></div>
<div class="ramp-labels"><span id="commune-min"></span><span id="commune-max"></span></div>
<div class="swatch-row"><span class="swatch line"></span>
{_we(lang, "study_area")} ({_we(lang, "neighbours_note")})</div>
{catch}{pf}
<div class="legend-title">{_e(_w(lang, "kinds"))}</div><div class="kinds">{kinds}</div>
</div></aside></div></section>"""


def _ranking_section(result, meta, lang):
    c = meta.communes
    names = dict(zip(c["commune_code"].astype(str), c["name"].astype(str)))
    thresholds = [t for t in _thresholds(meta) if f"pop_{t}min" in result.columns]
    stability = {"rank_p05", "rank_p95", "p_top10"} <= set(result.columns) and bool(meta.settings.stability_draws)
    cols = [("rank", _w(lang, "col_rank"), "num"), ("name", _w(lang, "col_site"), "text"),
            ("kind", _w(lang, "col_kind"), "text"), ("commune", _w(lang, "col_commune"), "text"),
            ("score", _w(lang, "col_score"), "num")]
    if stability:
        cols += [("range", _w(lang, "col_range"), "num"), ("p_top10", _w(lang, "col_top10"), "num")]
    cols += [(f"pop_{t}min", _w(lang, "col_pop", t=t), "num") for t in thresholds]
    if "ftth_share" in result.columns:
        cols.append(("ftth_share", _w(lang, "col_fibre"), "num"))
    sort_attr = ' aria-sort="ascending"'
    head = "".join(f'<th scope="col" data-key="{k}" data-type="{typ}"{sort_attr if k == "rank" else ""}>'
                   f'<button type="button">{_e(label)}</button></th>' for k, label, typ in cols)
    rows = []
    for s in result.sort_values("rank").itertuples():
        cells = []
        for k, _, _ in cols:
            if k == "rank":
                cells.append(f'<td data-v="{int(s.rank)}">{int(s.rank)}</td>')
            elif k == "name":
                cells.append(f'<td data-v="{_e(s.name)}">{_e(s.name)}</td>')
            elif k == "kind":
                label = kind_label(str(s.kind), lang)
                cells.append(f'<td data-v="{_e(label)}">{_e(label)}</td>')
            elif k == "commune":
                name = names.get(str(s.commune_code), str(s.commune_code))
                cells.append(f'<td data-v="{_e(name)}">{_e(name)}</td>')
            elif k == "score":
                cells.append(f'<td data-v="{float(s.score):.4f}"><span class="score">{number(s.score, lang, 1)}'
                             '</span></td>')
            elif k == "range":
                words = _we(lang, "range", p05=int(s.rank_p05), p95=int(s.rank_p95))
                cells.append(f'<td data-v="{float(s.rank_p95):.0f}">{words}</td>')
            elif k == "p_top10":
                cells.append(f'<td data-v="{float(s.p_top10):.4f}">{percent(s.p_top10, lang)}</td>')
            elif k == "ftth_share":
                v = s.ftth_share
                cells.append(f'<td data-v="{"" if v != v else f"{float(v):.4f}"}">{percent(v, lang)}</td>')
            else:
                v = getattr(s, k)
                cells.append(f'<td data-v="{"" if v != v else f"{float(v):.1f}"}">{number(v, lang)}</td>')
        rows.append(f'<tr data-site="{_e(s.site_id)}" tabindex="0">{"".join(cells)}</tr>')
    return (f'<section id="ranking-section"><h2>{_we(lang, "ranking")}</h2>'
            f'<p class="hint">{_we(lang, "ranking_hint")}</p><div class="table-wrap"><table id="ranking">'
            f'<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody>'
            "</table></div></section>")


def _cards_section(result, meta, lang, top):
    if top <= 0:
        return ""
    c = meta.communes
    names = dict(zip(c["commune_code"].astype(str), c["name"].astype(str)))
    n = len(result)
    max_eff = max([w for w in meta.effective_weights.values() if w > 0] or [1.0])
    thresholds = [t for t in _thresholds(meta) if f"pop_{t}min" in result.columns]
    stability = {"rank_p05", "rank_p95", "p_top10"} <= set(result.columns) and bool(meta.settings.stability_draws)
    observed = meta.site_observations if getattr(meta, "site_observations", None) is not None else None
    ranked = result.sort_values("rank")
    # the top sites, and every site the study observed, whatever its rank
    chosen = ranked.head(top)
    if observed is not None and len(observed):
        chosen = ranked[ranked.index.isin(chosen.index) | ranked["site_id"].isin(set(observed["site_id"]))]
    cards = []
    for s in chosen.itertuples():
        e, has_lang = _explain(result, s.site_id, lang)
        table = e.table
        counted = table[table["effective_weight"] > 0].sort_values("effective_weight", ascending=False)
        bars = []
        for r in counted.itertuples():
            full = 100.0 * r.effective_weight
            track = 100.0 * r.effective_weight / max_eff
            fill = 100.0 * (r.points / full) if full > 0 else 0.0
            bars.append(
                f'<div class="bar-row"><div class="bar-label" title="{_e(criterion_description(r.criterion, lang))}">'
                f'{_e(criterion_title(r.criterion, lang))}<span class="bar-value">'
                f'{_e(_criterion_value(r.criterion, r.value, lang, r.unit))}</span></div>'
                f'<div class="bar-track" style="width:{track:.1f}%"><div class="bar-fill" style="width:{fill:.1f}%">'
                f'</div></div><div class="bar-points">'
                f'{_we(lang, "points_of", points=number(r.points, lang, 1), max=number(full, lang, 1))}</div></div>')
        words = []
        if not counted.empty:
            helps = counted.sort_values("points", ascending=False).iloc[0]
            hurts = counted.sort_values("points_missed", ascending=False).iloc[0]
            words.append(_w(lang, "card_helps", title=_e(criterion_title(helps["criterion"], lang)),
                            points=number(helps["points"], lang, 1)))
            if hurts["points_missed"] > 0.05:
                words.append(_w(lang, "card_hurts", title=_e(criterion_title(hurts["criterion"], lang)),
                                missed=number(hurts["points_missed"], lang, 1)))
        facts = []
        if stability:
            facts.append(_w(lang, "card_range", p05=int(s.rank_p05), p95=int(s.rank_p95),
                            draws=number(meta.settings.stability_draws, lang), p_top10=percent(s.p_top10, lang)))
        if thresholds:
            people = ", ".join(_w(lang, "card_catchment_t", pop=number(getattr(s, f"pop_{t}min"), lang), t=t)
                               for t in thresholds)
            facts.append(_e(_w(lang, "card_catchment", people=people)))
        detail = ""
        if has_lang or lang == "en":
            detail = (f'<details><summary>{_we(lang, "card_text")}</summary><pre class="explain">{_e(e.text)}</pre>'
                      "</details>")
        seen = _observed_block(observed, s.site_id, lang) if observed is not None else ""
        kind = kind_label(str(s.kind), lang)
        commune = names.get(str(s.commune_code), str(s.commune_code))
        cards.append(
            f'<article class="card" id="site-{_e(s.site_id)}" data-site="{_e(s.site_id)}">'
            f'<header><span class="rank">{int(s.rank)}</span><div><h3>{_e(s.name)}</h3>'
            f'<div class="meta">{_e(kind)} · {_e(commune)} · <code>{_e(s.site_id)}</code></div></div>'
            f'<div class="badge">{number(s.score, lang, 1)}<small>/100</small></div></header>'
            f'<p>{" ".join(words)}</p>' + "".join(f"<p class=\"fact\">{f}</p>" for f in facts) +
            f'<div class="bars-title">{_e(_w(lang, "card_bars"))}</div>{"".join(bars)}{seen}{detail}'
            f'<button type="button" class="show-on-map" data-site="{_e(s.site_id)}">{_we(lang, "card_show")}'
            "</button>"
            "</article>")
    shown = min(top, n)
    extra = len(chosen) - shown
    heading = _w(lang, "cards", top=shown) + (_w(lang, "cards_observed", extra=extra) if extra > 0 else "")
    return (f'<section id="cards"><h2>{_e(heading)}</h2><p class="hint">'
            f'{_e(_w(lang, "cards_note", top=shown))}</p><div class="cards">{"".join(cards)}</div></section>')


def _observed_block(observed: pd.DataFrame, site_id, lang: str) -> str:
    """The study's observations of one site (site_observations), as a small table; "" when it has none."""
    rows = observed[observed["site_id"].astype(str) == str(site_id)]
    if rows.empty:
        return ""
    head = "".join(f"<th>{_e(h)}</th>" for h in WORDS[lang]["observed_head"])
    body = "".join(
        "<tr>" + "".join(f"<td>{_e(v)}</td>" for v in (
            r.period, number(r.visits, lang) if pd.notna(r.visits) else "—", r.publics or "", r.needs or "",
            r.uses_tested or "", r.source, r.date or "")) + "</tr>"
        for r in rows.itertuples())
    return (f'<div class="observed"><div class="bars-title">{_e(_w(lang, "card_observed"))}</div>'
            f'<table class="observed-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>')


def _curve_svg(curve: pd.DataFrame, lang: str, title: str) -> str:
    """The coverage curve (share of people covered for k = 1…) as an inline SVG with its points labelled."""
    w, h, left, right, top_, bottom = 640, 300, 56, 20, 24, 48
    ks = curve["k"].to_numpy(int)
    shares = curve["covered_share"].to_numpy(float)
    kmin, kmax = int(ks.min()), int(ks.max())
    span = max(kmax - kmin, 1)

    def x(k):
        return left + (w - left - right) * ((k - kmin) / span if kmax > kmin else 0.5)

    def y(v):
        return top_ + (h - top_ - bottom) * (1 - v)

    parts = [f'<svg class="curve" viewBox="0 0 {w} {h}" role="img" aria-label="{_e(title)}">']
    for g in (0, 0.25, 0.5, 0.75, 1.0):
        parts.append(f'<line x1="{left}" x2="{w - right}" y1="{y(g):.1f}" y2="{y(g):.1f}" class="grid"/>'
                     f'<text x="{left - 6}" y="{y(g) + 4:.1f}" text-anchor="end">{_e(percent(g, lang))}</text>')
    for k in ks:
        parts.append(f'<text x="{x(k):.1f}" y="{h - bottom + 18}" text-anchor="middle">{int(k)}</text>')
    path = " ".join(f"{'M' if i == 0 else 'L'}{x(k):.1f},{y(v):.1f}" for i, (k, v) in enumerate(zip(ks, shares))
                    if v == v)
    parts.append(f'<path d="{path}" class="line"/>')
    for k, v in zip(ks, shares):
        if v == v:
            parts.append(f'<circle cx="{x(k):.1f}" cy="{y(v):.1f}" r="4.5" class="dot"/>'
                         f'<text x="{x(k):.1f}" y="{y(v) - 9:.1f}" text-anchor="middle" class="val">'
                         f'{_e(percent(v, lang))}</text>')
    parts.append(f'<text x="{(left + w - right) / 2:.0f}" y="{h - 8}" text-anchor="middle" class="axis">'
                 f'{_e(_w(lang, "pf_axis_k"))}</text>')
    parts.append(f'<text transform="translate(14 {(top_ + h - bottom) / 2:.0f}) rotate(-90)" text-anchor="middle" '
                 f'class="axis">{_e(_w(lang, "pf_axis_share"))}</text></svg>')
    return "".join(parts)


def _portfolio_section(result, lang, portfolio):
    if portfolio is None:
        return ""
    params = portfolio.attrs.get("parameters", {})
    curve = portfolio.attrs["coverage_curve"]
    k = int(params.get("k", len(portfolio)))
    minutes = params.get("minutes", math.nan)
    demand = _w(lang, "pf_demand_all" if params.get("demand") == "all" else "pf_demand_territory")
    key = "pf_pmedian" if params.get("objective") == "p-median" else "pf_coverage"
    text = _w(lang, key, k=k, minutes=number(minutes, lang), demand=demand)
    fixed = params.get("fixed") or []
    names = dict(zip(result["site_id"].astype(str), result["name"].astype(str)))
    if fixed:
        text += " " + _w(lang, "pf_fixed", fixed=", ".join(names.get(str(f), str(f)) for f in fixed))
    title = _w(lang, "pf_curve", demand=demand, minutes=number(minutes, lang))
    rows = "".join(
        f'<tr data-site="{_e(r.site_id)}" tabindex="0"><td>{int(r.order)}</td><td>{_e(r.name)}</td>'
        f'<td>{number(r.marginal_population, lang)}</td><td>{number(r.covered_population, lang)}</td></tr>'
        for r in portfolio.sort_values("order").itertuples())
    return (f'<section id="portfolio"><h2>{_e(_w(lang, "portfolio", k=k))}</h2><p>{_e(text)}</p>'
            f'<div class="pf-grid"><figure><figcaption>{_e(title)}</figcaption>{_curve_svg(curve, lang, title)}'
            f'</figure><table class="plain pf-table"><thead><tr><th>{_we(lang, "pf_col_order")}</th>'
            f'<th>{_we(lang, "pf_col_site")}</th><th>{_we(lang, "pf_col_marginal")}</th>'
            f'<th>{_we(lang, "pf_col_covered")}</th></tr></thead>'
            f"<tbody>{rows}</tbody></table></div></section>")


def _markdown_inline(text: str) -> str:
    """The catalogue's formulas use `code` and *italics*: escaped, then those two marks as HTML."""
    out = _e(text)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    return re.sub(r"\*([^*]+)\*", r"<i>\1</i>", out)


def _methods_section(result, meta, lang):
    from ._api import criteria

    s = meta.settings
    n = len(result)
    c = meta.communes
    n_out = int((~c["in_territory"].astype(bool)).sum())
    paras = [_w(lang, "m_scoring", n=number(n, lang),
                normalisation=_w(lang, f"norm_{s.normalisation}") if f"norm_{s.normalisation}" in WORDS[lang]
                else s.normalisation),
             _w(lang, "m_weights"), _w(lang, "m_demand", n_out=number(n_out, lang))]
    if meta.graph_kind == "osm":
        paras.append(_w(lang, "m_times_osm", roads=Path(str(s.roads or "")).name, snap=number(s.max_snap_m, lang)))
    else:
        paras.append(_w(lang, "m_times_commune", tolerance=number(s.adjacency_tolerance_m, lang),
                        detour=number(s.detour_factor, lang, 1), speed=number(s.speed_kmh, lang),
                        access=number(s.access_speed_kmh, lang)))
    if s.stability_draws and "p_top10" in result.columns:
        paras.append(_w(lang, "m_stability", draws=number(s.stability_draws, lang),
                        concentration=number(s.stability_concentration, lang), seed=s.stability_seed))
    else:
        paras.append(_w(lang, "m_no_stability"))
    html_paras = "".join(f"<p>{_e(p) if '<sup>' not in p else p}</p>" for p in paras)

    catalogue = {r["name"]: r for r in criteria().to_dict("records")}

    def entry(name):
        if name in catalogue:
            return catalogue[name]
        m = re.fullmatch(r"(pop|active)_\d+min", name)
        return catalogue.get(f"{m.group(1)}_<T>min") if m else None

    rows, unweighted = [], []
    for name, weight in meta.weights.items():
        eff = float(meta.effective_weights.get(name, 0.0))
        if weight <= 0:
            unweighted.append(criterion_title(name, lang))
            continue
        cat = entry(name) or {}
        rows.append((eff, f'<tr><td><b>{_e(criterion_title(name, lang))}</b><br><code>{_e(name)}</code></td>'
                          f'<td>{_e(criterion_description(name, lang))}</td>'
                          f'<td class="num">{number(weight, lang, 2)}</td><td class="num">{percent(eff, lang, 1)}</td>'
                          f'<td class="formula">{_markdown_inline(cat.get("formula", ""))}</td></tr>'))
    rows.sort(key=lambda r: -r[0])
    table = (f'<table class="plain"><thead><tr><th>{_we(lang, "m_col_criterion")}</th>'
             f'<th>{_we(lang, "m_col_description")}</th><th>{_we(lang, "m_col_weight")}</th>'
             f'<th>{_we(lang, "m_col_effective")}</th><th>{_we(lang, "m_col_formula")}</th>'
             f'</tr></thead><tbody>{"".join(r[1] for r in rows)}</tbody></table>')
    extra = []
    if unweighted:
        extra.append(f"<p>{_e(_w(lang, 'm_not_counted', names=', '.join(unweighted)))}</p>")
    if meta.skipped:
        items = "".join(f"<li><code>{_e(k)}</code> : {_e(v)}</li>" if lang == "fr" else
                        f"<li><code>{_e(k)}</code>: {_e(v)}</li>" for k, v in meta.skipped.items())
        extra.append(f"<p>{_e(_w(lang, 'm_skipped'))}</p><ul>{items}</ul>")
    if "building_fit" in result.columns:  # the value each kind got in this run (defaults merged with the given)
        fit = result.groupby(result["kind"].astype(str))["building_fit"].first().sort_values(ascending=False)
        table_fit = ", ".join(f"{kind_label(k, lang)} {number(v, lang, 1)}" for k, v in fit.items())
        extra.append(f"<p>{_e(_w(lang, 'm_building_fit', table=table_fit))}</p>")
    return (f'<section id="methods"><h2>{_e(_w(lang, "methods"))}</h2>{html_paras}'
            f'<h3>{_e(_w(lang, "m_criteria"))}</h3><div class="table-scroll">{table}</div>{"".join(extra)}</section>')


def _data_section(meta, lang, embedded: bool):
    parts = []
    if embedded:
        rows = "".join(
            f"<tr><td>{_e(src)}</td><td>{_e(_LICENCES[lic][lang])}"
            f"{'' if ok else ' — <b>' + _e(_w(lang, 'd_unverified')) + '</b>'}</td><td>{_e(vintage)}</td>"
            f"<td>{_e(_USES[use][lang])}</td></tr>"
            for src, lic, vintage, use, ok in _BARONNIES_SOURCES)
        parts.append(f"<p>{_we(lang, 'd_embedded')}</p>"
                     "<div class=\"table-scroll\"><table class=\"plain\"><thead><tr>"
                     f"<th>{_e(_w(lang, 'd_col_source'))}</th><th>{_e(_w(lang, 'd_col_licence'))}</th>"
                     f"<th>{_e(_w(lang, 'd_col_vintage'))}</th><th>{_e(_w(lang, 'd_col_use'))}</th></tr></thead>"
                     f"<tbody>{rows}</tbody></table></div><p>{_e(_w(lang, 'd_limits'))}</p>")
    else:
        vintages = _vintages(meta)
        items = "".join(f"<li>{_e(_w(lang, 'd_vintage_field', layer=l, field=f, values='; '.join(v) or '—'))}</li>"
                        for l, f, v in vintages)
        parts.append(f"<p>{_e(_w(lang, 'd_other'))}</p>" + (f"<ul>{items}</ul>" if items else
                                                           f"<p>{_e(_w(lang, 'd_no_vintage'))}</p>"))
    roles = WORDS[lang]["roles"]
    rows = "".join(f"<tr><td>{_e(roles.get(i.get('role', ''), i.get('role', '')))}</td>"
                   f"<td><code>{_e(Path(str(i.get('path', ''))).name)}</code></td>"
                   f"<td class=\"num\">{number(i['bytes'], lang) if i.get('bytes') is not None else '—'}</td>"
                   f"<td><code class=\"sha\">{_e(i.get('sha256') or '—')}</code></td></tr>" for i in meta.inputs)
    parts.append(f"<h3>{_e(_w(lang, 'd_inputs'))}</h3><div class=\"table-scroll\"><table class=\"plain\"><thead><tr>"
                 f"<th>{_e(_w(lang, 'd_col_role'))}</th><th>{_e(_w(lang, 'd_col_path'))}</th>"
                 f"<th>{_e(_w(lang, 'd_col_bytes'))}</th><th>{_e(_w(lang, 'd_col_sha'))}</th></tr></thead>"
                 f"<tbody>{rows}</tbody></table></div>")
    return f'<section id="data"><h2>{_e(_w(lang, "data"))}</h2>{"".join(parts)}</section>'


def _warnings_section(meta, lang):
    diags = list(meta.diagnostics or [])
    if not diags:
        body = f"<p>{_e(_w(lang, 'w_none'))}</p>"
    else:
        items = "".join(f"<li><code>{_e(d.code)}</code> {_e(d.text)}</li>" for d in diags)
        body = f"<p>{_e(_w(lang, 'w_note'))}</p><ul class=\"warnings\">{items}</ul>"
    return f'<section id="warnings"><h2>{_e(_w(lang, "warnings"))}</h2>{body}</section>'


def _settings_section(meta, lang, written):
    from . import __version__

    licence = (_VENDOR / "LICENSE").read_text(encoding="utf-8")
    version = _we(lang, "s_version", version=__version__, created=meta.created, written=written,
                  leaflet=LEAFLET_VERSION)
    return (f'<section id="settings"><h2>{_we(lang, "settings")}</h2><p>{_we(lang, "s_note")}</p>'
            f'<pre class="toml">{_e(meta.settings.to_toml())}</pre><p>{version}</p>'
            f'<details><summary>{_we(lang, "s_licence")}</summary><pre class="licence">{_e(licence)}</pre></details>'
            "</section>")


# --------------------------------------------------------------------------------------------------------------
# the page

_CSS = """
:root{--ink:#1f2933;--muted:#52606d;--line:#d9e2ec;--bg:#f7f9fb;--accent:#243b53;--hl:#fff3c4}
*{box-sizing:border-box}
html{scroll-behavior:smooth}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Liberation Sans",Arial,sans-serif;
 color:var(--ink);background:var(--bg);font-size:15px;line-height:1.45}
header.top{background:var(--accent);color:#fff;padding:14px 28px 10px}
header.top h1{margin:0;font-size:24px;font-weight:650}
header.top .sub{opacity:.85;font-size:13.5px;margin-top:2px}
nav{display:flex;flex-wrap:wrap;gap:4px 16px;margin-top:8px;font-size:13.5px}
nav a{color:#fff;opacity:.9;text-decoration:none;border-bottom:1px solid rgba(255,255,255,.35)}
main{max-width:1400px;margin:0 auto;padding:6px 24px 40px}
section{margin-top:18px}
h2{font-size:19px;margin:0 0 6px;color:var(--accent);border-bottom:2px solid var(--line);padding-bottom:3px}
h3{font-size:15.5px;margin:12px 0 6px}
p{margin:6px 0}
.hint{color:var(--muted);font-size:13.5px}
#summary .words{columns:2 520px;column-gap:36px}
#summary .words p{margin:0 0 8px;break-inside:avoid}
.tiles{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0 8px}
.tile{background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:150px;max-width:280px;
 font-size:13px;color:var(--muted)}
.tile .big{font-size:26px;font-weight:700;color:var(--accent);line-height:1.15}
.map-grid{display:grid;grid-template-columns:minmax(0,1fr) 330px;gap:12px;align-items:start}
#map{height:700px;border:1px solid var(--line);border-radius:8px;background:#eef2f5}
.side{display:flex;flex-direction:column;gap:10px}
.panel{background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px 12px;font-size:13px}
.panel h3{margin:2px 0 6px;font-size:14px}
.panel label{display:block;margin:2px 0;cursor:pointer}
.legend-title{font-weight:600;margin:8px 0 3px}
.ramp{height:12px;border-radius:3px;border:1px solid #bbb}
.ramp-labels{display:flex;justify-content:space-between;font-size:12px;color:var(--muted)}
.swatch-row{display:flex;align-items:center;gap:6px;margin:4px 0}
.swatch{display:inline-block;width:22px;height:12px;border-radius:2px;flex:none}
.swatch.line{height:0;border-top:3px solid var(--accent)}
#site-info-body .name{font-weight:650;font-size:14.5px}
#site-info-body dl{display:grid;grid-template-columns:auto 1fr;gap:1px 8px;margin:6px 0}
#site-info-body dt{color:var(--muted)}#site-info-body dd{margin:0}
.table-wrap{max-height:560px;overflow:auto;border:1px solid var(--line);border-radius:8px;background:#fff}
table{border-collapse:collapse;width:100%;font-size:13.5px}
th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
td[data-v]:not(:nth-child(2)):not(:nth-child(3)):not(:nth-child(4)){font-variant-numeric:tabular-nums}
#ranking thead th{position:sticky;top:0;background:#eef2f5;z-index:1;white-space:nowrap}
#ranking th button{all:unset;cursor:pointer;font-weight:650}
#ranking th[aria-sort=ascending] button::after{content:" ▲";font-size:10px}
#ranking th[aria-sort=descending] button::after{content:" ▼";font-size:10px}
#ranking tbody tr{cursor:pointer}
#ranking tbody tr:hover{background:#f0f4f8}
tr.selected,tr.selected:hover{background:var(--hl)!important}
.score{font-weight:650}
table.plain{background:#fff;border:1px solid var(--line)}
table.plain th{background:#eef2f5}
.num{text-align:right;white-space:nowrap}
.formula{font-size:12.5px;color:#334e68;min-width:260px}
.table-scroll{overflow-x:auto}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:12px}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 14px;font-size:13.5px}
.card header{display:flex;gap:10px;align-items:center}
.card h3{margin:0;font-size:15px}
.card .meta{color:var(--muted);font-size:12.5px}
.card .rank{background:var(--accent);color:#fff;border-radius:50%;min-width:30px;height:30px;display:flex;
 align-items:center;justify-content:center;font-weight:700}
.card .badge{margin-left:auto;font-size:22px;font-weight:700;color:var(--accent)}
.card .badge small{font-size:12px;color:var(--muted);font-weight:400}
.card .fact{color:#334e68}
.bars-title{font-weight:600;margin:8px 0 4px;font-size:12.5px;color:var(--muted)}
.bar-row{display:grid;grid-template-columns:230px 1fr 92px;gap:8px;align-items:center;margin:2px 0;font-size:12.5px}
.bar-label{display:flex;flex-direction:column;line-height:1.15}
.bar-value{color:var(--muted);font-size:11.5px}
.bar-track{height:10px;background:#e4e7eb;border-radius:2px}
.bar-fill{height:100%;background:#e3722b;border-radius:2px}
.bar-points{text-align:right;font-variant-numeric:tabular-nums;color:#334e68}
.observed{margin-top:.6em}.observed-table{border-collapse:collapse;font-size:.85em;width:100%}.observed-table th,.observed-table td{border-bottom:1px solid #d9e2ec;padding:2px 4px;text-align:left;vertical-align:top}
.card details{margin-top:6px}
pre{white-space:pre-wrap;background:#fff;border:1px solid var(--line);border-radius:6px;padding:8px;font-size:12.5px}
button.show-on-map{margin-top:8px;font:inherit;font-size:12.5px;padding:3px 10px;border:1px solid var(--accent);
 background:#fff;color:var(--accent);border-radius:4px;cursor:pointer}
.pf-grid{display:grid;grid-template-columns:minmax(0,660px) minmax(0,1fr);gap:16px;align-items:start}
figure{margin:0;background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px}
figcaption{font-weight:600;font-size:13px;margin-bottom:4px}
svg.curve{width:100%;height:auto;font-size:12px;fill:#334e68}
svg.curve .grid{stroke:#e4e7eb}svg.curve .line{fill:none;stroke:#e3722b;stroke-width:2.5}
svg.curve .dot{fill:#e3722b;stroke:#fff;stroke-width:1.5}svg.curve .val{font-weight:600}
svg.curve .axis{fill:var(--muted)}
code.sha{font-size:11.5px;word-break:break-all}
ul.warnings li{margin:4px 0}
.pf-label{background:#102a43;border:2px solid #fff;border-radius:50%;display:flex;align-items:center;
 justify-content:center;font-weight:700;font-size:12px;color:#fff;box-shadow:0 0 0 1px #102a43}
.pf-swatch{display:inline-flex;width:18px;height:18px;border-radius:50%;background:#102a43;color:#fff;font-size:11px;
 font-weight:700;align-items:center;justify-content:center;margin-right:4px}
.panel .kinds label{display:inline-block;margin:1px 12px 1px 0}
.leaflet-container{font:inherit;font-size:12.5px}
.leaflet-tooltip{font-size:12.5px}
@media (max-width:1000px){.map-grid,.pf-grid{grid-template-columns:1fr}#map{height:480px}}
@media print{nav,.show-on-map{display:none}.table-wrap{max-height:none;overflow:visible}
 section{break-inside:avoid-page}#map{height:520px}}
"""

_JS = r"""
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("report-data").textContent);
  var map = L.map("map", {zoomSnap: 0.25, attributionControl: false});
  L.control.attribution({prefix: false}).addAttribution(D.t.attribution).addTo(map);
  L.control.scale({imperial: false}).addTo(map);
  map.createPane("outline").style.zIndex = 420;
  map.createPane("catchment").style.zIndex = 430;
  map.createPane("sites").style.zIndex = 450;
  map.createPane("portfolio").style.zIndex = 460;
  ["outline", "catchment"].forEach(function (p) { map.getPane(p).style.pointerEvents = "none"; });

  var shade = 0;
  function communeStyle(f) {
    var i = f.properties.i, inside = D.communeInfo[i][1] === 1;
    var colors = D.shading.length ? D.shading[shade].colors : [];
    return {fillColor: colors[i] || "#d9d9d9", fillOpacity: inside ? 0.85 : 0.28, color: inside ? "#ffffff" : "#fbfbfb",
            weight: inside ? 0.8 : 0.5, className: "commune"};
  }
  function unscale(s) { return function (c) { return L.latLng(c[1] / s, c[0] / s); }; }
  var communes = L.geoJSON(D.communes, {
    coordsToLatLng: unscale(D.scale.communes), style: communeStyle,
    onEachFeature: function (f, layer) { layer.bindTooltip(D.communeInfo[f.properties.i][2], {sticky: true}); }
  }).addTo(map);
  if (D.outline) {
    L.geoJSON(D.outline, {pane: "outline", interactive: false, coordsToLatLng: unscale(D.scale.communes),
                          style: {color: "#243b53", weight: 2.4, fill: false, className: "study-area"}}).addTo(map);
  }
  function setRamp(el, stops) { el.style.background = "linear-gradient(to right," + stops.join(",") + ")"; }
  setRamp(document.getElementById("score-ramp"), D.scoreScale.stops);
  function updateShading() {
    communes.setStyle(communeStyle);
    if (!D.shading.length) { return; }
    var s = D.shading[shade];
    setRamp(document.getElementById("commune-ramp"), s.stops);
    document.getElementById("commune-min").textContent = s.min;
    document.getElementById("commune-max").textContent = s.max;
  }
  document.querySelectorAll("input[name=shade]").forEach(function (input) {
    input.addEventListener("change", function () { shade = +input.value; updateShading(); });
  });
  updateShading();

  var catchment = L.layerGroup().addTo(map);
  var catchStyle = {};
  D.catchmentStyle.forEach(function (c) { catchStyle[c.t] = c; });
  var groups = {}, markers = {}, byId = {};
  D.kinds.forEach(function (k) { groups[k.kind] = L.layerGroup().addTo(map); });
  D.sites.slice().reverse().forEach(function (s) {  // the best drawn last, on top
    byId[s.id] = s;
    var top10 = s.rank <= 10;
    var m = L.circleMarker([s.lat, s.lon], {pane: "sites", radius: top10 ? 8 : 5.5, fillColor: s.color,
      fillOpacity: 0.95, color: "#1f1f1f", weight: top10 ? 1.6 : 0.8, className: "site-marker"});
    m.bindTooltip(s.tip, {direction: "top", offset: [0, -6]});
    m.on("click", function () { select(s.id, false); });
    m.on("add", function () { m.getElement().setAttribute("data-site", s.id); });
    m.addTo(groups[s.kind]);
    markers[s.id] = m;
  });
  document.querySelectorAll(".kind-toggle").forEach(function (box) {
    box.addEventListener("change", function () {
      if (box.checked) { groups[box.value].addTo(map); } else { map.removeLayer(groups[box.value]); }
    });
  });
  if (D.portfolio) {
    var pf = L.layerGroup().addTo(map);
    D.portfolio.forEach(function (p) {
      var s = byId[p.id];
      if (!s) { return; }
      L.marker([s.lat, s.lon], {pane: "portfolio", icon: L.divIcon({className: "pf-label", html: String(p.order),
        iconSize: [22, 22]}), keyboard: false}).bindTooltip(s.tip).on("click", function () { select(s.id, false); })
        .addTo(pf);
    });
    var t = document.getElementById("pf-toggle");
    if (t) {
      t.addEventListener("change", function () { if (t.checked) { pf.addTo(map); } else { map.removeLayer(pf); } });
    }
  }
  map.fitBounds(D.bounds, {padding: [8, 8]});

  var info = document.getElementById("site-info-body");
  var selected = null;
  function select(id, fromPage) {
    var s = byId[id];
    if (!s) { return; }
    if (selected && markers[selected]) {
      var old = byId[selected];
      markers[selected].setStyle({weight: old.rank <= 10 ? 1.6 : 0.8, color: "#1f1f1f"});
    }
    selected = id;
    catchment.clearLayers();
    var cs = D.catchments[id] || [], bounds = null;
    cs.forEach(function (c) {
      var st = catchStyle[c.t] || {color: "#6a1b9a", dash: true, fill: 0.1};
      var layer = L.geoJSON(c.g, {pane: "catchment", interactive: false, coordsToLatLng: unscale(D.scale.catchments),
        style: {color: st.color,
        weight: st.dash ? 2 : 2.6, dashArray: st.dash ? "6 4" : null, fillColor: st.color, fillOpacity: st.fill,
        className: "catchment"}});
      layer.addTo(catchment);
      bounds = bounds ? bounds.extend(layer.getBounds()) : layer.getBounds();
    });
    var m = markers[id];
    m.setStyle({weight: 3.5, color: "#000000"});
    m.bringToFront();
    var card = document.getElementById("site-" + id);
    var tpl = document.getElementById("info-" + id);
    info.innerHTML = tpl ? tpl.innerHTML : s.tip;
    if (card) {
      var a = document.createElement("a");
      a.href = "#site-" + id; a.textContent = D.t.card; info.appendChild(a);
    }
    document.querySelectorAll("tr.selected").forEach(function (r) { r.classList.remove("selected"); });
    document.querySelectorAll('tr[data-site="' + CSS.escape(id) + '"]').forEach(function (r) {
      r.classList.add("selected");
    });
    document.getElementById("map").setAttribute("data-selected", id);
    if (fromPage) {
      document.getElementById("map-section").scrollIntoView({behavior: "smooth", block: "start"});
      if (bounds) { map.fitBounds(bounds, {padding: [20, 20], maxZoom: 11}); } else { map.panTo([s.lat, s.lon]); }
    }
  }
  document.querySelectorAll("tr[data-site]").forEach(function (row) {
    row.addEventListener("click", function () { select(row.getAttribute("data-site"), true); });
    row.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter") { select(row.getAttribute("data-site"), true); }
    });
  });
  document.querySelectorAll("button.show-on-map").forEach(function (b) {
    b.addEventListener("click", function () { select(b.getAttribute("data-site"), true); });
  });

  // sortable ranking: a click on a header sorts by it, a second click reverses
  var table = document.getElementById("ranking");
  var collator = new Intl.Collator(document.documentElement.lang, {numeric: true, sensitivity: "base"});
  table.querySelectorAll("thead th").forEach(function (th, col) {
    th.querySelector("button").addEventListener("click", function () {
      var numeric = th.getAttribute("data-type") === "num";
      // first click: numbers from the largest (except the rank), words from A; a second click reverses
      var first = numeric && th.getAttribute("data-key") !== "rank" ? "descending" : "ascending";
      var now = th.getAttribute("aria-sort");
      var dir = now === "ascending" ? "descending" : now === "descending" ? "ascending" : first;
      table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", dir);
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows), sign = dir === "ascending" ? 1 : -1;
      rows.sort(function (a, b) {
        var x = a.cells[col].getAttribute("data-v"), y = b.cells[col].getAttribute("data-v");
        if (x === "" || y === "") { return (x === "") - (y === ""); }  // no value: always last
        var r = numeric ? (+x - +y) : collator.compare(x, y);
        if (r === 0) { r = +a.cells[0].getAttribute("data-v") - +b.cells[0].getAttribute("data-v"); return r; }
        return sign * r;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  document.documentElement.setAttribute("data-ready", "1");
})();
"""


def _site_info_templates(result, meta, lang, top):
    """Per site, the HTML of the "selected site" panel (in <template>, so that it costs nothing until shown)."""
    c = meta.communes
    names = dict(zip(c["commune_code"].astype(str), c["name"].astype(str)))
    thresholds = [t for t in _thresholds(meta) if f"pop_{t}min" in result.columns]
    stability = {"rank_p05", "rank_p95", "p_top10"} <= set(result.columns) and bool(meta.settings.stability_draws)
    n = len(result)
    out = []
    for s in result.sort_values("rank").itertuples():
        rows = [(_w(lang, "col_score"), f"{number(s.score, lang, 1)} / 100"),
                (_w(lang, "col_rank"), _w(lang, "js_rank", rank=int(s.rank), n=n))]
        if stability:
            rows.append((_w(lang, "col_range"), _w(lang, "range", p05=int(s.rank_p05), p95=int(s.rank_p95))))
            rows.append((_w(lang, "col_top10"), percent(s.p_top10, lang)))
        rows += [(_w(lang, "col_pop", t=t), number(getattr(s, f"pop_{t}min"), lang)) for t in thresholds]
        if "ftth_share" in result.columns:
            rows.append((_w(lang, "col_fibre"), percent(s.ftth_share, lang)))
        dl = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rows)
        out.append(f'<template id="info-{_e(s.site_id)}"><div class="name">{int(s.rank)}. {_e(s.name)}</div>'
                   f'<div class="hint">{_e(kind_label(str(s.kind), lang))} · '
                   f'{_e(names.get(str(s.commune_code), str(s.commune_code)))}</div><dl>{dl}</dl></template>')
    return "".join(out)


def _json_for_script(data) -> str:
    """JSON safe inside <script>: no "</" (which could close the element) and no "<!--"."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def leaflet_assets() -> tuple:
    """(script, stylesheet, licence) of the vendored Leaflet, as inlined: the script without its source-map line,
    the stylesheet without its three image URLs (icons the report does not use), so nothing asks for a file."""
    js = (_VENDOR / "leaflet.js").read_text(encoding="utf-8")
    js = re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", js)
    css = (_VENDOR / "leaflet.css").read_text(encoding="utf-8")
    css = re.sub(r"url\(images/[^)]*\)", "none", css)
    licence = (_VENDOR / "LICENSE").read_text(encoding="utf-8")
    return js, css, licence


def build_html(result, *, lang: str = "fr", portfolio=None, top: int = 20, title: Optional[str] = None) -> str:
    """The report's HTML as a string (what :func:`report` writes); arguments as for :func:`report`."""
    lang, meta, _ = _check_args(result, "report.html", lang, portfolio, None, None, top)
    result = result.sort_values("rank")
    territory = title or _territory_name(meta)
    written = _fmt_date(datetime.now(timezone.utc).isoformat(), lang)
    created = _fmt_date(meta.created, lang) if meta.created else "—"
    embedded = reads_embedded_territory(meta)
    data = _map_data(result, meta, lang, portfolio, embedded)
    data["t"]["card"] = _w(lang, "card_link")
    pf_info = None
    if portfolio is not None:
        params = portfolio.attrs.get("parameters", {})
        curve = portfolio.attrs["coverage_curve"]
        if len(curve) and params.get("objective", "coverage") == "coverage":
            pf_info = {"share": float(curve["covered_share"].iloc[-1]), "minutes": params.get("minutes", math.nan),
                       "k": int(params.get("k", len(portfolio)))}
    from . import __version__

    js, css, licence = leaflet_assets()
    nav = [("summary", "nav_summary"), ("map-section", "nav_map"), ("ranking-section", "nav_ranking")]
    if top > 0:
        nav.append(("cards", "nav_cards"))
    if portfolio is not None:
        nav.append(("portfolio", "nav_portfolio"))
    nav += [("methods", "nav_methods"), ("data", "nav_data"), ("warnings", "nav_warnings"),
            ("settings", "nav_settings")]
    nav_html = "".join(f'<a href="#{a}">{_e(_w(lang, k))}</a>' for a, k in nav)
    page_title = f"{_w(lang, 'title')} — {territory}" if territory else _w(lang, "title")
    subtitle = _w(lang, "subtitle", territory=territory, sites=number(len(result), lang), created=created,
                  version=__version__)
    body = "".join([
        _summary(result, meta, lang, min(top, len(result)), pf_info),
        _map_section(lang, data),
        _ranking_section(result, meta, lang),
        _portfolio_section(result, lang, portfolio),
        _cards_section(result, meta, lang, top),
        _methods_section(result, meta, lang),
        _data_section(meta, lang, embedded),
        _warnings_section(meta, lang),
        _settings_section(meta, lang, written),
    ])
    licence_comment = licence.replace("--", "- -")
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="generator" content="tierslieux {_e(__version__)}">\n'
            f"<title>{_e(page_title)}</title>\n"
            f"<!-- Leaflet {LEAFLET_VERSION}, inlined below (script and stylesheet). Its licence:\n"
            f"{licence_comment}-->\n"
            f"<style>\n{css}\n</style>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            f'<header class="top"><h1>{_e(_w(lang, "title"))}</h1><div class="sub">{_e(subtitle)}</div>'
            f"<nav>{nav_html}</nav></header>\n<main>{body}</main>\n"
            f"{_site_info_templates(result, meta, lang, top)}\n"
            f'<script type="application/json" id="report-data">{_json_for_script(data)}</script>\n'
            f"<script>\n{js}\n</script>\n<script>{_JS}</script>\n</body>\n</html>\n")


def _write(tmp: Path, text: str) -> None:
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def report(result, path: PathLike, *, lang: str = "fr", portfolio=None, k: Optional[int] = None,
           minutes: Optional[float] = None, top: int = 20, title: Optional[str] = None) -> Path:
    """Write a self-contained HTML report of a :func:`tierslieux.score` result, for a council.

    One file with no external reference (scripts, styles and map data inline; system fonts), that opens offline
    from disk: a summary in words, an interactive map (communes shaded by people within reach or minutes to the
    nearest site, sites coloured by score, the catchment of the site clicked, the portfolio), the ranking of
    every site (sortable), one card per site for the ``top`` best (explanation, points per criterion, plausible
    ranks), the portfolio curve, the methods, the data sources with vintages and licences, the warnings, the
    settings and the version. docs/report.md describes it.

    Parameters
    ----------
    result: the GeoDataFrame returned by :func:`tierslieux.score`.
    path: the ``.html`` file to write (written to a temporary file, then renamed into place: a failure leaves
        any previous file untouched; a path that is one of the run's inputs is refused).
    lang: "fr" (default) or "en": every fixed text and number format.
    portfolio: a :func:`tierslieux.choose_sites` result to show (map, curve, table); or
    k, minutes: choose ``k`` sites together within ``minutes`` (:func:`tierslieux.choose_sites`, maximal
        covering of the study area's people) and show them. Give ``portfolio`` or ``k`` and ``minutes``.
    top: how many of the best sites get a card (20 by default; 0 for none). The table always lists every site.
    title: the territory's name in the title (default: the ``name`` of the territory file's ``territory`` layer,
        else the file's name).

    Returns the path written. Raises InputError for a bad ``lang``, ``top``, ``k``/``minutes``, a path not
    ending in ``.html``, or a result that is not a :func:`tierslieux.score` result.
    """
    from .plot import check_output, write_atomically

    lang, meta, out = _check_args(result, path, lang, portfolio, k, minutes, top)
    inputs = meta.input_paths()
    check_output(out, inputs)  # before anything is computed
    if k is not None:
        from ._portfolio import choose_sites

        portfolio = choose_sites(result, k, minutes)
    text = build_html(result, lang=lang, portfolio=portfolio, top=int(top), title=title)
    return write_atomically(out, inputs, lambda tmp: _write(tmp, text))
