"""French and English words shared by every output a person reads (map, report, explain, tables, field titles).

Column names are the contract and never change with the language; titles do. French is the default: the users
are French planners (``lang="en"`` for the rest of the world).
"""
from __future__ import annotations

import re
from typing import Optional

from ._core import InputError

LANGS = ("fr", "en")
DEFAULT_LANG = "fr"


def check_lang(lang: Optional[str]) -> str:
    """``lang`` checked: "fr" or "en" (None gives the default, French)."""
    if lang is None:
        return DEFAULT_LANG
    if lang not in LANGS:
        raise InputError(f"lang {lang!r} is not supported: use one of {', '.join(LANGS)}")
    return lang


#: Kinds of candidate building (the sites layer's ``kind``), singular and plural.
KINDS = {
    "town_hall": {"fr": ("mairie", "mairies"), "en": ("town hall", "town halls")},
    "library": {"fr": ("médiathèque / bibliothèque", "médiathèques et bibliothèques"),
                "en": ("library", "libraries")},
    "france_services": {"fr": ("France Services", "France Services"), "en": ("France Services", "France Services")},
    "post_office": {"fr": ("bureau ou agence postale", "bureaux et agences postales"),
                    "en": ("post office", "post offices")},
    "espace_numerique": {"fr": ("espace public numérique", "espaces publics numériques"),
                         "en": ("digital public space", "digital public spaces")},
    "social_centre": {"fr": ("centre social", "centres sociaux"), "en": ("social centre", "social centres")},
    "information_jeunesse": {"fr": ("point information jeunesse", "points information jeunesse"),
                             "en": ("youth information point", "youth information points")},
    "school": {"fr": ("école", "écoles"), "en": ("school", "schools")},
    "tiers_lieu": {"fr": ("tiers-lieu", "tiers-lieux"), "en": ("tiers-lieu", "tiers-lieux")},
}


def kind_label(kind: str, lang: str = DEFAULT_LANG, plural: bool = False) -> str:
    """A building kind in words (an unknown kind is shown as written, underscores as spaces)."""
    words = KINDS.get(kind, {}).get(lang)
    if words is None:
        return str(kind).replace("_", " ")
    return words[1] if plural else words[0]


#: Criteria: short title and one-line description, per language. ``<T>`` stands for the threshold in minutes.
CRITERIA = {
    "pop_<T>min": {"fr": ("Population à <T> min", "habitants à moins de <T> minutes"),
                   "en": ("People within <T> min", "people within <T> minutes")},
    "active_<T>min": {"fr": ("Actifs à <T> min", "actifs résidents à moins de <T> minutes"),
                      "en": ("Active residents within <T> min", "active residents within <T> minutes")},
    "gravity_access": {"fr": ("Accessibilité gravitaire", "habitants accessibles, les plus proches comptant davantage"),
                       "en": ("Gravity access", "people reachable, nearer ones counting more (gravity)")},
    "ftth_share": {"fr": ("Fibre de la commune", "part des locaux raccordables à la fibre dans sa commune"),
                   "en": ("Fibre in its commune", "share of premises with fibre in its commune")},
    "ftth_share_catchment": {"fr": ("Fibre du bassin", "part des locaux raccordables à la fibre dans son bassin "
                                    "(pondérée par la population)"),
                             "en": ("Fibre in its catchment", "share of premises with fibre across its catchment "
                                    "(population-weighted)")},
    "poor_broadband_pop": {"fr": ("Habitants sans fibre", "habitants sans fibre à domicile à portée (besoin)"),
                           "en": ("People without fibre", "people without fibre at home within reach (demand "
                                  "booster)")},
    "commuters_intercepted": {"fr": ("Navetteurs captés", "navetteurs pour qui il est bien plus proche que leur "
                                     "commune de travail"),
                              "en": ("Commuters intercepted", "commuters for whom it is much closer than their "
                                     "work commune")},
    "commute_km_avoided": {"fr": ("Km de trajet évités", "kilomètres de voiture par an que ses navetteurs captés "
                                  "ne feraient plus"),
                           "en": ("Commute km avoided", "car kilometres a year its intercepted commuters would not "
                                  "drive")},
    "commute_co2_avoided": {"fr": ("CO2 évité", "tonnes de CO2 par an non émises sur ces kilomètres"),
                            "en": ("CO2 avoided", "tonnes of CO2 a year not emitted by those kilometres")},
    "building_fit": {"fr": ("Adaptation du bâtiment", "adéquation de ce type de bâtiment à un tiers-lieu "
                            "(table de l'aménageur)"),
                     "en": ("Building fit", "how well its kind of building suits a tiers-lieu (planner's table)")},
    "hybridity": {"fr": ("Hybridation", "services déjà accueillis dans le bâtiment"),
                  "en": ("Hybridity", "services the building already hosts")},
    "minutes_to_nearest_site": {"fr": ("Éloignement des autres sites", "minutes jusqu'au site candidat le plus "
                                       "proche (comblement des vides)"),
                                "en": ("Distance to other sites", "minutes to the nearest other candidate site "
                                       "(gap filling)")},
    "minutes_to_existing_tiers_lieu": {"fr": ("Éloignement des tiers-lieux", "minutes jusqu'au tiers-lieu "
                                              "existant le plus proche (comblement des vides)"),
                                       "en": ("Distance to tiers-lieux", "minutes to the nearest existing "
                                              "tiers-lieu (gap filling)")},
    "observed_visits": {"fr": ("Fréquentation observée", "visites comptées sur le site par l'étude, par période "
                               "observée"),
                        "en": ("Observed visits", "visits counted at the site by the study, per observed period")},
    "demand_share": {"fr": ("Demande partagée", "habitants à portée, partagés avec les tiers-lieux existants "
                            "qu'ils atteignent aussi (2SFCA)"),
                     "en": ("Shared demand", "people within reach, shared with the existing tiers-lieux they also "
                            "reach (2SFCA)")},
}

_THRESHOLD = re.compile(r"^(pop|active)_(\d+(?:\.\d+)?)min$")


def _criterion_entry(name: str):
    m = _THRESHOLD.match(name)
    if m:
        return CRITERIA[f"{m.group(1)}_<T>min"], m.group(2)
    return CRITERIA.get(name), None


def criterion_title(name: str, lang: str = DEFAULT_LANG) -> str:
    """A criterion's short title ("Population à 15 min"); an unknown criterion keeps its name."""
    entry, minutes = _criterion_entry(name)
    if entry is None:
        return name
    title = entry[lang][0]
    return title.replace("<T>", minutes) if minutes else title


def criterion_description(name: str, lang: str = DEFAULT_LANG) -> str:
    """A criterion's one-line description; an unknown criterion keeps its name."""
    entry, minutes = _criterion_entry(name)
    if entry is None:
        return name
    text = entry[lang][1]
    return text.replace("<T>", minutes) if minutes else text


def number(value, lang: str = DEFAULT_LANG, decimals: int = 0) -> str:
    """A number as a reader of that language writes it: 12 345,6 in French, 12,345.6 in English."""
    if value is None or value != value:
        return "—"
    text = f"{value:,.{decimals}f}"
    if lang == "fr":
        text = text.replace(",", "\u202f").replace(".", ",")
    return text


def percent(share, lang: str = DEFAULT_LANG, decimals: int = 0) -> str:
    """A share (0–1) as a percentage: « 42 % » in French, "42%" in English."""
    if share is None or share != share:
        return "—"
    text = number(100 * share, lang, decimals)
    return f"{text}\u202f%" if lang == "fr" else f"{text}%"
