#pragma once
// RAII around the GDAL/OGR C API. Only files in src/ include this.

#include <tierslieux/errors.hpp>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <memory>
#include <string>

namespace tierslieux::detail {

/** Registers GDAL drivers once. */
void gdal_init();

struct dataset_deleter {
    void operator()(GDALDatasetH ds) const noexcept {
        if (ds) {
            GDALClose(ds);
        }
    }
}; // struct dataset_deleter
using dataset_ptr = std::unique_ptr<void, dataset_deleter>;

struct feature_deleter {
    void operator()(OGRFeatureH f) const noexcept { OGR_F_Destroy(f); }
}; // struct feature_deleter
using feature_ptr = std::unique_ptr<void, feature_deleter>;

struct geometry_deleter {
    void operator()(OGRGeometryH g) const noexcept { OGR_G_DestroyGeometry(g); }
}; // struct geometry_deleter
using ogr_geometry_ptr = std::unique_ptr<void, geometry_deleter>;

struct srs_deleter {
    void operator()(OGRSpatialReferenceH s) const noexcept { OSRRelease(s); }
}; // struct srs_deleter
using srs_ptr = std::unique_ptr<void, srs_deleter>;

struct field_defn_deleter {
    void operator()(OGRFieldDefnH f) const noexcept { OGR_Fld_Destroy(f); }
}; // struct field_defn_deleter
using field_defn_ptr = std::unique_ptr<void, field_defn_deleter>;

/** While alive, GDAL errors go nowhere (no stderr noise) and the last one can be read with last_gdal_error(). */
class quiet_gdal_errors {
public:
    quiet_gdal_errors() {
        CPLPushErrorHandler(CPLQuietErrorHandler);
        CPLErrorReset();
    }
    ~quiet_gdal_errors() { CPLPopErrorHandler(); }
    quiet_gdal_errors(const quiet_gdal_errors&) = delete;
    quiet_gdal_errors& operator=(const quiet_gdal_errors&) = delete;
}; // class quiet_gdal_errors

/** The last GDAL error message of this thread, or "" */
inline std::string last_gdal_error() {
    const char* m = CPLGetLastErrorMsg();
    return m ? m : "";
}

} // namespace tierslieux::detail
