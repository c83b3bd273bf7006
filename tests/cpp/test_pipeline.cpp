// pipeline.hpp: the whole run on the tiny territory (tiny_territory.hpp), whose results are computed by hand.

#include <algorithm>
#include <cmath>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <tierslieux/errors.hpp>
#include <tierslieux/pipeline.hpp>

#include "support.hpp"
#include "tiny_territory.hpp"

using namespace tierslieux;
using tierslieux::test::any_contains_all;
using tierslieux::test::column_names;
using tierslieux::test::contains_all;
using tierslieux::test::message_of;
using tierslieux::test::TempDir;

namespace {

/** Loads the tiny territory once for the whole suite. */
class Pipeline : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_dir = std::make_unique<TempDir>();
        const std::string path = s_dir->file("tiny.gpkg");
        write_gpkg(path, tierslieux::test::tiny_territory_layers());
        s_territory = std::make_unique<Territory>(load_territory(path));
    }
    static void TearDownTestSuite() {
        s_territory.reset();
        s_dir.reset();
    }

    /** Detour 1.0 at 60 km/h: 1 km is 1 minute, on the graph and on the access legs. */
    static RunOptions km_is_minute() {
        RunOptions o;
        o.graph.detour_factor = 1.0;
        o.graph.speed_kmh = 60.0;
        o.graph.access_speed_kmh = 60.0;
        return o;
    }

    static const Territory& territory() { return *s_territory; }

    static const Criterion& criterion(const RunResult& r, const std::string& name) {
        for (const auto& c : r.criteria.values) {
            if (c.name == name) {
                return c;
            }
        }
        throw std::logic_error("no criterion " + name);
    }

    static inline std::unique_ptr<TempDir> s_dir;
    static inline std::unique_ptr<Territory> s_territory;
}; // class Pipeline

void expect_equal_with_nan(const std::vector<double>& actual, const std::vector<double>& expected) {
    tierslieux::test::expect_near_or_nan(actual, expected, 1e-9);
}

} // namespace

// Sites in territory order: s1 (in A, access 1 min), s2 (in C, access 4), s3 (at B's town hall, access 0).
// Town halls A B C D are 10 minutes apart in a row; E has no neighbour.

TEST_F(Pipeline, GraphLinksNeighbouringCommunes) {
    const RunResult r = run(territory(), km_is_minute());
    const Network& n = r.graph.network;
    EXPECT_EQ(n.node_count(), 5u);
    ASSERT_EQ(n.edge_count(), 3u); // A-B, B-C, C-D
    for (const Edge& e : n.edges()) {
        EXPECT_EQ(e.to, e.from + 1);
        EXPECT_DOUBLE_EQ(e.length_m, 10000.0);
        EXPECT_DOUBLE_EQ(e.minutes, 10.0);
    }
    EXPECT_EQ(n.component_count(), 2u);
    EXPECT_TRUE(any_contains_all(r.warnings(), {"2 separate parts"}));
    EXPECT_EQ(r.graph.communes.node, (std::vector<node_id>{0, 1, 2, 3, 4}));
    EXPECT_EQ(r.graph.sites.node, (std::vector<node_id>{0, 2, 1}));
    expect_equal_with_nan(r.graph.sites.access_minutes, {1.0, 4.0, 0.0});
}

TEST_F(Pipeline, SiteCatchmentsMatchHandComputedValues) {
    const RunResult r = run(territory(), km_is_minute());
    // s1: A 1, B 11, C 21, D 31 min -> 15 min: A+B; 30 min: A+B+C (D at 31 is out)
    // s2: C 4, B 14, D 14, A 24     -> 15 min: B+C+D; 30 min: all four
    // s3: B 0, A 10, C 10, D 20     -> 15 min: A+B+C; 30 min: all four
    expect_equal_with_nan(criterion(r, "pop_15min").values, {300.0, 1400.0, 700.0});
    expect_equal_with_nan(criterion(r, "pop_30min").values, {700.0, 1500.0, 1500.0});
    // nearest other site, access legs included: s1-s3 1+10+0, s2-s3 4+10+0
    expect_equal_with_nan(criterion(r, "minutes_to_nearest_site").values, {11.0, 14.0, 11.0});
    expect_equal_with_nan(criterion(r, "ftth_share").values, {0.2, 0.5, 0.8});

    const auto gravity = [](const std::vector<std::pair<double, double>>& pop_minutes) {
        double g = 0.0;
        for (const auto& [pop, minutes] : pop_minutes) {
            g += pop * std::exp(-minutes / 20.0);
        }
        return g;
    };
    expect_equal_with_nan(criterion(r, "gravity_access").values,
                          {gravity({{100, 1}, {200, 11}, {400, 21}, {800, 31}}),
                           gravity({{100, 24}, {200, 14}, {400, 4}, {800, 14}}),
                           gravity({{100, 10}, {200, 0}, {400, 10}, {800, 20}})});
}

TEST_F(Pipeline, CatchmentThresholdsAreOptions) {
    RunOptions o = km_is_minute();
    o.thresholds_min = {10, 25};
    o.weights = {{"pop_10min", 0.2}, {"pop_25min", 0.2}};
    const RunResult r = run(territory(), o);
    // s1 (A 1, B 11, C 21, D 31): 10 min A; 25 min A+B+C.   s2 (C 4, B 14, D 14, A 24): C; all four.
    // s3 (B 0, A 10, C 10, D 20): A+B+C (10 is inclusive); all four.
    expect_equal_with_nan(criterion(r, "pop_10min").values, {100.0, 400.0, 700.0});
    expect_equal_with_nan(criterion(r, "pop_25min").values, {700.0, 1500.0, 1500.0});
    EXPECT_EQ(r.thresholds_min, (std::vector<int>{10, 25}));
}

TEST_F(Pipeline, CommuneResultsMatchHandComputedValues) {
    const RunResult r = run(territory(), km_is_minute());
    // best of (access + graph minutes) over the sites; E reaches none
    expect_equal_with_nan(r.communes.minutes_to_nearest_site, {1.0, 0.0, 4.0, 14.0, std::nan("")});
    EXPECT_EQ(r.communes.unreachable, 1u);
    EXPECT_TRUE(any_contains_all(r.warnings(), {"1 commune(s) cannot reach any site"}));
    // population within T minutes of each town hall (graph only)
    ASSERT_EQ(r.communes.pop.size(), 2u);
    expect_equal_with_nan(r.communes.pop[0], {300.0, 700.0, 1400.0, 1200.0, 1600.0});
    expect_equal_with_nan(r.communes.pop[1], {1500.0, 1500.0, 1500.0, 1500.0, 1600.0});
}

TEST_F(Pipeline, ScoresAreConsistent) {
    const RunResult r = run(territory(), km_is_minute());
    const ScoreResult& s = r.scores;
    ASSERT_EQ(s.score.size(), 3u);
    std::vector<int> ranks = s.rank;
    std::sort(ranks.begin(), ranks.end());
    EXPECT_EQ(ranks, (std::vector<int>{1, 2, 3}));
    tierslieux::test::expect_scores_consistent(s);
    // the tiny territory has no attraction areas nor existing tiers-lieux: those criteria are skipped
    EXPECT_EQ(s.criteria, (std::vector<std::string>{"pop_15min", "pop_30min", "active_15min", "active_30min",
                                                    "gravity_access", "ftth_share", "ftth_share_catchment",
                                                    "poor_broadband_pop", "building_fit", "hybridity",
                                                    "minutes_to_nearest_site"}));
    // default weights: 0.30 shared by the catchments, active 0, gravity 0.15, ftth 0.10 + 0.05, poor 0,
    // building 0.10 + 0.05, nearest site 0.10
    EXPECT_EQ(s.weights, (std::vector<double>{0.15, 0.15, 0.0, 0.0, 0.15, 0.10, 0.05, 0.0, 0.10, 0.05, 0.10}));
}

TEST_F(Pipeline, WeightsAreMergedOverTheDefaults) {
    RunOptions o = km_is_minute();
    o.weights = {{"pop_15min", 1.0}, {"gravity_access", 0.0}};
    const RunResult r = run(territory(), o);
    const auto& s = r.scores;
    EXPECT_EQ(s.criteria[0], "pop_15min");
    EXPECT_EQ(s.weights[0], 1.0);   // given
    EXPECT_EQ(s.criteria[4], "gravity_access");
    EXPECT_EQ(s.weights[1], 0.15); // pop_30min: default kept
    EXPECT_EQ(s.weights[4], 0.0);  // gravity_access: dropped
    EXPECT_EQ(s.contributions[4], (std::vector<double>{0.0, 0.0, 0.0}));
}

TEST_F(Pipeline, ExplicitWeightsDriveTheScore) {
    RunOptions o = km_is_minute();
    o.weights = {{"pop_15min", 1.0},
                 {"pop_30min", 0.0},
                 {"gravity_access", 0.0},
                 {"ftth_share", 0.0},
                 {"ftth_share_catchment", 0.0},
                 {"building_fit", 0.0},
                 {"hybridity", 0.0},
                 {"minutes_to_nearest_site", 0.0}};
    const RunResult r = run(territory(), o);
    // pop_15min alone: 300, 1400, 700 -> 0, 100, 400/11
    expect_equal_with_nan(r.scores.score, {0.0, 100.0, 100.0 * 400.0 / 1100.0});
    EXPECT_EQ(r.scores.rank, (std::vector<int>{3, 1, 2}));

    o.weights = {{"pop_20min", 1.0}};
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { run(territory(), o); }), {"pop_20min", "pop_15min"}));
}

TEST_F(Pipeline, FtthWeightWithoutBroadbandIsRefused) {
    Territory t = load_territory(s_dir->file("tiny.gpkg"));
    t.broadband.clear();
    RunOptions o = km_is_minute();
    o.weights = {{"ftth_share", 0.2}};
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { run(t, o); }), {"ftth_share", "broadband"}));
}

TEST_F(Pipeline, DefaultWeights) {
    const auto w = default_weights({15, 30, 45});
    EXPECT_DOUBLE_EQ(w.at("pop_15min"), 0.10);
    EXPECT_DOUBLE_EQ(w.at("pop_45min"), 0.10);
    EXPECT_DOUBLE_EQ(w.at("gravity_access"), 0.15);
    EXPECT_DOUBLE_EQ(w.at("ftth_share"), 0.10);
    EXPECT_DOUBLE_EQ(w.at("minutes_to_nearest_site"), 0.10);
    EXPECT_EQ(w.size(), 12u);
    // without existing tiers-lieux the weights sum to 1
    double sum = 0.0;
    for (const auto& [name, weight] : w) {
        sum += name == "demand_share" || name == "minutes_to_existing_tiers_lieu" ? 0.0 : weight;
    }
    EXPECT_NEAR(sum, 1.0, 1e-12);
}

TEST_F(Pipeline, ProgressIsReported) {
    std::set<std::string> stages;
    std::size_t last_done = 0;
    std::size_t last_total = 0;
    run(territory(), km_is_minute(), [&](const std::string& stage, std::size_t done, std::size_t total) {
        stages.insert(stage);
        if (stage == "catchments") {
            last_done = done;
            last_total = total;
        }
    });
    EXPECT_EQ(stages, (std::set<std::string>{"graph", "catchments", "commune catchments"}));
    EXPECT_EQ(last_done, 3u);
    EXPECT_EQ(last_total, 3u);
}

TEST_F(Pipeline, InvalidOptionsAreRefused) {
    const auto refused = [](auto change) {
        RunOptions o;
        change(o);
        EXPECT_THROW(run(territory(), o), input_error);
    };
    refused([](RunOptions& o) { o.graph.detour_factor = 0.5; });
    refused([](RunOptions& o) { o.graph.speed_kmh = 0.0; });
    refused([](RunOptions& o) { o.adjacency_tolerance_m = -1.0; });
    refused([](RunOptions& o) { o.thresholds_min = {}; });
    refused([](RunOptions& o) { o.thresholds_min = {15, 15}; });
    refused([](RunOptions& o) { o.thresholds_min = {0}; });
    refused([](RunOptions& o) { o.gravity_decay_min = 0.0; });
    refused([](RunOptions& o) { o.gravity_max_minutes = std::nan(""); });
}

TEST_F(Pipeline, OutputLayersFollowTheContract) {
    const RunResult r = run(territory(), km_is_minute());
    const std::vector<LayerData> layers = to_layers(territory(), r);
    ASSERT_EQ(layers.size(), 4u);

    const LayerData& sites = layers[0];
    EXPECT_EQ(sites.name, "sites");
    EXPECT_EQ(sites.geometry_type, GeometryType::point);
    EXPECT_EQ(sites.size(), 3u);
    const auto site_columns = column_names(sites);
    for (const char* name : {"site_id", "name", "kind", "commune_code", "services", "node_id", "access_minutes",
                             "pop_15min", "gravity_access", "ftth_share", "minutes_to_nearest_site",
                             "pop_30min", "score", "rank", "contrib_pop_15min", "contrib_pop_30min",
                             "contrib_gravity_access", "contrib_ftth_share", "contrib_minutes_to_nearest_site"}) {
        EXPECT_NE(std::find(site_columns.begin(), site_columns.end(), name), site_columns.end()) << name;
    }

    const LayerData& communes = layers[1];
    EXPECT_EQ(communes.name, "communes");
    EXPECT_EQ(communes.geometry_type, GeometryType::multi_polygon);
    EXPECT_EQ(communes.size(), 5u);
    const auto commune_columns = column_names(communes);
    for (const char* name : {"commune_code", "name", "population", "active_population", "in_territory", "node_id",
                             "minutes_to_nearest_site", "pop_15min", "pop_30min"}) {
        EXPECT_NE(std::find(commune_columns.begin(), commune_columns.end(), name), commune_columns.end()) << name;
    }

    const LayerData& edges = layers[2];
    EXPECT_EQ(edges.name, "network_edges");
    EXPECT_EQ(edges.geometry_type, GeometryType::line_string);
    EXPECT_EQ(edges.size(), 3u);
    EXPECT_EQ(column_names(edges),
              (std::vector<std::string>{"from_node", "to_node", "length_m", "minutes", "twoway"}));
    EXPECT_EQ(Geometry::from_wkb(edges.wkb[0]).to_wkt(), "LINESTRING (855000 6355000, 865000 6355000)");

    // catchments on the commune graph: the union of the communes reached within each threshold
    const LayerData& catchments = layers[3];
    EXPECT_EQ(catchments.name, "catchments");
    EXPECT_EQ(catchments.geometry_type, GeometryType::multi_polygon);
    EXPECT_EQ(column_names(catchments), (std::vector<std::string>{"site_id", "minutes"}));
    const auto& ids = catchments.columns[0].strings();
    const auto& minutes = catchments.columns[1].integers();
    auto area_km2 = [&](const std::string& id, std::int64_t t) {
        for (std::size_t k = 0; k < ids.size(); ++k) {
            if (ids[k] == id && minutes[k] == t) {
                return area_m2(Geometry::from_wkb(catchments.wkb[k])) / 1e6;
            }
        }
        return -1.0;
    };
    // s1 (access 1 min, in A): A at 1, B at 11, C at 21 minutes -> 15 min: A+B, 30 min: A+B+C (10 x 10 km each)
    EXPECT_NEAR(area_km2("s1", 15), 200.0, 1e-6);
    EXPECT_NEAR(area_km2("s1", 30), 300.0, 1e-6);
    // s3 on B's town hall: A, B, C within 10 min -> 15 and 30 min: A+B+C (D at 20: 30 min adds D)
    EXPECT_NEAR(area_km2("s3", 15), 300.0, 1e-6);
    EXPECT_NEAR(area_km2("s3", 30), 400.0, 1e-6);
}

TEST_F(Pipeline, OutputLayersWriteAndReadBack) {
    const RunResult r = run(territory(), km_is_minute());
    TempDir dir;
    const std::string path = dir.file("result.gpkg");
    write_gpkg(path, to_layers(territory(), r));
    EXPECT_EQ(layer_names(path), (std::vector<std::string>{"sites", "communes", "network_edges", "catchments"}));

    const FeatureTable sites = read_layer(path, "sites",
                                          {{"site_id"},
                                           {"rank", FieldType::integer},
                                           {"score", FieldType::real},
                                           {"pop_15min", FieldType::real},
                                           {"access_minutes", FieldType::real},
                                           {"node_id", FieldType::integer}});
    EXPECT_EQ(sites.column("site_id").strings(), (std::vector<std::string>{"s1", "s2", "s3"}));
    EXPECT_EQ(sites.column("pop_15min").reals(), (std::vector<double>{300.0, 1400.0, 700.0}));
    EXPECT_EQ(sites.column("access_minutes").reals(), (std::vector<double>{1.0, 4.0, 0.0}));
    EXPECT_EQ(sites.column("node_id").integers(), (std::vector<std::int64_t>{0, 2, 1}));
    const std::vector<std::int64_t> ranks(r.scores.rank.begin(), r.scores.rank.end());
    EXPECT_EQ(sites.column("rank").integers(), ranks);

    const FeatureTable communes = read_layer(path, "communes",
                                             {{"commune_code"},
                                              {"in_territory", FieldType::boolean},
                                              {"minutes_to_nearest_site", FieldType::real, false}});
    EXPECT_EQ(communes.column("commune_code").strings(),
              (std::vector<std::string>{"05001", "05002", "05003", "05004", "05005"}));
    EXPECT_EQ(communes.column("in_territory").integers(), (std::vector<std::int64_t>{1, 1, 1, 1, 0}));
    // the commune with no neighbour and no site: NaN, written as null
    EXPECT_EQ(communes.column("minutes_to_nearest_site").null, (std::vector<bool>{false, false, false, false, true}));
    EXPECT_EQ(communes.column("minutes_to_nearest_site").reals()[3], 14.0);

    const FeatureTable edges = read_layer(path, "network_edges",
                                          {{"from_node", FieldType::integer},
                                           {"to_node", FieldType::integer},
                                           {"length_m", FieldType::real},
                                           {"minutes", FieldType::real}});
    EXPECT_EQ(edges.column("from_node").integers(), (std::vector<std::int64_t>{0, 1, 2}));
    EXPECT_EQ(edges.column("to_node").integers(), (std::vector<std::int64_t>{1, 2, 3}));
    EXPECT_EQ(edges.column("minutes").reals(), (std::vector<double>{10.0, 10.0, 10.0}));
}

TEST_F(Pipeline, WithoutBroadbandTheFtthCriterionIsSkipped) {
    Territory t = load_territory(s_dir->file("tiny.gpkg"));
    t.broadband.clear();
    const RunResult r = run(t, km_is_minute());
    for (const auto& c : r.criteria.values) {
        EXPECT_NE(c.name, "ftth_share");
    }
    EXPECT_TRUE(any_contains_all(r.warnings(), {"criterion 'ftth_share' is skipped", "no broadband layer"}));
    double shares = 0.0;
    for (const double w : r.scores.effective_weights) {
        shares += w;
    }
    EXPECT_NEAR(shares, 1.0, 1e-12);
}

TEST_F(Pipeline, ConstantBroadbandIsWarnedAbout) {
    Territory t = load_territory(s_dir->file("tiny.gpkg"));
    for (auto& b : t.broadband) {
        b.ftth_share = 0.5;
    }
    const RunResult r = run(t, km_is_minute());
    EXPECT_TRUE(any_contains_all(r.warnings(), {"'ftth_share'", "same value"}));
    const auto& names = r.scores.criteria;
    const std::size_t k = static_cast<std::size_t>(std::find(names.begin(), names.end(), "ftth_share") - names.begin());
    ASSERT_LT(k, names.size());
    EXPECT_EQ(r.scores.effective_weights[k], 0.0);
}
