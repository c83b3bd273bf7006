// Contraction hierarchy and RPHAST many-to-many matrix (see graph/hierarchy.hpp).

#include "graph/hierarchy.hpp"

#include <tierslieux/errors.hpp>

#include "detail/parallel.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <queue>
#include <string>
#include <utility>
#include <vector>

namespace tierslieux::detail {

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();

/** Settled-node limit of the witness searches (the same when estimating a priority and contracting, so the
 *  shortcuts found by the estimate are reused). A missing
 *  witness only adds a shortcut, so the limits trade build time and shortcuts, never correctness. */
constexpr std::size_t settle_limit = 500;
/** After a contraction, recompute the neighbours' priorities by simulation, or only raise their level and let the
 *  lazy update at the top of the queue catch the rest. Measured on the SYNTHETIC 1e5 grid: simulation gives 35 %
 *  fewer shortcuts and a 25 % faster query, but a 2.6 times slower build (9 s instead of 3.4 s). */
constexpr bool update_neighbours = false;

/** An arc of the graph being contracted: the other end, its time and the number of original arcs it stands for. */
struct DynamicArc {
    std::uint32_t node;
    std::uint32_t hops;
    double minutes;
}; // struct DynamicArc

struct Shortcut {
    std::uint32_t from;
    std::uint32_t to;
    std::uint32_t hops;
    double minutes;
}; // struct Shortcut

using heap_entry = std::pair<double, std::uint32_t>;
using min_heap = std::priority_queue<heap_entry, std::vector<heap_entry>, std::greater<heap_entry>>;

/**
 * The graph while it is contracted: per node the arcs to and from the nodes not contracted yet. Contracting a
 * node v records its remaining arcs (they all lead to nodes contracted later: higher ranks), removes v and adds a
 * shortcut u -> w for each pair of arcs u -> v -> w without a witness path u ~> w as short that avoids v.
 */
class Contractor {
public:
    Contractor(std::size_t n, const std::uint32_t* first, const node_id* head, const double* minutes)
        : m_out(n), m_in(n), m_level(n, 0), m_dist(n, inf), m_stamp(n, 0), m_target(n, 0) {
        for (std::size_t v = 0; v < n; ++v) {
            for (std::uint32_t a = first[v]; a < first[v + 1]; ++a) {
                const node_id w = head[a];
                const double t = minutes[a];
                if (w >= n) {
                    throw input_error("contraction hierarchy: arc " + std::to_string(a) + " leads to node " +
                                      std::to_string(w) + " (" + std::to_string(n) + " nodes)");
                }
                if (!std::isfinite(t) || t < 0.0) {
                    throw input_error("contraction hierarchy: arc " + std::to_string(a) + " has minutes = " +
                                      std::to_string(t) + " (must be finite and >= 0)");
                }
                if (w != v) { // a self-loop is never on a shortest path
                    add_arc(static_cast<std::uint32_t>(v), w, t, 1);
                }
            }
        }
    }

    /** Contracts every node; fills the hierarchy's graphs (still with node ids as heads) and its ranks. */
    void run(std::vector<std::uint32_t>& rank, std::vector<std::uint32_t>& up_first, std::vector<std::uint32_t>& up_head,
             std::vector<double>& up_minutes, std::vector<std::uint32_t>& down_first,
             std::vector<std::uint32_t>& down_tail, std::vector<double>& down_minutes, std::size_t& shortcuts,
             const work_progress& progress) {
        const std::size_t n = m_out.size();
        std::vector<double> priority(n);
        min_heap queue;
        std::vector<Shortcut> found;
        for (std::uint32_t v = 0; v < n; ++v) {
            priority[v] = simulate(v, found);
            queue.emplace(priority[v], v);
        }
        std::vector<std::uint8_t> done(n, 0);
        rank.assign(n, none);
        up_first.assign(n + 1, 0);
        down_first.assign(n + 1, 0);
        std::vector<std::uint32_t> neighbours;
        std::uint32_t next_rank = 0;
        const std::size_t report_every = std::max<std::size_t>(1, n / 256);
        while (!queue.empty()) {
            const auto [p, v] = queue.top();
            queue.pop();
            if (done[v] || p != priority[v]) {
                continue;
            }
            // Lazy update: the priority may be stale; recompute it and contract only if it is still the least.
            const double now = simulate(v, found);
            if (now > p) {
                while (!queue.empty() && (done[queue.top().second] || queue.top().first != priority[queue.top().second])) {
                    queue.pop();
                }
                if (!queue.empty() && now > queue.top().first) {
                    priority[v] = now;
                    queue.emplace(now, v);
                    continue;
                }
            }
            // Record v's remaining arcs: all lead to higher ranks.
            const std::uint32_t r = next_rank++;
            rank[v] = r;
            done[v] = 1;
            for (const DynamicArc& a : m_out[v]) {
                up_head.push_back(a.node);
                up_minutes.push_back(a.minutes);
                shortcuts += a.hops > 1;
            }
            for (const DynamicArc& a : m_in[v]) {
                down_tail.push_back(a.node);
                down_minutes.push_back(a.minutes);
                shortcuts += a.hops > 1;
            }
            up_first[r + 1] = static_cast<std::uint32_t>(up_head.size());
            down_first[r + 1] = static_cast<std::uint32_t>(down_tail.size());
            // Remove v and add its shortcuts.
            neighbours.clear();
            for (const DynamicArc& a : m_in[v]) {
                erase(m_out[a.node], v);
                neighbours.push_back(a.node);
            }
            for (const DynamicArc& a : m_out[v]) {
                erase(m_in[a.node], v);
                neighbours.push_back(a.node);
            }
            std::vector<DynamicArc>().swap(m_out[v]);
            std::vector<DynamicArc>().swap(m_in[v]);
            for (const Shortcut& s : found) {
                add_arc(s.from, s.to, s.minutes, s.hops);
            }
            // Neighbours: deeper level, new priority.
            std::sort(neighbours.begin(), neighbours.end());
            neighbours.erase(std::unique(neighbours.begin(), neighbours.end()), neighbours.end());
            for (const std::uint32_t x : neighbours) {
                const std::uint32_t level = std::max(m_level[x], m_level[v] + 1);
                if (update_neighbours) {
                    m_level[x] = level;
                    priority[x] = simulate(x, found);
                    queue.emplace(priority[x], x);
                } else if (level != m_level[x]) {
                    priority[x] += static_cast<double>(level - m_level[x]);
                    m_level[x] = level;
                    queue.emplace(priority[x], x);
                }
            }
            if (progress && next_rank % report_every == 0) {
                progress(next_rank, n);
            }
        }
        if (progress) {
            progress(n, n);
        }
    }

private:
    /** Adds u -> w or lowers its time when it exists. */
    void add_arc(std::uint32_t u, std::uint32_t w, double minutes, std::uint32_t hops) {
        for (DynamicArc& a : m_out[u]) {
            if (a.node == w) {
                if (minutes < a.minutes) {
                    a.minutes = minutes;
                    a.hops = hops;
                    for (DynamicArc& b : m_in[w]) {
                        if (b.node == u) {
                            b.minutes = minutes;
                            b.hops = hops;
                            break;
                        }
                    }
                }
                return;
            }
        }
        m_out[u].push_back({w, hops, minutes});
        m_in[w].push_back({u, hops, minutes});
    }

    static void erase(std::vector<DynamicArc>& arcs, std::uint32_t node) {
        for (std::size_t i = 0; i < arcs.size(); ++i) {
            if (arcs[i].node == node) {
                arcs[i] = arcs.back();
                arcs.pop_back();
                return;
            }
        }
    }

    /** Priority of contracting v now: level + shortcuts per arc removed + original arcs per original arc removed. */
    double simulate(std::uint32_t v, std::vector<Shortcut>& found) {
        witnesses(v, settle_limit, found);
        std::size_t removed = m_in[v].size() + m_out[v].size();
        std::size_t removed_hops = 0;
        for (const DynamicArc& a : m_in[v]) {
            removed_hops += a.hops;
        }
        for (const DynamicArc& a : m_out[v]) {
            removed_hops += a.hops;
        }
        std::size_t added_hops = 0;
        for (const Shortcut& s : found) {
            added_hops += s.hops;
        }
        return static_cast<double>(m_level[v]) +
               static_cast<double>(found.size()) / static_cast<double>(std::max<std::size_t>(removed, 1)) +
               static_cast<double>(added_hops) / static_cast<double>(std::max<std::size_t>(removed_hops, 1));
    }

    /** The shortcuts that contracting v needs: one Dijkstra per arc u -> v, avoiding v, settling at most limit. */
    void witnesses(std::uint32_t v, std::size_t limit, std::vector<Shortcut>& found) {
        found.clear();
        if (m_out[v].empty() || m_in[v].empty()) {
            return;
        }
        double longest_out = 0.0;
        for (const DynamicArc& b : m_out[v]) {
            longest_out = std::max(longest_out, b.minutes);
        }
        for (const DynamicArc& a : m_in[v]) {
            const std::uint32_t u = a.node;
            // Targets: the heads w != u of v's arcs.
            if (++m_now == 0) {
                std::fill(m_stamp.begin(), m_stamp.end(), 0);
                std::fill(m_target.begin(), m_target.end(), 0);
                m_now = 1;
            }
            std::size_t targets = 0;
            for (const DynamicArc& b : m_out[v]) {
                if (b.node != u && m_target[b.node] != m_now) {
                    m_target[b.node] = m_now;
                    ++targets;
                }
            }
            if (targets == 0) {
                continue;
            }
            const double bound = a.minutes + longest_out;
            m_stamp[u] = m_now;
            m_dist[u] = 0.0;
            m_heap.clear();
            m_heap.push_back({0.0, u});
            std::size_t settled = 0;
            while (!m_heap.empty()) {
                std::pop_heap(m_heap.begin(), m_heap.end(), std::greater<heap_entry>());
                const auto [d, x] = m_heap.back();
                m_heap.pop_back();
                if (d > m_dist[x]) {
                    continue;
                }
                if (d > bound || ++settled > limit) {
                    break;
                }
                if (m_target[x] == m_now && --targets == 0) {
                    break;
                }
                for (const DynamicArc& b : m_out[x]) {
                    const std::uint32_t y = b.node;
                    const double t = d + b.minutes;
                    if (y != v && t <= bound && (m_stamp[y] != m_now || t < m_dist[y])) {
                        m_stamp[y] = m_now;
                        m_dist[y] = t;
                        m_heap.push_back({t, y});
                        std::push_heap(m_heap.begin(), m_heap.end(), std::greater<heap_entry>());
                    }
                }
            }
            for (const DynamicArc& b : m_out[v]) {
                const std::uint32_t w = b.node;
                if (w == u) {
                    continue;
                }
                const double via = a.minutes + b.minutes;
                if (m_stamp[w] != m_now || m_dist[w] > via) {
                    found.push_back({u, w, a.hops + b.hops, via});
                }
            }
        }
    }

    std::vector<std::vector<DynamicArc>> m_out;
    std::vector<std::vector<DynamicArc>> m_in;
    std::vector<std::uint32_t> m_level;
    // Witness search scratch: distances valid where m_stamp == m_now; targets marked with m_now.
    std::vector<double> m_dist;
    std::vector<std::uint32_t> m_stamp;
    std::vector<std::uint32_t> m_target;
    std::uint32_t m_now = 0;
    std::vector<heap_entry> m_heap;
}; // class Contractor

/** Origins per sweep: each selected node holds one distance per lane, so a sweep reads its arcs once for all. */
constexpr std::size_t lanes = ContractionHierarchy::lanes;

/** The part of the downward graph that reaches the destinations, in position order (local ids 0, 1, ...). */
struct Selection {
    std::vector<std::uint32_t> local; // position -> local id, none outside
    std::vector<std::uint32_t> first;
    std::vector<std::uint32_t> tail;  // local ids, all lower than the arc's head
    std::vector<double> minutes;
}; // struct Selection

/** A time found by an upward search at a selected node. */
struct Hit {
    std::uint32_t local;
    std::uint32_t lane;
    double minutes;
}; // struct Hit

/** Per-thread scratch of the queries. */
struct Workspace {
    std::vector<double> dist;        // by position, valid where stamp == now
    std::vector<std::uint32_t> stamp;
    std::uint32_t now = 0;
    std::vector<heap_entry> heap;
    std::vector<Hit> hits;           // the upward searches' times at selected nodes, then sorted by local id
    std::vector<double> lane_storage;
    double* lane_dist;               // local id * lanes + lane, aligned on 64 bytes (a node's lanes share lines)
    std::size_t lane_size;

    Workspace(std::size_t n, std::size_t selected)
        : dist(n), stamp(n, 0), lane_storage(selected * lanes + 8), lane_size(selected * lanes) {
        const auto address = reinterpret_cast<std::uintptr_t>(lane_storage.data());
        lane_dist = lane_storage.data() + (64 - address % 64) % 64 / sizeof(double);
    }
}; // struct Workspace

/** Four lanes in one (GCC/Clang vector extension: AVX2 registers in the avx2 clone, SSE2 pairs otherwise);
 *  may_alias as it is read from arrays of double. */
using v4d = double __attribute__((vector_size(32), may_alias));
constexpr std::size_t vectors = lanes / 4;

/** One linear pass: each selected node takes the least of its upward-search times (hits, sorted by local id and
 *  ended by a local id of none; infinity where none) and its downward in-arcs', per lane. d is aligned on 64 bytes;
 *  its previous contents are not read. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
void sweep(const std::uint32_t* first, const std::uint32_t* tail, const double* minutes, std::size_t count,
           const Hit* hit, double* d) {
    auto* lane = reinterpret_cast<v4d*>(d);
    const v4d infinite = {inf, inf, inf, inf};
    for (std::size_t i = 0; i < count; ++i) {
        v4d best[vectors];
        for (std::size_t k = 0; k < vectors; ++k) {
            best[k] = infinite;
        }
        for (; hit->local == i; ++hit) {
            best[hit->lane / 4][hit->lane % 4] = hit->minutes;
        }
        for (std::uint32_t a = first[i]; a < first[i + 1]; ++a) {
            const v4d* from = lane + std::size_t{tail[a]} * vectors;
            const double t = minutes[a];
            for (std::size_t k = 0; k < vectors; ++k) {
                const v4d via = from[k] + t;
                best[k] = via < best[k] ? via : best[k];
            }
        }
        for (std::size_t k = 0; k < vectors; ++k) {
            lane[i * vectors + k] = best[k];
        }
    }
}

} // namespace

ContractionHierarchy::ContractionHierarchy(std::size_t n, const std::uint32_t* first, const node_id* head,
                                           const double* minutes, const work_progress& progress) {
    if (n >= none) {
        throw input_error("contraction hierarchy: too many nodes (" + std::to_string(n) + ")");
    }
    std::vector<std::uint32_t> rank;
    std::vector<std::uint32_t> up_first;
    std::vector<std::uint32_t> up_head;
    std::vector<double> up_minutes;
    std::vector<std::uint32_t> down_first;
    std::vector<std::uint32_t> down_tail;
    std::vector<double> down_minutes;
    {
        Contractor contractor{n, first, head, minutes};
        contractor.run(rank, up_first, up_head, up_minutes, down_first, down_tail, down_minutes, m_shortcuts,
                       progress);
    }
    for (std::uint32_t& h : up_head) {
        h = rank[h];
    }
    for (std::uint32_t& t : down_tail) {
        t = rank[t];
    }
    // Sweep order (PHAST): by decreasing level, where a node's level is 1 + the greatest level of its lower
    // neighbours, and within a level by node id (the caller's order, often spatial). Every arc joins two levels, so
    // a node comes after the tails of its downward arcs; the tails of neighbouring nodes are near one another.
    std::vector<std::uint32_t> level(n, 0);
    for (std::uint32_t r = 0; r < n; ++r) {
        const std::uint32_t next = level[r] + 1;
        for (std::uint32_t a = up_first[r]; a < up_first[r + 1]; ++a) {
            level[up_head[a]] = std::max(level[up_head[a]], next);
        }
        for (std::uint32_t a = down_first[r]; a < down_first[r + 1]; ++a) {
            level[down_tail[a]] = std::max(level[down_tail[a]], next);
        }
    }
    std::vector<std::uint32_t> order(n); // position -> node id
    for (std::uint32_t v = 0; v < n; ++v) {
        order[v] = v;
    }
    std::stable_sort(order.begin(), order.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return level[rank[a]] > level[rank[b]]; });
    std::vector<std::uint32_t> position(n); // rank -> position
    for (std::uint32_t p = 0; p < n; ++p) {
        position[rank[order[p]]] = p;
    }
    m_position.resize(n);
    for (std::uint32_t v = 0; v < n; ++v) {
        m_position[v] = position[rank[v]];
    }
    // Both graphs by position, each node's arcs by increasing other end.
    auto reorder = [&](const std::vector<std::uint32_t>& old_first, const std::vector<std::uint32_t>& old_other,
                       const std::vector<double>& old_minutes, std::vector<std::uint32_t>& new_first,
                       std::vector<std::uint32_t>& new_other, std::vector<double>& new_minutes) {
        new_first.assign(n + 1, 0);
        new_other.resize(old_other.size());
        new_minutes.resize(old_minutes.size());
        std::vector<std::pair<std::uint32_t, double>> arcs;
        std::uint32_t k = 0;
        for (std::uint32_t p = 0; p < n; ++p) {
            const std::uint32_t r = rank[order[p]];
            arcs.clear();
            for (std::uint32_t a = old_first[r]; a < old_first[r + 1]; ++a) {
                arcs.emplace_back(position[old_other[a]], old_minutes[a]);
            }
            std::sort(arcs.begin(), arcs.end());
            for (const auto& [other, t] : arcs) {
                new_other[k] = other;
                new_minutes[k] = t;
                ++k;
            }
            new_first[p + 1] = k;
        }
    };
    reorder(up_first, up_head, up_minutes, m_up_first, m_up_head, m_up_minutes);
    reorder(down_first, down_tail, down_minutes, m_down_first, m_down_tail, m_down_minutes);
}

std::size_t ContractionHierarchy::memory_bytes() const noexcept {
    return sizeof(*this) + m_position.capacity() * sizeof(std::uint32_t) +
           (m_up_first.capacity() + m_up_head.capacity() + m_down_first.capacity() + m_down_tail.capacity()) *
               sizeof(std::uint32_t) +
           (m_up_minutes.capacity() + m_down_minutes.capacity()) * sizeof(double);
}

void ContractionHierarchy::check_query(const std::vector<node_id>& origins, const std::vector<node_id>& destinations,
                                       double max_minutes) const {
    const std::size_t n = node_count();
    if (std::isnan(max_minutes) || max_minutes < 0.0) {
        throw input_error("many_to_many: max_minutes must be >= 0 (got " + std::to_string(max_minutes) + ")");
    }
    auto check = [n](const std::vector<node_id>& ids, const char* what) {
        for (std::size_t i = 0; i < ids.size(); ++i) {
            if (ids[i] >= n) {
                throw input_error(std::string{"many_to_many: "} + what + "[" + std::to_string(i) + "] = " +
                                  std::to_string(ids[i]) + " is not a node (" + std::to_string(n) + " nodes)");
            }
        }
    };
    check(origins, "origins");
    check(destinations, "destinations");
}

void ContractionHierarchy::for_each_batch(const std::vector<node_id>& origins,
                                          const std::vector<node_id>& destinations, double max_minutes,
                                          const SearchOptions& options,
                                          const std::function<void(const Batch&)>& visit) const {
    check_query(origins, destinations, max_minutes);
    const std::size_t n = node_count();
    const std::size_t width = destinations.size();
    if (origins.empty() || width == 0) {
        if (options.progress) {
            options.progress(0, 0);
        }
        return;
    }

    // Select the nodes that reach a destination by downward arcs (they hold every destination's distance).
    Selection sel;
    sel.local.assign(n, none);
    {
        std::vector<std::uint32_t> stack;
        for (const node_id t : destinations) {
            const std::uint32_t r = m_position[t];
            if (sel.local[r] == none) {
                sel.local[r] = 0;
                stack.push_back(r);
            }
        }
        while (!stack.empty()) {
            const std::uint32_t r = stack.back();
            stack.pop_back();
            for (std::uint32_t a = m_down_first[r]; a < m_down_first[r + 1]; ++a) {
                const std::uint32_t s = m_down_tail[a];
                if (sel.local[s] == none) {
                    sel.local[s] = 0;
                    stack.push_back(s);
                }
            }
        }
    }
    std::vector<std::uint32_t> selected; // local id -> position
    for (std::size_t r = 0; r < n; ++r) {
        if (sel.local[r] != none) {
            sel.local[r] = static_cast<std::uint32_t>(selected.size());
            selected.push_back(static_cast<std::uint32_t>(r));
        }
    }
    sel.first.reserve(selected.size() + 1);
    sel.first.push_back(0);
    for (const std::uint32_t r : selected) {
        for (std::uint32_t a = m_down_first[r]; a < m_down_first[r + 1]; ++a) {
            sel.tail.push_back(sel.local[m_down_tail[a]]);
            sel.minutes.push_back(m_down_minutes[a]);
        }
        sel.first.push_back(static_cast<std::uint32_t>(sel.tail.size()));
    }
    std::vector<std::uint32_t> column(width); // destination -> local id
    for (std::size_t j = 0; j < width; ++j) {
        column[j] = sel.local[m_position[destinations[j]]];
    }

    // Stall-on-demand: a node reached more quickly by a downward arc from a node already reached is not on a
    // shortest upward path; its arcs need no relaxing (its time is found by the sweep).
    auto stalled = [this](std::uint32_t x, double d, const Workspace& ws) {
        for (std::uint32_t a = m_down_first[x]; a < m_down_first[x + 1]; ++a) {
            const std::uint32_t y = m_down_tail[a];
            if (ws.stamp[y] == ws.now && ws.dist[y] + m_down_minutes[a] < d) {
                return true;
            }
        }
        return false;
    };
    const std::size_t batches = (origins.size() + lanes - 1) / lanes;
    parallel_for(
        batches, options.threads, options.progress, [&] { return Workspace{n, selected.size()}; },
        [&](std::size_t b, Workspace& ws) {
            ws.hits.clear();
            const std::size_t begin = b * lanes;
            const std::size_t end = std::min(origins.size(), begin + lanes);
            for (std::size_t i = begin; i < end; ++i) {
                const std::size_t lane = i - begin;
                // Upward Dijkstra from the origin; times beyond max_minutes cannot lead to one within it.
                if (++ws.now == 0) {
                    std::fill(ws.stamp.begin(), ws.stamp.end(), 0);
                    ws.now = 1;
                }
                const std::uint32_t s = m_position[origins[i]];
                ws.stamp[s] = ws.now;
                ws.dist[s] = 0.0;
                ws.heap.clear();
                ws.heap.push_back({0.0, s});
                while (!ws.heap.empty()) {
                    std::pop_heap(ws.heap.begin(), ws.heap.end(), std::greater<heap_entry>());
                    const auto [d, x] = ws.heap.back();
                    ws.heap.pop_back();
                    if (d > ws.dist[x]) {
                        continue;
                    }
                    if (stalled(x, d, ws)) {
                        continue;
                    }
                    if (sel.local[x] != none) {
                        ws.hits.push_back({sel.local[x], static_cast<std::uint32_t>(lane), d});
                    }
                    for (std::uint32_t a = m_up_first[x]; a < m_up_first[x + 1]; ++a) {
                        const std::uint32_t y = m_up_head[a];
                        const double t = d + m_up_minutes[a];
                        if (t <= max_minutes && (ws.stamp[y] != ws.now || t < ws.dist[y])) {
                            ws.stamp[y] = ws.now;
                            ws.dist[y] = t;
                            ws.heap.push_back({t, y});
                            std::push_heap(ws.heap.begin(), ws.heap.end(), std::greater<heap_entry>());
                        }
                    }
                }
            }
            std::sort(ws.hits.begin(), ws.hits.end(),
                      [](const Hit& x, const Hit& y) { return x.local < y.local; });
            ws.hits.push_back({none, 0, 0.0});
            sweep(sel.first.data(), sel.tail.data(), sel.minutes.data(), selected.size(), ws.hits.data(),
                  ws.lane_dist);
            visit(Batch{ws.lane_dist, column.data(), width, begin, end - begin});
        });
}

std::vector<double> ContractionHierarchy::many_to_many(const std::vector<node_id>& origins,
                                                       const std::vector<node_id>& destinations, double max_minutes,
                                                       const SearchOptions& options) const {
    check_query(origins, destinations, max_minutes);
    const std::size_t width = destinations.size();
    std::vector<double> out(origins.size() * width, nan);
    // Distinct origins, computed once each (in position order: neighbouring upward searches), then copied.
    std::vector<std::size_t> row_of(origins.size());
    std::vector<node_id> distinct_nodes;
    std::vector<std::size_t> distinct; // index into origins of the first occurrence
    {
        std::vector<std::size_t> order(origins.size());
        for (std::size_t i = 0; i < order.size(); ++i) {
            order[i] = i;
        }
        std::stable_sort(order.begin(), order.end(),
                         [&](std::size_t a, std::size_t b) { return m_position[origins[a]] < m_position[origins[b]]; });
        for (std::size_t k = 0; k < order.size(); ++k) {
            if (k == 0 || origins[order[k]] != origins[order[k - 1]]) {
                distinct.push_back(order[k]);
                distinct_nodes.push_back(origins[order[k]]);
            }
            row_of[order[k]] = distinct.back();
        }
    }
    for_each_batch(distinct_nodes, destinations, max_minutes, options, [&](const Batch& batch) {
        for (std::size_t lane = 0; lane < batch.count; ++lane) {
            double* row = out.data() + distinct[batch.first_origin + lane] * width;
            for (std::size_t j = 0; j < width; ++j) {
                const double t = batch.time(j, lane);
                row[j] = t <= max_minutes && t < inf ? t : nan;
            }
        }
    });
    for (std::size_t i = 0; i < origins.size(); ++i) {
        if (row_of[i] != i) {
            std::copy_n(out.data() + row_of[i] * width, width, out.data() + i * width);
        }
    }
    return out;
}

} // namespace tierslieux::detail
