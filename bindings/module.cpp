#include "bindings.hpp"

#include <tierslieux/errors.hpp>

namespace py = pybind11;

PYBIND11_MODULE(_core, m) {
    m.doc() = "tierslieux C++ engine (private: use the tierslieux package)";
    py::register_exception<tierslieux::input_error>(m, "InputError", PyExc_ValueError);
    py::register_exception<tierslieux::io_error>(m, "IoError", PyExc_OSError);
    py::register_exception<tierslieux::geometry_error>(m, "GeometryError", PyExc_RuntimeError);
    py::register_exception<tierslieux::projection_error>(m, "ProjectionError", PyExc_RuntimeError);
    py::register_exception<tierslieux::not_found>(m, "NotFound", PyExc_KeyError);
    tierslieux::python::bind_io(m);
    tierslieux::python::bind_pipeline(m);
    tierslieux::python::bind_network(m);
    tierslieux::python::bind_osm(m);
    tierslieux::python::bind_portfolio(m);
}
