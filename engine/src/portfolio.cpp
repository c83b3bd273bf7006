#include <tierslieux/errors.hpp>
#include <tierslieux/portfolio.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <queue>
#include <string>
#include <utility>

namespace tierslieux {

namespace {

/** Fixed, eligible and conflicting sites, checked: the rules both problems share. */
struct rules {
    std::vector<std::vector<std::uint32_t>> conflicts; ///< per site
    std::vector<bool> fixed;
    std::vector<bool> eligible;
};

rules prepare_rules(std::size_t sites, const std::vector<bool>& fixed, const std::vector<bool>& eligible,
                    const std::vector<std::pair<std::uint32_t, std::uint32_t>>& conflicts) {
    if (!fixed.empty() && fixed.size() != sites) {
        throw input_error("portfolio: fixed has " + std::to_string(fixed.size()) + " flags for " +
                          std::to_string(sites) + " sites");
    }
    if (!eligible.empty() && eligible.size() != sites) {
        throw input_error("portfolio: eligible has " + std::to_string(eligible.size()) + " flags for " +
                          std::to_string(sites) + " sites");
    }
    rules out;
    out.fixed = fixed.empty() ? std::vector<bool>(sites, false) : fixed;
    out.eligible = eligible.empty() ? std::vector<bool>(sites, true) : eligible;
    out.conflicts.resize(sites);
    for (const auto& [a, b] : conflicts) {
        if (a >= sites || b >= sites) {
            throw input_error("portfolio: conflict (" + std::to_string(a) + ", " + std::to_string(b) +
                              ") names a site >= " + std::to_string(sites));
        }
        if (a == b) {
            continue;
        }
        if (out.fixed[a] && out.fixed[b]) {
            throw input_error("portfolio: fixed sites " + std::to_string(a) + " and " + std::to_string(b) +
                              " conflict (e.g. closer than the minimum spacing)");
        }
        out.conflicts[a].push_back(b);
        out.conflicts[b].push_back(a);
    }
    for (auto& c : out.conflicts) { // a pair given twice is one conflict
        std::sort(c.begin(), c.end());
        c.erase(std::unique(c.begin(), c.end()), c.end());
    }
    return out;
}

void check_demand(const std::vector<double>& demand) {
    for (std::size_t j = 0; j < demand.size(); ++j) {
        if (!std::isfinite(demand[j]) || demand[j] < 0.0) {
            throw input_error("portfolio: demand[" + std::to_string(j) + "] = " + std::to_string(demand[j]) +
                              " (must be finite and >= 0)");
        }
    }
}

std::size_t count_fixed(const std::vector<bool>& fixed, std::size_t k) {
    const auto n = static_cast<std::size_t>(std::count(fixed.begin(), fixed.end(), true));
    if (n > k) {
        throw input_error("portfolio: " + std::to_string(n) + " fixed sites for k = " + std::to_string(k) +
                          " (k counts the fixed sites)");
    }
    return n;
}

/** Checked, deduplicated view of a problem. */
/**
 * Greedy with lazy evaluation: the fixed sites, then `seed` when it is a site that may be taken, then each time
 * the site with the largest gain until k are taken. The gains only shrink as sites are added (coverage and the
 * p-median saving are submodular), so a stale gain is an upper bound and is only recomputed at the top.
 */
template <class CanTake, class Gain, class Take>
void lazy_greedy(std::uint32_t sites, std::size_t k, const std::vector<bool>& fixed, std::uint32_t seed,
                 CanTake can_take, Gain gain, Take take) {
    std::size_t taken = 0;
    for (std::uint32_t s = 0; s < sites; ++s) {
        if (fixed[s]) {
            take(s);
            ++taken;
        }
    }
    if (seed < sites && taken < k && can_take(seed)) {
        take(seed);
        ++taken;
    }
    std::priority_queue<std::pair<double, std::uint32_t>> bounds;
    for (std::uint32_t s = 0; s < sites; ++s) {
        if (can_take(s)) {
            bounds.emplace(gain(s), s);
        }
    }
    while (taken < k && !bounds.empty()) {
        const auto [bound, s] = bounds.top();
        bounds.pop();
        if (!can_take(s)) {
            continue;
        }
        const double g = gain(s);
        if (!bounds.empty() && g < bounds.top().first) {
            bounds.emplace(g, s); // not the best any more: back with its true gain
            continue;
        }
        take(s);
        ++taken;
    }
}

/**
 * The seeds of the multi-start search: (value of a site alone, site) for every candidate, best first (ties by
 * site id), at most `starts` of them. Start 0 is plain greedy (seed = no site).
 */
std::vector<std::uint32_t> seeds_of(std::vector<std::pair<double, std::uint32_t>> alone, std::size_t starts) {
    std::sort(alone.begin(), alone.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    std::vector<std::uint32_t> out;
    for (std::size_t i = 0; i < alone.size() && i < starts; ++i) {
        out.push_back(alone[i].second);
    }
    return out;
}

/**
 * Runs `run(seed, value)` from plain greedy (seed = no_seed) then from each seed, and keeps the solution whose
 * value `better` prefers (the first one on ties). With only fixed sites to place, one run is enough.
 */
template <class Run, class Better>
std::vector<std::uint32_t> best_of_starts(std::uint32_t no_seed, const std::vector<std::uint32_t>& seeds,
                                          bool one_run, Run run, Better better) {
    std::vector<std::uint32_t> order;
    double best = 0.0;
    for (std::size_t start = 0; start <= seeds.size(); ++start) {
        double value = 0.0;
        std::vector<std::uint32_t> candidate = run(start == 0 ? no_seed : seeds[start - 1], value);
        if (start == 0 || better(value, best)) {
            best = value;
            order = std::move(candidate);
        }
        if (one_run) {
            break;
        }
    }
    return order;
}

/**
 * Reports a solution in greedy order: the fixed sites first (in their order), then, each time, the site whose
 * gain over those already taken is largest (the first one on ties). take(site) records and adds it.
 */
template <class Gain, class Take>
void in_greedy_order(const std::vector<std::uint32_t>& order, const std::vector<bool>& fixed, Gain gain, Take take) {
    std::vector<std::uint32_t> rest;
    for (const std::uint32_t s : order) {
        if (fixed[s]) {
            take(s);
        } else {
            rest.push_back(s);
        }
    }
    while (!rest.empty()) {
        auto next = rest.begin();
        double next_gain = -1.0;
        for (auto it = rest.begin(); it != rest.end(); ++it) {
            const double g = gain(*it);
            if (g > next_gain) {
                next_gain = g;
                next = it;
            }
        }
        take(*next);
        rest.erase(next);
    }
}

struct prepared : rules {
    std::vector<std::vector<std::uint32_t>> covers;
};

prepared prepare(const CoverageProblem& p) {
    const std::size_t sites = p.covers.size();
    const std::size_t points = p.demand.size();
    check_demand(p.demand);
    prepared out;
    static_cast<rules&>(out) = prepare_rules(sites, p.fixed, p.eligible, p.conflicts);
    out.covers.resize(sites);
    for (std::size_t s = 0; s < sites; ++s) {
        std::vector<std::uint32_t> c = p.covers[s];
        for (const std::uint32_t j : c) {
            if (j >= points) {
                throw input_error("portfolio: site " + std::to_string(s) + " covers demand point " +
                                  std::to_string(j) + " (there are " + std::to_string(points) + ")");
            }
        }
        std::sort(c.begin(), c.end());
        c.erase(std::unique(c.begin(), c.end()), c.end());
        out.covers[s] = std::move(c);
    }
    return out;
}

/** Coverage counts of the current set: how many chosen sites cover each demand point. */
struct state {
    const CoverageProblem& problem;
    const prepared& prep;
    std::vector<std::uint32_t> count;
    std::vector<bool> in;
    std::vector<std::uint32_t> blocked; ///< chosen sites in conflict with each site
    double covered = 0.0;

    state(const CoverageProblem& p, const prepared& q)
        : problem(p), prep(q), count(p.demand.size(), 0), in(q.covers.size(), false), blocked(q.covers.size(), 0) {}

    double gain(std::uint32_t s) const {
        double g = 0.0;
        for (const std::uint32_t j : prep.covers[s]) {
            g += count[j] == 0 ? problem.demand[j] : 0.0;
        }
        return g;
    }
    void add(std::uint32_t s) {
        covered += gain(s);
        for (const std::uint32_t j : prep.covers[s]) {
            ++count[j];
        }
        in[s] = true;
        for (const std::uint32_t c : prep.conflicts[s]) {
            ++blocked[c];
        }
    }
    void remove(std::uint32_t s) {
        for (const std::uint32_t j : prep.covers[s]) {
            --count[j];
        }
        covered -= loss_after_removal(s);
        in[s] = false;
        for (const std::uint32_t c : prep.conflicts[s]) {
            --blocked[c];
        }
    }
    bool can_take(std::uint32_t s) const { return !in[s] && prep.eligible[s] && blocked[s] == 0; }

private:
    double loss_after_removal(std::uint32_t s) const {
        double l = 0.0;
        for (const std::uint32_t j : prep.covers[s]) {
            l += count[j] == 0 ? problem.demand[j] : 0.0;
        }
        return l;
    }
};

} // namespace

double covered_demand(const CoverageProblem& problem, const std::vector<std::uint32_t>& sites) {
    std::vector<bool> hit(problem.demand.size(), false);
    double total = 0.0;
    for (const std::uint32_t s : sites) {
        if (s >= problem.covers.size()) {
            throw input_error("covered_demand: site " + std::to_string(s) + " does not exist");
        }
        for (const std::uint32_t j : problem.covers[s]) {
            if (j < hit.size() && !hit[j]) {
                hit[j] = true;
                total += problem.demand[j];
            }
        }
    }
    return total;
}

namespace {

/**
 * Lazy greedy from the fixed sites (plus `seed` when it is a site: taken first), then swaps of non-fixed sites
 * while one covers more. Returns the chosen sites.
 */
std::vector<std::uint32_t> greedy_then_swaps(const CoverageProblem& problem, const prepared& prep, std::size_t k,
                                             std::uint32_t seed, double& covered) {
    const auto sites = static_cast<std::uint32_t>(prep.covers.size());
    state st{problem, prep};
    std::vector<std::uint32_t> order;
    lazy_greedy(
        sites, k, prep.fixed, seed, [&](std::uint32_t s) { return st.can_take(s); },
        [&](std::uint32_t s) { return st.gain(s); },
        [&](std::uint32_t s) {
            order.push_back(s);
            st.add(s);
        });
    // local search: swap a chosen (non-fixed) site for the unchosen one that covers most in its place
    const double tolerance = 1e-9;
    bool improved = true;
    while (improved) {
        improved = false;
        for (std::size_t pos = 0; pos < order.size(); ++pos) {
            const std::uint32_t out = order[pos];
            if (prep.fixed[out]) {
                continue;
            }
            const double before = st.covered;
            st.remove(out);
            std::uint32_t best = out;
            double best_covered = before;
            for (std::uint32_t s = 0; s < sites; ++s) {
                if (s == out || !st.can_take(s)) {
                    continue;
                }
                const double c = st.covered + st.gain(s);
                if (c > best_covered + tolerance * std::max(1.0, before)) {
                    best_covered = c;
                    best = s;
                }
            }
            st.add(best);
            if (best != out) {
                order[pos] = best;
                improved = true;
            }
        }
    }
    covered = st.covered;
    return order;
}

} // namespace

Portfolio max_covering(const CoverageProblem& problem, std::size_t k) {
    const prepared prep = prepare(problem);
    const auto sites = static_cast<std::uint32_t>(prep.covers.size());
    const std::size_t fixed_count = count_fixed(prep.fixed, k);
    // several starts: plain greedy, then greedy forced to open with each of the 32 best single sites
    std::vector<std::pair<double, std::uint32_t>> alone;
    {
        state empty{problem, prep};
        for (std::uint32_t s = 0; s < sites; ++s) {
            if (!prep.fixed[s] && prep.eligible[s]) {
                alone.emplace_back(empty.gain(s), s);
            }
        }
    }
    const std::vector<std::uint32_t> order = best_of_starts(
        sites, seeds_of(std::move(alone), 32), fixed_count == k,
        [&](std::uint32_t seed, double& covered) { return greedy_then_swaps(problem, prep, k, seed, covered); },
        [](double covered, double best) { return covered > best * (1.0 + 1e-12); });
    // report in greedy order of what each site adds to those before it
    Portfolio result;
    state replay{problem, prep};
    in_greedy_order(order, prep.fixed, [&](std::uint32_t s) { return replay.gain(s); },
                    [&](std::uint32_t s) {
                        result.sites.push_back(s);
                        result.marginal.push_back(replay.gain(s));
                        replay.add(s);
                    });
    result.covered = replay.covered;
    return result;
}

// ---------------------------------------------------------------------------------------------------------------
// p-median

namespace {

constexpr std::uint32_t no_site = std::numeric_limits<std::uint32_t>::max();
constexpr double unreachable = std::numeric_limits<double>::infinity();

/**
 * Checked view of a p-median problem, restricted to the points that matter to the search (reachable by some site
 * and with demand > 0): cost[s * points + i] (+inf = unreachable), weight and penalty per such point.
 */
struct median_prepared : rules {
    std::size_t sites = 0;
    std::size_t points = 0;
    std::vector<double> cost;
    std::vector<double> weight;
    std::vector<double> penalty;
    std::vector<double> all_penalty; ///< per point of the problem: its penalty, NaN when no site reaches it
    double baseline = 0.0;           ///< every searched point at its penalty
};

median_prepared prepare(const MedianProblem& p) {
    const std::size_t sites = p.site_count;
    const std::size_t points = p.demand.size();
    check_demand(p.demand);
    if (p.minutes.size() != sites * points) {
        throw input_error("p_median: minutes has " + std::to_string(p.minutes.size()) + " values for " +
                          std::to_string(sites) + " sites x " + std::to_string(points) +
                          " demand points (row-major, one row per site)");
    }
    median_prepared out;
    static_cast<rules&>(out) = prepare_rules(sites, p.fixed, p.eligible, p.conflicts);
    out.sites = sites;
    out.all_penalty.assign(points, std::numeric_limits<double>::quiet_NaN());
    for (std::size_t s = 0; s < sites; ++s) {
        for (std::size_t j = 0; j < points; ++j) {
            const double m = p.minutes[s * points + j];
            if (std::isnan(m)) {
                continue;
            }
            if (!std::isfinite(m) || m < 0.0) {
                throw input_error("p_median: minutes from demand point " + std::to_string(j) + " to site " +
                                  std::to_string(s) + " = " + std::to_string(m) +
                                  " (must be finite and >= 0, or NaN for unreachable)");
            }
            double& pen = out.all_penalty[j];
            pen = std::isnan(pen) ? m : std::max(pen, m);
        }
    }
    std::vector<std::size_t> kept;
    for (std::size_t j = 0; j < points; ++j) {
        if (!std::isnan(out.all_penalty[j]) && p.demand[j] > 0.0) {
            kept.push_back(j);
            out.weight.push_back(p.demand[j]);
            out.penalty.push_back(out.all_penalty[j]);
            out.baseline += p.demand[j] * out.all_penalty[j];
        }
    }
    out.points = kept.size();
    out.cost.resize(sites * out.points);
    for (std::size_t s = 0; s < sites; ++s) {
        for (std::size_t i = 0; i < out.points; ++i) {
            const double m = p.minutes[s * points + kept[i]];
            out.cost[s * out.points + i] = std::isnan(m) ? unreachable : m;
        }
    }
    return out;
}

/** The chosen set and, per point, the nearest and second-nearest chosen minutes, both capped at the penalty. */
struct median_state {
    const median_prepared& q;
    std::vector<std::uint32_t> order;
    std::vector<bool> in;
    std::vector<std::uint32_t> blocked; ///< chosen sites in conflict with each site
    std::vector<double> d1;
    std::vector<double> d2;
    std::vector<std::uint32_t> nearest; ///< chosen site at d1 (no_site when none beats the penalty)
    double objective;

    explicit median_state(const median_prepared& p)
        : q(p), in(p.sites, false), blocked(p.sites, 0), d1(p.penalty), d2(p.penalty),
          nearest(p.points, no_site), objective(p.baseline) {}

    const double* row(std::uint32_t s) const { return q.cost.data() + static_cast<std::size_t>(s) * q.points; }

    /** Objective lowered by adding s (>= 0). */
    double saving(std::uint32_t s) const {
        const double* c = row(s);
        double g = 0.0;
        for (std::size_t i = 0; i < q.points; ++i) {
            if (c[i] < d1[i]) {
                g += q.weight[i] * (d1[i] - c[i]);
            }
        }
        return g;
    }
    bool can_take(std::uint32_t s) const { return !in[s] && q.eligible[s] && blocked[s] == 0; }

    void add(std::uint32_t s) {
        order.push_back(s);
        mark(s, true);
        absorb(s);
        total();
    }
    void replace(std::size_t pos, std::uint32_t s) {
        mark(order[pos], false);
        order[pos] = s;
        mark(s, true);
        rebuild();
    }

private:
    void mark(std::uint32_t s, bool on) {
        in[s] = on;
        for (const std::uint32_t c : q.conflicts[s]) {
            on ? ++blocked[c] : --blocked[c];
        }
    }
    void rebuild() {
        d1 = q.penalty;
        d2 = q.penalty;
        std::fill(nearest.begin(), nearest.end(), no_site);
        for (const std::uint32_t s : order) {
            absorb(s);
        }
        total();
    }
    /** Site s joins the nearest and second-nearest times of every point. */
    void absorb(std::uint32_t s) {
        const double* c = row(s);
        for (std::size_t i = 0; i < q.points; ++i) {
            if (c[i] < d1[i]) {
                d2[i] = d1[i];
                d1[i] = c[i];
                nearest[i] = s;
            } else if (c[i] < d2[i]) {
                d2[i] = c[i];
            }
        }
    }
    void total() { // summed afresh, so that swaps do not accumulate rounding
        objective = 0.0;
        for (std::size_t i = 0; i < q.points; ++i) {
            objective += q.weight[i] * d1[i];
        }
    }
}; // struct median_state

/**
 * Fast interchange (Whitaker 1983; Resende & Werneck 2004): for each site s that may come in, one pass over the
 * points gives the change of the objective for every site r that may go out,
 *   delta(s, r) = sum_i w_i (min(c_si, d1_i) - d1_i) + sum_{i: nearest_i = r} w_i (min(c_si, d2_i) - min(c_si, d1_i)),
 * and the best swap is applied while it lowers the objective by more than 1e-9 relative.
 */
void swaps(median_state& st) {
    const median_prepared& q = st.q;
    const auto sites = static_cast<std::uint32_t>(q.sites);
    std::vector<double> extra(q.sites, 0.0);
    std::vector<std::size_t> position(q.sites, 0);
    while (true) {
        for (std::size_t pos = 0; pos < st.order.size(); ++pos) {
            position[st.order[pos]] = pos;
        }
        double best_delta = -1e-9 * std::max(1.0, st.objective);
        std::uint32_t best_in = no_site;
        std::uint32_t best_out = no_site;
        for (std::uint32_t s = 0; s < sites; ++s) {
            if (st.in[s] || !q.eligible[s] || st.blocked[s] > 1) {
                continue;
            }
            std::uint32_t must_leave = no_site; // the one chosen site s conflicts with, if any
            if (st.blocked[s] == 1) {
                for (const std::uint32_t c : q.conflicts[s]) {
                    if (st.in[c]) {
                        must_leave = c;
                    }
                }
                if (q.fixed[must_leave]) {
                    continue;
                }
            }
            for (const std::uint32_t r : st.order) {
                extra[r] = 0.0;
            }
            const double* c = st.row(s);
            double gain = 0.0;
            for (std::size_t i = 0; i < q.points; ++i) {
                const double near = std::min(c[i], st.d1[i]);
                gain += q.weight[i] * (near - st.d1[i]);
                if (st.nearest[i] != no_site) {
                    extra[st.nearest[i]] += q.weight[i] * (std::min(c[i], st.d2[i]) - near);
                }
            }
            for (const std::uint32_t r : st.order) {
                if (q.fixed[r] || (must_leave != no_site && r != must_leave)) {
                    continue;
                }
                const double delta = gain + extra[r];
                if (delta < best_delta) {
                    best_delta = delta;
                    best_in = s;
                    best_out = r;
                }
            }
        }
        if (best_in == no_site) {
            return;
        }
        st.replace(position[best_out], best_in);
    }
}

/** Lazy greedy from the fixed sites (plus `seed` when it is a site: taken first), then swaps. */
std::vector<std::uint32_t> median_greedy_then_swaps(const median_prepared& q, std::size_t k, std::uint32_t seed,
                                                    double& objective) {
    const auto sites = static_cast<std::uint32_t>(q.sites);
    median_state st{q};
    lazy_greedy(
        sites, k, q.fixed, seed, [&](std::uint32_t s) { return st.can_take(s); },
        [&](std::uint32_t s) { return st.saving(s); }, [&](std::uint32_t s) { st.add(s); });
    swaps(st);
    objective = st.objective;
    return st.order;
}

} // namespace

double median_objective(const MedianProblem& problem, const std::vector<std::uint32_t>& sites) {
    const median_prepared q = prepare(problem);
    median_state st{q};
    for (const std::uint32_t s : sites) {
        if (s >= q.sites) {
            throw input_error("median_objective: site " + std::to_string(s) + " does not exist (there are " +
                              std::to_string(q.sites) + ")");
        }
        if (!st.in[s]) {
            st.add(s);
        }
    }
    return st.objective;
}

MedianPortfolio p_median(const MedianProblem& problem, std::size_t k) {
    const median_prepared q = prepare(problem);
    const auto sites = static_cast<std::uint32_t>(q.sites);
    const std::size_t fixed_count = count_fixed(q.fixed, k);
    std::vector<std::pair<double, std::uint32_t>> alone;
    {
        const median_state empty{q};
        for (std::uint32_t s = 0; s < sites; ++s) {
            if (!q.fixed[s] && q.eligible[s]) {
                alone.emplace_back(empty.saving(s), s);
            }
        }
    }
    const std::vector<std::uint32_t> order = best_of_starts(
        sites, seeds_of(std::move(alone), 32), fixed_count == k,
        [&](std::uint32_t seed, double& objective) { return median_greedy_then_swaps(q, k, seed, objective); },
        [](double objective, double best) { return objective < best * (1.0 - 1e-12); });
    // report: fixed sites first, then each next the one that lowers the objective most
    MedianPortfolio result;
    median_state replay{q};
    in_greedy_order(order, q.fixed, [&](std::uint32_t s) { return replay.saving(s); },
                    [&](std::uint32_t s) {
                        const double before = replay.objective;
                        replay.add(s);
                        result.sites.push_back(s);
                        result.reduction.push_back(before - replay.objective);
                    });
    result.objective = replay.objective;
    // accounting over every point of the problem (zero-demand ones too)
    std::vector<std::size_t> slot(q.sites, 0);
    for (std::size_t i = 0; i < result.sites.size(); ++i) {
        slot[result.sites[i]] = i;
    }
    result.assigned.assign(result.sites.size(), 0.0);
    const std::size_t points = problem.demand.size();
    for (std::size_t j = 0; j < points; ++j) {
        const double w = problem.demand[j];
        if (std::isnan(q.all_penalty[j])) {
            ++result.unreachable_points;
            result.unreachable_demand += w;
            continue;
        }
        result.reachable_demand += w;
        double nearest = unreachable;
        std::size_t at = 0;
        for (std::size_t i = 0; i < result.sites.size(); ++i) {
            const double m = problem.minutes[static_cast<std::size_t>(result.sites[i]) * points + j];
            if (m < nearest) { // NaN compares false: unreachable never wins
                nearest = m;
                at = i;
            }
        }
        if (nearest == unreachable) {
            ++result.unserved_points;
            result.unserved_demand += w;
        } else {
            result.assigned[at] += w;
        }
    }
    return result;
}

} // namespace tierslieux
