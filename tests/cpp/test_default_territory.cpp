// The shipped default territory (geodata/baronnies.gpkg), loaded and run end to end with the default options.
// CTest runs this as geodata_default_territory (label "integration") when the file exists; its path comes in
// through the environment variable TIERSLIEUX_DEFAULT_TERRITORY.

#include <algorithm>
#include <cstdlib>
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
    EXPECT_EQ(std::count_if(t.communes.begin(), t.communes.end(), [](const Commune& c) { return c.in_territory; }),
              108);
    EXPECT_EQ(t.sites.size(), 117u);
}

TEST_F(DefaultTerritory, EverySiteHasADistinctRank) {
    std::vector<int> ranks = s_result->scores.rank;
    ASSERT_EQ(ranks.size(), 117u);
    std::sort(ranks.begin(), ranks.end());
    for (std::size_t i = 0; i < ranks.size(); ++i) {
        ASSERT_EQ(ranks[i], static_cast<int>(i + 1)) << "ranks must be 1..117, each exactly once";
    }
}

TEST_F(DefaultTerritory, ScoresAreInRangeAndContributionsAddUp) {
    const ScoreResult& s = s_result->scores;
    ASSERT_EQ(s.score.size(), 117u);
    tierslieux::test::expect_scores_consistent(s);
}

TEST_F(DefaultTerritory, CommuneGraphIsConnected) {
    EXPECT_EQ(s_result->network.node_count(), 431u);
    EXPECT_EQ(s_result->network.component_count(), 1u);
    EXPECT_EQ(s_result->communes_unreachable, 0u);
}

TEST_F(DefaultTerritory, ConstantFtthShareIsWarnedAbout) {
    EXPECT_TRUE(any_contains_all(s_result->warnings, {"'ftth_share'", "same value"}));
}
