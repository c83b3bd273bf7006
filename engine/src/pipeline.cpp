#include <tierslieux/errors.hpp>
#include <tierslieux/pipeline.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <set>

namespace tierslieux {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

std::string pop_name(int minutes) { return "pop_" + std::to_string(minutes) + "min"; }

void validate(const RunOptions& o) {
    validate(o.graph);
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
    if (!(o.gravity_max_minutes > 0.0)) {
        throw input_error("gravity_max_minutes must be > 0 (got " + std::to_string(o.gravity_max_minutes) + ")");
    }
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
    std::map<std::string, double> w{
        {"gravity_access", 0.25}, {"ftth_share", 0.15}, {"minutes_to_nearest_site", 0.15}};
    for (const int t : thresholds_min) {
        w[pop_name(t)] = 0.45 / static_cast<double>(thresholds_min.size());
    }
    return w;
}

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

    // --- commute graph
    std::vector<std::pair<std::size_t, std::size_t>> adjacency;
    {
        stage_timer timer{seconds, "adjacency"};
        report("adjacency", 0, 1);
        std::vector<Geometry> polygons;
        polygons.reserve(nc);
        for (const auto& c : territory.communes) {
            polygons.push_back(c.geometry.clone());
        }
        adjacency = adjacent_pairs(polygons, options.adjacency_tolerance_m);
        report("adjacency", 1, 1);
    }
    std::vector<Point> halls;
    for (const auto& c : territory.communes) {
        halls.push_back(c.town_hall);
    }
    RunResult r{[&] {
        stage_timer timer{seconds, "graph"};
        return build_commune_graph(halls, adjacency, options.graph);
    }()};
    r.warnings = territory.warnings;
    r.thresholds_min = options.thresholds_min;
    const std::size_t components = r.network.component_count();
    if (components > 1) {
        r.warnings.push_back("the commune graph has " + std::to_string(components) +
                             " separate parts (communes with no neighbour sharing a border): travel between parts "
                             "is impossible, so some times are NaN");
    }
    for (std::size_t k = 0; k < nc; ++k) {
        r.commune_node.push_back(static_cast<node_id>(k));
    }
    for (const auto& s : territory.sites) {
        const std::size_t k = territory.commune_index(s.commune_code);
        r.site_node.push_back(static_cast<node_id>(k));
        r.site_access_minutes.push_back(commune_graph_minutes(distance_m(s.location, territory.communes[k].town_hall),
                                                              options.graph.detour_factor,
                                                              options.graph.access_speed_kmh));
    }

    // --- metrics: one search per site (the graph is two-way, so site -> commune times are commune -> site times)
    std::vector<std::vector<double>> pop(options.thresholds_min.size(), std::vector<double>(ns, 0.0));
    std::vector<double> gravity(ns, 0.0);
    std::vector<double> nearest_site(ns, nan);
    std::vector<double> commune_best(nc, inf);
    std::vector<double> node_minutes(nc, inf);
    {
        stage_timer timer{seconds, "catchments"};
        for (std::size_t i = 0; i < ns; ++i) {
            report("catchments", i, ns);
            const Reach reach = r.network.reach(r.site_node[i], inf);
            std::fill(node_minutes.begin(), node_minutes.end(), inf);
            const double access = r.site_access_minutes[i];
            for (std::size_t j = 0; j < reach.nodes.size(); ++j) {
                const node_id v = reach.nodes[j];
                const double t = access + reach.minutes[j];
                node_minutes[v] = reach.minutes[j];
                const Commune& c = territory.communes[v];
                for (std::size_t k = 0; k < options.thresholds_min.size(); ++k) {
                    if (t <= options.thresholds_min[k]) {
                        pop[k][i] += c.population;
                    }
                }
                if (t <= options.gravity_max_minutes) {
                    gravity[i] += c.population * std::exp(-t / options.gravity_decay_min);
                }
                commune_best[v] = std::min(commune_best[v], t);
            }
            for (std::size_t o = 0; o < ns; ++o) {
                const double t = node_minutes[r.site_node[o]];
                if (o != i && std::isfinite(t)) {
                    const double total = access + t + r.site_access_minutes[o];
                    nearest_site[i] = std::isnan(nearest_site[i]) ? total : std::min(nearest_site[i], total);
                }
            }
        }
        report("catchments", ns, ns);
    }
    {
        // demand around each commune (for maps): population within T minutes of its town hall
        stage_timer timer{seconds, "commune catchments"};
        const int max_t = *std::max_element(options.thresholds_min.begin(), options.thresholds_min.end());
        r.commune_pop.assign(options.thresholds_min.size(), std::vector<double>(nc, 0.0));
        for (std::size_t v = 0; v < nc; ++v) {
            report("commune catchments", v, nc);
            const Reach reach = r.network.reach(static_cast<node_id>(v), max_t);
            for (std::size_t j = 0; j < reach.nodes.size(); ++j) {
                for (std::size_t k = 0; k < options.thresholds_min.size(); ++k) {
                    if (reach.minutes[j] <= options.thresholds_min[k]) {
                        r.commune_pop[k][v] += territory.communes[reach.nodes[j]].population;
                    }
                }
            }
        }
        report("commune catchments", nc, nc);
    }
    for (std::size_t v = 0; v < nc; ++v) {
        const bool reached = std::isfinite(commune_best[v]);
        r.commune_minutes_to_nearest_site.push_back(reached ? commune_best[v] : nan);
        r.communes_unreachable += reached ? 0 : 1;
    }
    if (r.communes_unreachable > 0) {
        r.warnings.push_back(std::to_string(r.communes_unreachable) +
                             " commune(s) cannot reach any site: minutes_to_nearest_site is NaN for them");
    }

    // --- criteria and scores
    for (std::size_t k = 0; k < options.thresholds_min.size(); ++k) {
        r.criteria.push_back({pop_name(options.thresholds_min[k]), "people", Direction::more_is_better, pop[k]});
    }
    r.criteria.push_back({"gravity_access", "people (decay-weighted)", Direction::more_is_better, gravity});
    const bool has_broadband = !territory.broadband.empty();
    if (has_broadband) {
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
    }
    r.criteria.push_back({"minutes_to_nearest_site", "minutes", Direction::more_is_better, nearest_site});

    std::map<std::string, double> weights = default_weights(options.thresholds_min);
    if (!has_broadband) {
        weights.erase("ftth_share");
    }
    for (const auto& [name, w] : options.weights) {
        if (name == "ftth_share" && !has_broadband) {
            throw input_error("a weight is given for ftth_share, but '" + territory.path +
                              "' has no broadband layer (or it is empty) to compute it from");
        }
        weights[name] = w; // unknown names are refused by score_sites, with the list of valid ones
    }
    std::vector<std::string> ids;
    for (const auto& s : territory.sites) {
        ids.push_back(s.site_id);
    }
    {
        stage_timer timer{seconds, "scoring"};
        r.scores = score_sites(r.criteria, weights, ids);
    }
    r.warnings.insert(r.warnings.end(), r.scores.warnings.begin(), r.scores.warnings.end());
    r.stage_seconds = std::move(seconds);
    return r;
}

std::vector<LayerData> to_layers(const Territory& territory, const RunResult& r) {
    // start from the input layers (communes, town_halls, sites) and add what the run computed
    std::vector<LayerData> input = to_layers(territory);
    std::vector<LayerData> layers(3);
    LayerData& sites = layers[0];
    sites = std::move(input[2]);
    std::vector<std::int64_t> node(r.site_node.begin(), r.site_node.end());
    std::vector<std::int64_t> rank(r.scores.rank.begin(), r.scores.rank.end());
    sites.columns.push_back(Column::of_integers("node_id", node));
    sites.columns.push_back(Column::of_reals("access_minutes", r.site_access_minutes));
    for (const auto& c : r.criteria) {
        sites.columns.push_back(Column::of_reals(c.name, c.values));
    }
    sites.columns.push_back(Column::of_reals("score", r.scores.score));
    sites.columns.push_back(Column::of_integers("rank", rank));
    for (std::size_t k = 0; k < r.scores.criteria.size(); ++k) {
        sites.columns.push_back(Column::of_reals("contrib_" + r.scores.criteria[k], r.scores.contributions[k]));
    }

    LayerData& communes = layers[1];
    communes = std::move(input[0]);
    std::vector<std::int64_t> cnode(r.commune_node.begin(), r.commune_node.end());
    communes.columns.push_back(Column::of_integers("node_id", cnode));
    communes.columns.push_back(Column::of_reals("minutes_to_nearest_site", r.commune_minutes_to_nearest_site));
    for (std::size_t k = 0; k < r.commune_pop.size(); ++k) {
        communes.columns.push_back(Column::of_reals(pop_name(r.thresholds_min[k]), r.commune_pop[k]));
    }

    LayerData& edges = layers[2];
    edges = LayerData{"network_edges", GeometryType::line_string, territory.crs, {}, {}};
    std::vector<std::int64_t> from, to;
    std::vector<double> length, minutes;
    const auto& nodes = r.network.nodes();
    for (const Edge& e : r.network.edges()) {
        edges.wkb.push_back(Geometry::from_segment(nodes[e.from], nodes[e.to]).to_wkb());
        from.push_back(e.from);
        to.push_back(e.to);
        length.push_back(e.length_m);
        minutes.push_back(e.minutes);
    }
    edges.columns.push_back(Column::of_integers("from_node", from));
    edges.columns.push_back(Column::of_integers("to_node", to));
    edges.columns.push_back(Column::of_reals("length_m", length));
    edges.columns.push_back(Column::of_reals("minutes", minutes));
    return layers;
}

} // namespace tierslieux
