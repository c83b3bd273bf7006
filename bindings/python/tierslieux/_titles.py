"""Titles and descriptions of every output layer and field, in French and English (issue 12).

They go to the GeoPackage's ``gpkg_contents.description`` and ``gpkg_data_columns`` (title, description), to the
aliases of the QGIS styles, and to the report's headers. Column names never change: they are the contract
(docs/outputs.md); the titles carry the language.
"""
from __future__ import annotations

import re
from typing import Optional, Tuple

from ._i18n import DEFAULT_LANG, criterion_description, criterion_title

#: Layer -> language -> description (gpkg_contents.description).
LAYERS = {
    "sites": {"fr": "Sites candidats (bâtiments publics existants) classés par potentiel de tiers-lieu : score "
                    "0–100 relatif aux sites comparés, rang, stabilité du rang, part de chaque critère (contrib_*).",
              "en": "Candidate sites (existing public buildings) ranked by tiers-lieu potential: score 0–100 relative "
                    "to the sites compared, rank, rank stability, each criterion's part (contrib_*)."},
    "communes": {"fr": "Communes du territoire et voisines (comptées comme demande) : population, temps jusqu'au "
                       "site le plus proche, population à portée.",
                 "en": "Communes of the territory and neighbours (counted as demand): population, minutes to the "
                       "nearest site, people within reach."},
    "network_edges": {"fr": "Réseau des trajets : liaisons entre communes voisines (graphe des communes) ou "
                            "tronçons de route (graphe routier OSM), en minutes.",
                      "en": "Travel network: links between neighbouring communes (commune graph) or road stretches "
                            "(OSM road graph), in minutes."},
    "catchments": {"fr": "Bassin de chaque site : zone dont les habitants l'atteignent en T minutes ou moins.",
                   "en": "Each site's catchment: the area whose people reach it within T minutes."},
    "territory": {"fr": "Contour du territoire d'étude (copié du fichier du territoire).",
                  "en": "Outline of the study area (copied from the territory file)."},
    "run_info": {"fr": "Provenance du calcul : version, date, réglages complets (TOML), pondérations, fichiers "
                       "d'entrée avec taille et SHA-256.",
                 "en": "How the run was made: version, date, full settings (TOML), weights, input files with size "
                       "and SHA-256."},
    "diagnostics": {"fr": "Avertissements du calcul, avec leur code (docs/outputs.md).",
                    "en": "Warnings of the run, with their code (docs/outputs.md)."},
    "layer_styles": {"fr": "Styles QGIS (QML) et SLD par défaut des couches.",
                     "en": "Default QGIS (QML) and SLD styles of the layers."},
    "site_observations": {"fr": "Observations de l'étude sur les sites pilotes : fréquentation, publics, besoins, "
                                "usages testés, source.",
                          "en": "The study's observations of its pilot sites: visits, publics, needs, uses tested, "
                                "source."},
    "portfolio": {"fr": "Sites choisis ensemble (portefeuille), dans l'ordre du choix.",
                  "en": "Sites chosen together (portfolio), in the order they were chosen."},
    "coverage_curve": {"fr": "Population couverte selon le nombre de sites choisis.",
                       "en": "People covered by the number of sites chosen."},
    "comparison": {"fr": "Comparaison site par site entre la situation de référence et le scénario.",
                   "en": "Site-by-site comparison of the base run and the scenario."},
    "coverage_comparison": {"fr": "Population à portée d'un site candidat, référence et scénario.",
                            "en": "People within reach of a candidate site, base and scenario."},
    "portfolio_comparison": {"fr": "Meilleurs portefeuilles de k sites, référence et scénario.",
                             "en": "Best portfolios of k sites, base and scenario."},
}

# column -> (French title, French description, English title, English description)
_COMMON = {
    "site_id": ("Identifiant du site", "identifiant du site dans la couche d'entrée", "Site id",
                "identifier of the site in the input layer"),
    "name": ("Nom", "nom, tel que dans les données d'entrée", "Name", "name, as in the input"),
    "kind": ("Type de bâtiment", "mairie, médiathèque, France Services, agence postale…", "Kind of building",
             "town hall, library, France Services, post office…"),
    "commune_code": ("Code INSEE", "code INSEE de la commune", "INSEE code", "INSEE code of the commune"),
    "services": ("Services", "services déjà accueillis, séparés par ;", "Services",
                 "services it already hosts, separated by ;"),
    "node_id": ("Nœud du réseau", "nœud du graphe auquel il est rattaché", "Network node",
                "graph node it is attached to"),
    "access_minutes": ("Temps d'accès (min)", "trajet d'accès jusqu'au nœud du réseau, en minutes",
                       "Access time (min)", "access leg to its network node, in minutes"),
    "snap_distance_m": ("Distance de rattachement (m)", "distance à vol d'oiseau jusqu'au point de rattachement",
                        "Snap distance (m)", "straight distance to the point it is attached to"),
    "snapped": ("Rattaché au réseau", "faux quand aucun nœud du réseau n'est assez proche",
                "On the network", "false when no network node is close enough"),
    "score": ("Score (0–100)", "somme pondérée des critères normalisés, relative aux sites comparés",
              "Score (0–100)", "weighted sum of the normalised criteria, relative to the sites compared"),
    "rank": ("Rang", "1 = meilleur site", "Rank", "1 = best site"),
    "p_top10": ("Part des tirages dans le top 10", "part des tirages de pondérations où il est classé 10e ou mieux",
                "Share of draws in the top 10", "share of the weight draws in which it ranks 10th or better"),
    "rank_p05": ("Meilleur rang plausible", "5e centile de son rang quand les pondérations varient",
                 "Best plausible rank", "5th percentile of its rank when the weights vary"),
    "rank_p95": ("Moins bon rang plausible", "95e centile de son rang quand les pondérations varient",
                 "Worst plausible rank", "95th percentile of its rank when the weights vary"),
    "population": ("Population", "population municipale", "Population", "population"),
    "active_population": ("Population active", "actifs résidents", "Active population", "active residents"),
    "in_territory": ("Dans le territoire", "vrai pour le territoire d'étude, faux pour les communes voisines "
                     "(comptées comme demande)", "In the territory",
                     "true for the study area, false for neighbours (counted as demand)"),
    "commuters": ("Navetteurs", "actifs qui quittent la commune pour travailler", "Commuters",
                  "workers who leave the commune to work"),
    "commute_minutes": ("Durée du trajet domicile-travail (min)", "minutes moyennes jusqu'au travail, pondérées "
                        "par les navetteurs", "Commute time (min)", "commuter-weighted minutes to work"),
    "commute_km": ("Distance domicile-travail (km)", "km aller jusqu'au travail, pondérés par les navetteurs",
                   "Commute distance (km)", "commuter-weighted one-way km to work"),
    "existing_tiers_lieux_within": ("Tiers-lieux existants à portée", "tiers-lieux existants à portée locale",
                                    "Existing tiers-lieux within reach", "existing tiers-lieux within local reach"),
    "from_node": ("Nœud de départ", "nœud de départ du tronçon", "From node", "start node of the edge"),
    "to_node": ("Nœud d'arrivée", "nœud d'arrivée du tronçon", "To node", "end node of the edge"),
    "length_m": ("Longueur (m)", "longueur du tronçon en mètres", "Length (m)", "length of the edge in metres"),
    "minutes": ("Minutes", "durée en minutes", "Minutes", "time in minutes"),
    "twoway": ("Double sens", "vrai quand le tronçon se parcourt dans les deux sens", "Two-way",
               "true when the edge can be travelled both ways"),
    "key": ("Clé", "nom de l'information", "Key", "name of the item"),
    "value": ("Valeur", "valeur (texte, JSON ou TOML)", "Value", "value (text, JSON or TOML)"),
    "code": ("Code", "code de l'avertissement (docs/outputs.md)", "Code", "warning code (docs/outputs.md)"),
    "text": ("Message", "l'avertissement en clair", "Message", "the warning in words"),
    "ids": ("Identifiants", "identifiants concernés, séparés par ;", "Ids", "ids concerned, separated by ;"),
    "file": ("Fichier", "fichier concerné", "File", "file concerned"),
    "layer": ("Couche", "couche concernée", "Layer", "layer concerned"),
    "feature_id": ("Entité", "identifiant de l'entité (-1 : aucune)", "Feature", "feature id (-1: none)"),
    "field": ("Champ", "champ concerné", "Field", "field concerned"),
    "order": ("Ordre du choix", "1 = choisi en premier", "Order chosen", "1 = chosen first"),
    "marginal_population": ("Population ajoutée", "habitants à portée de ce site et d'aucun site choisi avant",
                            "People added", "people within reach of this site and of none chosen before"),
    "covered_population": ("Population couverte", "habitants à portée d'au moins un site choisi",
                           "People covered", "people within reach of at least one chosen site"),
    "assigned_population": ("Population rattachée", "habitants dont ce site est le plus proche du portefeuille",
                            "People assigned", "people whose nearest chosen site is this one"),
    "person_minutes_saved": ("Minutes-habitants gagnées", "ce que ce site retire à la somme habitants × minutes",
                             "Person-minutes saved", "what this site takes off the sum of people × minutes"),
    "mean_minutes": ("Temps moyen (min)", "minutes moyennes jusqu'au site le plus proche, par habitant",
                     "Mean minutes", "mean minutes to the nearest site, per person"),
    "period": ("Période", "période observée (telle que l'étude l'écrit)", "Period",
               "period observed (as the study writes it)"),
    "visits": ("Visites", "visites comptées sur la période", "Visits", "visits counted over the period"),
    "publics": ("Publics", "types de publics rencontrés, séparés par ;", "Publics",
                "kinds of public seen, separated by ;"),
    "needs": ("Besoins", "besoins exprimés", "Needs", "needs expressed"),
    "uses_tested": ("Usages testés", "nouveaux usages essayés (coin coworking, repair café, fablab…)",
                    "Uses tested", "new uses tried (coworking corner, repair café, fablab…)"),
    "source": ("Source", "qui a observé", "Source", "who observed"),
    "date": ("Date", "date du relevé", "Date", "when it was recorded"),
    "k": ("Nombre de sites", "nombre de sites du portefeuille", "Number of sites", "number of sites in the set"),
    "covered_share": ("Part couverte", "part de la population couverte (0–1)", "Share covered",
                      "share of the people covered (0–1)"),
    "unserved_population": ("Population non desservie", "habitants qu'aucun site choisi n'atteint",
                            "People unserved", "people no chosen site reaches"),
    "status": ("Statut", "kept, closed ou opened selon le scénario", "Status",
               "kept, closed or opened by the scenario"),
    "share": ("Part", "part de la population (0–1)", "Share", "share of the people (0–1)"),
    # layer_styles (the QGIS table)
    "f_table_catalog": ("Catalogue", "catalogue de la table stylée", "Catalogue", "catalogue of the styled table"),
    "f_table_schema": ("Schéma", "schéma de la table stylée", "Schema", "schema of the styled table"),
    "f_table_name": ("Couche stylée", "nom de la couche stylée", "Styled layer", "name of the styled layer"),
    "f_geometry_column": ("Colonne géométrie", "colonne de géométrie stylée", "Geometry column",
                          "styled geometry column"),
    "styleName": ("Nom du style", "nom du style", "Style name", "name of the style"),
    "styleQML": ("Style QGIS", "style QGIS (QML)", "QGIS style", "QGIS style (QML)"),
    "styleSLD": ("Style SLD", "style SLD 1.0 pour les autres logiciels", "SLD style",
                 "SLD 1.0 style for other clients"),
    "useAsDefault": ("Style par défaut", "vrai : QGIS l'applique à l'ouverture", "Default style",
                     "true: QGIS applies it when the layer opens"),
    "description": ("Description", "description du style", "Description", "description of the style"),
    "owner": ("Auteur", "auteur du style", "Owner", "author of the style"),
    "ui": ("Formulaire", "formulaire QGIS (vide)", "Form", "QGIS form (empty)"),
    "update_time": ("Date du style", "date d'écriture du style", "Style date", "when the style was written"),
}

# where a column means something else in a layer than elsewhere
_BY_LAYER = {
    ("communes", "minutes_to_nearest_site"): (
        "Temps jusqu'au site le plus proche (min)", "minutes depuis la mairie jusqu'au site candidat le plus proche",
        "Minutes to the nearest site", "minutes from the town hall to the nearest candidate site"),
    ("communes", "name"): ("Commune", "nom de la commune", "Commune", "name of the commune"),
    ("catchments", "minutes"): ("Seuil (min)", "seuil T du bassin, en minutes", "Threshold (min)",
                                "threshold T of the catchment, in minutes"),
}

_COMMUNE_POP = re.compile(r"^pop_(\d+(?:\.\d+)?)min$")
_SUFFIXES = {"_base": (" (référence)", " (base)"), "_scenario": (" (scénario)", " (scenario)"),
             "_delta": (" (écart)", " (change)"), "_change": (" (écart)", " (change)")}


def _entry(layer: str, column: str) -> Optional[Tuple[str, str, str, str]]:
    if (layer, column) in _BY_LAYER:
        return _BY_LAYER[(layer, column)]
    if layer == "communes" and _COMMUNE_POP.match(column):
        t = _COMMUNE_POP.match(column).group(1)
        return (f"Population à {t} min de la mairie", f"habitants des communes à moins de {t} minutes de sa mairie",
                f"People within {t} min of the town hall", f"people of the communes within {t} minutes of its "
                "town hall")
    if column in _COMMON:
        return _COMMON[column]
    if column.startswith("contrib_"):
        criterion = column[len("contrib_"):]
        if criterion_title(criterion, "fr") != criterion:
            return (f"Points : {criterion_title(criterion, 'fr').lower()}",
                    f"points de score apportés par le critère « {criterion_description(criterion, 'fr')} »",
                    f"Points: {criterion_title(criterion, 'en').lower()}",
                    f"score points brought by the criterion '{criterion_description(criterion, 'en')}'")
    if criterion_title(column, "fr") != column:
        return (criterion_title(column, "fr"), criterion_description(column, "fr"), criterion_title(column, "en"),
                criterion_description(column, "en"))
    for suffix, (fr, en) in _SUFFIXES.items():
        if column.endswith(suffix):
            stem = _entry(layer, column[: -len(suffix)])
            if stem:
                return stem[0] + fr, stem[1] + fr, stem[2] + en, stem[3] + en
    if column.startswith("population_") or column.startswith("share_"):
        stem, suffix = column.split("_", 1)
        base = _COMMON[stem] if stem in _COMMON else None
        if base and f"_{suffix}" in _SUFFIXES:
            fr, en = _SUFFIXES[f"_{suffix}"]
            return base[0] + fr, base[1] + fr, base[2] + en, base[3] + en
    return None


def field_title(layer: str, column: str, lang: str = DEFAULT_LANG) -> Optional[Tuple[str, str]]:
    """(title, description) of an output column in ``lang``, or None for a column we do not know (a column the
    user added to the result, say)."""
    entry = _entry(layer, column)
    if entry is None:
        return None
    return (entry[0], entry[1]) if lang == "fr" else (entry[2], entry[3])


def layer_description(layer: str, lang: str = DEFAULT_LANG) -> str:
    """What an output layer holds, in ``lang`` ("" for a layer we do not know)."""
    return LAYERS.get(layer, {}).get(lang, "")

