#pragma once
// A tiny territory, small enough to compute every result by hand (used by test_territory and test_pipeline).
//
// Five square communes of 10 km in Lambert-93 (EPSG:2154) from (origin_x_m, origin_y_m); town halls at the centres:
//
//     A 05001 [0,10] km   B 05002 [10,20]   C 05003 [20,30]   D 05004 [30,40]   ...   E 05005 [100,110]
//     pop 100              pop 200           pop 400           pop 800                 pop 1600, no neighbour
//
// A-B, B-C, C-D share a border; E is alone. Town halls are 10 km apart along the row, so with detour 1.0 and
// 60 km/h (1 km = 1 minute) neighbouring town halls are 10 minutes apart.
// Sites: s1 in A, 1 km east of its town hall (access 1 min); s2 in C, 4 km north of it (access 4 min); s3 at B's
// town hall (access 0). E has no site. Broadband: A 0.2, B 0.8, C 0.5 (D and E have no figure).
// Features are written out of order (communes E..A, sites s3, s1, s2) so that sorting is exercised.

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <tierslieux/io.hpp>

#include "support.hpp"

namespace tierslieux::test {

constexpr double origin_x_m = 850000.0;
constexpr double origin_y_m = 6350000.0;

/** WKT of the square [x_km, x_km + 10] x [0, 10] km from the origin. */
inline std::string square_km(double x_km) {
    const double x1 = origin_x_m + x_km * 1000.0;
    const double x2 = x1 + 10000.0;
    const double y1 = origin_y_m;
    const double y2 = origin_y_m + 10000.0;
    auto xy = [](double x, double y) { return std::to_string(x) + " " + std::to_string(y); };
    return "POLYGON ((" + xy(x1, y1) + ", " + xy(x2, y1) + ", " + xy(x2, y2) + ", " + xy(x1, y2) + ", " +
           xy(x1, y1) + "))";
}

/** The town hall of the square starting x_km from the origin: its centre. */
inline Point hall_km(double x_km) { return {origin_x_m + x_km * 1000.0 + 5000.0, origin_y_m + 5000.0}; }

inline std::string point_wkb(const Point& p) { return Geometry::from_point(p).to_wkb(); }

/** The layers communes, town_halls, sites and broadband of the tiny territory. */
inline std::vector<LayerData> tiny_territory_layers() {
    const double nan = std::nan("");
    std::vector<LayerData> layers(4);

    LayerData& communes = layers[0];
    communes.name = "communes";
    communes.geometry_type = GeometryType::polygon;
    communes.wkb = {wkb(square_km(100)), wkb(square_km(30)), wkb(square_km(20)), wkb(square_km(10)),
                    wkb(square_km(0))};
    communes.columns = {
        Column::of_strings("commune_code", {"05005", "05004", "05003", "05002", "05001"}),
        Column::of_strings("name", {"Echo", "Delta", "Charlie", "Bravo", "Alpha"}),
        Column::of_integers("population", {1600, 800, 400, 200, 100}),
        Column::of_reals("active_population", {nan, 400.0, 200.0, 100.0, 50.0}),
        Column::of_booleans("in_territory", {false, true, true, true, true}),
    };

    LayerData& halls = layers[1];
    halls.name = "town_halls";
    halls.geometry_type = GeometryType::point;
    halls.wkb = {point_wkb(hall_km(0)), point_wkb(hall_km(10)), point_wkb(hall_km(20)), point_wkb(hall_km(30)),
                 point_wkb(hall_km(100))};
    halls.columns = {Column::of_strings("commune_code", {"05001", "05002", "05003", "05004", "05005"})};

    LayerData& sites = layers[2];
    sites.name = "sites";
    sites.geometry_type = GeometryType::point;
    const Point a = hall_km(0);
    const Point c = hall_km(20);
    sites.wkb = {point_wkb(hall_km(10)), point_wkb({a.x_m + 1000.0, a.y_m}), point_wkb({c.x_m, c.y_m + 4000.0})};
    sites.columns = {
        Column::of_strings("site_id", {"s3", "s1", "s2"}),
        Column::of_strings("name", {"Mairie de Bravo", "Tiers-lieu d'Alpha", "France services Charlie"}),
        Column::of_strings("kind", {"town_hall", "third_place", "france_services"}),
        Column::of_strings("commune_code", {"05002", "05001", "05003"}),
        Column::of_strings("services", {"", "coworking;fablab", "france_services"}),
    };

    LayerData& broadband = layers[3];
    broadband.name = "broadband";
    broadband.geometry_type = GeometryType::none;
    broadband.columns = {
        Column::of_strings("commune_code", {"05001", "05002", "05003"}),
        Column::of_reals("ftth_premises", {40.0, 160.0, 100.0}),
        Column::of_reals("ftth_share", {0.2, 0.8, 0.5}),
        Column::of_strings("vintage", {"2024T4", "2024T4", "2024T4"}),
    };
    return layers;
}

} // namespace tierslieux::test
