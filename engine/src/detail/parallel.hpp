#pragma once
// Work sharing over std::thread: the one thread pool of the engine (many-source searches, hierarchy sweeps,
// commute interception). Lowest layer: standard library only. Only src/ includes this.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tierslieux::detail {

/** Number of worker threads for `count` units of work: `threads` (0: all hardware threads), at most count. */
inline unsigned thread_count(unsigned threads, std::size_t count) {
    const unsigned wanted = threads ? threads : std::max(1u, std::thread::hardware_concurrency());
    return static_cast<unsigned>(std::min<std::size_t>(wanted, std::max<std::size_t>(count, 1)));
}

/**
 * Runs fn(i, state) for i in [0, count) on thread_count(threads, count) threads (the calling thread included);
 * each thread makes its own state with make_state() once. Progress (units done, count) is reported from the
 * calling thread; an exception from fn or from progress stops every thread and is rethrown.
 */
template <typename MakeState, typename Fn>
void parallel_for(std::size_t count, unsigned threads, const std::function<void(std::size_t, std::size_t)>& progress,
                  MakeState&& make_state, Fn&& fn) {
    const unsigned workers = thread_count(threads, count);
    const std::size_t chunk = std::max<std::size_t>(1, count / (std::size_t{workers} * 32));
    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> done{0};
    std::atomic<bool> stop{false};
    std::exception_ptr error;
    std::mutex error_mutex;
    auto fail = [&] {
        std::lock_guard<std::mutex> lock{error_mutex};
        if (!error) {
            error = std::current_exception();
        }
        stop = true;
    };
    auto work = [&](bool report) {
        try {
            auto state = make_state();
            while (!stop) {
                const std::size_t begin = next.fetch_add(chunk);
                if (begin >= count) {
                    break;
                }
                const std::size_t end = std::min(count, begin + chunk);
                for (std::size_t i = begin; i < end; ++i) {
                    fn(i, state);
                }
                done += end - begin;
                if (report && progress) {
                    progress(done.load(), count);
                }
            }
        } catch (...) {
            fail();
        }
    };
    std::vector<std::thread> pool;
    pool.reserve(workers - 1);
    for (unsigned t = 1; t < workers; ++t) {
        pool.emplace_back(work, false);
    }
    work(true);
    for (auto& t : pool) {
        t.join();
    }
    if (error) {
        std::rethrow_exception(error);
    }
    if (progress) {
        progress(count, count);
    }
}

} // namespace tierslieux::detail
