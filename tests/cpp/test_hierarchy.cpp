// graph/hierarchy.hpp: the contraction hierarchy's many-to-many matrix, compared with a plain heap Dijkstra
// written here, on random directed graphs (synthetic, seeded) and a small grid; the same hierarchy whatever the
// number of threads; its file (save / load) and the files it refuses.

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <queue>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <tierslieux/errors.hpp>
#include <tierslieux/network.hpp>

#include "graph/hierarchy.hpp"
#include "support.hpp"

using namespace tierslieux;
using tierslieux::detail::ContractionHierarchy;

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

/** A directed graph in CSR form, built from an arc list. */
struct Csr {
    std::size_t n = 0;
    std::vector<std::uint32_t> first{0};
    std::vector<node_id> head;
    std::vector<double> minutes;

    Csr() = default;
    Csr(std::size_t nodes, const std::vector<std::pair<node_id, node_id>>& arcs, const std::vector<double>& times)
        : n(nodes), first(nodes + 1, 0), head(arcs.size()), minutes(arcs.size()) {
        for (const auto& a : arcs) {
            ++first[a.first + 1];
        }
        for (std::size_t v = 0; v < n; ++v) {
            first[v + 1] += first[v];
        }
        std::vector<std::uint32_t> next(first.begin(), first.end() - 1);
        for (std::size_t k = 0; k < arcs.size(); ++k) {
            const std::uint32_t a = next[arcs[k].first]++;
            head[a] = arcs[k].second;
            minutes[a] = times[k];
        }
    }

    ContractionHierarchy hierarchy(const work_progress& progress = {}, unsigned threads = 0) const {
        return ContractionHierarchy{n, first.data(), head.data(), minutes.data(), progress, threads};
    }

    std::uint64_t checksum() const { return detail::graph_checksum(n, first.data(), head.data(), minutes.data()); }

    /** Plain heap Dijkstra from s: minutes to every node, infinity where unreachable. */
    std::vector<double> dijkstra(node_id s) const {
        std::vector<double> dist(n, inf);
        using entry = std::pair<double, node_id>;
        std::priority_queue<entry, std::vector<entry>, std::greater<entry>> heap;
        dist[s] = 0.0;
        heap.emplace(0.0, s);
        while (!heap.empty()) {
            const auto [d, v] = heap.top();
            heap.pop();
            if (d > dist[v]) {
                continue;
            }
            for (std::uint32_t a = first[v]; a < first[v + 1]; ++a) {
                if (d + minutes[a] < dist[head[a]]) {
                    dist[head[a]] = d + minutes[a];
                    heap.emplace(dist[head[a]], head[a]);
                }
            }
        }
        return dist;
    }
}; // struct Csr

/**
 * Random directed graph: `parts` disconnected blocks of nodes; arcs within a block, some one-way, some two-way,
 * some parallel, some self-loops, some of zero time.
 */
Csr random_graph(std::size_t n, std::size_t edges, std::size_t parts, unsigned seed) {
    std::mt19937 rng{seed};
    std::uniform_real_distribution<double> time{0.0, 10.0};
    std::uniform_int_distribution<int> kind{0, 9};
    std::vector<std::pair<node_id, node_id>> arcs;
    std::vector<double> times;
    const std::size_t block = (n + parts - 1) / parts;
    for (std::size_t k = 0; k < edges; ++k) {
        const node_id a = std::uniform_int_distribution<node_id>{0, static_cast<node_id>(n - 1)}(rng);
        const std::size_t lo = a / block * block;
        const std::size_t hi = std::min(n, lo + block) - 1;
        const node_id b = std::uniform_int_distribution<node_id>{static_cast<node_id>(lo), static_cast<node_id>(hi)}(rng);
        const int what = kind(rng);
        const double t = what == 0 ? 0.0 : time(rng);
        const node_id c = what == 1 ? a : b; // self-loop
        arcs.emplace_back(a, c);
        times.push_back(t);
        if (what >= 5) { // two-way
            arcs.emplace_back(c, a);
            times.push_back(t);
        }
        if (what == 9) { // parallel arc, slower or faster
            arcs.emplace_back(a, c);
            times.push_back(time(rng));
        }
    }
    return Csr{n, arcs, times};
}

/** side x side grid, two-way, random times (some zero), some edges missing. */
Csr grid(std::size_t side, unsigned seed) {
    std::mt19937 rng{seed};
    std::uniform_real_distribution<double> time{0.5, 2.0};
    std::uniform_int_distribution<int> kind{0, 19};
    std::vector<std::pair<node_id, node_id>> arcs;
    std::vector<double> times;
    auto id = [side](std::size_t i, std::size_t j) { return static_cast<node_id>(i * side + j); };
    for (std::size_t i = 0; i < side; ++i) {
        for (std::size_t j = 0; j < side; ++j) {
            for (const auto& [di, dj] : {std::pair<std::size_t, std::size_t>{1, 0}, {0, 1}}) {
                if (i + di >= side || j + dj >= side) {
                    continue;
                }
                const int what = kind(rng);
                if (what == 0) {
                    continue; // missing edge
                }
                const double t = what == 1 ? 0.0 : time(rng);
                arcs.emplace_back(id(i, j), id(i + di, j + dj));
                times.push_back(t);
                arcs.emplace_back(id(i + di, j + dj), id(i, j));
                times.push_back(what == 2 ? 3.0 * t : t); // some asymmetric times
            }
        }
    }
    return Csr{side * side, arcs, times};
}

/** Compares the matrix with one Dijkstra per origin; returns the number of finite entries checked. */
std::size_t expect_matrix(const Csr& g, const ContractionHierarchy& ch, const std::vector<node_id>& origins,
                          const std::vector<node_id>& destinations, double max_minutes, unsigned threads) {
    SearchOptions options;
    options.threads = threads;
    const std::vector<double> m = ch.many_to_many(origins, destinations, max_minutes, options);
    EXPECT_EQ(m.size(), origins.size() * destinations.size());
    std::size_t finite = 0;
    for (std::size_t i = 0; i < origins.size(); ++i) {
        const std::vector<double> dist = g.dijkstra(origins[i]);
        for (std::size_t j = 0; j < destinations.size(); ++j) {
            const double expected = dist[destinations[j]];
            const double got = m[i * destinations.size() + j];
            if (expected < inf && expected <= max_minutes) {
                EXPECT_NEAR(got, expected, 1e-12 * expected)
                    << "origin " << origins[i] << " destination " << destinations[j];
                ++finite;
            } else {
                EXPECT_TRUE(std::isnan(got)) << "origin " << origins[i] << " destination " << destinations[j]
                                             << " got " << got << " expected " << expected;
            }
        }
    }
    return finite;
}

std::vector<node_id> random_nodes(std::size_t n, std::size_t count, unsigned seed) {
    std::mt19937 rng{seed};
    std::uniform_int_distribution<node_id> pick{0, static_cast<node_id>(n - 1)};
    std::vector<node_id> out(count);
    for (node_id& v : out) {
        v = pick(rng);
    }
    return out;
}

std::vector<node_id> all_nodes(std::size_t n) {
    std::vector<node_id> out(n);
    for (std::size_t v = 0; v < n; ++v) {
        out[v] = static_cast<node_id>(v);
    }
    return out;
}

} // namespace

TEST(Hierarchy, RandomGraphsAllPairs) {
    for (unsigned seed = 1; seed <= 8; ++seed) {
        const std::size_t n = 40 + 20 * seed;
        const Csr g = random_graph(n, 3 * n, 1 + seed % 3, seed);
        const ContractionHierarchy ch = g.hierarchy();
        EXPECT_EQ(ch.node_count(), n);
        const std::size_t finite = expect_matrix(g, ch, all_nodes(n), all_nodes(n), inf, 1);
        EXPECT_GT(finite, n) << "seed " << seed; // the graph is not trivially disconnected
    }
}

TEST(Hierarchy, RandomGraphsSparseAndDense) {
    for (unsigned seed = 11; seed <= 14; ++seed) {
        const Csr sparse = random_graph(300, 250, 2, seed); // many small pieces, many one-way arcs
        expect_matrix(sparse, sparse.hierarchy(), all_nodes(300), all_nodes(300), inf, 2);
        const Csr dense = random_graph(80, 2000, 1, seed);
        expect_matrix(dense, dense.hierarchy(), all_nodes(80), all_nodes(80), inf, 2);
    }
}

TEST(Hierarchy, DuplicatedOriginsAndDestinations) {
    const Csr g = random_graph(500, 1500, 2, 21);
    const ContractionHierarchy ch = g.hierarchy();
    std::vector<node_id> origins = random_nodes(500, 60, 22);
    std::vector<node_id> destinations = random_nodes(500, 90, 23);
    origins.insert(origins.end(), origins.begin(), origins.begin() + 15);
    destinations.insert(destinations.end(), destinations.begin(), destinations.begin() + 20);
    origins.push_back(destinations[0]);
    for (const unsigned threads : {1u, 2u}) {
        expect_matrix(g, ch, origins, destinations, inf, threads);
    }
}

TEST(Hierarchy, OriginToItselfIsZero) {
    const Csr g = random_graph(200, 100, 4, 5); // sparse: many nodes reach nothing
    const std::vector<node_id> nodes = all_nodes(200);
    const std::vector<double> m = g.hierarchy().many_to_many(nodes, nodes, inf);
    for (std::size_t v = 0; v < 200; ++v) {
        EXPECT_EQ(m[v * 200 + v], 0.0);
    }
}

TEST(Hierarchy, Grid) {
    const Csr g = grid(30, 3);
    const ContractionHierarchy ch = g.hierarchy();
    EXPECT_GT(ch.shortcut_count(), 0u);
    EXPECT_GT(ch.memory_bytes(), 0u);
    const std::vector<node_id> origins = random_nodes(900, 50, 4);
    for (const unsigned threads : {1u, 2u}) {
        expect_matrix(g, ch, origins, all_nodes(900), inf, threads);
    }
}

TEST(Hierarchy, BoundGivesNanBeyond) {
    const Csr g = grid(20, 7);
    const ContractionHierarchy ch = g.hierarchy();
    const std::vector<node_id> nodes = all_nodes(400);
    for (const double bound : {0.0, 2.0, 7.5, 15.0}) {
        for (const unsigned threads : {1u, 2u}) {
            const std::size_t finite = expect_matrix(g, ch, random_nodes(400, 30, 8), nodes, bound, threads);
            if (bound > 0.0) {
                EXPECT_GT(finite, 30u);
                EXPECT_LT(finite, 30u * 400u);
            }
        }
    }
    const Csr r = random_graph(300, 900, 2, 9);
    expect_matrix(r, r.hierarchy(), all_nodes(300), all_nodes(300), 6.0, 2);
}

TEST(Hierarchy, ThreadsGiveTheSameMatrix) {
    const Csr g = grid(25, 11);
    const ContractionHierarchy ch = g.hierarchy();
    const std::vector<node_id> origins = random_nodes(625, 70, 12);
    const std::vector<node_id> destinations = random_nodes(625, 300, 13);
    SearchOptions one;
    one.threads = 1;
    SearchOptions two;
    two.threads = 2;
    EXPECT_EQ(ch.many_to_many(origins, destinations, inf, one), ch.many_to_many(origins, destinations, inf, two));
}

TEST(Hierarchy, ProgressIsReported) {
    const Csr g = grid(20, 13);
    std::size_t build_calls = 0;
    const ContractionHierarchy ch = g.hierarchy([&](std::size_t done, std::size_t total) {
        EXPECT_LE(done, total);
        EXPECT_EQ(total, 400u);
        ++build_calls;
    });
    EXPECT_GE(build_calls, 1u);
    std::size_t calls = 0;
    std::size_t last = 0;
    std::size_t last_total = 0;
    SearchOptions options;
    options.threads = 2;
    options.progress = [&](std::size_t done, std::size_t total) {
        EXPECT_LE(done, total);
        ++calls;
        last = done;
        last_total = total;
    };
    ch.many_to_many(random_nodes(400, 100, 14), all_nodes(400), inf, options);
    EXPECT_GE(calls, 1u);
    EXPECT_EQ(last, last_total);
    EXPECT_GT(last_total, 0u);
}

TEST(Hierarchy, ProgressExceptionCancels) {
    const Csr g = grid(20, 15);
    EXPECT_THROW(g.hierarchy([](std::size_t, std::size_t) { throw std::runtime_error("stop"); }),
                 std::runtime_error);
    const ContractionHierarchy ch = g.hierarchy();
    for (const unsigned threads : {1u, 2u}) {
        SearchOptions options;
        options.threads = threads;
        std::size_t calls = 0;
        options.progress = [&](std::size_t, std::size_t) {
            ++calls;
            throw std::runtime_error("cancelled");
        };
        EXPECT_THROW(ch.many_to_many(random_nodes(400, 200, 16), all_nodes(400), inf, options), std::runtime_error);
        EXPECT_EQ(calls, 1u);
    }
}

TEST(Hierarchy, EmptyAndTinyGraphs) {
    const Csr empty;
    const ContractionHierarchy none = empty.hierarchy();
    EXPECT_EQ(none.node_count(), 0u);
    EXPECT_EQ(none.shortcut_count(), 0u);
    EXPECT_TRUE(none.many_to_many({}, {}, inf).empty());
    EXPECT_THROW(none.many_to_many({0}, {}, inf), input_error);

    const Csr one{1, {{0, 0}}, {3.0}}; // one node with a self-loop
    const ContractionHierarchy ch = one.hierarchy();
    EXPECT_EQ(ch.node_count(), 1u);
    EXPECT_EQ(ch.many_to_many({0, 0}, {0}, inf), (std::vector<double>{0.0, 0.0}));
    EXPECT_EQ(ch.many_to_many({0}, {0}, 0.0), (std::vector<double>{0.0}));

    const Csr two{2, {{0, 1}}, {4.0}}; // one-way
    const std::vector<double> m = two.hierarchy().many_to_many({0, 1}, {0, 1}, inf);
    EXPECT_EQ(m[0], 0.0);
    EXPECT_EQ(m[1], 4.0);
    EXPECT_TRUE(std::isnan(m[2]));
    EXPECT_EQ(m[3], 0.0);
}

TEST(Hierarchy, EmptyOriginsOrDestinations) {
    const Csr g = random_graph(50, 100, 1, 17);
    const ContractionHierarchy ch = g.hierarchy();
    EXPECT_TRUE(ch.many_to_many({}, {1, 2, 3}, inf).empty());
    EXPECT_TRUE(ch.many_to_many({1, 2, 3}, {}, inf).empty());
}

TEST(Hierarchy, BadInputThrows) {
    const Csr g = random_graph(50, 100, 1, 18);
    const ContractionHierarchy ch = g.hierarchy();
    EXPECT_THROW(ch.many_to_many({50}, {1}, inf), input_error);
    EXPECT_THROW(ch.many_to_many({1}, {1, 60}, inf), input_error);
    EXPECT_THROW(ch.many_to_many({1}, {1}, -1.0), input_error);
    EXPECT_THROW(ch.many_to_many({1}, {1}, std::nan("")), input_error);
    const Csr bad_head{2, {{0, 5}}, {1.0}};
    EXPECT_THROW(bad_head.hierarchy(), input_error);
    const Csr negative{2, {{0, 1}}, {-1.0}};
    EXPECT_THROW(negative.hierarchy(), input_error);
    const Csr infinite{2, {{0, 1}}, {inf}};
    EXPECT_THROW(infinite.hierarchy(), input_error);
}

TEST(Hierarchy, TheSameWhateverTheNumberOfThreads) {
    // Large enough for the rounds to run on several threads (a step of fewer than 256 nodes runs on one).
    for (const Csr& g : {grid(45, 21), random_graph(1500, 2400, 3, 22)}) {
        const ContractionHierarchy one = g.hierarchy({}, 1);
        const ContractionHierarchy two = g.hierarchy({}, 2);
        const ContractionHierarchy three = g.hierarchy({}, 3);
        EXPECT_TRUE(one == two);
        EXPECT_TRUE(one == three);
        EXPECT_GT(one.shortcut_count(), 0u);
        expect_matrix(g, two, random_nodes(g.n, 40, 23), all_nodes(g.n), inf, 2);
    }
    // the check can fail: another graph gives another hierarchy
    EXPECT_FALSE(grid(45, 21).hierarchy({}, 1) == grid(45, 24).hierarchy({}, 1));
}

TEST(Hierarchy, TiesAndZeroTimesStayExact) {
    // Times of 0, 1 or 2 minutes: many paths tie, so witnesses of nodes contracted in the same round often run
    // through one another; one-way arcs and four disconnected parts.
    std::mt19937 rng{31};
    std::uniform_int_distribution<int> pick_time{0, 2};
    std::uniform_int_distribution<int> kind{0, 3};
    const std::size_t n = 1200;
    std::uniform_int_distribution<node_id> pick_node{0, static_cast<node_id>(n / 4 - 1)};
    std::vector<std::pair<node_id, node_id>> arcs;
    std::vector<double> times;
    for (std::size_t k = 0; k < 2 * n; ++k) {
        const node_id part = static_cast<node_id>(k % 4 * (n / 4));
        const node_id a = part + pick_node(rng);
        const node_id b = part + pick_node(rng);
        const double t = pick_time(rng);
        arcs.emplace_back(a, b);
        times.push_back(t);
        if (kind(rng) != 0) { // three in four two-way
            arcs.emplace_back(b, a);
            times.push_back(t);
        }
    }
    const Csr g{n, arcs, times};
    for (const unsigned threads : {1u, 2u}) {
        const ContractionHierarchy ch = g.hierarchy({}, threads);
        const std::vector<node_id> some = random_nodes(n, 60, 32);
        EXPECT_GT(expect_matrix(g, ch, some, all_nodes(n), inf, 2), 1000u);
        expect_matrix(g, ch, some, all_nodes(n), 2.0, 1);
    }
}

TEST(Hierarchy, SavedAndLoadedIsTheSame) {
    const test::TempDir dir;
    const Csr g = grid(30, 41);
    const ContractionHierarchy ch = g.hierarchy();
    const std::string path = dir.file("grid.ch");
    ch.save(path, g.checksum());
    EXPECT_EQ(dir.listing(), std::vector<std::string>{"grid.ch"}); // no temporary file left
    const ContractionHierarchy back = ContractionHierarchy::load(path, g.n, g.checksum());
    EXPECT_TRUE(back == ch);
    EXPECT_EQ(back.shortcut_count(), ch.shortcut_count());
    const std::vector<node_id> origins = random_nodes(g.n, 50, 42);
    EXPECT_EQ(back.many_to_many(origins, all_nodes(g.n), inf), ch.many_to_many(origins, all_nodes(g.n), inf));
    // saving again replaces the file
    ch.save(path, g.checksum());
    EXPECT_TRUE(ContractionHierarchy::load(path, g.n, g.checksum()) == ch);
    // the empty graph too
    const Csr empty;
    empty.hierarchy().save(dir.file("empty.ch"), empty.checksum());
    EXPECT_EQ(ContractionHierarchy::load(dir.file("empty.ch"), 0, empty.checksum()).node_count(), 0u);
}

TEST(Hierarchy, FilesOfAnotherGraphOrDamagedAreRefusedNamingTheFile) {
    const test::TempDir dir;
    const Csr g = grid(20, 51);
    const ContractionHierarchy ch = g.hierarchy();
    const std::string path = dir.file("grid.ch");
    ch.save(path, g.checksum());
    const std::string bytes = test::read_bytes(path);

    // another graph: other times (another speed profile), or other nodes
    const Csr slower = grid(20, 52);
    EXPECT_TRUE(test::contains_all(test::message_of<input_error>([&] { ContractionHierarchy::load(path, slower.n, slower.checksum()); }),
                                   {path, "another graph"}));
    EXPECT_TRUE(test::contains_all(test::message_of<input_error>([&] { ContractionHierarchy::load(path, g.n + 1, g.checksum()); }),
                                   {path, "another graph", "400 nodes"}));
    EXPECT_NE(g.checksum(), slower.checksum());
    // truncated: cut anywhere
    for (const std::size_t keep : {std::size_t{0}, std::size_t{10}, std::size_t{64}, bytes.size() / 2, bytes.size() - 1}) {
        const std::string cut = test::write_text(dir.file("cut.ch"), bytes.substr(0, keep));
        EXPECT_TRUE(test::contains_all(test::message_of<input_error>([&] { ContractionHierarchy::load(cut, g.n, g.checksum()); }),
                                       {cut, "truncated"})) << keep << " bytes";
    }
    // damaged: one byte changed in the arcs
    std::string flipped = bytes;
    flipped[bytes.size() - 5] = static_cast<char>(flipped[bytes.size() - 5] ^ 0x10);
    const std::string damaged = test::write_text(dir.file("damaged.ch"), flipped);
    EXPECT_TRUE(test::contains_all(test::message_of<input_error>([&] { ContractionHierarchy::load(damaged, g.n, g.checksum()); }),
                                   {damaged, "damaged"}));
    // not a hierarchy at all, another format version
    const std::string text = test::write_text(dir.file("text.ch"), std::string(100, 'x'));
    EXPECT_TRUE(test::contains_all(test::message_of<input_error>([&] { ContractionHierarchy::load(text, g.n, g.checksum()); }),
                                   {text, "not a tierslieux contraction hierarchy"}));
    std::string future = bytes;
    future[8] = static_cast<char>(ContractionHierarchy::file_version + 1);
    const std::string version = test::write_text(dir.file("version.ch"), future);
    EXPECT_TRUE(test::contains_all(test::message_of<input_error>([&] { ContractionHierarchy::load(version, g.n, g.checksum()); }),
                                   {version, "format version 2"}));
    // missing file; a folder that does not exist: io_error, nothing left behind
    EXPECT_TRUE(test::contains_all(test::message_of<io_error>([&] { ContractionHierarchy::load(dir.file("none.ch"), g.n, g.checksum()); }),
                                   {dir.file("none.ch")}));
    const std::string nowhere = dir.file("no/such/folder/grid.ch");
    EXPECT_TRUE(test::contains_all(test::message_of<io_error>([&] { ch.save(nowhere, g.checksum()); }), {nowhere}));
    EXPECT_EQ(dir.listing(), (std::vector<std::string>{"cut.ch", "damaged.ch", "grid.ch", "text.ch", "version.ch"}));
    // the good file is still good
    EXPECT_TRUE(ContractionHierarchy::load(path, g.n, g.checksum()) == ch);
}
