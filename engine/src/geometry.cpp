#include <tierslieux/errors.hpp>
#include <tierslieux/geometry.hpp>

#include "detail/geos.hpp"

#include <algorithm>
#include <cmath>

namespace tierslieux {

using detail::geos;

double distance_m(const Point& a, const Point& b) noexcept {
    return std::hypot(a.x_m - b.x_m, a.y_m - b.y_m);
}

Geometry Geometry::from_wkb(const std::string& wkb) {
    GEOSWKBReader* reader = GEOSWKBReader_create_r(geos());
    GEOSGeometry* g = GEOSWKBReader_read_r(geos(), reader, reinterpret_cast<const unsigned char*>(wkb.data()),
                                           wkb.size());
    GEOSWKBReader_destroy_r(geos(), reader);
    if (!g) {
        detail::throw_geos("cannot parse WKB geometry");
    }
    return Geometry{g};
}

Geometry Geometry::from_wkt(const std::string& wkt) {
    GEOSWKTReader* reader = GEOSWKTReader_create_r(geos());
    GEOSGeometry* g = GEOSWKTReader_read_r(geos(), reader, wkt.c_str());
    GEOSWKTReader_destroy_r(geos(), reader);
    if (!g) {
        detail::throw_geos("cannot parse WKT geometry '" + wkt.substr(0, 60) + "'");
    }
    return Geometry{g};
}

Geometry Geometry::from_point(const Point& p) {
    GEOSGeometry* g = GEOSGeom_createPointFromXY_r(geos(), p.x_m, p.y_m);
    if (!g) {
        detail::throw_geos("cannot create point");
    }
    return Geometry{g};
}

Geometry Geometry::from_segment(const Point& a, const Point& b) { return from_line({a, b}); }

Geometry Geometry::from_line(const std::vector<Point>& points) {
    if (points.size() < 2) {
        throw geometry_error("a LineString needs at least 2 points (got " + std::to_string(points.size()) + ")");
    }
    GEOSCoordSequence* seq = GEOSCoordSeq_create_r(geos(), static_cast<unsigned>(points.size()), 2);
    if (!seq) {
        detail::throw_geos("cannot create line coordinates");
    }
    for (std::size_t i = 0; i < points.size(); ++i) {
        if (!GEOSCoordSeq_setXY_r(geos(), seq, static_cast<unsigned>(i), points[i].x_m, points[i].y_m)) {
            GEOSCoordSeq_destroy_r(geos(), seq);
            detail::throw_geos("cannot set line coordinates");
        }
    }
    GEOSGeometry* g = GEOSGeom_createLineString_r(geos(), seq); // takes ownership of seq
    if (!g) {
        detail::throw_geos("cannot create LineString");
    }
    return Geometry{g};
}

namespace {
const GEOSGeometry* checked(const Geometry& g, const char* what) {
    if (!g.get()) {
        throw geometry_error(std::string{what} + ": null geometry");
    }
    return g.get();
}
} // namespace

std::string Geometry::to_wkb() const {
    const GEOSGeometry* g = checked(*this, "to_wkb");
    GEOSWKBWriter* writer = GEOSWKBWriter_create_r(geos());
    GEOSWKBWriter_setOutputDimension_r(geos(), writer, 2);
    GEOSWKBWriter_setFlavor_r(geos(), writer, GEOS_WKB_ISO);
    std::size_t size = 0;
    unsigned char* buf = GEOSWKBWriter_write_r(geos(), writer, g, &size);
    GEOSWKBWriter_destroy_r(geos(), writer);
    if (!buf) {
        detail::throw_geos("cannot write WKB");
    }
    std::string out(reinterpret_cast<const char*>(buf), size);
    GEOSFree_r(geos(), buf);
    return out;
}

std::string Geometry::to_wkt() const {
    const GEOSGeometry* g = checked(*this, "to_wkt");
    GEOSWKTWriter* writer = GEOSWKTWriter_create_r(geos());
    GEOSWKTWriter_setTrim_r(geos(), writer, 1);
    char* buf = GEOSWKTWriter_write_r(geos(), writer, g);
    GEOSWKTWriter_destroy_r(geos(), writer);
    if (!buf) {
        detail::throw_geos("cannot write WKT");
    }
    std::string out{buf};
    GEOSFree_r(geos(), buf);
    return out;
}

std::string Geometry::type_name() const {
    char* t = GEOSGeomType_r(geos(), checked(*this, "type_name"));
    std::string out{t ? t : "?"};
    GEOSFree_r(geos(), t);
    return out;
}

bool Geometry::is_empty() const {
    return !get() || GEOSisEmpty_r(geos(), get()) == 1;
}

Geometry Geometry::clone() const {
    if (!get()) {
        return Geometry{};
    }
    GEOSGeometry* g = GEOSGeom_clone_r(geos(), get());
    if (!g) {
        detail::throw_geos("cannot copy geometry");
    }
    return Geometry{g};
}

Point Geometry::to_point() const {
    const GEOSGeometry* g = checked(*this, "to_point");
    if (GEOSGeomTypeId_r(geos(), g) != GEOS_POINT || GEOSisEmpty_r(geos(), g) == 1) {
        throw geometry_error("expected a non-empty Point, got " + type_name());
    }
    Point p;
    if (!GEOSGeomGetX_r(geos(), g, &p.x_m) || !GEOSGeomGetY_r(geos(), g, &p.y_m)) {
        detail::throw_geos("cannot read point coordinates");
    }
    return p;
}

std::string invalid_reason(const Geometry& geometry) {
    const GEOSGeometry* g = checked(geometry, "invalid_reason");
    if (GEOSisValid_r(geos(), g) == 1) {
        return {};
    }
    char* reason = GEOSisValidReason_r(geos(), g);
    std::string out{reason ? reason : "invalid"};
    GEOSFree_r(geos(), reason);
    return out;
}

bool is_valid(const Geometry& geometry) {
    const char v = GEOSisValid_r(geos(), checked(geometry, "is_valid"));
    if (v == 2) {
        detail::throw_geos("validity check failed");
    }
    return v == 1;
}

Geometry make_valid(const Geometry& geometry) {
    GEOSGeometry* g = GEOSMakeValid_r(geos(), checked(geometry, "make_valid"));
    if (!g) {
        detail::throw_geos("cannot repair geometry");
    }
    return Geometry{g};
}

Geometry to_multi_polygon(const Geometry& geometry) {
    const GEOSGeometry* g = checked(geometry, "to_multi_polygon");
    const int type = GEOSGeomTypeId_r(geos(), g);
    if (type == GEOS_MULTIPOLYGON) {
        return geometry.clone();
    }
    if (type != GEOS_POLYGON) {
        throw geometry_error("expected a Polygon or MultiPolygon, got " + geometry.type_name());
    }
    GEOSGeometry* parts[] = {geometry.clone().release()};
    GEOSGeometry* multi = GEOSGeom_createCollection_r(geos(), GEOS_MULTIPOLYGON, parts, 1);
    if (!multi) {
        GEOSGeom_destroy_r(geos(), parts[0]);
        detail::throw_geos("cannot build MultiPolygon");
    }
    return Geometry{multi};
}

double area_m2(const Geometry& geometry) {
    double area = 0.0;
    if (!GEOSArea_r(geos(), checked(geometry, "area_m2"), &area)) {
        detail::throw_geos("cannot compute area");
    }
    return area;
}

namespace {

/** The geometries as one GEOS collection (copies). */
Geometry collect(const std::vector<Geometry>& geometries, const char* what) {
    std::vector<GEOSGeometry*> parts;
    parts.reserve(geometries.size());
    for (const auto& g : geometries) {
        parts.push_back(GEOSGeom_clone_r(geos(), checked(g, what)));
    }
    GEOSGeometry* collection =
        GEOSGeom_createCollection_r(geos(), GEOS_GEOMETRYCOLLECTION, parts.data(), static_cast<unsigned>(parts.size()));
    if (!collection) {
        for (auto* p : parts) {
            GEOSGeom_destroy_r(geos(), p);
        }
        detail::throw_geos("cannot collect geometries");
    }
    return Geometry{collection};
}

} // namespace

Geometry union_of(const std::vector<Geometry>& geometries) {
    if (geometries.empty()) {
        return Geometry{};
    }
    const Geometry all = collect(geometries, "union_of");
    GEOSGeometry* u = GEOSUnaryUnion_r(geos(), all.get());
    if (!u) {
        detail::throw_geos("cannot compute union");
    }
    return Geometry{u};
}

Geometry coverage_union_of(const std::vector<Geometry>& polygons) {
    if (polygons.empty()) {
        return Geometry{};
    }
    const Geometry all = collect(polygons, "coverage_union_of");
    if (GEOSGeometry* u = GEOSCoverageUnion_r(geos(), all.get())) {
        Geometry result{u};
        double parts = 0.0;
        for (const auto& p : polygons) {
            parts += area_m2(p);
        }
        // polygons that overlap lose area in a union: then, or for a result GEOS finds invalid, the general union
        if (std::abs(area_m2(result) - parts) <= 1e-9 * std::max(1.0, parts) &&
            GEOSisValid_r(geos(), result.get()) == 1) {
            return result;
        }
    }
    detail::take_geos_error(); // what the coverage union said: the general union below answers instead
    return union_of(polygons);
}

double distance_to(const Geometry& geometry, const Point& p) {
    const Geometry point = Geometry::from_point(p);
    double d = 0.0;
    if (!GEOSDistance_r(geos(), checked(geometry, "distance_to"), point.get(), &d)) {
        detail::throw_geos("distance failed");
    }
    return d;
}

Geometry buffer(const Geometry& geometry, double distance_m) {
    GEOSGeometry* g = GEOSBuffer_r(geos(), checked(geometry, "buffer"), distance_m, 8);
    if (!g) {
        detail::throw_geos("cannot buffer geometry");
    }
    return Geometry{g};
}

Point point_on_surface(const Geometry& geometry) {
    GEOSGeometry* g = GEOSPointOnSurface_r(geos(), checked(geometry, "point_on_surface"));
    if (!g) {
        detail::throw_geos("cannot compute point on surface");
    }
    return Geometry{g}.to_point();
}

std::vector<std::pair<std::size_t, std::size_t>> adjacent_pairs(const std::vector<Geometry>& polygons,
                                                                double tolerance_m) {
    if (!(tolerance_m >= 0.0) || !std::isfinite(tolerance_m)) {
        throw input_error("adjacent_pairs: tolerance_m must be >= 0 and finite");
    }
    std::vector<std::pair<std::size_t, std::size_t>> pairs;
    if (polygons.empty()) {
        return pairs;
    }
    detail::strtree_ptr tree{GEOSSTRtree_create_r(geos(), 10)};
    // Envelopes grown by the tolerance are what the tree holds, so one query finds every candidate pair.
    std::vector<Geometry> envelopes;
    envelopes.reserve(polygons.size());
    std::vector<std::size_t> ids(polygons.size());
    for (std::size_t i = 0; i < polygons.size(); ++i) {
        ids[i] = i;
        const GEOSGeometry* g = checked(polygons[i], "adjacent_pairs");
        GEOSGeometry* env = GEOSEnvelope_r(geos(), g);
        if (!env) {
            detail::throw_geos("cannot compute envelope of polygon " + std::to_string(i));
        }
        if (tolerance_m > 0.0) {
            GEOSGeometry* grown = GEOSBuffer_r(geos(), env, tolerance_m, 1);
            GEOSGeom_destroy_r(geos(), env);
            if (!grown) {
                detail::throw_geos("cannot grow envelope of polygon " + std::to_string(i));
            }
            env = grown;
        }
        envelopes.emplace_back(env);
        GEOSSTRtree_insert_r(geos(), tree.get(), envelopes.back().get(), &ids[i]);
    }
    struct query_state {
        std::size_t self;
        std::vector<std::size_t> hits;
    } state{0, {}};
    auto callback = [](void* item, void* userdata) {
        auto* s = static_cast<query_state*>(userdata);
        const std::size_t j = *static_cast<std::size_t*>(item);
        if (j > s->self) {
            s->hits.push_back(j);
        }
    };
    for (std::size_t i = 0; i < polygons.size(); ++i) {
        state.self = i;
        state.hits.clear();
        GEOSSTRtree_query_r(geos(), tree.get(), envelopes[i].get(), callback, &state);
        if (state.hits.empty()) {
            continue;
        }
        detail::prepared_ptr prepared{GEOSPrepare_r(geos(), polygons[i].get())};
        if (!prepared) {
            detail::throw_geos("cannot prepare polygon " + std::to_string(i));
        }
        for (const std::size_t j : state.hits) {
            const char hit = tolerance_m > 0.0
                                 ? GEOSPreparedDistanceWithin_r(geos(), prepared.get(), polygons[j].get(), tolerance_m)
                                 : GEOSPreparedIntersects_r(geos(), prepared.get(), polygons[j].get());
            if (hit == 2) {
                detail::throw_geos("cannot relate polygons " + std::to_string(i) + " and " + std::to_string(j));
            }
            if (hit == 1) {
                pairs.emplace_back(i, j);
            }
        }
    }
    std::sort(pairs.begin(), pairs.end());
    return pairs;
}

} // namespace tierslieux
