// Aggregation for many sources on a SYNTHETIC grid (side x side nodes, 100 m spacing +-10 m jitter, 10 % of the
// edges removed, speed stripes 30/50/80 km/h, minutes quantised to 1e-3 + 1e-7 so no time ties with a round
// bound): Network::aggregate(count, flat) over `sources` consecutive node ids from a third of the way in, with the
// given algorithm, best of 3 runs, and the time per node settled. Checks 50 sources against algorithm=dijkstra.
//
//   bench_aggregate SIDE MINUTES SOURCES [THREADS=1] [ALGORITHM=0]   ALGORITHM: 0 auto, 1 dijkstra, 2 hierarchy
//   e.g. bench_aggregate 316 5 20000 1 1    (1e5 nodes, T = 5 min, Dijkstra, one thread)

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include <tierslieux/network.hpp>

#include "synthetic_grid.hpp"

using namespace tierslieux;

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
    return std::chrono::duration<double>(clock_type::now() - start).count();
}


} // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: bench_aggregate SIDE MINUTES SOURCES [THREADS=1] "
                             "[ALGORITHM=0 auto|1 dijkstra|2 hierarchy]\n");
        return 2;
    }
    const int side = std::atoi(argv[1]);
    const double T = std::atof(argv[2]);
    const int count = std::atoi(argv[3]);
    const unsigned threads = argc > 4 ? static_cast<unsigned>(std::atoi(argv[4])) : 1u;
    const int algorithm = argc > 5 ? std::atoi(argv[5]) : 0;
    const Network net = bench::synthetic_grid(side, true);
    const std::vector<double> values(net.node_count(), 1.0);
    std::vector<node_id> sources;
    for (int i = 0; i < count; ++i) {
        const std::size_t id = (net.node_count() / 3 + static_cast<std::size_t>(i)) % net.node_count();
        sources.push_back(static_cast<node_id>(id));
    }
    SearchOptions options;
    options.threads = threads;
    options.algorithm = static_cast<Algorithm>(algorithm);
    const auto build_start = clock_type::now();
    if (options.algorithm == Algorithm::hierarchy) {
        net.prepare_hierarchy();
    }
    const double build = seconds_since(build_start);
    SearchOptions plain = options;
    plain.algorithm = Algorithm::dijkstra;
    const std::vector<node_id> check(sources.begin(), sources.begin() + std::min(count, 50));
    const auto expected = net.aggregate(values, T, Aggregation::count, Decay::flat, check, plain);
    const auto got = net.aggregate(values, T, Aggregation::count, Decay::flat, check, options);
    std::size_t differ = 0;
    for (std::size_t i = 0; i < check.size(); ++i) {
        differ += expected[i] != got[i];
    }
    double best = 1e300;
    double reached = 0.0;
    for (int run = 0; run < 3; ++run) {
        const auto start = clock_type::now();
        const auto out = net.aggregate(values, T, Aggregation::count, Decay::flat, sources, options);
        best = std::min(best, seconds_since(start));
        reached = 0.0;
        for (const double v : out) {
            reached += v;
        }
    }
    std::printf("SYNTHETIC grid %d x %d (%zu nodes), T = %g min, %d sources, %u thread(s), algorithm %d: "
                "hierarchy build %.3f s, best of 3 %.3f s, mean reach %.0f nodes, %.1f ns per node reached "
                "(thread time); check: %zu of %zu differ from Dijkstra%s\n",
                side, side, net.node_count(), T, count, threads, algorithm, build, best, reached / count,
                best * 1e9 * threads / reached, differ, check.size(),
                net.has_hierarchy() ? " (hierarchy built)" : "");
    return differ == 0 ? 0 : 1;
}
