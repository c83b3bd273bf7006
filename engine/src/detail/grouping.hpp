#pragma once
// Grouping of positions by node id (CSR form), shared by the searches and the pipeline. Only src/ includes this.

#include <tierslieux/network.hpp>

#include <cstdint>
#include <numeric>
#include <vector>

namespace tierslieux::detail {

/**
 * The positions i in `nodes` of each node id, in CSR form: positions of node v are item[first[v]] …
 * item[first[v + 1] - 1]. With a non-empty `keep`, only positions where keep[i] is true are grouped.
 */
struct grouped_by_node {
    std::vector<std::uint32_t> first;
    std::vector<std::uint32_t> item;
    std::size_t distinct = 0; ///< number of node ids that occur

    grouped_by_node(std::size_t node_count, const std::vector<node_id>& nodes, const std::vector<bool>& keep = {})
        : first(node_count + 1, 0) {
        auto kept = [&](std::size_t i) { return keep.empty() || keep[i]; };
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            first[nodes[i] + 1] += kept(i) ? 1 : 0;
        }
        for (std::size_t v = 0; v < node_count; ++v) {
            distinct += first[v + 1] > 0;
        }
        std::partial_sum(first.begin(), first.end(), first.begin());
        item.resize(first.back());
        std::vector<std::uint32_t> fill(first.begin(), first.end() - 1);
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            if (kept(i)) {
                item[fill[nodes[i]]++] = static_cast<std::uint32_t>(i);
            }
        }
    }
}; // struct grouped_by_node

} // namespace tierslieux::detail
