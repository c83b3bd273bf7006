// Commute interception (commute_interception, criteria/families.hpp) on a SYNTHETIC grid road graph: SIDE x SIDE nodes (the grid
// of synthetic_grid.hpp, minutes not quantised), COMMUNES synthetic communes on random nodes, one of them the
// commune-centre of a single attraction area and all the others its belt (the worst case: every commune searches
// until the centre is settled), SITES random sites, local catchment 15 minutes. Prints the time, best of 3, and a
// checksum.
//
//   bench_commute SIDE COMMUNES SITES [THREADS=0]
//   e.g. bench_commute 316 400 120     (1e5 nodes)      bench_commute 1000 400 120   (1e6 nodes)

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include <tierslieux/network.hpp>

#include "synthetic_grid.hpp"
#include <tierslieux/territory.hpp>

#include "criteria/families.hpp"

using namespace tierslieux;

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: bench_commute SIDE COMMUNES SITES [THREADS=0]\n");
        return 2;
    }
    const int side = std::atoi(argv[1]);
    const int nc = std::atoi(argv[2]);
    const int ns = std::atoi(argv[3]);
    const unsigned threads = argc > 4 ? static_cast<unsigned>(std::atoi(argv[4])) : 0u;
    const Network net = bench::synthetic_grid(side, false);
    const Network reversed = net.reversed();
    std::mt19937_64 rng{1};
    std::uniform_int_distribution<node_id> any{0, static_cast<node_id>(net.node_count() - 1)};
    Territory t;
    t.path = "synthetic";
    t.has_aav = true;
    t.has_active_population = true;
    std::vector<node_id> commune_node, site_node;
    for (int c = 0; c < nc; ++c) {
        Commune k;
        k.commune_code = std::to_string(10000 + c);
        k.active_population = 100.0 + static_cast<double>(c % 7) * 50.0;
        k.has_active_population = true;
        k.aav_code = "001";
        k.aav_category = c == 0 ? 11 : 20;
        t.communes.push_back(std::move(k));
        commune_node.push_back(c == 0 ? static_cast<node_id>(net.node_count() / 2 + side / 2) : any(rng));
    }
    for (int s = 0; s < ns; ++s) {
        t.sites.push_back(Site{"s" + std::to_string(s), "", "town_hall", "", "", {}, 0});
        site_node.push_back(any(rng));
    }
    const std::vector<double> commune_access(nc, 0.0), site_access(ns, 0.5);
    const Attachment at{net, reversed, commune_node, commune_access, site_node, site_access,
                                50.0, true, 1000.0, 1.5};
    CommuteAssumptions assumptions;
    double best = 1e300, checksum = 0.0;
    for (int run = 0; run < 3; ++run) {
        const auto start = std::chrono::steady_clock::now();
        const CommuteInterception r = commute_interception(t, at, 15.0, assumptions, threads);
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        checksum = 0.0;
        for (const double km : r.km_per_year) {
            checksum += km;
        }
    }
    std::printf("nodes %zu, communes %d, sites %d, threads %u: %.3f s (%.1f ms per commune), km checksum %.6e\n",
                net.node_count(), nc, ns, threads, best, 1000.0 * best / nc, checksum);
    return 0;
}
