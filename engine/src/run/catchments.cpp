// Steps site_catchments and commune_catchments: who reaches each site, and what each commune reaches.
#include "run/context.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tierslieux {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

/**
 * Minutes from site i to the nearest other snapped site among those whose node has a time in minutes_at (inf:
 * not reached), folded into `nearest` (NaN: none yet).
 */
void fold_nearest_site(const PlacesOnGraph& sites, std::size_t i, const std::vector<double>& minutes_at,
                       double& nearest) {
    const double access = sites.access_minutes[i];
    for (std::size_t o = 0; o < sites.node.size(); ++o) {
        const double t = minutes_at[sites.node[o]];
        if (o != i && std::isfinite(t) && !std::isnan(sites.access_minutes[o])) {
            const double total = access + t + sites.access_minutes[o];
            nearest = std::isnan(nearest) ? total : std::min(nearest, total);
        }
    }
}

/** The search of one snapped site: its catchment figures, nearest other site and catchment nodes. */
void one_site(RunContext& ctx, std::size_t i, std::vector<double>& node_minutes) {
    const RunOptions& o = ctx.options;
    const PlacesOnGraph& sites = ctx.result.graph.sites;
    const auto& at_node = ctx.indexes->communes_at_node;
    const std::size_t nt = o.thresholds_min.size();
    const double access = sites.access_minutes[i];
    for (std::size_t k = 0; k < nt; ++k) {
        ctx.pop[k][i] = 0.0;
    }
    ctx.gravity[i] = 0.0;
    Reach reach = ctx.towards().reach(sites.node[i], ctx.bound);
    for (std::size_t j = 0; j < reach.nodes.size(); ++j) {
        const node_id v = reach.nodes[j];
        const double t = access + reach.minutes[j];
        node_minutes[v] = reach.minutes[j];
        for (std::uint32_t a = at_node.first[v]; a < at_node.first[v + 1]; ++a) {
            const Commune& c = ctx.territory.communes[at_node.item[a]];
            if (t <= ctx.bound) {
                ctx.site_communes[i].emplace_back(at_node.item[a], t);
            }
            for (std::size_t k = 0; k < nt; ++k) {
                if (t <= o.thresholds_min[k]) {
                    ctx.pop[k][i] += c.population;
                }
            }
            if (t <= o.gravity_max_minutes) {
                ctx.gravity[i] += c.population * std::exp(-t / o.gravity_decay_min);
            }
        }
    }
    fold_nearest_site(sites, i, node_minutes, ctx.nearest_site[i]);
    for (const node_id v : reach.nodes) {
        node_minutes[v] = inf;
    }
    // a site beyond the bound is more than access + bound away: only then can one be nearer than the best
    if (std::isnan(ctx.nearest_site[i]) || ctx.nearest_site[i] > access + ctx.bound) {
        const Reach far = ctx.towards().reach(sites.node[i], inf);
        for (std::size_t j = 0; j < far.nodes.size(); ++j) {
            node_minutes[far.nodes[j]] = far.minutes[j];
        }
        fold_nearest_site(sites, i, node_minutes, ctx.nearest_site[i]);
        std::fill(node_minutes.begin(), node_minutes.end(), inf);
    }
    // keep what the catchment polygons need: nodes within the largest threshold
    Reach kept;
    for (std::size_t j = 0; j < reach.nodes.size(); ++j) {
        if (access + reach.minutes[j] <= ctx.max_threshold) {
            kept.nodes.push_back(reach.nodes[j]);
            kept.minutes.push_back(access + reach.minutes[j]);
        }
    }
    ctx.result.catchment_reach[i] = std::move(kept);
}

} // namespace

void site_catchments(RunContext& ctx) {
    const RunOptions& o = ctx.options;
    const std::size_t ns = ctx.territory.sites.size();
    ctx.max_threshold = *std::max_element(o.thresholds_min.begin(), o.thresholds_min.end());
    ctx.bound = std::max({static_cast<double>(ctx.max_threshold), o.gravity_max_minutes, o.local_minutes});
    ctx.site_communes.assign(ns, {});
    ctx.pop.assign(o.thresholds_min.size(), std::vector<double>(ns, nan));
    ctx.gravity.assign(ns, nan);
    ctx.nearest_site.assign(ns, nan);
    ctx.result.catchment_reach.assign(ns, Reach{});
    std::vector<double> node_minutes(ctx.result.graph.network.node_count(), inf);
    for (std::size_t i = 0; i < ns; ++i) {
        ctx.report("catchments", i, ns);
        if (!std::isnan(ctx.result.graph.sites.access_minutes[i])) { // not snapped: NaN metrics, already reported
            one_site(ctx, i, node_minutes);
        }
    }
    ctx.report("catchments", ns, ns);
}

void commune_catchments(RunContext& ctx) {
    const RunOptions& o = ctx.options;
    const CommuteGraph& g = ctx.result.graph;
    const auto& at_node = ctx.indexes->communes_at_node;
    CommuneResults& out = ctx.result.communes;
    const std::size_t nc = ctx.territory.communes.size();
    const std::size_t nt = o.thresholds_min.size();
    std::vector<node_id> sources;
    std::vector<double> start;
    for (std::size_t i = 0; i < g.sites.node.size(); ++i) {
        if (!std::isnan(g.sites.access_minutes[i])) {
            sources.push_back(g.sites.node[i]);
            start.push_back(g.sites.access_minutes[i]);
        }
    }
    // the reversed graph searched from the sites gives times from every node to its nearest site
    const std::vector<double> to_site = sources.empty() ? std::vector<double>(g.network.node_count(), nan)
                                                        : ctx.towards().nearest_source_minutes(sources, start, inf);
    out.pop.assign(nt, std::vector<double>(nc, nan));
    out.minutes_to_nearest_site.clear();
    std::vector<std::string> unreachable;
    for (std::size_t k = 0; k < nc; ++k) {
        ctx.report("commune catchments", k, nc);
        const double access = g.communes.access_minutes[k];
        const double t = std::isnan(access) ? nan : to_site[g.communes.node[k]] + access;
        out.minutes_to_nearest_site.push_back(t);
        if (std::isnan(t)) {
            ++out.unreachable;
            unreachable.push_back(ctx.territory.communes[k].commune_code);
        }
        if (std::isnan(access)) {
            continue;
        }
        for (std::size_t q = 0; q < nt; ++q) {
            out.pop[q][k] = 0.0;
        }
        const Reach reach = ctx.towards().reach(g.communes.node[k], std::max(0.0, ctx.max_threshold - access));
        for (std::size_t j = 0; j < reach.nodes.size(); ++j) {
            const node_id v = reach.nodes[j];
            for (std::uint32_t a = at_node.first[v]; a < at_node.first[v + 1]; ++a) {
                for (std::size_t q = 0; q < nt; ++q) {
                    if (access + reach.minutes[j] <= o.thresholds_min[q]) {
                        out.pop[q][k] += ctx.territory.communes[at_node.item[a]].population;
                    }
                }
            }
        }
    }
    ctx.report("commune catchments", nc, nc);
    if (out.unreachable > 0) {
        ctx.warn("communes_unreachable", std::to_string(out.unreachable) +
                 " commune(s) cannot reach any site: minutes_to_nearest_site is NaN for them", unreachable);
    }
}

} // namespace tierslieux
