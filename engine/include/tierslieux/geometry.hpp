#pragma once
/**
 * @file geometry.hpp
 * Geometries (owned GEOS geometries) and the spatial relations the engine needs: validity, repair,
 * point-on-surface, commune adjacency and nearest-point queries, both through GEOS STRtree indexes.
 * Coordinates are in the metric CRS of the data (metres, EPSG:2154 by default).
 */

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

struct GEOSGeom_t; // GEOSGeometry of geos_c.h; only a pointer crosses this header

namespace tierslieux {

namespace detail {
/** Destroys a GEOS geometry with the calling thread's GEOS context. */
struct geos_geometry_deleter {
    void operator()(GEOSGeom_t* geometry) const noexcept;
}; // struct geos_geometry_deleter
} // namespace detail

/** A point in a metric CRS, coordinates in metres (x = easting, y = northing). */
struct Point {
    double x_m = 0.0;
    double y_m = 0.0;
}; // struct Point

/** Straight-line distance between two points, in metres. */
double distance_m(const Point& a, const Point& b) noexcept;

/** A move-only owner of one GEOS geometry. */
class Geometry {
public:
    Geometry() = default;
    /** Takes ownership of a GEOS geometry (may be null: an empty Geometry). */
    explicit Geometry(GEOSGeom_t* geometry) noexcept : m_geometry(geometry) {}

    /** Parses ISO/OGC WKB; throws geometry_error on bad bytes. */
    static Geometry from_wkb(const std::string& wkb);
    /** Parses WKT; throws geometry_error on bad text. */
    static Geometry from_wkt(const std::string& wkt);
    /** A point geometry at (x_m, y_m). */
    static Geometry from_point(const Point& p);

    /** A two-point LineString from a to b. */
    static Geometry from_segment(const Point& a, const Point& b);
    /** A LineString through the points (at least 2; geometry_error otherwise). */
    static Geometry from_line(const std::vector<Point>& points);

    /** ISO WKB, 2D. */
    std::string to_wkb() const;
    /** WKT, trimmed. */
    std::string to_wkt() const;
    /** GEOS type name: "Point", "Polygon", "MultiPolygon"… */
    std::string type_name() const;
    /** True when there is no geometry or it is empty. */
    bool is_empty() const;
    /** A deep copy. */
    Geometry clone() const;
    /** The coordinates of a Point geometry; throws geometry_error for any other type. */
    Point to_point() const;

    const GEOSGeom_t* get() const noexcept { return m_geometry.get(); }
    GEOSGeom_t* release() noexcept { return m_geometry.release(); }

private:
    std::unique_ptr<GEOSGeom_t, detail::geos_geometry_deleter> m_geometry;
}; // class Geometry

/** Empty when the geometry is valid, else GEOS's reason ("Self-intersection[x y]"). */
std::string invalid_reason(const Geometry& geometry);

/** True when GEOS finds the geometry valid (OGC rules). */
bool is_valid(const Geometry& geometry);

/** A valid version of the geometry (GEOSMakeValid), polygons kept as (Multi)Polygon. */
Geometry make_valid(const Geometry& geometry);

/** A Polygon wrapped as a one-part MultiPolygon; a MultiPolygon copied; anything else: geometry_error. */
Geometry to_multi_polygon(const Geometry& geometry);

/** Area in square metres (0 for points and lines). */
double area_m2(const Geometry& geometry);

/** The union of the geometries (GEOS unary union); empty input gives an empty Geometry. */
Geometry union_of(const std::vector<Geometry>& geometries);

/**
 * The union of polygons that tile the plane without overlapping (communes): GEOS's coverage union, which only
 * drops the shared edges (several times faster). Its result is kept when it has the polygons' total area and is
 * valid; polygons that overlap or whose shared edges do not match get the general union_of instead.
 */
Geometry coverage_union_of(const std::vector<Geometry>& polygons);

/** The geometry grown by distance_m (GEOS buffer, 8 segments per quarter circle). */
Geometry buffer(const Geometry& geometry, double distance_m);

/** Straight-line distance in metres from p to the geometry (0 inside a polygon). */
double distance_to(const Geometry& geometry, const Point& p);

/** A point guaranteed to lie inside the geometry (GEOSPointOnSurface). */
Point point_on_surface(const Geometry& geometry);

/**
 * Pairs (i, j), i < j, of polygons that share a border: they touch, overlap or lie within tolerance_m of each
 * other (simplified commune outlines of different sources leave slivers and gaps of a few metres).
 * Candidates come from a GEOS STRtree; each pair is tested with a prepared geometry. Sorted.
 */
std::vector<std::pair<std::size_t, std::size_t>> adjacent_pairs(const std::vector<Geometry>& polygons,
                                                                double tolerance_m = 0.0);

} // namespace tierslieux
