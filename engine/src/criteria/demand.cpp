// Demand: people (and active residents) within reach of each site, and gravity accessibility.
#include "criteria/registry.hpp"
#include "detail/text.hpp"
#include "run/context.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tierslieux {

namespace {

std::size_t threshold_index(const RunContext& ctx, int threshold) {
    const auto& t = ctx.options.thresholds_min;
    return static_cast<std::size_t>(std::find(t.begin(), t.end(), threshold) - t.begin());
}

Computed active_within(RunContext& ctx, int threshold) {
    const Territory& territory = ctx.territory;
    if (!territory.has_active_population) {
        return Computed::skip("the communes layer of '" + territory.path + "' has no active_population field");
    }
    std::vector<std::string> unknown;
    std::vector<double> values = ctx.per_site([&](std::size_t i) {
        bool complete = true;
        const double sum = ctx.within(i, threshold, [&](const Commune& c) {
            complete = complete && c.has_active_population;
            return c.active_population;
        });
        if (!complete) {
            unknown.push_back(territory.sites[i].site_id);
        }
        return complete ? sum : std::numeric_limits<double>::quiet_NaN();
    });
    if (!unknown.empty()) {
        ctx.warn("active_population_unknown",
                 "criterion '" + criterion_name("active_<T>min", threshold) + "': " + std::to_string(unknown.size()) +
                 " site(s) reach a commune without active_population, so their value is unknown (NaN): " +
                 detail::join_names(unknown, 5),
                 unknown);
    }
    return {std::move(values), {}};
}

} // namespace

std::vector<CriterionDef> demand_criteria() {
    return {
        {{"pop_<T>min", "demand", "people", Direction::more_is_better,
          "people within <T> minutes",
          "`communes.population`, graph",
          "cannot be missing (population is required). Unreachable communes add nothing",
          "Σ P(c) over communes with t(s, c) ≤ T"},
         0.30,
         [](RunContext& ctx, int t) { return Computed{ctx.pop[threshold_index(ctx, t)], {}}; }},
        {{"active_<T>min", "demand", "people", Direction::more_is_better,
          "active residents within <T> minutes",
          "`communes.active_population`",
          "no such field: skipped. A commune in reach with no value: NaN for that site, with a warning "
          "naming the sites",
          "Σ A(c) over communes with t(s, c) ≤ T"},
         0.0,
         active_within},
        {{"gravity_access", "demand", "people (decay-weighted)", Direction::more_is_better,
          "people reachable, nearer ones counting more (gravity)",
          "`communes.population`, graph",
          "cannot be missing",
          "Σ P(c) · exp(−t(s, c) / `gravity_decay_min`) over communes with t(s, c) ≤ "
          "`gravity_max_minutes`. Defaults: 20 minutes and 90 minutes"},
         0.15,
         [](RunContext& ctx, int) { return Computed{ctx.gravity, {}}; }},
    };
}

} // namespace tierslieux
