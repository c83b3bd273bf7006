#include <tierslieux/errors.hpp>
#include <tierslieux/network.hpp>

#include <boost/graph/compressed_sparse_row_graph.hpp>
#include <boost/graph/connected_components.hpp>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/dijkstra_shortest_paths_no_color_map.hpp>
#include <boost/property_map/property_map.hpp>

#include <cmath>
#include <limits>
#include <string>

namespace tierslieux {

namespace {

struct edge_props {
    double minutes = 0.0;
}; // struct edge_props

using csr_graph = boost::compressed_sparse_row_graph<boost::directedS, boost::no_property, edge_props,
                                                     boost::no_property, node_id, node_id>;

/** Thrown by the visitor to stop Dijkstra once the next vertex is beyond the bound. */
struct bound_reached {};

class bounded_visitor : public boost::default_dijkstra_visitor {
public:
    bounded_visitor(const double* distance, double bound) : m_distance(distance), m_bound(bound) {}
    template <typename Vertex, typename Graph>
    void examine_vertex(Vertex v, const Graph&) const {
        if (m_distance[v] > m_bound) {
            throw bound_reached{};
        }
    }

private:
    const double* m_distance;
    double m_bound;
}; // class bounded_visitor

} // namespace

struct Network::impl {
    std::vector<Point> nodes;
    std::vector<Edge> edges;
    bool twoway = true;
    csr_graph graph;
}; // struct Network::impl

Network::Network(std::vector<Point> nodes, std::vector<Edge> edges, bool twoway) : m_impl(std::make_unique<impl>()) {
    const std::size_t n = nodes.size();
    if (n >= std::numeric_limits<node_id>::max()) {
        throw input_error("Network: too many nodes (" + std::to_string(n) + ")");
    }
    std::vector<std::pair<node_id, node_id>> arcs;
    std::vector<edge_props> props;
    arcs.reserve(edges.size() * (twoway ? 2 : 1));
    for (std::size_t i = 0; i < edges.size(); ++i) {
        const Edge& e = edges[i];
        const std::string where = "Network: edge " + std::to_string(i);
        if (e.from >= n || e.to >= n) {
            throw input_error(where + " (" + std::to_string(e.from) + " -> " + std::to_string(e.to) +
                              ") refers to a node id >= node count " + std::to_string(n));
        }
        if (!std::isfinite(e.minutes) || e.minutes < 0.0) {
            throw input_error(where + " has minutes = " + std::to_string(e.minutes) + " (must be finite and >= 0)");
        }
        if (!std::isfinite(e.length_m) || e.length_m < 0.0) {
            throw input_error(where + " has length_m = " + std::to_string(e.length_m) +
                              " (must be finite and >= 0)");
        }
        arcs.emplace_back(e.from, e.to);
        props.push_back({e.minutes});
        if (twoway) {
            arcs.emplace_back(e.to, e.from);
            props.push_back({e.minutes});
        }
    }
    m_impl->graph = csr_graph(boost::edges_are_unsorted_multi_pass, arcs.begin(), arcs.end(), props.begin(),
                              static_cast<node_id>(n));
    m_impl->nodes = std::move(nodes);
    m_impl->edges = std::move(edges);
    m_impl->twoway = twoway;
}

Network::~Network() = default;
Network::Network(Network&&) noexcept = default;
Network& Network::operator=(Network&&) noexcept = default;

std::size_t Network::node_count() const noexcept { return m_impl->nodes.size(); }
std::size_t Network::edge_count() const noexcept { return m_impl->edges.size(); }
const std::vector<Point>& Network::nodes() const noexcept { return m_impl->nodes; }
const std::vector<Edge>& Network::edges() const noexcept { return m_impl->edges; }
bool Network::is_twoway() const noexcept { return m_impl->twoway; }

Reach Network::reach(node_id source, double max_minutes) const {
    const std::size_t n = node_count();
    if (source >= n) {
        throw input_error("reach: source node " + std::to_string(source) + " >= node count " + std::to_string(n));
    }
    if (std::isnan(max_minutes) || max_minutes < 0.0) {
        throw input_error("reach: max_minutes must be >= 0 (got " + std::to_string(max_minutes) + ")");
    }
    constexpr double inf = std::numeric_limits<double>::infinity();
    std::vector<double> distance(n, inf);
    std::vector<node_id> predecessor(n);
    const csr_graph& g = m_impl->graph;
    try {
        boost::dijkstra_shortest_paths_no_color_map(
            g, source,
            boost::predecessor_map(predecessor.data())
                .distance_map(distance.data())
                .weight_map(boost::get(&edge_props::minutes, g))
                .vertex_index_map(boost::get(boost::vertex_index, g))
                .distance_inf(inf)
                .visitor(bounded_visitor{distance.data(), max_minutes}));
    } catch (const bound_reached&) {
        // every vertex settled so far is within the bound; the rest may hold tentative distances
    }
    Reach r;
    for (node_id v = 0; v < n; ++v) {
        if (std::isfinite(distance[v]) && distance[v] <= max_minutes) { // inf <= inf: unreached, not reached
            r.nodes.push_back(v);
            r.minutes.push_back(distance[v]);
        }
    }
    return r;
}

std::size_t Network::component_count() const {
    using undirected = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS>;
    undirected u(node_count());
    for (const auto& e : m_impl->edges) {
        boost::add_edge(e.from, e.to, u);
    }
    std::vector<int> component(node_count());
    return node_count() == 0 ? 0 : static_cast<std::size_t>(boost::connected_components(u, component.data()));
}

void validate(const CommuneGraphParams& p) {
    if (!std::isfinite(p.detour_factor) || p.detour_factor < 1.0) {
        throw input_error("detour_factor must be >= 1 (got " + std::to_string(p.detour_factor) + ")");
    }
    if (!std::isfinite(p.speed_kmh) || p.speed_kmh <= 0.0) {
        throw input_error("speed_kmh must be > 0 (got " + std::to_string(p.speed_kmh) + ")");
    }
    if (!std::isfinite(p.access_speed_kmh) || p.access_speed_kmh <= 0.0) {
        throw input_error("access_speed_kmh must be > 0 (got " + std::to_string(p.access_speed_kmh) + ")");
    }
}

double commune_graph_minutes(double straight_m, double detour_factor, double speed_kmh) noexcept {
    return straight_m * detour_factor / (speed_kmh * 1000.0 / 60.0);
}

Network build_commune_graph(const std::vector<Point>& town_halls,
                            const std::vector<std::pair<std::size_t, std::size_t>>& adjacency,
                            const CommuneGraphParams& params) {
    validate(params);
    std::vector<Edge> edges;
    edges.reserve(adjacency.size());
    for (const auto& [a, b] : adjacency) {
        if (a >= town_halls.size() || b >= town_halls.size() || a == b) {
            throw input_error("build_commune_graph: bad adjacency pair (" + std::to_string(a) + ", " +
                              std::to_string(b) + ")");
        }
        const double straight = distance_m(town_halls[a], town_halls[b]);
        edges.push_back({static_cast<node_id>(a), static_cast<node_id>(b), straight * params.detour_factor,
                         commune_graph_minutes(straight, params.detour_factor, params.speed_kmh)});
    }
    return Network{town_halls, std::move(edges), true};
}

} // namespace tierslieux
