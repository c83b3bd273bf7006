// Broadband: fibre in the site's commune and across its catchment, and the people without it (ARCEP).
#include "criteria/registry.hpp"
#include "detail/text.hpp"
#include "run/context.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <set>

namespace tierslieux {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

/** Fibre share per commune code, or why the broadband criteria are skipped. */
struct fibre_shares {
    std::map<std::string, double> share;
    std::string skipped;

    double of(const Commune& c) const {
        const auto it = share.find(c.commune_code);
        return it == share.end() ? nan : it->second;
    }
}; // struct fibre_shares

const fibre_shares& shares(RunContext& ctx) {
    return ctx.family<fibre_shares>("broadband", [&] {
        fibre_shares out;
        if (ctx.territory.broadband.empty()) {
            out.skipped = "'" + ctx.territory.path + "' has no broadband layer (or it is empty)";
        }
        for (const auto& b : ctx.territory.broadband) {
            out.share[b.commune_code] = b.ftth_share;
        }
        return out;
    });
}

Computed in_commune(RunContext& ctx, int) {
    const fibre_shares& f = shares(ctx);
    if (!f.skipped.empty()) {
        return Computed::skip(f.skipped);
    }
    std::vector<double> values; // NaN where the site's commune has no figure: score_sites warns about it
    for (const auto& s : ctx.territory.sites) {
        const auto it = f.share.find(s.commune_code);
        values.push_back(it == f.share.end() ? nan : it->second);
    }
    return {std::move(values), {}};
}

Computed across_catchment(RunContext& ctx, int) {
    const fibre_shares& f = shares(ctx);
    if (!f.skipped.empty()) {
        return Computed::skip(f.skipped);
    }
    const double L = ctx.options.local_minutes;
    const auto& communes = ctx.territory.communes;
    std::set<std::string> without;
    std::vector<double> values = ctx.per_site([&](std::size_t i) {
        double people = 0.0, fibre = 0.0;
        for (const auto& [c, t] : ctx.site_communes[i]) {
            if (t > L) {
                continue;
            }
            const double x = f.of(communes[c]);
            if (std::isnan(x)) {
                without.insert(communes[c].commune_code);
                continue;
            }
            people += communes[c].population;
            fibre += communes[c].population * x;
        }
        return people > 0.0 ? fibre / people : nan;
    });
    if (!without.empty()) {
        ctx.warn("broadband_missing_rows", std::to_string(without.size()) + " commune(s) within " + detail::number(L) +
                 " minutes of a site have no broadband row; ftth_share_catchment and poor_broadband_pop leave them "
                 "out: " + detail::join_names(std::vector<std::string>(without.begin(), without.end()), 5),
                 std::vector<std::string>(without.begin(), without.end()));
    }
    return {std::move(values), {}};
}

Computed without_fibre(RunContext& ctx, int) {
    const fibre_shares& f = shares(ctx);
    if (!f.skipped.empty()) {
        return Computed::skip(f.skipped);
    }
    return {ctx.per_site([&](std::size_t i) {
                return ctx.within(i, ctx.options.local_minutes, [&](const Commune& c) {
                    const double x = f.of(c);
                    return std::isnan(x) ? 0.0 : c.population * (1.0 - x);
                });
            }),
            {}};
}

} // namespace

std::vector<CriterionDef> broadband_criteria() {
    return {
        {{"ftth_share", "broadband", "share of premises", Direction::more_is_better,
          "share of premises with fibre in its commune",
          "`broadband` layer",
          "no layer, or an empty one: skipped. The site's commune has no row: NaN for that site (see "
          "Scoring, step 2)",
          "`broadband.ftth_share` of the site's commune (`sites.commune_code`)"},
         0.10,
         in_commune},
        {{"ftth_share_catchment", "broadband", "share of premises", Direction::more_is_better,
          "share of premises with fibre across its catchment (population-weighted)",
          "`broadband` layer",
          "no layer: skipped. Communes without a row are left out of both sums, with one warning listing "
          "them",
          "Σ P(c) · f(c) / Σ P(c) over communes with t(s, c) ≤ L that have a row, f = `ftth_share`"},
         0.05,
         across_catchment},
        {{"poor_broadband_pop", "broadband", "people", Direction::more_is_better,
          "people without fibre at home within reach (demand booster)",
          "`broadband` layer, population",
          "no layer: skipped. Communes without a row are left out, with one warning listing them",
          "Σ P(c) · (1 − f(c)) over communes with t(s, c) ≤ L that have a row"},
         0.0,
         without_fibre},
    };
}

} // namespace tierslieux
