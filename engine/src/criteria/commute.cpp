// Commute interception: commuters for whom a site is much closer than their place of work, the car kilometres and
// CO2 they would avoid (docs/criteria.md, "Commute interception").
#include "criteria/families.hpp"
#include "criteria/registry.hpp"
#include "detail/text.hpp"
#include "run/attach.hpp"
#include "run/context.hpp"

#include <tierslieux/errors.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>

namespace tierslieux {

void validate(const CommuteAssumptions& a) {
    auto check = [](double v, double lo, double hi, const char* name) {
        if (!std::isfinite(v) || v < lo || v > hi) {
            throw input_error(std::string{"commute assumption "} + name + " must be a number in [" +
                              detail::number(lo) + ", " + detail::number(hi) + "] (got " + detail::number(v) + ")");
        }
    };
    check(a.pole_commuter_share, 0.0, 1.0, "pole_commuter_share");
    check(a.max_ratio, 0.0, 1.0, "max_ratio");
    check(a.days_per_week, 0.0, 7.0, "days_per_week");
    check(a.weeks_per_year, 0.0, 53.0, "weeks_per_year");
    check(a.car_share, 0.0, 1.0, "car_share");
    check(a.co2_g_per_km, 0.0, 10000.0, "co2_g_per_km");
}

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

std::string counted(std::size_t n, const char* what) { return std::to_string(n) + " " + what; }
constexpr double inf = std::numeric_limits<double>::infinity();

/** A commute from a home commune to a place of work (a commune, or the nearest employment pole). */
struct commute {
    static constexpr std::uint32_t nearest_pole = std::numeric_limits<std::uint32_t>::max();
    std::uint32_t home;
    std::uint32_t work; ///< commune index, or nearest_pole
    double commuters;
}; // struct commute

/** The commutes of a territory, from the first source it has (docs/criteria.md), or why there are none. */
struct known_commutes {
    std::string source;
    std::string skipped;
    std::vector<commute> commutes;
    std::vector<Diagnostic> warnings;
}; // struct known_commutes

known_commutes find_commutes(const Territory& territory, const CommuteAssumptions& assumptions) {
    const std::size_t nc = territory.communes.size();
    known_commutes out;
    if (territory.commute_flows) {
        out.source = "commute_flows";
        for (const CommuteFlow& f : *territory.commute_flows) {
            const auto h = static_cast<std::uint32_t>(territory.commune_index(f.home_code));
            const auto w = static_cast<std::uint32_t>(territory.commune_index(f.work_code));
            if (h != w && f.workers > 0.0) {
                out.commutes.push_back({h, w, f.workers});
            }
        }
        if (out.commutes.empty()) {
            out.skipped = "the commute_flows table of '" + territory.path +
                          "' holds no flow between two different communes of the communes layer";
            return out;
        }
    } else if (territory.employment_poles) {
        out.source = "employment_poles";
        if (territory.employment_poles->empty()) {
            out.skipped = "the employment_poles layer of '" + territory.path + "' is empty";
            return out;
        }
        if (!territory.has_active_population) {
            out.skipped = "the communes layer of '" + territory.path + "' has no active_population field (commuters "
                          "to the employment poles are estimated from it)";
            return out;
        }
        std::vector<std::string> no_active;
        for (std::size_t c = 0; c < nc; ++c) {
            const Commune& k = territory.communes[c];
            if (!k.has_active_population) {
                no_active.push_back(k.commune_code + " " + k.name);
                continue;
            }
            out.commutes.push_back({static_cast<std::uint32_t>(c), commute::nearest_pole,
                                k.active_population * assumptions.pole_commuter_share});
        }
        if (!no_active.empty()) {
            out.warnings.push_back({"commute_no_active_population",
                                    "commute interception: " + counted(no_active.size(), "commune(s)") +
                                        " have no active_population (" + detail::join_names(no_active, 5) +
                                        "): their commutes are left out",
                                    no_active});
        }
    } else if (!territory.has_aav) {
        out.skipped = "'" + territory.path + "' has no commute_flows table, no employment_poles layer, and its "
                      "communes layer has no aav2020_code and aav2020_category fields to find each commune's "
                      "employment pole";
        return out;
    } else if (!territory.has_active_population) {
        out.skipped = "the communes layer of '" + territory.path + "' has no active_population field (commuters "
                      "are estimated from it when there is no commute_flows table)";
        return out;
    } else {
        out.source = "aav2020";
        std::map<std::string, std::uint32_t> pole;
        for (std::size_t c = 0; c < nc; ++c) {
            if (territory.communes[c].aav_category == 11) {
                pole[territory.communes[c].aav_code] = static_cast<std::uint32_t>(c);
            }
        }
        std::map<std::string, std::string> no_pole; // AAV code -> "code name" for the message
        std::size_t no_pole_belt = 0;
        std::size_t no_pole_study = 0;
        std::vector<std::string> no_active;
        for (std::size_t c = 0; c < nc; ++c) {
            const Commune& k = territory.communes[c];
            if (k.aav_category != 20) {
                continue; // poles work at home; communes outside any area send < 15 % to a pole: not counted
            }
            const auto p = pole.find(k.aav_code);
            if (p == pole.end()) {
                no_pole[k.aav_code] = k.aav_name.empty() ? k.aav_code : k.aav_code + " " + k.aav_name;
                ++no_pole_belt;
                no_pole_study += k.in_territory ? 1 : 0;
                continue;
            }
            if (!k.has_active_population) {
                no_active.push_back(k.commune_code + " " + k.name);
                continue;
            }
            out.commutes.push_back({static_cast<std::uint32_t>(c), p->second,
                                k.active_population * assumptions.pole_commuter_share});
        }
        if (!no_pole.empty()) {
            std::vector<std::string> areas;
            for (const auto& [code, label] : no_pole) {
                areas.push_back(label);
            }
            out.warnings.push_back(
                {"commute_pole_missing",
                 "commute interception: the commune-centre (aav2020_category 11) of " +
                     counted(no_pole.size(), "attraction area(s)") + " (" + detail::join_names(areas, 5) +
                     ") is not in the communes layer, so the commutes of their " +
                     counted(no_pole_belt, "commuter-belt commune(s)") + " (" + std::to_string(no_pole_study) +
                     " in the study area) are left out; add those centres to the communes layer to count them",
                 areas});
        }
        if (!no_active.empty()) {
            out.warnings.push_back({"commute_no_active_population",
                                    "commute interception: " + counted(no_active.size(), "commuter-belt commune(s)") +
                                        " have no active_population (" + detail::join_names(no_active, 5) +
                                        "): their commutes are left out",
                                    no_active});
        }
        if (out.commutes.empty()) {
            out.skipped = "no commuter-belt commune (aav2020_category 20) of '" + territory.path +
                          "' has its attraction area's pole and an active population in the communes layer, so "
                          "no commute is known";
            out.warnings.clear(); // the reason says it
            return out;
        }
    }
    return out;
}

/** Per home commune: what its commuters do (kept apart so that sums do not depend on the number of threads). */
struct home_figures {
    std::uint32_t home = 0;
    bool unknown = false; ///< town hall not snapped
    double commuters = 0.0, minutes_sum = 0.0, km_sum = 0.0;
    std::vector<std::tuple<std::size_t, double, double>> intercepted; ///< (site, commuters, km a year)
    std::vector<std::string> unplaced;
    double unplaced_commuters = 0.0;
}; // struct home_figures

/** The per-home figures summed per site and per commune, in home order. */
void sum_figures(const std::vector<home_figures>& figures, const CommuteAssumptions& assumptions,
                 CommuteInterception& out) {
    const std::size_t nc = out.commune_commuters.size();
    std::vector<std::string> unplaced;
    double unplaced_commuters = 0.0;
    std::vector<double> minutes_sum(nc, 0.0), km_sum(nc, 0.0), placed(nc, 0.0);
    for (const home_figures& f : figures) {
        unplaced.insert(unplaced.end(), f.unplaced.begin(), f.unplaced.end());
        unplaced_commuters += f.unplaced_commuters;
        if (f.unknown) {
            out.commune_commuters[f.home] = nan;
            continue;
        }
        out.commune_commuters[f.home] += f.commuters;
        placed[f.home] += f.commuters;
        minutes_sum[f.home] += f.minutes_sum;
        km_sum[f.home] += f.km_sum;
        for (const auto& [site, commuters, km] : f.intercepted) {
            out.commuters[site] += commuters;
            out.km_per_year[site] += km;
            out.co2_t_per_year[site] += km * assumptions.co2_g_per_km / 1e6;
        }
    }
    for (std::size_t c = 0; c < nc; ++c) {
        if (placed[c] > 0.0) {
            out.commune_minutes[c] = minutes_sum[c] / placed[c];
            out.commune_km[c] = km_sum[c] / placed[c];
        }
    }
    if (!unplaced.empty()) {
        out.warnings.push_back({"commute_unplaced",
                                "commute interception: " + counted(unplaced.size(), "commute(s)") + " (" +
                                    std::to_string(static_cast<long long>(std::lround(unplaced_commuters))) +
                                    " commuters) could not be placed on the graph (a town hall not snapped, or no "
                                    "path) and are left out: " + detail::join_names(unplaced, 5),
                                unplaced});
    }
}


} // namespace

CommuteInterception commute_interception(const Territory& territory, const Attachment& at, double local_minutes,
                                         const CommuteAssumptions& assumptions, unsigned threads) {
    const std::size_t nc = territory.communes.size();
    const std::size_t ns = territory.sites.size();
    CommuteInterception out;
    known_commutes known = find_commutes(territory, assumptions);
    out.source = known.source;
    out.skipped = known.skipped;
    out.warnings = std::move(known.warnings);
    if (!out.skipped.empty()) {
        return out;
    }
    std::vector<commute>& commutes = known.commutes;
    out.commuters.assign(ns, 0.0);
    out.km_per_year.assign(ns, 0.0);
    out.co2_t_per_year.assign(ns, 0.0);
    out.commune_commuters.assign(nc, 0.0);
    out.commune_minutes.assign(nc, nan);
    out.commune_km.assign(nc, nan);
    const double metres_per_minute = at.access_speed_kmh * 1000.0 / 60.0;
    const double trips_per_year = 2.0 * assumptions.days_per_week * assumptions.weeks_per_year;
    std::sort(commutes.begin(), commutes.end(),
              [](const commute& a, const commute& b) { return a.home < b.home; });
    const detail::joined_points poles =
        detail::attach_places(territory, at, territory.employment_poles.value_or(std::vector<Place>{}));
    if (!poles.far.empty()) {
        out.warnings.push_back(
            detail::not_snapped_warning(poles.far, "employment pole(s)", at.max_snap_m,
                                        "are left out of commute interception"));
    }
    if (out.source == "employment_poles" &&
        std::all_of(poles.access.begin(), poles.access.end(), [](double a) { return std::isnan(a); })) {
        CommuteInterception skipped;
        skipped.skipped = "no employment pole of '" + territory.path + "' could be placed on the graph";
        skipped.warnings = std::move(out.warnings);
        return skipped;
    }
    auto label = [&](std::uint32_t h, std::uint32_t w) {
        return territory.communes[h].commune_code + "->" +
               (w == commute::nearest_pole ? std::string{"nearest pole"} : territory.communes[w].commune_code);
    };
    // one search per home commune, on several threads; each home's figures are kept apart and summed in home
    // order afterwards, so the result does not depend on the number of threads
    std::vector<std::pair<std::size_t, std::size_t>> groups; // [begin, end) of each home's commutes
    for (std::size_t i = 0; i < commutes.size();) {
        std::size_t end = i;
        while (end < commutes.size() && commutes[end].home == commutes[i].home) {
            ++end;
        }
        groups.emplace_back(i, end);
        i = end;
    }
    std::vector<home_figures> figures(groups.size());
    // one two-label search (minutes, then metres) per home commune whose town hall is snapped
    std::vector<node_id> sources;
    std::vector<double> bounds;
    std::vector<std::vector<node_id>> targets;
    std::vector<std::size_t> searched; // group of each search
    for (std::size_t g = 0; g < groups.size(); ++g) {
        const auto [begin, end] = groups[g];
        const std::uint32_t h = commutes[begin].home;
        home_figures& f = figures[g];
        f.home = h;
        if (std::isnan(at.commune_access[h])) { // a town hall not snapped: its commutes are unknown (NaN), not zero
            f.unknown = true;
            for (std::size_t i = begin; i < end; ++i) {
                f.unplaced.push_back(label(h, commutes[i].work));
                f.unplaced_commuters += commutes[i].commuters;
            }
            continue;
        }
        std::vector<node_id> wanted;
        for (std::size_t i = begin; i < end; ++i) {
            if (commutes[i].work == commute::nearest_pole) {
                for (std::size_t p = 0; p < poles.node.size(); ++p) {
                    if (!std::isnan(poles.access[p])) {
                        wanted.push_back(poles.node[p]);
                    }
                }
            } else if (!std::isnan(at.commune_access[commutes[i].work])) {
                wanted.push_back(at.commune_node[commutes[i].work]);
            }
        }
        sources.push_back(at.commune_node[h]);
        bounds.push_back(std::max(0.0, local_minutes - at.commune_access[h]));
        targets.push_back(std::move(wanted));
        searched.push_back(g);
    }
    auto one_home = [&](std::size_t k, const Network::PathLengths& search) {
        const auto [begin, end] = groups[searched[k]];
        home_figures& f = figures[searched[k]];
        const std::uint32_t h = f.home;
        const double home_access = at.commune_access[h];
        for (std::size_t i = begin; i < end; ++i) {
            const commute& c = commutes[i];
            // the place of work: its node and access leg
            node_id work_node = 0;
            double work_access = nan;
            if (c.work == commute::nearest_pole) {
                double best = inf;
                for (std::size_t p = 0; p < poles.node.size(); ++p) {
                    const double t = search.minutes(poles.node[p]) + poles.access[p];
                    if (t < best) { // NaN access (not snapped) never wins
                        best = t;
                        work_node = poles.node[p];
                        work_access = poles.access[p];
                    }
                }
                if (std::isfinite(best) && work_node == at.commune_node[h]) {
                    continue; // the pole is at this commune's own node: people work where they live
                }
            } else {
                work_node = at.commune_node[c.work];
                work_access = at.commune_access[c.work];
            }
            const double t_work = home_access + search.minutes(work_node) + work_access;
            if (!std::isfinite(t_work)) {
                f.unplaced.push_back(label(h, c.work));
                f.unplaced_commuters += c.commuters;
                continue;
            }
            const double d_work = (home_access + work_access) * metres_per_minute + search.metres(work_node);
            f.commuters += c.commuters;
            f.minutes_sum += c.commuters * t_work;
            f.km_sum += c.commuters * d_work / 1000.0;
            for (std::size_t s = 0; s < ns; ++s) {
                const double t_site = home_access + search.minutes(at.site_node[s]) + at.site_access[s];
                if (!(t_site <= local_minutes) || t_site > assumptions.max_ratio * t_work) {
                    continue; // NaN (not snapped), unreachable, too far, or not much closer than work
                }
                const double d_site = (home_access + at.site_access[s]) * metres_per_minute +
                                      search.metres(at.site_node[s]);
                const double km = c.commuters * std::max(0.0, d_work - d_site) / 1000.0 * trips_per_year *
                                  assumptions.car_share;
                f.intercepted.emplace_back(s, c.commuters, km);
            }
        }
    };
    SearchOptions search_options;
    search_options.threads = threads;
    at.network.fastest_paths(sources, bounds, targets, one_home, search_options);
    sum_figures(figures, assumptions, out);
    return out;
}

Attachment attachment_of(const RunContext& ctx) {
    const CommuteGraph& g = ctx.result.graph;
    return Attachment{g.network,
                      ctx.towards(),
                      g.communes.node,
                      g.communes.access_minutes,
                      g.sites.node,
                      g.sites.access_minutes,
                      ctx.options.graph.access_speed_kmh,
                      g.kind == "osm",
                      ctx.options.max_snap_m,
                      ctx.options.graph.detour_factor};
}

namespace {

/** Commute interception for the run, computed once for its three criteria (warnings and communes columns too). */
const CommuteInterception& interception(RunContext& ctx) {
    return ctx.family<CommuteInterception>("commute", [&] {
        stage_timer timer{ctx.result.stage_seconds, "commutes"};
        CommuteInterception c =
            commute_interception(ctx.territory, attachment_of(ctx), ctx.options.local_minutes, ctx.options.commute);
        for (const Diagnostic& w : c.warnings) {
            ctx.warn(w);
        }
        if (c.skipped.empty()) {
            auto& columns = ctx.result.communes.columns;
            columns.emplace_back("commuters", c.commune_commuters);
            columns.emplace_back("commute_minutes", c.commune_minutes);
            columns.emplace_back("commute_km", c.commune_km);
            ctx.result.criteria.sources["commute"] = c.source;
        }
        return c;
    });
}

/** One of the per-site figures of commute interception; NaN at sites not snapped. */
template <std::vector<double> CommuteInterception::*figure>
Computed per_site_figure(RunContext& ctx, int) {
    const CommuteInterception& c = interception(ctx);
    if (!c.skipped.empty()) {
        return Computed::skip(c.skipped);
    }
    return {ctx.per_site([&](std::size_t i) { return (c.*figure)[i]; }), {}};
}

} // namespace

std::vector<CriterionDef> commute_criteria() {
    return {
        {{"commuters_intercepted", "commute", "people", Direction::more_is_better,
          "commuters for whom it is much closer than their work commune",
          "`commute_flows`, or `employment_poles` + `active_population`, or "
          "`communes.aav2020_code`/`aav2020_category` + `active_population` (in this order)",
          "none of these, or no commute found in them: skipped (never a column of zeros)",
          "Σ n(h, w) over intercepted commutes"},
         0.0,
         per_site_figure<&CommuteInterception::commuters>},
        {{"commute_km_avoided", "commute", "km per year", Direction::more_is_better,
          "car kilometres a year its intercepted commuters would not drive",
          "as `commuters_intercepted`",
          "as `commuters_intercepted`",
          "Σ n(h, w) · 2 · (d(h, w) − d(h, s)) · `days_per_week` · `weeks_per_year` · `car_share` over "
          "intercepted commutes (a negative difference counts 0)"},
         0.15,
         per_site_figure<&CommuteInterception::km_per_year>},
        {{"commute_co2_avoided", "commute", "tonnes CO2 per year", Direction::more_is_better,
          "tonnes of CO2 a year not emitted by those kilometres",
          "as `commuters_intercepted`",
          "as `commuters_intercepted`",
          "`commute_km_avoided` × `co2_g_per_km` / 10⁶"},
         0.0,
         per_site_figure<&CommuteInterception::co2_t_per_year>},
    };
}

} // namespace tierslieux
