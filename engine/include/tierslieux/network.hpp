#pragma once
/**
 * @file network.hpp
 * Commute graphs and travel times. A Network is a set of nodes (points in a metric CRS) and directed edges with a
 * length in metres and a travel time in minutes, stored as a compressed sparse row graph. The default commute
 * graph links communes that share a border (build_commune_graph); road graphs from OpenStreetMap will come in
 * behind the same class.
 */

#include <tierslieux/geometry.hpp>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace tierslieux {

using node_id = std::uint32_t;

/** An edge between two nodes: length in metres, travel time in minutes. */
struct Edge {
    node_id from = 0;
    node_id to = 0;
    double length_m = 0.0;
    double minutes = 0.0;
}; // struct Edge

/** Nodes reached by a bounded search, with their travel time in minutes (sorted by node id). */
struct Reach {
    std::vector<node_id> nodes;
    std::vector<double> minutes;
}; // struct Reach

/** A routable graph. Immutable after construction; searches are const and thread-safe. */
class Network {
public:
    /**
     * Builds the graph. With twoway, each edge is usable in both directions (and reported once by edges()).
     * Throws input_error naming the edge index for ids out of range, negative or non-finite minutes/lengths.
     */
    Network(std::vector<Point> nodes, std::vector<Edge> edges, bool twoway = true);
    ~Network();
    Network(Network&&) noexcept;
    Network& operator=(Network&&) noexcept;
    Network(const Network&) = delete;
    Network& operator=(const Network&) = delete;

    std::size_t node_count() const noexcept;
    /** Number of edges as given (a two-way edge counts once). */
    std::size_t edge_count() const noexcept;
    const std::vector<Point>& nodes() const noexcept;
    const std::vector<Edge>& edges() const noexcept;
    bool is_twoway() const noexcept;

    /**
     * Every node reachable from `source` within max_minutes (inclusive), with its shortest travel time
     * (Dijkstra, Boost.Graph, stopped at the bound). Pass infinity for an unbounded search.
     * Throws input_error for a bad source or a negative/NaN bound.
     */
    Reach reach(node_id source, double max_minutes) const;

    /** Number of connected components, treating edges as undirected. */
    std::size_t component_count() const;

private:
    struct impl;
    std::unique_ptr<impl> m_impl;
}; // class Network

/**
 * Parameters of the commune commute graph. Defaults and their calibration: docs/network.md.
 * Straight-line distances are multiplied by detour_factor to approximate road distance.
 */
struct CommuneGraphParams {
    double detour_factor = 1.5;
    double speed_kmh = 50.0;
    /** Town-hall-to-site access legs use the same detour factor at this speed. */
    double access_speed_kmh = 50.0;
}; // struct CommuneGraphParams

/** Throws input_error unless detour_factor >= 1 and the speeds are positive and finite. */
void validate(const CommuneGraphParams& params);

/** Minutes for a straight distance under the commune-graph rule: distance × detour / speed. */
double commune_graph_minutes(double straight_m, double detour_factor, double speed_kmh) noexcept;

/**
 * The commune commute graph: one node per commune at its town hall, one two-way edge per pair of communes sharing
 * a border; edge length = straight distance × detour factor, minutes = length / speed.
 */
Network build_commune_graph(const std::vector<Point>& town_halls,
                            const std::vector<std::pair<std::size_t, std::size_t>>& adjacency,
                            const CommuneGraphParams& params);

} // namespace tierslieux
