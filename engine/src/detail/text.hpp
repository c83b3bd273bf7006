#pragma once
// Lists of names in messages. Only src/ includes this.

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace tierslieux::detail {

/** "a, b, c": the first `limit` names joined by ", ", then ", …" when some were left out. */
inline std::string join_names(const std::vector<std::string>& names,
                              std::size_t limit = std::numeric_limits<std::size_t>::max()) {
    std::string out;
    for (std::size_t i = 0; i < names.size() && i < limit; ++i) {
        out += (i ? ", " : "") + names[i];
    }
    return out + (names.size() > limit ? ", …" : "");
}

} // namespace tierslieux::detail
