#include "bindings.hpp"

#include <tierslieux/criteria.hpp>
#include <tierslieux/network.hpp>
#include <tierslieux/pipeline.hpp>
#include <tierslieux/territory.hpp>

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <memory>

namespace py = pybind11;

namespace tierslieux::python {

namespace {

py::list diagnostics_to_python(const std::vector<Diagnostic>& diagnostics) {
    py::list out;
    for (const Diagnostic& d : diagnostics) {
        py::dict x;
        x["code"] = d.code;
        x["text"] = d.text;
        x["ids"] = d.ids;
        x["file"] = d.file;
        x["layer"] = d.layer;
        x["feature_id"] = d.feature_id < 0 ? py::object(py::none()) : py::object(py::int_(d.feature_id));
        x["field"] = d.field;
        out.append(std::move(x));
    }
    return out;
}

} // namespace

void bind_pipeline(py::module_& m) {
    py::class_<Territory>(m, "Territory", "A loaded, validated territory (see tierslieux.Territory).")
        .def_readonly("path", &Territory::path)
        .def_readonly("crs", &Territory::crs)
        .def_property_readonly("warnings", [](const Territory& t) { return texts(t.warnings); })
        .def_property_readonly("diagnostics", [](const Territory& t) { return diagnostics_to_python(t.warnings); })
        .def_property_readonly("commune_count", [](const Territory& t) { return t.communes.size(); })
        .def_property_readonly("site_count", [](const Territory& t) { return t.sites.size(); })
        .def("layers", [](const Territory& t) { return to_python(to_layers(t)); },
             "Layers communes, town_halls, sites as dicts.");

    m.def(
        "load_territory",
        [](const std::string& path, const std::string& target_crs, const std::string& assume_crs) {
            py::gil_scoped_release release;
            return std::make_unique<Territory>(load_territory(path, LoadOptions{target_crs, assume_crs}));
        },
        py::arg("path"), py::arg("target_crs") = "EPSG:2154", py::arg("assume_crs") = "",
        "Load and validate a territory file.");

    m.def(
        "with_changes",
        [](const Territory& territory, const std::map<std::string, double>& ftth_share,
           const std::vector<std::string>& close_sites, const std::vector<std::string>& open_tiers_lieux,
           const std::string& scenario) {
            return std::make_unique<Territory>(
                with_changes(territory, TerritoryChanges{ftth_share, close_sites, open_tiers_lieux}, scenario));
        },
        py::arg("territory"), py::arg("ftth_share"), py::arg("close_sites"), py::arg("open_tiers_lieux"),
        py::arg("scenario"), "A copy of the territory with a scenario's changes (the input is not modified).");

    py::class_<CommuneGraphParams>(m, "CommuneGraphParams")
        .def(py::init<>())
        .def_readwrite("detour_factor", &CommuneGraphParams::detour_factor)
        .def_readwrite("speed_kmh", &CommuneGraphParams::speed_kmh)
        .def_readwrite("access_speed_kmh", &CommuneGraphParams::access_speed_kmh);

    py::class_<CommuteAssumptions>(m, "CommuteAssumptions", "Assumptions of commute interception (docs/criteria.md).")
        .def(py::init<>())
        .def_readwrite("pole_commuter_share", &CommuteAssumptions::pole_commuter_share)
        .def_readwrite("max_ratio", &CommuteAssumptions::max_ratio)
        .def_readwrite("days_per_week", &CommuteAssumptions::days_per_week)
        .def_readwrite("weeks_per_year", &CommuteAssumptions::weeks_per_year)
        .def_readwrite("car_share", &CommuteAssumptions::car_share)
        .def_readwrite("co2_g_per_km", &CommuteAssumptions::co2_g_per_km);

    const auto as_dict = [](const CriterionInfo& c) {
        py::dict d;
        d["name"] = c.name;
        d["family"] = c.family;
        d["unit"] = c.unit;
        d["direction"] = c.direction == Direction::more_is_better ? "more is better" : "less is better";
        d["description"] = c.description;
        d["input"] = c.input;
        d["when_missing"] = c.when_missing;
        d["formula"] = c.formula;
        return d;
    };
    m.def(
        "criteria_catalogue",
        [as_dict] {
            std::vector<py::dict> out;
            for (const CriterionInfo& c : criteria_catalogue()) {
                out.push_back(as_dict(c));
            }
            return out;
        },
        "Every criterion the engine computes: name, family, unit, direction, description, input, when_missing, formula.");
    m.def(
        "criterion_info", [as_dict](const std::string& name) { return as_dict(criterion_info(name)); },
        py::arg("name"), "The catalogue entry of one criterion name (pop_15min: '<T>' filled in); NotFound else.");
    m.def("default_building_fit", &default_building_fit, "Default building fit per site kind (0-1).");
    m.def("validate_building_fit", &validate_building_fit, py::arg("fit"), "Raise InputError for a bad table.");
    m.def(
        "validate_commute", [](const CommuteAssumptions& a) { validate(a); }, py::arg("assumptions"),
        "Raise InputError for an assumption out of range.");

    py::class_<RunOptions>(m, "RunOptions")
        .def(py::init<>())
        .def_readwrite("graph", &RunOptions::graph)
        .def_readwrite("adjacency_tolerance_m", &RunOptions::adjacency_tolerance_m)
        .def_readwrite("thresholds_min", &RunOptions::thresholds_min)
        .def_readwrite("gravity_decay_min", &RunOptions::gravity_decay_min)
        .def_readwrite("gravity_max_minutes", &RunOptions::gravity_max_minutes)
        .def_readwrite("weights", &RunOptions::weights)
        .def_readwrite("roads_path", &RunOptions::roads_path)
        .def_readwrite("roads_profile", &RunOptions::roads_profile)
        .def_readwrite("roads_clip_buffer_m", &RunOptions::roads_clip_buffer_m)
        .def_readwrite("max_snap_m", &RunOptions::max_snap_m)
        .def_readwrite("catchment_buffer_m", &RunOptions::catchment_buffer_m)
        .def_readwrite("local_minutes", &RunOptions::local_minutes)
        .def_readwrite("commute", &RunOptions::commute)
        .def_readwrite("building_fit", &RunOptions::building_fit)
        .def_property(
            "stability_draws", [](const RunOptions& o) { return o.stability.draws; },
            [](RunOptions& o, std::size_t v) { o.stability.draws = v; })
        .def_property(
            "stability_concentration", [](const RunOptions& o) { return o.stability.concentration; },
            [](RunOptions& o, double v) { o.stability.concentration = v; })
        .def_property(
            "stability_seed", [](const RunOptions& o) { return o.stability.seed; },
            [](RunOptions& o, std::uint64_t v) { o.stability.seed = v; })
        .def_property(
            "normalisation", [](const RunOptions& o) { return name_of(o.normalisation); },
            [](RunOptions& o, const std::string& name) { o.normalisation = normalisation_from_name(name); });

    py::class_<RunResult>(m, "RunResult")
        .def_property_readonly("warnings", &RunResult::warnings)
        .def_property_readonly("diagnostics", [](const RunResult& r) { return diagnostics_to_python(r.diagnostics); })
        .def_readonly("stage_seconds", &RunResult::stage_seconds)
        .def_property_readonly("communes_unreachable", [](const RunResult& r) { return r.communes.unreachable; })
        .def_property_readonly("commute_source",
                               [](const RunResult& r) {
                                   const auto it = r.criteria.sources.find("commute");
                                   return it == r.criteria.sources.end() ? std::string{} : it->second;
                               })
        .def_property_readonly("skipped",
                               [](const RunResult& r) {
                                   std::vector<std::pair<std::string, std::string>> out;
                                   for (const auto& s : r.criteria.skipped) {
                                       out.emplace_back(s.name, s.reason);
                                   }
                                   return out;
                               })
        .def_property_readonly("node_count", [](const RunResult& r) { return r.graph.network.node_count(); })
        .def_property_readonly("edge_count", [](const RunResult& r) { return r.graph.network.edge_count(); })
        .def_property_readonly("component_count", [](const RunResult& r) { return r.graph.network.component_count(); })
        .def_property_readonly("weights",
                               [](const RunResult& r) {
                                   std::map<std::string, double> w;
                                   for (std::size_t k = 0; k < r.scores.criteria.size(); ++k) {
                                       w[r.scores.criteria[k]] = r.scores.weights[k];
                                   }
                                   return w;
                               })
        .def_property_readonly("effective_weights",
                               [](const RunResult& r) {
                                   std::map<std::string, double> w;
                                   for (std::size_t k = 0; k < r.scores.criteria.size(); ++k) {
                                       w[r.scores.criteria[k]] = r.scores.effective_weights[k];
                                   }
                                   return w;
                               })
        .def_property_readonly("graph_kind", [](const RunResult& r) { return r.graph.kind; })
        .def(
            "commune_site_minutes",
            [](const RunResult& r, const std::vector<std::size_t>& communes, const std::vector<std::size_t>& sites) {
                std::vector<double> minutes;
                {
                    py::gil_scoped_release release;
                    minutes = commune_site_minutes(r, communes, sites);
                }
                py::array_t<double> out({communes.size(), sites.size()});
                std::copy(minutes.begin(), minutes.end(), out.mutable_data());
                return out;
            },
            py::arg("communes"), py::arg("sites"),
            "Minutes from communes to sites on the run's graph (tierslieux::commune_site_minutes), as a matrix.")
        .def(
            "layers",
            [](const RunResult& r, const Territory& t, const RunOptions& o) {
                std::vector<LayerData> layers;
                {
                    py::gil_scoped_release release;
                    layers = to_layers(t, r, o);
                }
                return to_python(layers);
            },
            py::arg("territory"), py::arg("options"),
            "Output layers sites, communes, network_edges, catchments as dicts.");

    m.def(
        "run",
        [](const Territory& territory, const RunOptions& options, const py::object& progress) {
            progress_callback callback;
            if (!progress.is_none()) {
                callback = [progress](const std::string& stage, std::size_t done, std::size_t total) {
                    py::gil_scoped_acquire acquire;
                    progress(stage, done, total);
                };
            }
            py::gil_scoped_release release;
            return std::make_unique<RunResult>(run(territory, options, callback));
        },
        py::arg("territory"), py::arg("options"), py::arg("progress") = py::none(),
        "Run the whole job; progress(stage, done, total) is called as work advances (it may raise to cancel).");

    m.def("default_weights", py::overload_cast<const std::vector<int>&>(&default_weights), py::arg("thresholds_min"),
          "Default weight per criterion.");
    m.def(
        "validate_run_options", [](const RunOptions& o) { validate(o); }, py::arg("options"),
        "Raise InputError naming the first option out of range (the checks run() makes first).");
}

} // namespace tierslieux::python
