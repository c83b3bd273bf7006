// portfolio.hpp: maximal covering and p-median (lazy greedy + swaps) against exhaustive search on SYNTHETIC random
// instances, with fixed sites, ineligible sites, conflicting pairs and (p-median) unreachable demand.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <cstdint>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include <tierslieux/errors.hpp>
#include <tierslieux/portfolio.hpp>

#include "support.hpp"

using namespace tierslieux;
using tierslieux::test::contains_all;
using tierslieux::test::message_of;

namespace {

/** SYNTHETIC: sites and demand points on a unit square; a site covers the points within `radius`. */
CoverageProblem random_problem(unsigned seed, std::size_t sites = 12, std::size_t points = 60, double radius = 0.3) {
    std::mt19937 rng{seed};
    std::uniform_real_distribution<double> u{0.0, 1.0};
    std::vector<std::pair<double, double>> s(sites), d(points);
    CoverageProblem p;
    for (auto& xy : d) {
        xy = {u(rng), u(rng)};
        p.demand.push_back(std::floor(1.0 + 500.0 * u(rng) * u(rng)));
    }
    for (auto& xy : s) {
        xy = {u(rng), u(rng)};
        std::vector<std::uint32_t> c;
        for (std::size_t j = 0; j < points; ++j) {
            if (std::hypot(xy.first - d[j].first, xy.second - d[j].second) <= radius) {
                c.push_back(static_cast<std::uint32_t>(j));
            }
        }
        p.covers.push_back(c);
    }
    return p;
}

template <typename Problem>
bool feasible(const Problem& p, std::size_t sites, const std::vector<std::uint32_t>& set) {
    for (std::size_t i = 0; i < sites; ++i) {
        const bool in = std::find(set.begin(), set.end(), i) != set.end();
        if (!p.fixed.empty() && p.fixed[i] && !in) {
            return false;
        }
        if (!p.eligible.empty() && !p.eligible[i] && in && (p.fixed.empty() || !p.fixed[i])) {
            return false;
        }
    }
    for (const auto& [a, b] : p.conflicts) {
        if (a != b && std::find(set.begin(), set.end(), a) != set.end() && std::find(set.begin(), set.end(), b) != set.end()) {
            return false;
        }
    }
    return true;
}

bool feasible(const CoverageProblem& p, const std::vector<std::uint32_t>& set) {
    return feasible(p, p.covers.size(), set);
}

/** Calls f(set) for every set of exactly k of n sites. */
template <typename F>
void for_each_set(std::size_t n, std::size_t k, F&& f) {
    std::vector<bool> pick(n, false);
    std::fill(pick.begin(), pick.begin() + static_cast<std::ptrdiff_t>(std::min(k, n)), true);
    std::sort(pick.begin(), pick.end()); // first permutation
    do {
        std::vector<std::uint32_t> set;
        for (std::size_t i = 0; i < n; ++i) {
            if (pick[i]) {
                set.push_back(static_cast<std::uint32_t>(i));
            }
        }
        f(set);
    } while (std::next_permutation(pick.begin(), pick.end()));
}

/** Exhaustive search over every set of exactly k sites: the optimum. */
double best_possible(const CoverageProblem& p, std::size_t k) {
    double best = -1.0;
    for_each_set(p.covers.size(), k, [&](const std::vector<std::uint32_t>& set) {
        if (feasible(p, set)) {
            best = std::max(best, covered_demand(p, set));
        }
    });
    return best;
}

/**
 * SYNTHETIC: sites and demand points on a unit square, minutes = 60 x straight distance; a share of the pairs is
 * unreachable (NaN), and the last `cut_off` points are reached by no site at all.
 */
MedianProblem random_median(unsigned seed, std::size_t sites = 12, std::size_t points = 60,
                            double unreachable_share = 0.1, std::size_t cut_off = 2) {
    std::mt19937 rng{seed};
    std::uniform_real_distribution<double> u{0.0, 1.0};
    std::vector<std::pair<double, double>> s(sites), d(points);
    MedianProblem p;
    p.site_count = sites;
    for (auto& xy : d) {
        xy = {u(rng), u(rng)};
        p.demand.push_back(std::floor(1.0 + 500.0 * u(rng) * u(rng)));
    }
    for (auto& xy : s) {
        xy = {u(rng), u(rng)};
        for (std::size_t j = 0; j < points; ++j) {
            const bool cut = j + cut_off >= points || u(rng) < unreachable_share;
            p.minutes.push_back(cut ? std::numeric_limits<double>::quiet_NaN()
                                    : 60.0 * std::hypot(xy.first - d[j].first, xy.second - d[j].second));
        }
    }
    return p;
}

/** Exhaustive search over every feasible set of exactly k sites: the least objective. */
double least_possible(const MedianProblem& p, std::size_t k) {
    double best = std::numeric_limits<double>::infinity();
    for_each_set(p.site_count, k, [&](const std::vector<std::uint32_t>& set) {
        if (feasible(p, p.site_count, set)) {
            best = std::min(best, median_objective(p, set));
        }
    });
    return best;
}

/** The reported figures agree with each other and with median_objective. */
void expect_median_consistent(const MedianProblem& p, const MedianPortfolio& got) {
    ASSERT_EQ(got.assigned.size(), got.sites.size());
    ASSERT_EQ(got.reduction.size(), got.sites.size());
    EXPECT_NEAR(got.objective, median_objective(p, got.sites), 1e-6);
    double total = 0.0;
    for (const double w : p.demand) {
        total += w;
    }
    double assigned = 0.0;
    for (std::size_t i = 0; i < got.sites.size(); ++i) {
        assigned += got.assigned[i];
        EXPECT_GE(got.reduction[i], -1e-9);
    }
    EXPECT_NEAR(assigned + got.unserved_demand + got.unreachable_demand, total, 1e-6);
    EXPECT_NEAR(got.reachable_demand + got.unreachable_demand, total, 1e-6);
    // the reductions add up from the baseline (every reachable point at its penalty) to the objective
    double baseline = 0.0;
    const std::size_t points = p.demand.size();
    for (std::size_t j = 0; j < points; ++j) {
        double pen = -1.0;
        for (std::size_t s = 0; s < p.site_count; ++s) {
            const double m = p.minutes[s * points + j];
            if (!std::isnan(m)) {
                pen = std::max(pen, m);
            }
        }
        baseline += pen >= 0.0 ? p.demand[j] * pen : 0.0;
    }
    double reduced = 0.0;
    for (const double r : got.reduction) {
        reduced += r;
    }
    EXPECT_NEAR(baseline - reduced, got.objective, 1e-6 * std::max(1.0, baseline));
}

} // namespace

TEST(Portfolio, WithinTwoPercentOfTheOptimumOnRandomInstances) {
    double worst_gap = 0.0;
    for (unsigned seed = 1; seed <= 12; ++seed) {
        const CoverageProblem p = random_problem(seed);
        for (std::size_t k = 1; k <= 5; ++k) {
            const Portfolio got = max_covering(p, k);
            ASSERT_EQ(got.sites.size(), k);
            EXPECT_NEAR(got.covered, covered_demand(p, got.sites), 1e-9);
            double sum = 0.0;
            for (std::size_t i = 0; i < got.marginal.size(); ++i) {
                sum += got.marginal[i];
                if (i > 0) {
                    EXPECT_LE(got.marginal[i], got.marginal[i - 1] + 1e-9) << "reported in decreasing gain";
                }
            }
            EXPECT_NEAR(sum, got.covered, 1e-9);
            const double best = best_possible(p, k);
            ASSERT_LE(got.covered, best + 1e-9);
            worst_gap = std::max(worst_gap, (best - got.covered) / best);
        }
    }
    EXPECT_LE(worst_gap, 0.02);
    std::printf("worst gap to the optimum: %.4f %%\n", 100.0 * worst_gap);
}

TEST(Portfolio, FixedIneligibleAndConflictingSitesAreRespected) {
    for (unsigned seed = 20; seed <= 27; ++seed) {
        CoverageProblem p = random_problem(seed);
        p.fixed.assign(p.covers.size(), false);
        p.eligible.assign(p.covers.size(), true);
        p.fixed[3] = true;
        p.eligible[0] = false;
        p.eligible[5] = false;
        p.conflicts = {{1, 2}, {2, 4}, {3, 7}, {6, 8}};
        for (std::size_t k = 1; k <= 4; ++k) {
            const Portfolio got = max_covering(p, k);
            EXPECT_EQ(got.sites.front(), 3u) << "fixed site first";
            EXPECT_TRUE(feasible(p, got.sites)) << "seed " << seed << " k " << k;
            const double best = best_possible(p, k);
            EXPECT_GE(got.covered, 0.98 * best) << "seed " << seed << " k " << k;
        }
    }
}

TEST(Portfolio, StopsWhenNothingMoreCanBeTakenAndRefusesBadInput) {
    CoverageProblem p;
    p.demand = {10, 20, 30};
    p.covers = {{0}, {1, 1}, {2}};
    p.conflicts = {{1, 2}};
    const Portfolio got = max_covering(p, 3); // 1 and 2 conflict: only two sites fit
    EXPECT_EQ(got.sites, (std::vector<std::uint32_t>{2, 0}));
    EXPECT_DOUBLE_EQ(got.covered, 40.0);
    p.fixed = {true, true, true};
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { max_covering(p, 3); }), {"fixed sites 1 and 2 conflict"}));
    p.fixed = {true, false, true};
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { max_covering(p, 1); }), {"2 fixed sites for k = 1"}));
    p.fixed.clear();
    p.covers[1] = {7};
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { max_covering(p, 2); }), {"site 1 covers demand point 7"}));
    p.covers[1] = {1};
    p.demand[0] = -1.0;
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { max_covering(p, 2); }), {"demand[0]", ">= 0"}));
}

TEST(PMedian, MatchesExhaustiveSearchOnRandomInstances) {
    double worst_gap = 0.0;
    std::size_t cases = 0;
    std::size_t off = 0;
    for (unsigned seed = 1; seed <= 40; ++seed) {
        const MedianProblem p = seed <= 30 ? random_median(seed) : random_median(seed, 18, 80, 0.2, 3);
        for (std::size_t k = 1; k <= (seed <= 30 ? 5u : 4u); ++k) {
            const MedianPortfolio got = p_median(p, k);
            ASSERT_EQ(got.sites.size(), k);
            expect_median_consistent(p, got);
            for (std::size_t i = 1; i < got.reduction.size(); ++i) {
                EXPECT_LE(got.reduction[i], got.reduction[i - 1] + 1e-9) << "reported in decreasing reduction";
            }
            const double best = least_possible(p, k);
            ASSERT_GE(got.objective, best - 1e-6);
            const double gap = (got.objective - best) / best;
            worst_gap = std::max(worst_gap, gap);
            off += gap > 1e-12 ? 1 : 0;
            ++cases;
        }
    }
    std::printf("p-median: %zu cases, %zu above the optimum, worst gap %.4f %%\n", cases, off, 100.0 * worst_gap);
    EXPECT_LE(worst_gap, 0.02);
}

TEST(PMedian, FixedIneligibleAndConflictingSitesAreRespected) {
    double worst_gap = 0.0;
    for (unsigned seed = 20; seed <= 31; ++seed) {
        MedianProblem p = random_median(seed);
        p.fixed.assign(p.site_count, false);
        p.eligible.assign(p.site_count, true);
        p.fixed[3] = true;
        p.eligible[0] = false;
        p.eligible[5] = false;
        p.eligible[3] = false; // fixed wins over not eligible
        p.conflicts = {{1, 2}, {2, 4}, {3, 7}, {6, 8}, {8, 6}, {9, 9}}; // given twice, and a site with itself (ignored)
        for (std::size_t k = 1; k <= 4; ++k) {
            const MedianPortfolio got = p_median(p, k);
            EXPECT_EQ(got.sites.front(), 3u) << "fixed site first";
            EXPECT_EQ(got.sites.size(), k);
            EXPECT_TRUE(feasible(p, p.site_count, got.sites)) << "seed " << seed << " k " << k;
            expect_median_consistent(p, got);
            const double best = least_possible(p, k);
            ASSERT_GE(got.objective, best - 1e-6);
            worst_gap = std::max(worst_gap, (got.objective - best) / best);
        }
    }
    std::printf("p-median with fixed/ineligible/conflicts: worst gap %.4f %%\n", 100.0 * worst_gap);
    EXPECT_LE(worst_gap, 0.02);
}

TEST(PMedian, UnreachableDemandIsExcludedOrChargedItsPenaltyAndReported) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    MedianProblem p;
    p.demand = {10, 20, 30, 40, 0};
    p.site_count = 3;
    // points:      0    1    2    3    4
    p.minutes = {5,   nan, 8,   nan, nan,  // site 0
                 7,   4,   nan, nan, 1,    // site 1
                 nan, 9,   2,   nan, nan}; // site 2
    // point 3: no site reaches it -> left out; point 4: zero demand
    // penalties: point 0: 7, point 1: 9, point 2: 8, point 4: 1
    const MedianPortfolio one = p_median(p, 1);
    // alone: site 0 -> 10*5 + 20*9 + 30*8 = 470; site 1 -> 70 + 80 + 240 = 390; site 2 -> 70 + 180 + 60 = 310
    EXPECT_EQ(one.sites, (std::vector<std::uint32_t>{2}));
    EXPECT_DOUBLE_EQ(one.objective, 310.0);
    EXPECT_DOUBLE_EQ(one.reduction[0], 10 * 7 + 20 * 9 + 30 * 8 - 310.0);
    EXPECT_EQ(one.assigned, (std::vector<double>{50.0}));
    EXPECT_EQ(one.unreachable_points, 1u);
    EXPECT_DOUBLE_EQ(one.unreachable_demand, 40.0);
    EXPECT_EQ(one.unserved_points, 2u); // point 0 (10 people) and point 4 (nobody)
    EXPECT_DOUBLE_EQ(one.unserved_demand, 10.0);
    EXPECT_DOUBLE_EQ(one.reachable_demand, 60.0);
    const MedianPortfolio two = p_median(p, 2);
    // {0,1}: 50+80+240 = 370; {0,2}: 50+180+60 = 290; {1,2}: 70+80+60 = 210
    EXPECT_EQ(two.sites, (std::vector<std::uint32_t>{2, 1}));
    EXPECT_DOUBLE_EQ(two.objective, 210.0);
    EXPECT_EQ(two.assigned, (std::vector<double>{30.0, 30.0}));
    EXPECT_EQ(two.unserved_points, 0u);
    EXPECT_DOUBLE_EQ(median_objective(p, {0, 1, 2}), 50 + 80 + 60.0);
    EXPECT_DOUBLE_EQ(median_objective(p, {}), 10 * 7 + 20 * 9 + 30 * 8.0);
    // nothing can be added: all three taken
    EXPECT_EQ(p_median(p, 5).sites.size(), 3u);
}

TEST(PMedian, RefusesBadInput) {
    MedianProblem p;
    p.demand = {10, 20};
    p.site_count = 2;
    p.minutes = {1, 2, 3};
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { p_median(p, 1); }),
                             {"minutes has 3 values for 2 sites x 2 demand points"}));
    p.minutes = {1, 2, 3, -4};
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { p_median(p, 1); }),
                             {"demand point 1 to site 1", "NaN for unreachable"}));
    p.minutes[3] = std::numeric_limits<double>::infinity();
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { p_median(p, 1); }), {"demand point 1 to site 1"}));
    p.minutes[3] = 4;
    p.demand[1] = std::numeric_limits<double>::quiet_NaN();
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { p_median(p, 1); }), {"demand[1]", "finite and >= 0"}));
    p.demand[1] = 20;
    p.fixed = {true};
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { p_median(p, 1); }), {"fixed has 1 flags for 2 sites"}));
    p.fixed.clear();
    p.eligible = {true, true, true};
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { p_median(p, 1); }), {"eligible has 3 flags for 2 sites"}));
    p.eligible.clear();
    p.conflicts = {{0, 2}};
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { p_median(p, 1); }), {"conflict (0, 2) names a site >= 2"}));
    p.conflicts = {{0, 1}};
    p.fixed = {true, true};
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { p_median(p, 2); }), {"fixed sites 0 and 1 conflict"}));
    p.conflicts.clear();
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { p_median(p, 1); }), {"2 fixed sites for k = 1"}));
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { median_objective(p, {2}); }), {"site 2 does not exist"}));
}
