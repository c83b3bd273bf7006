// The run: named, timed steps over one RunContext (run/context.hpp, docs/architecture.md).
#include <tierslieux/errors.hpp>
#include <tierslieux/pipeline.hpp>

#include "criteria/registry.hpp"
#include "run/context.hpp"

#include <cmath>
#include <set>

namespace tierslieux {

std::vector<bool> PlacesOnGraph::snapped() const {
    std::vector<bool> out;
    for (const double a : access_minutes) {
        out.push_back(!std::isnan(a));
    }
    return out;
}

std::vector<double> CommuneResults::column(const std::string& name) const {
    for (const auto& [n, values] : columns) {
        if (n == name) {
            return values;
        }
    }
    return {};
}

void validate(const RunOptions& o) {
    validate(o.graph);
    if (!std::isfinite(o.stability.concentration) || o.stability.concentration <= 0.0) {
        throw input_error("stability concentration must be a finite number > 0 (got " +
                          std::to_string(o.stability.concentration) + ")");
    }
    if (o.stability.top < 1) {
        throw input_error("stability top must be >= 1 (got " + std::to_string(o.stability.top) + ")");
    }
    if (!std::isfinite(o.adjacency_tolerance_m) || o.adjacency_tolerance_m < 0.0) {
        throw input_error("adjacency_tolerance_m must be >= 0 (got " + std::to_string(o.adjacency_tolerance_m) + ")");
    }
    if (o.thresholds_min.empty()) {
        throw input_error("thresholds_min: give at least one catchment threshold in minutes");
    }
    std::set<int> seen;
    for (const int t : o.thresholds_min) {
        if (t <= 0 || t > 24 * 60) {
            throw input_error("thresholds_min: " + std::to_string(t) + " is not a number of minutes in 1..1440");
        }
        if (!seen.insert(t).second) {
            throw input_error("thresholds_min: " + std::to_string(t) + " is given twice");
        }
    }
    if (!std::isfinite(o.gravity_decay_min) || o.gravity_decay_min <= 0.0) {
        throw input_error("gravity_decay_min must be > 0 (got " + std::to_string(o.gravity_decay_min) + ")");
    }
    if (!(o.max_snap_m > 0.0)) {
        throw input_error("max_snap_m must be > 0 (got " + std::to_string(o.max_snap_m) + ")");
    }
    if (!(o.catchment_buffer_m > 0.0) || !std::isfinite(o.catchment_buffer_m)) {
        throw input_error("catchment_buffer_m must be > 0 (road catchments are the reached roads grown by it)");
    }
    if (!(o.roads_clip_buffer_m >= 0.0) || !std::isfinite(o.roads_clip_buffer_m)) {
        throw input_error("roads_clip_buffer_m must be >= 0");
    }
    if (!(o.gravity_max_minutes > 0.0)) {
        throw input_error("gravity_max_minutes must be > 0 (got " + std::to_string(o.gravity_max_minutes) + ")");
    }
    if (!std::isfinite(o.local_minutes) || o.local_minutes <= 0.0 || o.local_minutes > 24 * 60) {
        throw input_error("local_minutes must be a number of minutes in (0, 1440] (got " +
                          std::to_string(o.local_minutes) + ")");
    }
    validate(o.commute);
    validate_building_fit(o.building_fit);
}

namespace {

/** Runs step(ctx) and adds its seconds to stage_seconds[name]. */
template <typename Step>
void timed(RunContext& ctx, const char* name, Step&& step) {
    stage_timer timer{ctx.result.stage_seconds, name};
    step(ctx);
}

} // namespace

RunResult run(const Territory& territory, const RunOptions& options, const progress_callback& progress,
              const std::vector<CriterionDef>& registry) {
    validate(options);
    RunContext ctx{territory, options, progress};
    ctx.report("graph", 0, 1);
    attach_graph(ctx); // times its own parts: adjacency and graph, or read roads and snap
    ctx.report("graph", 1, 1);
    timed(ctx, "catchments", site_catchments);
    timed(ctx, "commune catchments", commune_catchments);
    timed(ctx, "criteria", [&](RunContext& c) { compute_criteria(c, registry); });
    const std::map<std::string, double> weights = resolve_weights(ctx, registry);
    timed(ctx, "scoring", [&](RunContext& c) {
        score(c, weights);
        rank_stability(c);
    });
    return std::move(ctx.result);
}

RunResult run(const Territory& territory, const RunOptions& options, const progress_callback& progress) {
    return run(territory, options, progress, criteria_registry());
}

} // namespace tierslieux
