#include "bindings.hpp"

#include <tierslieux/errors.hpp>
#include <tierslieux/osm.hpp>

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <vector>

namespace py = pybind11;

namespace tierslieux::python {

void bind_osm(py::module_& m) {
    py::class_<SpeedProfile>(m, "SpeedProfile", "Speeds per OSM highway class (km/h); see docs/osm.md.")
        .def(py::init<>())
        .def_static("car", &SpeedProfile::car)
        .def_readwrite("name", &SpeedProfile::name)
        .def_readwrite("highway_kmh", &SpeedProfile::highway_kmh)
        .def_readwrite("use_maxspeed", &SpeedProfile::use_maxspeed)
        .def_readwrite("maxspeed_factor", &SpeedProfile::maxspeed_factor)
        .def_readwrite("max_kmh", &SpeedProfile::max_kmh)
        .def_readwrite("obey_oneway", &SpeedProfile::obey_oneway);

    m.def(
        "read_osm_roads",
        [](const std::string& path, const SpeedProfile& profile, const std::string& crs, const py::object& clip_wkb,
           double clip_buffer_m, bool keep_largest_component) {
            OsmReadOptions o;
            o.profile = profile;
            o.crs = crs;
            if (!clip_wkb.is_none()) {
                o.clip = Geometry::from_wkb(clip_wkb.cast<std::string>());
            }
            o.clip_buffer_m = clip_buffer_m;
            o.keep_largest_component = keep_largest_component;
            RoadGraph g;
            {
                py::gil_scoped_release release;
                g = read_osm_roads(path, o);
            }
            const std::size_t n = g.nodes.size();
            const std::size_t e = g.edges.size();
            py::array_t<double> x(static_cast<py::ssize_t>(n)), y(static_cast<py::ssize_t>(n));
            py::array_t<std::int64_t> osm_id(static_cast<py::ssize_t>(n));
            for (std::size_t i = 0; i < n; ++i) {
                x.mutable_data()[i] = g.nodes[i].x_m;
                y.mutable_data()[i] = g.nodes[i].y_m;
                osm_id.mutable_data()[i] = g.node_osm_id[i];
            }
            py::array_t<std::uint32_t> from(static_cast<py::ssize_t>(e)), to(static_cast<py::ssize_t>(e));
            py::array_t<double> length(static_cast<py::ssize_t>(e)), minutes(static_cast<py::ssize_t>(e));
            py::array_t<std::uint8_t> twoway(static_cast<py::ssize_t>(e));
            py::array_t<std::int64_t> way(static_cast<py::ssize_t>(e));
            py::list wkb;
            for (std::size_t i = 0; i < e; ++i) {
                from.mutable_data()[i] = g.edges[i].from;
                to.mutable_data()[i] = g.edges[i].to;
                length.mutable_data()[i] = g.edges[i].length_m;
                minutes.mutable_data()[i] = g.edges[i].minutes;
                twoway.mutable_data()[i] = g.twoway[i];
                way.mutable_data()[i] = g.way_id[i];
                wkb.append(py::bytes(Geometry::from_line(g.geometry[i]).to_wkb()));
            }
            const OsmReport& r = g.report;
            py::dict report;
            report["ways_read"] = r.ways_read;
            report["ways_routable"] = r.ways_routable;
            report["ways_restricted"] = r.ways_restricted;
            report["nodes_outside_clip"] = r.nodes_outside_clip;
            report["nodes_missing_location"] = r.nodes_missing_location;
            report["self_loops_dropped"] = r.self_loops_dropped;
            report["components"] = r.components;
            report["dropped_nodes"] = r.dropped_nodes;
            report["dropped_edges"] = r.dropped_edges;
            report["dropped_km"] = r.dropped_km;
            report["kept_km"] = r.kept_km;
            report["maxspeed_used"] = r.maxspeed_used;
            report["maxspeed_unparsed"] = r.maxspeed_unparsed;
            py::dict out;
            out["x"] = x;
            out["y"] = y;
            out["osm_id"] = osm_id;
            out["edge_from"] = from;
            out["edge_to"] = to;
            out["length_m"] = length;
            out["minutes"] = minutes;
            out["twoway"] = twoway;
            out["way_id"] = way;
            out["highway"] = g.highway;
            out["wkb"] = wkb;
            out["report"] = report;
            return out;
        },
        py::arg("path"), py::arg("profile"), py::arg("crs"), py::arg("clip_wkb") = py::none(),
        py::arg("clip_buffer_m") = 0.0, py::arg("keep_largest_component") = true,
        "Read the road graph of an OSM file: dict of numpy arrays, edge WKB and the report.");
}

} // namespace tierslieux::python
