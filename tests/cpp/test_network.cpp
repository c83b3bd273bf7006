// network.hpp: the routable graph (bounded Dijkstra, components) and the commune commute graph.

#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include <tierslieux/errors.hpp>
#include <tierslieux/network.hpp>

#include "support.hpp"

using namespace tierslieux;
using tierslieux::test::contains_all;
using tierslieux::test::message_of;

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();
constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

/**
 * A path 0 -5- 1 -5- 2 -5- 3 with a shortcut 0 -7- 2, and node 4 alone (minutes on the edges).
 * Shortest times from 0: 1 in 5, 2 in 7 (shortcut, not 10), 3 in 12.
 */
Network path_with_shortcut(bool twoway = true) {
    std::vector<Point> nodes{{0, 0}, {1000, 0}, {2000, 0}, {3000, 0}, {50000, 0}};
    std::vector<Edge> edges{{0, 1, 1000, 5}, {1, 2, 1000, 5}, {2, 3, 1000, 5}, {0, 2, 2000, 7}};
    return Network{std::move(nodes), std::move(edges), twoway};
}

void expect_reach(const Reach& r, const std::vector<node_id>& nodes, const std::vector<double>& minutes) {
    EXPECT_EQ(r.nodes, nodes);
    EXPECT_EQ(r.minutes, minutes);
}

} // namespace

TEST(Network, Shape) {
    const Network n = path_with_shortcut();
    EXPECT_EQ(n.node_count(), 5u);
    EXPECT_EQ(n.edge_count(), 4u); // a two-way edge counts once
    EXPECT_TRUE(n.is_twoway());
    ASSERT_EQ(n.edges().size(), 4u);
    EXPECT_EQ(n.edges()[3].from, 0u);
    EXPECT_EQ(n.edges()[3].to, 2u);
    EXPECT_EQ(n.edges()[3].minutes, 7.0);
    EXPECT_EQ(n.nodes()[4].x_m, 50000.0);
}

TEST(Network, UnboundedReachTakesTheShortcut) {
    const Network n = path_with_shortcut();
    expect_reach(n.reach(0, infinity), {0, 1, 2, 3}, {0, 5, 7, 12});
    expect_reach(n.reach(3, infinity), {0, 1, 2, 3}, {12, 10, 5, 0});
}

TEST(Network, BoundIsInclusive) {
    const Network n = path_with_shortcut();
    expect_reach(n.reach(0, 7.0), {0, 1, 2}, {0, 5, 7});
    expect_reach(n.reach(0, 6.999), {0, 1}, {0, 5});
    expect_reach(n.reach(0, 12.0), {0, 1, 2, 3}, {0, 5, 7, 12});
    expect_reach(n.reach(0, 0.0), {0}, {0});
    expect_reach(n.reach(1, 5.0), {0, 1, 2}, {5, 0, 5});
}

TEST(Network, DisconnectedNodeIsNotReached) {
    const Network n = path_with_shortcut();
    expect_reach(n.reach(4, infinity), {4}, {0});
    for (const node_id v : n.reach(0, infinity).nodes) {
        EXPECT_NE(v, 4u);
    }
}

TEST(Network, OneWayEdgesAreFollowedForwardOnly) {
    const Network n = path_with_shortcut(false);
    EXPECT_FALSE(n.is_twoway());
    expect_reach(n.reach(0, infinity), {0, 1, 2, 3}, {0, 5, 7, 12});
    expect_reach(n.reach(2, infinity), {2, 3}, {0, 5});
    expect_reach(n.reach(3, infinity), {3}, {0});
}

TEST(Network, ComponentCount) {
    EXPECT_EQ(path_with_shortcut().component_count(), 2u); // {0, 1, 2, 3} and {4}
    EXPECT_EQ(path_with_shortcut(false).component_count(), 2u); // edges taken as undirected
    EXPECT_EQ(Network({{0, 0}, {1, 1}, {2, 2}}, {}).component_count(), 3u);
    EXPECT_EQ(Network({}, {}).component_count(), 0u);
    EXPECT_EQ(Network({{0, 0}, {1, 1}}, {{0, 1, 1, 1}}).component_count(), 1u);
}

TEST(Network, BadEdgesAreRefusedNamingTheEdge) {
    const std::vector<Point> nodes{{0, 0}, {1, 0}, {2, 0}};
    auto build = [&](Edge bad) {
        return message_of<input_error>([&] { Network(nodes, {{0, 1, 1, 1}, bad}); });
    };
    EXPECT_TRUE(contains_all(build({1, 3, 1, 1}), {"edge 1", "3"}));
    EXPECT_TRUE(contains_all(build({7, 0, 1, 1}), {"edge 1", "7"}));
    EXPECT_TRUE(contains_all(build({1, 2, 1, -1}), {"edge 1", "minutes"}));
    EXPECT_TRUE(contains_all(build({1, 2, 1, not_a_number}), {"edge 1", "minutes"}));
    EXPECT_TRUE(contains_all(build({1, 2, 1, infinity}), {"edge 1", "minutes"}));
    EXPECT_TRUE(contains_all(build({1, 2, -1, 1}), {"edge 1", "length_m"}));
    EXPECT_TRUE(contains_all(build({1, 2, not_a_number, 1}), {"edge 1", "length_m"}));
}

TEST(Network, BadSearchesAreRefused) {
    const Network n = path_with_shortcut();
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { n.reach(5, infinity); }), {"5"}));
    EXPECT_THROW(n.reach(0, not_a_number), input_error);
    EXPECT_THROW(n.reach(0, -1.0), input_error);
    EXPECT_THROW(Network({}, {}).reach(0, infinity), input_error);
}

TEST(Network, MovedNetworkStillAnswers) {
    Network a = path_with_shortcut();
    const Network b{std::move(a)};
    expect_reach(b.reach(0, 6.0), {0, 1}, {0, 5});
}

// ---------------------------------------------------------------------------------------------- commune graph

TEST(CommuneGraph, MinutesRule) {
    EXPECT_DOUBLE_EQ(commune_graph_minutes(1000.0, 1.0, 60.0), 1.0);
    EXPECT_DOUBLE_EQ(commune_graph_minutes(1000.0, 1.5, 50.0), 1.8);
    EXPECT_DOUBLE_EQ(commune_graph_minutes(0.0, 1.5, 50.0), 0.0);
}

TEST(CommuneGraph, EdgeLengthIsStraightTimesDetourAndMinutesFollowSpeed) {
    // town halls: 0 at the origin, 1 at 5 km (3-4-5 triangle), 2 at 3 km east
    const std::vector<Point> halls{{0, 0}, {3000, 4000}, {3000, 0}};
    CommuneGraphParams params;
    params.detour_factor = 1.2;
    params.speed_kmh = 60.0;
    const Network n = build_commune_graph(halls, {{0, 1}, {1, 2}}, params);
    EXPECT_TRUE(n.is_twoway());
    EXPECT_EQ(n.node_count(), 3u);
    ASSERT_EQ(n.edge_count(), 2u);
    EXPECT_EQ(n.edges()[0].from, 0u);
    EXPECT_EQ(n.edges()[0].to, 1u);
    EXPECT_DOUBLE_EQ(n.edges()[0].length_m, 6000.0);
    EXPECT_DOUBLE_EQ(n.edges()[0].minutes, 6.0);
    EXPECT_DOUBLE_EQ(n.edges()[1].length_m, 4800.0);
    EXPECT_DOUBLE_EQ(n.edges()[1].minutes, 4.8);
    EXPECT_EQ(n.nodes()[1].x_m, 3000.0);
    EXPECT_EQ(n.component_count(), 1u);

    const Reach r = n.reach(2, infinity);
    ASSERT_EQ(r.nodes, (std::vector<node_id>{0, 1, 2}));
    EXPECT_DOUBLE_EQ(r.minutes[0], 10.8); // 2 -> 1 -> 0, there is no edge 0-2
}

TEST(CommuneGraph, DefaultParameters) {
    const Network n = build_commune_graph({{0, 0}, {10000, 0}}, {{0, 1}}, CommuneGraphParams{});
    EXPECT_DOUBLE_EQ(n.edges()[0].length_m, 15000.0); // detour 1.5
    EXPECT_DOUBLE_EQ(n.edges()[0].minutes, 18.0);     // 15 km at 50 km/h
}

TEST(CommuneGraph, BadAdjacencyIsRefused) {
    const std::vector<Point> halls{{0, 0}, {1, 0}};
    EXPECT_THROW(build_commune_graph(halls, {{0, 2}}, {}), input_error);
    EXPECT_THROW(build_commune_graph(halls, {{1, 1}}, {}), input_error);
}

TEST(CommuneGraph, ValidateParameters) {
    auto with = [](double detour, double speed, double access) {
        CommuneGraphParams p;
        p.detour_factor = detour;
        p.speed_kmh = speed;
        p.access_speed_kmh = access;
        return p;
    };
    EXPECT_NO_THROW(validate(with(1.0, 50, 50)));
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { validate(with(0.99, 50, 50)); }), {"detour_factor"}));
    EXPECT_THROW(validate(with(not_a_number, 50, 50)), input_error);
    EXPECT_THROW(validate(with(infinity, 50, 50)), input_error);
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { validate(with(1.5, 0, 50)); }), {"speed_kmh"}));
    EXPECT_THROW(validate(with(1.5, -30, 50)), input_error);
    EXPECT_THROW(validate(with(1.5, not_a_number, 50)), input_error);
    EXPECT_THROW(validate(with(1.5, infinity, 50)), input_error);
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { validate(with(1.5, 50, 0)); }), {"access_speed_kmh"}));
    EXPECT_THROW(build_commune_graph({{0, 0}, {1, 0}}, {{0, 1}}, with(0.5, 50, 50)), input_error);
}
