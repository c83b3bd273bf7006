// network.hpp, many-source searches: aggregate, travel_times, nearest_nodes, strong components, threads.
// Every result is compared with a plain O(n^2) Dijkstra written here, on random graphs (synthetic, seeded).

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include <tierslieux/errors.hpp>
#include <tierslieux/network.hpp>

#include "support.hpp"

using namespace tierslieux;
using tierslieux::test::contains_all;
using tierslieux::test::message_of;

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

/** Synthetic random graph: n nodes on a 10 km square, m edges, some one-way, some zero-length, some duplicated. */
struct RandomGraph {
    std::vector<Point> nodes;
    std::vector<Edge> edges;
    std::vector<std::uint8_t> twoway;

    /** wide: arc minutes log-uniform over 1e-6 .. 1e4 instead of uniform over 0 .. 10. */
    RandomGraph(std::size_t n, std::size_t m, unsigned seed, bool wide = false) {
        std::mt19937 rng{seed};
        std::uniform_real_distribution<double> coord{0.0, 10000.0};
        std::uniform_real_distribution<double> uniform{0.0, 10.0};
        std::uniform_real_distribution<double> exponent{-6.0, 4.0};
        auto minutes = [&](std::mt19937& r) { return wide ? std::pow(10.0, exponent(r)) : uniform(r); };
        std::uniform_int_distribution<std::size_t> pick{0, n - 1};
        for (std::size_t i = 0; i < n; ++i) {
            nodes.push_back({coord(rng), coord(rng)});
        }
        for (std::size_t k = 0; k < m; ++k) {
            const auto a = static_cast<node_id>(pick(rng));
            const auto b = static_cast<node_id>(pick(rng));
            const double t = (k % 17 == 0) ? 0.0 : minutes(rng); // zero-length edges too
            edges.push_back({a, b, t * 1000.0, t});
            twoway.push_back(k % 3 != 0); // a third of the edges are one-way traps
        }
    }

    Network network() const { return Network{nodes, edges, twoway}; }

    /** Plain Dijkstra without a heap: the reference. */
    std::vector<double> reference(node_id source) const {
        const std::size_t n = nodes.size();
        std::vector<double> dist(n, inf);
        std::vector<bool> done(n, false);
        dist[source] = 0.0;
        for (std::size_t round = 0; round < n; ++round) {
            std::size_t v = n;
            for (std::size_t u = 0; u < n; ++u) {
                if (!done[u] && dist[u] < inf && (v == n || dist[u] < dist[v])) {
                    v = u;
                }
            }
            if (v == n) {
                break;
            }
            done[v] = true;
            for (std::size_t k = 0; k < edges.size(); ++k) {
                const Edge& e = edges[k];
                if (e.from == v) {
                    dist[e.to] = std::min(dist[e.to], dist[v] + e.minutes);
                }
                if (twoway[k] && e.to == v) {
                    dist[e.from] = std::min(dist[e.from], dist[v] + e.minutes);
                }
            }
        }
        return dist;
    }
}; // struct RandomGraph

class RandomGraphs : public ::testing::TestWithParam<unsigned> {};

} // namespace

TEST_P(RandomGraphs, ReachEqualsPlainDijkstra) {
    const RandomGraph g{120, 200, GetParam()};
    const Network net = g.network();
    for (node_id s = 0; s < 120; s += 7) {
        const auto ref = g.reference(s);
        for (const double bound : {0.0, 4.0, 15.0, inf}) {
            const Reach r = net.reach(s, bound);
            std::size_t expected = 0;
            for (std::size_t v = 0; v < ref.size(); ++v) {
                expected += std::isfinite(ref[v]) && ref[v] <= bound;
            }
            ASSERT_EQ(r.nodes.size(), expected) << "source " << s << " bound " << bound;
            for (std::size_t k = 0; k < r.nodes.size(); ++k) {
                EXPECT_NEAR(r.minutes[k], ref[r.nodes[k]], 1e-9);
            }
        }
    }
}

TEST_P(RandomGraphs, AggregateEqualsSummingOverDijkstra) {
    const RandomGraph g{150, 260, GetParam()};
    const Network net = g.network();
    std::vector<double> values(150);
    for (std::size_t i = 0; i < values.size(); ++i) {
        values[i] = static_cast<double>((i * 37) % 11);
    }
    const double T = 12.0;
    for (const Decay decay : {Decay::flat, Decay::linear, Decay::exponential}) {
        const auto sum = net.aggregate(values, T, Aggregation::sum, decay, {}, SearchOptions{2, {}});
        const auto count = net.aggregate(values, T, Aggregation::count, decay, {}, SearchOptions{1, {}});
        const auto mean = net.aggregate(values, T, Aggregation::mean, decay, {}, SearchOptions{3, {}});
        ASSERT_EQ(sum.size(), 150u);
        for (node_id s = 0; s < 150; ++s) {
            const auto ref = g.reference(s);
            double esum = 0.0;
            double ecount = 0.0;
            for (std::size_t v = 0; v < ref.size(); ++v) {
                if (ref[v] <= T) {
                    const double w = decay == Decay::flat ? 1.0
                                     : decay == Decay::linear ? 1.0 - ref[v] / T
                                                              : std::exp(-ref[v] / T);
                    esum += w * values[v];
                    ecount += w;
                }
            }
            EXPECT_NEAR(sum[s], esum, 1e-9) << "source " << s;
            EXPECT_NEAR(count[s], ecount, 1e-9) << "source " << s;
            EXPECT_NEAR(mean[s], esum / ecount, 1e-9) << "source " << s;
        }
    }
}

TEST_P(RandomGraphs, TravelTimesEqualPlainDijkstraWithNanWhereUnreachable) {
    const RandomGraph g{100, 150, GetParam()};
    const Network net = g.network();
    const std::vector<node_id> origins{0, 5, 5, 99, 42};
    const std::vector<node_id> destinations{3, 3, 0, 50, 99, 7, 5};
    for (const double bound : {inf, 6.0}) {
        const auto m = net.travel_times(origins, destinations, bound, SearchOptions{2, {}});
        ASSERT_EQ(m.size(), origins.size() * destinations.size());
        for (std::size_t i = 0; i < origins.size(); ++i) {
            const auto ref = g.reference(origins[i]);
            for (std::size_t j = 0; j < destinations.size(); ++j) {
                const double expected = ref[destinations[j]];
                const double got = m[i * destinations.size() + j];
                if (std::isfinite(expected) && expected <= bound) {
                    EXPECT_NEAR(got, expected, 1e-9) << i << "," << j;
                } else {
                    EXPECT_TRUE(std::isnan(got)) << i << "," << j << " = " << got;
                }
            }
        }
    }
}

TEST_P(RandomGraphs, NearestPoisAreTheKClosestByDijkstra) {
    const RandomGraph g{90, 140, GetParam()};
    const Network net = g.network();
    const std::vector<node_id> pois{3, 17, 17, 40, 55, 89};
    const std::size_t k = 3;
    const double T = 14.0;
    const auto hits = net.nearest_pois(pois, k, T, {}, SearchOptions{2, {}});
    ASSERT_EQ(hits.minutes.size(), 90 * k);
    for (node_id s = 0; s < 90; ++s) {
        const auto ref = g.reference(s);
        std::vector<double> expected;
        for (const node_id p : pois) {
            if (std::isfinite(ref[p]) && ref[p] <= T) {
                expected.push_back(ref[p]);
            }
        }
        std::sort(expected.begin(), expected.end());
        for (std::size_t j = 0; j < k; ++j) {
            const double got = hits.minutes[s * k + j];
            if (j < expected.size()) {
                EXPECT_NEAR(got, expected[j], 1e-9) << "source " << s << " rank " << j;
                EXPECT_NEAR(ref[pois[hits.poi[s * k + j]]], got, 1e-9) << "the POI index points at that POI";
            } else {
                EXPECT_TRUE(std::isnan(got)) << "source " << s << " rank " << j;
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Seeds, RandomGraphs, ::testing::Values(1u, 2u, 3u, 4u, 5u));

// The search queue groups times in buckets whose width comes from the arc times (the ring covers the longest arc):
// arc times over ten orders of magnitude and sources starting far apart (beyond the ring) must not change a result.
TEST_P(RandomGraphs, WideArcTimesAndFarApartStartsStayExact) {
    const RandomGraph g{150, 300, GetParam(), true};
    const Network net = g.network();
    for (node_id s = 0; s < 150; s += 11) {
        const auto ref = g.reference(s);
        const Reach r = net.reach(s, inf);
        std::size_t expected = 0;
        for (const double d : ref) {
            expected += std::isfinite(d);
        }
        ASSERT_EQ(r.nodes.size(), expected) << "source " << s;
        for (std::size_t k = 0; k < r.nodes.size(); ++k) {
            EXPECT_NEAR(r.minutes[k], ref[r.nodes[k]], 1e-9 * std::max(1.0, ref[r.nodes[k]]));
        }
    }
    const std::vector<node_id> sources{3, 40, 77, 120};
    const std::vector<double> start{0.0, 2.5e5, 1.0e6, 3.0e7}; // far beyond the longest arc
    std::vector<double> expected(150, inf);
    for (std::size_t i = 0; i < sources.size(); ++i) {
        const auto ref = g.reference(sources[i]);
        for (std::size_t v = 0; v < ref.size(); ++v) {
            expected[v] = std::min(expected[v], start[i] + ref[v]);
        }
    }
    for (const double bound : {5.0e5, inf}) {
        const auto got = net.nearest_source_minutes(sources, start, bound);
        for (std::size_t v = 0; v < got.size(); ++v) {
            if (std::isfinite(expected[v]) && expected[v] <= bound) {
                EXPECT_NEAR(got[v], expected[v], 1e-9 * expected[v]) << "node " << v << " bound " << bound;
            } else {
                EXPECT_TRUE(std::isnan(got[v])) << "node " << v << " bound " << bound;
            }
        }
    }
}

TEST(Search, AggregateOnSourcesSubset) {
    const RandomGraph g{60, 90, 11};
    const Network net = g.network();
    const std::vector<double> values(60, 1.0);
    const auto all = net.aggregate(values, 10.0, Aggregation::sum, Decay::flat);
    const auto some = net.aggregate(values, 10.0, Aggregation::sum, Decay::flat, {7, 3, 7});
    EXPECT_EQ(some, (std::vector<double>{all[7], all[3], all[7]}));
}

TEST(Search, BadArgumentsNameTheArgumentAndIndex) {
    const RandomGraph g{10, 12, 5};
    const Network net = g.network();
    std::vector<double> values(10, 1.0);
    EXPECT_TRUE(contains_all(message_of<input_error>([&] {
                                 net.aggregate(std::vector<double>(9, 1.0), 5, Aggregation::sum, Decay::flat);
                             }),
                             {"values", "9", "10 nodes"}));
    values[4] = std::nan("");
    EXPECT_TRUE(contains_all(
        message_of<input_error>([&] { net.aggregate(values, 5, Aggregation::sum, Decay::flat); }),
        {"values[4]", "NaN"}));
    values[4] = 1.0;
    EXPECT_TRUE(contains_all(
        message_of<input_error>([&] { net.aggregate(values, 5, Aggregation::sum, Decay::flat, {1, 2, 10}); }),
        {"sources[2]", "10", "10 nodes"}));
    EXPECT_THROW(net.aggregate(values, -1, Aggregation::sum, Decay::flat), input_error);
    EXPECT_THROW(net.aggregate(values, inf, Aggregation::sum, Decay::flat), input_error);
    EXPECT_THROW(net.aggregate(values, 0, Aggregation::sum, Decay::linear), input_error);
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { net.travel_times({0}, {1, 11}, inf); }),
                             {"destinations[1]", "11"}));
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { net.travel_times({12}, {1}, inf); }), {"origins[0]"}));
    EXPECT_THROW(net.travel_times({0}, {1}, std::nan("")), input_error);
    EXPECT_THROW(Network({{0, 0}}, {{0, 0, 0, 0}}, std::vector<std::uint8_t>{}), input_error);
}

TEST(Search, ProgressIsReportedAndCanCancel) {
    const RandomGraph g{300, 500, 9};
    const Network net = g.network();
    const std::vector<double> values(300, 1.0);
    std::size_t last = 0;
    std::size_t calls = 0;
    SearchOptions options{2, [&](std::size_t done, std::size_t total) {
                              EXPECT_EQ(total, 300u);
                              EXPECT_GE(done, last);
                              last = done;
                              ++calls;
                          }};
    net.aggregate(values, 5.0, Aggregation::sum, Decay::flat, {}, options);
    EXPECT_EQ(last, 300u);
    EXPECT_GE(calls, 1u); // with 2 threads the other one may do every chunk: only the final report is certain
    // one thread: a report after each chunk, then the final one
    last = 0;
    calls = 0;
    options.threads = 1;
    net.aggregate(values, 5.0, Aggregation::sum, Decay::flat, {}, options);
    EXPECT_EQ(last, 300u);
    EXPECT_GE(calls, 2u);
    // a progress callback that throws stops the work; the exception reaches the caller
    SearchOptions cancel{2, [](std::size_t, std::size_t) { throw std::runtime_error("cancelled by the user"); }};
    EXPECT_THROW(net.aggregate(values, 5.0, Aggregation::sum, Decay::flat, {}, cancel), std::runtime_error);
}

TEST(Search, NearestNodesMatchBruteForce) {
    const RandomGraph g{500, 10, 21};
    const Network net = g.network();
    std::mt19937 rng{3};
    std::uniform_real_distribution<double> coord{-500.0, 10500.0};
    std::vector<Point> queries;
    for (int i = 0; i < 200; ++i) {
        queries.push_back({coord(rng), coord(rng)});
    }
    std::vector<double> dist;
    const auto nearest = net.nearest_nodes(queries, &dist);
    ASSERT_EQ(nearest.size(), queries.size());
    for (std::size_t i = 0; i < queries.size(); ++i) {
        double best = inf;
        for (const Point& p : g.nodes) {
            best = std::min(best, distance_m(p, queries[i]));
        }
        EXPECT_DOUBLE_EQ(dist[i], best);
        EXPECT_DOUBLE_EQ(distance_m(g.nodes[nearest[i]], queries[i]), best);
    }
    EXPECT_THROW(net.nearest_nodes({{std::nan(""), 0.0}}), input_error);
}

TEST(Search, StrongComponentsSeeOneWayTraps) {
    // 0 <-> 1 <-> 2, and 2 -> 3 one-way (a trap: 3 cannot come back), 4 alone
    const Network net{{{0, 0}, {1, 0}, {2, 0}, {3, 0}, {9, 9}},
                      {{0, 1, 1, 1}, {1, 2, 1, 1}, {2, 3, 1, 1}},
                      std::vector<std::uint8_t>{1, 1, 0}};
    const auto label = net.strong_components();
    EXPECT_EQ(label[0], label[1]);
    EXPECT_EQ(label[1], label[2]);
    EXPECT_NE(label[2], label[3]);
    EXPECT_NE(label[3], label[4]);
    EXPECT_EQ(net.component_count(), 2u);
    EXPECT_EQ(net.arc_count(), 5u);
    EXPECT_FALSE(net.is_twoway());
}

// --- the contraction hierarchy path of aggregate and travel_times (Algorithm::hierarchy / automatic) ---

TEST_P(RandomGraphs, HierarchyGivesTheSameAggregatesAndMatrices) {
    const RandomGraph g{150, 260, GetParam()};
    const Network net = g.network();
    std::vector<double> values(150);
    for (std::size_t i = 0; i < values.size(); ++i) {
        values[i] = static_cast<double>((i * 37) % 11) - 3.0;
    }
    SearchOptions on_hierarchy{2, {}, Algorithm::hierarchy};
    std::vector<std::vector<double>> refs;
    for (node_id s = 0; s < 150; ++s) {
        refs.push_back(g.reference(s));
    }
    const double T = 12.0;
    const std::vector<node_id> sources{5, 5, 149, 0, 77, 3, 3, 120, 9, 10}; // duplicates, not a multiple of 8
    for (const Decay decay : {Decay::flat, Decay::linear, Decay::exponential}) {
        for (const Aggregation kind : {Aggregation::sum, Aggregation::count, Aggregation::mean}) {
            const auto all = net.aggregate(values, T, kind, decay, {}, on_hierarchy);
            const auto some = net.aggregate(values, T, kind, decay, sources, on_hierarchy);
            auto expected = [&](node_id s) {
                double sum = 0.0;
                double weights = 0.0;
                for (std::size_t v = 0; v < 150; ++v) {
                    const double t = refs[s][v];
                    if (t <= T) {
                        const double w = decay == Decay::flat     ? 1.0
                                         : decay == Decay::linear ? 1.0 - t / T
                                                                  : std::exp(-t / T);
                        sum += w * values[v];
                        weights += w;
                    }
                }
                return kind == Aggregation::sum ? sum : kind == Aggregation::count ? weights : sum / weights;
            };
            for (node_id s = 0; s < 150; ++s) {
                EXPECT_NEAR(all[s], expected(s), 1e-9) << "source " << s;
            }
            for (std::size_t i = 0; i < sources.size(); ++i) {
                EXPECT_NEAR(some[i], expected(sources[i]), 1e-9) << "sources[" << i << "]";
            }
        }
    }
    EXPECT_TRUE(net.has_hierarchy());
    const std::vector<node_id> origins{0, 7, 7, 33, 149};
    const std::vector<node_id> destinations{1, 2, 3, 149, 0, 2};
    for (const double bound : {4.0, inf}) {
        const auto got = net.travel_times(origins, destinations, bound, on_hierarchy);
        for (std::size_t i = 0; i < origins.size(); ++i) {
            for (std::size_t j = 0; j < destinations.size(); ++j) {
                const double t = refs[origins[i]][destinations[j]];
                const double v = got[i * destinations.size() + j];
                if (std::isfinite(t) && t <= bound) {
                    EXPECT_NEAR(v, t, 1e-9) << i << "," << j;
                } else {
                    EXPECT_TRUE(std::isnan(v)) << i << "," << j;
                }
            }
        }
    }
}

namespace {

/** SYNTHETIC side x side grid, 100 m spacing, two-way edges of 0.1 to 0.3 minutes. */
Network grid(std::size_t side) {
    std::vector<Point> nodes;
    std::vector<Edge> edges;
    for (std::size_t i = 0; i < side; ++i) {
        for (std::size_t j = 0; j < side; ++j) {
            nodes.push_back({100.0 * static_cast<double>(i), 100.0 * static_cast<double>(j)});
            const auto v = static_cast<node_id>(i * side + j);
            const double t = 0.1 + 0.1 * static_cast<double>((i + 2 * j) % 3);
            if (i + 1 < side) {
                edges.push_back({v, static_cast<node_id>(v + side), 100.0, t});
            }
            if (j + 1 < side) {
                edges.push_back({v, v + 1, 100.0, t});
            }
        }
    }
    return Network{nodes, edges, true};
}

} // namespace

TEST(Search, AutomaticChoiceTakesTheHierarchyOnlyWhenItPays) {
    const Network net = grid(60); // 3,600 nodes
    const std::vector<double> values(net.node_count(), 1.0);
    SearchOptions dijkstra{2, {}, Algorithm::dijkstra};
    SearchOptions automatic{2, {}, Algorithm::automatic};
    // each source reaches a handful of nodes: Dijkstra, no hierarchy built
    const auto small = net.aggregate(values, 0.25, Aggregation::count, Decay::flat, {}, automatic);
    EXPECT_FALSE(net.has_hierarchy());
    EXPECT_EQ(small, net.aggregate(values, 0.25, Aggregation::count, Decay::flat, {}, dijkstra));
    // few sources, even with whole-graph searches: Dijkstra
    const std::vector<node_id> few{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    net.aggregate(values, 1000.0, Aggregation::count, Decay::flat, few, automatic);
    EXPECT_FALSE(net.has_hierarchy());
    // every node reaches the whole graph: the hierarchy pays for itself, and gives the same counts
    const auto large = net.aggregate(values, 1000.0, Aggregation::count, Decay::flat, {}, automatic);
    EXPECT_TRUE(net.has_hierarchy());
    for (const double c : large) {
        EXPECT_EQ(c, 3600.0);
    }
    // matrix: once built, the hierarchy serves a large matrix too, equal to Dijkstra's
    std::vector<node_id> origins(200);
    std::vector<node_id> destinations(300);
    for (std::size_t i = 0; i < origins.size(); ++i) {
        origins[i] = static_cast<node_id>((i * 97) % 3600);
    }
    for (std::size_t j = 0; j < destinations.size(); ++j) {
        destinations[j] = static_cast<node_id>((j * 61 + 5) % 3600);
    }
    const auto fast = net.travel_times(origins, destinations, inf, automatic);
    const auto plain = net.travel_times(origins, destinations, inf, dijkstra);
    ASSERT_EQ(fast.size(), plain.size());
    for (std::size_t k = 0; k < fast.size(); ++k) {
        EXPECT_NEAR(fast[k], plain[k], 1e-9 * std::max(1.0, plain[k])) << k;
    }
}

TEST(Search, HierarchyBuildReportsProgressAndCanBeCancelled) {
    const Network net = grid(40);
    // 3.05: no path time ties with the bound (sums of 0.1 to 0.3 taken in another order may round either side of 3)
    const std::vector<double> values(net.node_count(), 1.0);
    // a cancelled build leaves no hierarchy behind; the next call builds it
    std::size_t calls = 0;
    SearchOptions cancel{1,
                         [&](std::size_t done, std::size_t) {
                             if (++calls > 3 && done > 0) {
                                 throw std::runtime_error("cancelled by the user");
                             }
                         },
                         Algorithm::hierarchy};
    EXPECT_THROW(net.aggregate(values, 3.05, Aggregation::sum, Decay::flat, {}, cancel), std::runtime_error);
    EXPECT_FALSE(net.has_hierarchy());
    // build then sweeps: one bar, done never goes back, ends at its total (nodes contracted + batches)
    std::size_t last = 0;
    std::size_t last_total = 0;
    SearchOptions watch{2,
                        [&](std::size_t done, std::size_t total) {
                            EXPECT_GE(done, last);
                            EXPECT_LE(done, total);
                            last = done;
                            last_total = total;
                        },
                        Algorithm::hierarchy};
    const auto sums = net.aggregate(values, 3.05, Aggregation::sum, Decay::flat, {}, watch);
    EXPECT_TRUE(net.has_hierarchy());
    EXPECT_EQ(last, last_total);
    EXPECT_EQ(last_total, net.node_count() + (net.node_count() + 7) / 8);
    EXPECT_EQ(sums, net.aggregate(values, 3.05, Aggregation::sum, Decay::flat, {}, SearchOptions{2, {}, Algorithm::dijkstra}));
}

TEST(Search, HierarchyThreadsSaveLoadAndCache) {
    const test::TempDir dir;
    const Network net = grid(30);
    const std::vector<double> values(net.node_count(), 1.0);
    const SearchOptions on_hierarchy{2, {}, Algorithm::hierarchy};
    const SearchOptions plain{2, {}, Algorithm::dijkstra};
    const std::string path = dir.file("grid.ch");
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { net.save_hierarchy(path); }), {path, "prepare_hierarchy"}));
    net.prepare_hierarchy({}, 1);
    EXPECT_EQ(net.hierarchy_origin().source, HierarchyOrigin::Source::built);
    net.save_hierarchy(path);
    const auto sums = net.aggregate(values, 2.05, Aggregation::sum, Decay::flat, {}, on_hierarchy);
    EXPECT_EQ(sums, net.aggregate(values, 2.05, Aggregation::sum, Decay::flat, {}, plain));

    // another Network of the same graph loads it and gives the same sums
    const Network same = grid(30);
    same.load_hierarchy(path);
    EXPECT_TRUE(same.has_hierarchy());
    EXPECT_EQ(same.hierarchy_origin().source, HierarchyOrigin::Source::loaded);
    EXPECT_EQ(same.aggregate(values, 2.05, Aggregation::sum, Decay::flat, {}, on_hierarchy), sums);

    // another graph refuses it, naming the file, and keeps no hierarchy
    const Network other = grid(31);
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { other.load_hierarchy(path); }), {path, "another graph"}));
    EXPECT_FALSE(other.has_hierarchy());

    // the cache: built and written on first use, loaded by the next Network
    const std::string cache = dir.file("cache.ch");
    Network first = grid(30);
    first.set_hierarchy_cache(cache);
    EXPECT_EQ(first.hierarchy_origin().source, HierarchyOrigin::Source::none);
    EXPECT_EQ(first.aggregate(values, 2.05, Aggregation::sum, Decay::flat, {}, on_hierarchy), sums);
    HierarchyOrigin origin = first.hierarchy_origin();
    EXPECT_EQ(origin.source, HierarchyOrigin::Source::built);
    EXPECT_TRUE(origin.saved);
    EXPECT_EQ(origin.path, cache);
    EXPECT_EQ(origin.problem, "");
    Network second = grid(30);
    second.set_hierarchy_cache(cache);
    second.prepare_hierarchy();
    EXPECT_EQ(second.hierarchy_origin().source, HierarchyOrigin::Source::loaded);
    EXPECT_EQ(second.aggregate(values, 2.05, Aggregation::sum, Decay::flat, {}, on_hierarchy), sums);

    // a cache file of another graph (or damaged) is not used: built again, replaced, and said
    Network third = grid(31);
    third.set_hierarchy_cache(cache);
    third.prepare_hierarchy();
    origin = third.hierarchy_origin();
    EXPECT_EQ(origin.source, HierarchyOrigin::Source::built);
    EXPECT_TRUE(origin.saved);
    EXPECT_TRUE(contains_all(origin.problem, {cache, "another graph", "built again"}));
    Network fourth = grid(31);
    fourth.set_hierarchy_cache(cache);
    fourth.prepare_hierarchy();
    EXPECT_EQ(fourth.hierarchy_origin().source, HierarchyOrigin::Source::loaded);

    // a cache that cannot be written (its folder would be a file): built, the search unharmed, the problem said
    Network fifth = grid(30);
    test::write_text(dir.file("file"), "not a folder");
    const std::string nowhere = dir.file("file/cache.ch");
    fifth.set_hierarchy_cache(nowhere);
    EXPECT_EQ(fifth.aggregate(values, 2.05, Aggregation::sum, Decay::flat, {}, on_hierarchy), sums);
    origin = fifth.hierarchy_origin();
    EXPECT_EQ(origin.source, HierarchyOrigin::Source::built);
    EXPECT_FALSE(origin.saved);
    EXPECT_TRUE(contains_all(origin.problem, {nowhere}));
    // a folder that does not exist yet is made
    Network sixth = grid(30);
    sixth.set_hierarchy_cache(dir.file("new/folder/cache.ch"));
    sixth.prepare_hierarchy();
    EXPECT_TRUE(sixth.hierarchy_origin().saved);
    EXPECT_TRUE(test::fs::exists(dir.file("new/folder/cache.ch")));
}
