#include <tierslieux/errors.hpp>
#include <tierslieux/territory.hpp>

#include "detail/text.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <sstream>

namespace tierslieux {

std::optional<std::size_t> Territory::find_commune(const std::string& commune_code) const {
    const auto it = std::lower_bound(communes.begin(), communes.end(), commune_code,
                                     [](const Commune& c, const std::string& code) { return c.commune_code < code; });
    if (it == communes.end() || it->commune_code != commune_code) {
        return std::nullopt;
    }
    return static_cast<std::size_t>(it - communes.begin());
}

std::size_t Territory::commune_index(const std::string& commune_code) const {
    const std::optional<std::size_t> k = find_commune(commune_code);
    if (!k) {
        throw not_found("no commune with commune_code '" + commune_code + "' in '" + path + "'");
    }
    return *k;
}

namespace {

const FieldSpec text(const char* name, bool required = true) { return {name, FieldType::string, required}; }

Point point_of(const FeatureTable& t, std::size_t i) {
    const Geometry& g = t.geometries[i];
    try {
        return g.to_point();
    } catch (const geometry_error&) {
        throw t.error(i, "bad_geometry_type", "", t.where(i) + " must be a Point, got " + g.type_name());
    }
}

bool has_layer(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

/** "file 'x', layer 'y'": the start of a message about a whole layer. */
std::string layer_label(const std::string& path, const std::string& layer) {
    return "file '" + path + "', layer '" + layer + "'";
}

/**
 * A point more than this far outside the polygon of the commune it names is refused: coordinates with longitude
 * and latitude swapped, a point on another continent, or the wrong commune_code. Real data put a building up to
 * a couple of kilometres off (a village-centre geocode); 5 km leaves room for that (docs/inputs.md).
 */
constexpr double max_outside_commune_m = 5000.0;

void check_in_commune(const Territory& t, std::size_t k, const Point& p, const FeatureTable& table, std::size_t i,
                      const std::string& who) {
    const Commune& c = t.communes[k];
    const double outside = distance_to(c.geometry, p);
    if (outside > max_outside_commune_m) {
        std::ostringstream km;
        km.precision(1);
        km << std::fixed << outside / 1000.0;
        throw table.error(i, "point_outside_commune", "",
                          who + ": the point lies " + km.str() + " km outside its commune '" + c.commune_code +
                          "' (" + c.name + "), more than the 5 km allowed: check its coordinates (longitude and "
                          "latitude swapped? another CRS?) or its commune_code");
    }
}

/** The commune of a feature's commune_code; an input_error naming the feature when the code is not a commune. */
std::size_t commune_of(const Territory& t, const std::string& code, const FeatureTable& table, std::size_t i,
                       const std::string& who, const std::string& field = "commune_code") {
    const std::optional<std::size_t> k = t.find_commune(code);
    if (!k) {
        throw table.error(i, "unknown_commune", field,
                          who + ": commune_code '" + code + "' is not in the communes layer");
    }
    return *k;
}

/** A point layer of places (id, name, commune_code), sorted by id; the communes must be loaded. */
std::vector<Place> read_places(const Territory& t, const std::string& layer, const ReadOptions& read) {
    const FeatureTable table = read_layer(t.path, layer, {text("id"), text("name", false), text("commune_code")}, read);
    const auto& id = table.column("id").strings();
    const auto& name = table.column("name").strings();
    const auto& code = table.column("commune_code").strings();
    std::set<std::string> ids;
    std::vector<Place> out;
    for (std::size_t i = 0; i < table.size(); ++i) {
        if (!ids.insert(id[i]).second) {
            throw table.error(i, "duplicate_id", "id", table.where(i) + ": id '" + id[i] + "' appears twice");
        }
        const std::string who = table.where(i) + " (id=" + id[i] + ")";
        const std::size_t k = commune_of(t, code[i], table, i, who);
        out.push_back({id[i], name[i], code[i], point_of(table, i), table.fids[i]});
        check_in_commune(t, k, out.back().location, table, i, who);
    }
    std::sort(out.begin(), out.end(), [](const Place& a, const Place& b) { return a.id < b.id; });
    return out;
}

/** One feature of the communes layer, checked (fields are those of read_communes). */
Commune commune_at(const FeatureTable& communes, std::size_t i, bool has_aav,
                   std::map<std::string, std::string>& centre) {
    const auto& code = communes.column("commune_code").strings();
    const auto& pop = communes.column("population").reals();
    const Column& active = communes.column("active_population");
    const Column& aav_code = communes.column("aav2020_code");
    const Column& aav_category = communes.column("aav2020_category");
    const std::string where = communes.where(i) + " (commune_code=" + code[i] + ")";
    if (code[i].empty()) {
        throw communes.error(i, "empty_value", "commune_code", communes.where(i) + ": commune_code is empty");
    }
    if (pop[i] < 0.0) {
        throw communes.error(i, "negative_value", "population",
                             where + ": population = " + std::to_string(pop[i]) + " is negative");
    }
    if (!active.null[i] && active.reals()[i] < 0.0) {
        throw communes.error(i, "negative_value", "active_population",
                             where + ": active_population = " + std::to_string(active.reals()[i]) + " is negative");
    }
    const std::string type = communes.geometries[i].type_name();
    if (type != "Polygon" && type != "MultiPolygon") {
        throw communes.error(i, "bad_geometry_type", "", where + " must be a Polygon or MultiPolygon, got " + type);
    }
    Commune c;
    c.commune_code = code[i];
    c.name = communes.column("name").strings()[i];
    c.population = pop[i];
    c.has_active_population = !active.null[i];
    c.active_population = c.has_active_population ? active.reals()[i] : 0.0;
    c.in_territory = communes.column("in_territory").integers()[i] != 0;
    if (has_aav && !aav_code.null[i] && !aav_category.null[i]) {
        const std::int64_t cat = aav_category.integers()[i];
        if (cat != 11 && cat != 12 && cat != 13 && cat != 20 && cat != 30) {
            throw communes.error(i, "bad_value", "aav2020_category",
                                 where + ": aav2020_category = " + std::to_string(cat) +
                              " is not an INSEE AAV 2020 category (11, 12, 13: pole; 20: commuter belt; 30: outside "
                              "any attraction area)");
        }
        c.aav_code = aav_code.strings()[i];
        c.aav_category = static_cast<int>(cat);
        if (communes.has_field("aav2020_name") && !communes.column("aav2020_name").null[i]) {
            c.aav_name = communes.column("aav2020_name").strings()[i];
        }
        if (cat == 11 && !centre.emplace(c.aav_code, code[i]).second) {
            throw communes.error(i, "duplicate_id", "aav2020_category",
                                 where + ": a second commune-centre (aav2020_category 11) for attraction area '" +
                              c.aav_code + "' (the first is commune_code " + centre[c.aav_code] + ")");
        }
    }
    c.geometry = communes.geometries[i].clone();
    c.fid = communes.fids[i];
    return c;
}

/** Layer communes: sorted by commune_code, codes unique, at least one in the study area. */
void read_communes(Territory& t, const ReadOptions& read) {
    const FeatureTable communes =
        read_layer(t.path, "communes",
                   {text("commune_code"), text("name"), {"population", FieldType::real, true},
                    {"active_population", FieldType::real, false}, {"in_territory", FieldType::boolean, true},
                    text("aav2020_code", false), {"aav2020_category", FieldType::integer, false},
                    text("aav2020_name", false)},
                   read);
    t.has_active_population = communes.has_field("active_population");
    t.has_aav = communes.has_field("aav2020_code") && communes.has_field("aav2020_category");
    t.warnings.insert(t.warnings.end(), communes.warnings.begin(), communes.warnings.end());
    std::vector<std::string> half_aav;
    std::map<std::string, std::string> centre; // AAV code -> its commune-centre (category 11)
    for (std::size_t i = 0; i < communes.size(); ++i) {
        if (t.has_aav && communes.column("aav2020_code").null[i] != communes.column("aav2020_category").null[i]) {
            half_aav.push_back(communes.column("commune_code").strings()[i]);
        }
        t.communes.push_back(commune_at(communes, i, t.has_aav, centre));
    }
    if (!half_aav.empty()) {
        t.warnings.push_back({"aav_incomplete",
                              layer_label(t.path, "communes") + ": " + std::to_string(half_aav.size()) +
                                  " commune(s) have only one of aav2020_code and aav2020_category, so no "
                                  "attraction area: " + detail::join_names(half_aav, 5),
                              half_aav, t.path, "communes"});
    }
    std::sort(t.communes.begin(), t.communes.end(),
              [](const Commune& a, const Commune& b) { return a.commune_code < b.commune_code; });
    for (std::size_t i = 1; i < t.communes.size(); ++i) {
        if (t.communes[i].commune_code == t.communes[i - 1].commune_code) {
            throw layer_error(t.path, "communes", "duplicate_id", "commune_code",
                              layer_label(t.path, "communes") + ": commune_code '" + t.communes[i].commune_code +
                              "' appears twice (fid=" + std::to_string(t.communes[i - 1].fid) + " and fid=" +
                              std::to_string(t.communes[i].fid) + ")");
        }
    }
    if (std::none_of(t.communes.begin(), t.communes.end(), [](const Commune& c) { return c.in_territory; })) {
        throw layer_error(t.path, "communes", "no_study_area", "in_territory",
                          layer_label(t.path, "communes") + ": no commune has in_territory = true");
    }
}

/** Layer town_halls: exactly one per commune, inside it. */
void read_town_halls(Territory& t, const ReadOptions& read) {
    const FeatureTable halls = read_layer(t.path, "town_halls", {text("commune_code")}, read);
    std::vector<bool> seen(t.communes.size(), false);
    const auto& code = halls.column("commune_code").strings();
    for (std::size_t i = 0; i < halls.size(); ++i) {
        const std::size_t k = commune_of(t, code[i], halls, i, halls.where(i));
        if (seen[k]) {
            throw halls.error(i, "duplicate_id", "commune_code",
                              halls.where(i) + ": a second town hall for commune_code '" + code[i] + "'");
        }
        seen[k] = true;
        t.communes[k].town_hall = point_of(halls, i);
        check_in_commune(t, k, t.communes[k].town_hall, halls, i, halls.where(i) + " (commune_code=" + code[i] + ")");
    }
    for (std::size_t k = 0; k < t.communes.size(); ++k) {
        if (!seen[k]) {
            throw layer_error(t.path, "town_halls", "missing_town_hall", "commune_code",
                              layer_label(t.path, "town_halls") + ": no town hall for commune_code '" +
                              t.communes[k].commune_code + "' (" + t.communes[k].name + ")");
        }
    }
}

/** Layer sites: ids unique, each in a commune of the layer, at least one; sorted by site_id. */
void read_sites(Territory& t, const ReadOptions& read) {
    const FeatureTable sites = read_layer(
        t.path, "sites", {text("site_id"), text("name"), text("kind"), text("commune_code"), text("services", false)},
        read);
    const auto& id = sites.column("site_id").strings();
    const auto& code = sites.column("commune_code").strings();
    std::set<std::string> ids;
    for (std::size_t i = 0; i < sites.size(); ++i) {
        if (id[i].empty()) {
            throw sites.error(i, "empty_value", "site_id", sites.where(i) + ": site_id is empty");
        }
        if (!ids.insert(id[i]).second) {
            throw sites.error(i, "duplicate_id", "site_id", sites.where(i) + ": site_id '" + id[i] + "' appears twice");
        }
        const std::string who = sites.where(i) + " (site_id=" + id[i] + ")";
        const std::size_t k = commune_of(t, code[i], sites, i, who);
        t.sites.push_back(Site{id[i], sites.column("name").strings()[i], sites.column("kind").strings()[i], code[i],
                               sites.column("services").strings()[i], point_of(sites, i), sites.fids[i]});
        check_in_commune(t, k, t.sites.back().location, sites, i, who);
    }
    if (t.sites.empty()) {
        throw layer_error(t.path, "sites", "empty_layer", "", layer_label(t.path, "sites") + " holds no site");
    }
    std::sort(t.sites.begin(), t.sites.end(), [](const Site& a, const Site& b) { return a.site_id < b.site_id; });
}

/** Optional table broadband: shares in [0, 1], one row per commune; rows of other communes left out, said. */
void read_broadband(Territory& t, ReadOptions read) {
    read.read_geometry = false;
    const FeatureTable bb = read_layer(t.path, "broadband",
                                       {text("commune_code"), {"ftth_premises", FieldType::real, false},
                                        {"ftth_share", FieldType::real, true}, text("vintage", false)},
                                       read);
    const auto& code = bb.column("commune_code").strings();
    const auto& share = bb.column("ftth_share").reals();
    const Column& premises = bb.column("ftth_premises");
    const auto& vintage = bb.column("vintage").strings();
    std::set<std::string> seen;
    std::vector<std::string> unknown;
    for (std::size_t i = 0; i < bb.size(); ++i) {
        if (share[i] < 0.0 || share[i] > 1.0) {
            throw bb.error(i, "value_out_of_range", "ftth_share",
                           bb.where(i) + " (commune_code=" + code[i] + "): ftth_share = " +
                              std::to_string(share[i]) + " is not in [0, 1]");
        }
        if (!seen.insert(code[i]).second) {
            throw bb.error(i, "duplicate_id", "commune_code",
                           bb.where(i) + ": commune_code '" + code[i] + "' appears twice");
        }
        if (!t.find_commune(code[i])) {
            unknown.push_back(code[i]);
            continue;
        }
        t.broadband.push_back({code[i], premises.null[i] ? std::nan("") : premises.reals()[i], share[i], vintage[i]});
    }
    if (!unknown.empty()) {
        t.warnings.push_back({"broadband_unknown_communes",
                              layer_label(t.path, "broadband") + ": " + std::to_string(unknown.size()) +
                                  " row(s) for communes not in the communes layer were ignored (first: " +
                                  unknown.front() + ")",
                              unknown, t.path, "broadband"});
    }
}

/** Optional table commute_flows: workers finite and >= 0, pairs unique; flows with another commune left out, said. */
std::vector<CommuteFlow> read_commute_flows(Territory& t, ReadOptions read) {
    read.read_geometry = false;
    const FeatureTable flows = read_layer(
        t.path, "commute_flows", {text("home_code"), text("work_code"), {"workers", FieldType::real, true}}, read);
    const auto& home = flows.column("home_code").strings();
    const auto& work = flows.column("work_code").strings();
    const auto& workers = flows.column("workers").reals();
    std::set<std::pair<std::string, std::string>> seen;
    std::vector<CommuteFlow> out;
    std::size_t outside = 0;
    double outside_workers = 0.0;
    for (std::size_t i = 0; i < flows.size(); ++i) {
        const std::string where = flows.where(i) + " (" + home[i] + " -> " + work[i] + ")";
        if (!std::isfinite(workers[i]) || workers[i] < 0.0) {
            throw flows.error(i, "value_out_of_range", "workers",
                              where + ": workers = " + std::to_string(workers[i]) + " is not a finite number >= 0");
        }
        if (!seen.insert({home[i], work[i]}).second) {
            throw flows.error(i, "duplicate_id", "home_code", where + ": this home -> work pair appears twice");
        }
        if (!t.find_commune(home[i]) || !t.find_commune(work[i])) {
            ++outside;
            outside_workers += workers[i];
            continue;
        }
        out.push_back({home[i], work[i], workers[i]});
    }
    if (outside > 0) {
        t.warnings.push_back({"commute_flows_outside",
                              layer_label(t.path, "commute_flows") + ": " + std::to_string(outside) + " flow(s) (" +
                                  std::to_string(static_cast<long long>(std::lround(outside_workers))) +
                                  " workers) have a home or work commune outside the communes layer: they cannot "
                                  "be placed on the graph and are left out of commute interception",
                              {}, t.path, "commute_flows"});
    }
    return out;
}

/** The study's own observations of its sites; each row names a site of the sites layer, once per period. */
std::vector<SiteObservation> read_site_observations(const Territory& t, ReadOptions read) {
    read.read_geometry = false;
    const FeatureTable table = read_layer(t.path, "site_observations",
                                          {text("site_id"), text("period"), {"visits", FieldType::real, false},
                                           text("publics", false), text("needs", false), text("uses_tested", false),
                                           text("source"), text("date", false)},
                                          read);
    const auto& site = table.column("site_id").strings();
    const auto& period = table.column("period").strings();
    const Column& visits = table.column("visits");
    std::set<std::string> sites;
    for (const Site& s : t.sites) {
        sites.insert(s.site_id);
    }
    std::set<std::pair<std::string, std::string>> seen;
    std::vector<SiteObservation> out;
    for (std::size_t i = 0; i < table.size(); ++i) {
        const std::string where = table.where(i) + " (site_id=" + site[i] + ", period=" + period[i] + ")";
        if (!sites.count(site[i])) {
            throw table.error(i, "unknown_site", "site_id", where + ": site_id '" + site[i] +
                                                                 "' is not in the sites layer");
        }
        if (!seen.insert({site[i], period[i]}).second) {
            throw table.error(i, "duplicate_id", "period", where + ": this site and period appear twice");
        }
        const double v = visits.null[i] ? std::nan("") : visits.reals()[i];
        if (!visits.null[i] && (!std::isfinite(v) || v < 0.0)) {
            throw table.error(i, "value_out_of_range", "visits",
                              where + ": visits = " + detail::number(v) + " is not a finite number >= 0");
        }
        out.push_back({site[i], period[i], v, table.column("publics").strings()[i],
                       table.column("needs").strings()[i], table.column("uses_tested").strings()[i],
                       table.column("source").strings()[i], table.column("date").strings()[i], table.fids[i]});
    }
    return out;
}

} // namespace

Territory load_territory(const std::string& path, const LoadOptions& options) {
    Territory t;
    t.path = path;
    t.crs = options.target_crs;
    ReadOptions read;
    read.target_crs = options.target_crs;
    read.assume_source_crs = options.assume_source_crs;
    const auto layers = layer_names(path);
    read_communes(t, read);
    read_town_halls(t, read);
    read_sites(t, read);
    if (has_layer(layers, "broadband")) {
        read_broadband(t, read);
    }
    if (has_layer(layers, "existing_tiers_lieux")) {
        t.existing_tiers_lieux = read_places(t, "existing_tiers_lieux", read);
    }
    if (has_layer(layers, "employment_poles")) {
        t.employment_poles = read_places(t, "employment_poles", read);
    }
    if (has_layer(layers, "commute_flows")) {
        t.commute_flows = read_commute_flows(t, read);
    }
    if (has_layer(layers, "site_observations")) {
        t.site_observations = read_site_observations(t, read);
    }
    return t;
}

Territory with_changes(const Territory& territory, const TerritoryChanges& changes, const std::string& scenario) {
    const std::string who = "scenario '" + scenario + "'";
    Territory t;
    t.path = territory.path;
    t.crs = territory.crs;
    t.communes.reserve(territory.communes.size());
    for (const Commune& c : territory.communes) {
        Commune copy{c.commune_code, c.name, c.population, c.active_population, c.has_active_population,
                     c.in_territory, c.aav_code, c.aav_category, c.aav_name, c.geometry.clone(), c.town_hall,
                     c.fid};
        t.communes.push_back(std::move(copy));
    }
    t.broadband = territory.broadband;
    t.has_aav = territory.has_aav;
    t.has_active_population = territory.has_active_population;
    t.existing_tiers_lieux = territory.existing_tiers_lieux;
    t.employment_poles = territory.employment_poles;
    t.commute_flows = territory.commute_flows;
    t.site_observations = territory.site_observations; // those of sites that close or open are dropped below
    t.warnings = territory.warnings;

    // --- fibre
    if (!changes.ftth_share.empty() && territory.broadband.empty()) {
        throw input_error(who + " changes fibre shares, but '" + territory.path +
                          "' has no broadband layer to change (the other communes would have no figure)");
    }
    for (const auto& [code, share] : changes.ftth_share) {
        if (!t.find_commune(code)) {
            throw input_error(who + ": fibre for commune_code '" + code + "', which is not in the communes layer");
        }
        if (!(share >= 0.0 && share <= 1.0)) {
            throw input_error(who + ": fibre share of commune '" + code + "' must be in [0, 1] (got " +
                              std::to_string(share) + ")");
        }
        auto row = std::find_if(t.broadband.begin(), t.broadband.end(),
                                [&c = code](const Broadband& b) { return b.commune_code == c; });
        if (row == t.broadband.end()) {
            t.broadband.push_back({code, std::nan(""), share, "scenario " + scenario});
        } else {
            row->ftth_share = share;
            row->vintage = "scenario " + scenario;
        }
    }

    // --- sites that close or open
    auto known = [&](const std::string& id, const char* what) {
        const bool found = std::any_of(territory.sites.begin(), territory.sites.end(),
                                       [&](const Site& s) { return s.site_id == id; });
        if (!found) {
            std::vector<std::string> some;
            for (std::size_t i = 0; i < territory.sites.size() && i < 5; ++i) {
                some.push_back(territory.sites[i].site_id);
            }
            throw input_error(who + ": site_id '" + id + "' to " + what + " is not a site of '" + territory.path +
                              "' (" + std::to_string(territory.sites.size()) + " sites, e.g. " +
                              detail::join_names(some, 5) + ")");
        }
    };
    std::set<std::string> closing, opening;
    for (const auto& id : changes.close_sites) {
        known(id, "close");
        closing.insert(id);
    }
    for (const auto& id : changes.open_tiers_lieux) {
        known(id, "open as a tiers-lieu");
        if (closing.count(id)) {
            throw input_error(who + ": site_id '" + id + "' is both closed and opened");
        }
        opening.insert(id);
    }
    for (const Site& s : territory.sites) {
        if (opening.count(s.site_id)) {
            if (!t.existing_tiers_lieux) {
                t.existing_tiers_lieux.emplace(); // opening one makes the layer
            }
            std::vector<ExistingTiersLieu>& existing = *t.existing_tiers_lieux;
            if (std::any_of(existing.begin(), existing.end(),
                            [&](const ExistingTiersLieu& e) { return e.id == s.site_id; })) {
                throw input_error(who + ": site_id '" + s.site_id +
                                  "' is already the id of an existing tiers-lieu");
            }
            existing.push_back({s.site_id, s.name, s.commune_code, s.location, s.fid});
        } else if (!closing.count(s.site_id)) {
            t.sites.push_back(s);
        }
    }
    if (t.existing_tiers_lieux) {
        std::sort(t.existing_tiers_lieux->begin(), t.existing_tiers_lieux->end(),
                  [](const ExistingTiersLieu& a, const ExistingTiersLieu& b) { return a.id < b.id; });
    }
    if (t.sites.empty()) {
        throw input_error(who + " leaves no candidate site");
    }
    if (t.site_observations) {
        auto& observed = *t.site_observations;
        observed.erase(std::remove_if(observed.begin(), observed.end(),
                                      [&](const SiteObservation& o) {
                                          return closing.count(o.site_id) || opening.count(o.site_id);
                                      }),
                       observed.end());
    }
    return t;
}

std::vector<LayerData> to_layers(const Territory& t) {
    std::vector<LayerData> layers(3);
    LayerData& communes = layers[0];
    communes = LayerData{"communes", GeometryType::multi_polygon, t.crs, {}, {}, {}};
    std::vector<std::string> code, name;
    std::vector<double> population, active;
    std::vector<bool> inside;
    for (const auto& c : t.communes) {
        communes.wkb.push_back(to_multi_polygon(c.geometry).to_wkb());
        code.push_back(c.commune_code);
        name.push_back(c.name);
        population.push_back(c.population);
        active.push_back(c.has_active_population ? c.active_population : std::nan(""));
        inside.push_back(c.in_territory);
    }
    communes.columns = {Column::of_strings("commune_code", code), Column::of_strings("name", name),
                        Column::of_reals("population", population), Column::of_reals("active_population", active),
                        Column::of_booleans("in_territory", inside)};

    LayerData& halls = layers[1];
    halls = LayerData{"town_halls", GeometryType::point, t.crs, {}, {}, {}};
    for (const auto& c : t.communes) {
        halls.wkb.push_back(Geometry::from_point(c.town_hall).to_wkb());
    }
    halls.columns = {Column::of_strings("commune_code", code), Column::of_strings("name", name)};

    LayerData& sites = layers[2];
    sites = LayerData{"sites", GeometryType::point, t.crs, {}, {}, {}};
    std::vector<std::string> id, sname, kind, scode, services;
    for (const auto& s : t.sites) {
        sites.wkb.push_back(Geometry::from_point(s.location).to_wkb());
        id.push_back(s.site_id);
        sname.push_back(s.name);
        kind.push_back(s.kind);
        scode.push_back(s.commune_code);
        services.push_back(s.services);
    }
    sites.columns = {Column::of_strings("site_id", id), Column::of_strings("name", sname),
                     Column::of_strings("kind", kind), Column::of_strings("commune_code", scode),
                     Column::of_strings("services", services)};
    if (t.site_observations) {
        LayerData observed{"site_observations", GeometryType::none, t.crs, {}, {}, {}};
        std::vector<std::string> site, period, publics, needs, uses, source, date;
        std::vector<double> visits;
        for (const auto& o : *t.site_observations) {
            site.push_back(o.site_id);
            period.push_back(o.period);
            visits.push_back(o.visits);
            publics.push_back(o.publics);
            needs.push_back(o.needs);
            uses.push_back(o.uses_tested);
            source.push_back(o.source);
            date.push_back(o.date);
        }
        observed.columns = {Column::of_strings("site_id", site),      Column::of_strings("period", period),
                            Column::of_reals("visits", visits),        Column::of_strings("publics", publics),
                            Column::of_strings("needs", needs),        Column::of_strings("uses_tested", uses),
                            Column::of_strings("source", source),      Column::of_strings("date", date)};
        layers.push_back(std::move(observed));
    }
    return layers;
}

} // namespace tierslieux
