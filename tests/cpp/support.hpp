#pragma once
// Helpers shared by the test files: a temporary folder per test, files written from strings, and checks on
// exception messages.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>

#include <tierslieux/geometry.hpp>
#include <tierslieux/io.hpp>
#include <tierslieux/scoring.hpp>

namespace tierslieux::test {

// A point in Nyons (Drôme) and its Lambert-93 coordinates from PROJ 9.1.1 on the command line (cs2cs uses the
// CRS axis order, so latitude first for EPSG:4326):
//   echo "44.361957 5.140071" | cs2cs -f %.6f EPSG:4326 EPSG:2154  ->  870536.174860  6364858.191607
constexpr double nyons_lon = 5.140071;
constexpr double nyons_lat = 44.361957;
constexpr double nyons_easting = 870536.174860;
constexpr double nyons_northing = 6364858.191607;

/** Every score in [0, 100] and the contributions of each site add up to its score. */
inline void expect_scores_consistent(const ScoreResult& s) {
    for (std::size_t i = 0; i < s.score.size(); ++i) {
        EXPECT_GE(s.score[i], 0.0) << "site " << i;
        EXPECT_LE(s.score[i], 100.0) << "site " << i;
        double sum = 0.0;
        for (const auto& c : s.contributions) {
            sum += c[i];
        }
        EXPECT_NEAR(sum, s.score[i], 1e-9) << "site " << i;
    }
}

namespace fs = std::filesystem;

/** A fresh folder under the system temporary folder, removed with everything in it at the end of the test. */
class TempDir {
public:
    TempDir() {
        static std::atomic<int> counter{0};
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        std::string name = info ? std::string{info->test_suite_name()} + "-" + info->name() : "test";
        for (char& ch : name) {
            if (ch == '/') {
                ch = '-';
            }
        }
        m_path = fs::temp_directory_path() /
                 ("tierslieux-" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        fs::remove_all(m_path);
        fs::create_directories(m_path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(m_path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const fs::path& path() const noexcept { return m_path; }
    /** The path of a file in the folder, as a string. */
    std::string file(const std::string& name) const { return (m_path / name).string(); }

    /** Names of the files in the folder, sorted. */
    std::vector<std::string> listing() const {
        std::vector<std::string> out;
        for (const auto& entry : fs::directory_iterator(m_path)) {
            out.push_back(entry.path().filename().string());
        }
        std::sort(out.begin(), out.end());
        return out;
    }

private:
    fs::path m_path;
}; // class TempDir

/** Writes text to a file and returns its path. */
inline std::string write_text(const std::string& path, const std::string& text) {
    std::ofstream out{path, std::ios::binary};
    out << text;
    if (!out) {
        throw std::runtime_error("cannot write test fixture " + path);
    }
    return path;
}

/** The bytes of a file. */
inline std::string read_bytes(const std::string& path) {
    std::ifstream in{path, std::ios::binary};
    return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

/** WKB of a WKT geometry. */
inline std::string wkb(const std::string& wkt) { return Geometry::from_wkt(wkt).to_wkb(); }

/** Success when `text` contains every one of `parts`; the failure message shows the text. */
inline ::testing::AssertionResult contains_all(const std::string& text, const std::vector<std::string>& parts) {
    for (const auto& part : parts) {
        if (text.find(part) == std::string::npos) {
            return ::testing::AssertionFailure() << "'" << text << "' does not contain '" << part << "'";
        }
    }
    return ::testing::AssertionSuccess();
}

/** Success when one of `lines` contains every one of `parts`. */
inline ::testing::AssertionResult any_contains_all(const std::vector<std::string>& lines,
                                                   const std::vector<std::string>& parts) {
    for (const auto& line : lines) {
        if (contains_all(line, parts)) {
            return ::testing::AssertionSuccess();
        }
    }
    auto failure = ::testing::AssertionFailure() << "no line contains all of";
    for (const auto& part : parts) {
        failure << " '" << part << "'";
    }
    failure << "; lines:";
    for (const auto& line : lines) {
        failure << "\n  " << line;
    }
    return failure;
}

/**
 * Runs f, which must throw Exception; returns the message (empty, with a test failure, when f throws nothing or
 * something else).
 */
template <typename Exception, typename F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const Exception& e) {
        return e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "expected another exception type, got: " << e.what();
        return {};
    }
    ADD_FAILURE() << "expected an exception, none was thrown";
    return {};
}

/** The column called `name` of a layer to write (a fixture mistake: throws std::logic_error when absent). */
inline Column& column(LayerData& layer, const std::string& name) {
    for (auto& c : layer.columns) {
        if (c.name == name) {
            return c;
        }
    }
    throw std::logic_error("test fixture: layer '" + layer.name + "' has no column '" + name + "'");
}

/** The layer called `name` (a fixture mistake: throws std::logic_error when absent). */
inline LayerData& layer(std::vector<LayerData>& layers, const std::string& name) {
    for (auto& l : layers) {
        if (l.name == name) {
            return l;
        }
    }
    throw std::logic_error("test fixture: no layer '" + name + "'");
}

/** Names of the columns of a layer, in order. */
/**
 * Element-wise: NaN where `expected` is NaN, else within `tolerance` (absolute), or `tolerance` × max(1, |expected|)
 * when `relative`.
 */
inline void expect_near_or_nan(const std::vector<double>& actual, const std::vector<double>& expected,
                               double tolerance = 1e-9, bool relative = false) {
    ASSERT_EQ(actual.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        if (std::isnan(expected[i])) {
            EXPECT_TRUE(std::isnan(actual[i])) << "at " << i << ": " << actual[i];
        } else {
            const double bound = relative ? tolerance * std::max(1.0, std::abs(expected[i])) : tolerance;
            EXPECT_NEAR(actual[i], expected[i], bound) << "at " << i;
        }
    }
}

inline std::vector<std::string> column_names(const LayerData& layer) {
    std::vector<std::string> out;
    for (const auto& c : layer.columns) {
        out.push_back(c.name);
    }
    return out;
}

} // namespace tierslieux::test
