#pragma once
/**
 * @file reproject.hpp
 * Coordinate transformations through PROJ, always in "GIS order" (longitude/easting first), whatever the
 * axis order the CRS definition declares (EPSG:4326 is latitude-first in its definition).
 */

#include <tierslieux/geometry.hpp>

#include <memory>
#include <string>

namespace tierslieux {

/**
 * A transformation from one CRS to another. Each Transformer owns its PROJ context: use one per thread.
 * CRS strings are anything PROJ understands: "EPSG:2154", WKT, PROJJSON, a PROJ string.
 */
class Transformer {
public:
    /** Throws projection_error when a CRS is unknown or no transformation exists. */
    Transformer(const std::string& source_crs, const std::string& target_crs);
    ~Transformer();
    Transformer(const Transformer&) = delete;
    Transformer& operator=(const Transformer&) = delete;
    Transformer(Transformer&&) noexcept;
    Transformer& operator=(Transformer&&) noexcept;

    /** Transforms one coordinate pair (x = longitude/easting, y = latitude/northing). */
    Point transform(double x, double y) const;
    /** A transformed copy of any geometry. Throws projection_error when a coordinate fails. */
    Geometry transform(const Geometry& geometry) const;
    /** True when source and target are the same CRS (transform is then a copy). */
    bool is_identity() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> m_impl;
}; // class Transformer

/** True when the CRS uses metres on both horizontal axes (a projected, metric CRS). */
bool is_metric_crs(const std::string& crs);

} // namespace tierslieux
