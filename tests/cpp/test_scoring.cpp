// scoring.hpp: normalisations (min-max, rank, z-score), weighting, contributions, ranks, warnings.

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <tierslieux/errors.hpp>
#include <tierslieux/scoring.hpp>

#include "support.hpp"

using namespace tierslieux;
using tierslieux::test::any_contains_all;
using tierslieux::test::contains_all;
using tierslieux::test::message_of;

namespace {

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

Criterion more(const std::string& name, std::vector<double> values) {
    return {name, "unit", Direction::more_is_better, std::move(values)};
}

Criterion less(const std::string& name, std::vector<double> values) {
    return {name, "minutes", Direction::less_is_better, std::move(values)};
}

const std::vector<std::string> abc{"a", "b", "c"};

void expect_near_all(const std::vector<double>& actual, const std::vector<double>& expected) {
    ASSERT_EQ(actual.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_NEAR(actual[i], expected[i], 1e-12) << "at " << i;
    }
}

void expect_contributions_add_up(const ScoreResult& r) {
    for (std::size_t i = 0; i < r.score.size(); ++i) {
        double sum = 0.0;
        for (const auto& c : r.contributions) {
            sum += c[i];
        }
        EXPECT_NEAR(sum, r.score[i], 1e-9) << "site " << i;
    }
}

} // namespace

TEST(Scoring, MinMaxOfOneCriterion) {
    const ScoreResult r = score_sites({more("pop", {10, 20, 40})}, {{"pop", 1.0}}, abc);
    expect_near_all(r.score, {0.0, 100.0 / 3.0, 100.0});
    EXPECT_EQ(r.rank, (std::vector<int>{3, 2, 1}));
    EXPECT_EQ(r.criteria, (std::vector<std::string>{"pop"}));
    EXPECT_EQ(r.weights, (std::vector<double>{1.0}));
    EXPECT_EQ(r.effective_weights, (std::vector<double>{1.0}));
    EXPECT_TRUE(r.warnings.empty());
}

TEST(Scoring, WeightedSumWithKnownContributions) {
    // a normalises to {0, .5, 1}, b to {0, 1, .5}; weights 3:1 -> shares .75 and .25
    const ScoreResult r =
        score_sites({more("a", {0, 5, 10}), more("b", {1, 3, 2})}, {{"a", 3.0}, {"b", 1.0}}, abc);
    expect_near_all(r.effective_weights, {0.75, 0.25});
    expect_near_all(r.contributions[0], {0.0, 37.5, 75.0});
    expect_near_all(r.contributions[1], {0.0, 25.0, 12.5});
    expect_near_all(r.score, {0.0, 62.5, 87.5});
    EXPECT_EQ(r.rank, (std::vector<int>{3, 2, 1}));
    expect_contributions_add_up(r);
}

TEST(Scoring, ContributionsAddUpToScoreInGeneral) {
    const ScoreResult r = score_sites(
        {more("a", {3.1, 9.7, 2.2, 5.5, 8.8}), less("b", {17, 4, 31, 12, 9}), more("c", {0.2, 0.9, 0.4, 0.4, 0.1})},
        {{"a", 0.3}, {"b", 0.45}, {"c", 0.25}}, {"s1", "s2", "s3", "s4", "s5"});
    expect_contributions_add_up(r);
    for (const double s : r.score) {
        EXPECT_GE(s, 0.0);
        EXPECT_LE(s, 100.0);
    }
    double shares = 0.0;
    for (const double w : r.effective_weights) {
        shares += w;
    }
    EXPECT_NEAR(shares, 1.0, 1e-12);
}

// A site best on every criterion scores exactly 100, never 100 + a rounding error, whatever the weights (the
// default territory's weights once gave 100.00000000000001 on a two-site territory).
TEST(Scoring, BestOnEveryCriterionScoresAtMostExactlyOneHundred) {
    const std::vector<Criterion> criteria{more("a", {1, 0}), more("b", {1, 0}), more("c", {1, 0}),
                                          more("d", {1, 0}), more("e", {1, 0}), more("f", {1, 0})};
    int overflows_unclamped = 0;
    for (int draw = 1; draw <= 200; ++draw) {
        std::map<std::string, double> weights;
        double total = 0.0;
        for (const char* k : {"a", "b", "c", "d", "e", "f"}) {
            weights[k] = 0.01 * ((draw * 37 + k[0] * 11) % 97 + 1);
            total += weights[k];
        }
        const ScoreResult r = score_sites(criteria, weights, {"best", "worst"});
        EXPECT_LE(r.score[0], 100.0) << "draw " << draw;
        EXPECT_NEAR(r.score[0], 100.0, 1e-9);
        double sum = 0.0;
        for (const auto& [k, w] : weights) {
            sum += 100.0 * (w / total);
        }
        overflows_unclamped += sum > 100.0 ? 1 : 0;
    }
    EXPECT_GT(overflows_unclamped, 0) << "no draw would have overflowed: the test does not test the clamp";
}

TEST(Scoring, LessIsBetter) {
    const ScoreResult r = score_sites({less("minutes", {10, 20, 30})}, {{"minutes", 1.0}}, abc);
    expect_near_all(r.score, {100.0, 50.0, 0.0});
    EXPECT_EQ(r.rank, (std::vector<int>{1, 2, 3}));
}

TEST(Scoring, TiesAreBrokenBySiteId) {
    // input order b, a, d, c: b and a tie at 100, d and c tie at 0
    const ScoreResult r = score_sites({more("x", {1, 1, 0, 0})}, {{"x", 1.0}}, {"b", "a", "d", "c"});
    EXPECT_EQ(r.score, (std::vector<double>{100.0, 100.0, 0.0, 0.0}));
    EXPECT_EQ(r.rank, (std::vector<int>{2, 1, 4, 3}));
}

TEST(Scoring, ConstantCriterionContributesNothingAndSharesItsWeight) {
    const ScoreResult r = score_sites({more("pop", {1, 2, 3}), more("ftth_share", {0.5, 0.5, 0.5})},
                                      {{"pop", 1.0}, {"ftth_share", 1.0}}, abc);
    EXPECT_EQ(r.contributions[1], (std::vector<double>{0.0, 0.0, 0.0}));
    EXPECT_EQ(r.effective_weights, (std::vector<double>{1.0, 0.0}));
    EXPECT_EQ(r.weights, (std::vector<double>{1.0, 1.0})); // as given
    EXPECT_DOUBLE_EQ(r.score[2], 100.0) << "the best site still reaches 100";
    expect_near_all(r.score, {0.0, 50.0, 100.0});
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_TRUE(contains_all(r.warnings[0].text, {"'ftth_share'", "same value"}));
    EXPECT_EQ(r.warnings[0].code, "criterion_constant");
    EXPECT_EQ(r.warnings[0].ids, (std::vector<std::string>{"ftth_share"}));
}

TEST(Scoring, ConstantCriterionWithoutWeightIsNotWarnedAbout) {
    const ScoreResult r = score_sites({more("pop", {1, 2, 3}), more("flat", {7, 7, 7})}, {{"pop", 1.0}}, abc);
    EXPECT_TRUE(r.warnings.empty());
    EXPECT_EQ(r.weights, (std::vector<double>{1.0, 0.0}));
}

TEST(Scoring, CriterionAbsentFromWeightsCountsForNothing) {
    const ScoreResult r = score_sites({more("a", {1, 2, 3}), more("b", {3, 2, 1})}, {{"a", 2.0}}, abc);
    EXPECT_EQ(r.weights, (std::vector<double>{2.0, 0.0}));
    EXPECT_EQ(r.effective_weights, (std::vector<double>{1.0, 0.0}));
    EXPECT_EQ(r.contributions[1], (std::vector<double>{0.0, 0.0, 0.0}));
    expect_near_all(r.score, {0.0, 50.0, 100.0});
}

TEST(Scoring, NanValueIsWorstWithAWarningNamingTheSite) {
    const ScoreResult up = score_sites({more("near", {not_a_number, 10, 20})}, {{"near", 1.0}}, abc);
    expect_near_all(up.score, {0.0, 0.0, 100.0});
    EXPECT_TRUE(any_contains_all(texts(up.warnings), {"'near'", "1 site(s) (a)"}));
    EXPECT_EQ(up.rank, (std::vector<int>{2, 3, 1})) << "a and b tie at 0: a first";

    // less is better: NaN is still the worst, not the best
    const ScoreResult down = score_sites({less("minutes", {not_a_number, 10, 20})}, {{"minutes", 1.0}}, abc);
    expect_near_all(down.score, {0.0, 100.0, 0.0});
    EXPECT_TRUE(any_contains_all(texts(down.warnings), {"'minutes'", "(a)"}));
}

TEST(Scoring, AllNanCriterionIsTreatedAsConstant) {
    const ScoreResult r = score_sites({more("a", {1, 2, 3}), more("empty", {not_a_number, not_a_number, not_a_number})},
                                      {{"a", 1.0}, {"empty", 1.0}}, abc);
    EXPECT_EQ(r.contributions[1], (std::vector<double>{0.0, 0.0, 0.0}));
    EXPECT_TRUE(any_contains_all(texts(r.warnings), {"'empty'", "same value"}));
    expect_near_all(r.score, {0.0, 50.0, 100.0});
}

TEST(Scoring, UnknownWeightNameListsTheValidOnes) {
    const std::string msg = message_of<input_error>([] {
        score_sites({more("pop_15min", {1, 2, 3}), more("gravity_access", {3, 2, 1})}, {{"pop_20min", 1.0}}, abc);
    });
    EXPECT_TRUE(contains_all(msg, {"'pop_20min'", "pop_15min", "gravity_access"}));
}

TEST(Scoring, BadWeightsAreRefused) {
    const std::vector<Criterion> c{more("a", {1, 2, 3}), more("b", {3, 2, 1})};
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { score_sites(c, {{"a", -0.5}}, abc); }), {"'a'"}));
    EXPECT_THROW(score_sites(c, {{"a", not_a_number}}, abc), input_error);
    EXPECT_THROW(score_sites(c, {{"a", std::numeric_limits<double>::infinity()}}, abc), input_error);
    EXPECT_THROW(score_sites(c, {{"a", 0.0}, {"b", 0.0}}, abc), input_error);
    EXPECT_THROW(score_sites(c, {}, abc), input_error);
}

TEST(Scoring, OnlyConstantCriteriaWithWeightIsRefused) {
    EXPECT_THROW(score_sites({more("a", {1, 2, 3}), more("flat", {5, 5, 5})}, {{"flat", 1.0}}, abc), input_error);
}

TEST(Scoring, BadValuesAreRefused) {
    EXPECT_TRUE(contains_all(message_of<input_error>([] { score_sites({more("a", {1, 2})}, {{"a", 1.0}}, abc); }),
                             {"'a'", "2", "3"}));
    const double inf = std::numeric_limits<double>::infinity();
    EXPECT_TRUE(contains_all(
        message_of<input_error>([&] { score_sites({more("a", {1, inf, 3})}, {{"a", 1.0}}, abc); }), {"'a'", "'b'"}));
}

// --- normalisations (docs/criteria.md): hand-computed values for {1, 2, 2, 10} and a NaN ---

TEST(Scoring, NormalisationsGiveTheDocumentedValues) {
    const std::vector<std::string> ids{"a", "b", "c", "d", "e"};
    const std::vector<double> v{1.0, 2.0, 2.0, 10.0, not_a_number};
    const std::map<std::string, double> w{{"x", 1.0}};
    std::vector<ScoreResult> results;
    for (const Normalisation n : {Normalisation::min_max, Normalisation::rank, Normalisation::z_score}) {
        ScoreResult r = score_sites({more("x", v)}, w, ids, n);
        EXPECT_TRUE(any_contains_all(texts(r.warnings), {"criterion 'x' has no value for 1 site(s) (e)"}));
        EXPECT_EQ(r.warnings.back().code, "criterion_missing_values");
        EXPECT_EQ(r.warnings.back().ids, (std::vector<std::string>{"x", "e"}));
        results.push_back(std::move(r));
    }
    // min-max: (v - 1) / 9
    expect_near_all(results[0].score, {0.0, 100.0 / 9.0, 100.0 / 9.0, 100.0, 0.0});
    // rank among the 4 values: 1 -> 0, the two 2s share rank 2.5 -> 1.5 / 3, 10 -> 1
    expect_near_all(results[1].score, {0.0, 50.0, 50.0, 100.0, 0.0});
    // z-score: mean 3.75, population sd sqrt(13.1875); x = (z + 3) / 6
    const double sd = std::sqrt(13.1875);
    auto z = [&](double value) { return 100.0 * ((value - 3.75) / sd + 3.0) / 6.0; };
    expect_near_all(results[2].score, {z(1.0), z(2.0), z(2.0), z(10.0), 0.0});
    // less is better mirrors each: 1 - x
    const ScoreResult mirrored = score_sites({less("x", v)}, w, ids, Normalisation::rank);
    expect_near_all(mirrored.score, {100.0, 50.0, 50.0, 0.0, 0.0});
}

TEST(Scoring, ZScoreIsClampedAtThreeStandardDeviations) {
    std::vector<double> v(100, 0.0);
    v[0] = 1000.0; // z = 9.95: clamped to 3 -> x = 1
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < v.size(); ++i) {
        ids.push_back("s" + std::to_string(i));
    }
    const ScoreResult r = score_sites({more("x", v)}, {{"x", 1.0}}, ids, Normalisation::z_score);
    EXPECT_NEAR(r.score[0], 100.0, 1e-12);
    const double z = (0.0 - 10.0) / std::sqrt(1000.0 * 1000.0 / 100.0 - 100.0); // mean 10, sd 99.5
    EXPECT_NEAR(r.score[1], 100.0 * (z + 3.0) / 6.0, 1e-9);
    for (const Normalisation n : {Normalisation::min_max, Normalisation::rank, Normalisation::z_score}) {
        const ScoreResult two = score_sites({more("x", v), less("y", v)}, {{"x", 1.0}, {"y", 3.0}}, ids, n);
        for (std::size_t i = 0; i < v.size(); ++i) {
            EXPECT_NEAR(two.contributions[0][i] + two.contributions[1][i], two.score[i], 1e-9); // still adds up
            EXPECT_GE(two.score[i], 0.0);
            EXPECT_LE(two.score[i], 100.0);
        }
    }
}

TEST(Scoring, NormalisationNamesRoundTripAndUnknownOnesAreListed) {
    for (const Normalisation n : {Normalisation::min_max, Normalisation::rank, Normalisation::z_score}) {
        EXPECT_EQ(normalisation_from_name(name_of(n)), n);
    }
    EXPECT_TRUE(contains_all(message_of<input_error>([] { normalisation_from_name("minmax"); }),
                             {"normalisation 'minmax' is not one of: min-max, rank, z-score"}));
}

// --- rank stability (Monte Carlo over Dirichlet weights) ---

TEST(Stability, DominantSiteIsAlwaysFirstAndTheSeedFixesTheDraws) {
    const std::vector<std::string> ids{"a", "b", "c", "d"};
    const ScoreResult s = score_sites({more("x", {9, 1, 2, 3}), more("y", {8, 2, 1, 3}), less("z", {1, 5, 4, 3})},
                                      {{"x", 1.0}, {"y", 1.0}, {"z", 1.0}}, ids);
    StabilityOptions o;
    o.draws = 500;
    o.top = 1;
    const Stability st = rank_stability(s, ids, o);
    EXPECT_EQ(st.draws, 500u);
    EXPECT_DOUBLE_EQ(st.p_top[0], 1.0); // "a" is best on every criterion: first whatever the weights
    EXPECT_EQ(st.rank_p05[0], 1);
    EXPECT_EQ(st.rank_p95[0], 1);
    for (std::size_t i = 1; i < ids.size(); ++i) {
        EXPECT_DOUBLE_EQ(st.p_top[i], 0.0);
        EXPECT_GE(st.rank_p05[i], 2);
        EXPECT_LE(st.rank_p05[i], st.rank_p95[i]);
    }
    const Stability again = rank_stability(s, ids, o);
    EXPECT_EQ(again.p_top, st.p_top);
    EXPECT_EQ(again.rank_p05, st.rank_p05);
    EXPECT_EQ(again.rank_p95, st.rank_p95);
}

TEST(Stability, EvenlySplitSitesShareTheFirstPlace) {
    // "a" wins on x, "b" on y, equal weights: each is first in about half the draws
    const std::vector<std::string> ids{"a", "b", "c"};
    const ScoreResult s = score_sites({more("x", {1, 0, 0}), more("y", {0, 1, 0})}, {{"x", 1.0}, {"y", 1.0}}, ids);
    StabilityOptions o;
    o.draws = 4000;
    o.top = 1;
    const Stability st = rank_stability(s, ids, o);
    EXPECT_NEAR(st.p_top[0], 0.5, 0.05);
    EXPECT_NEAR(st.p_top[0] + st.p_top[1], 1.0, 1e-12);
    EXPECT_EQ(st.rank_p05[0], 1);
    EXPECT_EQ(st.rank_p95[0], 2);
    EXPECT_EQ(st.rank_p05[2], 3); // "c" is last in every draw
    EXPECT_EQ(st.rank_p95[2], 3);
    // a very large concentration keeps the weights at 1/2 each: the id breaks the tie, "a" always first
    o.concentration = 1e12;
    o.draws = 200;
    const Stability tight = rank_stability(s, ids, o);
    EXPECT_GT(tight.p_top[0], 0.3); // still near the tie, the draws go both ways...
    StabilityOptions skewed;
    skewed.draws = 200;
    skewed.top = 1;
    skewed.concentration = 1e12; // ...but with weights 3:1 they never do
    const ScoreResult s31 = score_sites({more("x", {1, 0, 0}), more("y", {0, 1, 0})}, {{"x", 3.0}, {"y", 1.0}}, ids);
    const Stability fixed = rank_stability(s31, ids, skewed);
    EXPECT_DOUBLE_EQ(fixed.p_top[0], 1.0);
    EXPECT_EQ(fixed.rank_p95[0], 1);
    EXPECT_EQ(fixed.rank_p05[1], 2);
}

TEST(Stability, BadOptionsAreRefused) {
    const ScoreResult s = score_sites({more("x", {1, 2, 3})}, {{"x", 1.0}}, abc);
    StabilityOptions o;
    o.draws = 0;
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { rank_stability(s, abc, o); }), {"draws must be >= 1"}));
    o.draws = 10;
    o.concentration = 0.0;
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { rank_stability(s, abc, o); }), {"concentration"}));
    o.concentration = 50.0;
    o.top = 0;
    EXPECT_TRUE(contains_all(message_of<input_error>([&] { rank_stability(s, abc, o); }), {"top must be >= 1"}));
}

TEST(Scoring, OneSiteIsNotARanking) {
    const std::vector<Criterion> one{{"pop", "people", Direction::more_is_better, {10.0}}};
    EXPECT_TRUE(tierslieux::test::contains_all(
        tierslieux::test::message_of<input_error>([&] { score_sites(one, {{"pop", 1.0}}, {"only"}); }),
        {"at least 2 sites", "'only'"}));
}
