#pragma once
/**
 * @file portfolio.hpp
 * Choosing k sites together, with sites kept fixed, sites that may not be chosen, and pairs too close to be chosen
 * together:
 *  - maximal covering: the most demand within reach of at least one chosen site;
 *  - p-median: the least demand-weighted minutes to the nearest chosen site.
 * Both: greedy with lazy evaluation, then swaps (local search) until no single swap improves, from several starts.
 */

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace tierslieux {

/** A maximal covering problem over candidate sites and demand points (communes, cells…). */
struct CoverageProblem {
    /** Demand of each point (people), finite and >= 0. */
    std::vector<double> demand;
    /** Per site: the demand points it covers (indices into demand; duplicates are ignored). */
    std::vector<std::vector<std::uint32_t>> covers;
    /** Per site (or empty: none): kept in every solution (sites that already exist). */
    std::vector<bool> fixed;
    /** Per site (or empty: all): may be chosen (e.g. score above a floor). Fixed sites are always in. */
    std::vector<bool> eligible;
    /** Pairs of sites that may not both be in a solution (e.g. closer than a minimum spacing). */
    std::vector<std::pair<std::uint32_t, std::uint32_t>> conflicts;
}; // struct CoverageProblem

/** One solution: the sites in the order they were taken (fixed ones first), and what each one adds. */
struct Portfolio {
    std::vector<std::uint32_t> sites;
    /** Demand covered by sites[i] and by none of sites[0..i-1]. */
    std::vector<double> marginal;
    /** Demand covered by the whole set (= sum of marginal). */
    double covered = 0.0;
}; // struct Portfolio

/**
 * The best set of k sites found (k counts the fixed sites): lazy greedy, then 1-for-1 swaps of non-fixed sites
 * while one improves the covered demand by more than 1e-9 relative. Fewer than k sites when no more can be
 * added (all eligible sites taken, or every remaining one conflicts). Throws input_error for bad indices,
 * negative or non-finite demand, mismatched lengths, fixed sites in conflict, or more fixed sites than k.
 */
Portfolio max_covering(const CoverageProblem& problem, std::size_t k);

/** Demand covered by a set of sites (for checks and comparisons). */
double covered_demand(const CoverageProblem& problem, const std::vector<std::uint32_t>& sites);

/**
 * A p-median problem: demand points, candidate sites and the minutes from each point to each site.
 *
 * The minutes are a dense matrix (site_count rows × demand.size() columns, row-major, NaN = unreachable) rather
 * than per-site lists of (point, minutes) pairs: the p-median has no cut-off, so on a connected road graph every
 * pair is finite and a sparse form would only add an index per value; the swap search reads whole rows, which a
 * contiguous row does fastest; and it is what travel_times already returns (one NumPy array, no conversion).
 *
 * Unreachable demand (NaN minutes):
 *  - a point that no site reaches is left out of the objective and reported (unreachable_points/_demand);
 *  - a point that some site reaches is charged, while no chosen site reaches it, its penalty: the largest finite
 *    minutes from it to any site of the problem (so it never counts as cheaper than being served) and reported
 *    (unserved_points/_demand). It does not silently vanish, and a set that reaches it is always at least as good.
 */
struct MedianProblem {
    /** Demand of each point (people), finite and >= 0. */
    std::vector<double> demand;
    /** Number of candidate sites (rows of minutes). */
    std::size_t site_count = 0;
    /** Minutes from point j to site s at [s * demand.size() + j]: finite and >= 0, or NaN = unreachable. */
    std::vector<double> minutes;
    /** Per site (or empty: none): kept in every solution (sites that already exist). */
    std::vector<bool> fixed;
    /** Per site (or empty: all): may be chosen (e.g. score above a floor). Fixed sites are always in. */
    std::vector<bool> eligible;
    /** Pairs of sites that may not both be in a solution (e.g. closer than a minimum spacing). */
    std::vector<std::pair<std::uint32_t, std::uint32_t>> conflicts;
}; // struct MedianProblem

/** One p-median solution: the sites in the order they were taken (fixed ones first), and what each one brings. */
struct MedianPortfolio {
    std::vector<std::uint32_t> sites;
    /** Demand whose nearest chosen site is sites[i] (ties go to the earlier site; unserved demand to none). */
    std::vector<double> assigned;
    /** Objective with sites[0..i-1] minus objective with sites[0..i] (demand × minutes; for i = 0 the baseline
     *  is every reachable point at its penalty). */
    std::vector<double> reduction;
    /** Sum over reachable points of demand × minutes to the nearest chosen site (the penalty when none reaches). */
    double objective = 0.0;
    /** Sum of the demand of the reachable points (objective / this = demand-weighted mean minutes). */
    double reachable_demand = 0.0;
    /** Points (and their demand) that no site of the problem reaches: left out of the objective. */
    std::size_t unreachable_points = 0;
    double unreachable_demand = 0.0;
    /** Points (and their demand) that some site reaches but no chosen site does: counted at their penalty. */
    std::size_t unserved_points = 0;
    double unserved_demand = 0.0;
}; // struct MedianPortfolio

/**
 * The best set of k sites found for the p-median (k counts the fixed sites): lazy greedy on the saving (which is
 * submodular), then fast interchange (Whitaker: every 1-for-1 swap of a non-fixed site priced in one pass over
 * the points, the best one applied while it lowers the objective by more than 1e-9 relative), from 33 starts
 * (plain greedy, and greedy opening with each of the 32 best single sites); the best is kept and reported in
 * greedy order. Fewer than k sites when no more can be added. Throws input_error for bad indices, negative or
 * non-finite demand, negative or infinite minutes, mismatched lengths, fixed sites in conflict, or more fixed
 * sites than k.
 */
MedianPortfolio p_median(const MedianProblem& problem, std::size_t k);

/** The p-median objective of a set of sites, with the unreachable rule above (for checks and comparisons). */
double median_objective(const MedianProblem& problem, const std::vector<std::uint32_t>& sites);

} // namespace tierslieux
