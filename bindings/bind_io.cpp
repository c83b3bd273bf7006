#include "bindings.hpp"

#include <tierslieux/errors.hpp>
#include <tierslieux/io.hpp>

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

namespace py = pybind11;

namespace tierslieux::python {

namespace {

const char* type_name(FieldType t) {
    switch (t) {
        case FieldType::string: return "string";
        case FieldType::integer: return "integer";
        case FieldType::real: return "real";
        case FieldType::boolean: return "boolean";
    }
    return "?";
}

FieldType field_type(const std::string& s) {
    if (s == "string") return FieldType::string;
    if (s == "integer") return FieldType::integer;
    if (s == "real") return FieldType::real;
    if (s == "boolean") return FieldType::boolean;
    throw input_error("unknown field type '" + s + "' (valid: string, integer, real, boolean)");
}

const char* geometry_name(GeometryType t) {
    switch (t) {
        case GeometryType::none: return "none";
        case GeometryType::point: return "Point";
        case GeometryType::line_string: return "LineString";
        case GeometryType::polygon: return "Polygon";
        case GeometryType::multi_polygon: return "MultiPolygon";
    }
    return "?";
}

GeometryType geometry_type(const std::string& s) {
    for (auto t : {GeometryType::none, GeometryType::point, GeometryType::line_string, GeometryType::polygon,
                   GeometryType::multi_polygon}) {
        if (s == geometry_name(t)) {
            return t;
        }
    }
    throw input_error("unknown geometry type '" + s + "' (valid: none, Point, LineString, Polygon, MultiPolygon)");
}

py::object values_to_python(const Column& c) {
    if (c.type == FieldType::string) {
        py::list out;
        for (const auto& s : c.strings()) {
            out.append(py::str(s));
        }
        return std::move(out);
    }
    if (c.type == FieldType::real) {
        return py::array_t<double>(static_cast<py::ssize_t>(c.size()), c.reals().data());
    }
    return py::array_t<std::int64_t>(static_cast<py::ssize_t>(c.size()), c.integers().data());
}

Column column_from_python(const py::handle& item, const std::string& layer) {
    const auto t = item.cast<py::tuple>();
    if (t.size() != 4 && t.size() != 6) {
        throw input_error("layer '" + layer + "': a column must be (name, type, values, null[, title, description])");
    }
    Column c;
    c.name = t[0].cast<std::string>();
    c.type = field_type(t[1].cast<std::string>());
    switch (c.type) {
        case FieldType::string: c.values = t[2].cast<std::vector<std::string>>(); break;
        case FieldType::integer:
        case FieldType::boolean: c.values = t[2].cast<std::vector<std::int64_t>>(); break;
        case FieldType::real: c.values = t[2].cast<std::vector<double>>(); break;
    }
    c.null = t[3].cast<std::vector<bool>>();
    if (t.size() == 6) {
        c.title = t[4].cast<std::string>();
        c.description = t[5].cast<std::string>();
    }
    return c;
}

LayerData layer_from_python(const py::dict& d) {
    LayerData l;
    l.name = d["name"].cast<std::string>();
    l.geometry_type = geometry_type(d["geometry_type"].cast<std::string>());
    l.crs = d["crs"].cast<std::string>();
    if (d.contains("description")) {
        l.description = d["description"].cast<std::string>();
    }
    for (const auto& w : d["wkb"]) {
        l.wkb.push_back(w.cast<std::string>());
    }
    for (const auto& c : d["columns"]) {
        l.columns.push_back(column_from_python(c, l.name));
    }
    return l;
}

} // namespace

py::dict to_python(const LayerData& layer) {
    py::dict d;
    d["name"] = layer.name;
    d["geometry_type"] = geometry_name(layer.geometry_type);
    d["crs"] = layer.crs;
    py::list wkb;
    for (const auto& w : layer.wkb) {
        wkb.append(py::bytes(w));
    }
    d["wkb"] = wkb;
    py::list columns;
    for (const auto& c : layer.columns) {
        columns.append(py::make_tuple(c.name, type_name(c.type), values_to_python(c), py::cast(c.null)));
    }
    d["columns"] = columns;
    return d;
}

py::list to_python(const std::vector<LayerData>& layers) {
    py::list out;
    for (const auto& l : layers) {
        out.append(to_python(l));
    }
    return out;
}

void bind_io(py::module_& m) {
    m.def(
        "write_gpkg",
        [](const std::string& path, const py::list& layers, const std::vector<std::string>& inputs) {
            std::vector<LayerData> data;
            for (const auto& l : layers) {
                data.push_back(layer_from_python(l.cast<py::dict>()));
            }
            // a Ctrl-C or SIGTERM that arrives while the engine writes cancels the write (KeyboardInterrupt)
            const auto check_signals = [] {
                py::gil_scoped_acquire gil;
                if (PyErr_CheckSignals() != 0) {
                    throw py::error_already_set();
                }
            };
            py::gil_scoped_release release;
            write_gpkg(path, data, inputs, check_signals);
        },
        py::arg("path"), py::arg("layers"), py::arg("inputs") = std::vector<std::string>{},
        "Write layers (dicts: name, geometry_type, crs, wkb, columns) to a GeoPackage, atomically; never over one "
        "of `inputs`.");
    m.def("temporary_path", &temporary_path, py::arg("path"), "Where an output is written before its rename.");
    m.def("remove_stale_temporaries", &remove_stale_temporaries, py::arg("path"),
          "Remove the temporaries of `path` left by killed runs; returns how many files were removed.");
    m.def("check_output_path", &check_output_path, py::arg("path"), py::arg("inputs"),
          "Refuse an output path that is a folder or the same file as one of `inputs` (InputError).");
    m.def(
        "layer_names",
        [](const std::string& path) {
            py::gil_scoped_release release;
            return layer_names(path);
        },
        py::arg("path"), "Names of the layers of an OGR-readable file.");
}

} // namespace tierslieux::python
