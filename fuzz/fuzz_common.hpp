#pragma once
// Shared by the fuzz targets: the input bytes as a file (the engine reads files through GDAL and libosmium),
// and the one rule of every target: an engine error (input_error, io_error, geometry_error, projection_error,
// not_found) is the right answer to bad bytes; anything else (another exception, a crash, a sanitizer report) is
// a bug.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include <tierslieux/errors.hpp>

namespace tierslieux::fuzz {

/** Writes the bytes to a file of this process in the temporary folder, with the given extension. */
inline std::string as_file(const std::uint8_t* data, std::size_t size, const std::string& extension) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("tierslieux-fuzz-" + std::to_string(::getpid()) + extension);
    std::ofstream out{path, std::ios::binary | std::ios::trunc};
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    return path.string();
}

/** Calls f; the engine's own errors are expected answers, everything else escapes (and is a finding). */
template <class F>
void expecting_engine_errors(F&& f) {
    try {
        f();
    } catch (const input_error&) {
    } catch (const io_error&) {
    } catch (const geometry_error&) {
    } catch (const projection_error&) {
    } catch (const not_found&) {
    }
}

} // namespace tierslieux::fuzz
