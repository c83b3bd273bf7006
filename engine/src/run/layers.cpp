// to_layers: the output layers of a run (docs/outputs.md), from its result and the indexes the run built.
#include <tierslieux/pipeline.hpp>

#include "criteria/registry.hpp"
#include "run/context.hpp"
#include "detail/parallel.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace tierslieux {

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

/** node_id column: null where the point was not snapped (access NaN). */
Column node_column(const PlacesOnGraph& places) {
    Column c = Column::of_integers("node_id", std::vector<std::int64_t>(places.node.begin(), places.node.end()));
    for (std::size_t i = 0; i < places.node.size(); ++i) {
        c.null[i] = std::isnan(places.access_minutes[i]);
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
                        const detail::csr<std::uint32_t>& edges_at, const Reach& reach, double T,
                        const Point& site, double buffer_m) {
    std::vector<std::vector<Point>> lines;
    std::vector<bool> used(0);
    const auto& edges = r.graph.network.edges();
    const auto& nodes = r.graph.network.nodes();
    for (std::size_t j = 0; j < reach.nodes.size(); ++j) {
        const node_id v = reach.nodes[j];
        if (reach.minutes[j] > T) {
            continue;
        }
        for (std::uint32_t a = edges_at.first[v]; a < edges_at.first[v + 1]; ++a) {
            const std::uint32_t k = edges_at.items[a];
            const Edge& e = edges[k];
            const node_id other = e.from == v ? e.to : e.from;
            const double t_other = minutes_at[other];
            const std::vector<Point>& geometry =
                r.graph.edge_geometry.empty() ? std::vector<Point>{nodes[e.from], nodes[e.to]}
                                              : r.graph.edge_geometry[k];
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
    sites.columns.push_back(node_column(r.graph.sites));
    sites.columns.push_back(Column::of_reals("access_minutes", r.graph.sites.access_minutes));
    sites.columns.push_back(Column::of_reals("snap_distance_m", r.graph.sites.snap_m));
    sites.columns.push_back(Column::of_booleans("snapped", r.graph.sites.snapped()));
    for (const auto& c : r.criteria.values) {
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
    communes.columns.push_back(node_column(r.graph.communes));
    communes.columns.push_back(Column::of_reals("access_minutes", r.graph.communes.access_minutes));
    communes.columns.push_back(Column::of_reals("snap_distance_m", r.graph.communes.snap_m));
    communes.columns.push_back(Column::of_booleans("snapped", r.graph.communes.snapped()));
    communes.columns.push_back(Column::of_reals("minutes_to_nearest_site", r.communes.minutes_to_nearest_site));
    for (std::size_t k = 0; k < r.communes.pop.size(); ++k) {
        communes.columns.push_back(
            Column::of_reals(criterion_name("pop_<T>min", r.thresholds_min[k]), r.communes.pop[k]));
    }
    for (const auto& [name, values] : r.communes.columns) {
        communes.columns.push_back(Column::of_reals(name, values));
    }

    LayerData& edges = layers[2];
    edges = LayerData{"network_edges", GeometryType::line_string, territory.crs, {}, {}, {}};
    std::vector<std::int64_t> from, to;
    std::vector<double> length, minutes;
    const auto& nodes = r.graph.network.nodes();
    const auto& network_edges = r.graph.network.edges();
    for (std::size_t k = 0; k < network_edges.size(); ++k) {
        const Edge& e = network_edges[k];
        edges.wkb.push_back((r.graph.edge_geometry.empty() ? Geometry::from_segment(nodes[e.from], nodes[e.to])
                                                     : Geometry::from_line(r.graph.edge_geometry[k]))
                                .to_wkb());
        from.push_back(e.from);
        to.push_back(e.to);
        length.push_back(e.length_m);
        minutes.push_back(e.minutes);
    }
    std::vector<bool> twoway(r.graph.network.twoway().begin(), r.graph.network.twoway().end());
    edges.columns.push_back(Column::of_integers("from_node", from));
    edges.columns.push_back(Column::of_integers("to_node", to));
    edges.columns.push_back(Column::of_reals("length_m", length));
    edges.columns.push_back(Column::of_reals("minutes", minutes));
    edges.columns.push_back(Column::of_booleans("twoway", twoway));

    LayerData& catchments = layers[3];
    catchments = LayerData{"catchments", GeometryType::multi_polygon, territory.crs, {}, {}, {}};
    std::vector<std::string> ids;
    std::vector<std::int64_t> threshold;
    // road edges by end node (each edge at both ends, a loop once)
    const detail::csr<std::uint32_t> edges_at =
        r.graph.kind != "osm" ? detail::csr<std::uint32_t>{}
                              : detail::group_by_key<std::uint32_t>(r.graph.network.node_count(), [&](auto&& emit) {
                                    for (std::size_t k = 0; k < network_edges.size(); ++k) {
                                        emit(network_edges[k].from, static_cast<std::uint32_t>(k));
                                        if (network_edges[k].to != network_edges[k].from) {
                                            emit(network_edges[k].to, static_cast<std::uint32_t>(k));
                                        }
                                    }
                                });
    if (!r.indexes) {
        throw std::logic_error("to_layers: the result was not made by run()");
    }
    const detail::grouped_by_node& at_node = r.indexes->communes_at_node;
    // one polygon per site and threshold (WKB, empty when nothing is reached): the unions are independent, so
    // they run on every core (GEOS contexts are per thread); rows are then written in site order
    const std::size_t site_count = std::min(territory.sites.size(), r.catchment_reach.size());
    std::vector<std::vector<std::string>> areas(site_count);
    const std::size_t node_count = r.graph.network.node_count();
    detail::parallel_for(
        site_count, 0, {}, [node_count] { return std::vector<double>(node_count, inf); },
        [&](std::size_t i, std::vector<double>& minutes_at) {
            const Reach& reach = r.catchment_reach[i];
            areas[i].resize(r.thresholds_min.size());
            if (std::isnan(r.graph.sites.access_minutes[i])) {
                return;
            }
            for (std::size_t j = 0; j < reach.nodes.size(); ++j) {
                minutes_at[reach.nodes[j]] = reach.minutes[j];
            }
            for (std::size_t q = 0; q < r.thresholds_min.size(); ++q) {
                const double T = r.thresholds_min[q];
                Geometry area;
                if (r.graph.kind == "osm") {
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
                    area = coverage_union_of(reached);
                }
                if (!area.is_empty()) {
                    areas[i][q] = to_multi_polygon(area).to_wkb();
                }
            }
            for (const node_id v : reach.nodes) {
                minutes_at[v] = inf;
            }
        });
    for (std::size_t i = 0; i < site_count; ++i) {
        for (std::size_t q = 0; q < areas[i].size(); ++q) {
            if (areas[i][q].empty()) {
                continue;
            }
            catchments.wkb.push_back(std::move(areas[i][q]));
            ids.push_back(territory.sites[i].site_id);
            threshold.push_back(r.thresholds_min[q]);
        }
    }
    catchments.columns.push_back(Column::of_strings("site_id", ids));
    catchments.columns.push_back(Column::of_integers("minutes", threshold));
    return layers;
}

} // namespace tierslieux
