// Fuzz target: what the engine receives from a weights or scenario file once Python has parsed its TOML:
// names and numbers (any double: negative, NaN, infinite, huge) for the weights, the building fit table and the
// commute assumptions. The bytes are read as lines "name = number", with "[building_fit]" and "[commute]"
// starting those tables, and go through the same validation and scoring as tl.score's.
#include <cstdlib>
#include <map>
#include <sstream>
#include <vector>

#include <tierslieux/criteria.hpp>
#include <tierslieux/scoring.hpp>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tierslieux;
    std::map<std::string, double> weights, fit;
    CommuteAssumptions commute;
    std::map<std::string, double*> commute_keys{
        {"pole_commuter_share", &commute.pole_commuter_share}, {"max_ratio", &commute.max_ratio},
        {"days_per_week", &commute.days_per_week},             {"weeks_per_year", &commute.weeks_per_year},
        {"car_share", &commute.car_share},                     {"co2_g_per_km", &commute.co2_g_per_km}};
    std::istringstream text{std::string(reinterpret_cast<const char*>(data), size)};
    std::string line, table;
    while (std::getline(text, line)) {
        if (!line.empty() && line.front() == '[') {
            table = line;
            continue;
        }
        const auto eq = line.find('=');
        if (eq == std::string::npos) {
            continue;
        }
        std::string name = line.substr(0, eq);
        name.erase(name.find_last_not_of(" \t") + 1);
        name.erase(0, name.find_first_not_of(" \t"));
        const double value = std::strtod(line.c_str() + eq + 1, nullptr);
        if (table == "[building_fit]") {
            fit[name] = value;
        } else if (table == "[commute]") {
            if (const auto k = commute_keys.find(name); k != commute_keys.end()) {
                *k->second = value;
            }
        } else {
            weights[name] = value;
        }
    }
    fuzz::expecting_engine_errors([&] { validate_building_fit(fit); });
    fuzz::expecting_engine_errors([&] { validate(commute); });
    fuzz::expecting_engine_errors([&] {
        const std::vector<std::string> ids{"a", "b", "c", "d"};
        const std::vector<Criterion> criteria{
            {"pop_15min", "people", Direction::more_is_better, {10.0, 250.0, 0.0, 80.0}},
            {"minutes_to_nearest_site", "minutes", Direction::less_is_better, {3.0, 12.5, 40.0, 7.0}},
            {"ftth_share", "share", Direction::more_is_better, {0.0, 0.5, 1.0, 0.2}}};
        const ScoreResult scores = score_sites(criteria, weights, ids);
        StabilityOptions stability;
        stability.draws = 50;
        rank_stability(scores, ids, stability);
    });
    return 0;
}
