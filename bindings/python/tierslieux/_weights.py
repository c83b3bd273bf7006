"""Weights files: a planner's weights per criterion, in TOML. Internal; see tl.load_weights and docs/criteria.md."""
from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Dict, Mapping, Optional, Sequence, Union

from . import _core
from ._core import InputError, IoError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python < 3.11
    import tomli as tomllib

PathLike = Union[str, "os.PathLike[str]"]
_ALLOWED_TOP = ("title", "description", "weights", "building_fit", "commute")
#: Keys of the [commute] table (tierslieux.CommuteAssumptions fields; docs/criteria.md gives their sources).
COMMUTE_KEYS = ("pole_commuter_share", "max_ratio", "days_per_week", "weeks_per_year", "car_share", "co2_g_per_km")


def read_toml(path: PathLike, what: str) -> "tuple[Path, dict]":
    """The path and the parsed TOML of a file; errors name it as "<what> '<path>'" (e.g. "weights file")."""
    p = Path(path)
    try:
        text = p.read_bytes()
    except FileNotFoundError:
        raise IoError(f"{what} '{p}' does not exist") from None
    except OSError as e:
        raise IoError(f"{what} '{p}' could not be read: {e.strerror or e}") from None
    try:
        return p, tomllib.loads(text.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise InputError(f"{what} '{p}' is not UTF-8 text ({e.reason} at byte {e.start})") from None
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{what} '{p}' is not valid TOML: {e}") from None


def _read(path: PathLike) -> "tuple[Path, dict]":
    p, doc = read_toml(path, "weights file")
    extra = [k for k in doc if k not in _ALLOWED_TOP]
    if extra:
        raise InputError(f"weights file '{p}': unexpected key '{extra[0]}' at the top level (allowed: "
                         f"{', '.join(_ALLOWED_TOP)}; criterion weights go in the [weights] table)")
    for key in ("title", "description"):
        if key in doc and not isinstance(doc[key], str):
            raise InputError(f"weights file '{p}': {key} must be a string")
    return p, doc


def _numbers(p: Path, doc: dict, table_name: str, what: str, kind: str = "weights file") -> Dict[str, float]:
    table = doc.get(table_name, {})
    if not isinstance(table, dict):
        raise InputError(f"{kind} '{p}': {table_name} must be a table ([{table_name}])")
    out: Dict[str, float] = {}
    for name, value in table.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"{kind} '{p}': {what} of '{name}' must be a number, not {value!r}")
        if not math.isfinite(value) or value < 0:
            raise InputError(f"{kind} '{p}': {what} of '{name}' must be a finite number >= 0 (got {value})")
        out[str(name)] = float(value)
    return out


def load_settings(path: PathLike) -> "tuple[Dict[str, float], Dict[str, float], Dict[str, float]]":
    """(weights, building_fit, commute) of a weights file; the last two are optional tables."""
    return tables(*_read(path))


def tables(p: Path, doc: dict, require_weights: bool = True, kind: str = "weights file"
           ) -> "tuple[Dict[str, float], Dict[str, float], Dict[str, float]]":
    """(weights, building_fit, commute) of a parsed weights or settings file, checked; errors name the file as
    "<kind> '<path>'"."""
    weights = _weights_table(p, doc, kind) if require_weights or "weights" in doc else {}
    fit = _numbers(p, doc, "building_fit", "building fit", kind)
    commute = _numbers(p, doc, "commute", "commute assumption", kind)
    unknown = [k for k in commute if k not in COMMUTE_KEYS]
    if unknown:
        raise InputError(f"{kind} '{p}': [commute] has no key '{unknown[0]}' (keys: {', '.join(COMMUTE_KEYS)})")
    # the engine's own checks, now, so that their messages name the file
    assumptions = _core.CommuteAssumptions()
    for key, value in commute.items():
        setattr(assumptions, key, value)
    try:
        _core.validate_building_fit(fit)
        _core.validate_commute(assumptions)
    except InputError as e:
        raise InputError(f"{kind} '{p}': {e}") from None
    return weights, fit, commute


def load_weights(path: PathLike) -> Dict[str, float]:
    """Read the ``[weights]`` table of a TOML file: one ``name = number`` line per criterion.

    Optional top-level ``title`` and ``description`` strings say whose weights they are; optional
    ``[building_fit]`` (value 0–1 per site kind) and ``[commute]`` (commute assumptions) tables are read by
    :func:`tierslieux.score` when it is given the file. The names are checked
    by :func:`tierslieux.score` (unknown names raise ``ValueError`` listing the valid ones); here every value must
    be a finite number >= 0. Errors name the file and the key. Example::

        title = "Youth council, March 2027"
        [weights]
        pop_15min = 2      # demand close by counts double
        ftth_share = 0     # drop broadband
    """
    return _weights_table(*_read(path))


def _weights_table(p: Path, doc: dict, kind: str = "weights file") -> Dict[str, float]:
    if not isinstance(doc.get("weights"), dict):
        raise InputError(f"{kind} '{p}' has no [weights] table (one 'name = number' line per criterion)")
    return _numbers(p, doc, "weights", "weight", kind)


def resolve(weights: Optional[Union[Mapping[str, float], PathLike]]
            ) -> "tuple[Dict[str, float], Dict[str, float], Dict[str, float], Optional[str]]":
    """(weights, building_fit, commute, file) from a mapping or a TOML file path, the file read once; a mapping
    has no tables and no file."""
    if weights is None:
        return {}, {}, {}, None
    if isinstance(weights, (str, os.PathLike)):
        return (*load_settings(weights), os.fspath(weights))
    if not isinstance(weights, Mapping):
        raise TypeError(f"weights must be a mapping or the path of a TOML file, not {type(weights).__name__}")
    out = {}
    for name, value in weights.items():
        try:
            out[str(name)] = float(value)
        except (TypeError, ValueError):
            raise InputError(f"weight of '{name}' must be a number, not {value!r}") from None
    return out, {}, {}, None


def numbers(values: Optional[Mapping[str, float]], what: str, keys: Optional[Sequence[str]] = None
            ) -> Dict[str, float]:
    """A mapping of finite numbers >= 0 given in Python (building_fit=, commute=), checked like a file's tables."""
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise TypeError(f"{what} must be a mapping, not {type(values).__name__}")
    out = {}
    for name, value in values.items():
        if keys is not None and name not in keys:
            raise InputError(f"{what}: no key '{name}' (keys: {', '.join(keys)})")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise InputError(f"{what} of '{name}' must be a finite number >= 0, not {value!r}")
        out[str(name)] = float(value)
    return out
