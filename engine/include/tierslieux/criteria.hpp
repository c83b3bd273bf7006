#pragma once
/**
 * @file criteria.hpp
 * The criteria catalogue: what each criterion measures, its unit and direction, the input it needs and what
 * happens when that input is missing (docs/criteria.md), and the assumptions behind commute interception and
 * building fit.
 */

#include <tierslieux/scoring.hpp>

#include <map>
#include <string>
#include <vector>

namespace tierslieux {

/** One entry of the catalogue. Names with "<T>" stand for one criterion per catchment threshold. */
struct CriterionInfo {
    std::string name;
    std::string family;       ///< demand, broadband, commute, building, competition, observed
    std::string unit;
    Direction direction = Direction::more_is_better;
    std::string description;  ///< in words, for tl.explain and reports
    std::string input;        ///< layer and fields it is computed from
    std::string when_missing; ///< what happens without that input
    std::string formula;      ///< how it is computed (docs/criteria.md's notation: P(c), t(s, c), L…)
}; // struct CriterionInfo

/** Every criterion the engine can compute, in output order. */
const std::vector<CriterionInfo>& criteria_catalogue();

/**
 * The catalogue entry of a criterion name, for that name: pop_15min matches pop_<T>min and gets name
 * "pop_15min" and "<T>" replaced by 15 in its description. Throws not_found.
 */
CriterionInfo criterion_info(const std::string& name);

/**
 * Assumptions of commute interception (docs/criteria.md, "Commute interception", gives the source of each
 * default). A commuter is intercepted by a site when the site is within RunOptions::local_minutes of home and at
 * most max_ratio × the minutes to the work commune.
 */
struct CommuteAssumptions {
    /**
     * Without a commute_flows table, the share of a commuter-belt commune's active residents who commute to the
     * pole of its attraction area: INSEE's threshold for a commune to belong to the belt (at least 15 %).
     */
    double pole_commuter_share = 0.15;
    /** "Much closer": the site must be at most this fraction of the minutes to work. */
    double max_ratio = 0.5;
    /** Days a week an intercepted commuter works at the site instead of commuting. */
    double days_per_week = 1.9;
    /** Working weeks a year. */
    double weeks_per_year = 43.6;
    /** Share of commutes made by car (the only mode whose kilometres count for CO2). */
    double car_share = 0.9;
    /** Grams of CO2 per car kilometre. */
    double co2_g_per_km = 193.0;
}; // struct CommuteAssumptions

/** Throws input_error unless every assumption is finite and in range (shares in [0, 1], days in [0, 7]…). */
void validate(const CommuteAssumptions& assumptions);

/**
 * Default building fit per site kind, 0–1 (1 = best suited): a planner's judgement, editable (docs/criteria.md).
 * The entry "other" serves kinds the table does not list.
 */
std::map<std::string, double> default_building_fit();

/** Throws input_error for a value outside [0, 1], not finite, or an empty kind. */
void validate_building_fit(const std::map<std::string, double>& fit);

/**
 * Hybridity of a site: the number of distinct services in its ";"-separated `services` text. Entries written
 * key=value (attributes such as "type=Principal") are not services; blanks are ignored.
 */
int hybridity(const std::string& services);

} // namespace tierslieux
