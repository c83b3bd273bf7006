// Contraction hierarchy and RPHAST many-to-many matrix (see graph/hierarchy.hpp).

#include "graph/hierarchy.hpp"

#include <tierslieux/errors.hpp>

#include "detail/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace tierslieux::detail {

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();

/** Settled-node limit of the witness searches. A missing witness only adds a shortcut, so the limit trades build
 *  time and shortcuts, never correctness. (Computing again, after each round, the priorities of every neighbour of
 *  the nodes contracted, instead of the lazy updates, gives 33 % fewer shortcuts and 3.6 times faster matrices on
 *  the SYNTHETIC 1e6 grid, but 1.7 times the build's CPU time: bench/RESULTS.md, issue 13.) */
constexpr std::size_t settle_limit = 500;
/** Below this many nodes in a step of a round, the step runs on the calling thread (starting threads costs more). */
constexpr std::size_t parallel_from = 256;

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

/** Per-thread scratch of the witness searches: distances (and whether a path of that time avoids the round) valid
 *  where stamp == now; targets marked with now. */
struct WitnessScratch {
    std::vector<double> dist;
    std::vector<std::uint8_t> clean;
    std::vector<std::uint32_t> stamp;
    std::vector<std::uint32_t> target;
    std::uint32_t now = 0;
    std::vector<heap_entry> heap;
    std::vector<Shortcut> found;
    bool tied = false;          ///< some pair u -> v -> w had a witness exactly as short
    std::vector<Shortcut> kept; ///< shortcuts found by this thread in the round (priorities, then contractions)
    std::uint32_t index;        ///< which scratch of the pool this is

    WitnessScratch(std::size_t n, std::uint32_t i) : dist(n, inf), clean(n, 0), stamp(n, 0), target(n, 0), index(i) {}
}; // struct WitnessScratch

/** Shortcuts found in the round, for one node: in which scratch's `kept`, from where, how many; a priority's are
 *  reusable by the contraction when no witness tied (a tie counts only if it avoids the round, unknown then). */
struct Kept {
    std::uint32_t scratch;
    std::uint32_t count;
    std::size_t offset;
    bool reusable;
}; // struct Kept

/**
 * The graph while it is contracted: per node the arcs to and from the nodes not contracted yet. Contracting a
 * node v records its remaining arcs (they all lead to nodes contracted later: higher ranks), removes v and adds a
 * shortcut u -> w for each pair of arcs u -> v -> w without a witness path u ~> w as short that avoids v.
 *
 * Nodes are contracted in rounds. The candidates of a round are the nodes whose priority is below their
 * neighbours' (ties broken by node id); their priorities are computed again on the graph as it is (a contraction
 * only raised its neighbours' priorities by their new level: lazy updates), and those still below their neighbours
 * make the round, an independent set. The priorities and witness searches run on the pool's threads, each a
 * function of the graph as the round found it; the graph changes are then applied on the calling thread, by
 * increasing node id. So the hierarchy is the same whatever the number of threads. A round is exact because a witness through another node of the round counts only when strictly
 * shorter than the path through v, a witness as short only when it avoids the round. Take a shortest path between
 * two nodes that stay, with the fewest nodes of the round; a node v of the round on it lies between two nodes that
 * stay (no two nodes of the round are neighbours), joined either by v's shortcut (as short: one node fewer), or by
 * a strictly shorter witness (the path was not shortest), or by a witness as short that avoids the round (one node
 * fewer): so the path holds none, and its arcs are all there after the round. (Were witnesses as short through
 * the round taken, two nodes of a round could each leave out a shortcut on the strength of a path through the
 * other: zero-time arcs and equal times make that common.)
 */
class Contractor {
public:
    Contractor(std::size_t n, const std::uint32_t* first, const node_id* head, const double* minutes, unsigned threads)
        : m_out(n), m_in(n), m_level(n, 0), m_threads(thread_count(threads, n)) {
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
        for (unsigned t = 0; t < m_threads; ++t) {
            m_scratch.emplace_back(n, t);
        }
    }

    /** Contracts every node; fills the hierarchy's graphs (still with node ids as heads) and its ranks. */
    void run(std::vector<std::uint32_t>& rank, std::vector<std::uint32_t>& up_first, std::vector<std::uint32_t>& up_head,
             std::vector<double>& up_minutes, std::vector<std::uint32_t>& down_first,
             std::vector<std::uint32_t>& down_tail, std::vector<double>& down_minutes, std::size_t& shortcuts,
             const work_progress& progress) {
        const std::size_t n = m_out.size();
        std::vector<double> priority(n);
        std::vector<std::uint32_t> alive(n); // not contracted yet, by increasing id
        for (std::uint32_t v = 0; v < n; ++v) {
            alive[v] = v;
        }
        std::vector<std::uint32_t> fresh = alive; // whose priority is computed this round, by increasing id
        std::vector<std::uint8_t> chosen;
        std::vector<std::uint32_t> round;
        std::vector<Kept> found; // the round's shortcuts, by node of the round
        std::vector<std::uint8_t> in_round(n, 0);
        std::vector<Kept> kept;
        std::vector<std::uint32_t> fresh_at(n, none); // node -> index in fresh, this round
        rank.assign(n, none);
        up_first.assign(n + 1, 0);
        down_first.assign(n + 1, 0);
        std::uint32_t next_rank = 0;
        const std::size_t report_every = std::max<std::size_t>(1, n / 256);
        auto local_minima = [&](const std::vector<std::uint32_t>& nodes, std::vector<std::uint32_t>& out) {
            chosen.assign(nodes.size(), 0);
            for_each(nodes.size(), [&](std::size_t i, WitnessScratch&) { chosen[i] = is_local_minimum(nodes[i], priority); });
            out.clear();
            for (std::size_t i = 0; i < nodes.size(); ++i) {
                if (chosen[i]) {
                    out.push_back(nodes[i]);
                }
            }
        };
        for (bool first = true; !alive.empty(); first = false) {
            // The candidates (every node at first, then each node whose priority is below its neighbours', ties by
            // id) get their priority computed on the graph as it is: when a neighbour was contracted, a priority
            // was only raised by the new level (lazy updates, as in a contraction with one queue).
            if (!first) {
                local_minima(alive, fresh);
            }
            // The first time, only the priorities are kept: keeping their shortcuts too would hold those of every
            // node at once.
            for (WitnessScratch& ws : m_scratch) {
                ws.kept.clear();
            }
            kept.resize(fresh.size());
            for_each(fresh.size(), [&](std::size_t i, WitnessScratch& ws) {
                priority[fresh[i]] = simulate(fresh[i], ws);
                const bool keep = !first && !ws.tied;
                kept[i] = {ws.index, keep ? static_cast<std::uint32_t>(ws.found.size()) : 0, ws.kept.size(), keep};
                if (keep) {
                    ws.kept.insert(ws.kept.end(), ws.found.begin(), ws.found.end());
                }
            });
            for (std::size_t i = 0; i < fresh.size(); ++i) {
                fresh_at[fresh[i]] = static_cast<std::uint32_t>(i);
            }
            // The round: the candidates still below their neighbours (no two candidates are neighbours).
            local_minima(fresh, round);
            for (const std::uint32_t v : round) {
                in_round[v] = 1;
            }
            // Its shortcuts, on the graph as the round found it: those of the priority's searches (the same
            // searches on the same graph) unless a witness tied, since a tie counts only if it avoids the round.
            found.resize(round.size());
            for_each(round.size(), [&](std::size_t i, WitnessScratch& ws) {
                found[i] = kept[fresh_at[round[i]]];
                if (!found[i].reusable) {
                    witnesses(round[i], ws, &in_round);
                    found[i] = {ws.index, static_cast<std::uint32_t>(ws.found.size()), ws.kept.size(), true};
                    ws.kept.insert(ws.kept.end(), ws.found.begin(), ws.found.end());
                }
            });
            for (const std::uint32_t x : fresh) {
                fresh_at[x] = none;
            }
            // The changes, by increasing id: v's remaining arcs all lead to higher ranks; then v goes and its
            // shortcuts come. No two nodes of the round are neighbours, so v's arcs are still those of the round's
            // start; its neighbours take a deeper level.
            for (std::size_t i = 0; i < round.size(); ++i) {
                const std::uint32_t v = round[i];
                const std::uint32_t r = next_rank++;
                rank[v] = r;
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
                for (const DynamicArc& a : m_in[v]) {
                    erase(m_out[a.node], v);
                    deepen(a.node, v, priority);
                }
                for (const DynamicArc& a : m_out[v]) {
                    erase(m_in[a.node], v);
                    deepen(a.node, v, priority);
                }
                std::vector<DynamicArc>().swap(m_out[v]);
                std::vector<DynamicArc>().swap(m_in[v]);
                const Shortcut* added = m_scratch[found[i].scratch].kept.data() + found[i].offset;
                for (std::uint32_t k = 0; k < found[i].count; ++k) {
                    add_arc(added[k].from, added[k].to, added[k].minutes, added[k].hops);
                }
                in_round[v] = 0;
            }
            alive.erase(std::remove_if(alive.begin(), alive.end(), [&](std::uint32_t v) { return rank[v] != none; }),
                        alive.end());
            if (progress && (alive.empty() || (next_rank - round.size()) / report_every != next_rank / report_every)) {
                progress(next_rank, n);
            }
        }
        if (progress && n == 0) {
            progress(0, 0);
        }
    }

private:
    /** fn(i, scratch) for i in [0, count) on the pool's threads, or on the calling thread when count is small. */
    template <typename Fn>
    void for_each(std::size_t count, Fn&& fn) {
        std::atomic<std::size_t> slot{0};
        parallel_for(
            count, count < parallel_from ? 1u : m_threads, {}, [&] { return &m_scratch[slot++]; },
            [&](std::size_t i, WitnessScratch* ws) { fn(i, *ws); });
    }

    /** True when v's (priority, id) is below that of each of its neighbours. */
    bool is_local_minimum(std::uint32_t v, const std::vector<double>& priority) const {
        const auto below = [&](std::uint32_t x) {
            return priority[v] < priority[x] || (priority[v] == priority[x] && v < x);
        };
        for (const DynamicArc& a : m_out[v]) {
            if (!below(a.node)) {
                return false;
            }
        }
        for (const DynamicArc& a : m_in[v]) {
            if (!below(a.node)) {
                return false;
            }
        }
        return true;
    }

    /** x lost its neighbour v: it takes a level deeper than v's, and its priority rises by as much (the rest of
     *  the change is found when x is a candidate again). */
    void deepen(std::uint32_t x, std::uint32_t v, std::vector<double>& priority) {
        const std::uint32_t level = std::max(m_level[x], m_level[v] + 1);
        priority[x] += static_cast<double>(level - m_level[x]);
        m_level[x] = level;
    }

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
    double simulate(std::uint32_t v, WitnessScratch& ws) const {
        witnesses(v, ws);
        std::size_t removed = m_in[v].size() + m_out[v].size();
        std::size_t removed_hops = 0;
        for (const DynamicArc& a : m_in[v]) {
            removed_hops += a.hops;
        }
        for (const DynamicArc& a : m_out[v]) {
            removed_hops += a.hops;
        }
        std::size_t added_hops = 0;
        for (const Shortcut& s : ws.found) {
            added_hops += s.hops;
        }
        return static_cast<double>(m_level[v]) +
               static_cast<double>(ws.found.size()) / static_cast<double>(std::max<std::size_t>(removed, 1)) +
               static_cast<double>(added_hops) / static_cast<double>(std::max<std::size_t>(removed_hops, 1));
    }

    /** The shortcuts that contracting v needs, in ws.found: one Dijkstra per arc u -> v, avoiding v, settling at
     *  most settle_limit nodes; a shortcut u -> w unless a path as short as u -> v -> w is found. With `round` (the
     *  nodes contracted with v), a path as short counts only if it avoids them; through them it must be shorter. */
    void witnesses(std::uint32_t v, WitnessScratch& ws, const std::vector<std::uint8_t>* round = nullptr) const {
        ws.found.clear();
        ws.tied = false;
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
            if (++ws.now == 0) {
                std::fill(ws.stamp.begin(), ws.stamp.end(), 0);
                std::fill(ws.target.begin(), ws.target.end(), 0);
                ws.now = 1;
            }
            std::size_t targets = 0;
            for (const DynamicArc& b : m_out[v]) {
                if (b.node != u && ws.target[b.node] != ws.now) {
                    ws.target[b.node] = ws.now;
                    ++targets;
                }
            }
            if (targets == 0) {
                continue;
            }
            const double bound = a.minutes + longest_out;
            ws.stamp[u] = ws.now;
            ws.dist[u] = 0.0;
            ws.clean[u] = 1;
            ws.heap.clear();
            ws.heap.push_back({0.0, u});
            std::size_t settled = 0;
            while (!ws.heap.empty()) {
                std::pop_heap(ws.heap.begin(), ws.heap.end(), std::greater<heap_entry>());
                const auto [d, x] = ws.heap.back();
                ws.heap.pop_back();
                if (d > ws.dist[x]) {
                    continue;
                }
                if (d > bound || ++settled > settle_limit) {
                    break;
                }
                if (ws.target[x] == ws.now && --targets == 0) {
                    break;
                }
                for (const DynamicArc& b : m_out[x]) {
                    const std::uint32_t y = b.node;
                    const double t = d + b.minutes;
                    if (y == v || t > bound) {
                        continue;
                    }
                    const std::uint8_t clean = ws.clean[x] && !(round && (*round)[y]);
                    if (ws.stamp[y] != ws.now || t < ws.dist[y]) {
                        ws.stamp[y] = ws.now;
                        ws.dist[y] = t;
                        ws.clean[y] = clean;
                        ws.heap.push_back({t, y});
                        std::push_heap(ws.heap.begin(), ws.heap.end(), std::greater<heap_entry>());
                    } else if (t == ws.dist[y] && clean) {
                        ws.clean[y] = 1; // as fast, avoiding the round (too late for y's arcs if y is settled)
                    }
                }
            }
            for (const DynamicArc& b : m_out[v]) {
                const std::uint32_t w = b.node;
                if (w == u) {
                    continue;
                }
                const double via = a.minutes + b.minutes;
                const bool reached = ws.stamp[w] == ws.now;
                ws.tied = ws.tied || (reached && ws.dist[w] == via);
                const bool witness = reached && (ws.dist[w] < via || (ws.dist[w] == via && ws.clean[w]));
                if (!witness) {
                    ws.found.push_back({u, w, a.hops + b.hops, via});
                }
            }
        }
    }

    std::vector<std::vector<DynamicArc>> m_out;
    std::vector<std::vector<DynamicArc>> m_in;
    std::vector<std::uint32_t> m_level;
    unsigned m_threads;
    std::vector<WitnessScratch> m_scratch; // one per thread of the pool
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
                                           const double* minutes, const work_progress& progress, unsigned threads) {
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
        Contractor contractor{n, first, head, minutes, threads};
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

namespace {

/**
 * A 64-bit hash of bytes fed in order, 8 at a time (the round and final mix of xxHash64): a check against
 * truncated or damaged files and mismatched graphs, not a cryptographic hash.
 */
class Hasher {
public:
    void add(const void* data, std::size_t bytes) {
        const auto* p = static_cast<const unsigned char*>(data);
        std::size_t i = 0;
        for (; i + 8 <= bytes; i += 8) {
            std::uint64_t word = 0;
            std::memcpy(&word, p + i, 8);
            mix(word);
        }
        if (i < bytes) {
            std::uint64_t word = 0;
            std::memcpy(&word, p + i, bytes - i);
            mix(word ^ (std::uint64_t{bytes - i} << 56));
        }
        m_length += bytes;
    }

    template <typename T>
    void add(const std::vector<T>& values) {
        add(values.data(), values.size() * sizeof(T));
    }

    std::uint64_t value() const {
        std::uint64_t h = m_state ^ m_length;
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53ULL;
        h ^= h >> 33;
        return h;
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

    void mix(std::uint64_t word) {
        m_state ^= rotl(word * 0xC2B2AE3D27D4EB4FULL, 31) * 0x9E3779B185EBCA87ULL;
        m_state = rotl(m_state, 27) * 0x9E3779B185EBCA87ULL + 0x85EBCA77C2B2AE63ULL;
    }

    std::uint64_t m_state = 0x27D4EB2F165667C5ULL;
    std::uint64_t m_length = 0;
}; // class Hasher

/**
 * Header of a hierarchy file, 64 bytes, then the arrays in this order, little-endian, no padding: position
 * (nodes x u32), up_first (nodes + 1 x u32), up_head (up_arcs x u32), up_minutes (up_arcs x f64), down_first
 * (nodes + 1 x u32), down_tail (down_arcs x u32), down_minutes (down_arcs x f64). payload_checksum hashes the
 * arrays in that order; graph_checksum is graph_checksum() of the graph the hierarchy was made for.
 */
struct FileHeader {
    char magic[8];
    std::uint32_t version;
    std::uint32_t byte_order; ///< 0x01020304 as written by the machine that wrote the file
    std::uint64_t nodes;
    std::uint64_t up_arcs;
    std::uint64_t down_arcs;
    std::uint64_t shortcuts;
    std::uint64_t graph_checksum;
    std::uint64_t payload_checksum;
}; // struct FileHeader
static_assert(sizeof(FileHeader) == 64, "the file header has no padding");

constexpr char file_magic[8] = {'T', 'L', 'C', 'H', '\r', '\n', '\x1a', '\n'};
constexpr std::uint32_t byte_order_mark = 0x01020304;

std::string hex(std::uint64_t v) {
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(v));
    return text;
}

} // namespace

std::uint64_t graph_checksum(std::size_t n, const std::uint32_t* first, const node_id* head, const double* minutes) {
    Hasher h;
    const std::uint64_t nodes = n;
    h.add(&nodes, sizeof nodes);
    h.add(first, (n + 1) * sizeof(std::uint32_t));
    const std::size_t arcs = first[n];
    h.add(head, arcs * sizeof(node_id));
    h.add(minutes, arcs * sizeof(double));
    return h.value();
}

bool ContractionHierarchy::operator==(const ContractionHierarchy& other) const {
    return m_shortcuts == other.m_shortcuts && m_position == other.m_position && m_up_first == other.m_up_first &&
           m_up_head == other.m_up_head && m_up_minutes == other.m_up_minutes &&
           m_down_first == other.m_down_first && m_down_tail == other.m_down_tail &&
           m_down_minutes == other.m_down_minutes;
}

void ContractionHierarchy::save(const std::string& path, std::uint64_t checksum) const {
    namespace fs = std::filesystem;
    Hasher payload;
    payload.add(m_position);
    payload.add(m_up_first);
    payload.add(m_up_head);
    payload.add(m_up_minutes);
    payload.add(m_down_first);
    payload.add(m_down_tail);
    payload.add(m_down_minutes);
    FileHeader header{};
    std::memcpy(header.magic, file_magic, sizeof file_magic);
    header.version = file_version;
    header.byte_order = byte_order_mark;
    header.nodes = node_count();
    header.up_arcs = m_up_head.size();
    header.down_arcs = m_down_tail.size();
    header.shortcuts = m_shortcuts;
    header.graph_checksum = checksum;
    header.payload_checksum = payload.value();

    // A temporary name of the same folder (a rename within one file system replaces the target at once).
    std::random_device random;
    const fs::path tmp = path + ".part-" + hex((std::uint64_t{random()} << 32) ^ random());
    try {
        std::ofstream out{tmp, std::ios::binary | std::ios::trunc};
        if (!out) {
            throw io_error("cannot write the contraction hierarchy file '" + path + "': cannot create '" +
                           tmp.string() + "'");
        }
        auto write = [&out](const auto& values) {
            out.write(reinterpret_cast<const char*>(values.data()),
                      static_cast<std::streamsize>(values.size() * sizeof(values[0])));
        };
        out.write(reinterpret_cast<const char*>(&header), sizeof header);
        write(m_position);
        write(m_up_first);
        write(m_up_head);
        write(m_up_minutes);
        write(m_down_first);
        write(m_down_tail);
        write(m_down_minutes);
        out.close();
        if (!out) {
            throw io_error("cannot write the contraction hierarchy file '" + path + "' (disk full?)");
        }
        std::error_code ec;
        fs::rename(tmp, path, ec);
        if (ec) {
            throw io_error("cannot move '" + tmp.string() + "' to '" + path + "': " + ec.message());
        }
    } catch (...) {
        std::error_code ignored;
        fs::remove(tmp, ignored);
        throw;
    }
}

ContractionHierarchy ContractionHierarchy::load(const std::string& path, std::size_t n, std::uint64_t checksum) {
    namespace fs = std::filesystem;
    const std::string what = "contraction hierarchy file '" + path + "'";
    std::error_code ec;
    const std::uintmax_t size = fs::file_size(path, ec);
    std::ifstream in{path, std::ios::binary};
    if (ec || !in) {
        throw io_error("cannot read the " + what + (ec ? ": " + ec.message() : std::string{}));
    }
    FileHeader header{};
    if (size < sizeof header || !in.read(reinterpret_cast<char*>(&header), sizeof header)) {
        throw input_error("the " + what + " is truncated (" + std::to_string(size) + " bytes, less than its header)");
    }
    if (std::memcmp(header.magic, file_magic, sizeof file_magic) != 0) {
        throw input_error("the " + what + " is not a tierslieux contraction hierarchy (wrong magic string)");
    }
    if (header.byte_order != byte_order_mark) {
        throw input_error("the " + what + " was written on a machine of another byte order");
    }
    if (header.version != file_version) {
        throw input_error("the " + what + " has format version " + std::to_string(header.version) +
                          "; this engine reads version " + std::to_string(file_version));
    }
    if (header.nodes != n || header.graph_checksum != checksum) {
        throw input_error("the " + what + " was made for another graph (" + std::to_string(header.nodes) +
                          " nodes, graph checksum " + hex(header.graph_checksum) + "; this graph: " +
                          std::to_string(n) + " nodes, checksum " + hex(checksum) +
                          "): another road file, clip area or speed profile");
    }
    const std::uintmax_t arcs_bytes = sizeof(std::uint32_t) + sizeof(double);
    if (header.up_arcs > size / arcs_bytes || header.down_arcs > size / arcs_bytes ||
        size != sizeof header + (3 * n + 2) * sizeof(std::uint32_t) + (header.up_arcs + header.down_arcs) * arcs_bytes) {
        throw input_error("the " + what + " has " + std::to_string(size) + " bytes, not what its header says (" +
                          std::to_string(n) + " nodes, " + std::to_string(header.up_arcs + header.down_arcs) +
                          " arcs): truncated or damaged");
    }
    ContractionHierarchy ch;
    auto read = [&in](auto& values, std::size_t count) {
        values.resize(count);
        in.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(count * sizeof(values[0])));
    };
    read(ch.m_position, n);
    read(ch.m_up_first, n + 1);
    read(ch.m_up_head, header.up_arcs);
    read(ch.m_up_minutes, header.up_arcs);
    read(ch.m_down_first, n + 1);
    read(ch.m_down_tail, header.down_arcs);
    read(ch.m_down_minutes, header.down_arcs);
    if (!in) {
        throw io_error("cannot read the " + what + " to its end");
    }
    Hasher payload;
    payload.add(ch.m_position);
    payload.add(ch.m_up_first);
    payload.add(ch.m_up_head);
    payload.add(ch.m_up_minutes);
    payload.add(ch.m_down_first);
    payload.add(ch.m_down_tail);
    payload.add(ch.m_down_minutes);
    if (payload.value() != header.payload_checksum) {
        throw input_error("the " + what + " is damaged (its checksum does not match its contents)");
    }
    // The checksum passed; the shape is checked too, so that no file can make a query read out of bounds.
    std::vector<std::uint8_t> seen(n, 0);
    bool valid = true;
    for (const std::uint32_t p : ch.m_position) {
        valid = valid && p < n && !seen[p];
        if (valid) {
            seen[p] = 1;
        }
    }
    auto valid_graph = [n](const std::vector<std::uint32_t>& first, const std::vector<std::uint32_t>& other,
                           const std::vector<double>& minutes) {
        if (first[0] != 0 || first[n] != other.size()) {
            return false;
        }
        for (std::size_t p = 0; p < n; ++p) {
            if (first[p] > first[p + 1]) {
                return false;
            }
            for (std::uint32_t a = first[p]; a < first[p + 1]; ++a) {
                if (other[a] >= p || !std::isfinite(minutes[a]) || minutes[a] < 0.0) {
                    return false;
                }
            }
        }
        return true;
    };
    if (!valid || !valid_graph(ch.m_up_first, ch.m_up_head, ch.m_up_minutes) ||
        !valid_graph(ch.m_down_first, ch.m_down_tail, ch.m_down_minutes)) {
        throw input_error("the " + what + " is damaged (its arcs do not form a hierarchy)");
    }
    ch.m_shortcuts = header.shortcuts;
    return ch;
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
