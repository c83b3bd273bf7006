#include <tierslieux/errors.hpp>
#include <tierslieux/scoring.hpp>

#include "detail/text.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>

namespace tierslieux {

namespace {

std::string names_of(const std::vector<Criterion>& criteria) {
    std::string out;
    for (const auto& c : criteria) {
        out += (out.empty() ? "" : ", ") + c.name;
    }
    return out;
}

} // namespace

Normalisation normalisation_from_name(const std::string& name) {
    if (name == "min-max") {
        return Normalisation::min_max;
    }
    if (name == "rank") {
        return Normalisation::rank;
    }
    if (name == "z-score") {
        return Normalisation::z_score;
    }
    throw input_error("normalisation '" + name + "' is not one of: min-max, rank, z-score");
}

std::string name_of(Normalisation normalisation) {
    switch (normalisation) {
        case Normalisation::min_max: return "min-max";
        case Normalisation::rank: return "rank";
        case Normalisation::z_score: return "z-score";
    }
    return "min-max";
}

namespace {

/** Rank of each score (1 = highest), ties broken by site id. */
std::vector<int> ranks_of(const std::vector<double>& score, const std::vector<std::string>& site_ids) {
    std::vector<std::size_t> order(score.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        if (score[a] != score[b]) {
            return score[a] > score[b];
        }
        return site_ids[a] < site_ids[b];
    });
    std::vector<int> rank(score.size(), 0);
    for (std::size_t pos = 0; pos < order.size(); ++pos) {
        rank[order[pos]] = static_cast<int>(pos + 1);
    }
    return rank;
}

/** Values (NaN left out, at least two distinct) to [0, 1], larger value -> larger x. */
std::vector<double> normalised(const std::vector<double>& values, Normalisation normalisation, double lo, double hi) {
    const std::size_t n = values.size();
    std::vector<double> x(n, 0.0);
    std::vector<std::size_t> present;
    for (std::size_t i = 0; i < n; ++i) {
        if (!std::isnan(values[i])) {
            present.push_back(i);
        }
    }
    switch (normalisation) {
        case Normalisation::min_max:
            for (const std::size_t i : present) {
                x[i] = (values[i] - lo) / (hi - lo);
            }
            break;
        case Normalisation::rank: {
            std::sort(present.begin(), present.end(),
                      [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
            const double m = static_cast<double>(present.size());
            for (std::size_t first = 0; first < present.size();) {
                std::size_t last = first;
                while (last + 1 < present.size() && values[present[last + 1]] == values[present[first]]) {
                    ++last;
                }
                const double mean_rank = 1.0 + 0.5 * static_cast<double>(first + last); // ranks from 1
                for (std::size_t k = first; k <= last; ++k) {
                    x[present[k]] = (mean_rank - 1.0) / (m - 1.0);
                }
                first = last + 1;
            }
            break;
        }
        case Normalisation::z_score: {
            double mean = 0.0;
            for (const std::size_t i : present) {
                mean += values[i];
            }
            mean /= static_cast<double>(present.size());
            double var = 0.0;
            for (const std::size_t i : present) {
                var += (values[i] - mean) * (values[i] - mean);
            }
            const double sd = std::sqrt(var / static_cast<double>(present.size()));
            for (const std::size_t i : present) {
                const double z = std::clamp((values[i] - mean) / sd, -3.0, 3.0);
                x[i] = (z + 3.0) / 6.0;
            }
            break;
        }
    }
    return x;
}

} // namespace

ScoreResult score_sites(const std::vector<Criterion>& criteria, const std::map<std::string, double>& weights,
                        const std::vector<std::string>& site_ids, Normalisation normalisation) {
    const std::size_t n = site_ids.size();
    if (n < 2) {
        throw input_error("a ranking needs at least 2 sites to compare (got " + std::to_string(n) +
                          (n == 1 ? ": '" + site_ids[0] + "'" : std::string{}) + ")");
    }
    ScoreResult r;
    for (const auto& [name, w] : weights) {
        const bool known = std::any_of(criteria.begin(), criteria.end(), [&n = name](const Criterion& c) {
            return c.name == n; // an init-capture: Clang 14 (make fuzz) cannot capture a structured binding
        });
        if (!known) {
            throw input_error(Diagnostic{"unknown_criterion",
                                         "unknown criterion '" + name + "' in weights (valid: " + names_of(criteria) +
                                             ")",
                                         {name}});
        }
        if (!std::isfinite(w) || w < 0.0) {
            throw input_error(Diagnostic{"bad_weight",
                                         "weight of '" + name + "' must be a finite number >= 0 (got " +
                                             std::to_string(w) + ")",
                                         {name}});
        }
    }
    // normalised values in [0, 1], 1 = best; "varies" tells which criteria carry information
    std::vector<std::vector<double>> norm(criteria.size(), std::vector<double>(n, 0.0));
    std::vector<bool> varies(criteria.size(), false);
    for (std::size_t k = 0; k < criteria.size(); ++k) {
        const Criterion& c = criteria[k];
        if (c.values.size() != n) {
            throw input_error("criterion '" + c.name + "' has " + std::to_string(c.values.size()) +
                              " values for " + std::to_string(n) + " sites");
        }
        const auto w = weights.find(c.name);
        r.criteria.push_back(c.name);
        r.weights.push_back(w == weights.end() ? 0.0 : w->second);
        double lo = std::numeric_limits<double>::infinity();
        double hi = -lo;
        std::vector<std::string> missing;
        for (std::size_t i = 0; i < n; ++i) {
            const double v = c.values[i];
            if (std::isnan(v)) {
                missing.push_back(site_ids[i]);
                continue;
            }
            if (std::isinf(v)) {
                throw input_error("criterion '" + c.name + "' is infinite for site '" + site_ids[i] + "'");
            }
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
        if (!missing.empty()) {
            std::vector<std::string> ids{c.name};
            ids.insert(ids.end(), missing.begin(), missing.end());
            r.warnings.push_back({"criterion_missing_values",
                                  "criterion '" + c.name + "' has no value for " + std::to_string(missing.size()) +
                                      " site(s) (" + detail::join_names(missing, 5) +
                                      "): they get the worst normalised value (0) for it",
                                  std::move(ids)});
        }
        varies[k] = hi > lo;
        if (!varies[k]) {
            if (r.weights.back() > 0.0) {
                r.warnings.push_back({"criterion_constant",
                                      "criterion '" + c.name + "' has the same value (" +
                                          (std::isfinite(lo) ? std::to_string(lo) : std::string{"none"}) +
                                          ") for every site: it cannot tell sites apart, so it contributes nothing "
                                          "and its weight is shared among the other criteria",
                                      {c.name}});
            }
            continue;
        }
        const std::vector<double> x = normalised(c.values, normalisation, lo, hi);
        for (std::size_t i = 0; i < n; ++i) {
            if (std::isnan(c.values[i])) {
                continue; // worst: 0
            }
            norm[k][i] = c.direction == Direction::more_is_better ? x[i] : 1.0 - x[i];
        }
    }
    double total = 0.0;
    for (std::size_t k = 0; k < criteria.size(); ++k) {
        total += varies[k] ? r.weights[k] : 0.0;
    }
    if (!(total > 0.0)) {
        throw input_error(Diagnostic{"no_weight_left",
                                     "every criterion with a positive weight has no variation, or all weights are 0 "
                                     "(criteria: " + names_of(criteria) + ")"});
    }
    r.score.assign(n, 0.0);
    for (std::size_t k = 0; k < criteria.size(); ++k) {
        const double share = varies[k] ? r.weights[k] / total : 0.0;
        r.effective_weights.push_back(share);
        std::vector<double> contribution(n, 0.0);
        for (std::size_t i = 0; i < n; ++i) {
            contribution[i] = 100.0 * share * norm[k][i];
            r.score[i] += contribution[i];
        }
        r.contributions.push_back(std::move(contribution));
    }
    for (double& v : r.score) {
        // shares summed in floating point can give 100 + 1e-14 to the best site: that, and only that, is clamped
        if (!(v >= -1e-9 && v <= 100.0 + 1e-9)) {
            throw std::logic_error("score_sites: a score of " + std::to_string(v) + " is outside [0, 100]");
        }
        v = std::clamp(v, 0.0, 100.0);
    }
    r.rank = ranks_of(r.score, site_ids);
    r.normalised = std::move(norm);
    return r;
}

Stability rank_stability(const ScoreResult& scores, const std::vector<std::string>& site_ids,
                         const StabilityOptions& options) {
    if (options.draws == 0) {
        throw input_error("rank stability: draws must be >= 1");
    }
    if (!std::isfinite(options.concentration) || options.concentration <= 0.0) {
        throw input_error("rank stability: concentration must be a finite number > 0 (got " +
                          std::to_string(options.concentration) + ")");
    }
    if (options.top < 1) {
        throw input_error("rank stability: top must be >= 1 (got " + std::to_string(options.top) + ")");
    }
    const std::size_t n = site_ids.size();
    const std::size_t k_count = scores.effective_weights.size();
    if (scores.normalised.size() != k_count || scores.score.size() != n) {
        throw input_error("rank stability: the scores do not match the sites");
    }
    std::mt19937_64 rng{options.seed};
    std::vector<std::gamma_distribution<double>> gamma;
    for (const double w : scores.effective_weights) {
        gamma.emplace_back(w > 0.0 ? options.concentration * w : 1.0, 1.0);
    }
    std::vector<int> ranks(options.draws * n); // [site][draw]
    std::vector<double> weights(k_count);
    std::vector<double> score(n);
    std::vector<std::size_t> top_count(n, 0);
    for (std::size_t d = 0; d < options.draws; ++d) {
        double total = 0.0;
        for (std::size_t k = 0; k < k_count; ++k) {
            weights[k] = scores.effective_weights[k] > 0.0 ? gamma[k](rng) : 0.0;
            total += weights[k];
        }
        if (!(total > 0.0)) { // every gamma draw underflowed: keep the chosen weights
            weights = scores.effective_weights;
            total = 1.0;
        }
        std::fill(score.begin(), score.end(), 0.0);
        for (std::size_t k = 0; k < k_count; ++k) {
            const double w = 100.0 * weights[k] / total;
            for (std::size_t i = 0; i < n; ++i) {
                score[i] += w * scores.normalised[k][i];
            }
        }
        const std::vector<int> rank = ranks_of(score, site_ids);
        for (std::size_t i = 0; i < n; ++i) {
            ranks[i * options.draws + d] = rank[i];
            top_count[i] += rank[i] <= options.top;
        }
    }
    Stability out;
    out.draws = options.draws;
    // nearest-rank percentiles: the ceil(p * draws)-th smallest rank
    const auto at = [&](double p) {
        return static_cast<std::size_t>(std::max(1.0, std::ceil(p * static_cast<double>(options.draws)))) - 1;
    };
    for (std::size_t i = 0; i < n; ++i) {
        auto first = ranks.begin() + static_cast<std::ptrdiff_t>(i * options.draws);
        std::sort(first, first + static_cast<std::ptrdiff_t>(options.draws));
        out.p_top.push_back(static_cast<double>(top_count[i]) / static_cast<double>(options.draws));
        out.rank_p05.push_back(first[static_cast<std::ptrdiff_t>(at(0.05))]);
        out.rank_p95.push_back(first[static_cast<std::ptrdiff_t>(at(0.95))]);
    }
    return out;
}

} // namespace tierslieux
