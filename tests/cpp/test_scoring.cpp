// scoring.hpp: min-max normalisation, weighting, contributions, ranks, warnings.

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
    EXPECT_TRUE(contains_all(r.warnings[0], {"'ftth_share'", "same value"}));
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
    EXPECT_TRUE(any_contains_all(up.warnings, {"'near'", "1 site(s) (a)"}));
    EXPECT_EQ(up.rank, (std::vector<int>{2, 3, 1})) << "a and b tie at 0: a first";

    // less is better: NaN is still the worst, not the best
    const ScoreResult down = score_sites({less("minutes", {not_a_number, 10, 20})}, {{"minutes", 1.0}}, abc);
    expect_near_all(down.score, {0.0, 100.0, 0.0});
    EXPECT_TRUE(any_contains_all(down.warnings, {"'minutes'", "(a)"}));
}

TEST(Scoring, AllNanCriterionIsTreatedAsConstant) {
    const ScoreResult r = score_sites({more("a", {1, 2, 3}), more("empty", {not_a_number, not_a_number, not_a_number})},
                                      {{"a", 1.0}, {"empty", 1.0}}, abc);
    EXPECT_EQ(r.contributions[1], (std::vector<double>{0.0, 0.0, 0.0}));
    EXPECT_TRUE(any_contains_all(r.warnings, {"'empty'", "same value"}));
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
