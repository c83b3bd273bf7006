// Benchmark of the contraction hierarchy's many-to-many matrix on SYNTHETIC road-like grids (the same recipe as
// bench/bench_accessibility.py's synthetic_grid, with C++ random numbers): build time on 1 and 2 threads (and
// whether both builds give the same hierarchy), shortcuts, memory, query
// time for 1,000 origins x 10,000 destinations with 1 and 2 threads (median of a few runs), the sweep over every
// node as aggregation uses it (for_each_batch, 1,000 origins, 5-minute and no bound, no-op visitor), the engine's
// per-origin Dijkstra (Network::travel_times) on a sample of origins, and a check of sampled rows.
//
//   bench_hierarchy [nodes...] [--runs R] [--sample S] [--verbose]      e.g. bench_hierarchy 1e5 1e6

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <time.h>

#include <tierslieux/network.hpp>

#include "graph/hierarchy.hpp"

using namespace tierslieux;

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

/** CPU time of the calling thread (the sweeps below run on it): less disturbed by other processes than wall time. */
double thread_seconds() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

/** SYNTHETIC grid, two-way edges: side x side nodes 100 m apart (+-10 m jitter), 10 % of edges removed, speed
 *  stripes (every 20th line 80 km/h, every 5th 50 km/h, else 30 km/h), largest connected component. */
struct Grid {
    std::vector<Point> nodes;
    std::vector<Edge> edges;
};

std::size_t find(std::vector<std::size_t>& parent, std::size_t v) {
    while (parent[v] != v) {
        parent[v] = parent[parent[v]];
        v = parent[v];
    }
    return v;
}

Grid synthetic_grid(std::size_t n_target, unsigned seed) {
    std::mt19937_64 rng{seed};
    std::uniform_real_distribution<double> jitter{-10.0, 10.0};
    std::uniform_real_distribution<double> unit{0.0, 1.0};
    const auto side = static_cast<std::size_t>(std::llround(std::sqrt(static_cast<double>(n_target))));
    std::vector<Point> all(side * side);
    for (std::size_t i = 0; i < side; ++i) {
        for (std::size_t j = 0; j < side; ++j) {
            all[i * side + j] = {static_cast<double>(i) * 100.0 + jitter(rng), static_cast<double>(j) * 100.0 + jitter(rng)};
        }
    }
    auto speed = [](std::size_t k) { return k % 20 == 0 ? 80.0 : k % 5 == 0 ? 50.0 : 30.0; };
    struct Raw {
        std::size_t from, to;
        double kmh;
    };
    std::vector<Raw> raw;
    for (std::size_t i = 0; i + 1 < side; ++i) { // along i, speed by the line j
        for (std::size_t j = 0; j < side; ++j) {
            raw.push_back({i * side + j, (i + 1) * side + j, speed(j)});
        }
    }
    for (std::size_t i = 0; i < side; ++i) { // along j, speed by the line i
        for (std::size_t j = 0; j + 1 < side; ++j) {
            raw.push_back({i * side + j, i * side + j + 1, speed(i)});
        }
    }
    std::vector<Raw> kept;
    for (const Raw& e : raw) {
        if (unit(rng) >= 0.10) {
            kept.push_back(e);
        }
    }
    std::vector<std::size_t> parent(all.size());
    std::iota(parent.begin(), parent.end(), std::size_t{0});
    for (const Raw& e : kept) {
        parent[find(parent, e.from)] = find(parent, e.to);
    }
    std::vector<std::size_t> size(all.size(), 0);
    for (std::size_t v = 0; v < all.size(); ++v) {
        ++size[find(parent, v)];
    }
    const std::size_t root = static_cast<std::size_t>(std::max_element(size.begin(), size.end()) - size.begin());
    std::vector<node_id> new_id(all.size(), std::numeric_limits<node_id>::max());
    Grid g;
    for (std::size_t v = 0; v < all.size(); ++v) {
        if (find(parent, v) == root) {
            new_id[v] = static_cast<node_id>(g.nodes.size());
            g.nodes.push_back(all[v]);
        }
    }
    for (const Raw& e : kept) {
        if (new_id[e.from] != std::numeric_limits<node_id>::max() && new_id[e.to] != std::numeric_limits<node_id>::max()) {
            const Point& a = all[e.from];
            const Point& b = all[e.to];
            const double length_m = std::hypot(a.x_m - b.x_m, a.y_m - b.y_m);
            g.edges.push_back({new_id[e.from], new_id[e.to], length_m, length_m / (e.kmh * 1000.0 / 60.0)});
        }
    }
    return g;
}

/** Two-way CSR of the grid. */
struct Csr {
    std::vector<std::uint32_t> first;
    std::vector<node_id> head;
    std::vector<double> minutes;

    explicit Csr(const Grid& g) : first(g.nodes.size() + 1, 0), head(2 * g.edges.size()), minutes(2 * g.edges.size()) {
        for (const Edge& e : g.edges) {
            ++first[e.from + 1];
            ++first[e.to + 1];
        }
        std::partial_sum(first.begin(), first.end(), first.begin());
        std::vector<std::uint32_t> next(first.begin(), first.end() - 1);
        for (const Edge& e : g.edges) {
            std::uint32_t a = next[e.from]++;
            head[a] = e.to;
            minutes[a] = e.minutes;
            a = next[e.to]++;
            head[a] = e.from;
            minutes[a] = e.minutes;
        }
    }
};

std::vector<node_id> random_nodes(std::size_t n, std::size_t count, std::mt19937_64& rng) {
    std::uniform_int_distribution<node_id> pick{0, static_cast<node_id>(n - 1)};
    std::vector<node_id> out(count);
    for (node_id& v : out) {
        v = pick(rng);
    }
    return out;
}

void run(std::size_t n_target, int runs, std::size_t sample, bool verbose) {
    const Grid grid = synthetic_grid(n_target, 0);
    const Csr csr{grid};
    const std::size_t n = grid.nodes.size();
    std::printf("\n== SYNTHETIC grid %g target: %zu nodes, %zu two-way edges\n", static_cast<double>(n_target), n,
                grid.edges.size());
    std::fflush(stdout);

    // The build on 1 and 2 threads (the hierarchy is the same: checked), the last one kept for the queries.
    auto start = clock_type::now();
    std::vector<detail::ContractionHierarchy> built;
    for (const unsigned threads : {1u, 2u}) {
        std::size_t reported = 0;
        const work_progress progress = [&](std::size_t done, std::size_t total) {
            if (verbose && done * 20 >= reported * total) { // every 5 %
                std::printf("  contracted %zu / %zu after %.2f s\n", done, total, seconds_since(start));
                std::fflush(stdout);
                reported = done * 20 / total + 1;
            }
        };
        start = clock_type::now();
        const std::clock_t cpu_start = std::clock();
        built.emplace_back(n, csr.first.data(), csr.head.data(), csr.minutes.data(), progress, threads);
        const double build_s = seconds_since(start);
        const double build_cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
        const detail::ContractionHierarchy& ch = built.back();
        std::printf("CH build: %.2f s (%u thread%s; CPU %.2f s), %zu shortcuts (%.2f per arc), memory %.1f MB\n",
                    build_s, threads, threads > 1 ? "s" : "", build_cpu, ch.shortcut_count(),
                    static_cast<double>(ch.shortcut_count()) / static_cast<double>(csr.head.size()),
                    static_cast<double>(ch.memory_bytes()) / 1e6);
        std::fflush(stdout);
    }
    std::printf("CH built on 1 and 2 threads identical: %s\n", built[0] == built[1] ? "yes" : "NO");
    built.erase(built.begin());
    const detail::ContractionHierarchy& ch = built.back();

    std::mt19937_64 rng{42};
    const std::vector<node_id> origins = random_nodes(n, 1000, rng);
    const std::vector<node_id> destinations = random_nodes(n, 10000, rng);
    constexpr double inf = std::numeric_limits<double>::infinity();
    std::vector<double> matrix;
    for (const unsigned threads : {1u, 2u}) {
        std::vector<double> times;
        for (int r = 0; r < runs; ++r) {
            SearchOptions options;
            options.threads = threads;
            start = clock_type::now();
            matrix = ch.many_to_many(origins, destinations, inf, options);
            times.push_back(seconds_since(start));
        }
        std::printf("CH many_to_many 1000 x 10000, %u thread(s): median %.3f s (min %.3f, %d runs)\n", threads,
                    median(times), *std::min_element(times.begin(), times.end()), runs);
        std::fflush(stdout);
    }

    // The aggregation path: every node a destination (the sweep covers the whole graph), a short bound.
    {
        std::vector<node_id> all(n);
        std::iota(all.begin(), all.end(), node_id{0});
        for (const double bound : {5.0, inf}) {
            std::vector<double> times;
            std::vector<double> cpu;
            double checksum = 0.0;
            for (int r = 0; r < runs; ++r) {
                SearchOptions options;
                options.threads = 1;
                start = clock_type::now();
                const double cpu_start = thread_seconds();
                ch.for_each_batch(origins, all, bound, options, [&](const detail::ContractionHierarchy::Batch& batch) {
                    checksum += batch.time(batch.width / 2, 0);
                });
                cpu.push_back(thread_seconds() - cpu_start);
                times.push_back(seconds_since(start));
            }
            const double best = *std::min_element(times.begin(), times.end());
            const double best_cpu = *std::min_element(cpu.begin(), cpu.end());
            const double per = 1e9 / static_cast<double>((origins.size() + 7) / 8) / static_cast<double>(n);
            std::printf("CH for_each_batch 1000 origins x all nodes, bound %g min, 1 thread: min %.3f s, CPU %.3f s "
                        "(%d runs), %.1f ns (CPU) per node per batch%s\n",
                        bound, best, best_cpu, runs, best_cpu * per, checksum < 0 ? "!" : "");
            std::fflush(stdout);
        }
    }

    // Reference: the engine's per-origin Dijkstra on a sample of origins, 1 thread, extrapolated to 1,000.
    const Network network{grid.nodes, grid.edges, true};
    const std::vector<node_id> some(origins.begin(), origins.begin() + static_cast<std::ptrdiff_t>(sample));
    SearchOptions one;
    one.threads = 1;
    start = clock_type::now();
    const std::vector<double> reference = network.travel_times(some, destinations, inf, one);
    const double dijkstra_s = seconds_since(start);
    std::printf("Dijkstra (Network::travel_times) %zu origins, 1 thread: %.3f s -> %.1f s per 1000 origins\n", sample,
                dijkstra_s, dijkstra_s * 1000.0 / static_cast<double>(sample));
    double worst = 0.0;
    std::size_t mismatches = 0;
    for (std::size_t k = 0; k < reference.size(); ++k) {
        const double a = reference[k];
        const double b = matrix[k];
        if (std::isnan(a) != std::isnan(b)) {
            ++mismatches;
        } else if (!std::isnan(a)) {
            const double rel = std::abs(a - b) / std::max(a, 1e-300);
            worst = std::max(worst, a == b ? 0.0 : rel);
            mismatches += rel > 1e-12;
        }
    }
    std::printf("check %zu rows: %zu mismatches, worst relative difference %.3g\n", sample, mismatches, worst);
    std::fflush(stdout);
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::size_t> sizes;
    int runs = 3;
    bool verbose = false;
    std::size_t sample = 20;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--runs" && i + 1 < argc) {
            runs = std::atoi(argv[++i]);
        } else if (arg == "--verbose") {
            verbose = true;
        } else if (arg == "--sample" && i + 1 < argc) {
            sample = static_cast<std::size_t>(std::atol(argv[++i]));
        } else {
            sizes.push_back(static_cast<std::size_t>(std::atof(arg.c_str())));
        }
    }
    if (sizes.empty()) {
        sizes = {100000, 1000000};
    }
    for (const std::size_t n : sizes) {
        run(n, std::max(runs, 1), std::min<std::size_t>(std::max<std::size_t>(sample, 1), 1000), verbose);
    }
    return 0;
}
