#pragma once
/**
 * @file osm.hpp
 * Routable road graphs from OpenStreetMap extracts (.osm.pbf, .osm, .osm.bz2), read with libosmium.
 * Ways with a highway tag of the profile become edges, split at nodes shared with other ways; chains of
 * degree-2 nodes are contracted (their geometry is kept); only the largest strongly connected component is kept,
 * and what is dropped is reported.
 */

#include <tierslieux/geometry.hpp>
#include <tierslieux/network.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tierslieux {

/** Travel speeds per OSM highway class, in km/h. */
struct SpeedProfile {
    std::string name;
    /** highway=* value -> speed in km/h; ways of other classes are not routable. */
    std::map<std::string, double> highway_kmh;
    /** Use a way's maxspeed tag (capped by max_kmh) instead of its class speed when it can be parsed. */
    bool use_maxspeed = true;
    /** Fraction of maxspeed actually driven on average (bends, junctions, traffic). */
    double maxspeed_factor = 0.8;
    double max_kmh = 130.0;
    /** Whether oneway tags are obeyed (car: yes). */
    bool obey_oneway = true;

    /** The default car profile: OSRM 5 car.lua class speeds (docs/osm.md gives the source of each speed). */
    static SpeedProfile car();
}; // struct SpeedProfile

/** Options of read_osm_roads. */
struct OsmReadOptions {
    SpeedProfile profile = SpeedProfile::car();
    /** Metric CRS of the graph (node coordinates, lengths). */
    std::string crs = "EPSG:2154";
    /**
     * Keep only what lies inside this (Multi)Polygon, in `crs`, grown by clip_buffer_m. Empty geometry: keep
     * everything. A way leaving the area is cut at its last node inside.
     */
    Geometry clip;
    double clip_buffer_m = 0.0;
    /** Keep only the largest strongly connected component (what is dropped is reported). */
    bool keep_largest_component = true;
}; // struct OsmReadOptions

/** What read_osm_roads read, kept and dropped. */
struct OsmReport {
    std::size_t ways_read = 0;        ///< ways in the file
    std::size_t ways_routable = 0;    ///< ways with a highway class of the profile (not area, not restricted)
    std::size_t ways_restricted = 0;  ///< ways of a profile class left out: no car access, oneway=reversible
    std::size_t nodes_outside_clip = 0;     ///< OSM nodes of routable ways outside the (grown) clip area
    std::size_t nodes_missing_location = 0; ///< OSM nodes used by routable ways but absent from the file
    std::size_t self_loops_dropped = 0;     ///< way pieces from a node straight back to itself
    std::size_t components = 0;       ///< strongly connected components before dropping
    std::size_t dropped_nodes = 0;    ///< graph nodes outside the largest component
    std::size_t dropped_edges = 0;
    double dropped_km = 0.0;
    double kept_km = 0.0;
    std::size_t maxspeed_used = 0;     ///< edges whose speed came from a maxspeed tag
    std::size_t maxspeed_unparsed = 0; ///< maxspeed tags that could not be read (class speed used)
}; // struct OsmReport

/** A road graph: nodes, edges (one per way segment between graph nodes) with their geometry. */
struct RoadGraph {
    std::vector<Point> nodes;
    std::vector<std::int64_t> node_osm_id;
    std::vector<Edge> edges;                  ///< from -> to in the way's direction
    std::vector<std::uint8_t> twoway;         ///< per edge: 1 usable both ways, 0 from -> to only
    std::vector<std::vector<Point>> geometry; ///< per edge: from node, shape points, to node
    std::vector<std::int64_t> way_id;         ///< per edge
    std::vector<std::string> highway;         ///< per edge: highway class
    OsmReport report;

    /** A routable Network of this graph (two-way edges usable in both directions). */
    Network to_network() const;
}; // struct RoadGraph

/**
 * Reads the road graph of an OSM file. Throws io_error when the file cannot be read (the message names it),
 * input_error for bad options (unknown CRS, empty profile, non-positive speeds).
 */
RoadGraph read_osm_roads(const std::string& path, const OsmReadOptions& options = {});

/** Parses an OSM maxspeed value in km/h ("50", "30 mph", "FR:urban", "walk"…); false when it cannot. */
bool parse_maxspeed(const std::string& value, double& kmh);

} // namespace tierslieux
