#pragma once
/**
 * @file registry.hpp
 * The criteria registry: one entry per criterion, with its description (name, family, unit, direction, input,
 * what happens when the input is missing), its default weight and its computation. Entries live in one file per
 * family (demand.cpp, broadband.cpp, commute.cpp, building.cpp, competition.cpp); criteria_catalogue(),
 * default_weights(), the sites layer's columns, docs/criteria.md's table and tl.criteria() all come from here.
 * Adding a criterion: docs/architecture.md. Criteria layer: only src/ and tests include this.
 */

#include <tierslieux/criteria.hpp>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace tierslieux {

struct RunContext;

/** What a criterion's computation gives: one value per site, or the reason it is skipped. */
struct Computed {
    std::vector<double> values;
    std::string skipped; ///< non-empty: the criterion is left out, for this reason

    static Computed skip(std::string reason) { return Computed{{}, std::move(reason)}; }
}; // struct Computed

/** One criterion of the registry. */
struct CriterionDef {
    /** Name, family, unit, direction, description, input, when_missing. A name with "<T>" is one per threshold. */
    CriterionInfo info;
    /** Default weight; for a "<T>" criterion, shared equally among the thresholds. 0: shown, not scored. */
    double default_weight = 0.0;
    /**
     * The values from the steps before compute_criteria (RunContext), threshold in minutes for a "<T>"
     * criterion (0 otherwise). May add warnings and communes columns to ctx.result.
     */
    std::function<Computed(RunContext& ctx, int threshold)> compute;
}; // struct CriterionDef

/** The engine's criteria, in output order: the families below, concatenated. */
const std::vector<CriterionDef>& criteria_registry();

/** The name of a criterion for a threshold ("pop_<T>min", 15 -> "pop_15min"; names without <T> unchanged). */
std::string criterion_name(const std::string& pattern, int threshold);

/** The default weights of a registry for the given thresholds. */
std::map<std::string, double> default_weights(const std::vector<CriterionDef>& registry,
                                              const std::vector<int>& thresholds_min);

// One function per family, each in its own file.
std::vector<CriterionDef> demand_criteria();      ///< demand.cpp
std::vector<CriterionDef> broadband_criteria();   ///< broadband.cpp
std::vector<CriterionDef> commute_criteria();     ///< commute.cpp
std::vector<CriterionDef> building_criteria();    ///< building.cpp
std::vector<CriterionDef> observed_criteria();    ///< observed.cpp
std::vector<CriterionDef> competition_criteria(); ///< competition.cpp (gap filling and competition)

} // namespace tierslieux
