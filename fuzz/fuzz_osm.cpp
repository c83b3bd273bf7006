// Fuzz target: the OpenStreetMap road reader on PBF bytes, or on OSM XML bytes when they start with '<'.
#include <tierslieux/osm.hpp>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tierslieux;
    const bool xml = size > 0 && data[0] == '<';
    const std::string path = fuzz::as_file(data, size, xml ? ".osm" : ".osm.pbf");
    fuzz::expecting_engine_errors([&] {
        OsmReadOptions options;
        options.crs = "EPSG:3857"; // metric everywhere, so that any coordinate of the input can be projected
        const RoadGraph g = read_osm_roads(path, options);
        g.to_network();
    });
    std::remove(path.c_str());
    return 0;
}
