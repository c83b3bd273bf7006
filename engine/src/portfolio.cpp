#include <tierslieux/errors.hpp>
#include <tierslieux/portfolio.hpp>

#include <algorithm>
#include <cmath>
#include <queue>
#include <string>
#include <utility>

namespace tierslieux {

namespace {

/** Checked, deduplicated view of a problem. */
struct prepared {
    std::vector<std::vector<std::uint32_t>> covers;
    std::vector<std::vector<std::uint32_t>> conflicts; ///< per site
    std::vector<bool> fixed;
    std::vector<bool> eligible;
};

prepared prepare(const CoverageProblem& p) {
    const std::size_t sites = p.covers.size();
    const std::size_t points = p.demand.size();
    for (std::size_t j = 0; j < points; ++j) {
        if (!std::isfinite(p.demand[j]) || p.demand[j] < 0.0) {
            throw input_error("portfolio: demand[" + std::to_string(j) + "] = " + std::to_string(p.demand[j]) +
                              " (must be finite and >= 0)");
        }
    }
    if (!p.fixed.empty() && p.fixed.size() != sites) {
        throw input_error("portfolio: fixed has " + std::to_string(p.fixed.size()) + " flags for " +
                          std::to_string(sites) + " sites");
    }
    if (!p.eligible.empty() && p.eligible.size() != sites) {
        throw input_error("portfolio: eligible has " + std::to_string(p.eligible.size()) + " flags for " +
                          std::to_string(sites) + " sites");
    }
    prepared out;
    out.fixed = p.fixed.empty() ? std::vector<bool>(sites, false) : p.fixed;
    out.eligible = p.eligible.empty() ? std::vector<bool>(sites, true) : p.eligible;
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
    out.conflicts.resize(sites);
    for (const auto& [a, b] : p.conflicts) {
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
    for (std::uint32_t s = 0; s < sites; ++s) {
        if (prep.fixed[s]) {
            order.push_back(s);
            st.add(s);
        }
    }
    if (seed < sites && order.size() < k && st.can_take(seed)) {
        order.push_back(seed);
        st.add(seed);
    }
    // lazy greedy: gains only shrink as sites are added, so a stale gain is an upper bound
    std::priority_queue<std::pair<double, std::uint32_t>> bounds;
    for (std::uint32_t s = 0; s < sites; ++s) {
        if (st.can_take(s)) {
            bounds.emplace(st.gain(s), s);
        }
    }
    while (order.size() < k && !bounds.empty()) {
        const auto [bound, s] = bounds.top();
        bounds.pop();
        if (!st.can_take(s)) {
            continue;
        }
        const double g = st.gain(s);
        if (!bounds.empty() && g < bounds.top().first) {
            bounds.emplace(g, s); // not the best any more: back with its true gain
            continue;
        }
        st.add(s);
        order.push_back(s);
    }
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
    const auto fixed_count = static_cast<std::size_t>(std::count(prep.fixed.begin(), prep.fixed.end(), true));
    if (fixed_count > k) {
        throw input_error("portfolio: " + std::to_string(fixed_count) + " fixed sites for k = " + std::to_string(k) +
                          " (k counts the fixed sites)");
    }
    // several starts: plain greedy, then greedy forced to open with each of the best single sites
    constexpr std::size_t starts = 32;
    std::vector<std::pair<double, std::uint32_t>> alone;
    {
        state empty{problem, prep};
        for (std::uint32_t s = 0; s < sites; ++s) {
            if (!prep.fixed[s] && prep.eligible[s]) {
                alone.emplace_back(empty.gain(s), s);
            }
        }
    }
    std::sort(alone.begin(), alone.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    double best_covered = -1.0;
    std::vector<std::uint32_t> order;
    for (std::size_t start = 0; start <= std::min(starts, alone.size()); ++start) {
        const std::uint32_t seed = start == 0 ? sites : alone[start - 1].second;
        double covered = 0.0;
        std::vector<std::uint32_t> candidate = greedy_then_swaps(problem, prep, k, seed, covered);
        if (covered > best_covered * (1.0 + 1e-12) || best_covered < 0.0) {
            best_covered = covered;
            order = std::move(candidate);
        }
        if (fixed_count == k) {
            break;
        }
    }
    // report in greedy order of what each site adds to those before it
    Portfolio result;
    std::vector<std::uint32_t> fixed_first;
    std::vector<std::uint32_t> rest;
    for (const std::uint32_t s : order) {
        (prep.fixed[s] ? fixed_first : rest).push_back(s);
    }
    state replay{problem, prep};
    for (const std::uint32_t s : fixed_first) {
        result.sites.push_back(s);
        result.marginal.push_back(replay.gain(s));
        replay.add(s);
    }
    while (!rest.empty()) {
        auto best = rest.begin();
        double best_gain = -1.0;
        for (auto it = rest.begin(); it != rest.end(); ++it) {
            const double g = replay.gain(*it);
            if (g > best_gain) {
                best_gain = g;
                best = it;
            }
        }
        result.sites.push_back(*best);
        result.marginal.push_back(best_gain);
        replay.add(*best);
        rest.erase(best);
    }
    result.covered = replay.covered;
    return result;
}

} // namespace tierslieux
