"""Blank tables a planner fills in: ``tierslieux template observations`` (issue 12, the study's own field data)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Union

import pandas as pd

from ._core import InputError

PathLike = Union[str, "os.PathLike[str]"]

#: The columns of the optional ``site_observations`` table (docs/inputs.md), with the type the engine reads.
OBSERVATION_COLUMNS = {"site_id": "text", "period": "text", "visits": "real", "publics": "text", "needs": "text",
                       "uses_tested": "text", "source": "text", "date": "text"}


def observations_template(path: PathLike, lang: str = "fr") -> Path:
    """Write an empty ``site_observations`` table to fill in: ``.csv`` (UTF-8 with a byte-order mark, the header
    only) or ``.gpkg`` (an attribute table ``site_observations`` with typed fields, their titles and descriptions
    in ``lang``). One row per site and period: ``site_id`` (as in the sites layer), ``period``, ``visits``
    (counted), ``publics``, ``needs``, ``uses_tested``, ``source`` (who observed: required), ``date``. Add the
    filled table to the territory file as ``site_observations`` (docs/inputs.md). Written atomically; an existing
    file is replaced only once the new one is complete. Returns the path."""
    from . import _core
    from ._api import _titled
    from ._frames import to_layer
    from ._i18n import check_lang
    from .plot import write_atomically

    lang = check_lang(lang)
    out = Path(os.fspath(path))
    frame = pd.DataFrame({name: pd.Series(dtype=float if kind == "real" else object)
                          for name, kind in OBSERVATION_COLUMNS.items()})
    suffix = out.suffix.lower()
    if suffix == ".csv":
        return write_atomically(out, [], lambda tmp: frame.to_csv(tmp, index=False, encoding="utf-8-sig",
                                                                  lineterminator="\r\n"))
    if suffix == ".gpkg":
        _core.write_gpkg(str(out), [_titled(to_layer("site_observations", frame), lang)], [])
        return out
    raise InputError(f"template '{out}' must end in .csv or .gpkg")
