"""tl.Settings: every option of a run in one typed, frozen, serialisable object (issue 11)."""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import numbers
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple, Union

from . import _core, _weights
from ._core import InputError

PathLike = Union[str, "os.PathLike[str]"]

MAX_STABILITY_DRAWS = 1_000_000  # the default is 1 000; a million already takes minutes on the default territory


def _opt(default, unit: str, help: str, flag: Optional[str] = None, **kw):
    """A field with its unit and help text (they make the command line's options and the docs)."""
    metadata = {"unit": unit, "help": help, "flag": flag, **kw}
    if isinstance(default, dict):
        return field(default_factory=dict, metadata=metadata)
    return field(default=default, metadata=metadata)


def whole_number(value, name: str, lo: int, hi: int) -> int:
    """The one range check of a whole-number argument, made before it is converted to one of the engine's
    fixed-size integers (which would fail with a bare TypeError): an InputError naming the argument and the range."""
    try:
        ok = not isinstance(value, bool) and math.isfinite(float(value)) and float(value) == int(float(value))
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok or not lo <= int(float(value)) <= hi:
        raise InputError(f"{name} must be a whole number in [{lo}, {hi}] (got {value!r})")
    return int(float(value))


def _number(value, name: str) -> float:
    """A real option as a float (numbers and numeric text, as float() reads them); an InputError otherwise."""
    try:
        if isinstance(value, bool):
            raise TypeError
        return float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number (got {value!r})") from None


@dataclass(frozen=True)
class Settings:
    """Every option of a run, with its default, unit and check in one place; used by :func:`tierslieux.score`,
    the command line (``tierslieux run|portfolio|compare`` share these options) and :func:`run_scenario`.

    Frozen: make a variant with ``settings.replace(thresholds=(20,))``. :meth:`to_toml` / :meth:`from_toml` write
    and read it (a weights file is a settings file with only the ``[weights]``, ``[building_fit]`` and
    ``[commute]`` tables). Ranges are checked by the engine's own validation when the object is made, so a bad
    value is refused at once, with the engine's message.
    """

    thresholds: Tuple[int, ...] = _opt((15, 30), "minutes", "catchment thresholds; one pop_<T>min criterion each",
                                       nargs="+", metavar="MIN")
    weights: Mapping[str, float] = _opt({}, "", "weight per criterion, merged over the defaults (0 drops one)")
    building_fit: Mapping[str, float] = _opt({}, "0-1", "fit per site kind, merged over the default table")
    commute: Mapping[str, float] = _opt({}, "", "commute assumptions, merged over the sourced defaults")
    weights_file: Optional[str] = _opt(None, "", "where weights, building_fit and commute were read from (a record)")
    normalisation: str = _opt("min-max", "", "how criteria are brought to 0-1 before weighting",
                              choices=["min-max", "rank", "z-score"])
    local_minutes: float = _opt(15.0, "minutes", "local catchment of the broadband, commute and competition criteria")
    gravity_decay_min: float = _opt(20.0, "minutes", "gravity accessibility: decay of exp(-minutes / decay)")
    gravity_max_minutes: float = _opt(90.0, "minutes", "gravity accessibility: communes farther add nothing")
    detour_factor: float = _opt(1.5, "", "commune graph: road distance / straight distance")
    speed_kmh: float = _opt(50.0, "km/h", "commune graph: mean speed")
    access_speed_kmh: float = _opt(50.0, "km/h", "speed of the access leg from a site or town hall to the graph")
    adjacency_tolerance_m: float = _opt(50.0, "m", "commune outlines closer than this share a border")
    roads: Optional[str] = _opt(None, "", "OpenStreetMap extract: travel times on its roads instead of the commune "
                                "graph", metavar="FILE.osm.pbf")
    roads_buffer_m: float = _opt(5000.0, "m", "keep the roads within this distance of the communes")
    max_snap_m: float = _opt(1000.0, "m", "town halls and sites farther from a road are not snapped, and reported")
    catchment_buffer_m: float = _opt(150.0, "m", "road catchments: reached roads grown by this many metres")
    crs: str = _opt("EPSG:2154", "", "metric CRS of the work and the outputs", metavar="CRS")
    assume_crs: Optional[str] = _opt(None, "", "CRS of input layers that declare none, e.g. EPSG:4326",
                                     metavar="CRS")
    stability_draws: int = _opt(1000, "draws", "weight draws for p_top10, rank_p05, rank_p95 (0: none)",
                                metavar="N")
    stability_seed: int = _opt(20261128, "", "seed of those draws", flag="--seed")
    stability_concentration: float = _opt(50.0, "", "Dirichlet concentration of the draws (larger: tighter)")
    # which weight names came from weights_file (to name the file in an error about one); not part of equality
    file_weight_names: frozenset = field(default=frozenset(), compare=False, repr=False)

    def __post_init__(self):
        thresholds = self.thresholds
        if isinstance(thresholds, (str, bytes)) or not hasattr(thresholds, "__iter__"):
            raise InputError(f"thresholds must be a list of whole minutes (got {thresholds!r})")
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731 - frozen: the one place
        set_("thresholds", tuple(whole_number(t, "thresholds (minutes)", 1, 1440) for t in thresholds))
        set_("stability_draws", whole_number(self.stability_draws, "stability_draws", 0, MAX_STABILITY_DRAWS))
        seed = self.stability_seed
        whole = isinstance(seed, numbers.Integral) or (isinstance(seed, float) and seed.is_integer())
        if not whole or isinstance(seed, bool) or not 0 <= int(seed) < 2**64:
            raise InputError(f"stability_seed must be a whole number in [0, 2**64) (got {seed!r})")
        set_("stability_seed", int(seed))  # int(), not float(): seeds above 2**53 stay exact
        for f in dataclasses.fields(self):
            if f.type == "float":
                set_(f.name, _number(getattr(self, f.name), f.name))
        for name in ("roads", "weights_file", "assume_crs"):
            if getattr(self, name) is not None:
                set_(name, os.fspath(getattr(self, name)))
        weights, _, _, _ = _weights.resolve(dict(self.weights) if isinstance(self.weights, Mapping) else
                                            self.weights)
        set_("weights", weights)
        set_("building_fit", _weights.numbers(self.building_fit, "building_fit"))
        set_("commute", _weights.numbers(self.commute, "commute", _weights.COMMUTE_KEYS))
        set_("normalisation", str(self.normalisation))
        set_("crs", str(self.crs))
        _core.validate_run_options(self.to_options())

    # --- conversions
    def replace(self, **changes) -> "Settings":
        """A copy with these fields changed (checked like a new object)."""
        return dataclasses.replace(self, **changes)

    def to_options(self) -> "_core.RunOptions":
        """The engine's RunOptions."""
        options = _core.RunOptions()
        graph = _core.CommuneGraphParams()
        graph.detour_factor = self.detour_factor
        graph.speed_kmh = self.speed_kmh
        graph.access_speed_kmh = self.access_speed_kmh
        options.graph = graph
        options.thresholds_min = list(self.thresholds)
        options.gravity_decay_min = self.gravity_decay_min
        options.gravity_max_minutes = self.gravity_max_minutes
        options.adjacency_tolerance_m = self.adjacency_tolerance_m
        options.roads_path = self.roads or ""
        options.roads_clip_buffer_m = self.roads_buffer_m
        options.max_snap_m = self.max_snap_m
        options.catchment_buffer_m = self.catchment_buffer_m
        options.normalisation = self.normalisation
        options.stability_draws = self.stability_draws
        options.stability_seed = self.stability_seed
        options.stability_concentration = self.stability_concentration
        options.weights = dict(self.weights)
        options.building_fit = dict(self.building_fit)
        c = _core.CommuteAssumptions()
        for key, value in self.commute.items():
            setattr(c, key, value)
        options.commute = c
        options.local_minutes = self.local_minutes
        return options

    def to_dict(self) -> Dict[str, Any]:
        """Every field (the record that re-runs the same result), as plain Python values."""
        return {f.name: (dict(v) if isinstance(v, Mapping) else list(v) if isinstance(v, tuple) else v)
                for f in dataclasses.fields(self) if f.compare for v in [getattr(self, f.name)]}

    def to_toml(self, path: Optional[PathLike] = None) -> str:
        """The settings as TOML (every field; None fields are left out), written to ``path`` when given."""
        lines, tables = ["# tierslieux settings (tl.Settings.from_toml reads them back)"], []
        for name, value in self.to_dict().items():
            if isinstance(value, dict):
                tables.append(f"\n[{name}]")
                tables += [f"{json.dumps(k)} = {_toml_value(v)}" for k, v in sorted(value.items())]
            elif value is not None:
                lines.append(f"{name} = {_toml_value(value)}")
        text = "\n".join(lines + tables) + "\n"
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def from_toml(cls, path: PathLike) -> "Settings":
        """Settings from a TOML file: top-level options (names of the fields) and the tables ``[weights]``,
        ``[building_fit]``, ``[commute]`` (a weights file is one). Errors name the file."""
        p, doc = _weights.read_toml(path, "settings file")
        return cls._from_doc(p, doc)

    @classmethod
    def loads(cls, text: str, name: str = "settings") -> "Settings":
        """Settings from TOML text (as :meth:`to_toml` writes it); errors name it as ``name``."""
        try:
            doc = _weights.tomllib.loads(text)
        except _weights.tomllib.TOMLDecodeError as e:
            raise InputError(f"{name} is not valid TOML: {e}") from None
        return cls._from_doc(Path(name), doc, keep_weights_file=True)

    @classmethod
    def _from_doc(cls, p: Path, doc: dict, keep_weights_file: bool = False) -> "Settings":
        known = {f.name for f in dataclasses.fields(cls) if f.compare}
        unknown = [k for k in doc if k not in known | {"title", "description"}]
        if unknown:
            raise InputError(f"settings file '{p}': unknown option '{unknown[0]}' "
                             f"(options: {', '.join(sorted(known))})")
        tables = dict(zip(("weights", "building_fit", "commute"),
                          _weights.tables(p, doc, require_weights=False, kind="settings file")))
        values = {k: v for k, v in doc.items() if k in known and k not in tables}
        if any(name in doc for name in tables) and not keep_weights_file:
            values["weights_file"] = str(p)  # the weights and tables now come from this file
        for name in ("roads", "weights_file"):  # relative to the file's folder, as in scenario files
            if isinstance(values.get(name), str) and not Path(values[name]).is_absolute():
                values[name] = str(p.parent / values[name])
        try:
            return cls(**values, **tables, file_weight_names=frozenset(tables.get("weights", {})))
        except (InputError, TypeError) as e:
            raise InputError(f"settings file '{p}': {e}") from None

    @classmethod
    def from_keywords(cls, weights=None, building_fit=None, commute=None, **options) -> "Settings":
        """Settings from tl.score's keyword arguments: ``weights`` is a mapping or the path of a weights file
        (whose tables come under building_fit and commute)."""
        given, fit, assumptions, weights_file = _weights.resolve(weights)
        fit.update(_weights.numbers(building_fit, "building_fit"))
        assumptions.update(_weights.numbers(commute, "commute", _weights.COMMUTE_KEYS))
        return cls(weights=given, building_fit=fit, commute=assumptions, weights_file=weights_file,
                   file_weight_names=frozenset(given) if weights_file else frozenset(), **options)

    # --- the command line
    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """The options of a run, for every subcommand (run, portfolio, compare): one per field, plus --weights
        FILE.toml (a weights or settings file) and --weight NAME=VALUE."""
        parser.add_argument("--settings", metavar="FILE.toml",
                            help="settings file (tl.Settings.to_toml); the options below override it")
        parser.add_argument("--weights", metavar="FILE.toml",
                            help="weights file: a [weights] table of name = number (docs/criteria.md), merged over "
                                 "the defaults; its [building_fit] and [commute] tables apply too")
        parser.add_argument("--weight", metavar="NAME=VALUE", action="append", type=_weight, default=[],
                            help="weight of a criterion (repeatable), merged over the defaults and --weights; 0 "
                                 "drops it")
        for f in dataclasses.fields(cls):
            if f.name in ("weights", "building_fit", "commute", "weights_file") or not f.compare:
                continue
            meta = f.metadata
            flag = meta.get("flag") or "--" + f.name.replace("_", "-")
            kind = {"float": float, "int": int}.get(f.type, str)
            default = f.default
            unit = f" ({meta['unit']})" if meta.get("unit") else ""
            shown = " ".join(map(str, default)) if isinstance(default, tuple) else "none" if default is None else default
            kw = {"dest": f.name, "default": None, "help": f"{meta['help']}{unit}; default {shown}"}
            if meta.get("choices"):
                kw["choices"] = meta["choices"]
            if meta.get("nargs"):
                kw.update(nargs=meta["nargs"], type=int)
            else:
                kw["type"] = kind
            if not meta.get("choices"):
                kw["metavar"] = meta.get("metavar") or ("N" if kind in (int, float) else "TEXT")
            parser.add_argument(flag, **kw)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> "Settings":
        """Settings from the options of :meth:`add_arguments`: --settings, then --weights (a file's tables), then
        --weight and the other options given."""
        base = cls.from_toml(args.settings) if getattr(args, "settings", None) else cls()
        if getattr(args, "weights", None):
            weights, fit, commute = _weights.load_settings(args.weights)
            base = base.replace(weights={**base.weights, **weights}, building_fit={**base.building_fit, **fit},
                                commute={**base.commute, **commute}, weights_file=os.fspath(args.weights),
                                file_weight_names=frozenset(weights))
        given = {f.name: getattr(args, f.name) for f in dataclasses.fields(cls)
                 if f.compare and getattr(args, f.name, None) is not None
                 and f.name not in ("weights", "building_fit", "commute", "weights_file")}
        weights = dict(getattr(args, "weight", []) or [])
        names = base.file_weight_names - set(weights)
        return base.replace(**given, weights={**base.weights, **weights}, file_weight_names=names)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if not isinstance(value, float) or math.isfinite(value) else json.dumps(str(value))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value))  # a TOML basic string: JSON's escapes are TOML's


def _weight(text: str):
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"weight of {name!r} must be a number, got {value!r}") from None
