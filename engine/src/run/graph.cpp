// Step attach_graph: the commute graph (commune graph, or OpenStreetMap roads) and where communes and sites join it.
#include "run/attach.hpp"
#include "run/context.hpp"

#include <tierslieux/osm.hpp>

namespace tierslieux {

namespace {

/** The commune graph: one node per commune at its town hall; sites join at their commune's town hall. */
CommuteGraph commune_graph(const Territory& territory, const RunOptions& options,
                           std::map<std::string, double>& seconds,
                           std::vector<Diagnostic>& warnings) {
    std::vector<std::pair<std::size_t, std::size_t>> adjacency;
    {
        stage_timer timer{seconds, "adjacency"};
        std::vector<Geometry> polygons;
        polygons.reserve(territory.communes.size());
        for (const auto& c : territory.communes) {
            polygons.push_back(c.geometry.clone());
        }
        adjacency = adjacent_pairs(polygons, options.adjacency_tolerance_m);
    }
    std::vector<Point> halls;
    for (const auto& c : territory.communes) {
        halls.push_back(c.town_hall);
    }
    stage_timer timer{seconds, "graph"};
    CommuteGraph g;
    g.network = build_commune_graph(halls, adjacency, options.graph);
    g.kind = "commune";
    for (std::size_t k = 0; k < territory.communes.size(); ++k) {
        g.communes.node.push_back(static_cast<node_id>(k));
        g.communes.access_minutes.push_back(0.0);
        g.communes.snap_m.push_back(0.0);
    }
    detail::joined_points sites;
    for (const auto& s : territory.sites) {
        detail::join_at_town_hall(territory, s.location, s.commune_code, options.graph.detour_factor,
                                  options.graph.access_speed_kmh, sites);
    }
    g.sites = PlacesOnGraph{std::move(sites.node), std::move(sites.access), std::move(sites.snap_m)};
    const std::size_t components = g.network.component_count();
    if (components > 1) {
        warnings.push_back({"graph_parts", "the commune graph has " + std::to_string(components) +
                             " separate parts (communes with no neighbour sharing a border): travel between parts "
                             "is impossible, so some times are NaN"});
    }
    return g;
}

/** The roads of options.roads_path, clipped to the communes; town halls and sites snapped to the nearest node. */
CommuteGraph road_graph(const Territory& territory, const RunOptions& options, std::map<std::string, double>& seconds,
                        std::vector<Diagnostic>& warnings) {
    OsmReadOptions read;
    read.profile = options.roads_profile;
    read.clip_buffer_m = options.roads_clip_buffer_m;
    read.crs = territory.crs;
    {
        // clip: every commune of the file (territory and neighbours), grown by clip_buffer_m
        std::vector<Geometry> polygons;
        for (const auto& c : territory.communes) {
            polygons.push_back(c.geometry.clone());
        }
        read.clip = union_of(polygons);
    }
    RoadGraph roads = [&] {
        stage_timer timer{seconds, "read roads"};
        return read_osm_roads(options.roads_path, read);
    }();
    stage_timer timer{seconds, "snap"};
    CommuteGraph g;
    g.network = roads.to_network();
    g.kind = "osm";
    g.edge_geometry = std::move(roads.geometry);
    const OsmReport& rep = roads.report;
    if (rep.dropped_nodes > 0) {
        warnings.push_back({"roads_component_kept", "road graph of '" + options.roads_path + "': kept the largest of " +
                             std::to_string(rep.components) + " strongly connected parts (" +
                             std::to_string(g.network.node_count()) + " nodes, " + std::to_string(rep.kept_km) +
                             " km); dropped " + std::to_string(rep.dropped_nodes) + " nodes, " +
                             std::to_string(rep.dropped_edges) + " edges, " + std::to_string(rep.dropped_km) +
                             " km"});
    }
    auto attach = [&](const std::vector<Point>& points, const std::vector<std::string>& names, const char* what,
                      PlacesOnGraph& places) {
        detail::joined_points joined = detail::snap_to_roads(g.network, points, names, options.max_snap_m,
                                                             options.graph.access_speed_kmh);
        if (!joined.far.empty()) {
            warnings.push_back(detail::not_snapped_warning(
                joined.far, what, options.max_snap_m,
                "were not snapped (their times are NaN; column snapped = false)"));
        }
        places = PlacesOnGraph{std::move(joined.node), std::move(joined.access), std::move(joined.snap_m)};
    };
    std::vector<Point> halls, sites;
    std::vector<std::string> hall_names, site_names;
    for (const auto& c : territory.communes) {
        halls.push_back(c.town_hall);
        hall_names.push_back(c.commune_code + " " + c.name);
    }
    for (const auto& s : territory.sites) {
        sites.push_back(s.location);
        site_names.push_back(s.site_id);
    }
    attach(halls, hall_names, "town hall", g.communes);
    attach(sites, site_names, "site", g.sites);
    return g;
}

} // namespace

void attach_graph(RunContext& ctx) {
    std::vector<Diagnostic> warnings;
    RunResult& r = ctx.result;
    r.graph = ctx.options.roads_path.empty() ? commune_graph(ctx.territory, ctx.options, r.stage_seconds, warnings)
                                             : road_graph(ctx.territory, ctx.options, r.stage_seconds, warnings);
    for (Diagnostic& w : warnings) {
        ctx.warn(std::move(w));
    }
    r.thresholds_min = ctx.options.thresholds_min;
    // People travel to the site: search the reversed graph from the site (identical when every edge is two-way).
    if (!r.graph.network.is_twoway()) {
        ctx.set_reversed(std::make_unique<Network>(r.graph.network.reversed()));
    }
    ctx.indexes = std::make_shared<RunIndexes>();
    ctx.indexes->communes_at_node = detail::grouped_by_node{r.graph.network.node_count(), r.graph.communes.node,
                                                            r.graph.communes.snapped()};
    r.indexes = ctx.indexes;
}

} // namespace tierslieux
