#pragma once
/**
 * @file network.hpp
 * Commute graphs and travel times. A Network is a set of nodes (points in a metric CRS) and directed edges with a
 * length in metres and a travel time in minutes, stored as a compressed sparse row graph. The default commute
 * graph links communes that share a border (build_commune_graph); road graphs from OpenStreetMap (osm.hpp) use
 * the same class.
 */

#include <tierslieux/geometry.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
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

/** How values of the nodes in range are combined (pandana's aggregate types). */
enum class Aggregation { sum, mean, count };

/** How a node's value is weighted by its travel time t within the range T. */
enum class Decay {
    flat,       ///< weight 1
    linear,     ///< weight 1 - t / T
    exponential ///< weight exp(-t / T) (pandana's "exp" uses the same form)
}; // enum class Decay

/** Called from the calling thread as work advances: units done, units in all. May throw to cancel. */
using work_progress = std::function<void(std::size_t done, std::size_t total)>;

/**
 * How aggregate and travel_times search. Both give the same times up to floating-point rounding (the hierarchy
 * adds the same arc times in another order), so a node whose time equals the bound to ~1e-12 may fall either side.
 */
enum class Algorithm {
    automatic, ///< the cheaper of the two, estimated from a sample of Dijkstra searches (see docs/network.md)
    dijkstra,  ///< one bounded Dijkstra per source: best when each source reaches a small part of the graph
    hierarchy  ///< contraction hierarchy (built once per Network, then kept) + RPHAST sweeps, 8 sources per sweep
}; // enum class Algorithm

/** Options shared by the many-source searches. */
struct SearchOptions {
    /** Worker threads; 0: all hardware threads. */
    unsigned threads = 0;
    work_progress progress;
    /** Used by aggregate and travel_times; the other searches always run Dijkstra. */
    Algorithm algorithm = Algorithm::automatic;
}; // struct SearchOptions

/** Format version of the contraction hierarchy files (Network::save_hierarchy); a file of another is refused. */
inline constexpr std::uint32_t hierarchy_file_version = 1;

/** Where the contraction hierarchy of a Network came from (Network::hierarchy_origin). */
struct HierarchyOrigin {
    enum class Source {
        none,  ///< not built yet
        built, ///< contracted in this process
        loaded ///< read from a file (load_hierarchy, or the cache file)
    }; // enum class Source
    Source source = Source::none;
    /** The file it was loaded from or saved to (load_hierarchy, save_hierarchy or the cache); empty: none. */
    std::string path;
    /** True when it was built and written to the cache file. */
    bool saved = false;
    /** Why the cache file was not used (made for another graph, damaged, truncated: the hierarchy was then built and
     *  the file replaced) or could not be written; empty when all went well. */
    std::string problem;
}; // struct HierarchyOrigin

/**
 * A routable graph in compressed sparse row form (32-bit node ids). Immutable after construction; every search is
 * const and thread-safe. Travel times are in minutes, lengths in metres, coordinates in the metric CRS of the data.
 */
class Network {
public:
    /**
     * Builds the graph. With twoway, each edge is usable in both directions (and reported once by edges()).
     * Throws input_error naming the edge index for ids out of range, negative or non-finite minutes/lengths.
     */
    Network(std::vector<Point> nodes, std::vector<Edge> edges, bool twoway = true);
    /** As above with one flag per edge (1: both directions, 0: from -> to only). */
    Network(std::vector<Point> nodes, std::vector<Edge> edges, const std::vector<std::uint8_t>& twoway);
    ~Network();
    Network(Network&&) noexcept;
    Network& operator=(Network&&) noexcept;
    Network(const Network&) = delete;
    Network& operator=(const Network&) = delete;

    std::size_t node_count() const noexcept;
    /** Number of edges as given (a two-way edge counts once). */
    std::size_t edge_count() const noexcept;
    /** Number of directed arcs searched (two-way edges count twice). */
    std::size_t arc_count() const noexcept;
    const std::vector<Point>& nodes() const noexcept;
    const std::vector<Edge>& edges() const noexcept;
    /** Per edge: 1 when usable both ways. */
    const std::vector<std::uint8_t>& twoway() const noexcept;
    /** True when every edge is two-way. */
    bool is_twoway() const noexcept;

    /**
     * Every node reachable from `source` within max_minutes (inclusive), with its shortest travel time.
     * Pass infinity for an unbounded search. Throws input_error for a bad source or a negative/NaN bound.
     */
    Reach reach(node_id source, double max_minutes) const;

    /** Nodes within reach of each of several sources, in CSR form: source i's nodes are [first[i], first[i + 1]). */
    struct RangeLists {
        std::vector<std::size_t> first;
        std::vector<node_id> nodes;   ///< sorted by node id within each source
        std::vector<double> minutes;
    }; // struct RangeLists

    /**
     * reach() for each source, on options.threads threads (progress: sources done / all). Throws input_error for
     * a bad source (naming its index) or a negative/NaN bound.
     */
    RangeLists nodes_in_range(const std::vector<node_id>& sources, double max_minutes,
                              const SearchOptions& options = {}) const;

    /**
     * For each source (all nodes when `sources` is empty): the aggregate of `values` (one per node) over the nodes
     * reachable within max_minutes, weighted by `decay`. count counts nodes (weighted by decay), mean divides the
     * weighted sum by the sum of weights (NaN when nothing is in range, which cannot happen: a source reaches
     * itself). Throws input_error naming the argument and index for bad input.
     */
    std::vector<double> aggregate(const std::vector<double>& values, double max_minutes, Aggregation kind,
                                  Decay decay, const std::vector<node_id>& sources = {},
                                  const SearchOptions& options = {}) const;

    /**
     * Shortest travel times, row-major (origins.size() x destinations.size()); NaN where unreachable or beyond
     * max_minutes (infinity: no bound). Each origin's search stops once every destination is settled.
     */
    std::vector<double> travel_times(const std::vector<node_id>& origins, const std::vector<node_id>& destinations,
                                     double max_minutes, const SearchOptions& options = {}) const;

    /**
     * Multi-source search: for each node, the least start_minutes[i] + travel time from sources[i], NaN when no
     * source reaches it within max_minutes. One Dijkstra over the graph, whatever the number of sources.
     */
    std::vector<double> nearest_source_minutes(const std::vector<node_id>& sources,
                                               const std::vector<double>& start_minutes, double max_minutes) const;

    /** Minutes and metres of the fastest paths found by fastest_paths, valid during its visit call only. */
    class PathLengths {
    public:
        PathLengths(const double* minutes, const double* metres, const std::uint8_t* settled) noexcept
            : m_minutes(minutes), m_metres(metres), m_settled(settled) {}
        /** Minutes of the fastest path to v; infinity when v was not settled. */
        double minutes(node_id v) const noexcept { return m_settled[v] ? m_minutes[v] : infinity(); }
        /** Metres of that path (the shortest among paths as fast to a relative 1e-9); infinity when not settled. */
        double metres(node_id v) const noexcept { return m_settled[v] ? m_metres[v] : infinity(); }

    private:
        static double infinity() noexcept;
        const double* m_minutes;
        const double* m_metres;
        const std::uint8_t* m_settled;
    }; // class PathLengths

    /**
     * For each source i: one Dijkstra carrying metres beside minutes (least minutes first, then least metres), that
     * settles every node within bounds[i] minutes and goes on until each node of targets[i] is settled (or cannot
     * be reached). visit(i, paths) is called once per source, on one of options.threads threads; calls for
     * different sources may run at the same time. Throws input_error for a bad source, target or bound.
     */
    void fastest_paths(const std::vector<node_id>& sources, const std::vector<double>& bounds,
                       const std::vector<std::vector<node_id>>& targets,
                       const std::function<void(std::size_t, const PathLengths&)>& visit,
                       const SearchOptions& options = {}) const;

    /**
     * Builds the contraction hierarchy now on `threads` threads (0: all hardware threads; the hierarchy is the same
     * whatever their number; progress: nodes contracted / all) unless it exists, or loads it from the cache file
     * (set_hierarchy_cache). aggregate and travel_times do the same on first use, on their options' threads, when
     * they choose the hierarchy; call this to pay that cost up front.
     */
    void prepare_hierarchy(const work_progress& progress = {}, unsigned threads = 0) const;
    /** True once the contraction hierarchy has been built or loaded. */
    bool has_hierarchy() const;
    /**
     * Writes the contraction hierarchy to `path`: a binary file (magic string, format version, node and arc
     * counts, a checksum of this graph's arcs and times, a checksum of its contents), written to a temporary file
     * of the same folder and renamed into place. Throws input_error when no hierarchy has been built or loaded,
     * io_error naming the file when it cannot be written.
     */
    void save_hierarchy(const std::string& path) const;
    /**
     * Reads a hierarchy written by save_hierarchy for this same graph (same nodes, arcs and minutes: a graph read
     * from another road file, clip area or speed profile is another graph). Throws input_error naming the file
     * when it is not a hierarchy file, has another format version, is truncated or damaged, or was made for
     * another graph; io_error when it cannot be read. The hierarchy held before, if any, is kept on error.
     */
    void load_hierarchy(const std::string& path) const;
    /**
     * Keeps the contraction hierarchy in `path` between runs: when it is needed (prepare_hierarchy, or a search
     * that chooses it), it is loaded from that file if the file holds this graph's hierarchy, otherwise built and
     * written there (its folder made if needed). A file refused (another graph, damaged, truncated) is rebuilt and replaced; a file that
     * cannot be written leaves the search unharmed. hierarchy_origin() tells which. Empty: no cache.
     */
    void set_hierarchy_cache(const std::string& path);
    /** Where the contraction hierarchy came from (source none until it is needed). */
    HierarchyOrigin hierarchy_origin() const;

    /** The same graph with every edge turned around: searches on it give travel times *to* the source. */
    Network reversed() const;

    /**
     * For each source (all nodes when `sources` is empty), the k points of interest nearest in travel time
     * (pandana's nearest_pois). minutes is row-major sources x k, ascending, NaN where fewer than k POIs lie
     * within max_minutes; poi holds the index into poi_nodes of each hit (read it only where minutes is not NaN).
     */
    struct NearestPois {
        std::vector<double> minutes;
        std::vector<std::uint32_t> poi;
    }; // struct NearestPois
    NearestPois nearest_pois(const std::vector<node_id>& poi_nodes, std::size_t k, double max_minutes,
                             const std::vector<node_id>& sources = {}, const SearchOptions& options = {}) const;

    /** Index of the nearest node to each point (R-tree), and the straight distance to it in metres. */
    std::vector<node_id> nearest_nodes(const std::vector<Point>& points, std::vector<double>* distances_m = nullptr) const;

    /** Number of connected components, treating edges as undirected. */
    std::size_t component_count() const;

    /** Strongly connected component label of each node (Boost.Graph); labels are 0..k-1. */
    std::vector<std::uint32_t> strong_components() const;

private:
    void build(std::vector<Point> nodes, std::vector<Edge> edges, const std::vector<std::uint8_t>& twoway);

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
