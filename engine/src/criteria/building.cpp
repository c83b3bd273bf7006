// Building: how well the kind of building suits a tiers-lieu (a planner's table), and the services it hosts.
#include "criteria/registry.hpp"
#include "detail/text.hpp"
#include "run/context.hpp"

#include <tierslieux/errors.hpp>

#include <cmath>
#include <limits>
#include <set>

namespace tierslieux {

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
                              detail::number(value) + ")");
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

namespace {

Computed building_fit(RunContext& ctx, int) {
    std::map<std::string, double> fit = default_building_fit();
    for (const auto& [kind, value] : ctx.options.building_fit) {
        fit[kind] = value;
    }
    const auto other = fit.find("other");
    std::set<std::string> unlisted;
    std::vector<double> values;
    for (const auto& s : ctx.territory.sites) {
        const auto it = fit.find(s.kind);
        if (it == fit.end()) {
            unlisted.insert(s.kind);
        }
        values.push_back(it != fit.end()       ? it->second
                         : other != fit.end() ? other->second
                                              : std::numeric_limits<double>::quiet_NaN());
    }
    if (!unlisted.empty()) {
        ctx.warn("building_kind_not_in_table", "building fit: kind(s) " +
                 detail::join_names(std::vector<std::string>(unlisted.begin(), unlisted.end()), 5) +
                 " are not in the table" +
                 (other != fit.end() ? ": they take the value of 'other'" : " (nor is 'other'): NaN"),
                 std::vector<std::string>(unlisted.begin(), unlisted.end()));
    }
    return {std::move(values), {}};
}

Computed services_hosted(RunContext& ctx, int) {
    std::vector<double> services;
    bool any = false;
    for (const auto& s : ctx.territory.sites) {
        services.push_back(hybridity(s.services));
        any = any || services.back() > 0;
    }
    if (!any) {
        return Computed::skip("no site of '" + ctx.territory.path + "' lists any service in its services field");
    }
    return {std::move(services), {}};
}

} // namespace

std::vector<CriterionDef> building_criteria() {
    return {
        {{"building_fit", "building", "out of 1", Direction::more_is_better,
          "how well its kind of building suits a tiers-lieu (planner's table)",
          "`sites.kind`, building fit table",
          "cannot be missing (`kind` is required). A kind not in the table takes the value of `other`, "
          "with a warning naming the kinds",
          "the table's value for the site's `kind`"},
         0.10,
         building_fit},
        {{"hybridity", "building", "services", Direction::more_is_better,
          "services the building already hosts",
          "`sites.services`",
          "no site lists any service (no services field, empty, or only key=value attributes): skipped",
          "number of distinct services in `sites.services` (\";\"-separated; entries written `key=value`, "
          "such as `type=Principal`, are attributes, not services)"},
         0.05,
         services_hosted},
    };
}

} // namespace tierslieux
