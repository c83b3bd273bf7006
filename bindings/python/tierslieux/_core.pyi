"""Type stubs of the private engine module tierslieux._core (hand-maintained; glue of bindings/*.cpp)."""
from typing import Callable, Optional

class InputError(ValueError): ...
class IoError(OSError): ...
class GeometryError(RuntimeError): ...
class ProjectionError(RuntimeError): ...
class NotFound(KeyError): ...

Layer = dict  # {"name", "geometry_type", "crs", "wkb": list[bytes], "columns": list[(name, type, values, null)]}

def write_gpkg(path: str, layers: list[Layer]) -> None: ...
def layer_names(path: str) -> list[str]: ...

class Territory:
    path: str
    crs: str
    warnings: list[str]
    commune_count: int
    site_count: int
    def layers(self) -> list[Layer]: ...

def load_territory(path: str, target_crs: str = "EPSG:2154", assume_crs: str = "") -> Territory: ...

class CommuneGraphParams:
    detour_factor: float
    speed_kmh: float
    access_speed_kmh: float
    def __init__(self) -> None: ...

class RunOptions:
    graph: CommuneGraphParams
    adjacency_tolerance_m: float
    thresholds_min: list[int]
    gravity_decay_min: float
    gravity_max_minutes: float
    weights: dict[str, float]
    def __init__(self) -> None: ...

class RunResult:
    warnings: list[str]
    stage_seconds: dict[str, float]
    communes_unreachable: int
    node_count: int
    edge_count: int
    component_count: int
    weights: dict[str, float]
    effective_weights: dict[str, float]
    def layers(self, territory: Territory) -> list[Layer]: ...

def run(territory: Territory, options: RunOptions,
        progress: Optional[Callable[[str, int, int], None]] = None) -> RunResult: ...
def default_weights(thresholds_min: list[int]) -> dict[str, float]: ...
