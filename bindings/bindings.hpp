#pragma once
// Declarations shared by the binding files (glue only).

#include <tierslieux/io.hpp>

#include <pybind11/pybind11.h>

#include <vector>

namespace tierslieux::python {

void bind_io(pybind11::module_& m);
void bind_pipeline(pybind11::module_& m);
void bind_network(pybind11::module_& m);
void bind_osm(pybind11::module_& m);
void bind_portfolio(pybind11::module_& m);

/** A layer as a dict: name, geometry_type, crs, wkb (list of bytes), columns (list of (name, type, values, null)). */
pybind11::dict to_python(const LayerData& layer);
pybind11::list to_python(const std::vector<LayerData>& layers);

} // namespace tierslieux::python
