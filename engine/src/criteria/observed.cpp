// Observed: what the study itself counted at its pilot sites (optional table site_observations).
#include "criteria/registry.hpp"
#include "run/context.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <string>

namespace tierslieux {

namespace {

Computed observed_visits(RunContext& ctx, int) {
    const auto& observations = ctx.territory.site_observations;
    if (!observations) {
        return Computed::skip("'" + ctx.territory.path + "' has no site_observations table (the study's own counts; "
                              "`tierslieux template observations` gives a blank one)");
    }
    std::map<std::string, std::pair<double, int>> sum; // site -> (visits, periods counted)
    for (const SiteObservation& o : *observations) {
        if (!std::isnan(o.visits)) {
            auto& [visits, periods] = sum[o.site_id];
            visits += o.visits;
            ++periods;
        }
    }
    if (sum.empty()) {
        return Computed::skip("the site_observations table of '" + ctx.territory.path + "' counts no visits");
    }
    std::vector<double> values;
    for (const Site& s : ctx.territory.sites) {
        const auto it = sum.find(s.site_id);
        values.push_back(it == sum.end() ? std::numeric_limits<double>::quiet_NaN()
                                         : it->second.first / it->second.second);
    }
    return {std::move(values), {}};
}

} // namespace

std::vector<CriterionDef> observed_criteria() {
    return {
        {{"observed_visits", "observed", "visits per period", Direction::more_is_better,
          "visits counted at the site by the study, per observed period",
          "`site_observations.visits` (the study's own counts)",
          "no site_observations table, or no visit counted in it: skipped. A site without a count has no value "
          "(NULL): weighted, it takes the worst normalised value of the sites counted (with one count, or equal "
          "counts, the criterion cannot tell sites apart and its weight goes to the others). Weight 0 by default, "
          "because only pilot sites are observed",
          "mean of `visits` over the periods counted for the site"},
         0.0,
         observed_visits},
    };
}

} // namespace tierslieux
