#include <tierslieux/errors.hpp>
#include <tierslieux/reproject.hpp>

#include "detail/geos.hpp"

#include <proj.h>

#include <algorithm>
#include <cmath>

namespace tierslieux {

namespace {

struct context_deleter {
    void operator()(PJ_CONTEXT* c) const noexcept { proj_context_destroy(c); }
}; // struct context_deleter
struct pj_deleter {
    void operator()(PJ* p) const noexcept { proj_destroy(p); }
}; // struct pj_deleter
using context_ptr = std::unique_ptr<PJ_CONTEXT, context_deleter>;
using pj_ptr = std::unique_ptr<PJ, pj_deleter>;

std::string proj_message(PJ_CONTEXT* ctx) {
    const int err = proj_context_errno(ctx);
    return err ? proj_context_errno_string(ctx, err) : "unknown PROJ error";
}

pj_ptr make_crs(PJ_CONTEXT* ctx, const std::string& definition) {
    if (definition.empty()) {
        throw projection_error("empty CRS definition");
    }
    pj_ptr crs{proj_create(ctx, definition.c_str())};
    if (!crs) {
        throw projection_error("unknown CRS '" + definition.substr(0, 80) + "': " + proj_message(ctx));
    }
    return crs;
}

} // namespace

struct Transformer::impl {
    context_ptr ctx;
    pj_ptr op;
    bool identity = false;
}; // struct Transformer::impl

Transformer::Transformer(const std::string& source_crs, const std::string& target_crs)
    : m_impl(std::make_unique<impl>()) {
    m_impl->ctx.reset(proj_context_create());
    PJ_CONTEXT* ctx = m_impl->ctx.get();
    const pj_ptr source = make_crs(ctx, source_crs);
    const pj_ptr target = make_crs(ctx, target_crs);
    m_impl->identity = proj_is_equivalent_to(source.get(), target.get(), PJ_COMP_EQUIVALENT) == 1;
    pj_ptr op{proj_create_crs_to_crs_from_pj(ctx, source.get(), target.get(), nullptr, nullptr)};
    if (!op) {
        throw projection_error("no transformation from '" + source_crs.substr(0, 80) + "' to '" +
                               target_crs.substr(0, 80) + "': " + proj_message(ctx));
    }
    // EPSG:4326 is latitude-first by definition; normalise so that x is always longitude/easting.
    m_impl->op.reset(proj_normalize_for_visualization(ctx, op.get()));
    if (!m_impl->op) {
        throw projection_error("cannot normalise axis order: " + proj_message(ctx));
    }
}

Transformer::~Transformer() = default;
Transformer::Transformer(Transformer&&) noexcept = default;
Transformer& Transformer::operator=(Transformer&&) noexcept = default;

bool Transformer::is_identity() const noexcept { return m_impl->identity; }

Point Transformer::transform(double x, double y) const {
    if (m_impl->identity) {
        return Point{x, y};
    }
    PJ_COORD c = proj_coord(x, y, 0, 0);
    c = proj_trans(m_impl->op.get(), PJ_FWD, c);
    if (!std::isfinite(c.xy.x) || !std::isfinite(c.xy.y)) {
        throw projection_error("cannot transform coordinate (" + std::to_string(x) + ", " + std::to_string(y) +
                               "): " + proj_message(m_impl->ctx.get()));
    }
    return Point{c.xy.x, c.xy.y};
}

Geometry Transformer::transform(const Geometry& geometry) const {
    if (m_impl->identity) {
        return geometry.clone();
    }
    struct state {
        const Transformer* self;
        std::string error;
    } st{this, {}};
    auto callback = [](double* x, double* y, void* userdata) -> int {
        auto* s = static_cast<state*>(userdata);
        try {
            const Point p = s->self->transform(*x, *y);
            *x = p.x_m;
            *y = p.y_m;
            return 1;
        } catch (const std::exception& e) {
            s->error = e.what();
            return 0;
        }
    };
    GEOSGeometry* out = GEOSGeom_transformXY_r(detail::geos(), geometry.get(), callback, &st);
    if (!out) {
        detail::take_geos_error();
        throw projection_error(st.error.empty() ? "cannot transform geometry" : st.error);
    }
    return Geometry{out};
}

bool is_metric_crs(const std::string& crs) {
    context_ptr ctx{proj_context_create()};
    const pj_ptr pj = make_crs(ctx.get(), crs);
    PJ_TYPE type = proj_get_type(pj.get());
    pj_ptr horizontal;
    const PJ* base = pj.get();
    if (type == PJ_TYPE_COMPOUND_CRS) {
        horizontal.reset(proj_crs_get_sub_crs(ctx.get(), pj.get(), 0));
        base = horizontal.get();
        type = proj_get_type(base);
    }
    if (type != PJ_TYPE_PROJECTED_CRS) {
        return false;
    }
    const pj_ptr cs{proj_crs_get_coordinate_system(ctx.get(), base)};
    if (!cs) {
        return false;
    }
    const int axes = proj_cs_get_axis_count(ctx.get(), cs.get());
    for (int i = 0; i < std::min(axes, 2); ++i) {
        double factor = 0.0;
        if (!proj_cs_get_axis_info(ctx.get(), cs.get(), i, nullptr, nullptr, nullptr, &factor, nullptr, nullptr,
                                   nullptr) ||
            factor != 1.0) {
            return false;
        }
    }
    return true;
}

} // namespace tierslieux
