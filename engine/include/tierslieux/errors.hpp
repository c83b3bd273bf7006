#pragma once
/**
 * @file errors.hpp
 * The exceptions the engine throws. Every message names what it concerns: file, layer, feature id, field.
 * Python sees them as tierslieux.InputError (ValueError), IoError, GeometryError, ProjectionError (RuntimeError)
 * and NotFound (KeyError).
 */

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace tierslieux {

/**
 * A warning or an error with what it concerns, so that callers (Python, a report) never match message text:
 * a stable code (docs/outputs.md, "Diagnostics"), the text in words, and the file, layer, feature, field and ids
 * (criterion names, site ids, commune codes) it is about, where known.
 */
struct Diagnostic {
    Diagnostic() = default;
    Diagnostic(std::string code_, std::string text_, std::vector<std::string> ids_ = {}, std::string file_ = {},
               std::string layer_ = {}, std::int64_t feature_id_ = -1, std::string field_ = {})
        : code(std::move(code_)), text(std::move(text_)), ids(std::move(ids_)), file(std::move(file_)),
          layer(std::move(layer_)), feature_id(feature_id_), field(std::move(field_)) {}

    std::string code;
    std::string text;
    std::vector<std::string> ids;
    std::string file;
    std::string layer;
    std::int64_t feature_id = -1; ///< -1: not about one feature
    std::string field;
}; // struct Diagnostic

/** The texts of diagnostics, in order. */
inline std::vector<std::string> texts(const std::vector<Diagnostic>& diagnostics) {
    std::vector<std::string> out;
    out.reserve(diagnostics.size());
    for (const Diagnostic& d : diagnostics) {
        out.push_back(d.text);
    }
    return out;
}

/** Bad user data or bad arguments: a negative population, a missing field, a layer without CRS. */
class input_error : public std::invalid_argument {
public:
    explicit input_error(const std::string& what) : std::invalid_argument(what), m_diagnostic{"input_error", what} {}
    /** An error whose diagnostic says what it concerns (e.g. code "unknown_criterion", ids {the name}). */
    explicit input_error(Diagnostic diagnostic)
        : std::invalid_argument(diagnostic.text), m_diagnostic(std::move(diagnostic)) {}
    const Diagnostic& diagnostic() const noexcept { return m_diagnostic; }

private:
    Diagnostic m_diagnostic;
}; // class input_error

/** A file could not be opened, read or written (GDAL). */
class io_error : public std::runtime_error {
public:
    explicit io_error(const std::string& what) : std::runtime_error(what) {}
}; // class io_error

/** A geometry could not be parsed, repaired or related (GEOS). */
class geometry_error : public std::runtime_error {
public:
    explicit geometry_error(const std::string& what) : std::runtime_error(what) {}
}; // class geometry_error

/** A coordinate reference system could not be understood or a transformation failed (PROJ). */
class projection_error : public std::runtime_error {
public:
    explicit projection_error(const std::string& what) : std::runtime_error(what) {}
}; // class projection_error

/** A named thing (layer, field, site id) does not exist. */
class not_found : public std::out_of_range {
public:
    explicit not_found(const std::string& what) : std::out_of_range(what) {}
}; // class not_found

} // namespace tierslieux
