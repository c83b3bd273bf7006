#!/usr/bin/env python3
"""Rebuild geodata/baronnies.gpkg (the default territory) or geodata/departements-26-05-04-84.gpkg (the
four départements, for batch runs) from the real raw files in geodata/raw/.

Deterministic: same inputs give the same layers, rows, order and values (the GeoPackage
timestamps are pinned with OGR_CURRENT_DATE), so a rebuild is byte-identical. Run from the
repository root:

    .venv/bin/python geodata/build_baronnies.py [--out geodata/baronnies.gpkg]
    .venv/bin/python geodata/build_baronnies.py --area departements [--out geodata/departements-26-05-04-84.gpkg]

Both files come from the same rules; only the study area differs (geodata/README.md, "The four départements").

Every rule used here is documented in geodata/README.md ("How baronnies.gpkg is built"); the
merge of candidate buildings ("One building, one site") is tested in tests/python/test_geodata.py,
which imports `merge_places` from this file.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path


RAW = Path(__file__).resolve().parent / "raw"
CRS = "EPSG:2154"
NEIGHBOUR_BUFFER_M = 20_000.0
DEPS = ["26-drome", "05-hautes-alpes", "04-alpes-de-haute-provence", "84-vaucluse"]
REMUZAT = "26264"  # in the study area although not a member: see geodata/README.md, rule 2

# One building, one site (geodata/README.md, rule 8): thresholds of the merge rule
SAME_POINT_M = 10.0         # two records published within 10 m of each other are one building
SAME_NAME_M = 1_000.0       # two records of one commune with the same name key, within 1 km, are one building
AT_TOWN_HALL_M = 500.0      # a service hosted by the mairie joins the town-hall site when within 500 m of it
OUTSIDE_COMMUNE_M = 500.0   # a point published farther than this outside its own commune stands at its town hall

# kind vocabulary, most specific first: a merged site takes the first kind any of its records has
KINDS = ["france_services", "information_jeunesse", "espace_numerique", "social_centre", "library",
         "post_office", "school", "association", "other", "town_hall"]
# services that name a kind (the others, e.g. conseiller_numerique or agence_postale, only add to hybridity)
KIND_OF_SERVICE = {"france_services": "france_services", "information_jeunesse": "information_jeunesse",
                   "espace_numerique": "espace_numerique", "social_centre": "social_centre",
                   "library": "library", "bureau_de_poste": "post_office", "school": "school",
                   "association": "association", "mairie": "town_hall"}
ID_PREFIX = {"france_services": "fs", "information_jeunesse": "pij", "espace_numerique": "numerique",
             "social_centre": "social", "library": "library", "post_office": "poste", "school": "school",
             "association": "asso", "other": "other", "town_hall": "mairie"}


def fail(msg: str) -> None:
    sys.exit(f"build_baronnies: {msg}")


# ------------------------------------------------------------------------------------------ text helpers

def fold(text: str) -> str:
    """Lower case, no accents, every non-alphanumeric run turned into one space."""
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


STOP_WORDS = {"de", "d", "du", "des", "la", "le", "les", "l", "et", "a", "au", "aux", "en", "sur", "sous", "st",
              "ste", "saint", "sainte", "the"}


def commune_words(name: str) -> set[str]:
    return set(fold(name).split()) - STOP_WORDS


def name_key(name: str, commune_names: list[str]) -> str:
    """A record's name with articles and the names of its commune taken out: 'Point Information Jeunesse
    Buis les Baronnies' and 'Point Information Jeunesse' give the same key."""
    drop = set().union(*(commune_words(n) for n in commune_names)) | STOP_WORDS
    return " ".join(w for w in fold(name).split() if w not in drop)


def of_name(name: str) -> str:
    """'de Nyons', "d'Orpierre", 'du Saix' for a commune name."""
    if name.startswith("Le "):
        return "du " + name[3:]
    if name.startswith("Les "):
        return "des " + name[4:]
    if fold(name[:1]) in ("a", "e", "i", "o", "u", "y", "h"):
        return "d'" + name
    return "de " + name


# ---------------------------------------------------------------------------------------- COG vintages

def read_cog2026() -> dict[str, dict]:
    path = RAW / "decoupage-administratif/communes_dep26-05-04-84.json"
    out: dict[str, dict] = {}
    entries = json.loads(path.read_text(encoding="utf-8"))
    for c in entries:
        # a commune nouvelle and its commune déléguée of the same name share one code: keep the current one
        if c["code"] not in out or c["type"] == "commune-actuelle":
            out[c["code"]] = c
    # codes that disappeared in a merger without a commune déléguée are listed under "anciensCodes"
    for c in list(out.values()):
        for old in c.get("anciensCodes", []):
            out.setdefault(old, {"code": old, "type": "ancienne", "chefLieu": c["code"], "nom": c["nom"]})
    return out


def to_current_code(code: str, cog: dict[str, dict]) -> str:
    """COG 2018/2024/2025 code -> COG 2026 commune-actuelle code (merged communes go to their chef-lieu)."""
    c = cog.get(code)
    if c is None:
        fail(f"commune {code} is unknown to COG 2026 ({RAW / 'decoupage-administratif'})")
    if c["type"] == "commune-actuelle":
        return code
    parent = c.get("chefLieu")
    if parent not in cog or cog[parent]["type"] != "commune-actuelle":
        fail(f"commune {code} ({c['type']}) has no current chef-lieu in COG 2026")
    return parent


def read_csv(path: Path, delimiter=",", skip=0) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        for _ in range(skip):
            next(f)
        return list(csv.DictReader(f, delimiter=delimiter))


def num(s) -> float | None:
    if isinstance(s, (int, float)):
        return float(s)
    s = (s or "").replace("\u202f", "").replace("\xa0", "").replace(" ", "").strip()
    return None if s in ("", "-") else float(s)


# ----------------------------------------------------------------------------------- places (records)

@dataclass
class Place:
    """One record of one raw point file, in a common form (coordinates in EPSG:2154)."""
    source: str                 # short name of the raw file, e.g. "laposte-2020"
    source_id: str              # the record's id in that file (or its position when it has none)
    name: str
    commune_code: str           # COG 2026
    x: float
    y: float
    services: set[str] = field(default_factory=set)
    attributes: list[str] = field(default_factory=list)   # key=value entries of `services` (not counted)
    at_town_hall: bool = False  # a service the mairie hosts (agence postale communale, "Mairie de …")
    tiers_lieu: str | None = None  # "tiers_lieu", "coworking" or "fablab" for an existing tiers-lieu
    mobile: bool = False        # a bus or an itinerant service: not a building
    place_name: str | None = None  # La Poste: the former commune the point lies in, when it differs
    relocated_m: float | None = None  # metres its published point lay outside its commune (moved to the town hall)

    def kind(self) -> str:
        kinds = {KIND_OF_SERVICE[s] for s in self.services if s in KIND_OF_SERVICE}
        if not kinds:  # a place known only for a service it hosts
            kinds = {"espace_numerique" if "conseiller_numerique" in self.services else
                     "post_office" if "agence_postale" in self.services else "other"}
        return next(k for k in KINDS if k in kinds)

    def distance(self, other: "Place") -> float:
        return math.hypot(self.x - other.x, self.y - other.y)


def is_mobile(name: str) -> bool:
    """A name that says the service travels: 'Bus France services …', '… itinérante'."""
    return bool(re.search(r"\bbus\b|\bitineran", fold(name)))


def services_from_name(name: str) -> set[str]:
    """Services a record's own name states ('Espace rural numérique', 'Maison France Services', 'Mairie de …')."""
    f = f" {fold(name)} "
    out = set()
    if re.search(r" france services? | msap | maison (de|des) services? | rsp ", f):
        out.add("france_services")
    if re.search(r" information jeunes(se)? | pij | bij ", f):
        out.add("information_jeunesse")
    if re.search(r" numerique | epn | epi | cyber", f):
        out.add("espace_numerique")
    if re.search(r" mediatheque | bibliotheque ", f):
        out.add("library")
    if re.search(r" centre (social|socio)", f):
        out.add("social_centre")
    if re.search(r" ecole ", f):
        out.add("school")
    if re.search(r"^ (mairie|commune) ", f):
        out.add("mairie")
    return out


class CommuneFinder:
    """The COG 2026 commune of a record: its INSEE code when the file gives one, else its postcode's département
    and commune name, else the 2018 polygon its point falls in (mapped to 2026)."""

    def __init__(self, cog, polygons_2018):
        self.cog = cog
        self.by_name: dict[tuple[str, str], set[str]] = {}
        for c in cog.values():
            if c["type"] != "ancienne" and "departement" in c:
                self.by_name.setdefault((c["departement"], fold(c["nom"])), set()).add(to_current_code(c["code"], cog))
        self.polygons = polygons_2018  # GeoDataFrame in EPSG:2154 with commune_code (2026) and nom (2018)
        self.sindex = polygons_2018.sindex
        self.method_counts: dict[str, int] = {}

    def polygon_of(self, x: float, y: float):
        import shapely
        pt = shapely.Point(x, y)
        hits = [i for i in self.sindex.query(pt, predicate="within")]
        return self.polygons.iloc[min(hits)] if hits else None

    def find(self, insee: str | None, postcode, commune_name: str | None, x: float, y: float) -> str | None:
        if insee:
            code = str(insee).strip().zfill(5)
            if code in self.cog:
                self._count("INSEE code of the file")
                return to_current_code(code, self.cog)
        if postcode and commune_name:
            dep = str(postcode).strip().zfill(5)[:2]
            name = fold(commune_name)
            name = re.sub(r"\bst\b", "saint", re.sub(r"\bste\b", "sainte", name))
            found = self.by_name.get((dep, name), set())
            if len(found) == 1:
                self._count("postcode and commune name")
                return next(iter(found))
        row = self.polygon_of(x, y)
        if row is not None:
            self._count("point in polygon")
            return row["commune_code"]
        return None

    def _count(self, method):
        self.method_counts[method] = self.method_counts.get(method, 0) + 1


def to_2154(lon: float, lat: float) -> tuple[float, float]:
    from pyproj import Transformer
    global _TRANSFORMER
    try:
        t = _TRANSFORMER
    except NameError:
        t = _TRANSFORMER = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
    return t.transform(lon, lat)


def read_france_services(finder: CommuneFinder) -> list[Place]:
    out = []
    for r in read_csv(RAW / "anct-france-services/liste-fs-20240801_dep26-05-04-84.csv"):
        x, y = to_2154(float(r["longitude"]), float(r["latitude"]))
        p = Place("anct-fs-2024", r["id_fs"], r["lib_fs"], finder.find(r["insee_com"], None, None, x, y), x, y,
                  {"france_services"}, [f"type={r['type_fs']}", f"format={r['format_fs']}"])
        p.mobile = r["format_fs"].startswith("Bus") or is_mobile(r["lib_fs"])
        out.append(p)
    return out


HINAURA_TYPES = {"Espace Public Numérique": "espace_numerique", "Cyberbase / Cybercentre": "espace_numerique",
                 "BIJ/PIJ (Information Jeunesse)": "information_jeunesse", "Maison France Services": "france_services",
                 "Médiathèque": "library", "Centre socio-culturel": "social_centre",
                 "Structure associative de quartier": "association"}
HINAURA_TIERS_LIEUX = {"Tiers-Lieux": "tiers_lieu", "Espace de coworking": "coworking", "Fablab / Hackerspace": "fablab"}


def read_hinaura(finder: CommuneFinder) -> list[Place]:
    path = RAW / "hinaura-aura-mediation-numerique/hinaura_lieux-mediation-numerique_AURA_2023-02_dep26.json"
    out = []
    for i, r in enumerate(json.loads(path.read_text(encoding="utf-8"))):
        types = [t.strip().strip('"').strip() for t in r["Type de lieu"].split(",")]
        name = r["Nom du lieu ou de la structure *"].strip()
        x, y = to_2154(float(r["bf_longitude"]), float(r["bf_latitude"]))
        p = Place("hinaura-2023", f"row{i + 1}", name,
                  finder.find(None, r["Code postal"], r["Ville *"], x, y), x, y)
        p.services = {HINAURA_TYPES[t] for t in types if t in HINAURA_TYPES} | services_from_name(name)
        if r["Accueille un ou des Conseillers Numériques France Services"] == "Oui":
            p.services.add("conseiller_numerique")
        p.tiers_lieu = next((HINAURA_TIERS_LIEUX[t] for t in types if t in HINAURA_TIERS_LIEUX), None)
        p.mobile = is_mobile(name)
        p.at_town_hall = "mairie" in p.services
        out.append(p)
    return out


REGIONSUD_TYPES = {"Bibliothèque / Médiathèque": {"library"}, "Maison de Service au Public (MSAP)": {"france_services"},
                   "Centre social": {"social_centre"}, "Association": {"association"},
                   "Espace Public Numérique (EPN)": {"espace_numerique"},
                   "Espace Public Numérique (EPN) / Coworking": {"espace_numerique"},
                   "Centre social / Coworking": {"social_centre"},
                   "Centre aéré / Point Information Jeunes": {"information_jeunesse"},
                   "La Poste": {"bureau_de_poste"}, "Commune": {"mairie"}}


def read_regionsud(finder: CommuneFinder) -> list[Place]:
    path = RAW / "regionsud-lieux-inclusion-numerique-2022/regionsud_lieux-inclusion-numerique-2022_v2_dep04-05-84.json"
    out = []
    for i, r in enumerate(json.loads(path.read_text(encoding="utf-8"))):
        x, y = to_2154(float(r["longitude"]), float(r["latitude"]))
        name = r["nom"].strip()
        p = Place("regionsud-2022", f"row{i + 1}", name,
                  finder.find(r["adresse_code_insee"], r["adresse_code_postal"], r["adresse_commune"], x, y), x, y)
        p.services = set(REGIONSUD_TYPES.get(r["type_lieu"], set())) | services_from_name(name)
        labels = {fold(lab) for lab in r["labels"].split(",")}
        if labels & {"france services", "france service"}:
            p.services.add("france_services")
        t = r["type_lieu"]
        if "Coworking" in t:
            p.tiers_lieu = "coworking" if t != "Tiers-lieu / Coworking / FabLab / Hackerspace" else "tiers_lieu"
        elif "fabrique de territoire" in labels:  # the ANCT label of tiers-lieux ("Fabriques de territoire")
            p.tiers_lieu = "tiers_lieu"
        p.mobile = r["itinerant"] == "Oui" or is_mobile(name)
        p.at_town_hall = "mairie" in p.services
        out.append(p)
    return out


def read_hub_du_sud(finder: CommuneFinder) -> list[Place]:
    path = RAW / "cartonat-hub-du-sud-2023/hub-du-sud_lieux-mediation-numerique_20230516_dep04-05-84.json"
    out = []
    for r in json.loads(path.read_text(encoding="utf-8")):
        if not r.get("latitude"):
            continue  # one 'dora' service offer without a place
        x, y = to_2154(float(r["longitude"]), float(r["latitude"]))
        name = r["nom"].strip()
        p = Place("hub-du-sud-2023", r["id"], name,
                  finder.find(r.get("code_insee"), r["code_postal"], r["commune"], x, y), x, y)
        p.services = services_from_name(name)
        if r["source"] == "france-services":
            p.services.add("france_services")
        elif r["source"] == "conseiller-numerique":
            p.services.add("conseiller_numerique")
        elif r["source"] == "france-tiers-lieux":
            p.tiers_lieu = "tiers_lieu"
        if "france services" in fold(r.get("labels_nationaux", "")):
            p.services.add("france_services")
        p.mobile = is_mobile(name)
        p.at_town_hall = "mairie" in p.services
        out.append(p)
    return out


def read_cnfs_2021(finder: CommuneFinder) -> list[Place]:
    path = RAW / "anct-cnfs-structures-2021/cnfs_structures-accueil_2021-05_dep26-05-04-84.json"
    out = []
    for r in json.loads(path.read_text(encoding="utf-8")):
        if "longitude" not in r:
            continue  # one structure without coordinates (Commune de Crest, 26108; outside the graph)
        x, y = to_2154(float(r["longitude"]), float(r["latitude"]))
        name = r["raison_sociale"].strip()
        p = Place("cnfs-2021", str(r["id"]), name, finder.find(r["insee_com"], None, None, x, y), x, y,
                  {"conseiller_numerique"} | services_from_name(name))
        # a structure is an organisation, not a place: only a commune's own is a place (its mairie)
        p.at_town_hall = "mairie" in p.services
        if p.at_town_hall:
            out.append(p)
    return out


def read_cnfs_2023(finder: CommuneFinder) -> list[Place]:
    path = RAW / "anct-cnfs-lieux-2023/cnfs_lieux-activite_2023-01_dep26-05-04-84.json"
    out = []
    for r in json.loads(path.read_text(encoding="utf-8")):
        x, y = to_2154(float(r["longitude"]), float(r["latitude"]))
        name = r["nom"].strip()
        p = Place("cnfs-2023", r["id"], name, finder.find(None, r["code_postal"], r["commune"], x, y), x, y,
                  {"conseiller_numerique"} | services_from_name(name))
        if "france services" in fold(r.get("labels_nationaux", "")):
            p.services.add("france_services")
        p.mobile = is_mobile(name)
        p.at_town_hall = "mairie" in p.services
        out.append(p)
    return out


def read_laposte(finder: CommuneFinder) -> tuple[list[Place], int, list[str]]:
    """Bureaux de poste are sites; agences postales communales/intercommunales are a service of the mairie;
    a relais poste is a counter in a private shop, not a public building: left out (counted). A point without
    coordinates is left out too (returned, by id and commune)."""
    out, relais, no_point = [], 0, []
    for r in read_csv(RAW / "laposte-points-contact-2020/laposte_poincont2_2020-12_dep26-05-04-84.csv", delimiter=";"):
        kind = r["Caractéristique_du_site"]
        if not r["Longitude"] or not r["Latitude"]:
            no_point.append(f"{r['#Identifiant_du_site']} ({r['Code_INSEE']})")
            continue
        x, y = to_2154(float(r["Longitude"]), float(r["Latitude"]))
        code = finder.find(r["Code_INSEE"], None, None, x, y)
        if kind == "Relais poste commerçant":
            relais += 1
            continue
        p = Place("laposte-2020", r["#Identifiant_du_site"], kind, code, x, y)
        p.place_name = fold(r["Lieu_dit"] or re.sub(r" (AP|API|BP)$", "", r["Libellé_du_site"]))  # resolved to a former commune's name in main(), if it is one
        if kind == "Bureau de Poste":
            p.services = {"bureau_de_poste"}
        else:  # Agence postale communale / intercommunale
            p.services = {"agence_postale"}
            p.at_town_hall = True
        out.append(p)
    return out, relais, no_point


# ------------------------------------------------------------------------------- one building, one site

def merge_places(places: list[Place], town_halls: dict[str, Place], commune_names: dict[str, list[str]],
                 several_fs: frozenset[str] = frozenset()) -> list[list[Place]]:
    """Groups the records that are one building (geodata/README.md, rule 8). Returns one list per building,
    a town-hall group first in its commune; `town_halls` holds one Place per commune (source 'town_hall').

    Within one commune, two records are the same building when
      (a) they were published within SAME_POINT_M of each other, or
      (b) both are a France services (France services, MSAP, RSP) and the commune has a single France services
          in the ANCT 2024 list (communes in `several_fs` have more: there, rules (a), (c) and (d) only), or
      (c) their name keys (name without articles and commune names) agree (equal, or the words of one all in
          the other) and are not empty, within SAME_NAME_M, or
      (d) one is a 'France services La Poste' and the other the commune's bureau de poste;
    and a service the mairie hosts (agence postale communale, 'Mairie de …', 'Commune de …') is part of the
    town-hall site when within AT_TOWN_HALL_M of the town-hall point, else a building of its own (e.g. the
    agence postale in the former mairie of a merged commune). Town-hall sites never merge by (a)-(c): a
    building near the mairie is not the mairie.
    """
    parent = list(range(len(places)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i, j):
        a, b = root(i), root(j)
        if a != b:
            parent[max(a, b)] = min(a, b)

    hosted = [p.at_town_hall and p.commune_code in town_halls and
              p.distance(town_halls[p.commune_code]) <= AT_TOWN_HALL_M for p in places]
    keys = [name_key(p.name, commune_names.get(p.commune_code, [])) for p in places]
    by_commune: dict[str, list[int]] = {}
    for i, p in enumerate(places):
        if not hosted[i]:
            by_commune.setdefault(p.commune_code, []).append(i)
    for members in by_commune.values():
        for a, i in enumerate(members):
            for j in members[a + 1:]:
                p, q = places[i], places[j]
                d = p.distance(q)
                fs = ("france_services" in p.services and "france_services" in q.services
                      and p.commune_code not in several_fs)
                same_name = d <= SAME_NAME_M and same_name_key(keys[i], keys[j])
                if d <= SAME_POINT_M or fs or same_name or in_post_office(p, q) or in_post_office(q, p):
                    union(i, j)
    groups: dict[tuple, list[Place]] = {}
    for i, p in enumerate(places):
        key = ("town_hall", p.commune_code) if hosted[i] else ("building", p.commune_code, root(i))
        groups.setdefault(key, []).append(p)
    for code, th in town_halls.items():
        groups.setdefault(("town_hall", code), []).insert(0, th)
    return [groups[k] for k in sorted(groups, key=lambda k: (k[1], k[0] != "town_hall", k[2:]))]


def same_name_key(a: str, b: str) -> bool:
    """Name keys that agree: equal, or every word of one in the other ('mediatheque', 'mediatheque intercommunale')."""
    wa, wb = set(a.split()), set(b.split())
    return bool(wa and wb) and (wa <= wb or wb <= wa)


def in_post_office(fs: Place, post: Place) -> bool:
    """A 'France services La Poste' (EFS) is a counter of its commune's bureau de poste."""
    return "france_services" in fs.services and "la poste" in fold(fs.name) and "bureau_de_poste" in post.services


SOURCE_PRIORITY = ["town_hall", "anct-fs-2024", "hinaura-2023", "regionsud-2022", "hub-du-sud-2023", "cnfs-2023",
                   "cnfs-2021", "laposte-2020"]


def describe(group: list[Place], commune_name: str, of_commune: str) -> dict:
    """A merged group as one site: the most specific kind, the name of its best record of that kind (by
    SOURCE_PRIORITY), the union of the services, the sources; located at the town hall for a town-hall site,
    else at the record nearest to the others (the medoid; ties go to the best record), so that one
    mis-geocoded record does not move the site."""
    services = set().union(*(p.services for p in group))
    if group[0].source == "town_hall":  # a mairie stays a mairie, whatever services it hosts
        kind, best = "town_hall", group[0]
    else:
        kinds = {p.kind() for p in group}
        kind = next(k for k in KINDS if k in kinds)
        best = min((p for p in group if p.kind() == kind), key=lambda p: (SOURCE_PRIORITY.index(p.source), p.source_id))
    rank = {id(p): (SOURCE_PRIORITY.index(p.source), p.source_id) for p in group}
    where = group[0] if group[0].source == "town_hall" else min(
        group, key=lambda p: (round(sum(p.distance(q) for q in group), 3), p is not best, rank[id(p)]))
    if best.source == "laposte-2020":
        name = display_post_name(best, commune_name, of_commune)
    else:
        name = best.name + ('"' if best.name.count('"') % 2 else "")  # close a quote the file left open
        if not commune_words(commune_name) & set(fold(name).split()) and best.source != "town_hall":
            name = f"{name} ({commune_name})"
    others = sorted({p.name if p.source != "laposte-2020" else display_post_name(p, commune_name, of_commune)
                     for p in group} - {name, best.name})
    attributes = sorted({a for p in group for a in p.attributes})
    return {"kind": kind, "name": name, "services": ";".join(sorted(services) + attributes),
            "sources": ";".join(sorted({p.source for p in group if p.source != "town_hall"} |
                                       ({"ign-chflieu-2023"} if group[0].source == "town_hall" else set()))),
            "source_records": ";".join(sorted(f"{p.source}:{p.source_id}" for p in group if p.source != "town_hall")),
            "other_names": "; ".join(others), "x": where.x, "y": where.y, "location_note": location_note(where)}


def location_note(p: Place) -> str | None:
    if p.relocated_m is None:
        return None
    return (f"at the town hall: the point published by {p.source} lies {p.relocated_m:,.0f} m outside the commune"
            .replace(",", " "))


def display_post_name(p: Place, commune_name: str, of_commune: str) -> str:
    label = {"Bureau de Poste": "Bureau de poste", "Agence postale communale": "Agence postale communale",
             "Agence postale intercommunale": "Agence postale intercommunale"}[p.name]
    locality = p.place_name
    if locality and fold(locality) != fold(commune_name):
        return f"{label} {of_name(locality)} ({commune_name})"
    return f"{label} {of_commune}"


# ------------------------------------------------------------------------------------------- the build

def read_polygons(cog):
    """Commune polygons: the COG 2018 ones (with `nom` and their 2026 `commune_code`), and the COG 2026 communes
    they dissolve into (MultiPolygon), both in EPSG:2154 and sorted by code."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    frames = [gpd.read_file(RAW / f"france-geojson/communes-{d}.geojson") for d in DEPS]
    polys2018 = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry",
                                 crs=frames[0].crs).to_crs(CRS)
    polys2018["geometry"] = shapely.make_valid(polys2018.geometry.values)
    polys2018["commune_code"] = [to_current_code(c, cog) for c in polys2018["code"]]
    polys2018 = polys2018.sort_values("code").reset_index(drop=True)
    merged = polys2018.dissolve(by="commune_code", as_index=False)[["commune_code", "geometry"]]
    merged["geometry"] = [shapely.geometry.MultiPolygon(list(g.geoms)) if g.geom_type == "MultiPolygon"
                          else shapely.geometry.MultiPolygon([g]) for g in merged.geometry]
    return polys2018[["code", "nom", "commune_code", "geometry"]], merged.sort_values("commune_code").reset_index(drop=True)


def main() -> None:
    import geopandas as gpd
    import pandas as pd
    import shapely
    from shapely.geometry import Point, Polygon

    os.environ.setdefault("OGR_CURRENT_DATE", "2025-11-28T00:00:00Z")  # pinned timestamps: a byte-identical file
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--area", choices=["baronnies", "departements"], default="baronnies",
                    help="baronnies: the park (default territory); departements: every commune of 26, 05, 04, 84")
    ap.add_argument("--out", help="default: geodata/baronnies.gpkg or geodata/departements-26-05-04-84.gpkg")
    args = ap.parse_args()
    whole = args.area == "departements"
    out = Path(args.out) if args.out else Path(__file__).resolve().parent / (
        "departements-26-05-04-84.gpkg" if whole else "baronnies.gpkg")

    cog = read_cog2026()
    polys2018, polys = read_polygons(cog)

    # --- membership: the park's member communes (pnr-communes), the outline's holes, the villes-portes -------
    members: dict[str, list[str]] = {}
    villes_portes: dict[str, str] = {}
    for r in read_csv(RAW / "pnr-communes/pnr_baronnies_communes.csv"):
        code = r["insee_code_cog2026"]
        if r["membership"] in ("full", "partial"):
            members.setdefault(code, []).append(r["name_as_published"])
        elif r["membership"] == "ville-porte":
            villes_portes[code] = r["name_as_published"]
        else:
            fail(f"pnr-communes: unknown membership '{r['membership']}' for {code}")
    if len(members) != 97:
        fail(f"pnr-communes lists {len(members)} member communes, expected 97")
    known = set(polys["commune_code"])
    missing = sorted(set(members) - known)
    if missing:
        fail(f"member commune(s) {', '.join(missing)} of pnr-communes cannot be placed: no polygon in france-geojson")

    pnr = gpd.read_file(RAW / "pnr-perimetre/pnr_baronnies_provencales_FR8000052.geojson").to_crs(CRS)
    if len(pnr) != 1:
        fail("the PNR perimeter file must hold exactly one feature")
    pnr_geom = pnr.geometry.iloc[0]
    outer = Polygon(pnr_geom.exterior)
    inside_outer = dict(zip(polys["commune_code"], polys.geometry.representative_point().within(outer)))

    def membership(code: str) -> str:
        if code in members:
            return "member"
        if code in villes_portes:
            return "ville_porte"
        return "enclave" if inside_outer[code] else "neighbour"

    if whole:
        # every commune of the four départements; no neighbour: the raw extracts stop at their borders
        study = set(polys["commune_code"])
        polys["in_territory"] = True
        communes = polys.copy()
    else:
        study = set(members) | {REMUZAT}
        polys["in_territory"] = polys["commune_code"].isin(study)
        study_area = shapely.union_all(polys.loc[polys["in_territory"]].geometry.values)
        near = polys.geometry.intersects(study_area.buffer(NEIGHBOUR_BUFFER_M))
        communes = polys[polys["in_territory"] | near | polys["commune_code"].isin(villes_portes)].copy()
    communes = communes.reset_index(drop=True)
    communes["membership"] = [membership(c) for c in communes["commune_code"]]
    communes["in_territory_reason"] = [
        f"commune of the département {cog[c]['departement']} (the four départements 26, 05, 04, 84)" if whole else
        "member of the park (pnr-communes)" if c in members else
        "seed study pilot structure (AVENTIC Rémuzat); not a member of the park" if c == REMUZAT else None
        for c in communes["commune_code"]]

    # --- attributes -------------------------------------------------------------------------------------
    communes["name"] = [cog[c]["nom"] for c in communes["commune_code"]]
    communes["population"] = [int(cog[c]["population"]) for c in communes["commune_code"]]
    communes["population_vintage"] = "INSEE populations légales, COG 2026"

    active: dict[str, dict[str, int]] = {}
    for r in read_csv(RAW / "datasfun-communes-insee/communes_dep26-05-04-84.csv"):
        if r["commune_type"] != "COM" or not r["pop_15_64_active_2021"] or r["insee_com"] not in cog:
            continue
        # one value per 2024 code (the file repeats a commune once per postcode), summed per 2026 commune
        active.setdefault(to_current_code(r["insee_com"], cog), {})[r["insee_com"]] = int(float(r["pop_15_64_active_2021"]))
    communes["active_population"] = [sum(active[c].values()) if c in active else None
                                     for c in communes["commune_code"]]

    cf = {r["code_insee"]: r for r in read_csv(RAW / "communes-france-2025/communes-france-2025_dep04-05-26-84.csv")}

    def cf_get(code, key, conv=str):
        r = cf.get(code)
        v = r[key] if r else ""
        return conv(v) if v not in ("", None) else None
    communes["epci_code"] = [cf_get(c, "epci_code") for c in communes["commune_code"]]
    communes["epci_name"] = [cf_get(c, "epci_nom") for c in communes["commune_code"]]
    communes["employment_zone"] = [cf_get(c, "zone_emploi") for c in communes["commune_code"]]
    communes["density_grid"] = [cf_get(c, "grille_densite", lambda v: int(float(v))) for c in communes["commune_code"]]
    communes["equipment_level"] = [cf_get(c, "niveau_equipements_services", lambda v: int(float(v)))
                                   for c in communes["commune_code"]]

    aav = {r["CODGEO"]: r for r in read_csv(RAW / "insee-aav2020/aav2020_composition_communale_geo2025_dep26-05-04-84.csv",
                                             delimiter=";", skip=5)}
    communes["aav2020_code"] = [aav[c]["AAV2020"] if c in aav else None for c in communes["commune_code"]]
    communes["aav2020_name"] = [aav[c]["LIBAAV2020"] if c in aav else None for c in communes["commune_code"]]
    communes["aav2020_category"] = [int(aav[c]["CATEAAV2020"]) if c in aav else None for c in communes["commune_code"]]
    communes["is_attraction_pole"] = [aav.get(c, {}).get("CATEAAV2020") in ("11", "12", "13")
                                      for c in communes["commune_code"]]

    # ARCEP 2018 rows use 2018 codes: counts are summed over the 2018 communes of each 2026 commune,
    # flags are taken from the 2018 commune that carries the 2026 code (its chef-lieu)
    arcep_rows = read_csv(RAW / "arcep-observatoire-ftth-2018/communes_logements_etablissements_2018_dep26-05-04-84.csv",
                          skip=4)
    arcep_flag = {r["Code commune"]: r for r in arcep_rows}
    arcep_sum: dict[str, dict[str, float]] = {}
    for r in arcep_rows:
        if r["Code commune"] not in cog:
            continue
        acc = arcep_sum.setdefault(to_current_code(r["Code commune"], cog), {})
        for key in ("Logements", "Établissements"):
            v = num(r[key])
            if v is not None:
                acc[key] = acc.get(key, 0.0) + v

    def info(code, key):
        return arcep_sum.get(code, {}).get(key)

    def flag(code, key):
        r = arcep_flag.get(code)
        return r is not None and num(r[key]) == 1
    communes["establishments_2018"] = [info(c, "Établissements") for c in communes["commune_code"]]
    communes["is_rural"] = [flag(c, "Commune rurale") for c in communes["commune_code"]]
    communes["is_mountain"] = [flag(c, "Commune de montagne") for c in communes["commune_code"]]
    columns = ["commune_code", "name", "population", "population_vintage", "active_population", "in_territory",
               "in_territory_reason", "membership", "epci_code", "epci_name", "employment_zone", "density_grid",
               "equipment_level", "aav2020_code", "aav2020_name", "aav2020_category", "is_attraction_pole",
               "establishments_2018", "is_rural", "is_mountain", "geometry"]
    communes = communes[columns]
    names = dict(zip(communes["commune_code"], communes["name"]))
    graph_codes = set(names)

    # --- town halls: IGN chef-lieu 2023, else communes-france-2025 mairie point ----------------------------
    chf = gpd.read_file(RAW / "ign-adminexpress-chflieu-2023/chflieu_commune_dep26-05-04-84_DERIVED-insee.geojson")
    chf_by_code = dict(zip(chf["insee_2018_polygon"], chf.to_crs(CRS).geometry))
    th_rows = []
    for code, name in zip(communes["commune_code"], communes["name"]):
        if code in chf_by_code:
            th_rows.append((code, name, chf_by_code[code], "IGN ADMIN EXPRESS chef-lieu 2023"))
        elif code in cf and cf[code]["latitude_mairie"]:
            r = cf[code]
            th_rows.append((code, name, Point(*to_2154(float(r["longitude_mairie"]), float(r["latitude_mairie"]))),
                            "communes-france-2025 latitude/longitude_mairie"))
        else:
            fail(f"no town-hall point for commune {code} {name}")
    town_halls = gpd.GeoDataFrame(th_rows, columns=["commune_code", "name", "geometry", "source"], crs=CRS)

    # --- candidate buildings and existing tiers-lieux ------------------------------------------------------
    finder = CommuneFinder(cog, polys2018)
    laposte, n_relais, post_no_point = read_laposte(finder)
    places = (read_france_services(finder) + read_hinaura(finder) + read_regionsud(finder) + read_hub_du_sud(finder)
              + read_cnfs_2021(finder) + read_cnfs_2023(finder) + laposte)
    # a La Poste point in a former commune of a merged one (its Lieu_dit) is named after it: the park's list
    # spells the former communes of its members (Châteauneuf-de-Chabre, Montmorin…)
    former = {(r["insee_code_cog2026"], fold(r["name_as_published"])): r["name_as_published"]
              for r in read_csv(RAW / "pnr-communes/pnr_baronnies_communes.csv")}
    for p in places:
        if p.source == "laposte-2020":
            # else the Lieu_dit as written, in title case (MONTMORIN -> Montmorin)
            p.place_name = former.get((p.commune_code, p.place_name),
                                      "-".join(w.capitalize() for w in p.place_name.split()) or None)
    # a record outside the four départements' polygons (e.g. a Var place filed under Vaucluse) is far from the
    # park: left out, listed in the build's output
    unplaced = [p for p in places if p.commune_code is None]
    places = [p for p in places if p.commune_code is not None]
    # a point published far outside the commune its file names (a geocoding slip: the Trescléoux library, "chemin
    # neuf - mairie", was put 1.9 km inside Méreuil) stands at that commune's town hall instead, with a note
    commune_geom = dict(zip(polys["commune_code"], polys.geometry))
    hall_point = {code: geom for code, _, geom, _ in th_rows}
    for p in places:
        if p.commune_code in hall_point:
            outside = commune_geom[p.commune_code].distance(Point(p.x, p.y))
            if outside > OUTSIDE_COMMUNE_M:
                p.relocated_m = outside
                p.x, p.y = hall_point[p.commune_code].x, hall_point[p.commune_code].y

    # the park's file must have every La Poste point of its study area; in the four départements the points
    # without coordinates are left out and listed (a counter cannot be placed)
    if not whole and any(to_current_code(c.split("(")[1][:5], cog) in study for c in post_no_point):
        fail(f"a La Poste point of the study area has no coordinates: {post_no_point}")
    in_study = [p for p in places if p.commune_code in study]
    mobile = [p for p in in_study if p.mobile]
    fs_per_commune: dict[str, list[str]] = {}
    for p in in_study:
        if p.source == "anct-fs-2024" and not p.mobile:
            fs_per_commune.setdefault(p.commune_code, []).append(p.source_id)
    several_fs = frozenset(code for code, ids in fs_per_commune.items() if len(ids) > 1)

    commune_name_variants = {c: [names[c]] + [p_row for p_row in polys2018.loc[polys2018["commune_code"] == c, "nom"]]
                             for c in study}
    th_places = {}
    for code, name, geom, _ in th_rows:
        if code in study:
            th_places[code] = Place("town_hall", code, f"Mairie {cf[code]['nom_de'] if code in cf and cf[code]['nom_de'] else of_name(name)}",
                                    code, geom.x, geom.y, {"mairie"})
    candidates = [p for p in in_study if not p.mobile and p.tiers_lieu is None]
    groups = merge_places(candidates, th_places, commune_name_variants, several_fs)
    site_rows = []
    used_ids: set[str] = set()
    for group in groups:
        code = group[0].commune_code
        d = describe(group, names[code], (cf[code]["nom_de"] if code in cf and cf[code]["nom_de"] else of_name(names[code])))
        fs = sorted(p.source_id for p in group if p.source == "anct-fs-2024")
        if group[0].source == "town_hall":
            site_id = f"mairie-{code}"
        elif fs:
            site_id = f"fs-{fs[0]}"
        else:
            base = f"{ID_PREFIX[d['kind']]}-{code}"
            site_id, n = base, 1
            while site_id in used_ids:
                n += 1
                site_id = f"{base}-{n}"
        used_ids.add(site_id)
        site_rows.append({"site_id": site_id, "name": d["name"], "kind": d["kind"], "commune_code": code,
                          "services": d["services"], "sources": d["sources"], "source_records": d["source_records"],
                          "other_names": d["other_names"] or None, "location_note": d["location_note"],
                          "geometry": Point(d["x"], d["y"])})
    sites = gpd.GeoDataFrame(site_rows, geometry="geometry", crs=CRS).sort_values("site_id").reset_index(drop=True)

    # existing tiers-lieux: every record typed tiers-lieu / coworking / fablab in a commune of the graph
    tl_records = [p for p in places if p.tiers_lieu is not None and not p.mobile]
    tl_in = [p for p in tl_records if p.commune_code in graph_codes]
    tl_groups = merge_places(tl_in, {}, {c: [names[c]] for c in graph_codes})
    tl_rows = []
    used_ids = set()
    for group in tl_groups:
        code = group[0].commune_code
        best = min(group, key=lambda p: (SOURCE_PRIORITY.index(p.source), p.source_id))
        base = f"tl-{code}"
        tl_id, n = base, 1
        while tl_id in used_ids:
            n += 1
            tl_id = f"{base}-{n}"
        used_ids.add(tl_id)
        kinds = sorted({p.tiers_lieu for p in group})
        tl_rows.append({"id": tl_id, "name": best.name, "kind": ";".join(kinds), "commune_code": code,
                        "commune_name": names[code],
                        "sources": ";".join(sorted({p.source for p in group})),
                        "source_records": ";".join(sorted(f"{p.source}:{p.source_id}" for p in group)),
                        "other_names": "; ".join(sorted({p.name for p in group} - {best.name})) or None,
                        "vintage": "; ".join(VINTAGE[s] for s in sorted({p.source for p in group})),
                        "location_note": location_note(best), "geometry": Point(best.x, best.y)})
    existing = gpd.GeoDataFrame(tl_rows, geometry="geometry", crs=CRS).sort_values("id").reset_index(drop=True)

    # --- broadband: ARCEP "Ma connexion internet" 2024, COG 2025 -> 2026 ---------------------------------
    techs = ["fibre", "cable", "dsl", "thd_radio", "4g_fixe", "hd_radio", "satellite"]
    bb: dict[str, dict[str, float]] = {}
    for r in read_csv(RAW / "arcep-mci-techno-commune-2024/fibre_data_techno_internet_com_2024_dep04-05-26-84.csv"):
        acc = bb.setdefault(to_current_code(r["code_insee"], cog), {})
        acc["nb_locaux"] = acc.get("nb_locaux", 0.0) + num(r["nb_locaux"])
        for t in techs:
            acc[t] = acc.get(t, 0.0) + (num(r[f"nb_locaux_{t}"]) or 0.0)  # an empty count is 0 (SOURCES.md)
    ftth2018 = {}
    for r in read_csv(RAW / "arcep-observatoire-ftth-2018/ftth_communes_T3-2017_T1-2018_dep26-05-04-84.csv", skip=4):
        if r["Champ"] == "Locaux Raccordables" and r["Code commune"] in cog:
            cur = to_current_code(r["Code commune"], cog)
            ftth2018[cur] = ftth2018.get(cur, 0.0) + num(r["T1 2018"])
    out_name = {"fibre": "ftth", "4g_fixe": "fixed_4g"}
    bb_rows = []
    no_bb = []
    for code in communes["commune_code"]:
        acc = bb.get(code)
        if not acc or not acc["nb_locaux"]:
            no_bb.append(code)
            continue
        row = {"commune_code": code, "ftth_share": acc["fibre"] / acc["nb_locaux"]}
        for t in techs[1:]:
            row[f"{out_name.get(t, t)}_share"] = acc[t] / acc["nb_locaux"]
        row["premises"] = int(acc["nb_locaux"])
        for t in techs:
            row[f"{out_name.get(t, t)}_premises"] = int(acc[t])
        housing = info(code, "Logements")
        row["ftth_share_2018"] = ftth2018.get(code, 0.0) / housing if housing else None
        row["vintage"] = VINTAGE["arcep-mci-2024"]
        bb_rows.append(row)
    in_study_without_bb = sorted(set(no_bb) & study)
    if in_study_without_bb:
        fail(f"no 2024 broadband figure for study-area commune(s) {', '.join(in_study_without_bb)}")
    broadband = pd.DataFrame(bb_rows)

    if whole:
        # one outline per département: the union of its communes' (simplified 2018) polygons
        dep_of = [cog[c]["departement"] for c in communes["commune_code"]]
        deps = sorted(set(dep_of))
        dep_names = {d["code"]: d["nom"] for d in json.loads(
            (RAW / "decoupage-administratif/departements.json").read_text(encoding="utf-8"))}
        outlines = [shapely.union_all(communes.geometry[[x == d for x in dep_of]].values) for d in deps]
        territory = gpd.GeoDataFrame({"name": [f"{dep_names[d]} ({d}) (approximate outline)" for d in deps],
                                      "code": deps, "approximate": [True] * len(deps)},
                                     geometry=outlines, crs=CRS)
    else:
        territory = gpd.GeoDataFrame({"name": ["Parc naturel régional des Baronnies provençales (approximate outline)"],
                                      "code": [pnr["DRGP_C_COD"].iloc[0]], "approximate": [True]},
                                     geometry=[pnr_geom], crs=CRS)

    tmp = out.with_name(out.stem + ".tmp.gpkg")
    if tmp.exists():
        tmp.unlink()
    # GeoPackage 1.2 so that older GDAL builds (Debian 12 has 3.6) read it without a warning
    territory.to_file(tmp, layer="territory", driver="GPKG", dataset_options={"VERSION": "1.2"})
    communes.to_file(tmp, layer="communes", driver="GPKG")
    town_halls.to_file(tmp, layer="town_halls", driver="GPKG")
    sites.to_file(tmp, layer="sites", driver="GPKG")
    existing.to_file(tmp, layer="existing_tiers_lieux", driver="GPKG")
    gpd.GeoDataFrame(broadband).to_file(tmp, layer="broadband", driver="GPKG")
    os.replace(tmp, out)

    # --- what was built ---------------------------------------------------------------------------------------
    n_terr = int(communes["in_territory"].sum())
    count = communes["membership"].value_counts()
    print(f"wrote {out}")
    if whole:
        per_dep = communes["commune_code"].map(lambda c: cog[c]["departement"]).value_counts().sort_index()
        print(f"  communes: {len(communes)}, all in the study area ({', '.join(f'{d}: {n}' for d, n in per_dep.items())}; "
              f"{count.get('member', 0)} members of the park; "
              f"{communes['epci_code'].nunique()} EPCI codes, {communes['epci_code'].isna().sum()} communes without)")
    else:
        print(f"  communes: {len(communes)} ({n_terr} in the study area = {len(members)} members + Rémuzat; "
              f"{len(communes) - n_terr} neighbours: {count.get('enclave', 0)} enclaves, "
              f"{count.get('ville_porte', 0)} villes-portes, {count.get('neighbour', 0) - 1} other within "
              f"{NEIGHBOUR_BUFFER_M / 1000:.0f} km)")
    print(f"  study-area population: {communes.loc[communes['in_territory'], 'population'].sum()}")
    print(f"  town_halls: {len(town_halls)} ({(town_halls['source'] != 'IGN ADMIN EXPRESS chef-lieu 2023').sum()} from "
          f"communes-france-2025)")
    kinds = sites["kind"].value_counts()
    print(f"  sites: {len(sites)} from {len(candidates)} records in the study area + {len(th_places)} town halls "
          f"({', '.join(f'{k} {kinds[k]}' for k in KINDS if k in kinds)})")
    print(f"    left out: {len(mobile)} mobile service(s) in the study area"
          f"{' (' + ', '.join(p.name for p in mobile) + ')' if mobile and not whole else ''} "
          f"({sum(p.mobile for p in places)} in the 4 départements), {n_relais} relais poste in shops "
          f"(4 départements), {len(post_no_point)} La Poste point(s) without coordinates "
          f"({', '.join(post_no_point)}; {'left out' if whole else 'none in the study area'})")
    print(f"    {len(unplaced)} record(s) outside the four départements left out: " +
          ", ".join(f"{p.source}:{p.source_id} {p.name}" for p in unplaced))
    print(f"    commune of each record from: " +
          ", ".join(f"{m} {n}" for m, n in sorted(finder.method_counts.items())))
    moved = sorted(f"{p.source}:{p.source_id} {p.name} ({p.relocated_m:.0f} m)" for p in candidates + tl_in
                   if p.relocated_m is not None)
    print(f"    {len(moved)} point(s) published > {OUTSIDE_COMMUNE_M:.0f} m outside their commune, placed at its town "
          f"hall: {', '.join(moved)}")
    if several_fs:
        print(f"    communes with several France services (rule 8(b) not applied there): {', '.join(sorted(several_fs))}")
    print(f"  existing_tiers_lieux: {len(existing)} in the graph's communes, from {len(tl_in)} records "
          f"({len(tl_records) - len(tl_in)} records outside the graph's communes left out)")
    print(f"  broadband rows: {len(broadband)}; study area: ftth_share from "
          f"{broadband.loc[broadband['commune_code'].isin(study), 'ftth_share'].min():.2f} to "
          f"{broadband.loc[broadband['commune_code'].isin(study), 'ftth_share'].max():.2f}, "
          f"{(broadband.loc[broadband['commune_code'].isin(study), 'ftth_share'] == 0).sum()} communes at 0")


VINTAGE = {"arcep-mci-2024": "ARCEP Ma connexion internet 2024 (quarter unverified), COG 2025 mapped to 2026",
           "anct-fs-2024": "ANCT France services 2024-08-01",
           "hinaura-2023": "Hinaura médiation numérique, records 2021-12..2022-09 (file 2023-02)",
           "regionsud-2022": "Région Sud lieux d'inclusion numérique 2022",
           "hub-du-sud-2023": "Cartographie nationale, Hub du Sud 2023-05-16",
           "cnfs-2021": "ANCT conseillers numériques, structures 2021-05",
           "cnfs-2023": "ANCT conseillers numériques, lieux d'activité 2023-01",
           "laposte-2020": "La Poste points de contact 2020-12"}


if __name__ == "__main__":
    main()
