#include "bindings.hpp"

#include <tierslieux/errors.hpp>
#include <tierslieux/portfolio.hpp>

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace py = pybind11;

namespace tierslieux::python {

namespace {

using f64_array = py::array_t<double, py::array::c_style | py::array::forcecast>;

/** The (sites, points) NumPy matrix as the engine's row-major vector. */
MedianProblem to_median_problem(std::vector<double> demand, const f64_array& minutes, std::vector<bool> fixed,
                                std::vector<bool> eligible,
                                std::vector<std::pair<std::uint32_t, std::uint32_t>> conflicts) {
    if (minutes.ndim() != 2) {
        throw input_error("p_median: minutes must be a 2-D array (sites x demand points), got " +
                          std::to_string(minutes.ndim()) + " dimensions");
    }
    MedianProblem problem;
    problem.demand = std::move(demand);
    problem.site_count = static_cast<std::size_t>(minutes.shape(0));
    problem.minutes.assign(minutes.data(), minutes.data() + minutes.size());
    problem.fixed = std::move(fixed);
    problem.eligible = std::move(eligible);
    problem.conflicts = std::move(conflicts);
    return problem;
}

} // namespace

void bind_portfolio(py::module_& m) {
    m.def(
        "max_covering",
        [](std::vector<double> demand, std::vector<std::vector<std::uint32_t>> covers, std::vector<bool> fixed,
           std::vector<bool> eligible, std::vector<std::pair<std::uint32_t, std::uint32_t>> conflicts,
           std::size_t k) {
            CoverageProblem problem{std::move(demand), std::move(covers), std::move(fixed), std::move(eligible),
                                    std::move(conflicts)};
            Portfolio p;
            {
                py::gil_scoped_release release;
                p = max_covering(problem, k);
            }
            return py::make_tuple(p.sites, p.marginal, p.covered);
        },
        py::arg("demand"), py::arg("covers"), py::arg("fixed"), py::arg("eligible"), py::arg("conflicts"),
        py::arg("k"), "Maximal covering: (sites in order, marginal demand, covered demand).");
    m.def(
        "p_median",
        [](std::vector<double> demand, const f64_array& minutes, std::vector<bool> fixed, std::vector<bool> eligible,
           std::vector<std::pair<std::uint32_t, std::uint32_t>> conflicts, std::size_t k) {
            const MedianProblem problem =
                to_median_problem(std::move(demand), minutes, std::move(fixed), std::move(eligible),
                                  std::move(conflicts));
            MedianPortfolio p;
            {
                py::gil_scoped_release release;
                p = p_median(problem, k);
            }
            py::dict out;
            out["sites"] = p.sites;
            out["assigned"] = p.assigned;
            out["reduction"] = p.reduction;
            out["objective"] = p.objective;
            out["reachable_demand"] = p.reachable_demand;
            out["unreachable_points"] = p.unreachable_points;
            out["unreachable_demand"] = p.unreachable_demand;
            out["unserved_points"] = p.unserved_points;
            out["unserved_demand"] = p.unserved_demand;
            return out;
        },
        py::arg("demand"), py::arg("minutes"), py::arg("fixed"), py::arg("eligible"), py::arg("conflicts"),
        py::arg("k"),
        "p-median on a (sites, points) minutes matrix (NaN = unreachable): a dict with sites (in order), assigned, "
        "reduction, objective, reachable_demand, unreachable_points/_demand, unserved_points/_demand.");
    m.def(
        "median_objective",
        [](std::vector<double> demand, const f64_array& minutes, std::vector<std::uint32_t> sites) {
            const MedianProblem problem = to_median_problem(std::move(demand), minutes, {}, {}, {});
            return median_objective(problem, sites);
        },
        py::arg("demand"), py::arg("minutes"), py::arg("sites"),
        "The p-median objective of a set of sites (same unreachable rule as p_median).");
}

} // namespace tierslieux::python
