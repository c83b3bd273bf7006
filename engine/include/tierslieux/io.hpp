#pragma once
/**
 * @file io.hpp
 * Reading any OGR-readable layer through GDAL with a field mapping (reprojected with PROJ to a metric CRS),
 * and writing GeoPackage files atomically (temporary file renamed into place).
 */

#include <tierslieux/errors.hpp>
#include <tierslieux/geometry.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

namespace tierslieux {

/** The type a field is read as, or written with. */
enum class FieldType { string, integer, real, boolean };

/** One attribute column: values plus a null mask (null[i] true when feature i has no value). */
struct Column {
    std::string name;
    FieldType type = FieldType::real;
    /** strings for FieldType::string, int64 for integer and boolean (0/1), double for real. */
    std::variant<std::vector<std::string>, std::vector<std::int64_t>, std::vector<double>> values;
    std::vector<bool> null;
    /** For people, in gpkg_data_columns (written only when one of them is set): a short title, a sentence. */
    std::string title;
    std::string description;

    std::size_t size() const;
    const std::vector<std::string>& strings() const;
    const std::vector<std::int64_t>& integers() const;
    const std::vector<double>& reals() const;

    static Column of_strings(std::string name, std::vector<std::string> values);
    static Column of_integers(std::string name, std::vector<std::int64_t> values);
    static Column of_booleans(std::string name, const std::vector<bool>& values);
    /** NaN values are stored as null (SQLite has no NaN). */
    static Column of_reals(std::string name, std::vector<double> values);
}; // struct Column

/** How one field of the file maps to a column of the engine. */
struct FieldSpec {
    std::string field;   ///< name in the file
    FieldType type = FieldType::string;
    bool required = true; ///< required: the field must exist and no feature may leave it empty
}; // struct FieldSpec

/** Options for read_layer. */
struct ReadOptions {
    /** Every geometry is reprojected to this CRS; it must be metric. */
    std::string target_crs = "EPSG:2154";
    /**
     * CRS to assume when the layer declares none. Empty (the default): a layer without a CRS is refused,
     * because guessing lon/lat versus Lambert-93 silently gives nonsense.
     */
    std::string assume_source_crs;
    /** Geometries that GEOS finds invalid are repaired (GEOSMakeValid) with a warning naming the feature. */
    bool repair_invalid = true;
    /** false for attribute-only tables (no geometry, no CRS needed): geometries stay empty. */
    bool read_geometry = true;
}; // struct ReadOptions

/** The features of one layer: geometries (target CRS) and the mapped columns, in file order. */
struct FeatureTable {
    std::string path;
    std::string layer;
    std::string source_crs;          ///< the CRS the file declared (or the assumed one), as WKT
    std::vector<std::int64_t> fids;  ///< OGR feature ids, for messages
    std::vector<Geometry> geometries;
    std::vector<Column> columns;     ///< one per FieldSpec, same order
    std::vector<std::string> fields; ///< every field the layer has, asked for or not
    std::vector<Diagnostic> warnings; ///< code geometry_repaired

    /** True when the layer has this field (an optional field may be absent: its column is then all null). */
    bool has_field(const std::string& field) const;

    std::size_t size() const noexcept { return fids.size(); }
    /** The column read for `field`; throws not_found. */
    const Column& column(const std::string& field) const;
    /** "file 'p', layer 'l', feature fid=12" for messages. */
    std::string where(std::size_t index) const;
    /**
     * An input_error about one feature: `text` (which names it, e.g. with where(index)), with a Diagnostic giving
     * `code`, this file and layer, the feature's id and `field` ("" when about the feature as a whole).
     */
    input_error error(std::size_t index, const std::string& code, const std::string& field,
                      const std::string& text) const;
}; // struct FeatureTable

/** An input_error about a whole layer (or a field of it): `text`, with a Diagnostic giving code, file, layer, field. */
input_error layer_error(const std::string& path, const std::string& layer, const std::string& code,
                        const std::string& field, const std::string& text);

/**
 * Reads a layer of any OGR-readable file. Throws io_error when the file or layer cannot be opened (the message
 * lists the layers present), input_error for a missing required field, an empty required value, a value of the
 * wrong type, a missing geometry or a layer with no CRS; projection_error when reprojection fails.
 */
FeatureTable read_layer(const std::string& path, const std::string& layer, const std::vector<FieldSpec>& fields,
                        const ReadOptions& options = {});

/** Names of the layers of a file (io_error if it cannot be opened). */
std::vector<std::string> layer_names(const std::string& path);

/** Geometry type of a layer to write. */
enum class GeometryType { none, point, line_string, polygon, multi_polygon };

/** A layer to write: one WKB geometry per row (empty when GeometryType::none), columns of equal length. */
struct LayerData {
    std::string name;
    GeometryType geometry_type = GeometryType::none;
    std::string crs = "EPSG:2154";
    std::vector<std::string> wkb;
    std::vector<Column> columns;
    /** What the layer holds, in words: gpkg_contents.description. */
    std::string description;

    std::size_t size() const;
}; // struct LayerData

/**
 * Writes the layers to a new GeoPackage at `path`: everything goes to a temporary file in the same folder, which
 * is renamed over `path` only once complete, so a failed run leaves any previous file untouched and no partial
 * file behind. Throws input_error for inconsistent layers (column lengths, bad WKB), for a path that ends not in
 * .gpkg, or that is one of `inputs` (check_output_path); io_error for GDAL failures. `check_interrupt`, when
 * given, is called between layers and before the rename: whatever it throws (a Ctrl-C, a SIGTERM) cancels the
 * write, removes the temporary file and its journal, and leaves the previous file. Stale temporaries of killed
 * runs are removed first (remove_stale_temporaries). Layer descriptions go to gpkg_contents, column titles and
 * descriptions to gpkg_data_columns (the GeoPackage schema extension), so that a client can show them.
 */
void write_gpkg(const std::string& path, const std::vector<LayerData>& layers,
                const std::vector<std::string>& inputs = {}, const std::function<void()>& check_interrupt = {});

/**
 * The temporary file an output `path` is written to by this process before it is renamed into place:
 * ".<stem>.<pid>-<random token of the process>.tmp<extension>" in the same folder (write_gpkg, the Python maps).
 */
std::string temporary_path(const std::string& path);

/**
 * Removes what an interrupted write of `path` left when its process was killed (SIGKILL, power loss): the
 * temporaries of temporary_path() whose process no longer runs and that are more than 10 minutes old (a writer
 * in another pid namespace sharing the folder looks dead from here), with their SQLite journals (-journal,
 * -wal, -shm). Returns the number of files removed.
 */
std::size_t remove_stale_temporaries(const std::string& path);

/**
 * The one check of an output path, made by write_gpkg and by every front end before it starts working: throws
 * input_error when `path` is a folder, or names the same file as one of `inputs` (whatever the spelling: another
 * relative path, `..`, a symbolic or a hard link), so that an input is never overwritten. Empty inputs are skipped.
 */
void check_output_path(const std::string& path, const std::vector<std::string>& inputs);

} // namespace tierslieux
