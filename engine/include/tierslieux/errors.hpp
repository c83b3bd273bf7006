#pragma once
/**
 * @file errors.hpp
 * The exceptions the engine throws. Every message names what it concerns: file, layer, feature id, field.
 * Python sees them as tierslieux.InputError (ValueError), IoError, GeometryError, ProjectionError (RuntimeError)
 * and NotFound (KeyError).
 */

#include <stdexcept>
#include <string>

namespace tierslieux {

/** Bad user data or bad arguments: a negative population, a missing field, a layer without CRS. */
class input_error : public std::invalid_argument {
public:
    explicit input_error(const std::string& what) : std::invalid_argument(what) {}
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
