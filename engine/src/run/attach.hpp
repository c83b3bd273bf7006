#pragma once
// Run layer. Where points join the commute graph: snapped to the nearest road node (road graphs) or joined at
// their commune's town hall (commune graph). Shared by the pipeline (town halls, sites) and the criteria
// (existing tiers-lieux, employment poles). Only src/ includes this.

#include <tierslieux/errors.hpp>
#include <tierslieux/geometry.hpp>
#include <tierslieux/network.hpp>
#include <tierslieux/territory.hpp>

#include "detail/text.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace tierslieux::detail {

/** Points joined to a graph: node, straight metres to it, access minutes (NaN: not snapped), names not snapped. */
struct joined_points {
    std::vector<node_id> node;
    std::vector<double> snap_m;
    std::vector<double> access;
    std::vector<std::string> far;
}; // struct joined_points

/** Road graph: each point to its nearest node; farther than max_snap_m it is not snapped (access NaN). */
inline joined_points snap_to_roads(const Network& network, const std::vector<Point>& points,
                                   const std::vector<std::string>& names, double max_snap_m, double access_speed_kmh) {
    joined_points out;
    const double metres_per_minute = access_speed_kmh * 1000.0 / 60.0;
    out.node = network.nearest_nodes(points, &out.snap_m);
    for (std::size_t i = 0; i < points.size(); ++i) {
        const bool ok = out.snap_m[i] <= max_snap_m;
        out.access.push_back(ok ? out.snap_m[i] / metres_per_minute : std::numeric_limits<double>::quiet_NaN());
        if (!ok) {
            out.far.push_back(names[i]);
        }
    }
    return out;
}

/** Commune graph: a point joins at its commune's town hall; access = straight distance × detour at the speed. */
inline void join_at_town_hall(const Territory& territory, const Point& point, const std::string& commune_code,
                              double detour_factor, double access_speed_kmh, joined_points& out) {
    const std::size_t k = territory.commune_index(commune_code);
    const double d = distance_m(point, territory.communes[k].town_hall);
    out.node.push_back(static_cast<node_id>(k));
    out.snap_m.push_back(d);
    out.access.push_back(commune_graph_minutes(d, detour_factor, access_speed_kmh));
}

/** Code "not_snapped": "N <what> lie(s) more than M m from the road graph and <effect>: a, b, c…"; ids: `far`. */
inline Diagnostic not_snapped_warning(const std::vector<std::string>& far, const std::string& what, double max_snap_m,
                                      const std::string& effect) {
    return {"not_snapped",
            std::to_string(far.size()) + " " + what + " lie(s) more than " +
                std::to_string(static_cast<long long>(std::lround(max_snap_m))) + " m from the road graph and " +
                effect + ": " + join_names(far, 5),
            far};
}

/** Where communes and sites join the graph, as the pipeline attached them. */
struct Attachment {
    const Network& network;
    const Network& towards;                    ///< network with every edge reversed (people travel to places)
    const std::vector<node_id>& commune_node;
    const std::vector<double>& commune_access; ///< minutes; NaN: not snapped
    const std::vector<node_id>& site_node;
    const std::vector<double>& site_access;    ///< minutes; NaN: not snapped
    double access_speed_kmh;                   ///< access legs are driven at this speed
    bool road_graph;        ///< places are snapped by location (else joined at their commune's town hall)
    double max_snap_m;      ///< road graph: places farther from a road node are not snapped
    double detour_factor;   ///< commune graph: access leg = straight distance × this at access_speed_kmh
}; // struct Attachment

/** Where the places of an optional layer join the graph (like sites); `far` lists those not snapped. */
inline joined_points attach_places(const Territory& territory, const Attachment& at, const std::vector<Place>& places) {
    std::vector<Point> points;
    std::vector<std::string> ids;
    for (const auto& p : places) {
        points.push_back(p.location);
        ids.push_back(p.id);
    }
    if (at.road_graph) {
        return snap_to_roads(at.network, points, ids, at.max_snap_m, at.access_speed_kmh);
    }
    joined_points out;
    for (const auto& p : places) {
        join_at_town_hall(territory, p.location, p.commune_code, at.detour_factor, at.access_speed_kmh, out);
        out.node.back() = at.commune_node[out.node.back()]; // commune index -> its node
    }
    return out;
}

} // namespace tierslieux::detail
