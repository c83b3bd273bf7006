// criteria.hpp and the catalogue criteria of the pipeline, on the tiny territory (tiny_territory.hpp) with hand-
// computed values: active population, broadband across the catchment, commute interception (attraction areas and
// flow table), building fit and hybridity, competition with existing tiers-lieux, and every "input missing" path.

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <tierslieux/criteria.hpp>
#include <tierslieux/errors.hpp>
#include <tierslieux/pipeline.hpp>

#include "criteria/families.hpp"
#include "criteria/registry.hpp"
#include "run/context.hpp"
#include "support.hpp"
#include "tiny_territory.hpp"

using namespace tierslieux;
using tierslieux::test::any_contains_all;
using tierslieux::test::contains_all;
using tierslieux::test::message_of;
using tierslieux::test::TempDir;

namespace {

const double NaN = std::nan("");

/** Detour 1.0 at 60 km/h: 1 km is 1 minute, on the graph and on the access legs. */
RunOptions km_is_minute() {
    RunOptions o;
    o.graph.detour_factor = 1.0;
    o.graph.speed_kmh = 60.0;
    o.graph.access_speed_kmh = 60.0;
    o.stability.draws = 0;
    return o;
}

/** Communes (layer order E D C B A): D is the main pole of AAV 001, A B C its belt, E outside any area. */
void add_attraction_areas(std::vector<LayerData>& layers) {
    layers[0].columns.push_back(Column::of_strings("aav2020_code", {"000", "001", "001", "001", "001"}));
    layers[0].columns.push_back(Column::of_integers("aav2020_category", {30, 11, 20, 20, 20}));
}

/** Synthetic observations of the study (site_observations): visits per period, NaN = not counted. */
LayerData observations_layer(const std::vector<std::string>& sites, const std::vector<std::string>& periods,
                             const std::vector<double>& visits, const std::vector<std::string>& source) {
    LayerData o;
    o.name = "site_observations";
    o.geometry_type = GeometryType::none;
    const std::vector<std::string> blank(sites.size());
    o.columns = {Column::of_strings("site_id", sites),    Column::of_strings("period", periods),
                 Column::of_reals("visits", visits),      Column::of_strings("publics", blank),
                 Column::of_strings("needs", blank),      Column::of_strings("uses_tested", blank),
                 Column::of_strings("source", source),    Column::of_strings("date", blank)};
    return o;
}

LayerData flows_layer(const std::vector<std::string>& home, const std::vector<std::string>& work,
                      const std::vector<double>& workers) {
    LayerData flows;
    flows.name = "commute_flows";
    flows.geometry_type = GeometryType::none;
    flows.columns = {Column::of_strings("home_code", home), Column::of_strings("work_code", work),
                     Column::of_reals("workers", workers)};
    return flows;
}

/** One existing tiers-lieu at D's town hall. */
LayerData existing_layer() {
    LayerData existing;
    existing.name = "existing_tiers_lieux";
    existing.geometry_type = GeometryType::point;
    existing.wkb = {tierslieux::test::point_wkb(tierslieux::test::hall_km(30))};
    existing.columns = {Column::of_strings("id", {"tl1"}), Column::of_strings("name", {"La Ruche de Delta"}),
                        Column::of_strings("commune_code", {"05004"})};
    return existing;
}

class Criteria : public ::testing::Test {
protected:
    void SetUp() override { m_dir = std::make_unique<TempDir>(); }

    Territory load(const std::vector<LayerData>& layers) {
        const std::string path = m_dir->file("t" + std::to_string(m_count++) + ".gpkg");
        write_gpkg(path, layers);
        return load_territory(path);
    }

    static const Criterion* find(const RunResult& r, const std::string& name) {
        for (const auto& c : r.criteria.values) {
            if (c.name == name) {
                return &c;
            }
        }
        return nullptr;
    }

    static const std::vector<double>& values(const RunResult& r, const std::string& name) {
        const Criterion* c = find(r, name);
        if (!c) {
            throw std::logic_error("no criterion " + name);
        }
        return c->values;
    }

    static bool is_skipped(const RunResult& r, const std::string& name, const std::string& reason_part) {
        for (const auto& s : r.criteria.skipped) {
            if (s.name == name) {
                return s.reason.find(reason_part) != std::string::npos;
            }
        }
        return false;
    }

    std::unique_ptr<TempDir> m_dir;
    int m_count = 0;
}; // class Criteria

void expect_values(const std::vector<double>& actual, const std::vector<double>& expected) {
    tierslieux::test::expect_near_or_nan(actual, expected, 1e-9, /*relative=*/true);
}

} // namespace

// Sites in territory order: s1 (node A, access 1 min), s2 (node C, access 4), s3 (node B, access 0).
// Town halls A B C D are 10 minutes (10 km) apart in a row; E has no neighbour.

TEST(CriteriaCatalogue, EveryCriterionIsDocumentedOnce) {
    std::set<std::string> names;
    for (const auto& info : criteria_catalogue()) {
        EXPECT_TRUE(names.insert(info.name).second) << info.name;
        EXPECT_FALSE(info.unit.empty()) << info.name;
        EXPECT_FALSE(info.description.empty()) << info.name;
        EXPECT_FALSE(info.when_missing.empty()) << info.name;
    }
    EXPECT_EQ(criterion_info("pop_15min").name, "pop_15min");
    EXPECT_EQ(criterion_info("pop_15min").description, "people within 15 minutes");
    EXPECT_EQ(criterion_info("active_45min").description, "active residents within 45 minutes");
    EXPECT_EQ(criterion_info("active_45min").family, "demand");
    EXPECT_EQ(criterion_info("commute_km_avoided").family, "commute");
    EXPECT_THROW(criterion_info("pop_min"), not_found);
    EXPECT_THROW(criterion_info("pop_x5min"), not_found);
    EXPECT_THROW(criterion_info("bogus"), not_found);
}

TEST(CriteriaCatalogue, HybridityCountsDistinctServicesNotAttributes) {
    EXPECT_EQ(hybridity(""), 0);
    EXPECT_EQ(hybridity("mairie"), 1);
    EXPECT_EQ(hybridity("france_services;type=Principal;format=Fixe"), 1);
    EXPECT_EQ(hybridity(" coworking ; fablab;coworking;; "), 2);
}

TEST(CriteriaCatalogue, AssumptionsAreValidated) {
    CommuteAssumptions a;
    EXPECT_NO_THROW(validate(a));
    a.car_share = 1.5;
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { validate(a); }), {"car_share", "1.5"}));
    a = CommuteAssumptions{};
    a.days_per_week = NaN;
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { validate(a); }), {"days_per_week"}));
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { validate_building_fit({{"town_hall", -0.1}}); }),
                             {"town_hall", "[0, 1]"}));
}

TEST_F(Criteria, DemandAndBroadbandAcrossTheCatchment) {
    const Territory t = load(tierslieux::test::tiny_territory_layers());
    RunOptions o = km_is_minute();
    const RunResult r = run(t, o);
    // 15 min: s1 reaches A (1) B (11); s2 B (14) C (4) D (14); s3 A (10) B (0) C (10)
    expect_values(values(r, "active_15min"), {50.0 + 100.0, 100.0 + 200.0 + 400.0, 50.0 + 100.0 + 200.0});
    // 30 min: s1 A B C (D at 31 is out); s2 and s3 every commune but E (whose active population is unknown)
    expect_values(values(r, "active_30min"), {350.0, 750.0, 750.0});
    // broadband A 0.2 (pop 100), B 0.8 (200), C 0.5 (400), D no row (left out of the mean)
    expect_values(values(r, "ftth_share_catchment"),
                  {(20.0 + 160.0) / 300.0, (160.0 + 200.0) / 600.0, (20.0 + 160.0 + 200.0) / 700.0});
    expect_values(values(r, "poor_broadband_pop"), {80.0 + 40.0, 40.0 + 200.0, 80.0 + 40.0 + 200.0});
    EXPECT_TRUE(any_contains_all(r.warnings(), {"have no broadband row", "05004"}));
    // a wider local catchment reaches more
    o.local_minutes = 30.0;
    const RunResult wide = run(t, o);
    expect_values(values(wide, "poor_broadband_pop"), {80.0 + 40.0 + 200.0, 320.0, 320.0});
}

TEST_F(Criteria, ActivePopulationUnknownInTheCatchmentIsNaNAndSaid) {
    std::vector<LayerData> layers = tierslieux::test::tiny_territory_layers();
    layers[0].columns[3] = Column::of_reals("active_population", {NaN, 400.0, NaN, 100.0, 50.0}); // C unknown
    const RunResult r = run(load(layers), km_is_minute());
    expect_values(values(r, "active_15min"), {150.0, NaN, NaN});
    EXPECT_TRUE(any_contains_all(r.warnings(), {"active_15min", "2 site(s)", "NaN"}));
}

TEST_F(Criteria, BuildingFitUsesThePlannersTable) {
    const Territory t = load(tierslieux::test::tiny_territory_layers());
    RunOptions o = km_is_minute();
    const RunResult r = run(t, o);
    // s1 third_place (not listed: 'other' 0.5), s2 france_services 1.0, s3 town_hall 0.6
    expect_values(values(r, "building_fit"), {0.5, 1.0, 0.6});
    EXPECT_TRUE(any_contains_all(r.warnings(), {"third_place", "'other'"}));
    expect_values(values(r, "hybridity"), {2.0, 1.0, 0.0});
    o.building_fit = {{"third_place", 0.9}, {"town_hall", 0.2}};
    expect_values(values(run(t, o), "building_fit"), {0.9, 1.0, 0.2});
    o.building_fit = {{"third_place", 2.0}};
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { run(t, o); }), {"third_place", "[0, 1]"}));
}

TEST_F(Criteria, CommuteInterceptionFromAttractionAreas) {
    std::vector<LayerData> layers = tierslieux::test::tiny_territory_layers();
    add_attraction_areas(layers);
    const RunResult r = run(load(layers), km_is_minute());
    // belt communes send 15 % of their actives to pole D: A 7.5 (30 min), B 15 (20 min), C 30 (10 min).
    // Intercepted when the site is within 15 min and at most half the minutes to D:
    //   A (half 15): s1 at 1, s3 at 10;  B (half 10): s3 at 0 (s1 at 11 is not);  C (half 5): s2 at 4
    expect_values(values(r, "commuters_intercepted"), {7.5, 30.0, 7.5 + 15.0});
    // km a year: 2 trips a day x 1.9 days x 43.6 weeks x 0.9 by car x (km to D - km to the site)
    const double f = 2.0 * 1.9 * 43.6 * 0.9;
    const std::vector<double> km{7.5 * (30.0 - 1.0) * f, 30.0 * (10.0 - 4.0) * f,
                                 (7.5 * (30.0 - 10.0) + 15.0 * (20.0 - 0.0)) * f};
    expect_values(values(r, "commute_km_avoided"), km);
    expect_values(values(r, "commute_co2_avoided"), {km[0] * 193e-6, km[1] * 193e-6, km[2] * 193e-6});
    EXPECT_EQ(r.criteria.sources.at("commute"), "aav2020");
    // communes layer: commuters leaving each (E D C B A order is A B C D E here) and their minutes to work
    expect_values(r.communes.column("commuters"), {7.5, 15.0, 30.0, 0.0, 0.0});
    expect_values(r.communes.column("commute_minutes"), {30.0, 20.0, 10.0, NaN, NaN});
    expect_values(r.communes.column("commute_km"), {30.0, 20.0, 10.0, NaN, NaN});
}

TEST_F(Criteria, CommuteFiguresDoNotDependOnTheThreads) {
    std::vector<LayerData> layers = tierslieux::test::tiny_territory_layers();
    layers.push_back(flows_layer({"05001", "05003", "05002", "05004", "05001"}, {"05004", "05001", "05004", "05001",
                                                                               "05003"}, {10.0, 5.0, 2.5, 1.25, 3.0}));
    const Territory t = load(layers);
    const RunResult r = run(t, km_is_minute());
    const Attachment at{r.graph.network, r.graph.network, r.graph.communes.node, r.graph.communes.access_minutes, r.graph.sites.node,
                                r.graph.sites.access_minutes, 60.0, false, 1000.0, 1.0};
    const CommuteInterception one = commute_interception(t, at, 15.0, CommuteAssumptions{}, 1);
    for (const unsigned threads : {2u, 3u, 8u}) {
        const CommuteInterception many = commute_interception(t, at, 15.0, CommuteAssumptions{},
                                                                              threads);
        EXPECT_EQ(many.km_per_year, one.km_per_year) << threads; // bit for bit: merged in home order
        EXPECT_EQ(many.commuters, one.commuters) << threads;
        EXPECT_EQ(many.commune_commuters, one.commune_commuters) << threads;
    }
    expect_values(one.km_per_year, values(r, "commute_km_avoided"));
}

TEST_F(Criteria, CommuteAssumptionsChangeTheFigures) {
    std::vector<LayerData> layers = tierslieux::test::tiny_territory_layers();
    add_attraction_areas(layers);
    const Territory t = load(layers);
    RunOptions o = km_is_minute();
    o.commute.pole_commuter_share = 0.5;
    o.commute.max_ratio = 1.0;  // any site nearer than work
    o.commute.days_per_week = 1.0;
    o.commute.weeks_per_year = 1.0;
    o.commute.car_share = 1.0;
    o.commute.co2_g_per_km = 1000.0; // 1 kg per km
    const RunResult r = run(t, o);
    // A 25 (30 min): s1 1, s3 10;  B 50 (20 min): s1 11, s3 0, s2 14;  C 100 (10 min): s2 4, s3 10 (<= 10)
    expect_values(values(r, "commuters_intercepted"), {25.0 + 50.0, 50.0 + 100.0, 25.0 + 50.0 + 100.0});
    const std::vector<double> km{2 * (25.0 * 29.0 + 50.0 * 9.0), 2 * (50.0 * 6.0 + 100.0 * 6.0),
                                 2 * (25.0 * 20.0 + 50.0 * 20.0 + 100.0 * 0.0)};
    expect_values(values(r, "commute_km_avoided"), km);
    expect_values(values(r, "commute_co2_avoided"), {km[0] / 1000.0, km[1] / 1000.0, km[2] / 1000.0});
    o.commute.car_share = -1.0;
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { run(t, o); }), {"car_share"}));
}

TEST_F(Criteria, CommuteInterceptionFromAFlowTable) {
    std::vector<LayerData> layers = tierslieux::test::tiny_territory_layers();
    add_attraction_areas(layers); // a flow table wins over the attraction areas
    layers.push_back(flows_layer({"05001", "05003", "05005", "05002", "99999"},
                                 {"05004", "05001", "05004", "05002", "05004"}, {10.0, 5.0, 3.0, 4.0, 7.0}));
    const Territory t = load(layers);
    EXPECT_TRUE(any_contains_all(texts(t.warnings), {"commute_flows", "1 flow(s)", "7 workers"}));
    const RunResult r = run(t, km_is_minute());
    EXPECT_EQ(r.criteria.sources.at("commute"), "commute_flows");
    // A->D 10 (30 min): s1 1, s3 10;  C->A 5 (20 min, half 10): s2 4, s3 10;  E->D 3: no path;  B->B: not a commute
    expect_values(values(r, "commuters_intercepted"), {10.0, 5.0, 15.0});
    const double f = 2.0 * 1.9 * 43.6 * 0.9;
    expect_values(values(r, "commute_km_avoided"),
                  {10.0 * 29.0 * f, 5.0 * (20.0 - 4.0) * f, (10.0 * 20.0 + 5.0 * 10.0) * f});
    EXPECT_TRUE(any_contains_all(r.warnings(), {"1 commute(s) (3 commuters) could not be placed", "05005->05004"}));
}

/** Employment poles at the town halls of the given communes (codes), with ids p1, p2… */
LayerData poles_layer(const std::vector<std::string>& codes, const std::vector<double>& x_km) {
    LayerData poles;
    poles.name = "employment_poles";
    poles.geometry_type = GeometryType::point;
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < codes.size(); ++i) {
        poles.wkb.push_back(tierslieux::test::point_wkb(tierslieux::test::hall_km(x_km[i])));
        ids.push_back("p" + std::to_string(i + 1));
    }
    poles.columns = {Column::of_strings("id", ids), Column::of_strings("commune_code", codes)};
    return poles;
}

TEST_F(Criteria, CommuteInterceptionToTheNearestEmploymentPole) {
    std::vector<LayerData> layers = tierslieux::test::tiny_territory_layers();
    add_attraction_areas(layers); // a pole layer wins over the attraction areas
    layers.push_back(poles_layer({"05001", "05004"}, {0.0, 30.0}));
    const RunResult r = run(load(layers), km_is_minute());
    EXPECT_EQ(r.criteria.sources.at("commute"), "employment_poles");
    // 15 % of the actives go to the nearest pole: A and D work at home; B 15 -> A (10 min), C 30 -> D (10 min);
    // E's active population is unknown. Half of 10 minutes: B is intercepted by s3 (0), C by s2 (4)
    expect_values(values(r, "commuters_intercepted"), {0.0, 30.0, 15.0});
    const double f = 2.0 * 1.9 * 43.6 * 0.9;
    expect_values(values(r, "commute_km_avoided"), {0.0, 30.0 * (10.0 - 4.0) * f, 15.0 * 10.0 * f});
    expect_values(r.communes.column("commuters"), {0.0, 15.0, 30.0, 0.0, 0.0});
    expect_values(r.communes.column("commute_minutes"), {NaN, 10.0, 10.0, NaN, NaN});
    EXPECT_TRUE(any_contains_all(r.warnings(), {"1 commune(s) have no active_population", "05005"}));
    // a flow table wins over the poles
    layers.push_back(flows_layer({"05001"}, {"05004"}, {10.0}));
    EXPECT_EQ(run(load(layers), km_is_minute()).criteria.sources.at("commute"), "commute_flows");
}

TEST_F(Criteria, PolesThatCannotBePlacedSkipCommutes) {
    std::vector<LayerData> layers = tierslieux::test::tiny_territory_layers();
    layers.push_back(poles_layer({"05004"}, {31.0})); // 1 km east of D's town hall, the nearest node
    const Territory t = load(layers);
    const RunResult r = run(t, km_is_minute());
    // the detail function with a road-graph attachment whose snap distance no pole meets
    const Attachment far{r.graph.network, r.graph.network, r.graph.communes.node, r.graph.communes.access_minutes, r.graph.sites.node,
                                 r.graph.sites.access_minutes, 60.0, true, 1e-6, 1.0};
    const CommuteInterception c = commute_interception(t, far, 15.0, CommuteAssumptions{}, 1);
    EXPECT_TRUE(contains_all(c.skipped, {"no employment pole", "could be placed"}));
    EXPECT_TRUE(c.commuters.empty());
    EXPECT_TRUE(any_contains_all(texts(c.warnings), {"1 employment pole(s) lie(s) more than 0 m", "p1"}));
}

TEST_F(Criteria, EmptyOrBadPoleLayers) {
    std::vector<LayerData> layers = tierslieux::test::tiny_territory_layers();
    LayerData poles = poles_layer({}, {});
    layers.push_back(poles);
    EXPECT_TRUE(is_skipped(run(load(layers), km_is_minute()), "commute_km_avoided", "employment_poles layer"));
    layers.back() = poles_layer({"05001", "09999"}, {0.0, 30.0});
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { load(layers); }), {"employment_poles", "p2", "09999"}));
}

TEST_F(Criteria, ObservedVisitsAreTheMeanOfTheCountedPeriods) {
    std::vector<LayerData> layers = tierslieux::test::tiny_territory_layers();
    layers.push_back(observations_layer({"s1", "s1", "s2", "s2"}, {"2025-T1", "2025-T2", "2025-T1", "2025-T2"},
                                        {30.0, 50.0, 12.0, NaN}, {"étude", "étude", "étude", "étude"}));
    const Territory t = load(layers);
    ASSERT_TRUE(t.site_observations.has_value());
    EXPECT_EQ(t.site_observations->size(), 4u);
    EXPECT_TRUE(std::isnan((*t.site_observations)[3].visits));
    const RunResult r = run(t, km_is_minute());
    // sites in site_id order s1 s2 s3: s1 (30 + 50) / 2, s2 only its counted period, s3 never observed
    expect_values(values(r, "observed_visits"), {40.0, 12.0, NaN});
    const auto weights = default_weights(criteria_registry(), {15});
    EXPECT_TRUE(weights.count("observed_visits") == 0 || weights.at("observed_visits") == 0.0); // shown, not scored
    // a scenario that closes s1 drops its observations
    TerritoryChanges close;
    close.close_sites = {"s1"};
    const Territory closed = with_changes(t, close, "close s1");
    EXPECT_EQ(closed.site_observations->size(), 2u);
    // the table comes back with the territory's layers
    const auto back = to_layers(t);
    ASSERT_EQ(back.size(), 4u);
    EXPECT_EQ(back[3].name, "site_observations");
}

TEST_F(Criteria, BadObservationsAreRefusedWithTheirFeature) {
    std::vector<LayerData> layers = tierslieux::test::tiny_territory_layers();
    layers.push_back(observations_layer({"s1", "nowhere"}, {"2025", "2025"}, {1.0, 2.0}, {"a", "b"}));
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { load(layers); }),
                             {"site_observations", "fid=2", "site_id 'nowhere' is not in the sites layer"}));
    layers.back() = observations_layer({"s1", "s1"}, {"2025", "2025"}, {1.0, 2.0}, {"a", "b"});
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { load(layers); }), {"appear twice"}));
    layers.back() = observations_layer({"s1"}, {"2025"}, {-3.0}, {"a"});
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { load(layers); }), {"visits = -3", ">= 0"}));
    layers.back() = observations_layer({"s1"}, {"2025"}, {3.0}, {""});
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { load(layers); }), {"source"}));
    layers.back() = observations_layer({"s1"}, {"2025"}, {NaN}, {"a"});
    EXPECT_TRUE(is_skipped(run(load(layers), km_is_minute()), "observed_visits", "counts no visits"));
}

TEST_F(Criteria, BadFlowsAreRefusedWithTheirFeature) {
    std::vector<LayerData> layers = tierslieux::test::tiny_territory_layers();
    layers.push_back(flows_layer({"05001"}, {"05004"}, {-2.0}));
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { load(layers); }),
                             {"commute_flows", "fid=", "05001 -> 05004", "workers"}));
    layers.back() = flows_layer({"05001", "05001"}, {"05004", "05004"}, {1.0, 2.0});
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { load(layers); }), {"appears twice"}));
    layers.back() = flows_layer({"05002"}, {"05002"}, {4.0});
    const RunResult r = run(load(layers), km_is_minute());
    EXPECT_TRUE(is_skipped(r, "commute_km_avoided", "holds no flow between two different communes"));
}

TEST_F(Criteria, BadAttractionCategoryIsRefused) {
    std::vector<LayerData> layers = tierslieux::test::tiny_territory_layers();
    layers[0].columns.push_back(Column::of_strings("aav2020_code", {"000", "001", "001", "001", "001"}));
    layers[0].columns.push_back(Column::of_integers("aav2020_category", {30, 11, 20, 21, 20}));
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { load(layers); }),
                             {"communes", "05002", "aav2020_category = 21"}));
}

TEST_F(Criteria, CompetitionWithExistingTiersLieux) {
    std::vector<LayerData> layers = tierslieux::test::tiny_territory_layers();
    layers.push_back(existing_layer());
    const RunResult r = run(load(layers), km_is_minute());
    // from the tiers-lieu at D: s1 30 + 1, s2 10 + 4, s3 20 + 0
    expect_values(values(r, "minutes_to_existing_tiers_lieu"), {31.0, 14.0, 20.0});
    // communes within 15 min of it: D (0) and C (10). Each commune's people are shared with the places they reach:
    // s1: A 100 + B 200;  s2: B 200 + C 400 / 2 + D 800 / 2;  s3: A 100 + B 200 + C 400 / 2
    expect_values(values(r, "demand_share"), {300.0, 800.0, 500.0});
    expect_values(r.communes.column("existing_tiers_lieux_within"), {0.0, 0.0, 1.0, 1.0, 0.0});
}

TEST_F(Criteria, BadExistingTiersLieuxAreRefused) {
    std::vector<LayerData> layers = tierslieux::test::tiny_territory_layers();
    layers.push_back(existing_layer());
    layers.back().columns[2] = Column::of_strings("commune_code", {"09999"});
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { load(layers); }),
                             {"existing_tiers_lieux", "tl1", "09999"}));
}

TEST_F(Criteria, MissingInputsSkipTheirCriteriaWithAReason) {
    std::vector<LayerData> layers = tierslieux::test::tiny_territory_layers();
    layers.pop_back();                                          // no broadband layer
    layers[0].columns.erase(layers[0].columns.begin() + 3);     // no active_population field
    layers[2].columns[4] = Column::of_strings("services", {"", "", ""}); // no service anywhere
    const Territory t = load(layers);
    const RunResult r = run(t, km_is_minute());
    EXPECT_TRUE(is_skipped(r, "active_15min", "no active_population field"));
    EXPECT_TRUE(is_skipped(r, "active_30min", "no active_population field"));
    for (const char* name : {"ftth_share", "ftth_share_catchment", "poor_broadband_pop"}) {
        EXPECT_TRUE(is_skipped(r, name, "no broadband layer")) << name;
    }
    for (const char* name : {"commuters_intercepted", "commute_km_avoided", "commute_co2_avoided"}) {
        EXPECT_TRUE(is_skipped(r, name, "aav2020_code")) << name;
    }
    EXPECT_TRUE(is_skipped(r, "hybridity", "lists any service"));
    EXPECT_TRUE(is_skipped(r, "minutes_to_existing_tiers_lieu", "no existing_tiers_lieux layer"));
    EXPECT_TRUE(is_skipped(r, "demand_share", "no existing_tiers_lieux layer"));
    EXPECT_TRUE(is_skipped(r, "observed_visits", "no site_observations table"));
    for (const auto& s : r.criteria.skipped) {
        EXPECT_EQ(find(r, s.name), nullptr) << s.name << " is both skipped and computed";
        EXPECT_TRUE(any_contains_all(r.warnings(), {"criterion '" + s.name + "' is skipped"})) << s.name;
    }
    EXPECT_EQ(r.criteria.skipped.size(), 12u);
    // a positive weight for a skipped criterion is an error that says why; a zero weight is accepted
    RunOptions o = km_is_minute();
    o.weights = {{"commute_km_avoided", 0.3}};
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { run(t, o); }),
                             {"commute_km_avoided", "skipped", "aav2020_code"}));
    o.weights = {{"commute_km_avoided", 0.0}, {"ftth_share", 0.0}};
    EXPECT_NO_THROW(run(t, o));
}

TEST_F(Criteria, AttractionAreasWithNoCommuteSkipRatherThanZeros) {
    std::vector<LayerData> layers = tierslieux::test::tiny_territory_layers();
    layers[0].columns.push_back(Column::of_strings("aav2020_code", {"000", "000", "000", "000", "000"}));
    layers[0].columns.push_back(Column::of_integers("aav2020_category", {30, 30, 30, 30, 30}));
    const RunResult r = run(load(layers), km_is_minute());
    EXPECT_TRUE(is_skipped(r, "commute_km_avoided", "no commute is known"));
    EXPECT_EQ(find(r, "commute_km_avoided"), nullptr);
    // a belt whose commune-centre is outside the file: the same
    layers = tierslieux::test::tiny_territory_layers();
    layers[0].columns.push_back(Column::of_strings("aav2020_code", {"000", "009", "009", "009", "009"}));
    layers[0].columns.push_back(Column::of_integers("aav2020_category", {30, 20, 20, 20, 20}));
    EXPECT_TRUE(is_skipped(run(load(layers), km_is_minute()), "commuters_intercepted", "no commute is known"));
}

TEST_F(Criteria, AttractionAreaFieldsAreChecked) {
    std::vector<LayerData> layers = tierslieux::test::tiny_territory_layers();
    layers[0].columns.push_back(Column::of_strings("aav2020_code", {"000", "001", "001", "001", "001"}));
    layers[0].columns.push_back(Column::of_integers("aav2020_category", {30, 11, 20, 11, 20}));
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { load(layers); }),
                             {"second commune-centre", "'001'", "05002", "05004"}));
    layers[0].columns[5] = Column::of_strings("aav2020_code", {"000", "001", "001", "001", "001"});
    layers[0].columns[6] = Column::of_integers("aav2020_category", {30, 11, 20, 20, 20});
    layers[0].columns[6].null[2] = true; // C (layer order E D C B A): a code without a category
    const Territory t = load(layers);
    EXPECT_TRUE(any_contains_all(texts(t.warnings), {"only one of aav2020_code and aav2020_category", "05003"}));
    EXPECT_EQ(t.communes[2].aav_category, 0);
}

TEST_F(Criteria, AttractionAreasWithoutActivePopulationSkipCommutes) {
    std::vector<LayerData> layers = tierslieux::test::tiny_territory_layers();
    add_attraction_areas(layers);
    layers[0].columns.erase(layers[0].columns.begin() + 3); // no active_population field
    const RunResult r = run(load(layers), km_is_minute());
    EXPECT_TRUE(is_skipped(r, "commuters_intercepted", "no active_population field"));
}

TEST_F(Criteria, EmptyExistingLayerSkipsCompetition) {
    std::vector<LayerData> layers = tierslieux::test::tiny_territory_layers();
    LayerData existing = existing_layer();
    existing.wkb.clear();
    for (auto& c : existing.columns) {
        c = Column::of_strings(c.name, {});
    }
    layers.push_back(existing);
    const RunResult r = run(load(layers), km_is_minute());
    EXPECT_TRUE(is_skipped(r, "demand_share", "is empty"));
}

TEST_F(Criteria, NewCriteriaAreInTheSitesLayer) {
    std::vector<LayerData> layers = tierslieux::test::tiny_territory_layers();
    add_attraction_areas(layers);
    layers.push_back(existing_layer());
    const Territory t = load(layers);
    const RunOptions o = km_is_minute();
    const RunResult r = run(t, o);
    const std::vector<LayerData> out = to_layers(t, r, o);
    const auto site_columns = tierslieux::test::column_names(out[0]);
    const std::set<std::string> sites(site_columns.begin(), site_columns.end());
    for (const char* name : {"active_15min", "ftth_share_catchment", "poor_broadband_pop", "commuters_intercepted",
                             "commute_km_avoided", "commute_co2_avoided", "building_fit", "hybridity",
                             "minutes_to_existing_tiers_lieu", "demand_share", "contrib_commute_km_avoided"}) {
        EXPECT_TRUE(sites.count(name)) << name;
    }
    const auto commune_columns = tierslieux::test::column_names(out[1]);
    const std::set<std::string> communes(commune_columns.begin(), commune_columns.end());
    for (const char* name : {"commuters", "commute_minutes", "commute_km", "existing_tiers_lieux_within"}) {
        EXPECT_TRUE(communes.count(name)) << name;
    }
    // default weights of the criteria computed: commute_km 0.15, building_fit 0.10, demand_share 0.10
    EXPECT_EQ(r.scores.weights.size(), r.criteria.values.size());
    for (std::size_t k = 0; k < r.criteria.values.size(); ++k) {
        const auto defaults = default_weights(o.thresholds_min);
        const auto it = defaults.find(r.criteria.values[k].name);
        EXPECT_DOUBLE_EQ(r.scores.weights[k], it == defaults.end() ? 0.0 : it->second) << r.criteria.values[k].name;
    }
}

// Adding a criterion is one registry entry (docs/architecture.md): with no other change it is computed in registry
// order, scored with its default weight, in the catalogue's place, in the sites layer with its contribution, and
// its communes column reaches the communes layer; a skipped one is said, and a weight for it is refused.
TEST_F(Criteria, ACriterionAddedToTheRegistryFlowsThroughTheRun) {
    std::vector<CriterionDef> registry = criteria_registry();
    registry.push_back(
        {{"dummy_east_km", "test", "km", Direction::less_is_better, "kilometres east of the origin", "sites",
          "cannot be missing", "x / 1000"},
         0.2,
         [](RunContext& ctx, int) {
             ctx.result.communes.columns.emplace_back("dummy_column",
                                                      std::vector<double>(ctx.territory.communes.size(), 7.0));
             return Computed{ctx.per_site([&](std::size_t i) { return ctx.territory.sites[i].location.x_m / 1000.0; }),
                             {}};
         }});
    registry.push_back({{"dummy_<T>_skipped", "test", "people", Direction::more_is_better, "never computed", "none",
                         "always skipped", "none"},
                        0.0,
                        [](RunContext&, int) { return Computed::skip("the test says so"); }});
    const Territory t = load(tierslieux::test::tiny_territory_layers());
    RunOptions o = km_is_minute();
    const RunResult r = run(t, o, {}, registry);
    ASSERT_EQ(r.criteria.values.back().name, "dummy_east_km");
    EXPECT_EQ(r.criteria.values.back().direction, Direction::less_is_better);
    std::vector<double> east;
    for (const auto& site : t.sites) {
        east.push_back(site.location.x_m / 1000.0);
    }
    expect_values(values(r, "dummy_east_km"), east);
    const auto w = std::find(r.scores.criteria.begin(), r.scores.criteria.end(), "dummy_east_km");
    ASSERT_NE(w, r.scores.criteria.end());
    const std::size_t k = static_cast<std::size_t>(w - r.scores.criteria.begin());
    EXPECT_DOUBLE_EQ(r.scores.weights[k], 0.2);
    EXPECT_EQ(default_weights(registry, o.thresholds_min).at("dummy_east_km"), 0.2);
    for (const int T : o.thresholds_min) {
        const std::string name = "dummy_" + std::to_string(T) + "_skipped";
        EXPECT_TRUE(is_skipped(r, name, "the test says so")) << name;
        EXPECT_TRUE(any_contains_all(r.warnings(), {"'" + name + "' is skipped", "the test says so"})) << name;
    }
    const std::vector<LayerData> out = to_layers(t, r, o);
    const auto site_columns = tierslieux::test::column_names(out[0]);
    for (const char* name : {"dummy_east_km", "contrib_dummy_east_km"}) {
        EXPECT_NE(std::find(site_columns.begin(), site_columns.end(), name), site_columns.end()) << name;
    }
    const auto commune_columns = tierslieux::test::column_names(out[1]);
    EXPECT_EQ(commune_columns.back(), "dummy_column");
    o.weights["dummy_15_skipped"] = 1.0;
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { run(t, o, {}, registry); }),
                             {"dummy_15_skipped", "skipped", "the test says so"}));
    // the engine's own registry is the catalogue, in order
    ASSERT_EQ(criteria_catalogue().size(), criteria_registry().size());
    for (std::size_t i = 0; i < criteria_registry().size(); ++i) {
        EXPECT_EQ(criteria_catalogue()[i].name, criteria_registry()[i].info.name);
    }
}

// Warnings and errors carry a code and what they concern (issue 11): nothing needs matching by message text.
TEST_F(Criteria, DiagnosticsCarryACodeAndWhatTheyConcern) {
    const Territory t = load(tierslieux::test::tiny_territory_layers());
    RunOptions o = km_is_minute();
    const RunResult r = run(t, o);
    ASSERT_FALSE(r.criteria.skipped.empty());
    for (const Diagnostic& d : r.diagnostics) {
        EXPECT_FALSE(d.code.empty()) << d.text;
    }
    EXPECT_EQ(r.warnings(), texts(r.diagnostics));
    for (const SkippedCriterion& k : r.criteria.skipped) {
        const auto d = std::find_if(r.diagnostics.begin(), r.diagnostics.end(), [&](const Diagnostic& x) {
            return x.code == "criterion_skipped" && x.ids == std::vector<std::string>{k.name};
        });
        EXPECT_NE(d, r.diagnostics.end()) << k.name;
    }
    auto error_of = [&](const std::map<std::string, double>& weights) {
        o.weights = weights;
        try {
            run(t, o);
        } catch (const input_error& e) {
            return e.diagnostic();
        }
        return Diagnostic{};
    };
    const Diagnostic unknown = error_of({{"pop_99min", 1.0}});
    EXPECT_EQ(unknown.code, "unknown_criterion");
    EXPECT_EQ(unknown.ids, (std::vector<std::string>{"pop_99min"}));
    const Diagnostic negative = error_of({{"pop_15min", -1.0}});
    EXPECT_EQ(negative.code, "bad_weight");
    EXPECT_EQ(negative.ids, (std::vector<std::string>{"pop_15min"}));
    const std::string skipped = r.criteria.skipped.front().name;
    const Diagnostic for_skipped = error_of({{skipped, 1.0}});
    EXPECT_EQ(for_skipped.code, "weight_for_skipped_criterion");
    EXPECT_EQ(for_skipped.ids, (std::vector<std::string>{skipped}));
    EXPECT_EQ(input_error("plain").diagnostic().code, "input_error");
}

// The steps of a run can be called one by one on a RunContext (issue 11): each leaves what the next one reads.
TEST_F(Criteria, TheStepsOfARunCanBeCalledAlone) {
    const Territory t = load(tierslieux::test::tiny_territory_layers());
    const RunOptions o = km_is_minute();
    RunContext ctx{t, o};
    attach_graph(ctx);
    EXPECT_EQ(ctx.result.graph.kind, "commune");
    ASSERT_TRUE(ctx.indexes);
    EXPECT_EQ(ctx.indexes->communes_at_node.distinct, t.communes.size());
    site_catchments(ctx);
    ASSERT_EQ(ctx.pop.size(), o.thresholds_min.size());
    EXPECT_EQ(ctx.bound, std::max({30.0, o.gravity_max_minutes, o.local_minutes}));
    // s3 sits at node B (access 0): its communes within reach include its own, at 0 minutes
    const auto& own = ctx.site_communes[2];
    EXPECT_NE(std::find(own.begin(), own.end(), reached_commune{1, 0.0}), own.end());
    commune_catchments(ctx);
    EXPECT_EQ(ctx.result.communes.minutes_to_nearest_site.size(), t.communes.size());
    compute_criteria(ctx, criteria_registry());
    const std::map<std::string, double> weights = resolve_weights(ctx, criteria_registry());
    score(ctx, weights);
    rank_stability(ctx);
    // the same as run() in one go
    const RunResult whole = run(t, o);
    ASSERT_EQ(whole.scores.score.size(), ctx.result.scores.score.size());
    for (std::size_t i = 0; i < whole.scores.score.size(); ++i) {
        EXPECT_DOUBLE_EQ(whole.scores.score[i], ctx.result.scores.score[i]);
    }
    EXPECT_EQ(whole.warnings(), ctx.result.warnings());
}

// --- scenarios: with_changes

TEST_F(Criteria, ScenarioChangesFibreAndSitesOnACopy) {
    const Territory base = load(tierslieux::test::tiny_territory_layers());
    TerritoryChanges changes;
    changes.ftth_share = {{"05001", 1.0}, {"05004", 0.5}}; // A gets fibre everywhere; D gets a first row
    changes.open_tiers_lieux = {"s2"};
    const Territory t = with_changes(base, changes, "fibre and an opening");
    // the input is untouched
    ASSERT_EQ(base.sites.size(), 3u);
    EXPECT_FALSE(base.existing_tiers_lieux.has_value());
    EXPECT_DOUBLE_EQ(base.broadband[0].ftth_share, 0.2);
    // the copy: s1 and s3 are candidates, s2 is an existing tiers-lieu, fibre changed
    ASSERT_EQ(t.sites.size(), 2u);
    EXPECT_EQ(t.sites[0].site_id, "s1");
    EXPECT_EQ(t.sites[1].site_id, "s3");
    ASSERT_TRUE(t.existing_tiers_lieux.has_value());
    ASSERT_EQ(t.existing_tiers_lieux->size(), 1u);
    EXPECT_EQ((*t.existing_tiers_lieux)[0].id, "s2");
    EXPECT_EQ((*t.existing_tiers_lieux)[0].commune_code, "05003");
    const RunResult r = run(t, km_is_minute());
    expect_values(values(r, "ftth_share"), {1.0, 0.8});
    // within 15 minutes: s1 reaches A (1) and B (11); s3 reaches A, B, C. Fibre A 1.0 (pop 100), B 0.8 (200), C 0.5
    expect_values(values(r, "ftth_share_catchment"), {(100.0 + 160.0) / 300.0, (100.0 + 160.0 + 200.0) / 700.0});
    // from s2 (node C, access 4): to s1 (node A, access 1) 4 + 20 + 1; to s3 (node B, access 0) 4 + 10
    expect_values(values(r, "minutes_to_existing_tiers_lieu"), {25.0, 14.0});
    // communes within 15 min of s2: B, C, D. s1: A 100 + B 200 / 2;  s3: A 100 + B 200 / 2 + C 400 / 2
    expect_values(values(r, "demand_share"), {200.0, 400.0});
    // closing a site
    TerritoryChanges close;
    close.close_sites = {"s3"};
    const Territory closed = with_changes(base, close, "s3 closes");
    ASSERT_EQ(closed.sites.size(), 2u);
    EXPECT_EQ(closed.sites[1].site_id, "s2");
    EXPECT_FALSE(closed.existing_tiers_lieux.has_value());
}

TEST_F(Criteria, BadScenarioChangesAreRefusedWithTheScenarioName) {
    const Territory base = load(tierslieux::test::tiny_territory_layers());
    auto message = [&](const TerritoryChanges& c) {
        return message_of<input_error>([&] { with_changes(base, c, "youth council"); });
    };
    TerritoryChanges c;
    c.ftth_share = {{"09999", 1.0}};
    EXPECT_TRUE(contains_all(message(c), {"scenario 'youth council'", "09999"}));
    c.ftth_share = {{"05001", 1.5}};
    EXPECT_TRUE(contains_all(message(c), {"05001", "[0, 1]"}));
    c = TerritoryChanges{};
    c.close_sites = {"s9"};
    EXPECT_TRUE(contains_all(message(c), {"'s9'", "close", "3 sites, e.g. s1, s2, s3"}));
    c.close_sites = {"s1"};
    c.open_tiers_lieux = {"s1"};
    EXPECT_TRUE(contains_all(message(c), {"'s1' is both closed and opened"}));
    c.close_sites = {"s1", "s2"};
    c.open_tiers_lieux = {"s3"};
    EXPECT_TRUE(contains_all(message(c), {"leaves no candidate site"}));
    std::vector<LayerData> layers = tierslieux::test::tiny_territory_layers();
    layers.pop_back(); // no broadband layer
    const Territory bare = load(layers);
    TerritoryChanges fibre;
    fibre.ftth_share = {{"05001", 1.0}};
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { with_changes(bare, fibre, "x"); }),
                             {"no broadband layer"}));
}
