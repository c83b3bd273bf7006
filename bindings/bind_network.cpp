#include "bindings.hpp"

#include <tierslieux/errors.hpp>
#include <tierslieux/network.hpp>

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

namespace py = pybind11;

namespace tierslieux::python {

namespace {

using f64_array = py::array_t<double, py::array::c_style | py::array::forcecast>;
using u32_array = py::array_t<std::uint32_t, py::array::c_style | py::array::forcecast>;
using u8_array = py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>;

template <typename T, typename A>
std::vector<T> to_vector(const A& a) {
    return std::vector<T>(a.data(), a.data() + a.size());
}

py::array_t<double> to_numpy(std::vector<double>&& v) {
    auto* heap = new std::vector<double>(std::move(v));
    py::capsule owner(heap, [](void* p) { delete static_cast<std::vector<double>*>(p); });
    return py::array_t<double>(static_cast<py::ssize_t>(heap->size()), heap->data(), owner);
}

Aggregation to_aggregation(const std::string& s) {
    if (s == "sum") return Aggregation::sum;
    if (s == "mean") return Aggregation::mean;
    if (s == "count") return Aggregation::count;
    throw input_error("kind='" + s + "' is not one of: sum, mean, count");
}

Decay to_decay(const std::string& s) {
    if (s == "flat") return Decay::flat;
    if (s == "linear") return Decay::linear;
    if (s == "exponential" || s == "exp") return Decay::exponential;
    throw input_error("decay='" + s + "' is not one of: flat, linear, exponential");
}

Algorithm to_algorithm(const std::string& s) {
    if (s == "auto") return Algorithm::automatic;
    if (s == "dijkstra") return Algorithm::dijkstra;
    if (s == "hierarchy") return Algorithm::hierarchy;
    throw input_error("algorithm='" + s + "' is not one of: auto, dijkstra, hierarchy");
}

work_progress progress_callback(const py::object& progress) {
    if (progress.is_none()) {
        return {};
    }
    return [progress](std::size_t done, std::size_t total) {
        py::gil_scoped_acquire acquire;
        progress(done, total);
    };
}

SearchOptions search_options(unsigned threads, const py::object& progress, const std::string& algorithm = "auto") {
    SearchOptions o;
    o.threads = threads;
    o.algorithm = to_algorithm(algorithm);
    o.progress = progress_callback(progress);
    return o;
}

} // namespace

void bind_network(py::module_& m) {
    m.attr("HIERARCHY_FILE_VERSION") = hierarchy_file_version;
    py::class_<Network>(m, "Network", "Routable graph (CSR); see tierslieux.Network.")
        .def(py::init([](const f64_array& x, const f64_array& y, const u32_array& from, const u32_array& to,
                         const f64_array& length_m, const f64_array& minutes, const u8_array& twoway) {
                 std::vector<Point> nodes(static_cast<std::size_t>(x.size()));
                 for (std::size_t i = 0; i < nodes.size(); ++i) {
                     nodes[i] = Point{x.data()[i], y.data()[i]};
                 }
                 std::vector<Edge> edges(static_cast<std::size_t>(from.size()));
                 for (std::size_t i = 0; i < edges.size(); ++i) {
                     edges[i] = Edge{from.data()[i], to.data()[i], length_m.data()[i], minutes.data()[i]};
                 }
                 const auto flags = to_vector<std::uint8_t>(twoway);
                 py::gil_scoped_release release;
                 return std::make_unique<Network>(std::move(nodes), std::move(edges), flags);
             }),
             py::arg("x"), py::arg("y"), py::arg("edge_from"), py::arg("edge_to"), py::arg("length_m"),
             py::arg("minutes"), py::arg("twoway"))
        .def_property_readonly("node_count", &Network::node_count)
        .def_property_readonly("edge_count", &Network::edge_count)
        .def_property_readonly("arc_count", &Network::arc_count)
        .def(
            "aggregate",
            [](const Network& n, const f64_array& values, double max_minutes, const std::string& kind,
               const std::string& decay, const u32_array& sources, unsigned threads, const py::object& progress,
               const std::string& algorithm) {
                const auto v = to_vector<double>(values);
                const auto s = to_vector<node_id>(sources);
                const Aggregation k = to_aggregation(kind);
                const Decay d = to_decay(decay);
                const SearchOptions o = search_options(threads, progress, algorithm);
                std::vector<double> out;
                {
                    py::gil_scoped_release release;
                    out = n.aggregate(v, max_minutes, k, d, s, o);
                }
                return to_numpy(std::move(out));
            },
            py::arg("values"), py::arg("max_minutes"), py::arg("kind"), py::arg("decay"), py::arg("sources"),
            py::arg("threads") = 0, py::arg("progress") = py::none(), py::arg("algorithm") = "auto")
        .def(
            "travel_times",
            [](const Network& n, const u32_array& origins, const u32_array& destinations, double max_minutes,
               unsigned threads, const py::object& progress, const std::string& algorithm) {
                const auto o = to_vector<node_id>(origins);
                const auto d = to_vector<node_id>(destinations);
                const SearchOptions opt = search_options(threads, progress, algorithm);
                std::vector<double> out;
                {
                    py::gil_scoped_release release;
                    out = n.travel_times(o, d, max_minutes, opt);
                }
                return to_numpy(std::move(out)).reshape({static_cast<py::ssize_t>(o.size()),
                                                          static_cast<py::ssize_t>(d.size())});
            },
            py::arg("origins"), py::arg("destinations"), py::arg("max_minutes"), py::arg("threads") = 0,
            py::arg("progress") = py::none(), py::arg("algorithm") = "auto")
        .def(
            "prepare_hierarchy",
            [](const Network& n, const py::object& progress, unsigned threads) {
                const work_progress p = progress_callback(progress);
                py::gil_scoped_release release;
                n.prepare_hierarchy(p, threads);
            },
            py::arg("progress") = py::none(), py::arg("threads") = 0)
        .def_property_readonly("has_hierarchy", &Network::has_hierarchy)
        .def("save_hierarchy", &Network::save_hierarchy, py::arg("path"), py::call_guard<py::gil_scoped_release>())
        .def("load_hierarchy", &Network::load_hierarchy, py::arg("path"), py::call_guard<py::gil_scoped_release>())
        .def("set_hierarchy_cache", &Network::set_hierarchy_cache, py::arg("path"))
        .def_property_readonly("hierarchy_origin",
                               [](const Network& n) {
                                   const HierarchyOrigin o = n.hierarchy_origin();
                                   const char* source = o.source == HierarchyOrigin::Source::built    ? "built"
                                                        : o.source == HierarchyOrigin::Source::loaded ? "loaded"
                                                                                                       : "none";
                                   py::dict out;
                                   out["source"] = source;
                                   out["path"] = o.path;
                                   out["saved"] = o.saved;
                                   out["problem"] = o.problem;
                                   return out;
                               })
        .def(
            "nearest_pois",
            [](const Network& n, const u32_array& pois, std::size_t k, double max_minutes, const u32_array& sources,
               unsigned threads, const py::object& progress) {
                const auto p = to_vector<node_id>(pois);
                const auto s = to_vector<node_id>(sources);
                const SearchOptions o = search_options(threads, progress);
                Network::NearestPois hits;
                {
                    py::gil_scoped_release release;
                    hits = n.nearest_pois(p, k, max_minutes, s, o);
                }
                const auto rows = static_cast<py::ssize_t>(hits.minutes.size() / k);
                py::array_t<std::uint32_t> poi(static_cast<py::ssize_t>(hits.poi.size()), hits.poi.data());
                return py::make_tuple(to_numpy(std::move(hits.minutes)).reshape({rows, static_cast<py::ssize_t>(k)}),
                                      poi.reshape({rows, static_cast<py::ssize_t>(k)}));
            },
            py::arg("poi_nodes"), py::arg("k"), py::arg("max_minutes"), py::arg("sources"), py::arg("threads") = 0,
            py::arg("progress") = py::none())
        .def(
            "reach",
            [](const Network& n, node_id source, double max_minutes) {
                Reach r;
                {
                    py::gil_scoped_release release;
                    r = n.reach(source, max_minutes);
                }
                return py::make_tuple(py::array_t<std::uint32_t>(static_cast<py::ssize_t>(r.nodes.size()),
                                                                 r.nodes.data()),
                                      to_numpy(std::move(r.minutes)));
            },
            py::arg("source"), py::arg("max_minutes"))
        .def(
            "nodes_in_range",
            [](const Network& n, const u32_array& sources, double max_minutes, unsigned threads,
               const py::object& progress) {
                const auto s = to_vector<node_id>(sources);
                const SearchOptions o = search_options(threads, progress);
                Network::RangeLists lists;
                {
                    py::gil_scoped_release release;
                    lists = n.nodes_in_range(s, max_minutes, o);
                }
                std::vector<std::int64_t> first(lists.first.begin(), lists.first.end());
                return py::make_tuple(py::array_t<std::int64_t>(static_cast<py::ssize_t>(first.size()), first.data()),
                                      py::array_t<std::uint32_t>(static_cast<py::ssize_t>(lists.nodes.size()),
                                                                 lists.nodes.data()),
                                      to_numpy(std::move(lists.minutes)));
            },
            py::arg("sources"), py::arg("max_minutes"), py::arg("threads") = 0, py::arg("progress") = py::none())
        .def(
            "nearest_nodes",
            [](const Network& n, const f64_array& x, const f64_array& y) {
                std::vector<Point> points(static_cast<std::size_t>(x.size()));
                for (std::size_t i = 0; i < points.size(); ++i) {
                    points[i] = Point{x.data()[i], y.data()[i]};
                }
                std::vector<double> dist;
                std::vector<node_id> ids;
                {
                    py::gil_scoped_release release;
                    ids = n.nearest_nodes(points, &dist);
                }
                return py::make_tuple(py::array_t<std::uint32_t>(static_cast<py::ssize_t>(ids.size()), ids.data()),
                                      to_numpy(std::move(dist)));
            },
            py::arg("x"), py::arg("y"))
        .def("strong_components",
             [](const Network& n) {
                 const auto label = n.strong_components();
                 return py::array_t<std::uint32_t>(static_cast<py::ssize_t>(label.size()), label.data());
             })
        .def("component_count", &Network::component_count);
}

} // namespace tierslieux::python
