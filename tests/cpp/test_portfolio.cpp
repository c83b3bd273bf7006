// portfolio.hpp: maximal covering (lazy greedy + swaps) against exhaustive search on SYNTHETIC random instances,
// with fixed sites, ineligible sites and conflicting pairs.

#include <algorithm>
#include <cstdio>
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

bool feasible(const CoverageProblem& p, const std::vector<std::uint32_t>& set) {
    for (std::size_t i = 0; i < p.covers.size(); ++i) {
        const bool in = std::find(set.begin(), set.end(), i) != set.end();
        if (!p.fixed.empty() && p.fixed[i] && !in) {
            return false;
        }
        if (!p.eligible.empty() && !p.eligible[i] && in && (p.fixed.empty() || !p.fixed[i])) {
            return false;
        }
    }
    for (const auto& [a, b] : p.conflicts) {
        if (std::find(set.begin(), set.end(), a) != set.end() && std::find(set.begin(), set.end(), b) != set.end()) {
            return false;
        }
    }
    return true;
}

/** Exhaustive search over every set of exactly k sites: the optimum. */
double best_possible(const CoverageProblem& p, std::size_t k) {
    const std::size_t n = p.covers.size();
    double best = -1.0;
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
        if (feasible(p, set)) {
            best = std::max(best, covered_demand(p, set));
        }
    } while (std::next_permutation(pick.begin(), pick.end()));
    return best;
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
