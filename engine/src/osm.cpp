// Road graphs from OpenStreetMap extracts, read with libosmium in two passes: ways first (routable ways and the
// node ids they use), then nodes (the locations of those ids only). Rules and sources: docs/osm.md.

#include <tierslieux/errors.hpp>
#include <tierslieux/osm.hpp>
#include <tierslieux/reproject.hpp>

#include <osmium/handler.hpp>
#include <osmium/io/any_input.hpp>
#include <osmium/osm/node.hpp>
#include <osmium/osm/way.hpp>
#include <osmium/visitor.hpp>

#include "detail/geos.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <limits>
#include <memory>
#include <utility>

namespace tierslieux {

SpeedProfile SpeedProfile::car() {
    SpeedProfile p;
    p.name = "car";
    // OSRM 5 car profile (profiles/car.lua, setup().speeds.highway), in km/h.
    p.highway_kmh = {
        {"motorway", 90.0},      {"motorway_link", 45.0},  {"trunk", 85.0},         {"trunk_link", 40.0},
        {"primary", 65.0},       {"primary_link", 30.0},   {"secondary", 55.0},     {"secondary_link", 25.0},
        {"tertiary", 40.0},      {"tertiary_link", 20.0},  {"unclassified", 25.0},  {"residential", 25.0},
        {"living_street", 10.0}, {"service", 15.0},
    };
    p.use_maxspeed = true;
    p.maxspeed_factor = 0.8; // OSRM 5 car.lua speed_reduction
    p.max_kmh = 130.0;       // highest French limit (motorways)
    p.obey_oneway = true;
    return p;
}

namespace {

std::string trimmed(const std::string& s) {
    const auto not_space = [](unsigned char c) { return !std::isspace(c); };
    const auto first = std::find_if(s.begin(), s.end(), not_space);
    const auto last = std::find_if(s.rbegin(), s.rend(), not_space).base();
    return first < last ? std::string(first, last) : std::string{};
}

} // namespace

bool parse_maxspeed(const std::string& value, double& kmh) {
    std::string v = trimmed(value);
    // Several values ("50;70", lanes or conditions): the first one.
    if (const auto semicolon = v.find(';'); semicolon != std::string::npos) {
        v = trimmed(v.substr(0, semicolon));
    }
    if (v.empty()) {
        return false;
    }
    // Symbolic values: French implicit limits (Code de la route R413-2, R413-3, R110-2) and walking pace.
    static const std::pair<const char*, double> symbolic[] = {
        {"FR:urban", 50.0}, {"FR:rural", 80.0}, {"FR:motorway", 130.0}, {"FR:zone30", 30.0},
        {"FR:zone20", 20.0}, {"walk", 6.0},
    };
    for (const auto& [name, speed] : symbolic) {
        if (v == name) {
            kmh = speed;
            return true;
        }
    }
    // A number (digits, optional decimal point), optional spaces, optional unit.
    std::size_t i = 0;
    while (i < v.size() && (std::isdigit(static_cast<unsigned char>(v[i])) || v[i] == '.')) {
        ++i;
    }
    const std::string number = v.substr(0, i);
    if (number.empty() || number.find_first_of("0123456789") == std::string::npos ||
        std::count(number.begin(), number.end(), '.') > 1) {
        return false; // "none", "signals", "variable", "-5", ".": no limit to read
    }
    while (i < v.size() && v[i] == ' ') {
        ++i;
    }
    const std::string unit = v.substr(i);
    double factor = 0.0;
    if (unit.empty() || unit == "km/h" || unit == "kmh" || unit == "kph") {
        factor = 1.0;
    } else if (unit == "mph") {
        factor = 1.609344;
    } else if (unit == "knots") {
        factor = 1.852;
    } else {
        return false;
    }
    const double speed = std::strtod(number.c_str(), nullptr) * factor;
    if (!(speed > 0.0) || !std::isfinite(speed)) {
        return false;
    }
    kmh = speed;
    return true;
}

Network RoadGraph::to_network() const { return Network{nodes, edges, twoway}; }

namespace {

/** Which way a way may be driven, relative to its node order. */
enum class travel : std::uint8_t { both, forward, backward };

/** A routable way kept from the first pass; its node refs are refs[first, first + count). */
struct way_record {
    std::int64_t id = 0;
    std::size_t first = 0;
    std::size_t count = 0;
    double kmh = 0.0;
    std::uint16_t highway = 0; // index into the profile's class names
    travel direction = travel::both;
    bool from_maxspeed = false;
}; // struct way_record

bool is_one_of(const char* value, std::initializer_list<const char*> values) {
    if (!value) {
        return false;
    }
    for (const char* v : values) {
        if (std::strcmp(value, v) == 0) {
            return true;
        }
    }
    return false;
}

/** First pass: the routable ways of the profile and their node refs. */
class way_collector : public osmium::handler::Handler {
public:
    way_collector(const SpeedProfile& profile, OsmReport& report) : m_profile(profile), m_report(report) {
        for (const auto& [name, kmh] : profile.highway_kmh) {
            m_classes.push_back(name);
        }
    }

    void way(const osmium::Way& way) {
        ++m_report.ways_read;
        const osmium::TagList& tags = way.tags();
        const char* highway = tags["highway"];
        if (!highway) {
            return;
        }
        const auto cls = m_profile.highway_kmh.find(highway);
        if (cls == m_profile.highway_kmh.end()) {
            return;
        }
        if (is_one_of(tags["area"], {"yes"})) {
            return; // squares and parking lots drawn as areas are not roads
        }
        // Car access: the most specific key present decides (OSRM car.lua access_tags_hierarchy).
        const char* access = nullptr;
        for (const char* key : {"motorcar", "motor_vehicle", "vehicle", "access"}) {
            if ((access = tags[key]) != nullptr) {
                break;
            }
        }
        const char* oneway = tags["oneway"];
        if (is_one_of(access, {"no", "private", "agricultural", "forestry", "emergency", "psv"}) ||
            is_one_of(oneway, {"reversible", "alternating"})) {
            ++m_report.ways_restricted;
            return;
        }
        if (way.nodes().size() < 2) {
            return;
        }
        ++m_report.ways_routable;

        way_record w;
        w.id = way.id();
        w.first = refs.size();
        w.count = way.nodes().size();
        w.highway = static_cast<std::uint16_t>(
            std::distance(m_profile.highway_kmh.begin(), cls)); // std::map order == m_classes order
        w.kmh = cls->second;
        if (m_profile.use_maxspeed) {
            if (const char* maxspeed = tags["maxspeed"]) {
                double limit = 0.0;
                if (parse_maxspeed(maxspeed, limit)) {
                    w.kmh = std::min(limit, m_profile.max_kmh) * m_profile.maxspeed_factor;
                    w.from_maxspeed = true;
                } else {
                    ++m_report.maxspeed_unparsed;
                }
            }
        }
        if (m_profile.obey_oneway) {
            if (is_one_of(oneway, {"yes", "true", "1"})) {
                w.direction = travel::forward;
            } else if (is_one_of(oneway, {"-1", "reverse"})) {
                w.direction = travel::backward;
            } else if (!is_one_of(oneway, {"no", "false", "0"}) &&
                       (std::strcmp(highway, "motorway") == 0 ||
                        is_one_of(tags["junction"], {"roundabout", "circular"}))) {
                w.direction = travel::forward; // implied oneway (OSRM WayHandlers.oneway)
            }
        }
        for (const osmium::NodeRef& ref : way.nodes()) {
            refs.push_back(ref.ref());
        }
        ways.push_back(w);
    }

    const std::vector<std::string>& classes() const noexcept { return m_classes; }

    std::vector<way_record> ways;
    std::vector<std::int64_t> refs;

private:
    const SpeedProfile& m_profile;
    OsmReport& m_report;
    std::vector<std::string> m_classes;
}; // class way_collector

/** Second pass: the locations of the wanted node ids (sorted, unique), nothing else. */
class location_collector : public osmium::handler::Handler {
public:
    location_collector(const std::vector<std::int64_t>& ids, std::vector<osmium::Location>& locations)
        : m_ids(ids), m_locations(locations) {}

    void node(const osmium::Node& node) {
        const std::int64_t id = node.id();
        // Files are usually sorted by id: search from the last hit, and from the start when the order breaks.
        auto from = m_ids.begin() + static_cast<std::ptrdiff_t>(id >= m_last_id ? m_cursor : 0);
        const auto it = std::lower_bound(from, m_ids.end(), id);
        m_last_id = id;
        m_cursor = static_cast<std::size_t>(it - m_ids.begin());
        if (it != m_ids.end() && *it == id) {
            m_locations[m_cursor] = node.location();
        }
    }

private:
    const std::vector<std::int64_t>& m_ids;
    std::vector<osmium::Location>& m_locations;
    std::size_t m_cursor = 0;
    std::int64_t m_last_id = std::numeric_limits<std::int64_t>::min();
}; // class location_collector

/** Runs one pass of libosmium over the file; every libosmium or system failure becomes io_error naming it. */
template <typename Handler>
void read_pass(const std::string& path, osmium::osm_entity_bits::type entities, Handler& handler) {
    try {
        osmium::io::Reader reader{osmium::io::File{path}, entities, osmium::io::read_meta::no};
        osmium::apply(reader, handler);
        reader.close();
    } catch (const input_error&) {
        throw;
    } catch (const std::exception& e) {
        throw io_error("cannot read OSM file '" + path + "': " + e.what());
    }
}

void validate(const OsmReadOptions& options) {
    const SpeedProfile& p = options.profile;
    const std::string which = "read_osm_roads: profile '" + p.name + "'";
    if (p.highway_kmh.empty()) {
        throw input_error(which + " has no highway class");
    }
    if (p.highway_kmh.size() > std::numeric_limits<std::uint16_t>::max()) {
        throw input_error(which + " has too many highway classes");
    }
    for (const auto& [name, kmh] : p.highway_kmh) {
        if (!(kmh > 0.0) || !std::isfinite(kmh)) {
            throw input_error(which + ": speed of highway=" + name + " must be > 0 and finite, got " +
                              std::to_string(kmh));
        }
    }
    if (p.use_maxspeed) {
        if (!(p.max_kmh > 0.0) || !std::isfinite(p.max_kmh)) {
            throw input_error(which + ": max_kmh must be > 0 and finite");
        }
        if (!(p.maxspeed_factor > 0.0) || !std::isfinite(p.maxspeed_factor)) {
            throw input_error(which + ": maxspeed_factor must be > 0 and finite");
        }
    }
    if (!(options.clip_buffer_m >= 0.0) || !std::isfinite(options.clip_buffer_m)) {
        throw input_error("read_osm_roads: clip_buffer_m must be >= 0 and finite");
    }
    bool metric = false;
    try {
        metric = is_metric_crs(options.crs);
    } catch (const projection_error& e) {
        throw input_error(std::string{"read_osm_roads: crs: "} + e.what());
    }
    if (!metric) {
        throw input_error("read_osm_roads: crs '" + options.crs.substr(0, 80) +
                          "' is not a projected CRS in metres (lengths would be wrong)");
    }
}

/** The clip area grown by the buffer, prepared for point-in-polygon tests. */
class clip_area {
public:
    clip_area(const Geometry& clip, double buffer_m) {
        using detail::geos;
        const int type = GEOSGeomTypeId_r(geos(), clip.get());
        if (type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON) {
            throw input_error("read_osm_roads: clip must be a Polygon or MultiPolygon, got " + clip.type_name());
        }
        const GEOSGeometry* area = clip.get();
        if (buffer_m > 0.0) {
            m_grown = Geometry{GEOSBuffer_r(geos(), clip.get(), buffer_m, 8)};
            if (!m_grown.get()) {
                detail::throw_geos("cannot grow the clip area by " + std::to_string(buffer_m) + " m");
            }
            area = m_grown.get();
        }
        m_prepared.reset(GEOSPrepare_r(geos(), area));
        if (!m_prepared) {
            detail::throw_geos("cannot prepare the clip area");
        }
    }

    /** True when the point is inside the area or on its boundary. */
    bool covers(const Point& p) const {
        using detail::geos;
        const Geometry point = Geometry::from_point(p);
        const char hit = GEOSPreparedIntersects_r(geos(), m_prepared.get(), point.get());
        if (hit == 2) {
            detail::throw_geos("cannot test a point against the clip area");
        }
        return hit == 1;
    }

private:
    Geometry m_grown;
    detail::prepared_ptr m_prepared;
}; // class clip_area

constexpr std::uint32_t no_node = std::numeric_limits<std::uint32_t>::max();

/** Calls f(begin, end) for each run of >= 2 consecutive usable nodes of the way (positions in refs). */
template <typename F>
void for_each_run(const way_record& w, const std::vector<std::uint32_t>& ref_node,
                  const std::vector<std::uint8_t>& usable, F&& f) {
    std::size_t start = w.first;
    const std::size_t end = w.first + w.count;
    for (std::size_t k = w.first; k <= end; ++k) {
        if (k == end || !usable[ref_node[k]]) {
            if (k - start >= 2) {
                f(start, k);
            }
            start = k + 1;
        }
    }
}

/** Edges and their attributes while the graph is built (before the component filter). */
struct edge_table {
    std::vector<Edge> edges;
    std::vector<std::uint8_t> twoway;
    std::vector<std::vector<Point>> geometry;
    std::vector<std::int64_t> way_id;
    std::vector<std::uint16_t> highway;
    std::vector<std::uint8_t> from_maxspeed;
}; // struct edge_table

/** The OSM nodes the routable ways use (sorted, unique), and each way ref's position in that list. */
struct way_nodes {
    std::vector<std::int64_t> ids;
    std::vector<std::uint32_t> ref_node;
}; // struct way_nodes

way_nodes index_refs(const std::string& path, std::vector<std::int64_t>& refs) {
    way_nodes out;
    out.ids = refs;
    std::sort(out.ids.begin(), out.ids.end());
    out.ids.erase(std::unique(out.ids.begin(), out.ids.end()), out.ids.end());
    if (out.ids.size() >= no_node) {
        throw input_error("OSM file '" + path + "': too many nodes on routable ways");
    }
    out.ref_node.resize(refs.size());
    for (std::size_t k = 0; k < refs.size(); ++k) {
        out.ref_node[k] =
            static_cast<std::uint32_t>(std::lower_bound(out.ids.begin(), out.ids.end(), refs[k]) - out.ids.begin());
    }
    std::vector<std::int64_t>{}.swap(refs);
    return out;
}

/** Projected points of the way nodes; a node is usable when it has a location inside the clip area. */
struct projected_nodes {
    std::vector<Point> points;
    std::vector<std::uint8_t> usable;
}; // struct projected_nodes

/** Pass 2: the locations of the way nodes only, projected and clipped. */
projected_nodes locate_nodes(const std::string& path, const std::vector<std::int64_t>& ids,
                             const OsmReadOptions& options, const Transformer& to_crs, OsmReport& report) {
    std::vector<osmium::Location> locations(ids.size());
    {
        location_collector collector{ids, locations};
        read_pass(path, osmium::osm_entity_bits::node, collector);
    }
    projected_nodes out{std::vector<Point>(ids.size()), std::vector<std::uint8_t>(ids.size(), 0)};
    std::unique_ptr<clip_area> clip;
    if (!options.clip.is_empty()) {
        clip = std::make_unique<clip_area>(options.clip, options.clip_buffer_m);
    }
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (!locations[i].valid()) {
            ++report.nodes_missing_location;
            continue;
        }
        try {
            out.points[i] = to_crs.transform(locations[i].lon(), locations[i].lat());
        } catch (const projection_error& e) {
            throw projection_error(std::string{e.what()} + " (node_id=" + std::to_string(ids[i]) + ")");
        }
        if (clip && !clip->covers(out.points[i])) {
            ++report.nodes_outside_clip;
            continue;
        }
        out.usable[i] = 1;
    }
    return out;
}

/** The nodes of the graph (before the component filter), numbered in order of their OSM id. */
struct graph_nodes {
    std::vector<std::uint32_t> number; ///< per way node: its graph node, or no_node
    std::vector<Point> points;
    std::vector<std::int64_t> osm_id;

    void add(std::uint32_t i, const way_nodes& w, const projected_nodes& p) {
        number[i] = static_cast<std::uint32_t>(points.size());
        points.push_back(p.points[i]);
        osm_id.push_back(w.ids[i]);
    }
}; // struct graph_nodes

/** Graph nodes: ends of runs, and nodes used twice or more (by two ways, or twice by one way). */
graph_nodes choose_graph_nodes(const std::vector<way_record>& ways, const way_nodes& w, const projected_nodes& p) {
    std::vector<std::uint8_t> uses(w.ids.size(), 0);
    std::vector<std::uint8_t> is_end(w.ids.size(), 0);
    for (const way_record& way : ways) {
        for_each_run(way, w.ref_node, p.usable, [&](std::size_t begin, std::size_t end) {
            for (std::size_t k = begin; k < end; ++k) {
                auto& u = uses[w.ref_node[k]];
                u = static_cast<std::uint8_t>(std::min(u + 1, 2));
            }
            is_end[w.ref_node[begin]] = 1;
            is_end[w.ref_node[end - 1]] = 1;
        });
    }
    graph_nodes out{std::vector<std::uint32_t>(w.ids.size(), no_node), {}, {}};
    for (std::uint32_t i = 0; i < w.ids.size(); ++i) {
        if (is_end[i] || uses[i] >= 2) {
            out.add(i, w, p);
        }
    }
    return out;
}

/** Edges: each run of a way cut at its graph nodes; the nodes in between are shape points. */
edge_table cut_ways(const std::vector<way_record>& ways, const way_nodes& w, const projected_nodes& p,
                    graph_nodes& nodes, OsmReport& report) {
    edge_table table;
    for (const way_record& way : ways) {
        // One piece from position a to position b of refs (both graph nodes).
        const auto emit = [&](std::size_t a, std::size_t b) {
            std::vector<Point> shape;
            shape.reserve(b - a + 1);
            double length_m = 0.0;
            for (std::size_t k = a; k <= b; ++k) {
                shape.push_back(p.points[w.ref_node[k]]);
                if (k > a) {
                    length_m += distance_m(shape[shape.size() - 2], shape.back());
                }
            }
            Edge e;
            e.from = nodes.number[w.ref_node[a]];
            e.to = nodes.number[w.ref_node[b]];
            e.length_m = length_m;
            e.minutes = length_m / 1000.0 / way.kmh * 60.0;
            if (way.direction == travel::backward) {
                std::swap(e.from, e.to);
                std::reverse(shape.begin(), shape.end());
            }
            table.edges.push_back(e);
            table.twoway.push_back(way.direction == travel::both ? 1 : 0);
            table.geometry.push_back(std::move(shape));
            table.way_id.push_back(way.id);
            table.highway.push_back(way.highway);
            table.from_maxspeed.push_back(way.from_maxspeed ? 1 : 0);
        };
        const auto piece = [&](std::size_t a, std::size_t b) {
            if (w.ref_node[a] != w.ref_node[b]) {
                emit(a, b);
            } else if (b - a >= 2) {
                // A loop back to the same node (a lasso or a closed way): split at its middle shape point, which
                // becomes a graph node, so the loop's road stays in the graph without a self-loop edge.
                const std::size_t m = a + (b - a) / 2;
                if (nodes.number[w.ref_node[m]] == no_node) {
                    nodes.add(w.ref_node[m], w, p);
                }
                emit(a, m);
                emit(m, b);
            } else {
                ++report.self_loops_dropped; // the same node twice in a row
            }
        };
        for_each_run(way, w.ref_node, p.usable, [&](std::size_t begin, std::size_t end) {
            std::size_t start = begin;
            for (std::size_t k = begin + 1; k < end; ++k) {
                if (nodes.number[w.ref_node[k]] != no_node) {
                    piece(start, k);
                    start = k;
                }
            }
        });
    }
    return table;
}

/** Per graph node: kept or not. Strongly connected components; the largest is kept (ties: lowest label). */
std::vector<std::uint8_t> kept_nodes(const graph_nodes& nodes, const edge_table& table, const OsmReadOptions& options,
                                     OsmReport& report) {
    std::vector<std::uint8_t> keep(nodes.points.size(), 1);
    const Network network{nodes.points, table.edges, table.twoway};
    const std::vector<std::uint32_t> label = network.strong_components();
    std::vector<std::size_t> size;
    for (const std::uint32_t l : label) {
        if (l >= size.size()) {
            size.resize(l + 1, 0);
        }
        ++size[l];
    }
    report.components =
        static_cast<std::size_t>(std::count_if(size.begin(), size.end(), [](std::size_t s) { return s > 0; }));
    if (options.keep_largest_component) {
        const auto largest = static_cast<std::uint32_t>(std::max_element(size.begin(), size.end()) - size.begin());
        for (std::size_t i = 0; i < keep.size(); ++i) {
            keep[i] = label[i] == largest ? 1 : 0;
        }
    }
    return keep;
}

/** The graph of the kept nodes and the edges between them, renumbered; the report counts what is dropped. */
void keep_component(const graph_nodes& nodes, edge_table& table, const std::vector<std::uint8_t>& keep,
                    const std::vector<std::string>& classes, RoadGraph& graph) {
    OsmReport& report = graph.report;
    std::vector<std::uint32_t> renumber(nodes.points.size(), no_node);
    for (std::size_t i = 0; i < nodes.points.size(); ++i) {
        if (keep[i]) {
            renumber[i] = static_cast<std::uint32_t>(graph.nodes.size());
            graph.nodes.push_back(nodes.points[i]);
            graph.node_osm_id.push_back(nodes.osm_id[i]);
        } else {
            ++report.dropped_nodes;
        }
    }
    double kept_m = 0.0;
    double dropped_m = 0.0;
    for (std::size_t j = 0; j < table.edges.size(); ++j) {
        Edge e = table.edges[j];
        if (!keep[e.from] || !keep[e.to]) {
            ++report.dropped_edges;
            dropped_m += e.length_m;
            continue;
        }
        e.from = renumber[e.from];
        e.to = renumber[e.to];
        kept_m += e.length_m;
        graph.edges.push_back(e);
        graph.twoway.push_back(table.twoway[j]);
        graph.geometry.push_back(std::move(table.geometry[j]));
        graph.way_id.push_back(table.way_id[j]);
        graph.highway.push_back(classes[table.highway[j]]);
        report.maxspeed_used += table.from_maxspeed[j];
    }
    report.kept_km = kept_m / 1000.0;
    report.dropped_km = dropped_m / 1000.0;
}

} // namespace

RoadGraph read_osm_roads(const std::string& path, const OsmReadOptions& options) {
    validate(options);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        throw io_error("cannot read OSM file '" + path + "': " +
                       (std::filesystem::exists(path, ec) ? "not a regular file" : "no such file"));
    }
    const Transformer to_crs = [&] {
        try {
            return Transformer{"EPSG:4326", options.crs};
        } catch (const projection_error& e) {
            throw input_error(std::string{"read_osm_roads: crs: "} + e.what());
        }
    }();
    RoadGraph graph;
    OsmReport& report = graph.report;
    // pass 1: routable ways
    way_collector ways{options.profile, report};
    read_pass(path, osmium::osm_entity_bits::way, ways);
    if (ways.ways.empty()) {
        throw input_error("no routable way in OSM file '" + path + "' for profile '" + options.profile.name +
                          "' (" + std::to_string(report.ways_read) + " ways read)");
    }
    const way_nodes refs = index_refs(path, ways.refs);
    // pass 2: where their nodes are
    const projected_nodes points = locate_nodes(path, refs.ids, options, to_crs, report);
    graph_nodes nodes = choose_graph_nodes(ways.ways, refs, points);
    edge_table table = cut_ways(ways.ways, refs, points, nodes, report);
    std::vector<way_record>{}.swap(ways.ways);
    if (nodes.points.empty() || table.edges.empty()) {
        throw input_error("no routable road left in OSM file '" + path + "' for profile '" + options.profile.name +
                          "' (" + std::to_string(report.ways_routable) + " routable ways, " +
                          std::to_string(report.nodes_outside_clip) + " of their nodes outside the clip area, " +
                          std::to_string(report.nodes_missing_location) + " missing from the file)");
    }
    keep_component(nodes, table, kept_nodes(nodes, table, options, report), ways.classes(), graph);
    return graph;
}

} // namespace tierslieux
