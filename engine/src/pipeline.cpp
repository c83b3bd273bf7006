#include <tierslieux/errors.hpp>
#include <tierslieux/pipeline.hpp>

#include "detail/attach.hpp"
#include "detail/csr.hpp"
#include "detail/site_criteria.hpp"
#include "detail/text.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>
#include <sstream>

namespace tierslieux {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

std::string pop_name(int minutes) { return "pop_" + std::to_string(minutes) + "min"; }
std::string active_name(int minutes) { return "active_" + std::to_string(minutes) + "min"; }

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

} // namespace

std::map<std::string, double> default_weights(const std::vector<int>& thresholds_min) {
    // demand 0.45, broadband 0.15, commute 0.15, building 0.15, gap filling 0.10 (+ 0.15 with existing
    // tiers-lieux): the families of docs/criteria.md; a judgement, meant to be changed
    std::map<std::string, double> w{{"gravity_access", 0.15},
                                    {"ftth_share", 0.10},
                                    {"ftth_share_catchment", 0.05},
                                    {"commute_km_avoided", 0.15},
                                    {"building_fit", 0.10},
                                    {"hybridity", 0.05},
                                    {"minutes_to_nearest_site", 0.10},
                                    {"minutes_to_existing_tiers_lieu", 0.05},
                                    {"demand_share", 0.10}};
    for (const int t : thresholds_min) {
        w[pop_name(t)] = 0.30 / static_cast<double>(thresholds_min.size());
    }
    return w;
}

namespace {

/** The commute graph of a run and where communes and sites join it. */
struct attached_graph {
    Network network;
    std::vector<node_id> commune_node, site_node;
    std::vector<double> commune_access, site_access; ///< minutes from the point to its node
    std::vector<double> commune_snap_m, site_snap_m; ///< straight metres from the point to its node
    std::vector<std::vector<Point>> edge_geometry;   ///< road geometry per edge (empty: straight lines)
    std::vector<std::string> warnings;
    std::string kind;
}; // struct attached_graph

attached_graph commune_graph(const Territory& territory, const RunOptions& options,
                             std::map<std::string, double>& seconds) {
    std::vector<std::pair<std::size_t, std::size_t>> adjacency;
    {
        stage_timer timer{seconds, "adjacency"};
        std::vector<Geometry> polygons;
        polygons.reserve(territory.communes.size());
        for (const auto& c : territory.communes) {
            polygons.push_back(c.geometry.clone());
        }
        adjacency = adjacent_pairs(polygons, options.adjacency_tolerance_m);
    }
    std::vector<Point> halls;
    for (const auto& c : territory.communes) {
        halls.push_back(c.town_hall);
    }
    stage_timer timer{seconds, "graph"};
    attached_graph g{build_commune_graph(halls, adjacency, options.graph), {}, {}, {}, {}, {}, {}, {}, {}, "commune"};
    for (std::size_t k = 0; k < territory.communes.size(); ++k) {
        g.commune_node.push_back(static_cast<node_id>(k));
        g.commune_access.push_back(0.0);
        g.commune_snap_m.push_back(0.0);
    }
    detail::joined_points sites;
    for (const auto& s : territory.sites) {
        detail::join_at_town_hall(territory, s.location, s.commune_code, options.graph.detour_factor,
                                  options.graph.access_speed_kmh, sites);
    }
    g.site_node = std::move(sites.node);
    g.site_snap_m = std::move(sites.snap_m);
    g.site_access = std::move(sites.access);
    const std::size_t components = g.network.component_count();
    if (components > 1) {
        g.warnings.push_back("the commune graph has " + std::to_string(components) +
                             " separate parts (communes with no neighbour sharing a border): travel between parts "
                             "is impossible, so some times are NaN");
    }
    return g;
}

attached_graph road_graph(const Territory& territory, const RunOptions& options,
                          std::map<std::string, double>& seconds) {
    OsmReadOptions read;
    read.profile = options.roads_profile;
    read.clip_buffer_m = options.roads_clip_buffer_m;
    read.crs = territory.crs;
    {
        // clip: every commune of the file (territory and neighbours), grown by clip_buffer_m
        std::vector<Geometry> polygons;
        for (const auto& c : territory.communes) {
            polygons.push_back(c.geometry.clone());
        }
        read.clip = union_of(polygons);
    }
    RoadGraph roads = [&] {
        stage_timer timer{seconds, "read roads"};
        return read_osm_roads(options.roads_path, read);
    }();
    stage_timer timer{seconds, "snap"};
    attached_graph g{roads.to_network(), {}, {}, {}, {}, {}, {}, std::move(roads.geometry), {}, "osm"};
    const OsmReport& rep = roads.report;
    if (rep.dropped_nodes > 0) {
        g.warnings.push_back("road graph of '" + options.roads_path + "': kept the largest of " +
                             std::to_string(rep.components) + " strongly connected parts (" +
                             std::to_string(g.network.node_count()) + " nodes, " + std::to_string(rep.kept_km) +
                             " km); dropped " + std::to_string(rep.dropped_nodes) + " nodes, " +
                             std::to_string(rep.dropped_edges) + " edges, " + std::to_string(rep.dropped_km) +
                             " km");
    }
    auto attach = [&](const std::vector<Point>& points, const std::vector<std::string>& names, const char* what,
                      std::vector<node_id>& node, std::vector<double>& snap_m, std::vector<double>& access) {
        detail::joined_points joined = detail::snap_to_roads(g.network, points, names, options.max_snap_m,
                                                             options.graph.access_speed_kmh);
        if (!joined.far.empty()) {
            g.warnings.push_back(detail::not_snapped_warning(
                joined.far, what, options.max_snap_m,
                "were not snapped (their times are NaN; column snapped = false)"));
        }
        node = std::move(joined.node);
        snap_m = std::move(joined.snap_m);
        access = std::move(joined.access);
    };
    std::vector<Point> halls, sites;
    std::vector<std::string> hall_names, site_names;
    for (const auto& c : territory.communes) {
        halls.push_back(c.town_hall);
        hall_names.push_back(c.commune_code + " " + c.name);
    }
    for (const auto& s : territory.sites) {
        sites.push_back(s.location);
        site_names.push_back(s.site_id);
    }
    attach(halls, hall_names, "town hall", g.commune_node, g.commune_snap_m, g.commune_access);
    attach(sites, site_names, "site", g.site_node, g.site_snap_m, g.site_access);
    return g;
}

/** Per point: true when it was snapped to the graph (its access minutes are a number). */
std::vector<bool> snapped(const std::vector<double>& access) {
    std::vector<bool> out;
    for (const double a : access) {
        out.push_back(!std::isnan(a));
    }
    return out;
}

/** For each network node, the snapped communes attached to it (CSR; items are commune indices). */
detail::grouped_by_node communes_by_node(std::size_t node_count, const std::vector<node_id>& node,
                                         const std::vector<double>& access) {
    return detail::grouped_by_node{node_count, node, snapped(access)};
}

} // namespace

RunResult run(const Territory& territory, const RunOptions& options, const progress_callback& progress) {
    validate(options);
    auto report = [&](const std::string& stage, std::size_t done, std::size_t total) {
        if (progress) {
            progress(stage, done, total);
        }
    };
    std::map<std::string, double> seconds;
    const std::size_t nc = territory.communes.size();
    const std::size_t ns = territory.sites.size();
    const std::size_t nt = options.thresholds_min.size();

    // --- commute graph, communes and sites attached to it
    report("graph", 0, 1);
    attached_graph g = options.roads_path.empty() ? commune_graph(territory, options, seconds)
                                                  : road_graph(territory, options, seconds);
    report("graph", 1, 1);
    RunResult r{std::move(g.network)};
    r.graph_kind = g.kind;
    r.edge_geometry = std::move(g.edge_geometry);
    r.commune_node = std::move(g.commune_node);
    r.commune_access_minutes = std::move(g.commune_access);
    r.commune_snap_m = std::move(g.commune_snap_m);
    r.site_node = std::move(g.site_node);
    r.site_access_minutes = std::move(g.site_access);
    r.site_snap_m = std::move(g.site_snap_m);
    r.warnings = territory.warnings;
    r.warnings.insert(r.warnings.end(), g.warnings.begin(), g.warnings.end());
    r.thresholds_min = options.thresholds_min;
    // People travel to the site: search the reversed graph from the site (identical when every edge is two-way).
    const Network reversed_storage = r.network.is_twoway() ? Network{{}, {}, true} : r.network.reversed();
    const Network& towards = r.network.is_twoway() ? r.network : reversed_storage;
    const detail::grouped_by_node at_node = communes_by_node(r.network.node_count(), r.commune_node, r.commune_access_minutes);
    const int max_t = *std::max_element(options.thresholds_min.begin(), options.thresholds_min.end());
    const double bound = std::max({static_cast<double>(max_t), options.gravity_max_minutes, options.local_minutes});
    // per site: the communes within `bound` and their minutes (access included), for the catchment criteria
    std::vector<std::vector<std::pair<std::uint32_t, double>>> site_communes(ns);

    // --- per site: population within each threshold, gravity, catchment nodes, nearest other site
    std::vector<std::vector<double>> pop(nt, std::vector<double>(ns, nan));
    std::vector<double> gravity(ns, nan);
    std::vector<double> nearest_site(ns, nan);
    r.catchment_reach.resize(ns);
    {
        stage_timer timer{seconds, "catchments"};
        std::vector<double> node_minutes(r.network.node_count(), inf);
        for (std::size_t i = 0; i < ns; ++i) {
            report("catchments", i, ns);
            const double access = r.site_access_minutes[i];
            if (std::isnan(access)) {
                continue; // not snapped: NaN metrics, reported by road_graph
            }
            for (std::size_t k = 0; k < nt; ++k) {
                pop[k][i] = 0.0;
            }
            gravity[i] = 0.0;
            Reach reach = towards.reach(r.site_node[i], bound);
            for (std::size_t j = 0; j < reach.nodes.size(); ++j) {
                const node_id v = reach.nodes[j];
                const double t = access + reach.minutes[j];
                node_minutes[v] = reach.minutes[j];
                for (std::uint32_t a = at_node.first[v]; a < at_node.first[v + 1]; ++a) {
                    const Commune& c = territory.communes[at_node.item[a]];
                    if (t <= bound) {
                        site_communes[i].emplace_back(at_node.item[a], t);
                    }
                    for (std::size_t k = 0; k < nt; ++k) {
                        if (t <= options.thresholds_min[k]) {
                            pop[k][i] += c.population;
                        }
                    }
                    if (t <= options.gravity_max_minutes) {
                        gravity[i] += c.population * std::exp(-t / options.gravity_decay_min);
                    }
                }
            }
            auto nearest_from = [&](const std::vector<double>& minutes_at) {
                for (std::size_t o = 0; o < ns; ++o) {
                    const double t = minutes_at[r.site_node[o]];
                    if (o != i && std::isfinite(t) && !std::isnan(r.site_access_minutes[o])) {
                        const double total = access + t + r.site_access_minutes[o];
                        nearest_site[i] = std::isnan(nearest_site[i]) ? total : std::min(nearest_site[i], total);
                    }
                }
            };
            nearest_from(node_minutes);
            for (const node_id v : reach.nodes) {
                node_minutes[v] = inf;
            }
            // a site beyond the bound is more than access + bound away: only then can one be nearer than the best
            if (std::isnan(nearest_site[i]) || nearest_site[i] > access + bound) {
                const Reach far = towards.reach(r.site_node[i], inf);
                for (std::size_t j = 0; j < far.nodes.size(); ++j) {
                    node_minutes[far.nodes[j]] = far.minutes[j];
                }
                nearest_from(node_minutes);
                std::fill(node_minutes.begin(), node_minutes.end(), inf);
            }
            // keep what the catchment polygons need: nodes within the largest threshold
            Reach kept;
            for (std::size_t j = 0; j < reach.nodes.size(); ++j) {
                if (access + reach.minutes[j] <= max_t) {
                    kept.nodes.push_back(reach.nodes[j]);
                    kept.minutes.push_back(access + reach.minutes[j]);
                }
            }
            r.catchment_reach[i] = std::move(kept);
        }
        report("catchments", ns, ns);
    }

    // --- per commune: minutes to the nearest site (one multi-source search), population around it (for maps)
    {
        stage_timer timer{seconds, "commune catchments"};
        std::vector<node_id> sources;
        std::vector<double> start;
        for (std::size_t i = 0; i < ns; ++i) {
            if (!std::isnan(r.site_access_minutes[i])) {
                sources.push_back(r.site_node[i]);
                start.push_back(r.site_access_minutes[i]);
            }
        }
        // towards (the reversed graph) searched from the sites gives times from every node to its nearest site
        const Network& from_sites = towards;
        const std::vector<double> to_site = sources.empty() ? std::vector<double>(r.network.node_count(), nan)
                                                            : from_sites.nearest_source_minutes(sources, start, inf);
        r.commune_pop.assign(nt, std::vector<double>(nc, nan));
        for (std::size_t k = 0; k < nc; ++k) {
            report("commune catchments", k, nc);
            const double access = r.commune_access_minutes[k];
            const double t = std::isnan(access) ? nan : to_site[r.commune_node[k]] + access;
            r.commune_minutes_to_nearest_site.push_back(t);
            r.communes_unreachable += std::isnan(t) ? 1 : 0;
            if (std::isnan(access)) {
                continue;
            }
            for (std::size_t q = 0; q < nt; ++q) {
                r.commune_pop[q][k] = 0.0;
            }
            const Reach reach = towards.reach(r.commune_node[k], std::max(0.0, max_t - access));
            for (std::size_t j = 0; j < reach.nodes.size(); ++j) {
                const node_id v = reach.nodes[j];
                for (std::uint32_t a = at_node.first[v]; a < at_node.first[v + 1]; ++a) {
                    for (std::size_t q = 0; q < nt; ++q) {
                        if (access + reach.minutes[j] <= options.thresholds_min[q]) {
                            r.commune_pop[q][k] += territory.communes[at_node.item[a]].population;
                        }
                    }
                }
            }
        }
        report("commune catchments", nc, nc);
    }
    if (r.communes_unreachable > 0) {
        r.warnings.push_back(std::to_string(r.communes_unreachable) +
                             " commune(s) cannot reach any site: minutes_to_nearest_site is NaN for them");
    }

    // --- criteria (docs/criteria.md); each one whose input is missing is skipped with its reason
    auto skip = [&](const std::string& name, const std::string& reason) {
        r.skipped.push_back({name, reason});
        r.warnings.push_back("criterion '" + name + "' is skipped: " + reason);
    };
    auto within = [&](std::size_t i, double T, const std::function<double(const Commune&)>& value) {
        double sum = 0.0;
        for (const auto& [c, t] : site_communes[i]) {
            if (t <= T) {
                sum += value(territory.communes[c]);
            }
        }
        return sum;
    };
    auto per_site = [&](const std::function<double(std::size_t)>& value) {
        std::vector<double> out(ns, nan);
        for (std::size_t i = 0; i < ns; ++i) {
            if (!std::isnan(r.site_access_minutes[i])) {
                out[i] = value(i);
            }
        }
        return out;
    };
    const double L = options.local_minutes;
    // demand
    for (std::size_t k = 0; k < nt; ++k) {
        r.criteria.push_back({pop_name(options.thresholds_min[k]), "people", Direction::more_is_better, pop[k]});
    }
    for (std::size_t k = 0; k < nt; ++k) {
        const std::string name = active_name(options.thresholds_min[k]);
        if (!territory.has_active_population) {
            skip(name, "the communes layer of '" + territory.path + "' has no active_population field");
            continue;
        }
        const double T = options.thresholds_min[k];
        std::vector<std::string> unknown;
        std::vector<double> values = per_site([&](std::size_t i) {
            bool complete = true;
            const double sum = within(i, T, [&](const Commune& c) {
                complete = complete && c.has_active_population;
                return c.active_population;
            });
            if (!complete) {
                unknown.push_back(territory.sites[i].site_id);
            }
            return complete ? sum : nan;
        });
        if (!unknown.empty()) {
            r.warnings.push_back("criterion '" + name + "': " + std::to_string(unknown.size()) +
                                 " site(s) reach a commune without active_population, so their value is unknown "
                                 "(NaN): " + detail::join_names(unknown, 5));
        }
        r.criteria.push_back({name, "people", Direction::more_is_better, std::move(values)});
    }
    r.criteria.push_back({"gravity_access", "people (decay-weighted)", Direction::more_is_better, gravity});
    // broadband
    if (!territory.broadband.empty()) {
        std::map<std::string, double> share;
        for (const auto& b : territory.broadband) {
            share[b.commune_code] = b.ftth_share;
        }
        std::vector<double> values; // NaN where the site's commune has no figure: score_sites warns about it
        for (const auto& s : territory.sites) {
            const auto it = share.find(s.commune_code);
            values.push_back(it == share.end() ? nan : it->second);
        }
        r.criteria.push_back({"ftth_share", "share of premises", Direction::more_is_better, values});
        std::set<std::string> without;
        auto share_of = [&](const Commune& c) {
            const auto it = share.find(c.commune_code);
            if (it == share.end()) {
                without.insert(c.commune_code);
                return nan;
            }
            return it->second;
        };
        const std::vector<double> catchment = per_site([&](std::size_t i) {
            double people = 0.0, fibre = 0.0;
            for (const auto& [c, t] : site_communes[i]) {
                const double x = t <= L ? share_of(territory.communes[c]) : nan;
                if (!std::isnan(x)) {
                    people += territory.communes[c].population;
                    fibre += territory.communes[c].population * x;
                }
            }
            return people > 0.0 ? fibre / people : nan;
        });
        const std::vector<double> poor = per_site([&](std::size_t i) {
            return within(i, L, [&](const Commune& c) {
                const double x = share_of(c);
                return std::isnan(x) ? 0.0 : c.population * (1.0 - x);
            });
        });
        if (!without.empty()) {
            std::ostringstream minutes;
            minutes << L;
            r.warnings.push_back(std::to_string(without.size()) + " commune(s) within " + minutes.str() +
                                 " minutes of a site have no broadband row; ftth_share_catchment and "
                                 "poor_broadband_pop leave them out: " +
                                 detail::join_names(std::vector<std::string>(without.begin(), without.end()), 5));
        }
        r.criteria.push_back({"ftth_share_catchment", "share of premises", Direction::more_is_better, catchment});
        r.criteria.push_back({"poor_broadband_pop", "people", Direction::more_is_better, poor});
    } else {
        const std::string why = "'" + territory.path + "' has no broadband layer (or it is empty)";
        for (const char* name : {"ftth_share", "ftth_share_catchment", "poor_broadband_pop"}) {
            skip(name, why);
        }
    }
    // commute interception
    const detail::Attachment attachment{r.network,
                                        towards,
                                        r.commune_node,
                                        r.commune_access_minutes,
                                        r.site_node,
                                        r.site_access_minutes,
                                        options.graph.access_speed_kmh,
                                        r.graph_kind == "osm",
                                        options.max_snap_m,
                                        options.graph.detour_factor};
    {
        stage_timer timer{seconds, "commutes"};
        detail::CommuteInterception commute =
            detail::commute_interception(territory, attachment, L, options.commute);
        r.warnings.insert(r.warnings.end(), commute.warnings.begin(), commute.warnings.end());
        if (!commute.skipped.empty()) {
            for (const char* name : {"commuters_intercepted", "commute_km_avoided", "commute_co2_avoided"}) {
                skip(name, commute.skipped);
            }
        } else {
            auto unsnapped_nan = [&](std::vector<double> v) {
                for (std::size_t i = 0; i < ns; ++i) {
                    v[i] = std::isnan(r.site_access_minutes[i]) ? nan : v[i];
                }
                return v;
            };
            r.criteria.push_back({"commuters_intercepted", "people", Direction::more_is_better,
                                  unsnapped_nan(commute.commuters)});
            r.criteria.push_back({"commute_km_avoided", "km per year", Direction::more_is_better,
                                  unsnapped_nan(commute.km_per_year)});
            r.criteria.push_back({"commute_co2_avoided", "tonnes CO2 per year", Direction::more_is_better,
                                  unsnapped_nan(commute.co2_t_per_year)});
            r.commune_commuters = std::move(commute.commune_commuters);
            r.commune_commute_minutes = std::move(commute.commune_minutes);
            r.commune_commute_km = std::move(commute.commune_km);
            r.commute_source = commute.source;
        }
    }
    // building
    {
        std::map<std::string, double> fit = default_building_fit();
        for (const auto& [kind, value] : options.building_fit) {
            fit[kind] = value;
        }
        std::set<std::string> unlisted;
        std::vector<double> values, services;
        bool any_service = false;
        for (const auto& s : territory.sites) {
            const auto it = fit.find(s.kind);
            if (it == fit.end()) {
                unlisted.insert(s.kind);
            }
            values.push_back(it != fit.end() ? it->second : fit.count("other") ? fit.at("other") : nan);
            services.push_back(hybridity(s.services));
            any_service = any_service || services.back() > 0;
        }
        if (!unlisted.empty()) {
            r.warnings.push_back("building fit: kind(s) " +
                                 detail::join_names(std::vector<std::string>(unlisted.begin(), unlisted.end()), 5) +
                                 " are not in the table" +
                                 (fit.count("other") ? ": they take the value of 'other'" : " (nor is 'other'): NaN"));
        }
        r.criteria.push_back({"building_fit", "out of 1", Direction::more_is_better, values});
        if (any_service) {
            r.criteria.push_back({"hybridity", "services", Direction::more_is_better, services});
        } else {
            skip("hybridity", "no site of '" + territory.path + "' lists any service in its services field");
        }
    }
    // competition and gap filling
    r.criteria.push_back({"minutes_to_nearest_site", "minutes", Direction::more_is_better, nearest_site});
    {
        detail::Competition comp = detail::competition(territory, attachment, L, site_communes, at_node);
        r.warnings.insert(r.warnings.end(), comp.warnings.begin(), comp.warnings.end());
        if (!comp.skipped.empty()) {
            for (const char* name : {"minutes_to_existing_tiers_lieu", "demand_share"}) {
                skip(name, comp.skipped);
            }
        } else {
            r.criteria.push_back({"minutes_to_existing_tiers_lieu", "minutes", Direction::more_is_better,
                                  comp.minutes_to_existing});
            r.criteria.push_back({"demand_share", "people", Direction::more_is_better, comp.demand_share});
            r.commune_existing_within = std::move(comp.commune_existing_within);
        }
    }

    // --- weights: defaults of the criteria computed, then the caller's
    std::map<std::string, double> weights;
    {
        const std::map<std::string, double> defaults = default_weights(options.thresholds_min);
        for (const auto& c : r.criteria) {
            const auto it = defaults.find(c.name);
            if (it != defaults.end()) {
                weights[c.name] = it->second;
            }
        }
    }
    for (const auto& [name, w] : options.weights) {
        const auto skipped = std::find_if(r.skipped.begin(), r.skipped.end(),
                                          [&, &n = name](const SkippedCriterion& k) { return k.name == n; });
        if (skipped != r.skipped.end()) {
            if (w > 0.0) {
                throw input_error("a weight is given for " + name + ", but that criterion is skipped: " +
                                  skipped->reason);
            }
            continue;
        }
        weights[name] = w; // unknown names are refused by score_sites, with the list of valid ones
    }
    std::vector<std::string> ids;
    for (const auto& s : territory.sites) {
        ids.push_back(s.site_id);
    }
    {
        stage_timer timer{seconds, "scoring"};
        r.scores = score_sites(r.criteria, weights, ids, options.normalisation);
        if (options.stability.draws > 0) {
            r.stability = rank_stability(r.scores, ids, options.stability);
        }
    }
    r.warnings.insert(r.warnings.end(), r.scores.warnings.begin(), r.scores.warnings.end());
    r.stage_seconds = std::move(seconds);
    return r;
}

namespace {

/** node_id column: null where the point was not snapped (access NaN). */
Column node_column(const std::vector<node_id>& node, const std::vector<double>& access) {
    Column c = Column::of_integers("node_id", std::vector<std::int64_t>(node.begin(), node.end()));
    for (std::size_t i = 0; i < node.size(); ++i) {
        c.null[i] = std::isnan(access[i]);
    }
    return c;
}

/** The first `fraction` (0..1) of a polyline, by length. */
std::vector<Point> leading_part(const std::vector<Point>& line, double fraction) {
    double total = 0.0;
    for (std::size_t i = 1; i < line.size(); ++i) {
        total += distance_m(line[i - 1], line[i]);
    }
    std::vector<Point> out{line.front()};
    double left = total * fraction;
    for (std::size_t i = 1; i < line.size(); ++i) {
        const double d = distance_m(line[i - 1], line[i]);
        if (d >= left) {
            const double f = d > 0.0 ? left / d : 0.0;
            out.push_back({line[i - 1].x_m + f * (line[i].x_m - line[i - 1].x_m),
                           line[i - 1].y_m + f * (line[i].y_m - line[i - 1].y_m)});
            break;
        }
        out.push_back(line[i]);
        left -= d;
    }
    if (out.size() == 1) {
        out.push_back(out.front());
    }
    return out;
}

/**
 * Catchment of one site at budget T on a road graph: the edges whose both ends are within T, plus the part of an
 * edge that the remaining minutes cover from a reached end, grown by buffer_m.
 */
Geometry road_catchment(const RunResult& r, const std::vector<double>& minutes_at,
                        const std::vector<std::vector<std::uint32_t>>& edges_at, const Reach& reach, double T,
                        const Point& site, double buffer_m) {
    std::vector<std::vector<Point>> lines;
    std::vector<bool> used(0);
    const auto& edges = r.network.edges();
    const auto& nodes = r.network.nodes();
    for (std::size_t j = 0; j < reach.nodes.size(); ++j) {
        const node_id v = reach.nodes[j];
        if (reach.minutes[j] > T) {
            continue;
        }
        for (const std::uint32_t k : edges_at[v]) {
            const Edge& e = edges[k];
            const node_id other = e.from == v ? e.to : e.from;
            const double t_other = minutes_at[other];
            const std::vector<Point>& geometry =
                r.edge_geometry.empty() ? std::vector<Point>{nodes[e.from], nodes[e.to]} : r.edge_geometry[k];
            if (t_other <= T) {
                if (v < other || (v == other)) { // each full edge once
                    lines.push_back(geometry);
                }
                continue;
            }
            const double fraction = e.minutes > 0.0 ? std::min(1.0, (T - reach.minutes[j]) / e.minutes) : 1.0;
            if (e.from == v) {
                lines.push_back(leading_part(geometry, fraction));
            } else {
                std::vector<Point> reversed(geometry.rbegin(), geometry.rend());
                lines.push_back(leading_part(reversed, fraction));
            }
        }
    }
    lines.push_back({site, site});
    // one buffer per line, then a cascaded union: about 10x faster than buffering the MultiLineString at once
    std::vector<Geometry> parts;
    parts.reserve(lines.size());
    for (const auto& line : lines) {
        parts.push_back(buffer(Geometry::from_line(line), buffer_m));
    }
    return union_of(parts);
}

} // namespace

std::vector<LayerData> to_layers(const Territory& territory, const RunResult& r, const RunOptions& options) {
    // start from the input layers (communes, town_halls, sites) and add what the run computed
    std::vector<LayerData> input = to_layers(territory);
    std::vector<LayerData> layers(4);
    LayerData& sites = layers[0];
    sites = std::move(input[2]);
    std::vector<std::int64_t> rank(r.scores.rank.begin(), r.scores.rank.end());
    sites.columns.push_back(node_column(r.site_node, r.site_access_minutes));
    sites.columns.push_back(Column::of_reals("access_minutes", r.site_access_minutes));
    sites.columns.push_back(Column::of_reals("snap_distance_m", r.site_snap_m));
    sites.columns.push_back(Column::of_booleans("snapped", snapped(r.site_access_minutes)));
    for (const auto& c : r.criteria) {
        sites.columns.push_back(Column::of_reals(c.name, c.values));
    }
    sites.columns.push_back(Column::of_reals("score", r.scores.score));
    sites.columns.push_back(Column::of_integers("rank", rank));
    if (r.stability.draws > 0) {
        sites.columns.push_back(Column::of_reals("p_top" + std::to_string(options.stability.top), r.stability.p_top));
        sites.columns.push_back(Column::of_integers(
            "rank_p05", std::vector<std::int64_t>(r.stability.rank_p05.begin(), r.stability.rank_p05.end())));
        sites.columns.push_back(Column::of_integers(
            "rank_p95", std::vector<std::int64_t>(r.stability.rank_p95.begin(), r.stability.rank_p95.end())));
    }
    for (std::size_t k = 0; k < r.scores.criteria.size(); ++k) {
        sites.columns.push_back(Column::of_reals("contrib_" + r.scores.criteria[k], r.scores.contributions[k]));
    }

    LayerData& communes = layers[1];
    communes = std::move(input[0]);
    communes.columns.push_back(node_column(r.commune_node, r.commune_access_minutes));
    communes.columns.push_back(Column::of_reals("access_minutes", r.commune_access_minutes));
    communes.columns.push_back(Column::of_reals("snap_distance_m", r.commune_snap_m));
    communes.columns.push_back(Column::of_booleans("snapped", snapped(r.commune_access_minutes)));
    communes.columns.push_back(Column::of_reals("minutes_to_nearest_site", r.commune_minutes_to_nearest_site));
    for (std::size_t k = 0; k < r.commune_pop.size(); ++k) {
        communes.columns.push_back(Column::of_reals(pop_name(r.thresholds_min[k]), r.commune_pop[k]));
    }
    if (!r.commune_commuters.empty()) {
        communes.columns.push_back(Column::of_reals("commuters", r.commune_commuters));
        communes.columns.push_back(Column::of_reals("commute_minutes", r.commune_commute_minutes));
        communes.columns.push_back(Column::of_reals("commute_km", r.commune_commute_km));
    }
    if (!r.commune_existing_within.empty()) {
        communes.columns.push_back(Column::of_reals("existing_tiers_lieux_within", r.commune_existing_within));
    }

    LayerData& edges = layers[2];
    edges = LayerData{"network_edges", GeometryType::line_string, territory.crs, {}, {}};
    std::vector<std::int64_t> from, to;
    std::vector<double> length, minutes;
    const auto& nodes = r.network.nodes();
    const auto& network_edges = r.network.edges();
    for (std::size_t k = 0; k < network_edges.size(); ++k) {
        const Edge& e = network_edges[k];
        edges.wkb.push_back((r.edge_geometry.empty() ? Geometry::from_segment(nodes[e.from], nodes[e.to])
                                                     : Geometry::from_line(r.edge_geometry[k]))
                                .to_wkb());
        from.push_back(e.from);
        to.push_back(e.to);
        length.push_back(e.length_m);
        minutes.push_back(e.minutes);
    }
    std::vector<bool> twoway(r.network.twoway().begin(), r.network.twoway().end());
    edges.columns.push_back(Column::of_integers("from_node", from));
    edges.columns.push_back(Column::of_integers("to_node", to));
    edges.columns.push_back(Column::of_reals("length_m", length));
    edges.columns.push_back(Column::of_reals("minutes", minutes));
    edges.columns.push_back(Column::of_booleans("twoway", twoway));

    LayerData& catchments = layers[3];
    catchments = LayerData{"catchments", GeometryType::multi_polygon, territory.crs, {}, {}};
    std::vector<std::string> ids;
    std::vector<std::int64_t> threshold;
    std::vector<double> minutes_at(r.network.node_count(), inf);
    std::vector<std::vector<std::uint32_t>> edges_at;
    if (r.graph_kind == "osm") {
        edges_at.resize(r.network.node_count());
        for (std::size_t k = 0; k < network_edges.size(); ++k) {
            edges_at[network_edges[k].from].push_back(static_cast<std::uint32_t>(k));
            if (network_edges[k].to != network_edges[k].from) {
                edges_at[network_edges[k].to].push_back(static_cast<std::uint32_t>(k));
            }
        }
    }
    const detail::grouped_by_node at_node = communes_by_node(r.network.node_count(), r.commune_node, r.commune_access_minutes);
    for (std::size_t i = 0; i < territory.sites.size() && i < r.catchment_reach.size(); ++i) {
        const Reach& reach = r.catchment_reach[i];
        if (std::isnan(r.site_access_minutes[i])) {
            continue;
        }
        for (std::size_t j = 0; j < reach.nodes.size(); ++j) {
            minutes_at[reach.nodes[j]] = reach.minutes[j];
        }
        for (std::size_t q = 0; q < r.thresholds_min.size(); ++q) {
            const double T = r.thresholds_min[q];
            Geometry area;
            if (r.graph_kind == "osm") {
                area = road_catchment(r, minutes_at, edges_at, reach, T, territory.sites[i].location,
                                      options.catchment_buffer_m);
            } else {
                std::vector<Geometry> reached;
                for (std::size_t j = 0; j < reach.nodes.size(); ++j) {
                    const node_id v = reach.nodes[j];
                    for (std::uint32_t a = at_node.first[v]; a < at_node.first[v + 1]; ++a) {
                        if (reach.minutes[j] <= T) {
                            reached.push_back(territory.communes[at_node.item[a]].geometry.clone());
                        }
                    }
                }
                if (reached.empty()) {
                    continue; // the site's own town hall is beyond T: no commune reached
                }
                area = union_of(reached);
            }
            if (area.is_empty()) {
                continue;
            }
            catchments.wkb.push_back(to_multi_polygon(area).to_wkb());
            ids.push_back(territory.sites[i].site_id);
            threshold.push_back(r.thresholds_min[q]);
        }
        for (const node_id v : reach.nodes) {
            minutes_at[v] = inf;
        }
    }
    catchments.columns.push_back(Column::of_strings("site_id", ids));
    catchments.columns.push_back(Column::of_integers("minutes", threshold));
    return layers;
}

} // namespace tierslieux
