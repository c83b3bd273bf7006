#include <tierslieux/errors.hpp>
#include <tierslieux/network.hpp>

#include "detail/csr.hpp"
#include "detail/parallel.hpp"
#include "graph/hierarchy.hpp"

#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <boost/graph/compressed_sparse_row_graph.hpp>
#include <boost/graph/strong_components.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <mutex>
#include <numeric>
#include <set>
#include <string>

namespace tierslieux {

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;
using rtree_point = bg::model::point<double, 2, bg::cs::cartesian>;
using rtree_value = std::pair<rtree_point, node_id>;
using rtree_type = bgi::rtree<rtree_value, bgi::rstar<16>>;

/** One arc of the compressed sparse row graph: time and head together (one cache line fetch per arc). */
struct arc {
    double minutes;
    node_id head;
}; // struct arc

/**
 * Bucket layout of a graph's searches: keys (minutes) go to bucket floor(key / width); a ring of `mask + 1`
 * buckets (a power of two, at least max arc minutes / width + 2) holds every key a search can reach from the
 * bucket it is in, so a bucket's slot is never shared by two live buckets.
 */
struct bucket_layout {
    double inv_width = 1.0;
    std::uint64_t mask = 0;

    /** Width: a sixteenth of the mean arc time (a few entries per bucket), coarser if the ring would pass 2^16. */
    static bucket_layout for_arcs(const std::vector<arc>& arcs) {
        constexpr double max_ring = 65536.0;
        double total = 0.0;
        double longest = 0.0;
        for (const arc& a : arcs) {
            total += a.minutes;
            longest = std::max(longest, a.minutes);
        }
        bucket_layout layout;
        if (total <= 0.0) {
            return layout; // every key is 0: one bucket
        }
        const double width = std::max(total / static_cast<double>(arcs.size()) / 16.0, longest / (max_ring - 2.0));
        layout.inv_width = 1.0 / width;
        std::uint64_t ring = 1;
        while (static_cast<double>(ring) < longest * layout.inv_width + 2.0) {
            ring <<= 1;
        }
        layout.mask = ring - 1;
        return layout;
    }
}; // struct bucket_layout

/**
 * Per-thread state of the searches: distances (inf when untouched), the nodes touched (to reset them), and a
 * monotone bucket queue: a ring of buckets of equal key width, the bucket being settled kept as a small binary
 * min-heap so nodes leave in exact key order (exact for any non-negative arc times, zero included). Entries are
 * lazy: a node whose time improves is pushed again and its stale entry skipped when popped. Keys too far ahead for
 * the ring (only multi-source starts) wait in an overflow heap.
 */
class workspace {
public:
    struct entry {
        double key;
        node_id node;
    }; // struct entry

    std::vector<double> dist;
    /** Two-label searches only (with_length): metres of the path to each node, and whether it is settled. */
    std::vector<double> metres;
    std::vector<std::uint8_t> done;

    workspace(std::size_t n, const bucket_layout& layout, bool with_length = false)
        : dist(n, inf), metres(with_length ? n : 0, inf), done(with_length ? n : 0, 0), m_ring(layout.mask + 1),
          m_inv_width(layout.inv_width), m_mask(layout.mask) {}

    /** Sets v's tentative time to t (smaller than before; the two-label search may re-queue an equal one) and
     *  queues it. */
    void push(node_id v, double t) {
        if (dist[v] == inf) {
            m_touched.push_back(v);
        }
        dist[v] = t;
        const std::uint64_t k = bucket_of(t);
        if (k <= m_bucket && m_settling) {
            m_current.push_back({t, v});
            std::push_heap(m_current.begin(), m_current.end(), later);
        } else if (k - m_bucket > m_mask) {
            m_far.push_back({t, v});
            std::push_heap(m_far.begin(), m_far.end(), later);
        } else {
            std::vector<entry>& b = m_ring[k & m_mask];
            if (b.empty()) {
                m_used.push_back(k & m_mask);
            }
            b.push_back({t, v});
            ++m_pending;
        }
    }

    /** The queued entry with the least key (possibly stale: key > dist[node]); false when the queue is empty. */
    bool pop(entry& out) {
        while (m_current.empty()) {
            if (m_pending == 0) {
                if (m_far.empty()) {
                    return false;
                }
                m_bucket = bucket_of(m_far.front().key); // nothing queued before it
            } else if (m_settling) {
                ++m_bucket;
            }
            m_settling = true;
            while (!m_far.empty() && bucket_of(m_far.front().key) - m_bucket <= m_mask) {
                std::pop_heap(m_far.begin(), m_far.end(), later);
                const entry e = m_far.back();
                m_far.pop_back();
                std::vector<entry>& b = m_ring[bucket_of(e.key) & m_mask];
                if (b.empty()) {
                    m_used.push_back(bucket_of(e.key) & m_mask);
                }
                b.push_back(e);
                ++m_pending;
            }
            std::vector<entry>& b = m_ring[m_bucket & m_mask];
            if (!b.empty()) {
                m_pending -= b.size();
                m_current.swap(b);
                std::make_heap(m_current.begin(), m_current.end(), later);
            }
        }
        std::pop_heap(m_current.begin(), m_current.end(), later);
        out = m_current.back();
        m_current.pop_back();
        return true;
    }

    /** Back to the untouched state, whatever was left queued. */
    void reset() {
        for (const node_id v : m_touched) {
            dist[v] = inf;
        }
        if (!metres.empty()) {
            for (const node_id v : m_touched) {
                metres[v] = inf;
                done[v] = 0;
            }
        }
        m_touched.clear();
        if (m_pending > 0) {
            for (const std::uint64_t i : m_used) {
                m_ring[i].clear();
            }
        }
        m_used.clear();
        m_current.clear();
        m_far.clear();
        m_pending = 0;
        m_bucket = 0;
        m_settling = false;
    }

private:
    static bool later(const entry& a, const entry& b) { return a.key > b.key; }
    std::uint64_t bucket_of(double t) const { return static_cast<std::uint64_t>(t * m_inv_width); }

    std::vector<node_id> m_touched;
    std::vector<std::vector<entry>> m_ring;
    std::vector<std::uint64_t> m_used; ///< ring slots that were filled since the last reset
    std::vector<entry> m_current;      ///< min-heap of the bucket being settled
    std::vector<entry> m_far;          ///< min-heap of keys beyond the ring
    double m_inv_width;
    std::uint64_t m_mask;
    std::uint64_t m_bucket = 0; ///< bucket being settled
    std::size_t m_pending = 0;  ///< entries in the ring
    bool m_settling = false;    ///< false until the first pop (sources may start anywhere)
}; // class workspace

std::string str(double v) {
    return std::isnan(v) ? std::string{"NaN"} : std::to_string(v);
}

} // namespace

struct Network::impl {
    std::vector<Point> nodes;
    std::vector<Edge> edges;
    std::vector<std::uint8_t> twoway;
    bool all_twoway = true;
    // compressed sparse row: arcs of node v are [first[v], first[v + 1])
    std::vector<std::uint32_t> first;
    std::vector<arc> arc_list;
    std::vector<double> arc_metres; ///< length of each arc of arc_list (read by the two-label search only)
    bucket_layout layout;
    // contraction hierarchy, built on first use (or by prepare_hierarchy) or loaded, and kept; the cache file and
    // where the hierarchy came from are guarded by the same mutex
    mutable std::mutex hierarchy_mutex;
    mutable std::shared_ptr<const detail::ContractionHierarchy> hierarchy;
    std::string hierarchy_cache;
    mutable HierarchyOrigin origin;
    // nearest-node index, built on first use
    mutable std::once_flag rtree_once;
    mutable std::unique_ptr<rtree_type> rtree;

    /**
     * Dijkstra from `source`, settling nodes in order of travel time up to `bound` (inclusive). settle(v, t) is
     * called once per settled node and returns false to stop early. ws is left clean.
     */
    template <typename Settle>
    void search(node_id source, double bound, workspace& ws, Settle&& settle) const {
        ws.push(source, 0.0);
        run(bound, ws, settle);
    }

    /** The same from several sources at once, source i starting at start[i] minutes. */
    template <typename Settle>
    void search(const std::vector<node_id>& sources, const std::vector<double>& start, double bound, workspace& ws,
                Settle&& settle) const {
        for (std::size_t i = 0; i < sources.size(); ++i) {
            if (start[i] <= bound && start[i] < ws.dist[sources[i]]) {
                ws.push(sources[i], start[i]);
            }
        }
        run(bound, ws, settle);
    }

    template <typename Settle>
    void run(double bound, workspace& ws, Settle& settle) const {
        const std::uint32_t* first_arc = first.data();
        const arc* arcs = arc_list.data();
        workspace::entry e;
        while (ws.pop(e)) {
            const double d = e.key;
            const node_id v = e.node;
            if (d > ws.dist[v]) {
                continue; // stale: v was reached sooner since
            }
            if (!settle(v, d)) {
                break;
            }
            for (std::uint32_t a = first_arc[v]; a < first_arc[v + 1]; ++a) {
                const node_id w = arcs[a].head;
                const double t = d + arcs[a].minutes;
                if (t < ws.dist[w] && t <= bound) {
                    ws.push(w, t);
                }
            }
        }
        ws.reset();
    }

    /**
     * Dijkstra on two labels from `source`: least minutes, and among paths as fast to a relative 1e-9, the least
     * metres. settle(v, minutes, metres) is called once per settled node, in order of minutes, and returns false to
     * stop (v is then left unsettled). ws (made with_length) keeps the labels until ws.reset(). Nodes of equal
     * minutes leave the queue in no set order (the heap orders by minutes only), so where a zero-minute arc joins
     * two of them the metres may come from either: a difference from a (minutes, metres) heap only then.
     */
    template <typename Settle>
    void search_with_length(node_id source, workspace& ws, Settle&& settle) const {
        ws.push(source, 0.0);
        ws.metres[source] = 0.0;
        workspace::entry e;
        while (ws.pop(e)) {
            const node_id v = e.node;
            if (ws.done[v] || e.key > ws.dist[v]) {
                continue; // settled, or stale: v was reached sooner since
            }
            const double t = ws.dist[v];
            const double d = ws.metres[v];
            if (!settle(v, t, d)) {
                break;
            }
            ws.done[v] = 1;
            for (std::uint32_t a = first[v]; a < first[v + 1]; ++a) {
                const node_id w = arc_list[a].head;
                const double tw = t + arc_list[a].minutes;
                const double dw = d + arc_metres[a];
                const double slack = 1e-9 * std::max(1.0, tw);
                const bool faster = tw < ws.dist[w] - slack;
                const bool as_fast_shorter = std::abs(tw - ws.dist[w]) <= slack && dw < ws.metres[w];
                if (!ws.done[w] && (faster || as_fast_shorter)) {
                    const double key = faster ? tw : std::min(tw, ws.dist[w]);
                    ws.metres[w] = dw;
                    ws.push(w, key);
                }
            }
        }
    }

    std::shared_ptr<const detail::ContractionHierarchy> built_hierarchy() const {
        const std::lock_guard<std::mutex> lock{hierarchy_mutex};
        return hierarchy;
    }

    /** The graph's arcs as the hierarchy takes them: CSR heads and minutes (first is shared). */
    std::pair<std::vector<node_id>, std::vector<double>> csr_arcs() const {
        std::pair<std::vector<node_id>, std::vector<double>> out{std::vector<node_id>(arc_list.size()),
                                                                  std::vector<double>(arc_list.size())};
        for (std::size_t a = 0; a < arc_list.size(); ++a) {
            out.first[a] = arc_list[a].head;
            out.second[a] = arc_list[a].minutes;
        }
        return out;
    }

    /** The checksum that a hierarchy file records of the graph it was made for. */
    std::uint64_t checksum() const {
        const auto [heads, times] = csr_arcs();
        return detail::graph_checksum(nodes.size(), first.data(), heads.data(), times.data());
    }

    /**
     * The hierarchy, loaded from the cache file or built now (on `threads` threads) if needed, then written to the
     * cache file (progress: nodes contracted, or all nodes at once when loaded, of total).
     */
    std::shared_ptr<const detail::ContractionHierarchy> get_hierarchy(const work_progress& progress, std::size_t total,
                                                                      unsigned threads) const {
        const std::lock_guard<std::mutex> lock{hierarchy_mutex};
        if (hierarchy) {
            return hierarchy;
        }
        const std::size_t n = nodes.size();
        const auto [heads, times] = csr_arcs();
        const std::uint64_t graph = detail::graph_checksum(n, first.data(), heads.data(), times.data());
        HierarchyOrigin found;
        found.path = hierarchy_cache;
        std::error_code ec;
        if (!hierarchy_cache.empty() && std::filesystem::exists(hierarchy_cache, ec)) {
            try {
                hierarchy = std::make_shared<const detail::ContractionHierarchy>(
                    detail::ContractionHierarchy::load(hierarchy_cache, n, graph));
                found.source = HierarchyOrigin::Source::loaded;
                origin = found;
                if (progress) {
                    progress(n, total);
                }
                return hierarchy;
            } catch (const std::exception& e) {
                found.problem = std::string{e.what()} + "; built again and written in its place";
            }
        }
        work_progress report;
        if (progress) {
            report = [&](std::size_t done, std::size_t) { progress(done, total); };
        }
        auto built = std::make_shared<const detail::ContractionHierarchy>(n, first.data(), heads.data(), times.data(),
                                                                          report, threads);
        found.source = HierarchyOrigin::Source::built;
        if (!hierarchy_cache.empty()) {
            try {
                const std::filesystem::path folder = std::filesystem::path{hierarchy_cache}.parent_path();
                if (!folder.empty()) {
                    std::filesystem::create_directories(folder, ec); // an error shows when the file is written
                }
                built->save(hierarchy_cache, graph);
                found.saved = true;
            } catch (const std::exception& e) {
                found.problem += (found.problem.empty() ? "" : "; ") + std::string{e.what()};
            }
        }
        hierarchy = std::move(built);
        origin = found;
        return hierarchy;
    }

    /** The hierarchy for a search over `count` sources, and the options of its sweeps. */
    struct sweep_plan {
        std::shared_ptr<const detail::ContractionHierarchy> hierarchy;
        SearchOptions options;
    }; // struct sweep_plan

    /**
     * The hierarchy (built now if needed) and the sweeps' options: one progress bar counting the nodes contracted
     * (when it is built now), then the batches of sources swept.
     */
    sweep_plan sweep_for(const SearchOptions& options, std::size_t count) const {
        constexpr std::size_t lanes = detail::ContractionHierarchy::lanes;
        const std::size_t build_units = built_hierarchy() ? 0 : nodes.size();
        sweep_plan plan{get_hierarchy(options.progress, build_units + (count + lanes - 1) / lanes, options.threads),
                        options};
        if (options.progress) {
            plan.options.progress = [progress = options.progress, build_units](std::size_t done, std::size_t total) {
                progress(build_units + done, build_units + total);
            };
        }
        return plan;
    }

    /**
     * Whether a many-source search over `count` sources should run on the hierarchy. automatic: estimated from
     * sample(i, ws) -> nodes settled by Dijkstra for source i, on 16 sources spread over the list. In units of
     * one Dijkstra settle (~100 ns; measured on the synthetic grids of bench/, 1e4 and 1e5 nodes): a source costs
     * about n / 30 + 150 on the hierarchy (a vectorised sweep over every node for 8 sources at once, then reading
     * the times, plus a short upward search); building the hierarchy costs about 300 n in all, shared by the
     * threads like the Dijkstra searches, and about 10 n when the cache file exists (loaded, not built); either is
     * paid once per Network.
     */
    template <typename Sample>
    bool use_hierarchy(const SearchOptions& options, std::size_t count, Sample&& sample) const {
        if (options.algorithm != Algorithm::automatic) {
            return options.algorithm == Algorithm::hierarchy;
        }
        constexpr std::size_t min_sources = 64;
        constexpr std::size_t samples = 16;
        const auto n = static_cast<double>(nodes.size());
        if (count < min_sources || nodes.size() < 1000) {
            return false;
        }
        workspace ws{nodes.size(), layout};
        double settled = 0.0;
        for (std::size_t k = 0; k < samples; ++k) {
            settled += static_cast<double>(sample(k * count / samples, ws));
        }
        const double saving_per_source = settled / samples - (n / 30.0 + 150.0);
        if (saving_per_source <= 0.0) {
            return false;
        }
        std::error_code ec;
        const bool cached = !hierarchy_cache.empty() && std::filesystem::exists(hierarchy_cache, ec);
        const double build = (cached ? 10.0 : 300.0) * n;
        return built_hierarchy() != nullptr || static_cast<double>(count) * saving_per_source > build;
    }

    void check_nodes(const std::vector<node_id>& ids, const char* argument) const {
        for (std::size_t i = 0; i < ids.size(); ++i) {
            check_node(ids[i], argument, i);
        }
    }

    void check_node(node_id v, const char* argument, std::size_t index) const {
        if (v >= nodes.size()) {
            throw input_error(std::string{argument} + "[" + std::to_string(index) + "] = " + std::to_string(v) +
                              " is not a node id (the network has " + std::to_string(nodes.size()) + " nodes)");
        }
    }
}; // struct Network::impl

namespace {

/** parallel_for with one search workspace per thread. */
template <typename Fn>
void parallel_for(std::size_t count, std::size_t node_count, const bucket_layout& layout, const SearchOptions& options,
                  Fn&& fn) {
    detail::parallel_for(count, options.threads, options.progress, [node_count, &layout] { return workspace{node_count, layout}; }, fn);
}

} // namespace

Network::Network(std::vector<Point> nodes, std::vector<Edge> edges, bool twoway) : m_impl(std::make_unique<impl>()) {
    const std::vector<std::uint8_t> flags(edges.size(), twoway ? 1 : 0);
    build(std::move(nodes), std::move(edges), flags);
}

Network::Network(std::vector<Point> nodes, std::vector<Edge> edges, const std::vector<std::uint8_t>& twoway)
    : m_impl(std::make_unique<impl>()) {
    build(std::move(nodes), std::move(edges), twoway);
}

void Network::build(std::vector<Point> nodes, std::vector<Edge> edges, const std::vector<std::uint8_t>& twoway) {
    const std::size_t n = nodes.size();
    if (n >= std::numeric_limits<node_id>::max()) {
        throw input_error("Network: too many nodes (" + std::to_string(n) + "): node ids are 32-bit");
    }
    if (twoway.size() != edges.size()) {
        throw input_error("Network: twoway has " + std::to_string(twoway.size()) + " flags for " +
                          std::to_string(edges.size()) + " edges");
    }
    std::size_t arcs = 0;
    for (std::size_t i = 0; i < edges.size(); ++i) {
        const Edge& e = edges[i];
        const std::string where = "Network: edge " + std::to_string(i);
        if (e.from >= n || e.to >= n) {
            throw input_error(where + " (" + std::to_string(e.from) + " -> " + std::to_string(e.to) +
                              ") refers to a node id >= node count " + std::to_string(n));
        }
        if (!std::isfinite(e.minutes) || e.minutes < 0.0) {
            throw input_error(where + " has minutes = " + str(e.minutes) + " (must be finite and >= 0)");
        }
        if (!std::isfinite(e.length_m) || e.length_m < 0.0) {
            throw input_error(where + " has length_m = " + str(e.length_m) + " (must be finite and >= 0)");
        }
        arcs += twoway[i] ? 2 : 1;
    }
    if (arcs >= std::numeric_limits<std::uint32_t>::max()) {
        throw input_error("Network: too many arcs (" + std::to_string(arcs) + ")");
    }
    struct full_arc {
        arc a;
        double metres;
    };
    detail::csr<full_arc> grouped = detail::group_by_key<full_arc>(n, [&](auto&& emit) {
        for (std::size_t i = 0; i < edges.size(); ++i) {
            const Edge& e = edges[i];
            emit(e.from, full_arc{{e.minutes, e.to}, e.length_m});
            if (twoway[i]) {
                emit(e.to, full_arc{{e.minutes, e.from}, e.length_m});
            }
        }
    });
    impl& m = *m_impl;
    m.first = std::move(grouped.first);
    m.arc_list.resize(arcs);
    m.arc_metres.resize(arcs);
    for (std::size_t a = 0; a < arcs; ++a) {
        m.arc_list[a] = grouped.items[a].a;
        m.arc_metres[a] = grouped.items[a].metres;
    }
    m.layout = bucket_layout::for_arcs(m.arc_list);
    m.all_twoway = std::all_of(twoway.begin(), twoway.end(), [](std::uint8_t t) { return t != 0; });
    m.nodes = std::move(nodes);
    m.edges = std::move(edges);
    m.twoway = twoway;
}

Network::~Network() = default;
Network::Network(Network&&) noexcept = default;
Network& Network::operator=(Network&&) noexcept = default;

std::size_t Network::node_count() const noexcept { return m_impl->nodes.size(); }
std::size_t Network::edge_count() const noexcept { return m_impl->edges.size(); }
std::size_t Network::arc_count() const noexcept { return m_impl->arc_list.size(); }
const std::vector<Point>& Network::nodes() const noexcept { return m_impl->nodes; }
const std::vector<Edge>& Network::edges() const noexcept { return m_impl->edges; }
const std::vector<std::uint8_t>& Network::twoway() const noexcept { return m_impl->twoway; }
bool Network::is_twoway() const noexcept { return m_impl->all_twoway; }

namespace {
void check_bound(double max_minutes, const char* what) {
    if (std::isnan(max_minutes) || max_minutes < 0.0) {
        throw input_error(std::string{what} + ": max_minutes must be >= 0 (got " + str(max_minutes) + ")");
    }
}
} // namespace

namespace {
/** Sorts a reach by node id, as documented. */
Reach sorted_by_node(Reach r) {
    std::vector<std::size_t> order(r.nodes.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return r.nodes[a] < r.nodes[b]; });
    Reach sorted;
    sorted.nodes.reserve(order.size());
    sorted.minutes.reserve(order.size());
    for (const std::size_t k : order) {
        sorted.nodes.push_back(r.nodes[k]);
        sorted.minutes.push_back(r.minutes[k]);
    }
    return sorted;
}
} // namespace

Reach Network::reach(node_id source, double max_minutes) const {
    m_impl->check_node(source, "reach: source", 0);
    check_bound(max_minutes, "reach");
    workspace ws{node_count(), m_impl->layout};
    Reach r;
    m_impl->search(source, max_minutes, ws, [&](node_id v, double t) {
        r.nodes.push_back(v);
        r.minutes.push_back(t);
        return true;
    });
    return sorted_by_node(std::move(r));
}

Network::RangeLists Network::nodes_in_range(const std::vector<node_id>& sources, double max_minutes,
                                            const SearchOptions& options) const {
    m_impl->check_nodes(sources, "nodes_in_range: sources");
    check_bound(max_minutes, "nodes_in_range");
    std::vector<Reach> each(sources.size());
    parallel_for(sources.size(), node_count(), m_impl->layout, options, [&](std::size_t i, workspace& ws) {
        Reach r;
        m_impl->search(sources[i], max_minutes, ws, [&](node_id v, double t) {
            r.nodes.push_back(v);
            r.minutes.push_back(t);
            return true;
        });
        each[i] = sorted_by_node(std::move(r));
    });
    RangeLists out;
    out.first.reserve(sources.size() + 1);
    out.first.push_back(0);
    for (const Reach& r : each) {
        out.first.push_back(out.first.back() + r.nodes.size());
    }
    out.nodes.reserve(out.first.back());
    out.minutes.reserve(out.first.back());
    for (Reach& r : each) {
        out.nodes.insert(out.nodes.end(), r.nodes.begin(), r.nodes.end());
        out.minutes.insert(out.minutes.end(), r.minutes.begin(), r.minutes.end());
        r = Reach{};
    }
    return out;
}

std::vector<double> Network::aggregate(const std::vector<double>& values, double max_minutes, Aggregation kind,
                                       Decay decay, const std::vector<node_id>& sources,
                                       const SearchOptions& options) const {
    const std::size_t n = node_count();
    if (values.size() != n) {
        throw input_error("aggregate: values has " + std::to_string(values.size()) + " entries for " +
                          std::to_string(n) + " nodes");
    }
    for (std::size_t i = 0; i < n; ++i) {
        if (!std::isfinite(values[i])) {
            throw input_error("aggregate: values[" + std::to_string(i) + "] = " + str(values[i]) +
                              " (must be finite)");
        }
    }
    if (!std::isfinite(max_minutes) || max_minutes < 0.0) {
        throw input_error("aggregate: max_minutes must be finite and >= 0 (got " + str(max_minutes) + ")");
    }
    if (decay != Decay::flat && max_minutes <= 0.0) {
        throw input_error("aggregate: a linear or exponential decay needs max_minutes > 0");
    }
    m_impl->check_nodes(sources, "aggregate: sources");
    const std::size_t count = sources.empty() ? n : sources.size();
    std::vector<double> out(count, 0.0);
    auto weight_of = [&](double t) {
        switch (decay) {
            case Decay::flat: return 1.0;
            case Decay::linear: return 1.0 - t / max_minutes;
            case Decay::exponential: return std::exp(-t / max_minutes);
        }
        return 1.0;
    };
    auto finish = [&](std::size_t i, double sum, double weights) {
        switch (kind) {
            case Aggregation::sum: out[i] = sum; break;
            case Aggregation::count: out[i] = weights; break;
            case Aggregation::mean: out[i] = weights > 0.0 ? sum / weights : nan; break;
        }
    };
    auto dijkstra = [&](std::size_t i, workspace& ws) {
        const node_id source = sources.empty() ? static_cast<node_id>(i) : sources[i];
        double sum = 0.0;
        double weights = 0.0;
        std::size_t settled = 0;
        m_impl->search(source, max_minutes, ws, [&](node_id v, double t) {
            const double w = weight_of(t);
            sum += w * values[v];
            weights += w;
            ++settled;
            return true;
        });
        finish(i, sum, weights);
        return settled;
    };
    if (!m_impl->use_hierarchy(options, count, dijkstra)) {
        parallel_for(count, n, m_impl->layout, options, dijkstra);
        return out;
    }
    // Every node is a destination: each sweep gives the times from 8 sources to all nodes.
    std::vector<node_id> all(n);
    std::iota(all.begin(), all.end(), node_id{0});
    const std::vector<node_id>& origins = sources.empty() ? all : sources;
    using hierarchy_type = detail::ContractionHierarchy;
    const auto [hierarchy, sweep_options] = m_impl->sweep_for(options, count);
    // The sweep stores times by the hierarchy's local order: values are put in that order once, then read in step.
    std::once_flag local_once;
    std::vector<double> local_values(n);
    constexpr std::size_t lanes = hierarchy_type::lanes;
    hierarchy->for_each_batch(origins, all, max_minutes, sweep_options, [&](const hierarchy_type::Batch& batch) {
        std::call_once(local_once, [&] {
            for (std::size_t v = 0; v < n; ++v) {
                local_values[batch.column[v]] = values[v];
            }
        });
        double sum[lanes] = {};
        double weights[lanes] = {};
        const double* times = batch.lane_times;
        if (decay == Decay::flat) { // branch-free, vectorisable; unused lanes hold infinity
            for (std::size_t v = 0; v < n; ++v) {
                for (std::size_t lane = 0; lane < lanes; ++lane) {
                    const bool in = times[v * lanes + lane] <= max_minutes;
                    sum[lane] += in ? local_values[v] : 0.0;
                    weights[lane] += in ? 1.0 : 0.0;
                }
            }
        } else {
            for (std::size_t v = 0; v < n; ++v) {
                for (std::size_t lane = 0; lane < batch.count; ++lane) {
                    const double t = times[v * lanes + lane];
                    if (t <= max_minutes) {
                        const double w = weight_of(t);
                        sum[lane] += w * local_values[v];
                        weights[lane] += w;
                    }
                }
            }
        }
        for (std::size_t lane = 0; lane < batch.count; ++lane) {
            finish(batch.first_origin + lane, sum[lane], weights[lane]);
        }
    });
    return out;
}

std::vector<double> Network::travel_times(const std::vector<node_id>& origins,
                                          const std::vector<node_id>& destinations, double max_minutes,
                                          const SearchOptions& options) const {
    const std::size_t n = node_count();
    check_bound(max_minutes, "travel_times");
    m_impl->check_nodes(origins, "travel_times: origins");
    m_impl->check_nodes(destinations, "travel_times: destinations");
    const detail::grouped_by_node columns{n, destinations};
    const std::size_t width = destinations.size();
    std::vector<double> out(origins.size() * width, nan);
    if (width == 0) {
        return out;
    }
    auto dijkstra = [&](std::size_t i, workspace& ws) {
        double* row = out.data() + i * width;
        std::size_t found = 0;
        std::size_t settled = 0;
        m_impl->search(origins[i], max_minutes, ws, [&](node_id v, double t) {
            ++settled;
            if (columns.first[v] != columns.first[v + 1]) {
                for (std::uint32_t k = columns.first[v]; k < columns.first[v + 1]; ++k) {
                    row[columns.item[k]] = t;
                }
                return ++found < columns.distinct;
            }
            return true;
        });
        return settled;
    };
    if (!m_impl->use_hierarchy(options, origins.size(), dijkstra)) {
        parallel_for(origins.size(), n, m_impl->layout, options, dijkstra);
        return out;
    }
    const auto [hierarchy, sweep_options] = m_impl->sweep_for(options, origins.size());
    return hierarchy->many_to_many(origins, destinations, max_minutes, sweep_options);
}

double Network::PathLengths::infinity() noexcept { return inf; }

void Network::fastest_paths(const std::vector<node_id>& sources, const std::vector<double>& bounds,
                            const std::vector<std::vector<node_id>>& targets,
                            const std::function<void(std::size_t, const PathLengths&)>& visit,
                            const SearchOptions& options) const {
    m_impl->check_nodes(sources, "fastest_paths: sources");
    if (bounds.size() != sources.size() || targets.size() != sources.size()) {
        throw input_error("fastest_paths: " + std::to_string(sources.size()) + " sources, " +
                          std::to_string(bounds.size()) + " bounds and " + std::to_string(targets.size()) +
                          " target lists (one each)");
    }
    for (std::size_t i = 0; i < sources.size(); ++i) {
        check_bound(bounds[i], "fastest_paths");
        m_impl->check_nodes(targets[i], "fastest_paths: targets");
    }
    const std::size_t n = node_count();
    const bucket_layout& layout = m_impl->layout;
    detail::parallel_for(
        sources.size(), options.threads, options.progress, [n, &layout] { return workspace{n, layout, true}; },
        [&](std::size_t i, workspace& ws) {
            std::set<node_id> wanted(targets[i].begin(), targets[i].end());
            const double bound = bounds[i];
            m_impl->search_with_length(sources[i], ws, [&](node_id v, double t, double) {
                if (t > bound && wanted.empty()) {
                    return false;
                }
                wanted.erase(v);
                return true;
            });
            visit(i, PathLengths{ws.dist.data(), ws.metres.data(), ws.done.data()});
            ws.reset();
        });
}

void Network::prepare_hierarchy(const work_progress& progress, unsigned threads) const {
    m_impl->get_hierarchy(progress, node_count(), threads);
}

bool Network::has_hierarchy() const { return m_impl->built_hierarchy() != nullptr; }

void Network::save_hierarchy(const std::string& path) const {
    const auto hierarchy = m_impl->built_hierarchy();
    if (!hierarchy) {
        throw input_error("save_hierarchy('" + path + "'): no contraction hierarchy yet (call prepare_hierarchy)");
    }
    hierarchy->save(path, m_impl->checksum());
    const std::lock_guard<std::mutex> lock{m_impl->hierarchy_mutex};
    m_impl->origin.path = path;
}

void Network::load_hierarchy(const std::string& path) const {
    auto loaded = std::make_shared<const detail::ContractionHierarchy>(
        detail::ContractionHierarchy::load(path, node_count(), m_impl->checksum()));
    const std::lock_guard<std::mutex> lock{m_impl->hierarchy_mutex};
    m_impl->hierarchy = std::move(loaded);
    m_impl->origin = HierarchyOrigin{HierarchyOrigin::Source::loaded, path, false, {}};
}

void Network::set_hierarchy_cache(const std::string& path) {
    const std::lock_guard<std::mutex> lock{m_impl->hierarchy_mutex};
    m_impl->hierarchy_cache = path;
}

HierarchyOrigin Network::hierarchy_origin() const {
    const std::lock_guard<std::mutex> lock{m_impl->hierarchy_mutex};
    return m_impl->origin;
}

std::vector<double> Network::nearest_source_minutes(const std::vector<node_id>& sources,
                                                    const std::vector<double>& start_minutes,
                                                    double max_minutes) const {
    check_bound(max_minutes, "nearest_source_minutes");
    if (start_minutes.size() != sources.size()) {
        throw input_error("nearest_source_minutes: start_minutes has " + std::to_string(start_minutes.size()) +
                          " values for " + std::to_string(sources.size()) + " sources");
    }
    for (std::size_t i = 0; i < sources.size(); ++i) {
        m_impl->check_node(sources[i], "nearest_source_minutes: sources", i);
        if (!std::isfinite(start_minutes[i]) || start_minutes[i] < 0.0) {
            throw input_error("nearest_source_minutes: start_minutes[" + std::to_string(i) + "] = " +
                              str(start_minutes[i]) + " (must be finite and >= 0)");
        }
    }
    std::vector<double> out(node_count(), nan);
    workspace ws{node_count(), m_impl->layout};
    m_impl->search(sources, start_minutes, max_minutes, ws, [&](node_id v, double t) {
        out[v] = t;
        return true;
    });
    return out;
}

Network::NearestPois Network::nearest_pois(const std::vector<node_id>& poi_nodes, std::size_t k, double max_minutes,
                                            const std::vector<node_id>& sources, const SearchOptions& options) const {
    const std::size_t n = node_count();
    check_bound(max_minutes, "nearest_pois");
    if (k == 0) {
        throw input_error("nearest_pois: k must be >= 1");
    }
    m_impl->check_nodes(poi_nodes, "nearest_pois: poi_nodes");
    m_impl->check_nodes(sources, "nearest_pois: sources");
    const detail::grouped_by_node pois{n, poi_nodes};
    const std::size_t count = sources.empty() ? n : sources.size();
    NearestPois out{std::vector<double>(count * k, nan), std::vector<std::uint32_t>(count * k, 0)};
    parallel_for(count, n, m_impl->layout, options, [&](std::size_t i, workspace& ws) {
        const node_id source = sources.empty() ? static_cast<node_id>(i) : sources[i];
        std::size_t found = 0;
        m_impl->search(source, max_minutes, ws, [&](node_id v, double t) {
            for (std::uint32_t a = pois.first[v]; a < pois.first[v + 1] && found < k; ++a, ++found) {
                out.minutes[i * k + found] = t;
                out.poi[i * k + found] = pois.item[a];
            }
            return found < k;
        });
    });
    return out;
}

Network Network::reversed() const {
    std::vector<Edge> edges = m_impl->edges;
    for (Edge& e : edges) {
        std::swap(e.from, e.to);
    }
    return Network{m_impl->nodes, std::move(edges), m_impl->twoway};
}

std::vector<node_id> Network::nearest_nodes(const std::vector<Point>& points, std::vector<double>* distances_m) const {
    if (node_count() == 0) {
        throw input_error("nearest_nodes: the network has no node");
    }
    std::call_once(m_impl->rtree_once, [this] {
        std::vector<rtree_value> values;
        values.reserve(node_count());
        for (std::size_t i = 0; i < node_count(); ++i) {
            values.emplace_back(rtree_point{m_impl->nodes[i].x_m, m_impl->nodes[i].y_m}, static_cast<node_id>(i));
        }
        m_impl->rtree = std::make_unique<rtree_type>(values.begin(), values.end()); // packing (bulk) load
    });
    std::vector<node_id> out;
    out.reserve(points.size());
    if (distances_m) {
        distances_m->clear();
    }
    for (std::size_t i = 0; i < points.size(); ++i) {
        const Point& p = points[i];
        if (!std::isfinite(p.x_m) || !std::isfinite(p.y_m)) {
            throw input_error("nearest_nodes: point " + std::to_string(i) + " has a non-finite coordinate");
        }
        std::vector<rtree_value> hit;
        m_impl->rtree->query(bgi::nearest(rtree_point{p.x_m, p.y_m}, 1), std::back_inserter(hit));
        out.push_back(hit.front().second);
        if (distances_m) {
            distances_m->push_back(distance_m(p, m_impl->nodes[hit.front().second]));
        }
    }
    return out;
}

std::size_t Network::component_count() const {
    // union-find over the edges, directions ignored
    std::vector<node_id> parent(node_count());
    std::iota(parent.begin(), parent.end(), node_id{0});
    auto find = [&](node_id v) {
        while (parent[v] != v) {
            parent[v] = parent[parent[v]];
            v = parent[v];
        }
        return v;
    };
    std::size_t components = node_count();
    for (const Edge& e : m_impl->edges) {
        const node_id a = find(e.from);
        const node_id b = find(e.to);
        if (a != b) {
            parent[std::max(a, b)] = std::min(a, b);
            --components;
        }
    }
    return components;
}

std::vector<std::uint32_t> Network::strong_components() const {
    using csr_graph = boost::compressed_sparse_row_graph<boost::directedS, boost::no_property, boost::no_property,
                                                         boost::no_property, node_id, std::uint32_t>;
    std::vector<std::pair<node_id, node_id>> arcs;
    arcs.reserve(arc_count());
    for (std::size_t v = 0; v < node_count(); ++v) {
        for (std::uint32_t a = m_impl->first[v]; a < m_impl->first[v + 1]; ++a) {
            arcs.emplace_back(static_cast<node_id>(v), m_impl->arc_list[a].head);
        }
    }
    const csr_graph g(boost::edges_are_sorted, arcs.begin(), arcs.end(), static_cast<node_id>(node_count()));
    std::vector<std::uint32_t> label(node_count());
    boost::strong_components(g, boost::make_iterator_property_map(label.begin(), boost::get(boost::vertex_index, g)));
    return label;
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
