// The shipped default territory (geodata/baronnies.gpkg), loaded and run end to end with the default options.
// CTest runs this as geodata_default_territory (label "integration") when the file exists; its path comes in
// through the environment variable TIERSLIEUX_DEFAULT_TERRITORY.

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <tierslieux/pipeline.hpp>
#include <tierslieux/territory.hpp>

#include "support.hpp"

using namespace tierslieux;
using tierslieux::test::any_contains_all;

namespace {

class DefaultTerritory : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        const char* path = std::getenv("TIERSLIEUX_DEFAULT_TERRITORY");
        ASSERT_NE(path, nullptr) << "set TIERSLIEUX_DEFAULT_TERRITORY to geodata/baronnies.gpkg";
        s_territory = std::make_unique<Territory>(load_territory(path));
        s_result = std::make_unique<RunResult>(run(*s_territory));
    }
    static void TearDownTestSuite() {
        s_result.reset();
        s_territory.reset();
    }

    void SetUp() override { ASSERT_TRUE(s_territory && s_result) << "the default territory did not load"; }

    static inline std::unique_ptr<Territory> s_territory;
    static inline std::unique_ptr<RunResult> s_result;
}; // class DefaultTerritory

} // namespace

TEST_F(DefaultTerritory, Counts) {
    const Territory& t = *s_territory;
    EXPECT_EQ(t.communes.size(), 431u);
    // the study area: the park's 97 member communes + Rémuzat (geodata/README.md)
    EXPECT_EQ(std::count_if(t.communes.begin(), t.communes.end(), [](const Commune& c) { return c.in_territory; }),
              98);
    EXPECT_EQ(t.sites.size(), 145u);
    std::set<std::string> kinds;
    for (const Site& s : t.sites) {
        kinds.insert(s.kind);
    }
    EXPECT_GE(kinds.size(), 5u);
    ASSERT_TRUE(t.existing_tiers_lieux.has_value());
    EXPECT_FALSE(t.existing_tiers_lieux->empty());
}

TEST_F(DefaultTerritory, EverySiteHasADistinctRank) {
    std::vector<int> ranks = s_result->scores.rank;
    ASSERT_EQ(ranks.size(), 145u);
    std::sort(ranks.begin(), ranks.end());
    for (std::size_t i = 0; i < ranks.size(); ++i) {
        ASSERT_EQ(ranks[i], static_cast<int>(i + 1)) << "ranks must be 1..145, each exactly once";
    }
}

TEST_F(DefaultTerritory, ScoresAreInRangeAndContributionsAddUp) {
    const ScoreResult& s = s_result->scores;
    ASSERT_EQ(s.score.size(), 145u);
    tierslieux::test::expect_scores_consistent(s);
}

TEST_F(DefaultTerritory, CommuneGraphIsConnected) {
    EXPECT_EQ(s_result->graph.network.node_count(), 431u);
    EXPECT_EQ(s_result->graph.network.component_count(), 1u);
    EXPECT_EQ(s_result->communes.unreachable, 0u);
}

// The 2024 broadband varies between sites, and so do the services each building hosts: neither is warned about.
TEST_F(DefaultTerritory, BroadbandAndHybridityVary) {
    EXPECT_FALSE(any_contains_all(s_result->warnings(), {"'ftth_share'", "same value"}));
    EXPECT_FALSE(any_contains_all(s_result->warnings(), {"'hybridity'", "same value"}));
    for (const char* name : {"ftth_share", "hybridity"}) {
        const auto& criteria = s_result->criteria.values;
        const auto c = std::find_if(criteria.begin(), criteria.end(), [&](const Criterion& k) { return k.name == name; });
        ASSERT_NE(c, criteria.end()) << name;
        EXPECT_GT(*std::max_element(c->values.begin(), c->values.end()),
                  *std::min_element(c->values.begin(), c->values.end()))
            << name;
    }
}

// Competition with the existing tiers-lieux runs (not skipped), and the only commute warning names the five
// attraction-area centres outside the file once, with no study-area commune among their belts.
TEST_F(DefaultTerritory, CompetitionRunsAndTheCommuteGapIsNamedOnce) {
    // only observed_visits: the study has not yet counted visits at its sites (the file has no site_observations)
    for (const SkippedCriterion& k : s_result->criteria.skipped) {
        if (k.name != "observed_visits") {
            ADD_FAILURE() << "criterion '" << k.name << "' is skipped: " << k.reason;
        }
    }
    ASSERT_EQ(s_result->criteria.skipped.size(), 1u);
    const std::vector<std::string> warnings = s_result->warnings();
    const auto aav = std::count_if(warnings.begin(), warnings.end(), [](const std::string& w) {
        return w.find("attraction area") != std::string::npos;
    });
    EXPECT_EQ(aav, 1);
    const auto& d = s_result->diagnostics;
    const auto pole = std::find_if(d.begin(), d.end(), [](const Diagnostic& k) { return k.code == "commute_pole_missing"; });
    ASSERT_NE(pole, d.end());
    EXPECT_EQ(pole->ids, (std::vector<std::string>{"040 Avignon", "049 Valence", "137 Manosque", "251 Digne-les-Bains",
                                                   "275 Apt"}));
    EXPECT_TRUE(any_contains_all(s_result->warnings(), {"040 Avignon", "049 Valence", "(0 in the study area)"}));
}
