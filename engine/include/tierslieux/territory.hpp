#pragma once
/**
 * @file territory.hpp
 * A territory: its communes (polygons, population, town hall), candidate sites and broadband figures, read from
 * a GeoPackage (or any OGR-readable file) with the layers documented in docs/inputs.md.
 */

#include <tierslieux/geometry.hpp>
#include <tierslieux/io.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tierslieux {

/** A French commune (or any demand zone). commune_code is text: "05070", never a number. */
struct Commune {
    std::string commune_code;
    std::string name;
    double population = 0.0;        ///< people (INSEE legal population)
    double active_population = 0.0; ///< people aged 15-64 in the labour force; valid when has_active_population
    bool has_active_population = false;
    bool in_territory = false;
    /** INSEE attraction area (AAV 2020) code, "" when the layer has no aav2020_code (or it is null). */
    std::string aav_code;
    /**
     * AAV 2020 category: 11 commune-centre, 12 other commune of the main pole, 13 secondary pole, 20 commuter belt,
     * 30 outside any attraction area; 0 when unknown.
     */
    int aav_category = 0;
    /** Name of the attraction area (aav2020_name, optional), "" when unknown: for messages only. */
    std::string aav_name;
    Geometry geometry;              ///< (Multi)Polygon, metric CRS
    Point town_hall;                ///< metric CRS
    std::int64_t fid = 0;           ///< feature id in the communes layer, for messages
}; // struct Commune

/** A candidate building. */
struct Site {
    std::string site_id;
    std::string name;
    std::string kind;          ///< town_hall, france_services, …
    std::string commune_code;
    std::string services;      ///< ";"-separated services known to be hosted
    Point location;            ///< metric CRS
    std::int64_t fid = 0;
}; // struct Site

/** Broadband figures of one commune. ftth_share is in [0, 1]. */
struct Broadband {
    std::string commune_code;
    double ftth_premises = 0.0;
    double ftth_share = 0.0;
    std::string vintage;
}; // struct Broadband

/** A point place of an optional layer: an existing tiers-lieu, an employment pole. */
struct Place {
    std::string id;
    std::string name;
    std::string commune_code; ///< joins the commune graph at this commune's town hall
    Point location;           ///< metric CRS
    std::int64_t fid = 0;
}; // struct Place

/** A tiers-lieu that already exists (optional layer existing_tiers_lieux). */
using ExistingTiersLieu = Place;
/** An employment pole where commuters work (optional layer employment_poles). */
using EmploymentPole = Place;

/** Workers living in home_code and working in work_code (optional table commute_flows, e.g. INSEE MOBPRO). */
struct CommuteFlow {
    std::string home_code;
    std::string work_code;
    double workers = 0.0;
}; // struct CommuteFlow

/**
 * What the study observed at one site over one period (optional table site_observations, filled in by the
 * planner from the template `tierslieux template observations`): visits counted, publics, needs, the new uses tried.
 */
struct SiteObservation {
    std::string site_id;
    std::string period;      ///< as the study writes it ("2025-T1", "2025-03"…)
    double visits = 0.0;     ///< NaN when not counted
    std::string publics;     ///< kinds of public seen, ";"-separated
    std::string needs;       ///< needs expressed
    std::string uses_tested; ///< new uses tried (coworking corner, repair café, fablab…)
    std::string source;      ///< who observed (required: a figure without its source is not evidence)
    std::string date;        ///< when it was recorded
    std::int64_t fid = 0;
}; // struct SiteObservation

/** A loaded, validated territory. Communes are sorted by commune_code, sites by site_id. */
struct Territory {
    std::string path;
    std::string crs = "EPSG:2154";
    std::vector<Commune> communes;
    std::vector<Site> sites;
    std::vector<Broadband> broadband; ///< one per commune that has figures (empty: no usable broadband layer)
    /** True when the communes layer has an aav2020_code and an aav2020_category field. */
    bool has_aav = false;
    /** True when the communes layer has an active_population field. */
    bool has_active_population = false;
    /** Optional layer existing_tiers_lieux, sorted by id (nullopt: the file has no such layer). */
    std::optional<std::vector<ExistingTiersLieu>> existing_tiers_lieux;
    /** Optional layer employment_poles, sorted by id (nullopt: no such layer). */
    std::optional<std::vector<EmploymentPole>> employment_poles;
    /** Optional table commute_flows: home and work communes both in the communes layer (nullopt: no such table). */
    std::optional<std::vector<CommuteFlow>> commute_flows;
    /** Optional table site_observations, in file order; every site_id is a site (nullopt: no such table). */
    std::optional<std::vector<SiteObservation>> site_observations;
    /** What reading it found and let through (codes geometry_repaired, aav_incomplete, broadband_unknown_communes,
     *  commute_flows_outside; docs/outputs.md). */
    std::vector<Diagnostic> warnings;

    /** Index of a commune by code, nullopt when there is none. */
    std::optional<std::size_t> find_commune(const std::string& commune_code) const;
    /** Index of a commune by code; throws not_found. */
    std::size_t commune_index(const std::string& commune_code) const;
}; // struct Territory

/** Options for load_territory. */
struct LoadOptions {
    std::string target_crs = "EPSG:2154";
    /** CRS to assume for layers that declare none (empty: such layers are refused). */
    std::string assume_source_crs;
}; // struct LoadOptions

/**
 * Loads a territory from a file with layers `communes`, `town_halls`, `sites` and optionally `broadband`,
 * `existing_tiers_lieux`, `employment_poles`, `commute_flows` and `site_observations` (docs/inputs.md). Throws io_error / input_error naming file, layer, feature and field for anything wrong:
 * negative or missing population, duplicate codes or ids, a site in an unknown commune, a commune without
 * town hall, no site at all.
 */
Territory load_territory(const std::string& path, const LoadOptions& options = {});

/** A scenario's changes to a territory's data (docs/criteria.md, Scenarios). The communes and graph stay the same. */
struct TerritoryChanges {
    /** New fibre share per commune_code, in [0, 1] ("fibre reaches X" = 1.0); needs a broadband layer. */
    std::map<std::string, double> ftth_share;
    /** Sites that close: no longer candidates. */
    std::vector<std::string> close_sites;
    /** Sites that open as tiers-lieux: no longer candidates, added to existing_tiers_lieux (id = site_id). */
    std::vector<std::string> open_tiers_lieux;
}; // struct TerritoryChanges

/**
 * A copy of `territory` with the changes applied (the input is not modified). Throws input_error, naming
 * `scenario`, for an unknown commune_code or site_id (with a few valid ones), a share outside [0, 1], a fibre
 * change without a broadband layer, a site both closed and opened, or no site left.
 */
Territory with_changes(const Territory& territory, const TerritoryChanges& changes, const std::string& scenario);

/** The territory as layers `communes` (with town-hall coordinates), `town_halls` and `sites` (metric CRS), then
 * the table `site_observations` when the territory has one. */
std::vector<LayerData> to_layers(const Territory& territory);

} // namespace tierslieux
