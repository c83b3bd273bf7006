"""Provenance inside the GeoPackage (issue 12): the tables run_info and diagnostics, and tl.read_run_info."""
from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Union

import pandas as pd

PathLike = Union[str, "os.PathLike[str]"]

#: Layers write_gpkg adds after the four of the run (docs/outputs.md).
LAYERS = ("run_info", "diagnostics")


def now() -> str:
    """The time of a run, UTC, ISO 8601; OGR_CURRENT_DATE (GDAL's variable for reproducible files) pins it."""
    return os.environ.get("OGR_CURRENT_DATE") or datetime.now(timezone.utc).isoformat(timespec="seconds")


def file_sha256(path: PathLike, digest=None):
    """The SHA-256 of a file's bytes, read by blocks of 1 MiB: its hex digest, or ``digest`` (a hashlib object)
    updated with them and returned, for a key that adds more to the file's bytes."""
    h = hashlib.sha256() if digest is None else digest
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest() if digest is None else h


def describe_inputs(paths: dict) -> list:
    """role -> path: each file's absolute path, size in bytes and SHA-256, as the run read it."""
    out = []
    for role, path in paths.items():
        if not path:
            continue
        p = Path(os.fspath(path)).resolve()
        try:
            sha = file_sha256(p)
            size = p.stat().st_size
        except OSError:  # gone since it was read (a scenario's weights file, say): said, not guessed
            size, sha = None, None
        out.append({"role": role, "path": str(p), "bytes": size, "sha256": sha})
    return out


_EMBEDDED_SHA: dict = {}


def reads_embedded_territory(meta) -> bool:
    """True when the run read the embedded Baronnies file (same SHA-256 as the shipped copy: a copy counts, an
    edited file does not), whose sources and licences are known (geodata/raw/LICENCES.md); any other file's are the
    file's own. The shipped file's digest is computed once per process."""
    from ._api import default_territory_path

    default = Path(default_territory_path())
    try:
        stat = default.stat()
    except OSError:
        return False
    key = (str(default), stat.st_size, stat.st_mtime_ns)
    if key not in _EMBEDDED_SHA:
        _EMBEDDED_SHA.clear()
        _EMBEDDED_SHA[key] = hashlib.sha256(default.read_bytes()).hexdigest()
    shas = {i.get("sha256") for i in (meta.inputs or []) if i.get("role") == "territory"}
    return _EMBEDDED_SHA[key] in shas


def frames(meta, lang: str = "fr") -> dict:
    """The tables run_info (key, value) and diagnostics of a ScoreRun; the ``sources`` row (data sources, vintages
    and licences, as on the maps) is in ``lang``."""
    from . import __version__
    from .plot import source_line

    settings = meta.settings
    absolute = {name: str(Path(getattr(settings, name)).resolve()) for name in ("roads", "weights_file")
                if getattr(settings, name)}
    rows = [("tool", "tierslieux"), ("version", __version__), ("created", meta.created),
            ("territory", str(Path(meta.territory_path).resolve())), ("graph_kind", meta.graph_kind),
            ("settings", settings.replace(**absolute).to_toml()),
            ("weights", json.dumps(meta.weights, sort_keys=True)),
            ("effective_weights", json.dumps(meta.effective_weights, sort_keys=True)),
            ("skipped", json.dumps(meta.skipped or {}, sort_keys=True, ensure_ascii=False)),
            ("commute_source", meta.commute_source)]
    rows += [(f"input.{i['role']}", json.dumps(i, sort_keys=True)) for i in meta.inputs]
    rows.append(("sources", source_line(meta, lang)))
    run_info = pd.DataFrame(rows, columns=["key", "value"])
    diagnostics = pd.DataFrame(
        [{"code": d.code, "text": d.text, "ids": ";".join(d.ids), "file": d.file, "layer": d.layer,
          "feature_id": d.feature_id if d.feature_id is not None else -1, "field": d.field}
         for d in meta.diagnostics],
        columns=["code", "text", "ids", "file", "layer", "feature_id", "field"])
    diagnostics["feature_id"] = diagnostics["feature_id"].astype("int64")
    return {"run_info": run_info, "diagnostics": diagnostics}


def read_run_info(path: PathLike) -> dict:
    """What a GeoPackage written by :func:`write_gpkg` says of its run: ``tool``, ``version``, ``created``,
    ``territory``, ``graph_kind``, ``settings`` (a :class:`Settings` that re-runs it: ``tl.score(territory,
    settings=...)``), ``weights``, ``effective_weights``, ``skipped``, ``commute_source``, ``inputs`` (role, path,
    bytes, sha256 of each file read) and ``diagnostics`` (list of :class:`Diagnostic`)."""
    import pyogrio

    from ._api import Diagnostic
    from ._core import InputError
    from ._settings import Settings

    p = Path(os.fspath(path))
    layers = {name for name, _ in pyogrio.list_layers(p)} if p.exists() else set()
    if "run_info" not in layers:
        raise InputError(f"'{p}' has no run_info table (it was not written by tierslieux.write_gpkg)")
    table = pyogrio.read_dataframe(p, layer="run_info")
    info = dict(zip(table["key"], table["value"]))
    out = {k: v for k, v in info.items() if not k.startswith("input.")}
    out["settings"] = Settings.loads(info["settings"], f"run_info of '{p}'")
    for key in ("weights", "effective_weights", "skipped"):
        out[key] = json.loads(info[key])
    out["inputs"] = [json.loads(v) for k, v in info.items() if k.startswith("input.")]
    diagnostics = pyogrio.read_dataframe(p, layer="diagnostics") if "diagnostics" in layers else pd.DataFrame()
    out["diagnostics"] = [
        Diagnostic(r.code, r.text, tuple(x for x in str(r.ids or "").split(";") if x), r.file or "", r.layer or "",
                   None if r.feature_id < 0 else int(r.feature_id), r.field or "")
        for r in diagnostics.itertuples(index=False)]
    return out
