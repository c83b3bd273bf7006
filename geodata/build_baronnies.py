#!/usr/bin/env python3
"""Rebuild geodata/baronnies.gpkg from the real raw files in geodata/raw/.

Deterministic: same inputs give the same layers, rows, order and values (the GeoPackage
timestamps are pinned with OGR_CURRENT_DATE). Run from the repository root:

    .venv/bin/python geodata/build_baronnies.py [--out geodata/baronnies.gpkg]

Every rule used here is documented in geodata/README.md ("How baronnies.gpkg is built").
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("OGR_CURRENT_DATE", "2025-11-28T00:00:00Z")

import geopandas as gpd  # noqa: E402
import pandas as pd  # noqa: E402
import shapely  # noqa: E402
from shapely.geometry import Point, Polygon  # noqa: E402

RAW = Path(__file__).resolve().parent / "raw"
CRS = "EPSG:2154"
NEIGHBOUR_BUFFER_M = 20_000.0
DEPS = ["26-drome", "05-hautes-alpes", "04-alpes-de-haute-provence", "84-vaucluse"]


def fail(msg: str) -> None:
    sys.exit(f"build_baronnies: {msg}")


def read_cog2026() -> dict[str, dict]:
    path = RAW / "decoupage-administratif/communes_dep26-05-04-84.json"
    out: dict[str, dict] = {}
    for c in json.loads(path.read_text(encoding="utf-8")):
        # a commune nouvelle and its commune déléguée of the same name share one code: keep the current one
        if c["code"] not in out or c["type"] == "commune-actuelle":
            out[c["code"]] = c
    # codes that disappeared in a merger without a commune déléguée are listed under "anciensCodes"
    for c in list(out.values()):
        for old in c.get("anciensCodes", []):
            out.setdefault(old, {"code": old, "type": "ancienne", "chefLieu": c["code"], "nom": c["nom"]})
    return out


def to_current_code(code: str, cog: dict[str, dict]) -> str:
    """COG 2018 code -> COG 2026 commune-actuelle code (merged communes go to their chef-lieu)."""
    c = cog.get(code)
    if c is None:
        fail(f"commune {code} of the 2018 polygons is unknown to COG 2026 ({RAW / 'decoupage-administratif'})")
    if c["type"] == "commune-actuelle":
        return code
    parent = c.get("chefLieu")
    if parent not in cog or cog[parent]["type"] != "commune-actuelle":
        fail(f"commune {code} ({c['type']}) has no current chef-lieu in COG 2026")
    return parent


def read_polygons(cog) -> gpd.GeoDataFrame:
    frames = [gpd.read_file(RAW / f"france-geojson/communes-{d}.geojson") for d in DEPS]
    polys = pd.concat(frames, ignore_index=True)
    polys = gpd.GeoDataFrame(polys, geometry="geometry", crs=frames[0].crs).to_crs(CRS)
    polys["geometry"] = shapely.make_valid(polys.geometry.values)
    polys["commune_code"] = [to_current_code(c, cog) for c in polys["code"]]
    # dissolve 2018 polygons of communes merged since then into their 2026 commune
    merged = polys.dissolve(by="commune_code", as_index=False)[["commune_code", "geometry"]]
    merged["geometry"] = [shapely.geometry.MultiPolygon(list(g.geoms)) if g.geom_type == "MultiPolygon"
                          else shapely.geometry.MultiPolygon([g]) for g in merged.geometry]
    return merged.sort_values("commune_code").reset_index(drop=True)


def read_territory() -> gpd.GeoDataFrame:
    pnr = gpd.read_file(RAW / "pnr-perimetre/pnr_baronnies_provencales_FR8000052.geojson").to_crs(CRS)
    if len(pnr) != 1:
        fail("the PNR perimeter file must hold exactly one feature")
    return pnr


def read_csv(path: Path, delimiter=",", skip=0) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        for _ in range(skip):
            next(f)
        return list(csv.DictReader(f, delimiter=delimiter))


def num(s: str) -> float | None:
    s = (s or "").replace("\u202f", "").replace("\xa0", "").replace(" ", "").strip()
    return None if s in ("", "-") else float(s)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "baronnies.gpkg"))
    args = ap.parse_args()

    cog = read_cog2026()
    polys = read_polygons(cog)
    pnr = read_territory()
    pnr_geom = pnr.geometry.iloc[0]
    outer = Polygon(pnr_geom.exterior)  # holes of the simplified outline are ignored (see README)

    pos = polys.geometry.representative_point()
    polys["in_territory"] = pos.within(outer)
    near = polys.geometry.intersects(outer.buffer(NEIGHBOUR_BUFFER_M))
    communes = polys[polys["in_territory"] | near].copy().reset_index(drop=True)

    # --- attributes -------------------------------------------------------------------------
    communes["name"] = [cog[c]["nom"] for c in communes["commune_code"]]
    communes["population"] = [int(cog[c]["population"]) for c in communes["commune_code"]]
    communes["population_vintage"] = "INSEE populations légales, COG 2026"

    # active population 15-64 (RP 2021), summed over the 2024 rows of each 2026 commune
    active: dict[str, int] = {}
    for r in read_csv(RAW / "datasfun-communes-insee/communes_dep26-05-04-84.csv"):
        if r["commune_type"] != "COM" or not r["pop_15_64_active_2021"]:
            continue
        code = r["insee_com"]
        if code not in cog:
            continue
        cur = to_current_code(code, cog)
        active.setdefault(cur, {})
        active[cur][code] = int(float(r["pop_15_64_active_2021"]))  # one value per code (postal-code dups)
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

    # --- town halls: IGN chef-lieu 2023, else communes-france-2025 mairie point ---------------
    chf = gpd.read_file(RAW / "ign-adminexpress-chflieu-2023/chflieu_commune_dep26-05-04-84_DERIVED-insee.geojson")
    chf = chf.to_crs(CRS)
    chf_by_code = {c: g for c, g in zip(chf["insee_2018_polygon"], chf.geometry)}
    th_rows = []
    for code, name in zip(communes["commune_code"], communes["name"]):
        if code in chf_by_code:
            th_rows.append((code, name, chf_by_code[code], "IGN ADMIN EXPRESS chef-lieu 2023"))
        elif code in cf and cf[code]["latitude_mairie"]:
            r = cf[code]
            p = gpd.GeoSeries([Point(float(r["longitude_mairie"]), float(r["latitude_mairie"]))], crs="EPSG:4326")
            th_rows.append((code, name, p.to_crs(CRS).iloc[0], "communes-france-2025 latitude/longitude_mairie"))
        else:
            fail(f"no town-hall point for commune {code} {name}")
    town_halls = gpd.GeoDataFrame(th_rows, columns=["commune_code", "name", "geometry", "source"], crs=CRS)

    # --- sites: every town hall of the territory + every France Services office ----------------
    terr_codes = set(communes.loc[communes["in_territory"], "commune_code"])
    site_rows = []
    for code, name, geom, _ in th_rows:
        if code in terr_codes:
            # "Mairie de Nyons", "Mairie d'Aubres": the elided form comes from communes-france-2025 (nom_de)
            of_name = cf[code]["nom_de"] if code in cf and cf[code]["nom_de"] else f"de {name}"
            site_rows.append((f"mairie-{code}", f"Mairie {of_name}", "town_hall", code, "mairie", geom))
    fs = read_csv(RAW / "anct-france-services/liste-fs-20240801_dep26-05-04-84.csv")
    fs_pts = gpd.GeoSeries([Point(float(r["longitude"]), float(r["latitude"])) for r in fs], crs="EPSG:4326").to_crs(CRS)
    for r, geom in zip(fs, fs_pts):
        code = to_current_code(r["insee_com"], cog) if r["insee_com"] in cog else r["insee_com"]
        if code in terr_codes:
            services = ";".join(s for s in ["france_services", f"type={r['type_fs']}", f"format={r['format_fs']}"] if s)
            site_rows.append((f"fs-{r['id_fs']}", r["lib_fs"], "france_services", code, services, geom))
    sites = gpd.GeoDataFrame(site_rows, columns=["site_id", "name", "kind", "commune_code", "services", "geometry"],
                             crs=CRS).sort_values("site_id").reset_index(drop=True)

    # --- broadband: ARCEP FttH observatoire, T1 2018 ----------------------------------------------
    ftth = {}
    for r in read_csv(RAW / "arcep-observatoire-ftth-2018/ftth_communes_T3-2017_T1-2018_dep26-05-04-84.csv", skip=4):
        if r["Champ"] == "Locaux Raccordables" and r["Code commune"] in cog:
            cur = to_current_code(r["Code commune"], cog)
            ftth[cur] = ftth.get(cur, 0.0) + num(r["T1 2018"])
    bb_rows = []
    for code in communes["commune_code"]:
        lr = ftth.get(code)
        housing = info(code, "Logements")
        if lr is None or not housing:
            continue  # no figure for this commune: no row (the loader refuses an empty ftth_share)
        share = lr / housing
        bb_rows.append((code, lr, housing, share, "ARCEP observatoire HD/THD, T1 2018"))
    broadband = pd.DataFrame(bb_rows, columns=["commune_code", "ftth_premises", "housing_units", "ftth_share", "vintage"])

    territory = gpd.GeoDataFrame({"name": ["Parc naturel régional des Baronnies provençales (approximate outline)"],
                                  "code": [pnr["DRGP_C_COD"].iloc[0]], "approximate": [True]},
                                 geometry=[pnr_geom], crs=CRS)

    out = Path(args.out)
    tmp = out.with_name(out.stem + ".tmp.gpkg")
    if tmp.exists():
        tmp.unlink()
    # GeoPackage 1.2 so that older GDAL builds (Debian 12 has 3.6) read it without a warning
    territory.to_file(tmp, layer="territory", driver="GPKG", dataset_options={"VERSION": "1.2"})
    communes.to_file(tmp, layer="communes", driver="GPKG")
    town_halls.to_file(tmp, layer="town_halls", driver="GPKG")
    sites.to_file(tmp, layer="sites", driver="GPKG")
    gpd.GeoDataFrame(broadband).to_file(tmp, layer="broadband", driver="GPKG")
    os.replace(tmp, out)

    n_terr = int(communes["in_territory"].sum())
    print(f"wrote {out}")
    print(f"  communes: {len(communes)} ({n_terr} in territory, {len(communes) - n_terr} neighbours within "
          f"{NEIGHBOUR_BUFFER_M / 1000:.0f} km)")
    print(f"  territory population: {communes.loc[communes['in_territory'], 'population'].sum()}")
    print(f"  town_halls: {len(town_halls)} ({(town_halls['source'] != 'IGN ADMIN EXPRESS chef-lieu 2023').sum()} from "
          f"communes-france-2025)")
    print(f"  sites: {len(sites)} ({(sites['kind'] == 'town_hall').sum()} town halls, "
          f"{(sites['kind'] == 'france_services').sum()} France Services)")
    print(f"  broadband rows: {len(broadband)}; ftth_premises > 0: {(broadband['ftth_premises'] > 0).sum()}")


if __name__ == "__main__":
    main()
