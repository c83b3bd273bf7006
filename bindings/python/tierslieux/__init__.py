"""tierslieux: which existing public buildings could best become a tiers-lieu?

Quick use::

    import tierslieux as tl
    territory = tl.load_territory()          # the embedded Baronnies provençales territory
    result = tl.score(territory)             # GeoDataFrame of sites, rank 1 = best
    tl.write_gpkg(result, "out/baronnies.gpkg")
    tl.plot_sites(result, "out/baronnies_sites.png")
"""
import importlib
from typing import TYPE_CHECKING

# Names are imported on first use (PEP 562), so that `tierslieux --help` and a Ctrl-C during start-up are quick
# and clean: the command line catches the interruption while geopandas and the engine load.
_EXPORTS = {
    "GeometryError": "_core", "InputError": "_core", "IoError": "_core", "NotFound": "_core",
    "ProjectionError": "_core",
    "CRITERIA": "_api", "DataWarning": "_api", "Diagnostic": "_api", "ScoreRun": "_api", "Territory": "_api", "criteria": "_api",
    "default_building_fit": "_api", "default_territory_path": "_api", "load_territory": "_api", "score": "_api",
    "write_gpkg": "_api",
    "Explanation": "_explain", "explain": "_explain",
    "Network": "_network",
    "choose_sites": "_portfolio",
    "Scenario": "_scenario", "compare": "_scenario", "run_scenario": "_scenario",
    "Settings": "_settings",
    "read_run_info": "_provenance",
    "ranking_table": "_export", "export_table": "_export",
    "load_weights": "_weights",
    "report": "_report",
    "plot_sites": "plot", "plot_portfolio": "plot",
    "batch": "_batch", "partition_territory": "_batch",
}


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        # a submodule (tl._core, tl.plot, tl.cli…), as an eager package would have it after its imports
        if name.startswith("__"):
            raise AttributeError(f"module 'tierslieux' has no attribute {name!r}")
        try:
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError:
            raise AttributeError(f"module 'tierslieux' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from ._batch import batch, partition_territory  # noqa: F401
    from ._api import (CRITERIA, DataWarning, Diagnostic, ScoreRun, Territory, criteria, default_building_fit,  # noqa: F401
                       default_territory_path, load_territory, score, write_gpkg)
    from ._core import GeometryError, InputError, IoError, NotFound, ProjectionError  # noqa: F401
    from ._explain import Explanation, explain  # noqa: F401
    from ._network import Network  # noqa: F401
    from ._portfolio import choose_sites  # noqa: F401
    from ._scenario import Scenario, compare, run_scenario  # noqa: F401
    from ._export import export_table, ranking_table  # noqa: F401
    from ._provenance import read_run_info  # noqa: F401
    from ._settings import Settings  # noqa: F401
    from ._weights import load_weights  # noqa: F401
    from ._report import report  # noqa: F401
    from .plot import plot_portfolio, plot_sites  # noqa: F401

__version__ = "0.1.0"

__all__ = [
    "CRITERIA",
    "DataWarning",
    "Diagnostic",
    "Explanation",
    "GeometryError",
    "InputError",
    "IoError",
    "Network",
    "NotFound",
    "ProjectionError",
    "Scenario",
    "ScoreRun",
    "Settings",
    "Territory",
    "batch",
    "choose_sites",
    "compare",
    "criteria",
    "default_building_fit",
    "default_territory_path",
    "explain",
    "export_table",
    "load_territory",
    "load_weights",
    "partition_territory",
    "plot_portfolio",
    "plot_sites",
    "ranking_table",
    "read_run_info",
    "report",
    "run_scenario",
    "score",
    "write_gpkg",
    "__version__",
]
