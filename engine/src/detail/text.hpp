#pragma once
// Text in messages: lists of names, numbers. Lowest layer: standard library only. Only src/ includes this.

#include <cstddef>
#include <limits>
#include <sstream>
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

/** A number as a person would write it (shortest of the default stream format: 0.5, 20, 1e-06). */
inline std::string number(double v) {
    std::ostringstream out;
    out << v;
    return out.str();
}

} // namespace tierslieux::detail
