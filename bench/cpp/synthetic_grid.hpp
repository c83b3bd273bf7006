#pragma once
// The SYNTHETIC grid road graph of the C++ benches: side x side nodes, 100 m spacing +-10 m jitter, 10 % of the
// edges removed, speed stripes 30/50/80 km/h, two-way. With quantise, minutes are rounded to 1e-3 and 1e-7 is
// added, so that no time ties with a round bound (bench_aggregate); without, minutes = metres / speed.

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <tierslieux/network.hpp>

namespace tierslieux::bench {

inline Network synthetic_grid(int side, bool quantise) {
    std::mt19937_64 rng{0};
    std::uniform_real_distribution<double> jitter{-10.0, 10.0};
    std::uniform_real_distribution<double> unit{0.0, 1.0};
    std::vector<Point> nodes;
    for (int i = 0; i < side; ++i) {
        for (int j = 0; j < side; ++j) {
            nodes.push_back({i * 100.0 + jitter(rng), j * 100.0 + jitter(rng)});
        }
    }
    auto speed = [](int k) { return k % 20 == 0 ? 80.0 : k % 5 == 0 ? 50.0 : 30.0; };
    std::vector<Edge> edges;
    auto add = [&](int a, int b, double kmh) {
        if (unit(rng) < 0.1) {
            return;
        }
        const double metres = distance_m(nodes[a], nodes[b]);
        const double exact = metres / (kmh * 1000.0 / 60.0);
        const double minutes = quantise ? std::max(1.0, std::round(exact / 1e-3)) * 1e-3 + 1e-7 : exact;
        edges.push_back({static_cast<node_id>(a), static_cast<node_id>(b), metres, minutes});
    };
    for (int i = 0; i + 1 < side; ++i) {
        for (int j = 0; j < side; ++j) {
            add(i * side + j, (i + 1) * side + j, speed(j));
        }
    }
    for (int i = 0; i < side; ++i) {
        for (int j = 0; j + 1 < side; ++j) {
            add(i * side + j, i * side + j + 1, speed(i));
        }
    }
    return Network{nodes, edges, true};
}

} // namespace tierslieux::bench
