#pragma once
// Compressed sparse row (CSR) grouping: the one builder of CSR arrays in the engine (a graph's arcs by tail node,
// places by node, road edges by end node). Lowest layer: standard library only. Only src/ includes this.

#include <cstddef>
#include <cstdint>
#include <numeric>
#include <vector>

namespace tierslieux::detail {

/** Items grouped by key: the items of key k are items[first[k]] … items[first[k + 1] - 1], in the order given. */
template <typename Item>
struct csr {
    std::vector<std::uint32_t> first;
    std::vector<Item> items;
}; // struct csr

/**
 * Groups the (key, item) pairs that produce(emit) passes to emit(key, item) by key, keys in [0, key_count).
 * produce is called twice (count, then fill) and must emit the same pairs both times.
 */
template <typename Item, typename Produce>
csr<Item> group_by_key(std::size_t key_count, Produce&& produce) {
    csr<Item> out;
    out.first.assign(key_count + 1, 0);
    produce([&](std::size_t key, const Item&) { ++out.first[key + 1]; });
    std::partial_sum(out.first.begin(), out.first.end(), out.first.begin());
    out.items.resize(out.first.back());
    std::vector<std::uint32_t> fill(out.first.begin(), out.first.end() - 1);
    produce([&](std::size_t key, const Item& item) { out.items[fill[key]++] = item; });
    return out;
}

/**
 * The positions i in `nodes` of each node id, in CSR form: positions of node v are item[first[v]] …
 * item[first[v + 1] - 1]. With a non-empty `keep`, only positions where keep[i] is true are grouped.
 */
struct grouped_by_node {
    std::vector<std::uint32_t> first;
    std::vector<std::uint32_t> item;
    std::size_t distinct = 0; ///< number of node ids that occur

    grouped_by_node() = default;

    template <typename Id>
    grouped_by_node(std::size_t node_count, const std::vector<Id>& nodes, const std::vector<bool>& keep = {}) {
        csr<std::uint32_t> g = group_by_key<std::uint32_t>(node_count, [&](auto&& emit) {
            for (std::size_t i = 0; i < nodes.size(); ++i) {
                if (keep.empty() || keep[i]) {
                    emit(nodes[i], static_cast<std::uint32_t>(i));
                }
            }
        });
        first = std::move(g.first);
        item = std::move(g.items);
        for (std::size_t v = 0; v < node_count; ++v) {
            distinct += first[v + 1] > first[v];
        }
    }
}; // struct grouped_by_node

} // namespace tierslieux::detail
