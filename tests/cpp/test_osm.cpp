// osm.hpp: road graphs from OpenStreetMap files (splitting, contraction, oneway, speeds, clipping, components).

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <limits>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <tierslieux/errors.hpp>
#include <tierslieux/osm.hpp>
#include <tierslieux/reproject.hpp>

#include "support.hpp"

using namespace tierslieux;
using tierslieux::test::contains_all;
using tierslieux::test::message_of;
using tierslieux::test::TempDir;
using tierslieux::test::write_text;

namespace {

// Test nodes lie on a grid of 0.001 degree around Nyons (about 80 m east-west, 111 m north-south).
constexpr double grid_step = 0.001;

struct OsmNode {
    std::int64_t id;
    double i; // grid column (east)
    double j; // grid row (north)
    double lon() const { return tierslieux::test::nyons_lon + i * grid_step; }
    double lat() const { return tierslieux::test::nyons_lat + j * grid_step; }
}; // struct OsmNode

struct OsmWay {
    std::int64_t id;
    std::vector<std::int64_t> refs;
    std::vector<std::pair<std::string, std::string>> tags;
}; // struct OsmWay

/** An OSM XML document (what libosmium reads from a .osm file). */
std::string osm_xml(const std::vector<OsmNode>& nodes, const std::vector<OsmWay>& ways) {
    std::ostringstream out;
    out.precision(10);
    out << "<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\" generator=\"test_osm\">\n";
    for (const auto& n : nodes) {
        out << "  <node id=\"" << n.id << "\" version=\"1\" lat=\"" << n.lat() << "\" lon=\"" << n.lon() << "\"/>\n";
    }
    for (const auto& w : ways) {
        out << "  <way id=\"" << w.id << "\" version=\"1\">\n";
        for (const auto r : w.refs) {
            out << "    <nd ref=\"" << r << "\"/>\n";
        }
        for (const auto& [k, v] : w.tags) {
            out << "    <tag k=\"" << k << "\" v=\"" << v << "\"/>\n";
        }
        out << "  </way>\n";
    }
    out << "</osm>\n";
    return out.str();
}

/** Writes the nodes and ways to an .osm file in `dir` and reads them back. */
RoadGraph read(const TempDir& dir, const std::vector<OsmNode>& nodes, const std::vector<OsmWay>& ways,
               const OsmReadOptions& options = {}) {
    const std::string path = write_text(dir.file("roads.osm"), osm_xml(nodes, ways));
    return read_osm_roads(path, options);
}

OsmReadOptions all_components() {
    OsmReadOptions o;
    o.keep_largest_component = false;
    return o;
}

/** Lambert-93 position of a test node. */
Point projected(const OsmNode& n) {
    static const Transformer to_l93{"EPSG:4326", "EPSG:2154"};
    return to_l93.transform(n.lon(), n.lat());
}

/** Sum of segment lengths along the nodes, in Lambert-93 metres. */
double path_length_m(const std::vector<OsmNode>& path) {
    double sum = 0.0;
    for (std::size_t k = 1; k < path.size(); ++k) {
        sum += distance_m(projected(path[k - 1]), projected(path[k]));
    }
    return sum;
}

/** Index of the graph node with this OSM id. */
std::optional<std::size_t> node_of(const RoadGraph& g, std::int64_t osm_id) {
    const auto it = std::find(g.node_osm_id.begin(), g.node_osm_id.end(), osm_id);
    if (it == g.node_osm_id.end()) {
        return std::nullopt;
    }
    return static_cast<std::size_t>(it - g.node_osm_id.begin());
}

/** Index of the edge stored from OSM node `from` to OSM node `to` (as stored, not as usable). */
std::optional<std::size_t> edge_of(const RoadGraph& g, std::int64_t from, std::int64_t to) {
    const auto a = node_of(g, from);
    const auto b = node_of(g, to);
    if (!a || !b) {
        return std::nullopt;
    }
    for (std::size_t e = 0; e < g.edges.size(); ++e) {
        if (g.edges[e].from == *a && g.edges[e].to == *b) {
            return e;
        }
    }
    return std::nullopt;
}

/** Sorted OSM ids of the graph nodes. */
std::vector<std::int64_t> sorted_ids(const RoadGraph& g) {
    std::vector<std::int64_t> ids = g.node_osm_id;
    std::sort(ids.begin(), ids.end());
    return ids;
}

/** Every per-edge vector has one entry per edge, and geometries start and end at their nodes. */
void expect_consistent(const RoadGraph& g) {
    ASSERT_EQ(g.node_osm_id.size(), g.nodes.size());
    ASSERT_EQ(g.twoway.size(), g.edges.size());
    ASSERT_EQ(g.geometry.size(), g.edges.size());
    ASSERT_EQ(g.way_id.size(), g.edges.size());
    ASSERT_EQ(g.highway.size(), g.edges.size());
    for (std::size_t e = 0; e < g.edges.size(); ++e) {
        const Edge& edge = g.edges[e];
        ASSERT_LT(edge.from, g.nodes.size());
        ASSERT_LT(edge.to, g.nodes.size());
        ASSERT_GE(g.geometry[e].size(), 2u);
        EXPECT_EQ(distance_m(g.geometry[e].front(), g.nodes[edge.from]), 0.0) << "edge " << e;
        EXPECT_EQ(distance_m(g.geometry[e].back(), g.nodes[edge.to]), 0.0) << "edge " << e;
        double length = 0.0;
        for (std::size_t k = 1; k < g.geometry[e].size(); ++k) {
            length += distance_m(g.geometry[e][k - 1], g.geometry[e][k]);
        }
        EXPECT_NEAR(edge.length_m, length, 1e-6) << "edge " << e;
        EXPECT_GE(edge.length_m, distance_m(g.nodes[edge.from], g.nodes[edge.to]) - 1e-6) << "edge " << e;
        EXPECT_GE(edge.minutes, 0.0) << "edge " << e;
    }
}

const std::vector<std::pair<std::string, std::string>> residential{{"highway", "residential"}};

} // namespace

TEST(Osm, CarProfileIsOsrmCarSpeeds) {
    const SpeedProfile car = SpeedProfile::car();
    EXPECT_EQ(car.name, "car");
    EXPECT_EQ(car.highway_kmh.size(), 14u);
    EXPECT_EQ(car.highway_kmh.at("motorway"), 90.0);
    EXPECT_EQ(car.highway_kmh.at("motorway_link"), 45.0);
    EXPECT_EQ(car.highway_kmh.at("residential"), 25.0);
    EXPECT_EQ(car.highway_kmh.at("service"), 15.0);
    EXPECT_EQ(car.highway_kmh.count("track"), 0u);
    EXPECT_TRUE(car.use_maxspeed);
    EXPECT_TRUE(car.obey_oneway);
}

TEST(Osm, TJunctionSplitsTheThroughWay) {
    TempDir dir;
    const RoadGraph g = read(dir, {{1, 0, 0}, {2, 1, 0}, {3, 2, 0}, {4, 1, 1}},
                             {{10, {1, 2, 3}, residential}, {11, {2, 4}, residential}});
    expect_consistent(g);
    EXPECT_EQ(sorted_ids(g), (std::vector<std::int64_t>{1, 2, 3, 4}));
    ASSERT_EQ(g.edges.size(), 3u);
    for (const auto& [from, to, way] : std::vector<std::tuple<int, int, int>>{{1, 2, 10}, {2, 3, 10}, {2, 4, 11}}) {
        const auto e = edge_of(g, from, to);
        ASSERT_TRUE(e) << from << " -> " << to;
        EXPECT_EQ(g.way_id[*e], way);
        EXPECT_EQ(g.twoway[*e], 1);
        EXPECT_EQ(g.highway[*e], "residential");
    }
    EXPECT_EQ(g.report.ways_read, 2u);
    EXPECT_EQ(g.report.ways_routable, 2u);
    EXPECT_EQ(g.report.components, 1u);
    EXPECT_EQ(g.report.dropped_nodes, 0u);
    EXPECT_EQ(g.report.dropped_edges, 0u);
    EXPECT_EQ(g.report.dropped_km, 0.0);
}

TEST(Osm, ShapePointsAreContractedIntoOneEdge) {
    TempDir dir;
    const std::vector<OsmNode> path{{1, 0, 0}, {2, 1, 0}, {3, 2, 1}, {4, 3, 1}, {5, 4, 0}};
    const RoadGraph g = read(dir, path, {{10, {1, 2, 3, 4, 5}, residential}});
    expect_consistent(g);
    EXPECT_EQ(sorted_ids(g), (std::vector<std::int64_t>{1, 5}));
    ASSERT_EQ(g.edges.size(), 1u);
    ASSERT_EQ(g.geometry[0].size(), 5u);
    for (std::size_t k = 0; k < path.size(); ++k) {
        EXPECT_NEAR(distance_m(g.geometry[0][k], projected(path[k])), 0.0, 1e-6) << "shape point " << k;
    }
    const double length = path_length_m(path);
    EXPECT_NEAR(g.edges[0].length_m, length, 1e-6);
    EXPECT_GT(g.edges[0].length_m, 300.0);
    EXPECT_NEAR(g.edges[0].minutes, length / 1000.0 / 25.0 * 60.0, 1e-9); // residential, 25 km/h
    EXPECT_NEAR(g.report.kept_km, length / 1000.0, 1e-9);
}

TEST(Osm, WaysJoinedEndToEndMeetAtAGraphNode) {
    TempDir dir;
    const RoadGraph g = read(dir, {{1, 0, 0}, {2, 1, 0}, {3, 2, 0}, {4, 3, 0}, {5, 4, 0}},
                             {{10, {1, 2, 3}, residential}, {11, {3, 4, 5}, residential}});
    expect_consistent(g);
    EXPECT_EQ(sorted_ids(g), (std::vector<std::int64_t>{1, 3, 5}));
    EXPECT_EQ(g.edges.size(), 2u);
}

TEST(Osm, NodeUsedTwiceByOneWayIsAGraphNodeAndLoopsAreSplit) {
    TempDir dir;
    // A lasso: 1 -> 2 -> 3 -> 4 -> back to 2. The loop 2-3-4-2 is cut at its middle shape point (3).
    const RoadGraph g = read(dir, {{1, 0, 0}, {2, 1, 0}, {3, 2, 0}, {4, 2, 1}},
                             {{10, {1, 2, 3, 4, 2}, residential}});
    expect_consistent(g);
    EXPECT_EQ(sorted_ids(g), (std::vector<std::int64_t>{1, 2, 3}));
    ASSERT_EQ(g.edges.size(), 3u);
    EXPECT_TRUE(edge_of(g, 1, 2));
    EXPECT_TRUE(edge_of(g, 2, 3));
    const auto loop = edge_of(g, 3, 2);
    ASSERT_TRUE(loop);
    EXPECT_EQ(g.geometry[*loop].size(), 3u); // 3, 4, 2
    EXPECT_EQ(g.report.self_loops_dropped, 0u);
    EXPECT_EQ(g.report.components, 1u);
}

TEST(Osm, RepeatedNodeSelfLoopIsDropped) {
    TempDir dir;
    const RoadGraph g = read(dir, {{1, 0, 0}, {2, 1, 0}, {3, 2, 0}}, {{10, {1, 2, 2, 3}, residential}});
    expect_consistent(g);
    EXPECT_EQ(sorted_ids(g), (std::vector<std::int64_t>{1, 2, 3}));
    EXPECT_EQ(g.edges.size(), 2u);
    EXPECT_EQ(g.report.self_loops_dropped, 1u);
    for (const Edge& e : g.edges) {
        EXPECT_NE(e.from, e.to);
    }
}

TEST(Osm, ZeroLengthEdgeIsKeptWithZeroMinutes) {
    TempDir dir;
    // Nodes 2 and 3 are distinct OSM nodes at the same place, both graph nodes.
    const RoadGraph g = read(dir, {{1, 0, 0}, {2, 1, 0}, {3, 1, 0}, {4, 2, 0}},
                             {{10, {1, 2}, residential}, {11, {2, 3}, residential}, {12, {3, 4}, residential}});
    expect_consistent(g);
    ASSERT_EQ(g.edges.size(), 3u);
    const auto e = edge_of(g, 2, 3);
    ASSERT_TRUE(e);
    EXPECT_EQ(g.edges[*e].length_m, 0.0);
    EXPECT_EQ(g.edges[*e].minutes, 0.0);
    EXPECT_EQ(g.report.components, 1u);
    EXPECT_EQ(g.report.dropped_edges, 0u);
}

/** A way 1 -> 2 -> 3 with tags, how it must come out: usable both ways, and stored reversed (3 -> 1). */
struct OnewayCase {
    std::string name;
    std::vector<std::pair<std::string, std::string>> tags;
    bool obey_oneway;
    bool twoway;
    bool reversed;
}; // struct OnewayCase

class OsmOneway : public ::testing::TestWithParam<OnewayCase> {};

TEST_P(OsmOneway, Direction) {
    const OnewayCase& c = GetParam();
    TempDir dir;
    OsmReadOptions options = all_components();
    options.profile.obey_oneway = c.obey_oneway;
    const std::vector<OsmNode> path{{1, 0, 0}, {2, 1, 1}, {3, 2, 0}};
    const RoadGraph g = read(dir, path, {{10, {1, 2, 3}, c.tags}}, options);
    expect_consistent(g);
    ASSERT_EQ(g.edges.size(), 1u);
    EXPECT_EQ(g.twoway[0] == 1, c.twoway);
    const auto stored = c.reversed ? edge_of(g, 3, 1) : edge_of(g, 1, 3);
    ASSERT_TRUE(stored);
    const std::vector<Point>& shape = g.geometry[0];
    ASSERT_EQ(shape.size(), 3u);
    EXPECT_NEAR(distance_m(shape.front(), projected(path[c.reversed ? 2 : 0])), 0.0, 1e-6);
    EXPECT_NEAR(distance_m(shape[1], projected(path[1])), 0.0, 1e-6);
}

INSTANTIATE_TEST_SUITE_P(
    Tags, OsmOneway,
    ::testing::Values(
        OnewayCase{"none", {{"highway", "primary"}}, true, true, false},
        OnewayCase{"yes", {{"highway", "primary"}, {"oneway", "yes"}}, true, false, false},
        OnewayCase{"true", {{"highway", "primary"}, {"oneway", "true"}}, true, false, false},
        OnewayCase{"one", {{"highway", "primary"}, {"oneway", "1"}}, true, false, false},
        OnewayCase{"minus_one", {{"highway", "primary"}, {"oneway", "-1"}}, true, false, true},
        OnewayCase{"reverse", {{"highway", "primary"}, {"oneway", "reverse"}}, true, false, true},
        OnewayCase{"no", {{"highway", "primary"}, {"oneway", "no"}}, true, true, false},
        OnewayCase{"roundabout", {{"highway", "primary"}, {"junction", "roundabout"}}, true, false, false},
        OnewayCase{"circular", {{"highway", "tertiary"}, {"junction", "circular"}}, true, false, false},
        OnewayCase{"motorway", {{"highway", "motorway"}}, true, false, false},
        OnewayCase{"motorway_oneway_no", {{"highway", "motorway"}, {"oneway", "no"}}, true, true, false},
        OnewayCase{"motorway_link", {{"highway", "motorway_link"}}, true, true, false},
        OnewayCase{"not_obeyed", {{"highway", "primary"}, {"oneway", "yes"}}, false, true, false},
        OnewayCase{"not_obeyed_reverse", {{"highway", "primary"}, {"oneway", "-1"}}, false, true, false},
        OnewayCase{"not_obeyed_roundabout", {{"highway", "primary"}, {"junction", "roundabout"}}, false, true,
                   false}),
    [](const ::testing::TestParamInfo<OnewayCase>& param_info) { return param_info.param.name; });

struct MaxspeedCase {
    std::string value;
    bool parsed;
    double kmh;
}; // struct MaxspeedCase

class OsmMaxspeed : public ::testing::TestWithParam<MaxspeedCase> {};

TEST_P(OsmMaxspeed, Parse) {
    const MaxspeedCase& c = GetParam();
    double kmh = -1.0;
    EXPECT_EQ(parse_maxspeed(c.value, kmh), c.parsed) << "'" << c.value << "'";
    if (c.parsed) {
        EXPECT_NEAR(kmh, c.kmh, 1e-9) << "'" << c.value << "'";
    } else {
        EXPECT_EQ(kmh, -1.0) << "'" << c.value << "': the output must stay untouched";
    }
}

INSTANTIATE_TEST_SUITE_P(Values, OsmMaxspeed,
                         ::testing::Values(MaxspeedCase{"50", true, 50.0}, MaxspeedCase{"50 km/h", true, 50.0},
                                           MaxspeedCase{"50kmh", true, 50.0}, MaxspeedCase{"50 kph", true, 50.0},
                                           MaxspeedCase{" 70 ", true, 70.0},
                                           MaxspeedCase{"30 mph", true, 30.0 * 1.609344},
                                           MaxspeedCase{"30mph", true, 30.0 * 1.609344},
                                           MaxspeedCase{"10 knots", true, 18.52},
                                           MaxspeedCase{"7.5", true, 7.5},
                                           MaxspeedCase{"FR:urban", true, 50.0},
                                           MaxspeedCase{"FR:rural", true, 80.0},
                                           MaxspeedCase{"FR:motorway", true, 130.0},
                                           MaxspeedCase{"FR:zone30", true, 30.0},
                                           MaxspeedCase{"FR:zone20", true, 20.0},
                                           MaxspeedCase{"walk", true, 6.0}, MaxspeedCase{"50;70", true, 50.0},
                                           MaxspeedCase{"FR:urban;30", true, 50.0},
                                           MaxspeedCase{"none", false, 0.0}, MaxspeedCase{"signals", false, 0.0},
                                           MaxspeedCase{"variable", false, 0.0}, MaxspeedCase{"", false, 0.0},
                                           MaxspeedCase{"0", false, 0.0}, MaxspeedCase{"-30", false, 0.0},
                                           MaxspeedCase{"fast", false, 0.0}, MaxspeedCase{"50 km", false, 0.0},
                                           MaxspeedCase{"50,5", false, 0.0}, MaxspeedCase{"1.2.3", false, 0.0},
                                           MaxspeedCase{"DE:urban", false, 0.0},
                                           MaxspeedCase{"fr:urban", false, 0.0}, MaxspeedCase{";50", false, 0.0}),
                         [](const ::testing::TestParamInfo<MaxspeedCase>& param_info) {
                             // "<index>_<value with every other character as _>", e.g. 5_30_mph
                             std::string name = std::to_string(param_info.index) + "_";
                             for (const char ch : param_info.param.value) {
                                 name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
                             }
                             return name;
                         });

TEST(Osm, MaxspeedSetsTheSpeedWhenParsed) {
    TempDir dir;
    const std::vector<OsmNode> nodes{{1, 0, 0}, {2, 1, 0}, {3, 2, 0}, {4, 3, 0}, {5, 4, 0}};
    const std::vector<OsmWay> ways{
        {10, {1, 2}, {{"highway", "residential"}, {"maxspeed", "50"}}},      // 50 x 0.8 = 40 km/h
        {11, {2, 3}, {{"highway", "primary"}, {"maxspeed", "200"}}},         // capped: 130 x 0.8 = 104 km/h
        {12, {3, 4}, {{"highway", "secondary"}, {"maxspeed", "none"}}},      // unparsed: class speed 55 km/h
        {13, {4, 5}, {{"highway", "tertiary"}, {"maxspeed", "FR:zone30"}}}}; // 30 x 0.8 = 24 km/h
    const auto minutes_at = [](const RoadGraph& g, std::size_t e, double kmh) {
        return g.edges[e].length_m / 1000.0 / kmh * 60.0;
    };
    {
        const RoadGraph g = read(dir, nodes, ways);
        ASSERT_EQ(g.edges.size(), 4u);
        EXPECT_NEAR(g.edges[*edge_of(g, 1, 2)].minutes, minutes_at(g, *edge_of(g, 1, 2), 40.0), 1e-9);
        EXPECT_NEAR(g.edges[*edge_of(g, 2, 3)].minutes, minutes_at(g, *edge_of(g, 2, 3), 104.0), 1e-9);
        EXPECT_NEAR(g.edges[*edge_of(g, 3, 4)].minutes, minutes_at(g, *edge_of(g, 3, 4), 55.0), 1e-9);
        EXPECT_NEAR(g.edges[*edge_of(g, 4, 5)].minutes, minutes_at(g, *edge_of(g, 4, 5), 24.0), 1e-9);
        EXPECT_EQ(g.report.maxspeed_used, 3u);
        EXPECT_EQ(g.report.maxspeed_unparsed, 1u);
    }
    {
        OsmReadOptions options;
        options.profile.use_maxspeed = false;
        const RoadGraph g = read(dir, nodes, ways, options);
        EXPECT_NEAR(g.edges[*edge_of(g, 1, 2)].minutes, minutes_at(g, *edge_of(g, 1, 2), 25.0), 1e-9);
        EXPECT_NEAR(g.edges[*edge_of(g, 2, 3)].minutes, minutes_at(g, *edge_of(g, 2, 3), 65.0), 1e-9);
        EXPECT_EQ(g.report.maxspeed_used, 0u);
        EXPECT_EQ(g.report.maxspeed_unparsed, 0u);
    }
}

TEST(Osm, WaysOutsideTheProfileAreIgnored) {
    TempDir dir;
    const RoadGraph g = read(dir,
                             {{1, 0, 0}, {2, 1, 0}, {3, 2, 0}, {4, 1, 1}, {5, 1, -1}, {6, 1, 2}, {7, 2, 2}, {8, 3, 0},
                              {9, 0, 1}},
                             {{10, {1, 2, 3}, residential},
                              {11, {4, 2, 5}, {{"waterway", "river"}}},
                              {12, {2, 6}, {{"highway", "footway"}}},
                              {13, {1, 2, 7, 1}, {{"highway", "service"}, {"area", "yes"}}},
                              {14, {3, 8}, {{"highway", "residential"}, {"access", "private"}}},
                              {15, {1, 9}, {{"highway", "residential"}, {"motor_vehicle", "no"}}},
                              {16, {3, 7}, {{"highway", "residential"}, {"oneway", "reversible"}}},
                              {17, {2, 9}, {{"highway", "residential"}, {"access", "no"}, {"motorcar", "yes"}}}});
    expect_consistent(g);
    // Node 2 is a junction only with way 17 (motorcar=yes beats access=no); the others leave no trace.
    EXPECT_EQ(sorted_ids(g), (std::vector<std::int64_t>{1, 2, 3, 9}));
    EXPECT_EQ(g.edges.size(), 3u);
    EXPECT_EQ(g.report.ways_read, 8u);
    EXPECT_EQ(g.report.ways_routable, 2u);
    EXPECT_EQ(g.report.ways_restricted, 3u);
}

TEST(Osm, DisconnectedPieceIsDroppedAndReported) {
    TempDir dir;
    const std::vector<OsmNode> nodes{{1, 0, 0}, {2, 1, 0}, {3, 2, 0}, {4, 1, 1}, {20, 10, 10}, {21, 12, 10}};
    const std::vector<OsmWay> ways{
        {10, {1, 2, 3}, residential}, {11, {2, 4}, residential}, {12, {20, 21}, residential}};
    const double island_m = path_length_m({nodes[4], nodes[5]});
    const double main_m = path_length_m({nodes[0], nodes[1], nodes[2]}) + path_length_m({nodes[1], nodes[3]});

    const RoadGraph g = read(dir, nodes, ways);
    expect_consistent(g);
    EXPECT_EQ(sorted_ids(g), (std::vector<std::int64_t>{1, 2, 3, 4}));
    EXPECT_EQ(g.edges.size(), 3u);
    EXPECT_EQ(g.report.components, 2u);
    EXPECT_EQ(g.report.dropped_nodes, 2u);
    EXPECT_EQ(g.report.dropped_edges, 1u);
    EXPECT_GT(g.report.dropped_km, 0.0);
    EXPECT_NEAR(g.report.dropped_km, island_m / 1000.0, 1e-9);
    EXPECT_NEAR(g.report.kept_km, main_m / 1000.0, 1e-9);

    const RoadGraph all = read(dir, nodes, ways, all_components());
    expect_consistent(all);
    EXPECT_EQ(all.nodes.size(), 6u);
    EXPECT_EQ(all.edges.size(), 4u);
    EXPECT_EQ(all.report.components, 2u);
    EXPECT_EQ(all.report.dropped_nodes, 0u);
    EXPECT_NEAR(all.report.kept_km, (main_m + island_m) / 1000.0, 1e-9);
}

TEST(Osm, OneWayDeadEndIsNotInTheLargestComponent) {
    TempDir dir;
    // A two-way street 1-2-3 and a one-way branch 2 -> 4 that leads nowhere: 4 cannot come back.
    const RoadGraph g = read(dir, {{1, 0, 0}, {2, 1, 0}, {3, 2, 0}, {4, 1, 1}},
                             {{10, {1, 2, 3}, residential},
                              {11, {2, 4}, {{"highway", "residential"}, {"oneway", "yes"}}}});
    expect_consistent(g);
    EXPECT_EQ(sorted_ids(g), (std::vector<std::int64_t>{1, 2, 3}));
    EXPECT_EQ(g.edges.size(), 2u);
    EXPECT_EQ(g.report.components, 2u);
    EXPECT_EQ(g.report.dropped_nodes, 1u);
    EXPECT_EQ(g.report.dropped_edges, 1u);
    EXPECT_GT(g.report.dropped_km, 0.0);
    for (const auto flag : g.twoway) {
        EXPECT_EQ(flag, 1);
    }
}

TEST(Osm, OneWayLoopStaysStronglyConnected) {
    TempDir dir;
    // A one-way ring 1 -> 2 -> 3 -> 4 -> 1 with a two-way spur 1-5: everything reaches everything.
    const RoadGraph g =
        read(dir, {{1, 0, 0}, {2, 1, 0}, {3, 1, 1}, {4, 0, 1}, {5, -1, 0}},
             {{10, {1, 2, 3}, {{"highway", "tertiary"}, {"oneway", "yes"}}},
              {11, {3, 4, 1}, {{"highway", "tertiary"}, {"oneway", "yes"}}}, {12, {1, 5}, residential}});
    expect_consistent(g);
    EXPECT_EQ(g.report.components, 1u);
    EXPECT_EQ(g.report.dropped_nodes, 0u);
    EXPECT_EQ(g.edges.size(), 3u);
}

TEST(Osm, ClipCutsWaysAtNodesOutside) {
    TempDir dir;
    const std::vector<OsmNode> nodes{{1, 0, 0}, {2, 1, 0}, {3, 2, 0}, {4, 3, 0}, {5, 4, 0}};
    const std::vector<OsmWay> ways{{10, {1, 2, 3, 4, 5}, residential}};
    // Two boxes 10 m around nodes 1-2 and 4-5; node 3 lies about 70 m from each.
    const auto box = [](const Point& a, const Point& b) {
        const double m = 10.0;
        std::ostringstream out;
        out.precision(12);
        const double x0 = std::min(a.x_m, b.x_m) - m, x1 = std::max(a.x_m, b.x_m) + m;
        const double y0 = std::min(a.y_m, b.y_m) - m, y1 = std::max(a.y_m, b.y_m) + m;
        out << "((" << x0 << " " << y0 << ", " << x1 << " " << y0 << ", " << x1 << " " << y1 << ", " << x0 << " "
            << y1 << ", " << x0 << " " << y0 << "))";
        return out.str();
    };
    const std::string wkt = "MULTIPOLYGON(" + box(projected(nodes[0]), projected(nodes[1])) + ", " +
                            box(projected(nodes[3]), projected(nodes[4])) + ")";
    {
        OsmReadOptions options = all_components();
        options.clip = Geometry::from_wkt(wkt);
        const RoadGraph g = read(dir, nodes, ways, options);
        expect_consistent(g);
        EXPECT_EQ(sorted_ids(g), (std::vector<std::int64_t>{1, 2, 4, 5}));
        EXPECT_TRUE(edge_of(g, 1, 2));
        EXPECT_TRUE(edge_of(g, 4, 5));
        EXPECT_EQ(g.edges.size(), 2u);
        EXPECT_EQ(g.report.nodes_outside_clip, 1u);
        EXPECT_EQ(g.report.components, 2u);
    }
    {
        OsmReadOptions options; // the two halves tie: the component with the lowest label is kept
        options.clip = Geometry::from_wkt(wkt);
        const RoadGraph g = read(dir, nodes, ways, options);
        expect_consistent(g);
        EXPECT_EQ(g.nodes.size(), 2u);
        EXPECT_EQ(g.edges.size(), 1u);
        EXPECT_EQ(g.report.dropped_nodes, 2u);
    }
    {
        OsmReadOptions options = all_components();
        options.clip = Geometry::from_wkt(wkt);
        options.clip_buffer_m = 100.0; // grows both boxes over node 3
        const RoadGraph g = read(dir, nodes, ways, options);
        expect_consistent(g);
        EXPECT_EQ(sorted_ids(g), (std::vector<std::int64_t>{1, 5}));
        EXPECT_EQ(g.report.nodes_outside_clip, 0u);
    }
    {
        OsmReadOptions options;
        options.clip = Geometry::from_wkt("POLYGON((0 0, 1 0, 1 1, 0 0))"); // far away in Lambert-93
        EXPECT_TRUE(contains_all(message_of<input_error>([&] { read(dir, nodes, ways, options); }),
                                 {"no routable road left", "roads.osm", "car", "clip"}));
    }
    {
        OsmReadOptions options;
        options.clip = Geometry::from_wkt("POINT(0 0)");
        EXPECT_TRUE(contains_all(message_of<input_error>([&] { read(dir, nodes, ways, options); }),
                                 {"clip", "Point"}));
    }
}

TEST(Osm, NodeMissingFromTheFileCutsTheWay) {
    TempDir dir;
    const RoadGraph g = read(dir, {{1, 0, 0}, {2, 1, 0}, {4, 3, 0}, {5, 4, 0}}, {{10, {1, 2, 3, 4, 5}, residential}},
                             all_components());
    expect_consistent(g);
    EXPECT_EQ(sorted_ids(g), (std::vector<std::int64_t>{1, 2, 4, 5}));
    EXPECT_EQ(g.edges.size(), 2u);
    EXPECT_EQ(g.report.nodes_missing_location, 1u);
}

TEST(Osm, NegativeIdsOfUnsavedEditsAreRead) {
    TempDir dir;
    const RoadGraph g = read(dir, {{-3, 0, 0}, {-2, 1, 0}, {-1, 2, 0}, {7, 1, 1}},
                             {{-10, {-3, -2, -1}, residential}, {-11, {-2, 7}, residential}});
    expect_consistent(g);
    EXPECT_EQ(sorted_ids(g), (std::vector<std::int64_t>{-3, -2, -1, 7}));
    EXPECT_EQ(g.edges.size(), 3u);
}

TEST(Osm, ToNetworkKeepsNodesEdgesAndDirections) {
    TempDir dir;
    const RoadGraph g = read(dir, {{1, 0, 0}, {2, 1, 0}, {3, 2, 0}, {4, 1, 1}},
                             {{10, {1, 2, 3}, residential},
                              {11, {2, 4}, {{"highway", "residential"}, {"oneway", "yes"}}}},
                             all_components());
    const Network n = g.to_network();
    EXPECT_EQ(n.node_count(), 4u);
    EXPECT_EQ(n.edge_count(), 3u);
    EXPECT_EQ(n.arc_count(), 5u);
    EXPECT_EQ(n.twoway(), g.twoway);
    const auto from2 = n.reach(static_cast<node_id>(*node_of(g, 2)), std::numeric_limits<double>::infinity());
    EXPECT_EQ(from2.nodes.size(), 4u);
    const auto from4 = n.reach(static_cast<node_id>(*node_of(g, 4)), std::numeric_limits<double>::infinity());
    EXPECT_EQ(from4.nodes.size(), 1u);
}

TEST(Osm, MissingFileIsAnIoErrorNamingIt) {
    TempDir dir;
    const std::string path = dir.file("nowhere.osm.pbf");
    EXPECT_TRUE(contains_all(message_of<io_error>([&] { read_osm_roads(path); }), {path, "no such file"}));
    const std::string folder = dir.path().string();
    EXPECT_TRUE(contains_all(message_of<io_error>([&] { read_osm_roads(folder); }), {folder, "not a regular file"}));
}

TEST(Osm, UnreadableFileIsAnIoErrorNamingIt) {
    TempDir dir;
    const std::string pbf = write_text(dir.file("garbage.osm.pbf"), "this is not a PBF file at all");
    EXPECT_TRUE(contains_all(message_of<io_error>([&] { read_osm_roads(pbf); }), {pbf}));
    const std::string xml = write_text(dir.file("broken.osm"), "<osm version=\"0.6\"><node id=\"1\" lat=");
    EXPECT_TRUE(contains_all(message_of<io_error>([&] { read_osm_roads(xml); }), {xml}));
    const std::string suffix = write_text(dir.file("roads.txt"), "hello");
    EXPECT_TRUE(contains_all(message_of<io_error>([&] { read_osm_roads(suffix); }), {suffix}));
}

TEST(Osm, NoRoutableWayIsAnInputErrorNamingFileAndProfile) {
    TempDir dir;
    const std::string path = write_text(
        dir.file("river.osm"),
        osm_xml({{1, 0, 0}, {2, 1, 0}},
                {{10, {1, 2}, {{"waterway", "river"}}}, {11, {1, 2}, {{"highway", "footway"}}}}));
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { read_osm_roads(path); }),
                             {"no routable way", path, "'car'", "2 ways read"}));
}

TEST(Osm, BadOptionsAreInputErrors) {
    TempDir dir;
    const std::string path = write_text(dir.file("roads.osm"), osm_xml({{1, 0, 0}, {2, 1, 0}}, {{10, {1, 2}, residential}}));
    {
        OsmReadOptions o;
        o.profile.highway_kmh.clear();
        EXPECT_TRUE(contains_all(message_of<input_error>([&] { read_osm_roads(path, o); }), {"no highway class"}));
    }
    {
        OsmReadOptions o;
        o.profile.highway_kmh["residential"] = 0.0;
        EXPECT_TRUE(contains_all(message_of<input_error>([&] { read_osm_roads(path, o); }), {"highway=residential"}));
    }
    {
        OsmReadOptions o;
        o.profile.highway_kmh["track"] = -5.0;
        EXPECT_TRUE(contains_all(message_of<input_error>([&] { read_osm_roads(path, o); }), {"highway=track"}));
    }
    {
        OsmReadOptions o;
        o.profile.maxspeed_factor = 0.0;
        EXPECT_TRUE(contains_all(message_of<input_error>([&] { read_osm_roads(path, o); }), {"maxspeed_factor"}));
    }
    {
        OsmReadOptions o;
        o.profile.max_kmh = std::numeric_limits<double>::quiet_NaN();
        EXPECT_TRUE(contains_all(message_of<input_error>([&] { read_osm_roads(path, o); }), {"max_kmh"}));
    }
    {
        OsmReadOptions o;
        o.clip_buffer_m = -1.0;
        EXPECT_TRUE(contains_all(message_of<input_error>([&] { read_osm_roads(path, o); }), {"clip_buffer_m"}));
    }
    {
        OsmReadOptions o;
        o.crs = "EPSG:4326";
        EXPECT_TRUE(contains_all(message_of<input_error>([&] { read_osm_roads(path, o); }), {"EPSG:4326", "metres"}));
    }
    {
        OsmReadOptions o;
        o.crs = "EPSG:999999";
        EXPECT_TRUE(contains_all(message_of<input_error>([&] { read_osm_roads(path, o); }), {"crs", "EPSG:999999"}));
    }
}

// Real data: the Saint-Barthélemy extract of Osmose's test suite (tests/data/README.md), in RGAF09 / UTM 20N.
TEST(Osm, SaintBarthelemyExtract) {
    const char* data_dir = std::getenv("TIERSLIEUX_TEST_DATA_DIR");
    ASSERT_NE(data_dir, nullptr) << "TIERSLIEUX_TEST_DATA_DIR is not set";
    OsmReadOptions options;
    options.crs = "EPSG:5490";
    const RoadGraph g = read_osm_roads(std::string{data_dir} + "/saint_barthelemy.osm.pbf", options);
    expect_consistent(g);
    const OsmReport& r = g.report;
    std::cout << std::setprecision(9) << "ways_read=" << r.ways_read << " ways_routable=" << r.ways_routable
              << " nodes=" << g.nodes.size() << " edges=" << g.edges.size() << " components=" << r.components
              << " dropped_nodes=" << r.dropped_nodes << " dropped_edges=" << r.dropped_edges
              << " kept_km=" << r.kept_km << " dropped_km=" << r.dropped_km << "\n";

    // Counts measured on this file (2025-11-28). Ways: osmium fileinfo says 625; `osmium tags-filter` on the 14
    // car classes keeps 504 (no area, access or reversible tag among them here).
    EXPECT_EQ(r.ways_read, 625u);
    EXPECT_EQ(r.ways_routable, 504u);
    EXPECT_EQ(r.ways_restricted, 0u);
    EXPECT_EQ(r.nodes_missing_location, 0u);
    EXPECT_EQ(r.nodes_outside_clip, 0u);
    EXPECT_EQ(r.components, 7u); // the 6 small ones are also apart when edges are undirected
    EXPECT_EQ(g.nodes.size(), 928u);
    EXPECT_EQ(g.edges.size(), 979u);
    EXPECT_EQ(r.dropped_nodes, 20u);
    EXPECT_EQ(r.dropped_edges, 14u);
    // Total length of the 504 ways: GDAL's OSM driver on the same 504 ways, reprojected to EPSG:5490 by
    // ogr2ogr, sums ST_Length to 118.973623 km.
    EXPECT_NEAR(r.kept_km + r.dropped_km, 118.973623, 1e-3);
    EXPECT_GT(r.kept_km, 118.1 * 0.9);
    EXPECT_LT(r.kept_km, 118.1 * 1.1);
    EXPECT_GT(r.dropped_km, 0.0);
    EXPECT_LT(r.dropped_km, 1.0);

    // One strong component, every OSM node once.
    const Network n = g.to_network();
    const std::vector<std::uint32_t> label = n.strong_components();
    EXPECT_EQ(std::set<std::uint32_t>(label.begin(), label.end()).size(), 1u);
    EXPECT_EQ(std::set<std::int64_t>(g.node_osm_id.begin(), g.node_osm_id.end()).size(), g.nodes.size());
    // The island lies within about 10 km in UTM 20N (eastings ~ 510 km, northings ~ 1 980 km).
    for (const Point& p : g.nodes) {
        EXPECT_GT(p.x_m, 480000.0);
        EXPECT_LT(p.x_m, 540000.0);
        EXPECT_GT(p.y_m, 1960000.0);
        EXPECT_LT(p.y_m, 2000000.0);
    }
}
