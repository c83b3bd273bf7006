#pragma once
/**
 * @file hierarchy.hpp
 * Contraction hierarchy (Geisberger et al. 2008) over a directed CSR graph, and an exact many-to-many travel-time
 * matrix on it by RPHAST (Delling et al. 2011): the nodes that can reach a destination by downward arcs are
 * selected once; then for each batch of 8 origins, one upward Dijkstra per origin (with stall-on-demand) and one
 * vectorised linear sweep over the selection in decreasing level for the whole batch (nodes of a level in id
 * order, so that the tails read for neighbouring nodes are near one another: PHAST, Delling et al. 2011).
 * Private to the graph layer (network.cpp, hierarchy.cpp): it uses the Network's types.
 */

#include <tierslieux/network.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tierslieux::detail {

class ContractionHierarchy {
public:
    /**
     * Contracts the graph given in CSR form: n nodes, arcs v -> head[a] of travel time minutes[a] (finite, >= 0)
     * for a in [first[v], first[v + 1]). Parallel arcs, self-loops, zero times and several components are fine.
     * Witness searches and priorities run on `threads` threads (0: all hardware threads); the hierarchy is the
     * same whatever their number. progress (optional) gets nodes contracted / n from the calling thread after each
     * round and may throw to cancel. Throws input_error for a head out of range or a negative / non-finite time.
     */
    ContractionHierarchy(std::size_t n, const std::uint32_t* first, const node_id* head, const double* minutes,
                         const work_progress& progress = {}, unsigned threads = 0);

    /**
     * Reads a hierarchy written by save() for a graph of n nodes whose graph_checksum() is `checksum`. Throws
     * io_error when the file cannot be read, input_error naming the file when it is not a hierarchy file, has
     * another format version, is truncated or corrupt (its own checksum), or was made for another graph.
     */
    static ContractionHierarchy load(const std::string& path, std::size_t n, std::uint64_t checksum);

    /**
     * Writes the hierarchy to `path`, tagged with the checksum of its graph (graph_checksum()): a versioned binary
     * file (format in hierarchy.cpp), written to a temporary file in the same folder then renamed into place, so
     * that `path` is either the old file or the whole new one. Throws io_error naming the file.
     */
    void save(const std::string& path, std::uint64_t checksum) const;

    /** Same node order and arcs (for tests: the hierarchy does not depend on the number of threads). */
    bool operator==(const ContractionHierarchy& other) const;

    /** Number of nodes of the graph. */
    std::size_t node_count() const noexcept { return m_position.size(); }
    /** Number of shortcut arcs added by the contraction (for reporting). */
    std::size_t shortcut_count() const noexcept { return m_shortcuts; }
    /** Bytes held by the hierarchy (for reporting). */
    std::size_t memory_bytes() const noexcept;

    /**
     * Shortest travel times in minutes, row-major origins.size() x destinations.size(); NaN where unreachable or
     * beyond max_minutes (infinity: no bound). Duplicated ids are allowed; an origin gives 0 to itself. Equal to a
     * plain Dijkstra up to floating-point rounding (sums are taken in another order). Rows are computed on
     * options.threads threads; options.progress gets batches of origins done / in all. Throws input_error for
     * ids out of range or a negative / NaN bound.
     */
    std::vector<double> many_to_many(const std::vector<node_id>& origins, const std::vector<node_id>& destinations,
                                     double max_minutes, const SearchOptions& options = {}) const;

    /** Origins per sweep. */
    static constexpr std::size_t lanes = 8;

    /** The times from one batch of up to `lanes` consecutive origins to every destination. */
    struct Batch {
        const double* lane_times;     ///< local node * lanes + lane
        const std::uint32_t* column;  ///< destination j -> local node
        std::size_t width;            ///< number of destinations
        std::size_t first_origin;     ///< index in origins of lane 0
        std::size_t count;            ///< origins in this batch (lanes first_origin .. first_origin + count - 1)

        /** Time from origin first_origin + lane to destination j: infinity when unreachable; may exceed the
         *  bound given to for_each_batch (the bound only prunes the upward searches). */
        double time(std::size_t j, std::size_t lane) const { return lane_times[std::size_t{column[j]} * lanes + lane]; }
    }; // struct Batch

    /**
     * Computes origins in batches of `lanes` (in the given order, duplicates computed again) and calls visit for
     * each batch from the thread that computed it (visit must be thread-safe across batches). Same checks,
     * threads and progress (batches done / in all) as many_to_many.
     */
    void for_each_batch(const std::vector<node_id>& origins, const std::vector<node_id>& destinations,
                        double max_minutes, const SearchOptions& options,
                        const std::function<void(const Batch&)>& visit) const;

    /** Format version of save() / load(); a file of another version is refused. */
    static constexpr std::uint32_t file_version = hierarchy_file_version;

private:
    ContractionHierarchy() = default;
    void check_query(const std::vector<node_id>& origins, const std::vector<node_id>& destinations,
                     double max_minutes) const;

    // Nodes are renumbered by sweep position: by decreasing level (1 + the greatest level of the neighbours
    // contracted earlier), then by node id. An arc of the hierarchy joins a node to one contracted later, of a
    // higher level: upward arcs lead to lower positions, downward arcs to higher ones. Both graphs use positions.
    std::vector<std::uint32_t> m_position; // node id -> position
    // Upward graph: arcs p -> q with q < p, CSR over p, by increasing q.
    std::vector<std::uint32_t> m_up_first;
    std::vector<std::uint32_t> m_up_head;
    std::vector<double> m_up_minutes;
    // Downward graph stored by its head: arcs q -> p with q < p, CSR over p (m_down_tail holds q, increasing).
    std::vector<std::uint32_t> m_down_first;
    std::vector<std::uint32_t> m_down_tail;
    std::vector<double> m_down_minutes;
    std::size_t m_shortcuts = 0;
}; // class ContractionHierarchy

/** A 64-bit checksum of a CSR graph (n, first, head, minutes as given to ContractionHierarchy): a hierarchy file
 *  records the checksum of the graph it was made for. */
std::uint64_t graph_checksum(std::size_t n, const std::uint32_t* first, const node_id* head, const double* minutes);

} // namespace tierslieux::detail
