// Gap filling and competition: minutes to the nearest other candidate site and to the nearest existing tiers-lieu,
// and the people within reach shared with the existing tiers-lieux they also reach (2SFCA).
#include "criteria/families.hpp"
#include "criteria/registry.hpp"
#include "detail/text.hpp"
#include "run/context.hpp"

#include <cmath>
#include <limits>

namespace tierslieux {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

std::string counted(std::size_t n, const char* what) { return std::to_string(n) + " " + what; }

} // namespace

Competition competition(const Territory& territory, const Attachment& at, double local_minutes,
                        const std::vector<std::vector<std::pair<std::uint32_t, double>>>& catchment,
                        const detail::grouped_by_node& at_node) {
    Competition out;
    if (!territory.existing_tiers_lieux || territory.existing_tiers_lieux->empty()) {
        out.skipped = territory.existing_tiers_lieux
                          ? "the existing_tiers_lieux layer of '" + territory.path + "' is empty"
                          : "'" + territory.path + "' has no existing_tiers_lieux layer";
        return out;
    }
    const std::vector<ExistingTiersLieu>& existing = *territory.existing_tiers_lieux;
    const std::size_t nc = territory.communes.size();
    const std::size_t ns = territory.sites.size();
    const detail::joined_points places = detail::attach_places(territory, at, existing);
    if (!places.far.empty()) {
        out.warnings.push_back(detail::not_snapped_warning(places.far, "existing tiers-lieu(x)", at.max_snap_m,
                                                   "are left out of the competition criteria"));
    }
    std::vector<node_id> sources;
    std::vector<double> start;
    for (std::size_t i = 0; i < existing.size(); ++i) {
        if (!std::isnan(places.access[i])) {
            sources.push_back(places.node[i]);
            start.push_back(places.access[i]);
        }
    }
    out.minutes_to_existing.assign(ns, nan);
    out.demand_share.assign(ns, nan);
    out.commune_existing_within.assign(nc, nan);
    if (sources.empty()) {
        out.skipped = "no existing tiers-lieu of '" + territory.path + "' could be placed on the graph";
        return out;
    }
    const std::vector<double> from_existing = at.network.nearest_source_minutes(sources, start, inf);
    for (std::size_t c = 0; c < nc; ++c) {
        if (!std::isnan(at.commune_access[c])) {
            out.commune_existing_within[c] = 0.0;
        }
    }
    for (std::size_t i = 0; i < sources.size(); ++i) {
        if (start[i] > local_minutes) {
            continue;
        }
        const Reach reach = at.towards.reach(sources[i], local_minutes - start[i]);
        for (const node_id v : reach.nodes) {
            for (std::uint32_t a = at_node.first[v]; a < at_node.first[v + 1]; ++a) {
                out.commune_existing_within[at_node.item[a]] += 1.0;
            }
        }
    }
    std::vector<std::string> none;
    for (std::size_t s = 0; s < ns; ++s) {
        if (std::isnan(at.site_access[s])) {
            continue; // not snapped: NaN, reported by the pipeline
        }
        const double t = from_existing[at.site_node[s]] + at.site_access[s];
        if (std::isfinite(t)) {
            out.minutes_to_existing[s] = t;
        } else {
            none.push_back(territory.sites[s].site_id);
        }
        double share = 0.0;
        for (const auto& [c, minutes] : catchment[s]) {
            if (minutes <= local_minutes) {
                share += territory.communes[c].population / (1.0 + out.commune_existing_within[c]);
            }
        }
        out.demand_share[s] = share;
    }
    if (!none.empty()) {
        out.warnings.push_back({"existing_unreachable",
                                counted(none.size(), "site(s)") + " cannot be reached from any existing tiers-lieu "
                                    "(minutes_to_existing_tiers_lieu is NaN): " + detail::join_names(none, 5),
                                none});
    }
    return out;
}

namespace {

/** Competition for the run, computed once for its two criteria (warnings and communes column too). */
const Competition& competition_of(RunContext& ctx) {
    return ctx.family<Competition>("competition", [&] {
        Competition c = competition(ctx.territory, attachment_of(ctx), ctx.options.local_minutes,
                                    ctx.site_communes, ctx.indexes->communes_at_node);
        for (const Diagnostic& w : c.warnings) {
            ctx.warn(w);
        }
        if (c.skipped.empty()) {
            ctx.result.communes.columns.emplace_back("existing_tiers_lieux_within", c.commune_existing_within);
        }
        return c;
    });
}

template <std::vector<double> Competition::*figure>
Computed competition_figure(RunContext& ctx, int) {
    const Competition& c = competition_of(ctx);
    if (!c.skipped.empty()) {
        return Computed::skip(c.skipped);
    }
    return {c.*figure, {}};
}

} // namespace

std::vector<CriterionDef> competition_criteria() {
    return {
        {{"minutes_to_nearest_site", "gap filling", "minutes", Direction::more_is_better,
          "minutes to the nearest other candidate site (gap filling)",
          "graph, sites",
          "NaN when no other site can be reached",
          "min over other sites *o* of `access(s)` + path(s, o) + `access(o)`. On a road graph with "
          "one-way edges the path runs from *o* to *s*"},
         0.10,
         [](RunContext& ctx, int) { return Computed{ctx.nearest_site, {}}; }},
        {{"minutes_to_existing_tiers_lieu", "competition", "minutes", Direction::more_is_better,
          "minutes to the nearest existing tiers-lieu (gap filling)",
          "`existing_tiers_lieux` layer (docs/inputs.md)",
          "no layer, an empty one, or one whose places are all farther than `max_snap_m` from the roads: "
          "skipped. A site none can reach: NaN, with a warning (and, as for any NaN, the worst normalised "
          "value, although no competition is the best case for gap filling; it happens only on a graph in "
          "separate parts)",
          "min over existing tiers-lieux *e* of `access(e)` + path(e, s) + `access(s)` (more is better: "
          "gap filling)"},
         0.05,
         competition_figure<&Competition::minutes_to_existing>},
        {{"demand_share", "competition", "people", Direction::more_is_better,
          "people within reach, shared with the existing tiers-lieux they also reach (2SFCA)",
          "`existing_tiers_lieux` layer, population",
          "as `minutes_to_existing_tiers_lieu`: skipped (it would equal the population within L)",
          "Σ P(c) / (1 + N(c)) over communes with t(s, c) ≤ L, N(c) = number of existing tiers-lieux *e* "
          "with path(c, e) + access(e) ≤ L"},
         0.10,
         competition_figure<&Competition::demand_share>},
    };
}

} // namespace tierslieux
