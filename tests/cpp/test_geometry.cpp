// geometry.hpp: GEOS geometries, validity and repair, point on surface, adjacency, nearest point.

#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <tierslieux/errors.hpp>
#include <tierslieux/geometry.hpp>

#include "support.hpp"

using namespace tierslieux;
using tierslieux::test::contains_all;
using tierslieux::test::message_of;

namespace {

using pairs_t = std::vector<std::pair<std::size_t, std::size_t>>;

/** The axis-aligned square with lower-left corner (x, y) and side `side`. */
Geometry square(double x, double y, double side) {
    const auto s = [](double v) { return std::to_string(v); };
    return Geometry::from_wkt("POLYGON ((" + s(x) + " " + s(y) + ", " + s(x + side) + " " + s(y) + ", " +
                              s(x + side) + " " + s(y + side) + ", " + s(x) + " " + s(y + side) + ", " + s(x) +
                              " " + s(y) + "))");
}

} // namespace

TEST(Geometry, WktRoundTrip) {
    const std::string wkt = "POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 2 4, 4 4, 4 2, 2 2))";
    const Geometry g = Geometry::from_wkt(wkt);
    EXPECT_EQ(g.type_name(), "Polygon");
    EXPECT_EQ(g.to_wkt(), wkt);
    EXPECT_FALSE(g.is_empty());
}

TEST(Geometry, WkbRoundTrip) {
    const Geometry g = Geometry::from_wkt("MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5)))");
    const std::string bytes = g.to_wkb();
    // ISO WKB, little or big endian byte, then type 6 (MultiPolygon), 2 parts
    ASSERT_GT(bytes.size(), 9u);
    const Geometry back = Geometry::from_wkb(bytes);
    EXPECT_EQ(back.type_name(), "MultiPolygon");
    EXPECT_EQ(back.to_wkt(), g.to_wkt());
    EXPECT_EQ(back.to_wkb(), bytes);

    // a 2D point is 1 + 4 + 2 * 8 bytes
    EXPECT_EQ(Geometry::from_point({1.5, -2.5}).to_wkb().size(), 21u);
}

TEST(Geometry, BadInputThrowsGeometryError) {
    EXPECT_THROW(Geometry::from_wkt("POLYGON ((0 0, 1 0"), geometry_error);
    EXPECT_THROW(Geometry::from_wkt("not a geometry"), geometry_error);
    EXPECT_THROW(Geometry::from_wkb(std::string("\x01\x63\x00\x00\x00", 5)), geometry_error);
    EXPECT_THROW(Geometry::from_wkb(""), geometry_error);
}

TEST(Geometry, PointsAndSegments) {
    const Geometry p = Geometry::from_point({870536.5, 6364858.25});
    EXPECT_EQ(p.type_name(), "Point");
    const Point back = p.to_point();
    EXPECT_EQ(back.x_m, 870536.5);
    EXPECT_EQ(back.y_m, 6364858.25);

    const Geometry segment = Geometry::from_segment({0, 0}, {3, 4});
    EXPECT_EQ(segment.to_wkt(), "LINESTRING (0 0, 3 4)");
    EXPECT_DOUBLE_EQ(distance_m({0, 0}, {3, 4}), 5.0);
    EXPECT_DOUBLE_EQ(distance_m({-1, -1}, {-1, -1}), 0.0);

    EXPECT_THROW(segment.to_point(), geometry_error);
    EXPECT_THROW(Geometry::from_wkt("POINT EMPTY").to_point(), geometry_error);
    EXPECT_THROW(Geometry{}.to_wkb(), geometry_error);
}

TEST(Geometry, EmptyAndClone) {
    EXPECT_TRUE(Geometry{}.is_empty());
    EXPECT_TRUE(Geometry::from_wkt("POLYGON EMPTY").is_empty());
    EXPECT_TRUE(Geometry{}.clone().is_empty());

    const Geometry g = Geometry::from_wkt("LINESTRING (0 0, 1 1)");
    const Geometry copy = g.clone();
    EXPECT_NE(copy.get(), g.get());
    EXPECT_EQ(copy.to_wkt(), g.to_wkt());
}

TEST(Geometry, BowTieIsInvalidAndMakeValidRepairsIt) {
    const Geometry bow_tie = Geometry::from_wkt("POLYGON ((0 0, 10 10, 10 0, 0 10, 0 0))");
    EXPECT_FALSE(is_valid(bow_tie));
    EXPECT_TRUE(contains_all(invalid_reason(bow_tie), {"Self-intersection"}));

    const Geometry repaired = make_valid(bow_tie);
    EXPECT_TRUE(is_valid(repaired));
    EXPECT_EQ(invalid_reason(repaired), "");
    // the two triangles of the bow tie, meeting at the crossing point (5 5)
    EXPECT_EQ(repaired.type_name(), "MultiPolygon");
    const std::string wkt = repaired.to_wkt();
    EXPECT_TRUE(contains_all(wkt, {"5 5", ")), (("}));
}

TEST(Geometry, MakeValidKeepsAValidPolygon) {
    const Geometry g = Geometry::from_wkt("POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0))");
    EXPECT_TRUE(is_valid(g));
    const Geometry same = make_valid(g);
    EXPECT_EQ(same.type_name(), "Polygon");
    EXPECT_TRUE(is_valid(same));
}

TEST(Geometry, ToMultiPolygon) {
    const Geometry single = to_multi_polygon(Geometry::from_wkt("POLYGON ((0 0, 1 0, 1 1, 0 0))"));
    EXPECT_EQ(single.to_wkt(), "MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)))");
    const Geometry multi = Geometry::from_wkt("MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5)))");
    EXPECT_EQ(to_multi_polygon(multi).to_wkt(), multi.to_wkt());
    EXPECT_THROW(to_multi_polygon(Geometry::from_wkt("POINT (1 1)")), geometry_error);
}

TEST(Geometry, PointOnSurfaceLiesInsideACShape) {
    // A "C" open to the east: its centroid (13.6, 15) falls in the notch, outside the polygon.
    const Geometry c_shape =
        Geometry::from_wkt("POLYGON ((0 0, 30 0, 30 10, 10 10, 10 20, 30 20, 30 30, 0 30, 0 0))");
    const Point p = point_on_surface(c_shape);
    const bool in_back = p.x_m > 0 && p.x_m < 10 && p.y_m > 0 && p.y_m < 30;
    const bool in_arms = p.x_m >= 10 && p.x_m < 30 && ((p.y_m > 0 && p.y_m < 10) || (p.y_m > 20 && p.y_m < 30));
    EXPECT_TRUE(in_back || in_arms) << "point on surface (" << p.x_m << ", " << p.y_m << ") is outside the C";
}

TEST(Geometry, AdjacencyOfAGridIncludesCornerContacts) {
    // 2 x 2 grid of 1 km squares (0 1 / 2 3 from the bottom left) and a square far away (4)
    std::vector<Geometry> polygons;
    polygons.push_back(square(0, 0, 1000));
    polygons.push_back(square(1000, 0, 1000));
    polygons.push_back(square(0, 1000, 1000));
    polygons.push_back(square(1000, 1000, 1000));
    polygons.push_back(square(10000, 10000, 1000));
    // GEOS intersects: squares meeting at one corner (0-3, 1-2) count as adjacent
    const pairs_t expected{{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}};
    EXPECT_EQ(adjacent_pairs(polygons, 0.0), expected);
    EXPECT_EQ(adjacent_pairs(polygons, 50.0), expected);
}

TEST(Geometry, AdjacencyOutputIsSortedWithSmallerIndexFirst) {
    std::vector<Geometry> polygons;
    polygons.push_back(square(2000, 0, 1000)); // 0 touches 2
    polygons.push_back(square(50000, 0, 1000));
    polygons.push_back(square(1000, 0, 1000)); // 2 touches 0 and 3
    polygons.push_back(square(0, 0, 1000));
    EXPECT_EQ(adjacent_pairs(polygons), (pairs_t{{0, 2}, {2, 3}}));
}

TEST(Geometry, AdjacencyToleranceBridgesSmallGaps) {
    std::vector<Geometry> polygons;
    polygons.push_back(square(0, 0, 1000));
    polygons.push_back(square(1030, 0, 1000)); // 30 m gap
    EXPECT_EQ(adjacent_pairs(polygons, 0.0), pairs_t{});
    EXPECT_EQ(adjacent_pairs(polygons, 20.0), pairs_t{});
    EXPECT_EQ(adjacent_pairs(polygons, 50.0), (pairs_t{{0, 1}}));
    EXPECT_EQ(adjacent_pairs(polygons, 30.0), (pairs_t{{0, 1}})) << "the tolerance is inclusive";
}

TEST(Geometry, AdjacencyEdgeCases) {
    EXPECT_EQ(adjacent_pairs({}, 10.0), pairs_t{});
    std::vector<Geometry> one;
    one.push_back(square(0, 0, 1));
    EXPECT_EQ(adjacent_pairs(one), pairs_t{});
    EXPECT_THROW(adjacent_pairs(one, -1.0), input_error);
    EXPECT_THROW(adjacent_pairs(one, std::numeric_limits<double>::quiet_NaN()), input_error);
    EXPECT_THROW(adjacent_pairs(one, std::numeric_limits<double>::infinity()), input_error);
}

TEST(Geometry, DistanceToAPolygonIsZeroInsideAndMetresOutside) {
    const Geometry square = Geometry::from_wkt("POLYGON ((0 0, 1000 0, 1000 1000, 0 1000, 0 0))");
    EXPECT_EQ(distance_to(square, {500, 500}), 0.0);
    EXPECT_EQ(distance_to(square, {1000, 500}), 0.0);
    EXPECT_DOUBLE_EQ(distance_to(square, {4000, 500}), 3000.0);
    EXPECT_DOUBLE_EQ(distance_to(square, {1300, 1400}), 500.0);
}

// Communes tile the plane: the coverage union drops their shared edges and equals the general union; polygons
// that overlap are not a coverage, and the general union answers (the area is not counted twice).
TEST(Geometry, CoverageUnionOfTouchingAndOverlappingPolygons) {
    auto polygons = [](const std::vector<std::string>& wkts) {
        std::vector<Geometry> out;
        for (const auto& w : wkts) {
            out.push_back(Geometry::from_wkt(w));
        }
        return out;
    };
    const std::vector<Geometry> tiles = polygons({"POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0))",
                                                  "POLYGON ((10 0, 20 0, 20 10, 10 10, 10 0))",
                                                  "MULTIPOLYGON (((0 10, 10 10, 10 20, 0 20, 0 10)))"});
    const Geometry tiled = coverage_union_of(tiles);
    EXPECT_DOUBLE_EQ(area_m2(tiled), 300.0);
    EXPECT_DOUBLE_EQ(area_m2(tiled), area_m2(union_of(tiles)));
    EXPECT_EQ(tiled.type_name(), "Polygon"); // one piece: the shared edges are gone
    const std::vector<Geometry> overlapping =
        polygons({"POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0))", "POLYGON ((5 0, 15 0, 15 10, 5 10, 5 0))"});
    EXPECT_DOUBLE_EQ(area_m2(coverage_union_of(overlapping)), 150.0);
    EXPECT_TRUE(coverage_union_of({}).is_empty());
}
