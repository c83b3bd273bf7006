"""Type stubs of the private engine module tierslieux._core (hand-maintained; glue of bindings/*.cpp)."""
from typing import Callable, Optional

class InputError(ValueError): ...
class IoError(OSError): ...
class GeometryError(RuntimeError): ...
class ProjectionError(RuntimeError): ...
class NotFound(KeyError): ...

Layer = dict  # {"name", "geometry_type", "crs", "wkb": list[bytes], "columns": list[(name, type, values, null)]}

def write_gpkg(path: str, layers: list[Layer], inputs: list[str] = ...) -> None: ...
def check_output_path(path: str, inputs: list[str]) -> None: ...
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

def with_changes(territory: Territory, ftth_share: dict[str, float], close_sites: list[str],
                 open_tiers_lieux: list[str], scenario: str) -> Territory: ...

class CommuteAssumptions:
    pole_commuter_share: float
    max_ratio: float
    days_per_week: float
    weeks_per_year: float
    car_share: float
    co2_g_per_km: float
    def __init__(self) -> None: ...

def criteria_catalogue() -> list[dict[str, str]]: ...
def criterion_info(name: str) -> dict[str, str]: ...
def default_building_fit() -> dict[str, float]: ...
def validate_building_fit(fit: dict[str, float]) -> None: ...
def validate_commute(assumptions: CommuteAssumptions) -> None: ...

class RunOptions:
    graph: CommuneGraphParams
    adjacency_tolerance_m: float
    thresholds_min: list[int]
    gravity_decay_min: float
    gravity_max_minutes: float
    weights: dict[str, float]
    roads_path: str
    roads_profile: SpeedProfile
    roads_clip_buffer_m: float
    max_snap_m: float
    catchment_buffer_m: float
    local_minutes: float
    commute: CommuteAssumptions
    building_fit: dict[str, float]
    normalisation: str
    stability_draws: int
    stability_concentration: float
    stability_seed: int
    def __init__(self) -> None: ...

class SpeedProfile:
    name: str
    highway_kmh: dict[str, float]
    use_maxspeed: bool
    maxspeed_factor: float
    max_kmh: float
    obey_oneway: bool
    def __init__(self) -> None: ...
    @staticmethod
    def car() -> SpeedProfile: ...

def read_osm_roads(path: str, profile: SpeedProfile, crs: str, clip_wkb: Optional[bytes] = None,
                   clip_buffer_m: float = 0.0, keep_largest_component: bool = True) -> dict: ...

class Network:
    node_count: int
    edge_count: int
    arc_count: int
    def __init__(self, x, y, edge_from, edge_to, length_m, minutes, twoway) -> None: ...
    has_hierarchy: bool
    def aggregate(self, values, max_minutes: float, kind: str, decay: str, sources, threads: int = 0,
                  progress: Optional[Callable[[int, int], None]] = None, algorithm: str = "auto"): ...
    def travel_times(self, origins, destinations, max_minutes: float, threads: int = 0,
                     progress: Optional[Callable[[int, int], None]] = None, algorithm: str = "auto"): ...
    def prepare_hierarchy(self, progress: Optional[Callable[[int, int], None]] = None) -> None: ...
    def reach(self, source: int, max_minutes: float) -> tuple: ...
    def nodes_in_range(self, sources, max_minutes: float, threads: int = 0,
                       progress: Optional[Callable[[int, int], None]] = None) -> tuple: ...
    def nearest_nodes(self, x, y) -> tuple: ...
    def strong_components(self): ...
    def component_count(self) -> int: ...

class RunResult:
    warnings: list[str]
    stage_seconds: dict[str, float]
    communes_unreachable: int
    commute_source: str
    skipped: list[tuple[str, str]]
    node_count: int
    edge_count: int
    component_count: int
    weights: dict[str, float]
    effective_weights: dict[str, float]
    graph_kind: str
    def layers(self, territory: Territory, options: RunOptions) -> list[Layer]: ...

def run(territory: Territory, options: RunOptions,
        progress: Optional[Callable[[str, int, int], None]] = None) -> RunResult: ...
def default_weights(thresholds_min: list[int]) -> dict[str, float]: ...
def max_covering(demand: list[float], covers: list[list[int]], fixed: list[bool], eligible: list[bool],
                 conflicts: list[tuple[int, int]], k: int) -> tuple[list[int], list[float], float]: ...
def p_median(demand: list[float], minutes, fixed: list[bool], eligible: list[bool],
             conflicts: list[tuple[int, int]], k: int) -> dict:
    """minutes: (sites, points), NaN = unreachable. Keys: sites, assigned, reduction, objective, reachable_demand,
    unreachable_points, unreachable_demand, unserved_points, unserved_demand."""
    ...
def median_objective(demand: list[float], minutes, sites: list[int]) -> float: ...
