#include "detail/geos.hpp"

#include <cstdarg>
#include <cstdio>

namespace tierslieux::detail {

namespace {

struct geos_context {
    GEOSContextHandle_t handle = nullptr;
    std::string last_error;

    geos_context() {
        handle = GEOS_init_r();
        GEOSContext_setErrorMessageHandler_r(handle, &geos_context::on_error, this);
    }
    ~geos_context() { GEOS_finish_r(handle); }
    geos_context(const geos_context&) = delete;
    geos_context& operator=(const geos_context&) = delete;

    static void on_error(const char* message, void* userdata) {
        static_cast<geos_context*>(userdata)->last_error = message ? message : "";
    }
}; // struct geos_context

geos_context& context() {
    thread_local geos_context ctx;
    return ctx;
}

} // namespace

GEOSContextHandle_t geos() { return context().handle; }

std::string take_geos_error() {
    std::string e;
    e.swap(context().last_error);
    return e;
}

void throw_geos(const std::string& what) {
    const auto msg = take_geos_error();
    throw geometry_error(msg.empty() ? what : what + ": " + msg);
}

void geos_geometry_deleter::operator()(GEOSGeom_t* geometry) const noexcept {
    if (geometry) {
        GEOSGeom_destroy_r(geos(), geometry);
    }
}

} // namespace tierslieux::detail
