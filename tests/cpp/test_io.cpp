// io.hpp: reading layers through GDAL (field mapping, CRS, repair, errors) and atomic GeoPackage writing.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <functional>
#include <iomanip>
#include <limits>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <gdal.h>
#include <gtest/gtest.h>

#include <tierslieux/errors.hpp>
#include <tierslieux/io.hpp>

#include "support.hpp"

using namespace tierslieux;
namespace fs = std::filesystem;
using tierslieux::test::any_contains_all;
using tierslieux::test::contains_all;
using tierslieux::test::message_of;
using tierslieux::test::TempDir;
using tierslieux::test::wkb;
using tierslieux::test::write_text;

namespace {

// The reference point of support.hpp (Nyons, cs2cs values).
constexpr double lon = tierslieux::test::nyons_lon;
constexpr double lat = tierslieux::test::nyons_lat;
constexpr double easting = tierslieux::test::nyons_easting;
constexpr double northing = tierslieux::test::nyons_northing;

/** A GeoJSON FeatureCollection named "places" (GDAL reads a GeoJSON without "crs" as EPSG:4326). */
std::string feature_collection(const std::vector<std::string>& features) {
    std::string out = R"({"type": "FeatureCollection", "name": "places", "features": [)";
    for (std::size_t i = 0; i < features.size(); ++i) {
        out += (i ? ",\n" : "\n") + features[i];
    }
    return out + "\n]}\n";
}

std::string point_feature(const std::string& properties, double x = lon, double y = lat) {
    return R"({"type": "Feature", "properties": {)" + properties +
           R"(}, "geometry": {"type": "Point", "coordinates": [)" + std::to_string(x) + ", " + std::to_string(y) +
           "]}}";
}

const std::vector<FieldSpec> place_fields{
    {"code", FieldType::string, true},
    {"pop", FieldType::real, true},
    {"count", FieldType::integer, true},
    {"open", FieldType::boolean, true},
};

/** A places.geojson with two valid features and one whose properties are given. */
std::string places_with_third(const TempDir& dir, const std::string& third_properties) {
    return write_text(dir.file("places.geojson"),
                      feature_collection({point_feature(R"("code": "05070", "pop": 12.5, "count": 3, "open": 1)"),
                                          point_feature(R"("code": "05071", "pop": 0, "count": -2, "open": 0)"),
                                          point_feature(third_properties)}));
}

/** A GeoPackage with a point layer per name (one feature each, a "code" column). */
std::string gpkg_with_layers(const TempDir& dir, const std::string& name, const std::vector<std::string>& layers) {
    std::vector<LayerData> data;
    for (const auto& l : layers) {
        LayerData d;
        d.name = l;
        d.geometry_type = GeometryType::point;
        d.wkb = {wkb("POINT (870000 6360000)")};
        d.columns = {Column::of_strings("code", {"x"})};
        data.push_back(std::move(d));
    }
    const std::string path = dir.file(name);
    write_gpkg(path, data);
    return path;
}

} // namespace

// ---------------------------------------------------------------------------------------------- reading

TEST(ReadLayer, ReadsFieldsAndReprojectsGeoJson) {
    TempDir dir;
    const std::string path = places_with_third(dir, R"("code": "05072", "pop": 1e3, "count": 0, "open": true)");
    const FeatureTable t = read_layer(path, "places", place_fields);
    ASSERT_EQ(t.size(), 3u);
    EXPECT_EQ(t.path, path);
    EXPECT_EQ(t.layer, "places");
    EXPECT_EQ(t.fids, (std::vector<std::int64_t>{0, 1, 2}));
    EXPECT_TRUE(contains_all(t.source_crs, {"WGS 84"}));
    EXPECT_TRUE(t.warnings.empty());

    ASSERT_EQ(t.columns.size(), 4u);
    EXPECT_EQ(t.column("code").strings(), (std::vector<std::string>{"05070", "05071", "05072"}));
    EXPECT_EQ(t.column("pop").reals(), (std::vector<double>{12.5, 0.0, 1000.0}));
    EXPECT_EQ(t.column("count").integers(), (std::vector<std::int64_t>{3, -2, 0}));
    EXPECT_EQ(t.column("open").integers(), (std::vector<std::int64_t>{1, 0, 1}));
    EXPECT_EQ(t.column("open").type, FieldType::boolean);
    EXPECT_EQ(t.column("pop").null, (std::vector<bool>{false, false, false}));

    // GeoJSON is lon/lat: read correctly, the point lands on the PROJ reference
    const Point p = t.geometries[0].to_point();
    EXPECT_NEAR(p.x_m, easting, 1e-3);
    EXPECT_NEAR(p.y_m, northing, 1e-3);

    EXPECT_THROW(t.column("nope"), not_found);
    EXPECT_TRUE(contains_all(t.where(1), {path, "places", "fid=1"}));
}

TEST(ReadLayer, MissingFileIsAnIoErrorNamingThePath) {
    TempDir dir;
    const std::string path = dir.file("nowhere.gpkg");
    EXPECT_TRUE(contains_all(message_of<io_error>([&] { read_layer(path, "communes", {}); }), {path}));
    EXPECT_TRUE(contains_all(message_of<io_error>([&] { layer_names(path); }), {path}));
}

TEST(ReadLayer, UnreadableFileIsAnIoError) {
    TempDir dir;
    const std::string path = write_text(dir.file("garbage.gpkg"), "this is not a GeoPackage");
    EXPECT_TRUE(contains_all(message_of<io_error>([&] { read_layer(path, "communes", {}); }), {path}));
}

TEST(ReadLayer, MissingLayerListsTheLayersPresent) {
    TempDir dir;
    const std::string path = gpkg_with_layers(dir, "two.gpkg", {"alpha", "beta"});
    EXPECT_EQ(layer_names(path), (std::vector<std::string>{"alpha", "beta"}));
    const std::string msg = message_of<io_error>([&] { read_layer(path, "gamma", {}); });
    EXPECT_TRUE(contains_all(msg, {path, "'gamma'", "alpha", "beta"}));
}

TEST(ReadLayer, MissingRequiredFieldNamesFieldAndLayer) {
    TempDir dir;
    const std::string path = places_with_third(dir, R"("code": "05072", "pop": 1, "count": 0, "open": 0)");
    std::vector<FieldSpec> fields = place_fields;
    fields.push_back({"population", FieldType::real, true});
    const std::string msg = message_of<input_error>([&] { read_layer(path, "places", fields); });
    EXPECT_TRUE(contains_all(msg, {"'population'", "'places'", path}));
}

TEST(ReadLayer, MissingOptionalFieldGivesANullColumn) {
    TempDir dir;
    const std::string path = places_with_third(dir, R"("code": "05072", "pop": 1, "count": 0, "open": 0)");
    const FeatureTable t = read_layer(path, "places", {{"code"}, {"vintage", FieldType::string, false},
                                                       {"premises", FieldType::real, false}});
    EXPECT_EQ(t.column("vintage").null, (std::vector<bool>{true, true, true}));
    EXPECT_EQ(t.column("vintage").strings(), (std::vector<std::string>{"", "", ""}));
    EXPECT_EQ(t.column("premises").null, (std::vector<bool>{true, true, true}));
    EXPECT_TRUE(std::isnan(t.column("premises").reals()[2]));
}

TEST(ReadLayer, OptionalEmptyValueIsNull) {
    TempDir dir;
    const std::string path = places_with_third(dir, R"("code": "05072", "count": 0, "open": 0, "pop": null)");
    std::vector<FieldSpec> fields = place_fields;
    fields[1].required = false;
    const FeatureTable t = read_layer(path, "places", fields);
    EXPECT_EQ(t.column("pop").null, (std::vector<bool>{false, false, true}));
    EXPECT_TRUE(std::isnan(t.column("pop").reals()[2]));
}

/** A bad value in the third feature (fid=2): the message names the feature and the field. */
struct BadValueCase {
    const char* label;
    const char* properties;
    const char* field;
}; // struct BadValueCase

class ReadLayerBadValue : public ::testing::TestWithParam<BadValueCase> {};

TEST_P(ReadLayerBadValue, NamesFeatureAndField) {
    TempDir dir;
    const std::string path = places_with_third(dir, GetParam().properties);
    const std::string msg = message_of<input_error>([&] { read_layer(path, "places", place_fields); });
    EXPECT_TRUE(contains_all(msg, {"fid=2", std::string{"'"} + GetParam().field + "'", path}));
}

INSTANTIATE_TEST_SUITE_P(
    ReadLayer, ReadLayerBadValue,
    ::testing::Values(BadValueCase{"null_real", R"("code": "a", "pop": null, "count": 1, "open": 1)", "pop"},
                      BadValueCase{"absent_real", R"("code": "a", "count": 1, "open": 1)", "pop"},
                      BadValueCase{"null_string", R"("code": null, "pop": 1, "count": 1, "open": 1)", "code"},
                      BadValueCase{"empty_string", R"("code": "", "pop": 1, "count": 1, "open": 1)", "code"},
                      BadValueCase{"text_for_real", R"("code": "a", "pop": "many", "count": 1, "open": 1)", "pop"},
                      BadValueCase{"fraction_for_integer", R"("code": "a", "pop": 1, "count": 2.5, "open": 1)",
                                   "count"},
                      BadValueCase{"text_for_integer", R"("code": "a", "pop": 1, "count": "3 people", "open": 1)",
                                   "count"},
                      BadValueCase{"two_for_boolean", R"("code": "a", "pop": 1, "count": 1, "open": 2)", "open"},
                      BadValueCase{"word_for_boolean", R"("code": "a", "pop": 1, "count": 1, "open": "maybe")",
                                   "open"}),
    [](const ::testing::TestParamInfo<BadValueCase>& param_info) { return std::string{param_info.param.label}; });

// Booleans written as words are read in English and in French, any case (issue 12: French planners' tables).
TEST(ReadLayer, BooleanWordsInEnglishAndFrench) {
    TempDir dir;
    const std::vector<std::pair<std::string, std::int64_t>> words{{"oui", 1}, {"Non", 0}, {"VRAI", 1},
                                                                  {"faux", 0}, {"yes", 1}, {"False", 0}};
    for (const auto& [word, value] : words) {
        const std::string path =
            places_with_third(dir, R"("code": "a", "pop": 1, "count": 1, "open": ")" + word + "\"");
        const FeatureTable t = read_layer(path, "places", place_fields);
        EXPECT_EQ(t.column("open").integers()[2], value) << word;
    }
}

TEST(ReadLayer, NonNumericValueIsQuotedInTheMessage) {
    TempDir dir;
    const std::string path = places_with_third(dir, R"("code": "a", "pop": "many", "count": 1, "open": 1)");
    const std::string msg = message_of<input_error>([&] { read_layer(path, "places", place_fields); });
    EXPECT_TRUE(contains_all(msg, {"fid=2", "'pop'", "'many'", "number"}));
}

TEST(ReadLayer, MissingGeometryNamesTheFeature) {
    TempDir dir;
    const std::string path = write_text(
        dir.file("places.geojson"),
        feature_collection({point_feature(R"("code": "a")"),
                            R"({"type": "Feature", "properties": {"code": "b"}, "geometry": null})"}));
    const std::string msg = message_of<input_error>([&] { read_layer(path, "places", {{"code"}}); });
    EXPECT_TRUE(contains_all(msg, {"fid=1", "no geometry"}));
}

TEST(ReadLayer, TargetCrsMustBeMetric) {
    TempDir dir;
    const std::string path = places_with_third(dir, R"("code": "a", "pop": 1, "count": 1, "open": 1)");
    ReadOptions options;
    options.target_crs = "EPSG:4326";
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { read_layer(path, "places", {{"code"}}, options); }),
                             {"EPSG:4326"}));
}

TEST(ReadLayer, LayerWithoutCrsIsRefusedUnlessOneIsAssumed) {
    TempDir dir;
    // GDAL's CSV driver reads geometries from a column named WKT and gives the layer no CRS.
    const std::string path = write_text(dir.file("halls.csv"), "WKT,code,pop\n"
                                                               "\"POINT (5.140071 44.361957)\",05070,12.5\n"
                                                               "\"POINT (5.2 44.4)\",05071,7\n");
    const std::vector<FieldSpec> fields{{"code"}, {"pop", FieldType::real}};
    const std::string msg = message_of<input_error>([&] { read_layer(path, "halls", fields); });
    EXPECT_TRUE(contains_all(msg, {path, "'halls'", "coordinate reference system"}));

    ReadOptions options;
    options.assume_source_crs = "EPSG:4326";
    const FeatureTable t = read_layer(path, "halls", fields, options);
    ASSERT_EQ(t.size(), 2u);
    EXPECT_EQ(t.source_crs, "EPSG:4326");
    const Point p = t.geometries[0].to_point();
    EXPECT_NEAR(p.x_m, easting, 1e-3);
    EXPECT_NEAR(p.y_m, northing, 1e-3);
    // CSV values are text: "05070" stays text, "12.5" is parsed
    EXPECT_EQ(t.column("code").strings()[0], "05070");
    EXPECT_EQ(t.column("pop").reals(), (std::vector<double>{12.5, 7.0}));
}

TEST(ReadLayer, AttributeTableNeedsNoGeometryNorCrs) {
    TempDir dir;
    const std::string path = write_text(dir.file("broadband.csv"), "commune_code,ftth_share\n05070,0.25\n05071,1\n");
    ReadOptions options;
    options.read_geometry = false;
    const FeatureTable t = read_layer(path, "broadband", {{"commune_code"}, {"ftth_share", FieldType::real}}, options);
    ASSERT_EQ(t.size(), 2u);
    EXPECT_TRUE(t.geometries[0].is_empty());
    EXPECT_TRUE(t.geometries[1].is_empty());
    EXPECT_EQ(t.column("ftth_share").reals(), (std::vector<double>{0.25, 1.0}));
}

TEST(ReadLayer, InvalidPolygonIsRepairedWithAWarningNamingTheFeature) {
    TempDir dir;
    const std::string square = R"({"type": "Polygon", "coordinates": [[[5.0, 44.0], [5.1, 44.0], [5.1, 44.1],
                                   [5.0, 44.1], [5.0, 44.0]]]})";
    const std::string bow_tie = R"({"type": "Polygon", "coordinates": [[[5.0, 44.0], [5.1, 44.1], [5.1, 44.0],
                                    [5.0, 44.1], [5.0, 44.0]]]})";
    const std::string path = write_text(
        dir.file("places.geojson"),
        feature_collection({R"({"type": "Feature", "properties": {"code": "ok"}, "geometry": )" + square + "}",
                            R"({"type": "Feature", "properties": {"code": "bow"}, "geometry": )" + bow_tie + "}"}));
    const FeatureTable t = read_layer(path, "places", {{"code"}});
    ASSERT_EQ(t.size(), 2u);
    ASSERT_EQ(t.warnings.size(), 1u);
    EXPECT_TRUE(contains_all(t.warnings[0].text, {"fid=1", "'places'", "invalid", "Self-intersection"}));
    EXPECT_EQ(t.warnings[0].code, "geometry_repaired");
    EXPECT_EQ(t.warnings[0].layer, "places");
    EXPECT_EQ(t.warnings[0].feature_id, 1);
    EXPECT_TRUE(is_valid(t.geometries[1]));
    EXPECT_EQ(t.geometries[1].type_name(), "MultiPolygon");
    EXPECT_EQ(t.geometries[0].type_name(), "Polygon");

    ReadOptions strict;
    strict.repair_invalid = false;
    const std::string msg = message_of<geometry_error>([&] { read_layer(path, "places", {{"code"}}, strict); });
    EXPECT_TRUE(contains_all(msg, {"fid=1", "invalid"}));
}

// ---------------------------------------------------------------------------------------------- columns

TEST(Column, RealNanIsNullAndAccessorsCheckTheType) {
    const Column c = Column::of_reals("x", {1.0, std::nan(""), 3.0});
    EXPECT_EQ(c.size(), 3u);
    EXPECT_EQ(c.null, (std::vector<bool>{false, true, false}));
    EXPECT_THROW(c.strings(), input_error);
    EXPECT_THROW(c.integers(), input_error);

    const Column b = Column::of_booleans("flag", {true, false});
    EXPECT_EQ(b.type, FieldType::boolean);
    EXPECT_EQ(b.integers(), (std::vector<std::int64_t>{1, 0}));
    EXPECT_THROW(b.reals(), input_error);
}

// ---------------------------------------------------------------------------------------------- writing

TEST(WriteGpkg, RoundTripOfTypesNullsAndGeometries) {
    TempDir dir;
    const std::string path = dir.file("out.gpkg");
    const double nan = std::numeric_limits<double>::quiet_NaN();

    LayerData points;
    points.name = "points";
    points.geometry_type = GeometryType::point;
    points.wkb = {wkb("POINT (870536.5 6364858.25)"), wkb("POINT (870000 6360000)"), wkb("POINT (0 0)")};
    points.columns = {Column::of_strings("name", {"Nyons", "Buis-les-Baronnies", ""}),
                      Column::of_integers("count", {42, -7, 4000000000LL}),
                      Column::of_reals("ratio", {0.1, nan, -1234.5678}),
                      Column::of_booleans("flag", {true, false, true})};

    LayerData lines;
    lines.name = "lines";
    lines.geometry_type = GeometryType::line_string;
    lines.wkb = {wkb("LINESTRING (870000 6360000, 871000 6361000)")};
    lines.columns = {Column::of_reals("minutes", {2.5})};

    LayerData areas;
    areas.name = "areas";
    areas.geometry_type = GeometryType::multi_polygon;
    areas.wkb = {wkb("MULTIPOLYGON (((870000 6360000, 871000 6360000, 871000 6361000, 870000 6360000)), "
                     "((880000 6360000, 881000 6360000, 881000 6361000, 880000 6360000)))")};
    areas.columns = {Column::of_strings("commune_code", {"05070"})};

    LayerData table;
    table.name = "table";
    table.columns = {Column::of_strings("key", {"a", "b"})};

    write_gpkg(path, {points, lines, areas, table});
    EXPECT_EQ(layer_names(path), (std::vector<std::string>{"points", "lines", "areas", "table"}));
    EXPECT_EQ(dir.listing(), (std::vector<std::string>{"out.gpkg"})) << "no temporary file left behind";

    const FeatureTable p = read_layer(path, "points",
                                      {{"name", FieldType::string, false},
                                       {"count", FieldType::integer},
                                       {"ratio", FieldType::real, false},
                                       {"flag", FieldType::boolean}});
    ASSERT_EQ(p.size(), 3u);
    EXPECT_EQ(p.column("name").strings(), (std::vector<std::string>{"Nyons", "Buis-les-Baronnies", ""}));
    EXPECT_EQ(p.column("name").null, (std::vector<bool>{false, false, true})) << "an empty text is empty";
    EXPECT_EQ(p.column("count").integers(), (std::vector<std::int64_t>{42, -7, 4000000000LL}));
    EXPECT_EQ(p.column("ratio").null, (std::vector<bool>{false, true, false}));
    EXPECT_EQ(p.column("ratio").reals()[0], 0.1);
    EXPECT_TRUE(std::isnan(p.column("ratio").reals()[1]));
    EXPECT_EQ(p.column("ratio").reals()[2], -1234.5678);
    EXPECT_EQ(p.column("flag").integers(), (std::vector<std::int64_t>{1, 0, 1}));
    EXPECT_EQ(p.geometries[0].to_wkt(), "POINT (870536.5 6364858.25)");
    EXPECT_TRUE(contains_all(p.source_crs, {"RGF93", "Lambert-93"}));

    const FeatureTable l = read_layer(path, "lines", {{"minutes", FieldType::real}});
    EXPECT_EQ(l.geometries[0].to_wkt(), "LINESTRING (870000 6360000, 871000 6361000)");
    EXPECT_EQ(l.column("minutes").reals()[0], 2.5);

    const FeatureTable a = read_layer(path, "areas", {{"commune_code"}});
    EXPECT_EQ(a.geometries[0].type_name(), "MultiPolygon");
    EXPECT_EQ(a.geometries[0].to_wkt(), Geometry::from_wkb(areas.wkb[0]).to_wkt());

    ReadOptions attributes;
    attributes.read_geometry = false;
    EXPECT_EQ(read_layer(path, "table", {{"key"}}, attributes).column("key").strings(),
              (std::vector<std::string>{"a", "b"}));
}

/** The first row, as text, of a query on a GeoPackage (empty when none). */
std::vector<std::string> first_row(const std::string& path, const std::string& sql) {
    std::vector<std::string> row;
    GDALDatasetH ds = GDALOpenEx(path.c_str(), GDAL_OF_VECTOR, nullptr, nullptr, nullptr);
    if (!ds) {
        return row;
    }
    if (OGRLayerH result = GDALDatasetExecuteSQL(ds, sql.c_str(), nullptr, nullptr)) {
        if (OGRFeatureH f = OGR_L_GetNextFeature(result)) {
            for (int i = 0; i < OGR_F_GetFieldCount(f); ++i) {
                row.emplace_back(OGR_F_GetFieldAsString(f, i));
            }
            OGR_F_Destroy(f);
        }
        GDALDatasetReleaseResultSet(ds, result);
    }
    GDALClose(ds);
    return row;
}

TEST(WriteGpkg, LayerDescriptionsAndColumnTitlesAreInTheSchemaTables) {
    TempDir dir;
    const std::string path = dir.file("titled.gpkg");
    LayerData d;
    d.name = "sites";
    d.geometry_type = GeometryType::point;
    d.wkb = {wkb("POINT (870536.5 6364858.25)")};
    d.description = "Sites candidats, classés";
    d.columns = {Column::of_reals("score", {42.0}), Column::of_strings("name", {"Nyons"})};
    d.columns[0].title = "Score (0–100)";
    d.columns[0].description = "somme pondérée des critères ; l'échelle va de 0 à 100";
    LayerData plain;
    plain.name = "plain";
    plain.columns = {Column::of_reals("x", {1.0})};
    write_gpkg(path, {d, plain});

    EXPECT_EQ(first_row(path, "SELECT description FROM gpkg_contents WHERE table_name = 'sites'"),
              std::vector<std::string>{"Sites candidats, classés"});
    EXPECT_EQ(first_row(path, "SELECT name, title, description FROM gpkg_data_columns WHERE table_name = 'sites' "
                              "AND column_name = 'score'"),
              (std::vector<std::string>{"score", "Score (0–100)",
                                        "somme pondérée des critères ; l'échelle va de 0 à 100"}));
    // only columns given a title or a description are listed, and the extension is registered
    EXPECT_EQ(first_row(path, "SELECT count(*) FROM gpkg_data_columns"), std::vector<std::string>{"1"});
    EXPECT_EQ(first_row(path, "SELECT scope FROM gpkg_extensions WHERE extension_name = 'gpkg_schema' AND "
                              "table_name = 'gpkg_data_columns'"),
              std::vector<std::string>{"read-write"});
    // a file without any title has no such table
    write_gpkg(path, {plain});
    EXPECT_TRUE(first_row(path, "SELECT name FROM sqlite_master WHERE name = 'gpkg_data_columns'").empty());
}

TEST(WriteGpkg, RealsKeepFullPrecision) {
    // A GeoPackage stores IEEE doubles: what is written must come back bit for bit.
    TempDir dir;
    const std::string path = dir.file("precise.gpkg");
    const std::vector<double> written{1.0 / 3.0, 0.1 + 0.2, 6364858.191607123, 1e-300};
    LayerData d;
    d.name = "values";
    d.columns = {Column::of_reals("x", written)};
    write_gpkg(path, {d});
    ReadOptions attributes;
    attributes.read_geometry = false;
    const auto x = read_layer(path, "values", {{"x", FieldType::real}}, attributes).column("x").reals();
    ASSERT_EQ(x.size(), written.size());
    for (std::size_t i = 0; i < written.size(); ++i) {
        EXPECT_EQ(x[i], written[i]) << std::setprecision(17) << "wrote " << written[i] << ", read " << x[i];
    }
}

TEST(WriteGpkg, OverwritesAnExistingFile) {
    TempDir dir;
    const std::string path = gpkg_with_layers(dir, "out.gpkg", {"old"});
    gpkg_with_layers(dir, "out.gpkg", {"new"});
    EXPECT_EQ(layer_names(path), (std::vector<std::string>{"new"}));
    EXPECT_EQ(dir.listing(), (std::vector<std::string>{"out.gpkg"}));
}

TEST(WriteGpkg, RefusesBadArguments) {
    TempDir dir;
    LayerData d;
    d.name = "t";
    d.columns = {Column::of_strings("k", {"a"})};
    EXPECT_THROW(write_gpkg(dir.file("out.gpkg"), {}), input_error);
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { write_gpkg(dir.file("out.shp"), {d}); }), {".gpkg"}));
    LayerData unnamed = d;
    unnamed.name.clear();
    EXPECT_THROW(write_gpkg(dir.file("out.gpkg"), {unnamed}), input_error);
    EXPECT_TRUE(dir.listing().empty());
}

/** The bytes of a file, to show that a refused write left it untouched. */
std::string bytes_of(const std::string& path) {
    std::ifstream in{path, std::ios::binary};
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// An output that is an input, whatever the spelling, is refused before anything is written.
TEST(WriteGpkg, NeverOverwritesAnInputWhateverThePathSpells) {
    TempDir dir;
    const std::string input = gpkg_with_layers(dir, "territory.gpkg", {"communes"});
    const std::string before = bytes_of(input);
    fs::create_directories(dir.path() / "o");
    fs::create_symlink(input, dir.file("link.gpkg"));
    fs::create_hard_link(input, dir.file("hard.gpkg"));
    LayerData d;
    d.name = "sites";
    d.columns = {Column::of_strings("k", {"a"})};
    for (const std::string& alias : {input, dir.file("o/../territory.gpkg"), dir.file("link.gpkg"),
                                     dir.file("hard.gpkg")}) {
        const std::string message = message_of<input_error>([&] { write_gpkg(alias, {d}, {input}); });
        EXPECT_TRUE(contains_all(message, {"is the input file", "territory.gpkg"})) << alias << ": " << message;
        EXPECT_EQ(bytes_of(input), before) << alias;
    }
    EXPECT_THROW(check_output_path(dir.file("o"), {}), input_error); // a folder
    EXPECT_NO_THROW(check_output_path(dir.file("new.gpkg"), {input}));
    EXPECT_NO_THROW(write_gpkg(dir.file("other.gpkg"), {d}, {input}));
}

// SQLite keeps whatever a tool stores: text in an INTEGER or REAL column reads as 0 through GDAL. The reader
// refuses it, naming the feature, instead of reading 0.
TEST(ReadLayer, TextStoredInANumericGeoPackageColumnIsRefused) {
    TempDir dir;
    LayerData d;
    d.name = "places";
    d.geometry_type = GeometryType::point;
    d.crs = "EPSG:2154";
    d.wkb = {wkb("POINT (870000 6360000)"), wkb("POINT (871000 6360000)")};
    d.columns = {Column::of_strings("code", {"a", "b"}), Column::of_reals("pop", {1.0, 2.0}),
                 Column::of_integers("count", {1, 2}), Column::of_booleans("open", {true, false})};
    const std::string path = dir.file("places.gpkg");
    write_gpkg(path, {d});
    const std::vector<FieldSpec> fields{{"code", FieldType::string, true}, {"pop", FieldType::real, true},
                                        {"count", FieldType::integer, true}, {"open", FieldType::boolean, true}};
    EXPECT_EQ(read_layer(path, "places", fields).size(), 2u);
    for (const auto& [field, value] : std::vector<std::pair<std::string, std::string>>{
             {"pop", "abc"}, {"count", "3 people"}, {"open", "yes"}}) {
        const std::string copy = dir.file(field + ".gpkg");
        fs::copy_file(path, copy);
        {
            GDALAllRegister(); // GDAL itself, as an independent tool, stores the bad value
            GDALDatasetH ds = GDALOpenEx(copy.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE, nullptr, nullptr, nullptr);
            ASSERT_NE(ds, nullptr);
            const std::string sql = "UPDATE places SET \"" + field + "\" = '" + value + "' WHERE fid = 2";
            GDALDatasetReleaseResultSet(ds, GDALDatasetExecuteSQL(ds, sql.c_str(), nullptr, nullptr));
            GDALClose(ds);
        }
        const std::string message = message_of<input_error>([&] { read_layer(copy, "places", fields); });
        EXPECT_TRUE(contains_all(message, {"layer 'places'", "fid=2", "'" + field + "'", "'" + value + "'"}))
            << message;
    }
}

// A damaged page in the middle of a layer: GDAL stops reading with an error. That is an error here, naming the
// layer and the last feature read, never a layer with rows silently missing.
TEST(ReadLayer, ADamagedGeoPackageIsAnErrorNotAShorterLayer) {
    TempDir dir;
    LayerData d;
    d.name = "places";
    d.geometry_type = GeometryType::point;
    d.crs = "EPSG:2154";
    std::vector<std::string> codes;
    for (int i = 0; i < 3000; ++i) {
        d.wkb.push_back(wkb("POINT (" + std::to_string(870000 + i) + " 6360000)"));
        codes.push_back("code-" + std::to_string(i) + std::string(40, 'x'));
    }
    d.columns = {Column::of_strings("code", codes)};
    const std::string path = dir.file("places.gpkg");
    write_gpkg(path, {d});
    const std::vector<FieldSpec> fields{{"code", FieldType::string, true}};
    ASSERT_EQ(read_layer(path, "places", fields).size(), 3000u);
    // overwrite the middle of the file, past the schema pages, with garbage
    std::string bytes = bytes_of(path);
    ASSERT_GT(bytes.size(), 200000u);
    for (std::size_t i = bytes.size() / 2; i < bytes.size() / 2 + 3000; ++i) {
        bytes[i] = '\xff';
    }
    write_text(path, bytes);
    const auto message = message_of<io_error>([&] { read_layer(path, "places", fields); });
    EXPECT_TRUE(contains_all(message, {"layer 'places'", "may be damaged"})) << message;
}

// A NaN coordinate is refused with the feature named (it used to surface as a bare GEOS message).
TEST(ReadLayer, NonFiniteCoordinateNamesTheFeature) {
    TempDir dir;
    const std::string path = write_text(dir.file("places.geojson"),
                                        feature_collection({point_feature(R"("code": "a")"),
                                                            R"({"type": "Feature", "properties": {"code": "b"}, )"
                                                            R"("geometry": {"type": "Polygon", "coordinates": )"
                                                            R"([[[5.1, 44.3], [5.2, NaN], [5.2, 44.4], [5.1, 44.3]]]}})"}));
    const std::vector<FieldSpec> fields{{"code", FieldType::string, true}};
    const auto message = message_of<input_error>([&] { read_layer(path, "places", fields); });
    EXPECT_TRUE(contains_all(message, {"layer 'places'", "fid=1", "not a finite number"})) << message;
}

// An interruption (Ctrl-C, SIGTERM: the check throws) cancels the write: the previous file stays, and neither the
// temporary file nor its journal is left behind.
TEST(WriteGpkg, AnInterruptedWriteLeavesThePreviousFileAndNoLitter) {
    TempDir dir;
    const std::string path = gpkg_with_layers(dir, "out.gpkg", {"old"});
    const std::string before = bytes_of(path);
    LayerData d;
    d.name = "new";
    d.columns = {Column::of_strings("k", {"a"})};
    for (int stop_at : {1, 2, 3}) {
        int calls = 0;
        const auto check = [&] {
            if (++calls == stop_at) {
                throw std::runtime_error("interrupted");
            }
        };
        EXPECT_THROW(write_gpkg(path, {d, d}, {}, check), std::runtime_error) << stop_at;
        EXPECT_EQ(bytes_of(path), before) << stop_at;
        EXPECT_EQ(dir.listing(), (std::vector<std::string>{"out.gpkg"})) << stop_at;
    }
}

// What a killed run (SIGKILL) leaves, its temporary and journal, is removed by the next write of the same output
// once it is 10 minutes old; a temporary of a process that still runs, a recent one (a writer in another pid
// namespace looks dead) and another output's are not touched.
TEST(WriteGpkg, StaleTemporariesOfKilledRunsAreRemoved) {
    TempDir dir;
    const pid_t child = ::fork();
    if (child == 0) {
        ::_exit(0);
    }
    ASSERT_GT(child, 0);
    ::waitpid(child, nullptr, 0); // a process that no longer runs
    const std::string dead = std::to_string(child);
    const std::string old_dead = dir.file(".out." + dead + "-0a1b.tmp.gpkg");
    const std::string recent_dead = dir.file(".out." + dead + "-2c3d.tmp.gpkg");
    const std::string alive = dir.file(".out." + std::to_string(::getppid()) + "-4e5f.tmp.gpkg");
    const std::string other = dir.file(".other." + dead + "-0a1b.tmp.gpkg");
    for (const std::string& f : {old_dead, old_dead + "-journal", recent_dead, alive, other}) {
        write_text(f, "partial");
        if (f != recent_dead) {
            fs::last_write_time(f, fs::file_time_type::clock::now() - std::chrono::hours{1});
        }
    }
    const std::string own = fs::path(temporary_path(dir.file("out.gpkg"))).filename().string();
    EXPECT_EQ(own.rfind(".out." + std::to_string(::getpid()) + "-", 0), 0u) << own;
    EXPECT_EQ(own.substr(own.size() - 9), ".tmp.gpkg") << own;
    gpkg_with_layers(dir, "out.gpkg", {"new"});
    std::vector<std::string> kept;
    for (const std::string& f : {recent_dead, alive, other}) {
        kept.push_back(fs::path(f).filename().string());
    }
    kept.push_back("out.gpkg");
    std::sort(kept.begin(), kept.end());
    EXPECT_EQ(dir.listing(), kept);
}

/** A layer that cannot be written, after a good one: write_gpkg fails and leaves the folder as it was. */
struct BrokenLayerCase {
    const char* label;
    std::function<void(LayerData&)> spoil;
    bool input_error_expected; // else projection_error
}; // struct BrokenLayerCase

class WriteGpkgAtomic : public ::testing::TestWithParam<BrokenLayerCase> {
protected:
    static std::vector<LayerData> layers() {
        LayerData good;
        good.name = "good";
        good.geometry_type = GeometryType::point;
        good.wkb = {wkb("POINT (1 2)"), wkb("POINT (3 4)")};
        good.columns = {Column::of_strings("k", {"a", "b"}), Column::of_reals("v", {1.0, 2.0})};
        LayerData bad = good;
        bad.name = "bad";
        GetParam().spoil(bad);
        return {good, bad};
    }

    static void expect_failure(const std::string& path) {
        if (GetParam().input_error_expected) {
            EXPECT_THROW(write_gpkg(path, layers()), input_error);
        } else {
            EXPECT_THROW(write_gpkg(path, layers()), projection_error);
        }
    }
}; // class WriteGpkgAtomic

TEST_P(WriteGpkgAtomic, LeavesNoFileBehind) {
    TempDir dir;
    expect_failure(dir.file("out.gpkg"));
    EXPECT_EQ(dir.listing(), std::vector<std::string>{}) << "neither out.gpkg nor a *.tmp.gpkg may remain";
}

TEST_P(WriteGpkgAtomic, LeavesAnExistingFileUntouched) {
    TempDir dir;
    const std::string path = gpkg_with_layers(dir, "out.gpkg", {"previous"});
    const std::string before = tierslieux::test::read_bytes(path);
    ASSERT_FALSE(before.empty());
    expect_failure(path);
    EXPECT_EQ(tierslieux::test::read_bytes(path), before);
    EXPECT_EQ(dir.listing(), (std::vector<std::string>{"out.gpkg"}));
    EXPECT_EQ(layer_names(path), (std::vector<std::string>{"previous"}));
}

INSTANTIATE_TEST_SUITE_P(
    WriteGpkg, WriteGpkgAtomic,
    ::testing::Values(
        // refused before anything is written
        BrokenLayerCase{"inconsistent_column_lengths",
                        [](LayerData& l) { l.columns[1] = Column::of_reals("v", {1.0}); }, true},
        BrokenLayerCase{"geometries_on_a_table", [](LayerData& l) { l.geometry_type = GeometryType::none; }, true},
        // refused halfway, once the temporary file exists
        BrokenLayerCase{"bad_wkb", [](LayerData& l) { l.wkb[1] = "not WKB at all"; }, true},
        BrokenLayerCase{"unknown_crs", [](LayerData& l) { l.crs = "EPSG:999999"; }, false}),
    [](const ::testing::TestParamInfo<BrokenLayerCase>& param_info) {
        return std::string{param_info.param.label};
    });
