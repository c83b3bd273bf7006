#include "bindings.hpp"

#include <tierslieux/portfolio.hpp>

#include <pybind11/stl.h>

#include <cstdint>
#include <utility>
#include <vector>

namespace py = pybind11;

namespace tierslieux::python {

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
}

} // namespace tierslieux::python
