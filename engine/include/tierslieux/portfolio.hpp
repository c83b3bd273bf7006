#pragma once
/**
 * @file portfolio.hpp
 * Choosing k sites together: maximal covering (the most demand within reach of at least one chosen site), with
 * sites kept fixed, sites that may not be chosen, and pairs too close to be chosen together. Greedy with lazy
 * evaluation, then swaps (local search) until no single swap improves the covered demand.
 */

#include <cstddef>
#include <cstdint>
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

} // namespace tierslieux
