#pragma once
// RAII around the GEOS C API (reentrant _r functions). Only files in src/ include this.

#include <tierslieux/errors.hpp>
#include <tierslieux/geometry.hpp>

#include <geos_c.h>

#include <memory>
#include <string>

namespace tierslieux::detail {

/** The calling thread's GEOS context; its error handler records the last message. */
GEOSContextHandle_t geos();

/** Last error message GEOS reported on this thread (cleared by the call). */
std::string take_geos_error();

/** Throws geometry_error("<what>: <GEOS message>") */
[[noreturn]] void throw_geos(const std::string& what);

struct geos_prepared_deleter {
    void operator()(const GEOSPreparedGeometry* g) const noexcept { GEOSPreparedGeom_destroy_r(geos(), g); }
}; // struct geos_prepared_deleter
using prepared_ptr = std::unique_ptr<const GEOSPreparedGeometry, geos_prepared_deleter>;

struct geos_strtree_deleter {
    void operator()(GEOSSTRtree* t) const noexcept { GEOSSTRtree_destroy_r(geos(), t); }
}; // struct geos_strtree_deleter
using strtree_ptr = std::unique_ptr<GEOSSTRtree, geos_strtree_deleter>;

} // namespace tierslieux::detail
