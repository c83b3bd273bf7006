// Steps compute_criteria, resolve_weights, score and rank_stability; the RunContext's helpers.
#include "criteria/registry.hpp"
#include "run/context.hpp"

#include <tierslieux/errors.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace tierslieux {

RunContext::RunContext(const Territory& t, const RunOptions& o, progress_callback p)
    : territory(t), options(o), progress(std::move(p)) {
    result.diagnostics = territory.warnings; // first, as load_territory found them
}

void RunContext::report(const std::string& stage, std::size_t done, std::size_t total) const {
    if (progress) {
        progress(stage, done, total);
    }
}

void RunContext::warn(std::string code, std::string text, std::vector<std::string> ids) {
    result.diagnostics.push_back({std::move(code), std::move(text), std::move(ids)});
}

void RunContext::warn(Diagnostic diagnostic) { result.diagnostics.push_back(std::move(diagnostic)); }

void RunContext::skip(const std::string& name, const std::string& reason) {
    result.criteria.skipped.push_back({name, reason});
    warn("criterion_skipped", "criterion '" + name + "' is skipped: " + reason, {name});
}

std::vector<double> RunContext::per_site(const std::function<double(std::size_t)>& value) const {
    const std::vector<double>& access = result.graph.sites.access_minutes;
    std::vector<double> out(access.size(), std::numeric_limits<double>::quiet_NaN());
    for (std::size_t i = 0; i < access.size(); ++i) {
        if (!std::isnan(access[i])) {
            out[i] = value(i);
        }
    }
    return out;
}

double RunContext::within(std::size_t site, double T, const std::function<double(const Commune&)>& value) const {
    double sum = 0.0;
    for (const auto& [c, t] : site_communes[site]) {
        if (t <= T) {
            sum += value(territory.communes[c]);
        }
    }
    return sum;
}

void compute_criteria(RunContext& ctx, const std::vector<CriterionDef>& registry) {
    for (const CriterionDef& def : registry) {
        const bool per_threshold = def.info.name.find("<T>") != std::string::npos;
        const std::vector<int> thresholds = per_threshold ? ctx.options.thresholds_min : std::vector<int>{0};
        for (const int t : thresholds) {
            const std::string name = criterion_name(def.info.name, t);
            Computed c = def.compute(ctx, t);
            if (!c.skipped.empty()) {
                ctx.skip(name, c.skipped);
                continue;
            }
            if (c.values.size() != ctx.territory.sites.size()) {
                throw std::logic_error("criterion " + name + " gave " + std::to_string(c.values.size()) +
                                       " values for " + std::to_string(ctx.territory.sites.size()) + " sites");
            }
            ctx.result.criteria.values.push_back({name, def.info.unit, def.info.direction, std::move(c.values)});
        }
    }
}

std::map<std::string, double> resolve_weights(const RunContext& ctx, const std::vector<CriterionDef>& registry) {
    const CriteriaResults& criteria = ctx.result.criteria;
    std::map<std::string, double> weights;
    const std::map<std::string, double> defaults = default_weights(registry, ctx.options.thresholds_min);
    for (const auto& c : criteria.values) {
        const auto it = defaults.find(c.name);
        if (it != defaults.end()) {
            weights[c.name] = it->second;
        }
    }
    for (const auto& [name, w] : ctx.options.weights) {
        const auto skipped = std::find_if(criteria.skipped.begin(), criteria.skipped.end(),
                                          [&n = name](const SkippedCriterion& k) { return k.name == n; });
        if (skipped != criteria.skipped.end()) {
            if (w > 0.0) {
                throw input_error(Diagnostic{"weight_for_skipped_criterion",
                                             "a weight is given for " + name + ", but that criterion is skipped: " +
                                                 skipped->reason,
                                             {name}});
            }
            continue;
        }
        weights[name] = w; // unknown names are refused by score_sites, with the list of valid ones
    }
    return weights;
}

namespace {

std::vector<std::string> site_ids(const Territory& territory) {
    std::vector<std::string> ids;
    for (const auto& s : territory.sites) {
        ids.push_back(s.site_id);
    }
    return ids;
}

} // namespace

void score(RunContext& ctx, const std::map<std::string, double>& weights) {
    RunResult& r = ctx.result;
    r.scores = score_sites(r.criteria.values, weights, site_ids(ctx.territory), ctx.options.normalisation);
    r.diagnostics.insert(r.diagnostics.end(), r.scores.warnings.begin(), r.scores.warnings.end());
}

void rank_stability(RunContext& ctx) {
    if (ctx.options.stability.draws > 0) {
        ctx.result.stability = rank_stability(ctx.result.scores, site_ids(ctx.territory), ctx.options.stability);
    }
}

} // namespace tierslieux
