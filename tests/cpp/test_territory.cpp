// territory.hpp: loading and validating a territory GeoPackage, and writing it back as layers.

#include <cmath>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include <tierslieux/errors.hpp>
#include <tierslieux/territory.hpp>

#include "support.hpp"
#include "tiny_territory.hpp"

using namespace tierslieux;
using tierslieux::test::any_contains_all;
using tierslieux::test::column;
using tierslieux::test::contains_all;
using tierslieux::test::hall_km;
using tierslieux::test::layer;
using tierslieux::test::point_wkb;
using tierslieux::test::message_of;
using tierslieux::test::TempDir;
using tierslieux::test::tiny_territory_layers;

TEST(Territory, LoadsTheTinyTerritory) {
    TempDir dir;
    const std::string path = dir.file("tiny.gpkg");
    write_gpkg(path, tiny_territory_layers());
    const Territory t = load_territory(path);

    EXPECT_EQ(t.path, path);
    EXPECT_EQ(t.crs, "EPSG:2154");
    EXPECT_TRUE(t.warnings.empty());

    // communes sorted by code, codes kept as text
    ASSERT_EQ(t.communes.size(), 5u);
    const std::vector<std::string> codes{"05001", "05002", "05003", "05004", "05005"};
    const std::vector<std::string> names{"Alpha", "Bravo", "Charlie", "Delta", "Echo"};
    const std::vector<double> population{100, 200, 400, 800, 1600};
    const std::vector<double> hall_x_km{0, 10, 20, 30, 100};
    for (std::size_t i = 0; i < 5; ++i) {
        const Commune& c = t.communes[i];
        EXPECT_EQ(c.commune_code, codes[i]);
        EXPECT_EQ(c.name, names[i]);
        EXPECT_EQ(c.population, population[i]);
        EXPECT_EQ(c.in_territory, i < 4) << c.commune_code;
        EXPECT_EQ(c.geometry.type_name(), "Polygon");
        EXPECT_EQ(c.town_hall.x_m, hall_km(hall_x_km[i]).x_m);
        EXPECT_EQ(c.town_hall.y_m, hall_km(hall_x_km[i]).y_m);
        EXPECT_EQ(c.fid, static_cast<std::int64_t>(5 - i)) << "written in reverse order, fids from 1";
    }
    EXPECT_TRUE(t.communes[0].has_active_population);
    EXPECT_EQ(t.communes[0].active_population, 50.0);
    EXPECT_FALSE(t.communes[4].has_active_population);

    EXPECT_EQ(t.commune_index("05003"), 2u);
    EXPECT_EQ(t.find_commune("05003"), std::optional<std::size_t>{2});
    EXPECT_FALSE(t.find_commune("99999").has_value());
    EXPECT_TRUE(contains_all(message_of<not_found>([&] { t.commune_index("99999"); }), {"99999"}));

    // sites sorted by id
    ASSERT_EQ(t.sites.size(), 3u);
    EXPECT_EQ(t.sites[0].site_id, "s1");
    EXPECT_EQ(t.sites[1].site_id, "s2");
    EXPECT_EQ(t.sites[2].site_id, "s3");
    EXPECT_EQ(t.sites[0].commune_code, "05001");
    EXPECT_EQ(t.sites[0].kind, "third_place");
    EXPECT_EQ(t.sites[0].name, "Tiers-lieu d'Alpha");
    EXPECT_EQ(t.sites[0].services, "coworking;fablab");
    EXPECT_EQ(t.sites[0].location.x_m, hall_km(0).x_m + 1000.0);
    EXPECT_EQ(t.sites[1].location.y_m, hall_km(20).y_m + 4000.0);

    ASSERT_EQ(t.broadband.size(), 3u);
    EXPECT_EQ(t.broadband[1].commune_code, "05002");
    EXPECT_EQ(t.broadband[1].ftth_share, 0.8);
    EXPECT_EQ(t.broadband[1].ftth_premises, 160.0);
    EXPECT_EQ(t.broadband[1].vintage, "2024T4");
}

TEST(Territory, ReprojectsLonLatLayers) {
    // The same kind of file in EPSG:4326: coordinates come out in Lambert-93.
    TempDir dir;
    std::vector<LayerData> layers(3);
    layers[0].name = "communes";
    layers[0].geometry_type = GeometryType::polygon;
    layers[0].crs = "EPSG:4326";
    layers[0].wkb = {tierslieux::test::wkb("POLYGON ((5.1 44.3, 5.2 44.3, 5.2 44.4, 5.1 44.4, 5.1 44.3))")};
    layers[0].columns = {Column::of_strings("commune_code", {"26220"}), Column::of_strings("name", {"Nyons"}),
                         Column::of_reals("population", {7000}), Column::of_booleans("in_territory", {true})};
    layers[1].name = "town_halls";
    layers[1].geometry_type = GeometryType::point;
    layers[1].crs = "EPSG:4326";
    layers[1].wkb = {tierslieux::test::wkb("POINT (5.140071 44.361957)")};
    layers[1].columns = {Column::of_strings("commune_code", {"26220"})};
    layers[2] = layers[1];
    layers[2].name = "sites";
    layers[2].columns = {Column::of_strings("site_id", {"x"}), Column::of_strings("name", {"Mairie"}),
                         Column::of_strings("kind", {"town_hall"}), Column::of_strings("commune_code", {"26220"})};
    const std::string path = dir.file("lonlat.gpkg");
    write_gpkg(path, layers);

    const Territory t = load_territory(path);
    EXPECT_NEAR(t.communes[0].town_hall.x_m, 870536.174860, 1e-3);
    EXPECT_NEAR(t.communes[0].town_hall.y_m, 6364858.191607, 1e-3);
    EXPECT_EQ(t.sites[0].services, "") << "services is optional";
    EXPECT_FALSE(t.communes[0].has_active_population) << "active_population is optional";
    EXPECT_FALSE(t.has_aav);
    EXPECT_FALSE(t.existing_tiers_lieux.has_value());
    EXPECT_FALSE(t.employment_poles.has_value());
    EXPECT_FALSE(t.commute_flows.has_value());
    EXPECT_TRUE(t.broadband.empty());
}

TEST(Territory, BroadbandRowsOfUnknownCommunesAreIgnoredWithAWarning) {
    TempDir dir;
    std::vector<LayerData> layers = tiny_territory_layers();
    LayerData& broadband = layer(layers, "broadband");
    broadband.columns = {Column::of_strings("commune_code", {"05001", "99999"}),
                         Column::of_reals("ftth_share", {0.2, 0.9})};
    const std::string path = dir.file("tiny.gpkg");
    write_gpkg(path, layers);
    const Territory t = load_territory(path);
    ASSERT_EQ(t.broadband.size(), 1u);
    EXPECT_EQ(t.broadband[0].commune_code, "05001");
    EXPECT_TRUE(std::isnan(t.broadband[0].ftth_premises)) << "ftth_premises is optional";
    EXPECT_TRUE(any_contains_all(texts(t.warnings), {"'broadband'", "1 row(s)", "99999"}));
    EXPECT_EQ(t.warnings[0].code, "broadband_unknown_communes");
    EXPECT_EQ(t.warnings[0].ids, (std::vector<std::string>{"99999"}));
}

TEST(Territory, EmptyBroadbandLayerCountsAsNone) {
    TempDir dir;
    std::vector<LayerData> layers = tiny_territory_layers();
    LayerData& broadband = layer(layers, "broadband");
    broadband.columns = {Column::of_strings("commune_code", {}), Column::of_reals("ftth_share", {})};
    const std::string path = dir.file("tiny.gpkg");
    write_gpkg(path, layers);
    const Territory t = load_territory(path);
    EXPECT_TRUE(t.broadband.empty());
}

TEST(Territory, MissingFileOrLayer) {
    TempDir dir;
    EXPECT_THROW(load_territory(dir.file("none.gpkg")), io_error);
    std::vector<LayerData> layers = tiny_territory_layers();
    layers.erase(layers.begin() + 2); // sites
    const std::string path = dir.file("no_sites.gpkg");
    write_gpkg(path, layers);
    EXPECT_TRUE(contains_all(message_of<io_error>([&] { load_territory(path); }), {"'sites'", "communes"}));
}

/** One defect in the tiny territory: load_territory refuses it with a message containing every `expected`. */
struct DefectCase {
    const char* label;
    std::function<void(std::vector<LayerData>&)> spoil;
    std::vector<std::string> expected;
}; // struct DefectCase

class TerritoryDefect : public ::testing::TestWithParam<DefectCase> {};

TEST_P(TerritoryDefect, IsRefusedWithAPreciseMessage) {
    TempDir dir;
    std::vector<LayerData> layers = tiny_territory_layers();
    GetParam().spoil(layers);
    const std::string path = dir.file("tiny.gpkg");
    write_gpkg(path, layers);
    const std::string msg = message_of<input_error>([&] { load_territory(path); });
    EXPECT_TRUE(contains_all(msg, GetParam().expected));
    EXPECT_TRUE(contains_all(msg, {path}));
}

namespace {

// Feature ids: rows are written in order, fids start at 1. Communes rows: E D C B A; sites rows: s3 s1 s2.

void negative_population(std::vector<LayerData>& l) {
    auto& pop = column(layer(l, "communes"), "population");
    std::get<std::vector<std::int64_t>>(pop.values)[1] = -5; // Delta, fid=2
}

void missing_population(std::vector<LayerData>& l) {
    column(layer(l, "communes"), "population").null[1] = true; // Delta, fid=2
}

void negative_active_population(std::vector<LayerData>& l) {
    std::get<std::vector<double>>(column(layer(l, "communes"), "active_population").values)[2] = -1.0; // fid=3
}

void duplicate_commune_code(std::vector<LayerData>& l) {
    std::get<std::vector<std::string>>(column(layer(l, "communes"), "commune_code").values)[3] = "05001";
}

void no_commune_in_territory(std::vector<LayerData>& l) {
    column(layer(l, "communes"), "in_territory") =
        Column::of_booleans("in_territory", {false, false, false, false, false});
}

void site_in_unknown_commune(std::vector<LayerData>& l) {
    std::get<std::vector<std::string>>(column(layer(l, "sites"), "commune_code").values)[2] = "99999"; // s2
}

void duplicate_site_id(std::vector<LayerData>& l) {
    std::get<std::vector<std::string>>(column(layer(l, "sites"), "site_id").values)[2] = "s1";
}

void no_site(std::vector<LayerData>& l) {
    LayerData& sites = layer(l, "sites");
    sites.wkb.clear();
    for (auto& c : sites.columns) {
        c = Column::of_strings(c.name, {});
    }
}

void commune_without_town_hall(std::vector<LayerData>& l) {
    LayerData& halls = layer(l, "town_halls");
    halls.wkb.erase(halls.wkb.begin() + 3); // Delta's
    halls.columns[0] = Column::of_strings("commune_code", {"05001", "05002", "05003", "05005"});
}

void town_hall_of_unknown_commune(std::vector<LayerData>& l) {
    std::get<std::vector<std::string>>(column(layer(l, "town_halls"), "commune_code").values)[4] = "99999";
}

void two_town_halls(std::vector<LayerData>& l) {
    std::get<std::vector<std::string>>(column(layer(l, "town_halls"), "commune_code").values)[4] = "05001";
}

void broadband_share_above_one(std::vector<LayerData>& l) {
    std::get<std::vector<double>>(column(layer(l, "broadband"), "ftth_share").values)[1] = 1.5; // 05002, fid=2
}

void broadband_share_negative(std::vector<LayerData>& l) {
    std::get<std::vector<double>>(column(layer(l, "broadband"), "ftth_share").values)[0] = -0.1;
}

void broadband_duplicate_commune(std::vector<LayerData>& l) {
    std::get<std::vector<std::string>>(column(layer(l, "broadband"), "commune_code").values)[2] = "05001"; // fid=3
}

void site_far_outside_its_commune(std::vector<LayerData>& l) {
    // s2 (commune C, [20, 30] km) placed 50 km north of the row: swapped axes, another CRS or a wrong code
    layer(l, "sites").wkb[2] = point_wkb({hall_km(20).x_m, hall_km(20).y_m + 50000.0});
}

void town_hall_far_outside_its_commune(std::vector<LayerData>& l) {
    layer(l, "town_halls").wkb[3] = point_wkb(hall_km(60)); // Delta's town hall, 25 km east of Delta
}

void commune_as_point(std::vector<LayerData>& l) {
    LayerData& communes = layer(l, "communes");
    communes.geometry_type = GeometryType::point;
    for (auto& g : communes.wkb) {
        g = tierslieux::test::wkb("POINT (850000 6350000)");
    }
}

} // namespace

INSTANTIATE_TEST_SUITE_P(
    Territory, TerritoryDefect,
    ::testing::Values(
        DefectCase{"negative_population", negative_population,
                   {"'communes'", "fid=2", "commune_code=05004", "population", "negative"}},
        DefectCase{"missing_population", missing_population, {"'communes'", "fid=2", "'population'"}},
        DefectCase{"negative_active_population", negative_active_population,
                   {"fid=3", "commune_code=05003", "active_population"}},
        DefectCase{"duplicate_commune_code", duplicate_commune_code, {"'communes'", "'05001'", "twice", "fid="}},
        DefectCase{"no_commune_in_territory", no_commune_in_territory, {"in_territory"}},
        DefectCase{"site_in_unknown_commune", site_in_unknown_commune,
                   {"'sites'", "fid=3", "site_id=s2", "'99999'"}},
        DefectCase{"duplicate_site_id", duplicate_site_id, {"'sites'", "fid=3", "'s1'", "twice"}},
        DefectCase{"no_site", no_site, {"'sites'", "no site"}},
        DefectCase{"commune_without_town_hall", commune_without_town_hall,
                   {"'town_halls'", "no town hall", "'05004'", "Delta"}},
        DefectCase{"town_hall_of_unknown_commune", town_hall_of_unknown_commune,
                   {"'town_halls'", "fid=5", "'99999'"}},
        DefectCase{"two_town_halls", two_town_halls, {"'town_halls'", "fid=5", "second", "'05001'"}},
        DefectCase{"broadband_share_above_one", broadband_share_above_one,
                   {"'broadband'", "fid=2", "commune_code=05002", "ftth_share"}},
        DefectCase{"broadband_share_negative", broadband_share_negative,
                   {"'broadband'", "fid=1", "ftth_share"}},
        DefectCase{"broadband_duplicate_commune", broadband_duplicate_commune,
                   {"'broadband'", "fid=3", "'05001'", "twice"}},
        DefectCase{"commune_as_point", commune_as_point, {"'communes'", "Polygon", "Point"}},
        DefectCase{"site_far_outside_its_commune", site_far_outside_its_commune,
                   {"'sites'", "fid=3", "site_id=s2", "45.0 km outside its commune '05003' (Charlie)", "swapped"}},
        DefectCase{"town_hall_far_outside_its_commune", town_hall_far_outside_its_commune,
                   {"'town_halls'", "fid=4", "commune_code=05004", "km outside its commune '05004'"}}),
    [](const ::testing::TestParamInfo<DefectCase>& param_info) { return std::string{param_info.param.label}; });

TEST(Territory, ToLayersRoundTrip) {
    TempDir dir;
    const std::string path = dir.file("tiny.gpkg");
    write_gpkg(path, tiny_territory_layers());
    const Territory t = load_territory(path);

    const std::vector<LayerData> layers = to_layers(t);
    ASSERT_EQ(layers.size(), 3u);
    EXPECT_EQ(layers[0].name, "communes");
    EXPECT_EQ(layers[0].geometry_type, GeometryType::multi_polygon);
    EXPECT_EQ(tierslieux::test::column_names(layers[0]),
              (std::vector<std::string>{"commune_code", "name", "population", "active_population", "in_territory"}));
    EXPECT_EQ(layers[1].name, "town_halls");
    EXPECT_EQ(layers[2].name, "sites");
    EXPECT_EQ(tierslieux::test::column_names(layers[2]),
              (std::vector<std::string>{"site_id", "name", "kind", "commune_code", "services"}));

    const std::string again = dir.file("again.gpkg");
    write_gpkg(again, layers);
    const Territory u = load_territory(again);
    ASSERT_EQ(u.communes.size(), t.communes.size());
    for (std::size_t i = 0; i < t.communes.size(); ++i) {
        EXPECT_EQ(u.communes[i].commune_code, t.communes[i].commune_code);
        EXPECT_EQ(u.communes[i].population, t.communes[i].population);
        EXPECT_EQ(u.communes[i].in_territory, t.communes[i].in_territory);
        EXPECT_EQ(u.communes[i].has_active_population, t.communes[i].has_active_population);
        EXPECT_EQ(u.communes[i].town_hall.x_m, t.communes[i].town_hall.x_m);
        EXPECT_EQ(u.communes[i].geometry.type_name(), "MultiPolygon");
    }
    ASSERT_EQ(u.sites.size(), t.sites.size());
    for (std::size_t i = 0; i < t.sites.size(); ++i) {
        EXPECT_EQ(u.sites[i].site_id, t.sites[i].site_id);
        EXPECT_EQ(u.sites[i].services, t.sites[i].services);
        EXPECT_EQ(u.sites[i].location.y_m, t.sites[i].location.y_m);
    }
}
