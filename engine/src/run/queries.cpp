// Questions asked of a finished run: travel times from communes to sites on its graph (portfolios).
#include <tierslieux/errors.hpp>
#include <tierslieux/pipeline.hpp>

#include <cmath>
#include <limits>

namespace tierslieux {

std::vector<double> commune_site_minutes(const RunResult& result, const std::vector<std::size_t>& communes,
                                         const std::vector<std::size_t>& sites) {
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    const PlacesOnGraph& c = result.graph.communes;
    const PlacesOnGraph& s = result.graph.sites;
    auto check = [](const std::vector<std::size_t>& ids, std::size_t n, const char* what) {
        for (std::size_t i = 0; i < ids.size(); ++i) {
            if (ids[i] >= n) {
                throw input_error(std::string{"commune_site_minutes: "} + what + "[" + std::to_string(i) + "] = " +
                                  std::to_string(ids[i]) + " (the run has " + std::to_string(n) + ")");
            }
        }
    };
    check(communes, c.node.size(), "communes");
    check(sites, s.node.size(), "sites");
    // the snapped ones only, searched once each
    std::vector<std::size_t> rows, columns;
    std::vector<node_id> origins, destinations;
    for (std::size_t i = 0; i < communes.size(); ++i) {
        if (!std::isnan(c.access_minutes[communes[i]])) {
            rows.push_back(i);
            origins.push_back(c.node[communes[i]]);
        }
    }
    for (std::size_t j = 0; j < sites.size(); ++j) {
        if (!std::isnan(s.access_minutes[sites[j]])) {
            columns.push_back(j);
            destinations.push_back(s.node[sites[j]]);
        }
    }
    std::vector<double> out(communes.size() * sites.size(), nan);
    if (origins.empty() || destinations.empty()) {
        return out;
    }
    SearchOptions options;
    options.algorithm = Algorithm::dijkstra;
    const std::vector<double> t = result.graph.network.travel_times(
        origins, destinations, std::numeric_limits<double>::infinity(), options);
    for (std::size_t a = 0; a < rows.size(); ++a) {
        for (std::size_t b = 0; b < columns.size(); ++b) {
            out[rows[a] * sites.size() + columns[b]] =
                t[a * destinations.size() + b] + s.access_minutes[sites[columns[b]]];
        }
    }
    return out;
}

} // namespace tierslieux
