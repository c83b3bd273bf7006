"""The default territory (geodata/baronnies.gpkg) and the rules of geodata/build_baronnies.py that make it:
membership, 2024 broadband, candidate buildings merged into one site per building, existing tiers-lieux."""
from __future__ import annotations

import csv
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest

ROOT = Path(__file__).resolve().parents[2]
GEODATA = ROOT / "geodata"
GPKG = GEODATA / "baronnies.gpkg"


def _build_module():
    spec = importlib.util.spec_from_file_location("build_baronnies", GEODATA / "build_baronnies.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


bb = _build_module()


@pytest.fixture(scope="module")
def layers():
    return {name: gpd.read_file(GPKG, layer=name) for name, _ in pyogrio.list_layers(GPKG)}


# ----------------------------------------------------------------------------------- the merge rule

def place(source, sid, name, x, y, services=(), commune="26220", at_town_hall=False):
    return bb.Place(source, sid, name, commune, x, y, set(services), at_town_hall=at_town_hall)


def groups_of(places, town_halls=None, names=None):
    groups = bb.merge_places(places, town_halls or {}, names or {"26220": ["Nyons"], "26063": ["Buis-les-Baronnies"]})
    return sorted(sorted(f"{p.source}:{p.source_id}" for p in g) for g in groups)


def test_two_records_of_one_building_give_one_site():
    # the same point published by two files (5 m apart)
    assert groups_of([place("laposte-2020", "1", "Bureau de Poste", 0, 0, {"bureau_de_poste"}),
                      place("hinaura-2023", "2", "EFS", 3, 4)]) == [["hinaura-2023:2", "laposte-2020:1"]]
    # a France services published 1.5 km apart by two files under different names: one per commune (rule b)
    fs = [place("anct-fs-2024", "1", "France services de Nyons", 0, 0, {"france_services"}),
          place("regionsud-2022", "2", "Espace rural numérique", 1500, 0, {"france_services", "espace_numerique"})]
    assert len(groups_of(fs)) == 1
    fs[1].services.discard("france_services")
    assert len(groups_of(fs)) == 2  # without the France services on both, nothing else joins them
    # the same name once the commune's name is taken out, 500 m apart
    assert len(groups_of([place("hinaura-2023", "1", "Point Information Jeunesse Buis les Baronnies", 0, 0,
                                commune="26063"),
                          place("cnfs-2023", "2", "Point Information Jeunesse", 300, 400, commune="26063")])) == 1
    # a France services La Poste is a counter of the bureau de poste, wherever each file put it
    assert len(groups_of([place("anct-fs-2024", "1", "France services La Poste de Nyons", 1800, 0, {"france_services"}),
                          place("laposte-2020", "2", "Bureau de Poste", 0, 0, {"bureau_de_poste"})])) == 1


def test_two_buildings_in_one_commune_stay_two():
    # a library and a post office 60 m apart, different names
    assert len(groups_of([place("regionsud-2022", "1", "Médiathèque", 0, 0, {"library"}),
                          place("laposte-2020", "2", "Bureau de Poste", 60, 0, {"bureau_de_poste"})])) == 2
    # the same name in two communes is two buildings, even 1 m apart
    assert len(groups_of([place("regionsud-2022", "1", "Bibliothèque", 0, 0, {"library"}, commune="26220"),
                          place("regionsud-2022", "2", "Bibliothèque", 1, 0, {"library"}, commune="26063")])) == 2
    # the same name beyond SAME_NAME_M is two buildings
    far = bb.SAME_NAME_M + 1
    assert len(groups_of([place("hinaura-2023", "1", "Espace numérique", 0, 0),
                          place("cnfs-2023", "2", "Espace numérique", far, 0)])) == 2


def test_a_service_of_the_mairie_is_part_of_the_town_hall_site_only_when_near_it():
    hall = place("town_hall", "26220", "Mairie de Nyons", 0, 0, {"mairie"})
    apc_near = place("laposte-2020", "1", "Agence postale communale", bb.AT_TOWN_HALL_M - 1, 0, {"agence_postale"},
                     at_town_hall=True)
    apc_far = place("laposte-2020", "2", "Agence postale communale", 3000, 0, {"agence_postale"}, at_town_hall=True)
    groups = bb.merge_places([apc_near, apc_far], {"26220": hall}, {"26220": ["Nyons"]})
    assert [[p.source_id for p in g] for g in groups] == [["26220", "1"], ["2"]]
    # a building next to the mairie is not the mairie
    library = place("regionsud-2022", "3", "Médiathèque", 2, 0, {"library"})
    groups = bb.merge_places([library], {"26220": hall}, {"26220": ["Nyons"]})
    assert len(groups) == 2


def test_a_merged_site_takes_the_most_specific_kind_the_union_of_services_and_the_medoid_point():
    group = [place("anct-fs-2024", "9", "France services de Nyons", 1800, 0, {"france_services"}),
             place("hinaura-2023", "1", "Asoft", 0, 0, {"espace_numerique", "conseiller_numerique"}),
             place("laposte-2020", "2", "Bureau de Poste", 5, 0, {"bureau_de_poste"})]
    d = bb.describe(group, "Nyons", "de Nyons")
    assert d["kind"] == "france_services" and d["name"] == "France services de Nyons"
    assert d["services"] == "bureau_de_poste;conseiller_numerique;espace_numerique;france_services"
    assert (d["x"], d["y"]) == (5, 0)  # the record nearest to the others, not the mis-geocoded one
    assert d["sources"] == "anct-fs-2024;hinaura-2023;laposte-2020"


def test_kind_from_name_and_type():
    assert bb.services_from_name("Espace rural numérique") == {"espace_numerique"}
    assert bb.services_from_name("MSAP Hautes Baronnies") == {"france_services"}
    assert bb.services_from_name("Mairie de Séderon") == {"mairie"}
    assert place("cnfs-2023", "1", "Salle", 0, 0, {"conseiller_numerique"}).kind() == "espace_numerique"
    assert place("x", "1", "x", 0, 0, {"library", "information_jeunesse"}).kind() == "information_jeunesse"
    assert place("x", "1", "x", 0, 0, {"library", "social_centre"}).kind() == "social_centre"
    assert place("x", "1", "x", 0, 0, {"mairie", "library"}).kind() == "library"
    assert place("x", "1", "x", 0, 0, {"agence_postale"}).kind() == "post_office"
    assert bb.is_mobile("Bus France services Pays d’Apt Luberon") and bb.is_mobile("Maison France Service itinérante")
    assert not bb.is_mobile("Busset") and not bb.is_mobile("France services de Nyons")


def test_the_commune_of_a_record():
    cog = bb.read_cog2026()
    polys2018, _ = bb.read_polygons(cog)
    finder = bb.CommuneFinder(cog, polys2018)
    in_mereuil = bb.to_2154(5.708949, 44.38898)  # where Région Sud put the Trescléoux library
    # the file's INSEE code wins, then the postcode and commune name, then the polygon the point is in
    assert finder.find("05172", None, None, *in_mereuil) == "05172"
    assert finder.find(None, "05700", "TRESCLEOUX", *in_mereuil) == "05172"
    assert finder.find(None, None, None, *in_mereuil) == "05076"
    assert finder.find(None, "5700", "Trescléoux", *in_mereuil) == "05172"  # a postcode read as a number
    # an old code goes to its 2026 commune (Montmorin -> Valdoule), "St" is "Saint"
    assert finder.find("05088", None, None, *in_mereuil) == "05024"
    assert finder.find(None, "26170", "ST AUBAN SUR L OUVEZE", *in_mereuil) == "26292"
    assert finder.find(None, None, None, 0.0, 0.0) is None  # outside the four départements


# ------------------------------------------------------------------------------- the shipped territory

def test_membership_and_study_area(layers):
    communes = layers["communes"]
    with open(GEODATA / "raw/pnr-communes/pnr_baronnies_communes.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    members = {r["insee_code_cog2026"] for r in rows if r["membership"] in ("full", "partial")}
    portes = {r["insee_code_cog2026"] for r in rows if r["membership"] == "ville-porte"}
    assert len(members) == 97
    by_code = communes.set_index("commune_code")
    assert members <= set(by_code.index)  # every member is placed
    study = set(communes.loc[communes["in_territory"], "commune_code"])
    assert study == members | {"26264"}  # the 97 members + Rémuzat
    assert by_code.loc["26264", "membership"] == "neighbour"
    assert "pilot" in by_code.loc["26264", "in_territory_reason"]
    counts = communes["membership"].value_counts()
    assert counts["member"] == 97 and counts["enclave"] == 11 and counts["ville_porte"] == 7
    assert set(by_code.index[by_code["membership"] == "ville_porte"]) == portes
    enclaves = {"05086", "05094", "05129", "05169", "26018", "26091", "26103", "26150", "26181", "26306", "26372"}
    assert set(by_code.index[by_code["membership"] == "enclave"]) == enclaves
    assert not by_code.loc[sorted(enclaves | portes), "in_territory"].any()


def test_broadband_is_2024_and_varies(layers):
    bbd = layers["broadband"].set_index("commune_code")
    assert bbd.loc["26220", "ftth_share"] == pytest.approx(0.692, abs=0.001)  # Nyons 4110 / 5940
    assert bbd.loc["26063", "ftth_share"] == pytest.approx(0.423, abs=0.001)  # Buis
    assert bbd.loc["05070", "ftth_share"] == pytest.approx(0.885, abs=0.001)  # Laragne
    assert bbd.loc["26288", "ftth_share"] == 0 and bbd.loc["26264", "ftth_share"] == 0  # Sahune, Rémuzat
    assert bbd.loc["26220", "premises"] == 5940 and bbd.loc["26220", "ftth_premises"] == 4110
    assert "2024" in bbd.loc["26220", "vintage"] and "unverified" in bbd.loc["26220", "vintage"]
    assert (bbd["ftth_share_2018"].fillna(0) <= 1).all()
    # COG 2025 -> 2026: Véronne (26371) is counted in Saillans (26289)
    assert "26371" not in bbd.index


PILOTS = {  # seed study pilot structure -> (site_id, a word of its name or other names)
    "PIJ Buis-les-Baronnies": ("pij-26063", "Point Information Jeunesse"),
    "France services Serres": ("fs-577", "France services Serres"),
    "France services Laragne-Montéglin": ("fs-615", "France services Laragne"),
    "Asoft Nyons (La Vitrine, at the France services)": ("fs-2992", "Asoft"),
    "Asoft Nyons (Maison des Associations)": ("numerique-26220", "Asoft"),
    "AVENTIC Sahune": ("fs-1212", "AVENTIC Sahune"),
    "AVENTIC Rémuzat": ("fs-26264", "AVENTIC Remuzat"),
    "MSAP Hautes Baronnies (Séderon)": ("fs-1215", "MSAP Hautes Baronnies"),
    "Espace rural numérique de Valdoule": ("fs-823", "Espace rural numérique"),
}


def test_candidates_are_every_kind_of_public_building_with_the_pilots(layers):
    sites = layers["sites"].set_index("site_id")
    assert sites.index.is_unique
    kinds = sites["kind"].value_counts()
    assert len(kinds) >= 5 and {"town_hall", "france_services", "library", "post_office",
                                "information_jeunesse", "espace_numerique"} <= set(kinds.index)
    for pilot, (site_id, word) in PILOTS.items():
        assert site_id in sites.index, pilot
        text = f"{sites.loc[site_id, 'name']} {sites.loc[site_id, 'other_names'] or ''}"
        assert word in text, (pilot, text)
    study = set(layers["communes"].loc[layers["communes"]["in_territory"], "commune_code"])
    assert set(sites["commune_code"]) <= study
    assert (kinds["town_hall"] == len(study))  # one town hall per study-area commune
    # a service of the mairie is not a second site: Orpierre's agence postale and conseiller numérique
    orpierre = sites[sites["commune_code"] == "05097"]
    assert set(orpierre["kind"]) == {"town_hall", "library", "school"}
    assert "agence_postale" in sites.loc["mairie-05097", "services"]
    # a point published 1.9 km outside its commune stands at the town hall, and says so
    halls = layers["town_halls"].set_index("commune_code")
    assert sites.loc["library-05172", "geometry"].distance(halls.loc["05172", "geometry"]) == 0
    assert "1 874 m outside the commune" in sites.loc["library-05172", "location_note"]
    assert sites["location_note"].notna().sum() == 1
    # every default building-fit kind rationale covers the kinds found
    import tierslieux as tl
    assert set(kinds.index) <= set(tl.default_building_fit())


def test_existing_tiers_lieux_are_real_and_outside_the_study_area(layers):
    existing = layers["existing_tiers_lieux"]
    communes = set(layers["communes"]["commune_code"])
    study = set(layers["communes"].loc[layers["communes"]["in_territory"], "commune_code"])
    assert len(existing) >= 15 and existing["id"].is_unique
    assert set(existing["commune_code"]) <= communes and not set(existing["commune_code"]) & study
    assert {"Le Buffet de La Gare", "La Musardiere", "Le Lien26"} <= set(existing["name"])


def test_no_personal_data_in_the_geopackage(layers):
    for name, frame in layers.items():
        for column in frame.columns:
            assert not any(w in column.lower() for w in ("mail", "phone", "telephone", "courriel", "referent")), column
            if frame[column].dtype == object:
                text = frame[column].dropna().astype(str)
                assert not text.str.contains("@").any(), (name, column)
                assert not text.str.contains(r"\b0\d(?: ?\d\d){4}\b").any(), (name, column)


def test_rebuild_is_byte_identical(tmp_path):
    # with the pinned GDAL/pyogrio of requirements-dev.txt; after upgrading them, rebuild and commit the file
    out = tmp_path / "b.gpkg"
    env = {**os.environ, "OGR_CURRENT_DATE": "2025-11-28T00:00:00Z"}
    done = subprocess.run([sys.executable, str(GEODATA / "build_baronnies.py"), "--out", str(out)],
                          capture_output=True, text=True, env=env, check=True)
    assert "98 in the study area" in done.stdout
    assert out.read_bytes() == GPKG.read_bytes()


# ------------------------------------------------------------------------ the four départements (issue 13)

DEPARTEMENTS = GEODATA / "departements-26-05-04-84.gpkg"


@pytest.fixture(scope="module")
def dep_layers():
    return {name: gpd.read_file(DEPARTEMENTS, layer=name) for name, _ in pyogrio.list_layers(DEPARTEMENTS)}


def test_the_four_departements_hold_every_current_commune_in_the_study_area(dep_layers):
    import json

    cog = json.loads((GEODATA / "raw/decoupage-administratif/communes_dep26-05-04-84.json").read_text("utf-8"))
    current = {c["code"]: c["departement"] for c in cog if c["type"] == "commune-actuelle"}
    communes = dep_layers["communes"]
    assert sorted(communes["commune_code"]) == sorted(current) and communes["commune_code"].is_unique
    assert len(communes) == 873 and communes["in_territory"].all()
    assert communes["commune_code"].map(current).value_counts().to_dict() == {"26": 362, "04": 198, "05": 162, "84": 151}
    assert communes["epci_code"].notna().all() and communes["epci_code"].nunique() == 41
    assert communes["population"].sum() == sum(int(c["population"]) for c in cog if c["type"] == "commune-actuelle")
    assert (communes["membership"] == "member").sum() == 97  # the park's membership is kept
    # one town hall and one broadband row per commune; one outline per département
    for layer in ("town_halls", "broadband"):
        assert sorted(dep_layers[layer]["commune_code"]) == sorted(current), layer
    territory = dep_layers["territory"]
    assert territory["code"].tolist() == ["04", "05", "26", "84"]
    assert territory["name"].str.startswith(("Alpes-de-Haute-Provence", "Hautes-Alpes", "Drôme", "Vaucluse")).all()


def test_the_four_departements_apply_the_parks_rules_to_the_parks_communes(layers, dep_layers):
    """Same raw files, same rules: the park's sites and communes are identical in both files (columns and points)."""
    sites = dep_layers["sites"].set_index("site_id")
    park = layers["sites"].set_index("site_id")
    assert set(park.index) <= set(sites.index)
    both = sites.loc[park.index]
    for column in park.columns:
        if column == "geometry":
            assert both.geometry.geom_equals_exact(park.geometry, 0).all()
        else:
            assert both[column].fillna("").astype(str).tolist() == park[column].fillna("").astype(str).tolist(), column
    communes = dep_layers["communes"].set_index("commune_code").loc[layers["communes"]["commune_code"]]
    for column in ("population", "epci_code", "aav2020_code", "membership", "active_population"):
        assert communes[column].fillna(-1).tolist() == layers["communes"][column].fillna(-1).tolist(), column
    # every commune has its town-hall site; every site's commune is in the file
    assert {f"mairie-{c}" for c in dep_layers["communes"]["commune_code"]} <= set(sites.index)
    assert set(sites["commune_code"]) <= set(dep_layers["communes"]["commune_code"])
    assert sites.index.is_unique and len(sites) == 1685


def test_rule_b_is_not_applied_where_a_commune_has_several_france_services():
    a = place("anct-fs-2024", "1", "France services Le Pontet centre", 0, 0, {"france_services"}, commune="84089")
    b = place("anct-fs-2024", "2", "France services Le Pontet quartier", 3000, 0, {"france_services"}, commune="84089")
    names = {"84089": ["Le Pontet"]}
    assert len(bb.merge_places([a, b], {}, names)) == 1  # one France services per commune: one building
    assert len(bb.merge_places([a, b], {}, names, frozenset({"84089"}))) == 2


def test_departements_rebuild_is_byte_identical(tmp_path):
    out = tmp_path / "d.gpkg"
    env = {**os.environ, "OGR_CURRENT_DATE": "2025-11-28T00:00:00Z"}
    done = subprocess.run([sys.executable, str(GEODATA / "build_baronnies.py"), "--area", "departements",
                           "--out", str(out)], capture_output=True, text=True, env=env, check=True)
    assert "873, all in the study area" in done.stdout
    assert out.read_bytes() == DEPARTEMENTS.read_bytes()
