#pragma once
/**
 * @file families.hpp
 * Criteria that need more than one catchment search per site: commute interception (searches from the communes
 * with their path lengths) and competition with existing tiers-lieux. Their registry entries are in commute.cpp
 * and competition.cpp; these functions are declared here so that tests can call them alone. Criteria layer.
 */

#include "detail/csr.hpp"
#include "run/attach.hpp"

#include <tierslieux/criteria.hpp>
#include <tierslieux/network.hpp>
#include <tierslieux/territory.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace tierslieux {

struct RunContext;
using detail::Attachment;

/** Where communes and sites join the run's graph (the context after attach_graph). */
Attachment attachment_of(const RunContext& ctx);

/** Commute interception per site, and the commutes found per commune (for the communes layer). */
struct CommuteInterception {
    std::string skipped;                 ///< why the criteria are skipped ("" = computed)
    std::string source;                  ///< "commute_flows", "employment_poles" or "aav2020"
    std::vector<double> commuters;       ///< per site: commuters intercepted
    std::vector<double> km_per_year;     ///< per site: car km a year avoided
    std::vector<double> co2_t_per_year;  ///< per site: tonnes of CO2 a year avoided
    std::vector<double> commune_commuters; ///< per commune: commuters leaving it (NaN: no commute known)
    std::vector<double> commune_minutes;   ///< per commune: commuter-weighted minutes to work
    std::vector<double> commune_km;        ///< per commune: commuter-weighted km to work (one way)
    std::vector<Diagnostic> warnings;
}; // struct CommuteInterception

/**
 * Commutes come from territory.commute_flows when the table exists; else from territory.employment_poles when that
 * layer exists: pole_commuter_share × the active residents of each commune go to its nearest pole (by travel
 * time; none from a commune whose nearest pole is at its own town hall's node); else from the attraction areas: the active
 * residents of a commuter-belt commune (category 20) × assumptions.pole_commuter_share go to the
 * commune-centre (category 11) of their AAV. A commuter from home h to work w is intercepted by site s when
 * t(h, s) <= local_minutes and t(h, s) <= max_ratio × t(h, w); the km avoided are 2 × (d(h, w) − d(h, s)) per
 * day, d the length of the fastest path, times days_per_week × weeks_per_year × car_share. One search per home
 * commune, on `threads` threads (0: every hardware thread); the result does not depend on their number.
 */
CommuteInterception commute_interception(const Territory& territory, const Attachment& at, double local_minutes,
                                         const CommuteAssumptions& assumptions, unsigned threads = 0);

/** Competition with existing tiers-lieux: both criteria, or why they are skipped. */
struct Competition {
    std::string skipped;
    std::vector<double> minutes_to_existing; ///< per site; NaN: none reachable
    std::vector<double> demand_share;        ///< per site, people
    std::vector<double> commune_existing_within; ///< per commune: existing tiers-lieux within local_minutes
    std::vector<Diagnostic> warnings;
}; // struct Competition

/**
 * minutes_to_existing(s) = min over existing e of access(e) + path(e, s) + access(s); demand_share(s) = Σ P(c) /
 * (1 + N(c)) over communes c with t(c, s) <= local_minutes, N(c) the existing tiers-lieux with t(c, e) <=
 * local_minutes (each commune's people shared equally among the places they reach). `catchment` gives, per
 * site, the communes and their minutes (access included) within at least local_minutes; `at_node`, the snapped
 * communes at each node (the pipeline's index). Existing tiers-lieux farther than max_snap_m from a road graph
 * are left out with a warning.
 */
Competition competition(const Territory& territory, const Attachment& at, double local_minutes,
                        const std::vector<std::vector<std::pair<std::uint32_t, double>>>& catchment,
                        const detail::grouped_by_node& at_node);

} // namespace tierslieux
