#pragma once
/**
 * @file scoring.hpp
 * Multi-criteria scoring of sites: each criterion is normalised (min-max, rank or z-score), weighted, and summed
 * into a score in [0, 100]; each criterion's contribution is reported so that contributions add up to the score.
 */

#include <cstddef>
#include <cstdint>
#include <tierslieux/errors.hpp>

#include <map>
#include <string>
#include <vector>

namespace tierslieux {

/** Whether a larger criterion value makes a site better or worse. */
enum class Direction { more_is_better, less_is_better };

/** One measured aspect of every site: one value per site, in the unit given. */
struct Criterion {
    std::string name;
    std::string unit;
    Direction direction = Direction::more_is_better;
    std::vector<double> values;
}; // struct Criterion

/**
 * How criterion values are brought to [0, 1] (1 = best) before weighting; NaN values are left out of the
 * statistics and get 0. Formulas in docs/criteria.md.
 */
enum class Normalisation {
    min_max, ///< (v - min) / (max - min)
    rank,    ///< (r - 1) / (m - 1), r the rank of v among the m values (ties: mean rank)
    z_score  ///< (clamp((v - mean) / sd, -3, 3) + 3) / 6, sd the population standard deviation
}; // enum class Normalisation

/** "min-max", "rank", "z-score" -> Normalisation; throws input_error listing the valid names. */
Normalisation normalisation_from_name(const std::string& name);
/** The name of a normalisation, as normalisation_from_name reads it. */
std::string name_of(Normalisation normalisation);

/** Scores, ranks and per-criterion contributions, one entry per site in input order. */
struct ScoreResult {
    std::vector<double> score;                      ///< 0..100
    std::vector<int> rank;                          ///< 1 = best; ties broken by site id
    std::vector<std::string> criteria;              ///< criterion names, order of `contributions`
    std::vector<std::vector<double>> contributions; ///< [criterion][site], in score points; sum = score
    std::vector<double> weights;                    ///< weight as given, per criterion
    std::vector<double> effective_weights;          ///< share of the score each criterion can bring (sum 1)
    std::vector<std::vector<double>> normalised;    ///< [criterion][site], 0..1, 1 = best (0 where NaN)
    std::vector<Diagnostic> warnings; ///< codes criterion_missing_values, criterion_constant
}; // struct ScoreResult

/** Monte Carlo over weights: how many draws, how tight around the chosen weights, which seed, which top. */
struct StabilityOptions {
    std::size_t draws = 1000;
    /** Dirichlet concentration: weights are drawn from Dirichlet(concentration × effective weights). */
    double concentration = 50.0;
    std::uint64_t seed = 20261128;
    /** p_top counts the draws that put a site at rank <= top. */
    int top = 10;
}; // struct StabilityOptions

/** Rank stability per site, in input order. */
struct Stability {
    std::vector<double> p_top;  ///< share of draws with rank <= options.top
    std::vector<int> rank_p05;  ///< 5th percentile of the rank over the draws (nearest rank)
    std::vector<int> rank_p95;  ///< 95th percentile of the rank over the draws (nearest rank)
    std::size_t draws = 0;
}; // struct Stability

/**
 * Draws `options.draws` weight vectors from a Dirichlet distribution centred on the effective weights (criteria
 * with effective weight 0 stay at 0), re-scores the sites with each (same normalised values, ranks with ties
 * broken by site id as in score_sites) and summarises each site's ranks. Deterministic for a given seed (and
 * standard library). Throws input_error for draws == 0, concentration <= 0 or top < 1.
 */
Stability rank_stability(const ScoreResult& scores, const std::vector<std::string>& site_ids,
                         const StabilityOptions& options = {});

/**
 * Scores sites (normalisation: see Normalisation). `weights` maps criterion name -> weight >= 0 (a criterion absent from the map gets weight 0).
 * A criterion whose values do not vary across sites carries no information: it contributes nothing, its weight
 * is shared among the others, and a warning says why. A NaN value (e.g. no other site reachable) counts as the
 * worst value for that criterion, with a warning naming the sites.
 * Throws input_error for unknown criterion names in `weights` (listing the valid ones), negative or non-finite
 * weights, all-zero weights, criteria whose length differs from site_ids, or fewer than 2 sites.
 */
ScoreResult score_sites(const std::vector<Criterion>& criteria, const std::map<std::string, double>& weights,
                        const std::vector<std::string>& site_ids, Normalisation normalisation = Normalisation::min_max);

} // namespace tierslieux
