#include <tierslieux/errors.hpp>
#include <tierslieux/io.hpp>
#include <tierslieux/reproject.hpp>

#include "detail/gdal.hpp"
#include "detail/text.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>

#include <signal.h>
#include <unistd.h>

namespace tierslieux {

namespace fs = std::filesystem;

namespace detail {
void gdal_init() {
    static std::once_flag once;
    std::call_once(once, [] { GDALAllRegister(); });
}
} // namespace detail

// ---------------------------------------------------------------------------------------------- Column

std::size_t Column::size() const {
    return std::visit([](const auto& v) { return v.size(); }, values);
}

const std::vector<std::string>& Column::strings() const {
    if (const auto* v = std::get_if<std::vector<std::string>>(&values)) {
        return *v;
    }
    throw input_error("column '" + name + "' does not hold strings");
}

const std::vector<std::int64_t>& Column::integers() const {
    if (const auto* v = std::get_if<std::vector<std::int64_t>>(&values)) {
        return *v;
    }
    throw input_error("column '" + name + "' does not hold integers");
}

const std::vector<double>& Column::reals() const {
    if (const auto* v = std::get_if<std::vector<double>>(&values)) {
        return *v;
    }
    throw input_error("column '" + name + "' does not hold reals");
}

Column Column::of_strings(std::string name, std::vector<std::string> values) {
    Column c;
    c.name = std::move(name);
    c.type = FieldType::string;
    c.null.assign(values.size(), false);
    c.values = std::move(values);
    return c;
}

Column Column::of_integers(std::string name, std::vector<std::int64_t> values) {
    Column c;
    c.name = std::move(name);
    c.type = FieldType::integer;
    c.null.assign(values.size(), false);
    c.values = std::move(values);
    return c;
}

Column Column::of_booleans(std::string name, const std::vector<bool>& values) {
    Column c = of_integers(std::move(name), std::vector<std::int64_t>(values.begin(), values.end()));
    c.type = FieldType::boolean;
    return c;
}

Column Column::of_reals(std::string name, std::vector<double> values) {
    Column c;
    c.name = std::move(name);
    c.type = FieldType::real;
    c.null.resize(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        c.null[i] = std::isnan(values[i]);
    }
    c.values = std::move(values);
    return c;
}

// ---------------------------------------------------------------------------------------------- reading

const Column& FeatureTable::column(const std::string& field) const {
    for (const auto& c : columns) {
        if (c.name == field) {
            return c;
        }
    }
    throw not_found("no column '" + field + "' was read from layer '" + layer + "' of '" + path + "'");
}

bool FeatureTable::has_field(const std::string& field) const {
    // OGR matches field names case-insensitively: so does this
    auto same = [&](const std::string& name) {
        return name.size() == field.size() &&
               std::equal(name.begin(), name.end(), field.begin(), [](char a, char b) {
                   return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
               });
    };
    return std::any_of(fields.begin(), fields.end(), same);
}

std::string FeatureTable::where(std::size_t index) const {
    return "file '" + path + "', layer '" + layer + "', feature fid=" + std::to_string(fids.at(index));
}

input_error FeatureTable::error(std::size_t index, const std::string& code, const std::string& field,
                                const std::string& text) const {
    return input_error(Diagnostic{code, text, {}, path, layer, fids.at(index), field});
}

input_error layer_error(const std::string& path, const std::string& layer, const std::string& code,
                        const std::string& field, const std::string& text) {
    return input_error(Diagnostic{code, text, {}, path, layer, -1, field});
}

namespace {

detail::dataset_ptr open_vector(const std::string& path) {
    detail::gdal_init();
    std::error_code ec;
    if (!fs::exists(path, ec)) {
        throw io_error("file '" + path + "' does not exist");
    }
    detail::quiet_gdal_errors quiet;
    detail::dataset_ptr ds{GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr)};
    if (!ds) {
        const auto msg = detail::last_gdal_error();
        throw io_error("cannot open '" + path + "' as a vector dataset" + (msg.empty() ? "" : ": " + msg));
    }
    return ds;
}

std::vector<std::string> names_of(GDALDatasetH ds) {
    std::vector<std::string> out;
    for (int i = 0; i < GDALDatasetGetLayerCount(ds); ++i) {
        out.emplace_back(OGR_L_GetName(GDALDatasetGetLayer(ds, i)));
    }
    return out;
}

std::string srs_to_wkt(OGRSpatialReferenceH srs) {
    char* wkt = nullptr;
    const char* options[] = {"FORMAT=WKT2_2019", nullptr};
    if (OSRExportToWktEx(srs, &wkt, options) != OGRERR_NONE || !wkt) {
        CPLFree(wkt);
        throw projection_error("cannot export the layer's CRS as WKT");
    }
    std::string out{wkt};
    CPLFree(wkt);
    return out;
}

/** True when every coordinate of g (x, y, and z when present) is a finite number. */
bool all_finite(OGRGeometryH g) {
    for (int i = 0; i < OGR_G_GetGeometryCount(g); ++i) {
        if (!all_finite(OGR_G_GetGeometryRef(g, i))) {
            return false;
        }
    }
    for (int i = 0; i < OGR_G_GetPointCount(g); ++i) {
        if (!std::isfinite(OGR_G_GetX(g, i)) || !std::isfinite(OGR_G_GetY(g, i)) || !std::isfinite(OGR_G_GetZ(g, i))) {
            return false;
        }
    }
    return true;
}

/** The feature's geometry as GEOS, reprojected, repaired if invalid (with a warning naming it). */
Geometry read_geometry(OGRFeatureH feature, const Transformer& transformer, const ReadOptions& options,
                       FeatureTable& table, std::size_t row) {
    const std::string where = table.where(row);
    OGRGeometryH g = OGR_F_GetGeometryRef(feature);
    if (!g || OGR_G_IsEmpty(g)) {
        throw table.error(row, "no_geometry", "", where + " has no geometry");
    }
    if (!all_finite(g)) {
        throw table.error(row, "non_finite_coordinate", "",
                          where + " has a coordinate that is not a finite number (NaN or infinity)");
    }
    std::string wkb(static_cast<std::size_t>(OGR_G_WkbSize(g)), '\0');
    if (OGR_G_ExportToIsoWkb(g, wkbNDR, reinterpret_cast<unsigned char*>(wkb.data())) != OGRERR_NONE) {
        throw table.error(row, "bad_geometry", "", where + ": cannot export its geometry");
    }
    Geometry geometry;
    try {
        geometry = transformer.transform(Geometry::from_wkb(wkb));
    } catch (const geometry_error& e) {
        throw geometry_error(where + ": " + e.what());
    } catch (const projection_error& e) {
        throw projection_error(where + ": " + e.what());
    }
    const std::string reason = invalid_reason(geometry);
    if (!reason.empty()) {
        if (!options.repair_invalid) {
            throw geometry_error(where + " has an invalid geometry: " + reason);
        }
        try {
            geometry = make_valid(geometry);
        } catch (const geometry_error& e) {
            throw geometry_error(where + " has an invalid geometry (" + reason + ") that cannot be repaired: " +
                                 e.what());
        }
        table.warnings.push_back({"geometry_repaired",
                                  where + " had an invalid geometry (" + reason + "); repaired with MakeValid",
                                  {},
                                  table.path,
                                  table.layer,
                                  table.fids.at(row)});
    }
    return geometry;
}

/** GeoPackage writes layers without CRS with srs_id 0 / -1, which GDAL reports as "Undefined (geographic) SRS". */
bool is_undefined(OGRSpatialReferenceH srs) {
    const char* name = OSRGetName(srs);
    return OSRIsLocal(srs) || (name && std::string{name}.rfind("Undefined", 0) == 0);
}

std::optional<double> parse_real(const std::string& s) {
    const char* begin = s.c_str();
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(begin, &end);
    while (end && *end == ' ') {
        ++end;
    }
    if (end == begin || *end != '\0' || errno == ERANGE) {
        return std::nullopt;
    }
    return v;
}

/** A boolean written as a word, in English or French, any case: true/false, yes/no, oui/non, vrai/faux. */
std::optional<bool> boolean_word(std::string word) {
    for (char& ch : word) {
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    if (word == "true" || word == "yes" || word == "oui" || word == "vrai") {
        return true;
    }
    if (word == "false" || word == "no" || word == "non" || word == "faux") {
        return false;
    }
    return std::nullopt;
}

/** Appends feature's value of one field to col (null when absent); numbers are read as numbers, not text. */
void read_value(OGRFeatureH feature, int i, const FieldSpec& spec, const FeatureTable& table, std::size_t row,
                Column& col) {
    const std::string where = table.where(row);
    const bool is_null = i < 0 || !OGR_F_IsFieldSetAndNotNull(feature, i);
    const std::string raw = is_null ? std::string{} : OGR_F_GetFieldAsString(feature, i);
    const bool empty = is_null || raw.empty();
    if (empty && spec.required) {
        throw table.error(row, "empty_value", spec.field, where + ": field '" + spec.field + "' is empty");
    }
    col.null.push_back(empty);
    const OGRFieldType file_type =
        i < 0 ? OFTString : OGR_Fld_GetType(OGR_FD_GetFieldDefn(OGR_F_GetDefnRef(feature), i));
    const bool file_integer = file_type == OFTInteger || file_type == OFTInteger64;
    const bool file_real = file_type == OFTReal;
    auto bad_value = [&](const char* expected) {
        return table.error(row, "bad_value", spec.field,
                           where + ": field '" + spec.field + "' = '" + raw + "' is not " + expected);
    };
    switch (spec.type) {
        case FieldType::string:
            std::get<std::vector<std::string>>(col.values).push_back(raw);
            return;
        case FieldType::real: {
            double v = std::nan("");
            if (!empty) {
                const auto parsed = (file_integer || file_real) ? std::optional<double>{OGR_F_GetFieldAsDouble(feature, i)}
                                                                : parse_real(raw);
                if (!parsed || !std::isfinite(*parsed)) {
                    throw bad_value("a finite number");
                }
                v = *parsed;
            }
            std::get<std::vector<double>>(col.values).push_back(v);
            return;
        }
        case FieldType::integer:
        case FieldType::boolean: {
            const bool boolean = spec.type == FieldType::boolean;
            const char* expected = boolean ? "a boolean (0/1, true/false, oui/non)" : "an integer";
            std::int64_t v = 0;
            if (empty) {
                // null: v stays 0, col.null says so
            } else if (file_integer) {
                v = OGR_F_GetFieldAsInteger64(feature, i);
            } else if (const std::optional<bool> word = boolean ? boolean_word(raw) : std::nullopt) {
                v = *word ? 1 : 0;
            } else {
                const auto parsed = file_real ? std::optional<double>{OGR_F_GetFieldAsDouble(feature, i)} : parse_real(raw);
                // 2^53: beyond it a double no longer holds every integer exactly
                if (!parsed || std::trunc(*parsed) != *parsed || std::fabs(*parsed) > 9007199254740992.0) {
                    throw bad_value(expected);
                }
                v = static_cast<std::int64_t>(*parsed);
            }
            if (boolean && v != 0 && v != 1) {
                throw bad_value(expected);
            }
            std::get<std::vector<std::int64_t>>(col.values).push_back(v);
            return;
        }
    }
}

/**
 * SQLite (and so GeoPackage) stores any value in any column: 'abc' in an INTEGER column reads as 0 through GDAL,
 * without a word. For those files, asks SQLite which stored value of a numeric or boolean field is not a number
 * (or not 0/1) and refuses the first, naming its fid.
 */
void check_stored_types(GDALDatasetH ds, OGRLayerH layer, const std::vector<FieldSpec>& fields,
                        const std::string& where_layer) {
    const std::string driver = GDALGetDriverShortName(GDALGetDatasetDriver(ds));
    if (driver != "GPKG" && driver != "SQLite") {
        return;
    }
    const char* fid_column = OGR_L_GetFIDColumn(layer);
    if (!fid_column || !*fid_column) {
        return;
    }
    auto quoted = [](const std::string& name) {
        std::string out = "\"";
        for (const char ch : name) {
            out += ch == '"' ? std::string{"\"\""} : std::string(1, ch);
        }
        return out + "\"";
    };
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    for (const FieldSpec& spec : fields) {
        const int index = OGR_FD_GetFieldIndex(defn, spec.field.c_str());
        if (spec.type == FieldType::string || index < 0) {
            continue;
        }
        const OGRFieldType declared = OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, index));
        if (declared != OFTInteger && declared != OFTInteger64 && declared != OFTReal) {
            continue; // a text column: its values are parsed, and refused, as they are read
        }
        const std::string column = quoted(spec.field);
        // GDAL reads text as 0 and 20.5 as 20 in an integer column, without a word; booleans stored as 2 and
        // non-finite reals are caught as they are read
        std::string wrong = "typeof(" + column + ") NOT IN ('null', 'integer', 'real')";
        if (declared != OFTReal) { // GDAL converts by the declared type: a real in an integer column is cut
            wrong += " OR (typeof(" + column + ") = 'real' AND " + column + " <> CAST(" + column + " AS INTEGER))";
        }
        // computed columns, so that GDAL does not take the first one as the result's FID
        const std::string sql = "SELECT " + quoted(fid_column) + " + 0 AS bad_fid, CAST(" + column +
                                " AS TEXT) AS bad_value, typeof(" + column + ") AS bad_type FROM " +
                                quoted(OGR_L_GetName(layer)) + " WHERE " + column + " IS NOT NULL AND (" + wrong +
                                ") ORDER BY 1 LIMIT 1";
        detail::quiet_gdal_errors quiet;
        OGRLayerH result = GDALDatasetExecuteSQL(ds, sql.c_str(), nullptr, nullptr);
        if (!result) {
            continue; // not a plain table (a view, for example): the values are checked as read
        }
        std::string message;
        std::int64_t bad_fid = -1;
        if (detail::feature_ptr f{OGR_L_GetNextFeature(result)}) {
            bad_fid = OGR_F_GetFieldAsInteger64(f.get(), 0);
            const std::string stored = OGR_F_GetFieldAsString(f.get(), 2);
            const char* expected = spec.type == FieldType::boolean ? "0 or 1"
                                   : spec.type == FieldType::integer || declared != OFTReal ? "a whole number"
                                                                                            : "a number";
            message = where_layer + ", feature fid=" + std::to_string(OGR_F_GetFieldAsInteger64(f.get(), 0)) +
                      ": field '" + spec.field + "' = '" + OGR_F_GetFieldAsString(f.get(), 1) + "' is stored as " +
                      stored + " in a column of type " + OGR_GetFieldTypeName(declared) + ", which GDAL would read " +
                      (stored == "text" ? "as 0" : "cut to an integer") + ": store " + expected;
        }
        GDALDatasetReleaseResultSet(ds, result);
        if (!message.empty()) {
            throw input_error(Diagnostic{"bad_value", message, {}, GDALGetDescription(ds), OGR_L_GetName(layer), bad_fid,
                                         spec.field});
        }
    }
}

} // namespace

std::vector<std::string> layer_names(const std::string& path) {
    detail::quiet_gdal_errors quiet; // GDAL's own messages say nothing the error thrown does not
    const auto ds = open_vector(path);
    return names_of(ds.get());
}

FeatureTable read_layer(const std::string& path, const std::string& layer_name, const std::vector<FieldSpec>& fields,
                        const ReadOptions& options) {
    if (!is_metric_crs(options.target_crs)) {
        throw input_error("target CRS '" + options.target_crs + "' is not a projected CRS in metres");
    }
    detail::quiet_gdal_errors quiet; // until the dataset is closed: no "ERROR 1: …" on stderr for a damaged file
    const auto ds = open_vector(path);
    OGRLayerH layer = GDALDatasetGetLayerByName(ds.get(), layer_name.c_str());
    if (!layer) {
        throw io_error("file '" + path + "' has no layer '" + layer_name +
                       "' (layers: " + detail::join_names(names_of(ds.get())) + ")");
    }
    FeatureTable table;
    table.path = path;
    table.layer = layer_name;
    const std::string where_layer = "file '" + path + "', layer '" + layer_name + "'";

    // --- fields
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    std::vector<int> index(fields.size(), -1);
    std::vector<std::string> present;
    for (int i = 0; i < OGR_FD_GetFieldCount(defn); ++i) {
        present.emplace_back(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)));
    }
    table.fields = present;
    for (std::size_t k = 0; k < fields.size(); ++k) {
        index[k] = OGR_FD_GetFieldIndex(defn, fields[k].field.c_str());
        if (index[k] < 0 && fields[k].required) {
            throw layer_error(path, layer_name, "missing_field", fields[k].field,
                              where_layer + ": required field '" + fields[k].field + "' is missing (fields: " +
                                  detail::join_names(present) + ")");
        }
        Column c;
        c.name = fields[k].field;
        c.type = fields[k].type;
        switch (fields[k].type) {
            case FieldType::string: c.values = std::vector<std::string>{}; break;
            case FieldType::integer:
            case FieldType::boolean: c.values = std::vector<std::int64_t>{}; break;
            case FieldType::real: c.values = std::vector<double>{}; break;
        }
        table.columns.push_back(std::move(c));
    }

    // --- CRS
    OGRSpatialReferenceH srs = options.read_geometry ? OGR_L_GetSpatialRef(layer) : nullptr;
    if (srs && is_undefined(srs)) {
        srs = nullptr; // GeoPackage's "Undefined SRS" placeholders say nothing about the coordinates
    }
    if (!options.read_geometry) {
        table.source_crs = options.target_crs;
    } else if (srs) {
        table.source_crs = srs_to_wkt(srs);
    } else if (!options.assume_source_crs.empty()) {
        table.source_crs = options.assume_source_crs;
    } else {
        throw input_error(where_layer + " declares no coordinate reference system; state the CRS of its "
                          "coordinates (assume_source_crs in C++, assume_crs in Python, --assume-crs on the command line), e.g. EPSG:4326");
    }
    const Transformer transformer{table.source_crs, options.target_crs};

    check_stored_types(ds.get(), layer, fields, where_layer);

    // --- features. A damaged file makes GDAL report an error and stop early: that is an error here, never a
    // silently shorter layer.
    OGR_L_ResetReading(layer);
    while (true) {
        CPLErrorReset();
        detail::feature_ptr feature{OGR_L_GetNextFeature(layer)};
        if (CPLGetLastErrorType() >= CE_Failure) {
            // GDAL may still return the feature it failed on (a bad geometry): name it, else the one before
            throw io_error(where_layer + ": cannot read " +
                           (feature ? "feature fid=" + std::to_string(OGR_F_GetFID(feature.get()))
                            : table.fids.empty() ? std::string{"the first feature"}
                                                 : "the feature after fid=" + std::to_string(table.fids.back())) +
                           " (" + std::to_string(table.fids.size()) + " read): " + detail::last_gdal_error() +
                           "; the file may be damaged");
        }
        if (!feature) {
            break;
        }
        const std::size_t row = table.fids.size();
        table.fids.push_back(OGR_F_GetFID(feature.get()));
        table.geometries.push_back(options.read_geometry ? read_geometry(feature.get(), transformer, options, table, row)
                                                         : Geometry{});
        for (std::size_t k = 0; k < fields.size(); ++k) {
            read_value(feature.get(), index[k], fields[k], table, row, table.columns[k]);
        }
    }
    return table;
}

// ---------------------------------------------------------------------------------------------- writing

std::size_t LayerData::size() const {
    if (geometry_type != GeometryType::none) {
        return wkb.size();
    }
    return columns.empty() ? 0 : columns.front().size();
}

namespace {

OGRwkbGeometryType to_ogr(GeometryType t) {
    switch (t) {
        case GeometryType::none: return wkbNone;
        case GeometryType::point: return wkbPoint;
        case GeometryType::line_string: return wkbLineString;
        case GeometryType::polygon: return wkbPolygon;
        case GeometryType::multi_polygon: return wkbMultiPolygon;
    }
    return wkbUnknown;
}

void check_layer(const LayerData& layer) {
    if (layer.name.empty()) {
        throw input_error("write_gpkg: a layer has no name");
    }
    const std::size_t n = layer.size();
    if (layer.geometry_type == GeometryType::none && !layer.wkb.empty()) {
        throw input_error("write_gpkg: layer '" + layer.name + "' has geometries but geometry type none");
    }
    for (const auto& c : layer.columns) {
        if (c.size() != n || c.null.size() != n) {
            throw input_error("write_gpkg: layer '" + layer.name + "', column '" + c.name + "' has " +
                              std::to_string(c.size()) + " values for " + std::to_string(n) + " rows");
        }
    }
}

void write_layer(GDALDatasetH ds, const LayerData& layer, const std::string& path) {
    const std::string where = "'" + path + "', layer '" + layer.name + "'";
    detail::srs_ptr srs;
    if (layer.geometry_type != GeometryType::none) {
        srs.reset(OSRNewSpatialReference(nullptr));
        if (OSRSetFromUserInput(srs.get(), layer.crs.c_str()) != OGRERR_NONE) {
            throw projection_error(where + ": unknown CRS '" + layer.crs + "'");
        }
        OSRSetAxisMappingStrategy(srs.get(), OAMS_TRADITIONAL_GIS_ORDER);
    }
    const std::string description = "DESCRIPTION=" + layer.description;
    const char* layer_options[] = {"SPATIAL_INDEX=YES", layer.description.empty() ? nullptr : description.c_str(),
                                   nullptr};
    OGRLayerH lyr = GDALDatasetCreateLayer(ds, layer.name.c_str(), srs.get(), to_ogr(layer.geometry_type),
                                           const_cast<char**>(layer_options));
    if (!lyr) {
        throw io_error(where + ": cannot create layer: " + detail::last_gdal_error());
    }
    for (const auto& c : layer.columns) {
        OGRFieldType t = OFTReal;
        OGRFieldSubType sub = OFSTNone;
        switch (c.type) {
            case FieldType::string: t = OFTString; break;
            case FieldType::integer: t = OFTInteger64; break;
            case FieldType::boolean: t = OFTInteger; sub = OFSTBoolean; break;
            case FieldType::real: t = OFTReal; break;
        }
        detail::field_defn_ptr fd{OGR_Fld_Create(c.name.c_str(), t)};
        OGR_Fld_SetSubType(fd.get(), sub);
        if (OGR_L_CreateField(lyr, fd.get(), TRUE) != OGRERR_NONE) {
            throw io_error(where + ": cannot create field '" + c.name + "': " + detail::last_gdal_error());
        }
    }
    if (OGR_L_StartTransaction(lyr) != OGRERR_NONE) {
        throw io_error(where + ": cannot start a transaction: " + detail::last_gdal_error());
    }
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
    for (std::size_t row = 0; row < layer.size(); ++row) {
        detail::feature_ptr f{OGR_F_Create(defn)};
        if (layer.geometry_type != GeometryType::none) {
            OGRGeometryH g = nullptr;
            const auto& bytes = layer.wkb[row];
            if (OGR_G_CreateFromWkbEx(bytes.data(), srs.get(), &g, bytes.size()) != OGRERR_NONE || !g) {
                throw input_error(where + ", row " + std::to_string(row) + ": bad WKB geometry");
            }
            OGR_F_SetGeometryDirectly(f.get(), g);
        }
        for (std::size_t k = 0; k < layer.columns.size(); ++k) {
            const Column& c = layer.columns[k];
            const int i = static_cast<int>(k);
            if (c.null[row]) {
                OGR_F_SetFieldNull(f.get(), i);
                continue;
            }
            switch (c.type) {
                case FieldType::string: OGR_F_SetFieldString(f.get(), i, c.strings()[row].c_str()); break;
                case FieldType::integer:
                case FieldType::boolean: OGR_F_SetFieldInteger64(f.get(), i, c.integers()[row]); break;
                case FieldType::real: OGR_F_SetFieldDouble(f.get(), i, c.reals()[row]); break;
            }
        }
        if (OGR_L_CreateFeature(lyr, f.get()) != OGRERR_NONE) {
            throw io_error(where + ", row " + std::to_string(row) + ": cannot write feature: " +
                           detail::last_gdal_error());
        }
    }
    if (OGR_L_CommitTransaction(lyr) != OGRERR_NONE) {
        throw io_error(where + ": cannot commit: " + detail::last_gdal_error());
    }
}

/** A text as an SQL literal. */
std::string sql_text(const std::string& text) {
    std::string out = "'";
    for (const char c : text) {
        out += c;
        if (c == '\'') {
            out += c;
        }
    }
    return out + "'";
}

void execute(GDALDatasetH ds, const std::string& sql, const std::string& path) {
    CPLErrorReset();
    if (OGRLayerH result = GDALDatasetExecuteSQL(ds, sql.c_str(), nullptr, nullptr)) {
        GDALDatasetReleaseResultSet(ds, result);
    }
    if (CPLGetLastErrorType() >= CE_Failure) {
        throw io_error("'" + path + "': cannot write the column titles: " + detail::last_gdal_error());
    }
}

/** Column titles and descriptions in gpkg_data_columns (GeoPackage schema extension), when any is given. */
void write_data_columns(GDALDatasetH ds, const std::vector<LayerData>& layers, const std::string& path) {
    std::string rows;
    for (const auto& layer : layers) {
        for (const auto& c : layer.columns) {
            if (c.title.empty() && c.description.empty()) {
                continue;
            }
            rows += std::string{rows.empty() ? "" : ", "} + "(" + sql_text(layer.name) + ", " + sql_text(c.name) +
                    ", " + sql_text(c.name) + ", " + sql_text(c.title) + ", " + sql_text(c.description) + ")";
        }
    }
    if (rows.empty()) {
        return;
    }
    execute(ds,
            "CREATE TABLE IF NOT EXISTS gpkg_data_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, "
            "name TEXT, title TEXT, description TEXT, mime_type TEXT, constraint_name TEXT, "
            "CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name), CONSTRAINT gdc_tn UNIQUE (table_name, name))",
            path);
    execute(ds,
            "CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT "
            "NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, "
            "column_name, extension_name))",
            path);
    execute(ds,
            "INSERT OR IGNORE INTO gpkg_extensions VALUES ('gpkg_data_columns', NULL, 'gpkg_schema', "
            "'http://www.geopackage.org/spec120/#extension_schema', 'read-write')",
            path);
    execute(ds, "INSERT INTO gpkg_data_columns (table_name, column_name, name, title, description) VALUES " + rows,
            path);
}

} // namespace

void check_output_path(const std::string& path, const std::vector<std::string>& inputs) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        throw input_error("output '" + path + "' is a folder");
    }
    if (!fs::exists(path, ec)) {
        return; // a new file cannot be an existing input
    }
    for (const std::string& input : inputs) {
        if (!input.empty() && fs::exists(input, ec) && fs::equivalent(path, input, ec)) {
            throw input_error("output '" + path + "' is the input file '" + input +
                              "' (the same file on disk); inputs are never overwritten: write to another path");
        }
    }
}

namespace {

/** Random hex, drawn once per process: with the pid, it keeps temporaries of processes that share a folder
 * but not a pid namespace (containers, network folders) apart. */
const std::string& process_token() {
    static const std::string token = [] {
        std::random_device device;
        std::ostringstream out;
        out << std::hex << (static_cast<std::uint64_t>(device()) << 32 | device());
        return out.str();
    }();
    return token;
}

} // namespace

std::string temporary_path(const std::string& path) {
    const fs::path target{path};
    const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path{"."};
    return (folder / ("." + target.stem().string() + "." + std::to_string(::getpid()) + "-" + process_token() +
                      ".tmp" + target.extension().string()))
        .string();
}

namespace {

/** Removes a temporary file and the journals SQLite may have left beside it. */
void remove_with_journals(const fs::path& tmp) {
    std::error_code ec;
    for (const char* suffix : {"", "-journal", "-wal", "-shm"}) {
        fs::remove(tmp.string() + suffix, ec);
    }
}

} // namespace

std::size_t remove_stale_temporaries(const std::string& path) {
    constexpr auto stale_after = std::chrono::minutes{10};
    const fs::path target{path};
    const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path{"."};
    const std::string prefix = "." + target.stem().string() + ".";
    const std::string tail = ".tmp" + target.extension().string();
    std::size_t removed = 0;
    std::error_code ec;
    for (fs::directory_iterator it{folder, ec}, end; !ec && it != end; it.increment(ec)) {
        std::string name = it->path().filename().string();
        for (const char* suffix : {"-journal", "-wal", "-shm"}) {
            const std::string s{suffix};
            if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
                name.resize(name.size() - s.size());
            }
        }
        if (name.size() <= prefix.size() + tail.size() || name.compare(0, prefix.size(), prefix) != 0 ||
            name.compare(name.size() - tail.size(), tail.size(), tail) != 0) {
            continue;
        }
        std::string pid = name.substr(prefix.size(), name.size() - prefix.size() - tail.size());
        pid = pid.substr(0, pid.find('-')); // "<pid>-<token>"
        if (pid.empty() || !std::all_of(pid.begin(), pid.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
            pid.size() > 9) {
            continue;
        }
        const long number = std::stol(pid);
        if (::kill(static_cast<pid_t>(number), 0) == 0 || errno != ESRCH) {
            continue; // that process still runs (or is not ours to judge): its temporary is in use
        }
        // a process of another pid namespace sharing the folder looks dead from here: leave recent files alone
        std::error_code age;
        const auto written = fs::last_write_time(it->path(), age);
        if (age || fs::file_time_type::clock::now() - written < stale_after) {
            continue;
        }
        std::error_code rm;
        if (fs::remove(it->path(), rm)) {
            ++removed;
        }
    }
    return removed;
}

void write_gpkg(const std::string& path, const std::vector<LayerData>& layers, const std::vector<std::string>& inputs,
                const std::function<void()>& check_interrupt) {
    detail::gdal_init();
    if (layers.empty()) {
        throw input_error("write_gpkg: no layer to write to '" + path + "'");
    }
    for (const auto& l : layers) {
        check_layer(l);
    }
    const fs::path target{path};
    if (target.extension() != ".gpkg") {
        throw input_error("write_gpkg: '" + path + "' must end in .gpkg");
    }
    check_output_path(path, inputs);
    std::error_code ec;
    const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path{"."};
    fs::create_directories(folder, ec);
    if (ec) {
        throw io_error("cannot create folder '" + folder.string() + "': " + ec.message());
    }
    if (fs::is_directory(target, ec)) {
        throw io_error("'" + path + "' is a folder");
    }
    remove_stale_temporaries(path);
    const fs::path tmp{temporary_path(path)};
    remove_with_journals(tmp);
    auto interrupted = [&] {
        if (check_interrupt) {
            check_interrupt();
        }
    };

    detail::quiet_gdal_errors quiet;
    GDALDriverH driver = GDALGetDriverByName("GPKG");
    if (!driver) {
        throw io_error("GDAL has no GPKG driver");
    }
    try {
        // GeoPackage 1.2 so that every GDAL ≥ 2.2 and QGIS ≥ 3.0 reads the file without a warning.
        const char* ds_options[] = {"VERSION=1.2", nullptr};
        detail::dataset_ptr ds{
            GDALCreate(driver, tmp.c_str(), 0, 0, 0, GDT_Unknown, const_cast<char**>(ds_options))};
        if (!ds) {
            throw io_error("cannot create '" + tmp.string() + "': " + detail::last_gdal_error());
        }
        for (const auto& l : layers) {
            interrupted();
            write_layer(ds.get(), l, path);
        }
        write_data_columns(ds.get(), layers, path);
        CPLErrorReset();
        ds.reset(); // GDALClose flushes; check it went through before renaming
        if (CPLGetLastErrorType() >= CE_Failure) {
            throw io_error("cannot finish writing '" + tmp.string() + "': " + detail::last_gdal_error());
        }
        interrupted();
        fs::rename(tmp, target, ec);
        if (ec) {
            throw io_error("cannot move '" + tmp.string() + "' to '" + path + "': " + ec.message());
        }
    } catch (...) {
        remove_with_journals(tmp);
        throw;
    }
}

} // namespace tierslieux
