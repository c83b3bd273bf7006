#include <tierslieux/criteria.hpp>
#include <tierslieux/errors.hpp>

#include <cmath>
#include <set>
#include <sstream>

namespace tierslieux {

const std::vector<CriterionInfo>& criteria_catalogue() {
    static const std::vector<CriterionInfo> catalogue{
        {"pop_<T>min", "demand", "people", Direction::more_is_better, "people within <T> minutes",
         "communes.population, commute graph", "cannot be missing: population is required"},
        {"active_<T>min", "demand", "people", Direction::more_is_better, "active residents within <T> minutes",
         "communes.active_population", "no active_population field: skipped"},
        {"gravity_access", "demand", "people (decay-weighted)", Direction::more_is_better,
         "people reachable, nearer ones counting more (gravity)", "communes.population, commute graph",
         "cannot be missing"},
        {"ftth_share", "broadband", "share of premises", Direction::more_is_better,
         "share of premises with fibre in its commune", "broadband.ftth_share",
         "no broadband layer (or an empty one): skipped; a commune without a row: NaN for its sites"},
        {"ftth_share_catchment", "broadband", "share of premises", Direction::more_is_better,
         "share of premises with fibre across its catchment (population-weighted)", "broadband.ftth_share",
         "no broadband layer: skipped; communes without a row are left out of the mean"},
        {"poor_broadband_pop", "broadband", "people", Direction::more_is_better,
         "people without fibre at home within reach (demand booster)", "broadband.ftth_share, population",
         "no broadband layer: skipped; communes without a row are left out"},
        {"commuters_intercepted", "commute", "people", Direction::more_is_better,
         "commuters for whom it is much closer than their work commune",
         "commute_flows, or employment_poles + active_population, or communes.aav2020_code/aav2020_category + "
         "active_population",
         "none of these (or no commute found in them): skipped"},
        {"commute_km_avoided", "commute", "km per year", Direction::more_is_better,
         "car kilometres a year its intercepted commuters would not drive", "as commuters_intercepted",
         "as commuters_intercepted"},
        {"commute_co2_avoided", "commute", "tonnes CO2 per year", Direction::more_is_better,
         "tonnes of CO2 a year not emitted by those kilometres", "as commuters_intercepted",
         "as commuters_intercepted"},
        {"building_fit", "building", "out of 1", Direction::more_is_better,
         "how well its kind of building suits a tiers-lieu (planner's table)", "sites.kind, building fit table",
         "cannot be missing: kind is required; a kind not in the table takes the 'other' value, with a warning"},
        {"hybridity", "building", "services", Direction::more_is_better, "services the building already hosts",
         "sites.services",
         "no site lists a service (no services field, empty, or only key=value attributes): skipped"},
        {"minutes_to_nearest_site", "gap filling", "minutes", Direction::more_is_better,
         "minutes to the nearest other candidate site (gap filling)", "sites, commute graph",
         "NaN when no other site can be reached"},
        {"minutes_to_existing_tiers_lieu", "competition", "minutes", Direction::more_is_better,
         "minutes to the nearest existing tiers-lieu (gap filling)", "existing_tiers_lieux layer",
         "no existing_tiers_lieux layer (or an empty one): skipped; NaN when none can be reached"},
        {"demand_share", "competition", "people", Direction::more_is_better,
         "people within reach, shared with the existing tiers-lieux they also reach (2SFCA)",
         "existing_tiers_lieux layer, population",
         "no existing_tiers_lieux layer (or an empty one): skipped (it would equal the population within reach)"},
    };
    return catalogue;
}

CriterionInfo criterion_info(const std::string& name) {
    for (const auto& info : criteria_catalogue()) {
        const std::size_t t = info.name.find("<T>");
        if (t == std::string::npos) {
            if (info.name == name) {
                return info;
            }
            continue;
        }
        const std::string head = info.name.substr(0, t);
        const std::string tail = info.name.substr(t + 3);
        if (name.size() > head.size() + tail.size() && name.compare(0, head.size(), head) == 0 &&
            name.compare(name.size() - tail.size(), tail.size(), tail) == 0) {
            const std::string digits = name.substr(head.size(), name.size() - head.size() - tail.size());
            if (digits.find_first_not_of("0123456789") == std::string::npos) {
                CriterionInfo out = info;
                out.name = name;
                const std::size_t d = out.description.find("<T>");
                if (d != std::string::npos) {
                    out.description.replace(d, 3, digits);
                }
                return out;
            }
        }
    }
    throw not_found("no criterion named '" + name + "' in the catalogue");
}

namespace {

std::string number(double v) {
    std::ostringstream out;
    out << v;
    return out.str();
}

} // namespace

void validate(const CommuteAssumptions& a) {
    auto check = [](double v, double lo, double hi, const char* name) {
        if (!std::isfinite(v) || v < lo || v > hi) {
            throw input_error(std::string{"commute assumption "} + name + " must be a number in [" + number(lo) +
                              ", " + number(hi) + "] (got " + number(v) + ")");
        }
    };
    check(a.pole_commuter_share, 0.0, 1.0, "pole_commuter_share");
    check(a.max_ratio, 0.0, 1.0, "max_ratio");
    check(a.days_per_week, 0.0, 7.0, "days_per_week");
    check(a.weeks_per_year, 0.0, 53.0, "weeks_per_year");
    check(a.car_share, 0.0, 1.0, "car_share");
    check(a.co2_g_per_km, 0.0, 10000.0, "co2_g_per_km");
}

std::map<std::string, double> default_building_fit() {
    // One value per kind of the sites vocabulary (docs/criteria.md, "Building fit", gives the reason for each).
    return {{"france_services", 1.0},      {"espace_numerique", 0.9}, {"information_jeunesse", 0.9},
            {"library", 0.8},              {"social_centre", 0.8},    {"association", 0.6},
            {"town_hall", 0.6},            {"post_office", 0.4},      {"school", 0.3},
            {"other", 0.5}};
}

void validate_building_fit(const std::map<std::string, double>& fit) {
    for (const auto& [kind, value] : fit) {
        if (kind.empty()) {
            throw input_error("building fit: a kind is empty");
        }
        if (!std::isfinite(value) || value < 0.0 || value > 1.0) {
            throw input_error("building fit of kind '" + kind + "' must be a number in [0, 1] (got " +
                              number(value) + ")");
        }
    }
}

int hybridity(const std::string& services) {
    std::set<std::string> found;
    std::size_t start = 0;
    while (start <= services.size()) {
        std::size_t end = services.find(';', start);
        if (end == std::string::npos) {
            end = services.size();
        }
        std::string item = services.substr(start, end - start);
        const auto first = item.find_first_not_of(" \t");
        const auto last = item.find_last_not_of(" \t");
        item = first == std::string::npos ? std::string{} : item.substr(first, last - first + 1);
        if (!item.empty() && item.find('=') == std::string::npos) {
            found.insert(item);
        }
        start = end + 1;
    }
    return static_cast<int>(found.size());
}

} // namespace tierslieux
