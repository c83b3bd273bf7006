"""tierslieux: which existing public buildings could best become a tiers-lieu?

Quick use::

    import tierslieux as tl
    territory = tl.load_territory()          # the embedded Baronnies provençales territory
    result = tl.score(territory)             # GeoDataFrame of sites, rank 1 = best
    tl.write_gpkg(result, "out/baronnies.gpkg")
    tl.plot_sites(result, "out/baronnies_sites.png")
"""
from ._core import GeometryError, InputError, IoError, NotFound, ProjectionError
from ._api import (CRITERIA, DataWarning, ScoreRun, Territory, criteria, default_building_fit,
                   default_territory_path, load_territory, score, write_gpkg)
from ._explain import Explanation, explain
from ._network import Network
from ._portfolio import choose_sites
from ._scenario import Scenario, compare, run_scenario
from ._weights import load_weights
from .plot import plot_sites

__version__ = "0.1.0"

__all__ = [
    "CRITERIA",
    "DataWarning",
    "Explanation",
    "GeometryError",
    "InputError",
    "IoError",
    "Network",
    "NotFound",
    "ProjectionError",
    "Scenario",
    "ScoreRun",
    "Territory",
    "choose_sites",
    "compare",
    "criteria",
    "default_building_fit",
    "default_territory_path",
    "explain",
    "load_territory",
    "load_weights",
    "plot_sites",
    "run_scenario",
    "score",
    "write_gpkg",
    "__version__",
]
