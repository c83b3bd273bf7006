#pragma once
/**
 * @file context.hpp
 * The run as named steps over one context (docs/architecture.md): run() in pipeline.cpp calls attach_graph,
 * site_catchments, commune_catchments, compute_criteria, resolve_weights, score and rank_stability in turn; each
 * reads what the steps before it left in the RunContext and is testable alone. Run layer: only src/ and tests
 * include this.
 */

#include <tierslieux/pipeline.hpp>

#include "detail/csr.hpp"

#include <any>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace tierslieux {

struct CriterionDef; // criteria/registry.hpp: the criteria compute over this context

/** Indexes built once per run (by attach_graph) and reused by the steps and by to_layers. */
struct RunIndexes {
    /** Per network node, the snapped communes whose town hall joins it (items are commune indices). */
    detail::grouped_by_node communes_at_node;
}; // struct RunIndexes

/** A commune reached from a site: its index and the minutes (access legs included). */
using reached_commune = std::pair<std::uint32_t, double>;

/** What the steps of one run share: inputs, the result being built, and what the later steps need. */
struct RunContext {
    RunContext(const Territory& territory, const RunOptions& options, progress_callback progress = {});

    const Territory& territory;
    const RunOptions& options;
    progress_callback progress;
    RunResult result;

    // --- attach_graph
    /** The graph searched from places to get times *to* them (the reversed graph, or the graph when two-way). */
    const Network& towards() const { return m_reversed ? *m_reversed : result.graph.network; }
    std::shared_ptr<RunIndexes> indexes;

    // --- site_catchments
    int max_threshold = 0;  ///< largest catchment threshold (minutes)
    double bound = 0.0;     ///< largest of max_threshold, gravity_max_minutes and local_minutes
    /** Per site: the communes within `bound`, with their minutes (access included). */
    std::vector<std::vector<reached_commune>> site_communes;
    std::vector<std::vector<double>> pop; ///< [threshold][site]: people within T minutes
    std::vector<double> gravity;          ///< per site
    std::vector<double> nearest_site;     ///< per site: minutes to the nearest other site (NaN: none)

    /** Calls the progress callback, if any. */
    void report(const std::string& stage, std::size_t done, std::size_t total) const;
    /** Adds a warning to the result: its code, text and the ids it concerns (criteria, sites, communes). */
    void warn(std::string code, std::string text, std::vector<std::string> ids = {});
    void warn(Diagnostic diagnostic);
    /** Leaves a criterion out, with its reason (also a warning). */
    void skip(const std::string& name, const std::string& reason);

    /** Per site: value(i) where the site is snapped, NaN elsewhere. */
    std::vector<double> per_site(const std::function<double(std::size_t)>& value) const;
    /** Sum of value(commune) over the communes site i reaches within T minutes. */
    double within(std::size_t site, double T, const std::function<double(const Commune&)>& value) const;

    /**
     * What one family of criteria computes once for all its criteria (commute interception, competition…):
     * compute() on first use, kept under `key` for the next ones.
     */
    template <typename T, typename Compute>
    T& family(const std::string& key, Compute&& compute) {
        auto it = m_families.find(key);
        if (it == m_families.end()) {
            it = m_families.emplace(key, std::make_shared<T>(compute())).first;
        }
        return *std::any_cast<std::shared_ptr<T>>(it->second);
    }

    /** Sets the reversed graph (attach_graph). */
    void set_reversed(std::unique_ptr<Network> reversed) { m_reversed = std::move(reversed); }

private:
    std::unique_ptr<Network> m_reversed;
    std::map<std::string, std::any> m_families;
}; // struct RunContext

/** Adds the seconds from its construction to its end to stage_seconds[name]. */
class stage_timer {
public:
    stage_timer(std::map<std::string, double>& out, std::string name)
        : m_out(out), m_name(std::move(name)), m_start(std::chrono::steady_clock::now()) {}
    ~stage_timer() {
        m_out[m_name] += std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    }
    stage_timer(const stage_timer&) = delete;
    stage_timer& operator=(const stage_timer&) = delete;

private:
    std::map<std::string, double>& m_out;
    std::string m_name;
    std::chrono::steady_clock::time_point m_start;
}; // class stage_timer

/** The commute graph (commune graph, or the roads of options.roads_path) with communes and sites joined to it. */
void attach_graph(RunContext& ctx);
/** Per site: people within each threshold, gravity, nearest other site, catchment nodes, communes within reach. */
void site_catchments(RunContext& ctx);
/** Per commune: minutes to the nearest site (one multi-source search) and people within each threshold. */
void commune_catchments(RunContext& ctx);
/** Every criterion of the registry, in its order: computed, or skipped with its reason. */
void compute_criteria(RunContext& ctx, const std::vector<CriterionDef>& registry);
/** Weights of the criteria computed: their defaults, then the caller's (a weight for a skipped one is an error). */
std::map<std::string, double> resolve_weights(const RunContext& ctx, const std::vector<CriterionDef>& registry);
/** Normalised, weighted scores and ranks (scoring.hpp). */
void score(RunContext& ctx, const std::map<std::string, double>& weights);
/** Rank stability under weight draws (options.stability; nothing when draws == 0). */
void rank_stability(RunContext& ctx);

/** run() with another registry of criteria (tests add one; the engine's is criteria_registry()). */
RunResult run(const Territory& territory, const RunOptions& options, const progress_callback& progress,
              const std::vector<CriterionDef>& registry);


} // namespace tierslieux
