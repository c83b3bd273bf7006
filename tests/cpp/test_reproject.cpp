// reproject.hpp: PROJ transformations in GIS order (longitude/easting first), metric CRS detection.

#include <gtest/gtest.h>

#include <tierslieux/errors.hpp>
#include <tierslieux/reproject.hpp>

#include "support.hpp"

using namespace tierslieux;
using tierslieux::test::contains_all;
using tierslieux::test::message_of;

namespace {

// A point in Nyons (Drôme) and its PROJ reference value: see support.hpp for the cs2cs command.
constexpr double lon = tierslieux::test::nyons_lon;
constexpr double lat = tierslieux::test::nyons_lat;
constexpr double easting = tierslieux::test::nyons_easting;
constexpr double northing = tierslieux::test::nyons_northing;
constexpr double one_mm = 1e-3;

} // namespace

TEST(Transformer, Wgs84ToLambert93UsesLonLatOrder) {
    const Transformer t{"EPSG:4326", "EPSG:2154"};
    EXPECT_FALSE(t.is_identity());
    const Point p = t.transform(lon, lat);
    EXPECT_NEAR(p.x_m, easting, one_mm);
    EXPECT_NEAR(p.y_m, northing, one_mm);
}

TEST(Transformer, Lambert93ToWgs84GivesLonLat) {
    const Transformer t{"EPSG:2154", "EPSG:4326"};
    const Point p = t.transform(easting, northing);
    EXPECT_NEAR(p.x_m, lon, 1e-8); // 1e-8 degree is about 1 mm
    EXPECT_NEAR(p.y_m, lat, 1e-8);
}

TEST(Transformer, TransformsGeometries) {
    const Transformer t{"EPSG:4326", "EPSG:2154"};
    const Point p = t.transform(Geometry::from_point({lon, lat})).to_point();
    EXPECT_NEAR(p.x_m, easting, one_mm);
    EXPECT_NEAR(p.y_m, northing, one_mm);

    // every vertex goes through the same transformation as a lone point
    const Geometry line = t.transform(Geometry::from_segment({5.0, 44.0}, {5.1, 44.1}));
    EXPECT_EQ(line.to_wkt(), Geometry::from_segment(t.transform(5.0, 44.0), t.transform(5.1, 44.1)).to_wkt());

    const Geometry polygon = t.transform(Geometry::from_wkt("POLYGON ((5 44, 5.1 44, 5.1 44.1, 5 44.1, 5 44))"));
    EXPECT_EQ(polygon.type_name(), "Polygon");
    EXPECT_TRUE(is_valid(polygon));
}

TEST(Transformer, SameCrsIsIdentity) {
    const Transformer t{"EPSG:2154", "EPSG:2154"};
    EXPECT_TRUE(t.is_identity());
    const Point p = t.transform(easting, northing);
    EXPECT_EQ(p.x_m, easting);
    EXPECT_EQ(p.y_m, northing);
    const Geometry g = Geometry::from_wkt("LINESTRING (1 2, 3 4)");
    EXPECT_EQ(t.transform(g).to_wkt(), "LINESTRING (1 2, 3 4)");
}

TEST(Transformer, AcceptsOtherCrsSpellings) {
    const Transformer t{"+proj=longlat +datum=WGS84 +no_defs +type=crs", "EPSG:2154"};
    const Point p = t.transform(lon, lat);
    EXPECT_NEAR(p.x_m, easting, one_mm);
    EXPECT_NEAR(p.y_m, northing, one_mm);
}

TEST(Transformer, UnknownCrsThrowsProjectionError) {
    EXPECT_TRUE(contains_all(message_of<projection_error>([] { Transformer("EPSG:999999", "EPSG:2154"); }),
                             {"EPSG:999999"}));
    EXPECT_TRUE(contains_all(message_of<projection_error>([] { Transformer("EPSG:2154", "no such crs"); }),
                             {"no such crs"}));
    EXPECT_THROW(Transformer("", "EPSG:2154"), projection_error);
}

TEST(Transformer, ImpossibleCoordinateThrowsProjectionError) {
    const Transformer t{"EPSG:4326", "EPSG:2154"};
    EXPECT_THROW(t.transform(5.0, 95.0), projection_error); // latitude beyond the pole
    EXPECT_THROW(t.transform(Geometry::from_wkt("LINESTRING (5 44, 5 95)")), projection_error);
}

TEST(Transformer, MovedTransformerStillWorks) {
    Transformer a{"EPSG:4326", "EPSG:2154"};
    const Transformer b{std::move(a)};
    EXPECT_NEAR(b.transform(lon, lat).x_m, easting, one_mm);
}

TEST(MetricCrs, ProjectedInMetresOnly) {
    EXPECT_TRUE(is_metric_crs("EPSG:2154"));
    EXPECT_TRUE(is_metric_crs("EPSG:3857"));
    EXPECT_FALSE(is_metric_crs("EPSG:4326"));
    EXPECT_FALSE(is_metric_crs("EPSG:4979")); // geographic 3D
    EXPECT_FALSE(is_metric_crs("EPSG:2249")); // Massachusetts State Plane, US survey feet
    EXPECT_TRUE(is_metric_crs("EPSG:2154+5720")); // Lambert-93 + NGF-IGN69 height: compound, metric horizontally
    EXPECT_THROW(is_metric_crs("EPSG:999999"), projection_error);
}
