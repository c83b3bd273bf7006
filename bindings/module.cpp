#include "bindings.hpp"

#include <tierslieux/errors.hpp>

namespace py = pybind11;

namespace {

/** InputError, kept for the translator below (a module-lifetime reference, never released). */
PyObject* input_error_type = nullptr;

/** An engine input_error as an InputError whose attributes carry its diagnostic (code, ids, file, layer…). */
void translate_input_error(std::exception_ptr p) {
    try {
        if (p) {
            std::rethrow_exception(p);
        }
    } catch (const tierslieux::input_error& e) {
        const tierslieux::Diagnostic& d = e.diagnostic();
        py::object error = py::reinterpret_borrow<py::object>(input_error_type)(e.what());
        error.attr("code") = d.code;
        py::tuple ids(d.ids.size());
        for (std::size_t i = 0; i < d.ids.size(); ++i) {
            ids[i] = py::str(d.ids[i]);
        }
        error.attr("ids") = ids;
        error.attr("file") = d.file;
        error.attr("layer") = d.layer;
        error.attr("feature_id") = d.feature_id < 0 ? py::object(py::none()) : py::object(py::int_(d.feature_id));
        error.attr("field") = d.field;
        PyErr_SetObject(input_error_type, error.ptr());
    }
}

} // namespace

PYBIND11_MODULE(_core, m) {
    m.doc() = "tierslieux C++ engine (private: use the tierslieux package)";
    // InputError: a ValueError with the diagnostic's fields as attributes (class defaults for errors raised in Python)
    const auto& input = py::register_exception<tierslieux::input_error>(m, "InputError", PyExc_ValueError);
    input.attr("code") = "input_error";
    input.attr("ids") = py::tuple();
    input.attr("file") = "";
    input.attr("layer") = "";
    input.attr("feature_id") = py::none();
    input.attr("field") = "";
    input_error_type = input.ptr();
    Py_INCREF(input_error_type);
    py::register_exception_translator(&translate_input_error);
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
