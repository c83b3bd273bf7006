// Fuzz target: the territory loader on GeoPackage bytes, then a run on what it accepts (small ones only).
#include <tierslieux/pipeline.hpp>
#include <tierslieux/territory.hpp>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tierslieux;
    const std::string path = fuzz::as_file(data, size, ".gpkg");
    fuzz::expecting_engine_errors([&] {
        const Territory t = load_territory(path);
        if (t.communes.size() <= 200 && t.sites.size() <= 200) {
            RunOptions options;
            options.stability.draws = 0;
            run(t, options);
        }
    });
    std::remove(path.c_str());
    return 0;
}
