#pragma once
/**
 * @file pipeline.hpp
 * The whole job: territory in, commute graph, metrics per site and per commune, scores, output layers
 * (docs/outputs.md).
 */

#include <tierslieux/criteria.hpp>
#include <tierslieux/io.hpp>
#include <tierslieux/network.hpp>
#include <tierslieux/osm.hpp>
#include <tierslieux/scoring.hpp>
#include <tierslieux/territory.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace tierslieux {

/** Options of a run. Defaults and their sources: docs/network.md and docs/criteria.md. */
struct RunOptions {
    CommuneGraphParams graph;
    /** Communes whose outlines are closer than this count as sharing a border (metres). */
    double adjacency_tolerance_m = 50.0;
    /** Catchment thresholds in whole minutes: one pop_<T>min criterion each. */
    std::vector<int> thresholds_min{15, 30};
    /** Gravity accessibility: sum of population × exp(-minutes / gravity_decay_min). */
    double gravity_decay_min = 20.0;
    /** Communes farther than this (minutes) add nothing to gravity accessibility. */
    double gravity_max_minutes = 90.0;
    /**
     * OpenStreetMap file (.osm.pbf, .osm): when set, travel times come from its road graph (clipped to the communes
     * grown by roads_clip_buffer_m) instead of the commune graph; town halls and sites are snapped to its nearest
     * node, and the access leg is the straight distance at graph.access_speed_kmh.
     */
    std::string roads_path;
    SpeedProfile roads_profile = SpeedProfile::car();
    double roads_clip_buffer_m = 5000.0;
    /** Points farther than this from the road graph are not snapped: their times are NaN, and a warning lists them. */
    double max_snap_m = 1000.0;
    /** Catchment polygons: reached road edges grown by this many metres (road graphs only). */
    double catchment_buffer_m = 150.0;
    /**
     * The local catchment (minutes) of ftth_share_catchment, poor_broadband_pop, commute interception,
     * demand_share and the existing tiers-lieux counted around each commune.
     */
    double local_minutes = 15.0;
    /** Assumptions of commute interception (docs/criteria.md gives their sources). */
    CommuteAssumptions commute;
    /** Building fit per site kind, 0-1, merged over default_building_fit() ("other": kinds not listed). */
    std::map<std::string, double> building_fit;

    /**
     * Weights per criterion name, merged over default_weights() (0 drops a criterion). A positive weight for a
     * criterion that is skipped (its input is missing, e.g. ftth_share without a broadband layer) is an
     * input_error saying why; unknown names are too.
     */
    std::map<std::string, double> weights;
    /** How criterion values are brought to [0, 1] before weighting (docs/criteria.md). */
    Normalisation normalisation = Normalisation::min_max;
    /** Rank stability (columns p_top<top>, rank_p05, rank_p95 of the sites layer); draws = 0 skips it. */
    StabilityOptions stability;
}; // struct RunOptions

/**
 * Default weights for the given thresholds (docs/criteria.md), from the criteria registry. Criteria with no
 * default weight (active_<T>min, poor_broadband_pop, commuters_intercepted, commute_co2_avoided) are computed and
 * shown with weight 0.
 */
std::map<std::string, double> default_weights(const std::vector<int>& thresholds_min);

/** A criterion of the catalogue that a run could not compute, and why. */
struct SkippedCriterion {
    std::string name;
    std::string reason;
}; // struct SkippedCriterion

/** Called as work advances: stage name, units done, units in the stage. Must not throw. */
using progress_callback = std::function<void(const std::string& stage, std::size_t done, std::size_t total)>;

/** Where points (town halls, or sites) join the commute graph, one entry per point in territory order. */
struct PlacesOnGraph {
    std::vector<node_id> node;
    std::vector<double> access_minutes; ///< point to its node (0 for town halls on the commune graph; NaN: not snapped)
    std::vector<double> snap_m;         ///< straight metres from the point to its node
    /** Per point: true when it was snapped (its access minutes are a number). */
    std::vector<bool> snapped() const;
}; // struct PlacesOnGraph

/** The commute graph of a run and where communes and sites join it. */
struct CommuteGraph {
    Network network{{}, {}, true};
    std::string kind;                              ///< "commune" or "osm"
    std::vector<std::vector<Point>> edge_geometry; ///< road geometry per edge (commune graph: empty)
    PlacesOnGraph communes;                        ///< by their town hall
    PlacesOnGraph sites;
}; // struct CommuteGraph

/** What a run computes per commune (columns of the communes layer, docs/outputs.md). */
struct CommuneResults {
    std::vector<double> minutes_to_nearest_site; ///< NaN when no site is reachable
    /** [threshold][commune]: population of the communes whose town hall is within T minutes of this one's. */
    std::vector<std::vector<double>> pop;
    std::size_t unreachable = 0; ///< communes with no site reachable
    /**
     * Columns added by criteria, in registry order (commute interception: commuters, commute_minutes,
     * commute_km; competition: existing_tiers_lieux_within); absent when the criterion is skipped.
     */
    std::vector<std::pair<std::string, std::vector<double>>> columns;
    /** The column of that name from `columns`; empty when there is none. */
    std::vector<double> column(const std::string& name) const;
}; // struct CommuneResults

/** The criteria of a run: raw values per site, and those left out. */
struct CriteriaResults {
    std::vector<Criterion> values; ///< raw criterion values per site, in registry order
    /** Criteria of the catalogue left out because their input is missing (each also in the warnings). */
    std::vector<SkippedCriterion> skipped;
    /** Per family, where its input came from (commute: "commute_flows", "employment_poles" or "aav2020"). */
    std::map<std::string, std::string> sources;
}; // struct CriteriaResults

/** Indexes a run builds once and its outputs reuse (opaque; defined in the engine's sources). */
struct RunIndexes;

/** Everything a run computes. */
struct RunResult {
    CommuteGraph graph;
    std::vector<int> thresholds_min; ///< as in RunOptions
    /** Per site: nodes whose people reach the site within the largest threshold, with those minutes. */
    std::vector<Reach> catchment_reach;
    CommuneResults communes;
    CriteriaResults criteria;
    ScoreResult scores;
    Stability stability; ///< empty when options.stability.draws == 0
    /** Warnings of the run, in order: the territory's, then each step's (docs/outputs.md lists the codes). */
    std::vector<Diagnostic> diagnostics;
    /** The texts of the diagnostics. */
    std::vector<std::string> warnings() const { return texts(diagnostics); }
    /** Seconds per named step of the run (and per sub-step: adjacency, read roads, snap, commutes). */
    std::map<std::string, double> stage_seconds;
    std::shared_ptr<const RunIndexes> indexes;
}; // struct RunResult

/** Throws input_error naming the first option out of range (run() calls it first). */
void validate(const RunOptions& options);

/** Runs the job on a loaded territory. Throws input_error for invalid options. */
RunResult run(const Territory& territory, const RunOptions& options = {}, const progress_callback& progress = {});

/**
 * Minutes from communes to sites on a run's graph, row-major communes.size() x sites.size(): the commune's node to
 * the site's node plus the site's access leg (the rule of pop_<T>min), with no cut-off; NaN where the commune or
 * the site is not snapped, or no path joins them. Indices are in territory order. Used by portfolios
 * (tl.choose_sites), which so reuse the run's graph. Throws input_error for an index out of range.
 */
std::vector<double> commune_site_minutes(const RunResult& result, const std::vector<std::size_t>& communes,
                                         const std::vector<std::size_t>& sites);

/**
 * The output layers `sites`, `communes`, `network_edges` and `catchments` of docs/outputs.md. Catchments: per site
 * and threshold, the union of the reached communes (commune graph) or the reached road edges grown by
 * options.catchment_buffer_m (road graph).
 */
std::vector<LayerData> to_layers(const Territory& territory, const RunResult& result, const RunOptions& options = {});

} // namespace tierslieux
