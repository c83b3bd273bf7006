"""Maps of a score result (matplotlib)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Union

import geopandas as gpd

from . import _core
from ._core import InputError


def check_output(path, inputs) -> Path:
    """The checks every output path gets before anything is computed or written: the engine's check_output_path
    (not a folder, not one of the input files, however spelled) and a folder that exists or can be created."""
    out = Path(os.fspath(path))
    _core.check_output_path(str(out), [str(i) for i in inputs if i])
    for parent in [out.parent, *out.parent.parents]:
        if parent.exists():
            if not parent.is_dir():
                raise _core.IoError(f"cannot write '{out}': '{parent}' is a file, not a folder")
            break
    return out


def output_path(path, inputs) -> Path:
    """check_output, then the folder is created when missing."""
    out = check_output(path, inputs)
    out.parent.mkdir(parents=True, exist_ok=True)
    return out


def write_atomically(path, inputs, write) -> Path:
    """output_path(path, inputs), then write(temporary) and the temporary renamed over path: a failed write
    leaves the old file and no temporary (the engine's naming, so a killed writer's litter is removed next time)."""
    out = output_path(path, inputs)
    _core.remove_stale_temporaries(str(out))
    tmp = Path(_core.temporary_path(str(out)))
    try:
        write(tmp)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return out


def plot_sites(result: gpd.GeoDataFrame, path: Optional[Union[str, "os.PathLike[str]"]] = None, *, top: int = 10,
               column: Optional[str] = None, figsize=(12, 8.5)):
    """Map a score result: communes shaded by population reachable, sites sized and coloured by score, the
    ``top`` best labelled with their rank.

    Parameters
    ----------
    result: the GeoDataFrame returned by :func:`tierslieux.score`.
    path: if given, the figure is saved there (PNG at 150 dpi, written to a temporary file then renamed).
    top: how many of the best sites get a label.
    column: communes column used for shading (default: the largest ``pop_<T>min``).

    Returns the matplotlib Figure.
    """
    # the backend is the caller's (inline in a notebook, Agg on a server without display): never switched here
    import matplotlib.pyplot as plt

    from ._api import ScoreRun

    meta = result.attrs.get("tierslieux")
    if not isinstance(meta, ScoreRun):
        raise InputError("plot_sites expects the GeoDataFrame returned by tierslieux.score")
    communes = meta.communes
    if column is None:
        pops = sorted((c for c in communes.columns if c.startswith("pop_") and c.endswith("min")),
                      key=lambda c: int(c[4:-3]))
        column = pops[-1]
    if column not in communes.columns:
        raise InputError(f"column {column!r} is not in the communes layer (columns: {', '.join(communes.columns)})")

    fig = plt.figure(figsize=figsize)
    ax = fig.add_axes((0.02, 0.14, 0.96, 0.8))
    cax_communes = fig.add_axes((0.06, 0.07, 0.4, 0.022))
    cax_sites = fig.add_axes((0.54, 0.07, 0.4, 0.022))
    inside = communes[communes["in_territory"]]
    outside = communes[~communes["in_territory"]]
    vmax = float(inside[column].max())  # the colour scale follows the territory, not its bigger neighbours
    if len(outside):
        outside.plot(ax=ax, color="#e6e6e6", edgecolor="white", linewidth=0.3)
    inside.plot(ax=ax, column=column, cmap="YlGnBu", vmin=0, vmax=vmax, edgecolor="white", linewidth=0.4,
                legend=True, cax=cax_communes,
                legend_kwds={"label": f"commune: people within {column[4:-3]} min of its town hall",
                             "orientation": "horizontal"})
    territory_path = meta.territory_path
    if territory_path and "territory" in _core.layer_names(territory_path):
        # the outer ring only: communes are in the territory when inside it (geodata/README.md)
        outline = gpd.read_file(territory_path, layer="territory").to_crs(result.crs)
        outline.exterior.plot(ax=ax, color="darkgreen", linewidth=1.2)
    ordered = result.sort_values("score")
    sizes = 10 + 190 * (ordered["score"] / 100.0)
    pts = ax.scatter(ordered.geometry.x, ordered.geometry.y, s=sizes, c=ordered["score"], cmap="OrRd", vmin=0,
                     vmax=100, edgecolor="black", linewidth=0.5, zorder=3)
    fig.colorbar(pts, cax=cax_sites, orientation="horizontal",
                 label="site score (0-100); marker size grows with the score")
    best = result.nsmallest(top, "rank")
    for _, row in best.iterrows():
        ax.annotate(f"{int(row['rank'])}. {row['name']}", (row.geometry.x, row.geometry.y), xytext=(5, 5),
                    textcoords="offset points", fontsize=7, zorder=4,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "alpha": 0.75, "lw": 0})
    bounds = inside.total_bounds
    pad = 5000
    ax.set_xlim(bounds[0] - pad, bounds[2] + pad)
    ax.set_ylim(bounds[1] - pad, bounds[3] + pad)
    ax.set_title(f"Tiers-lieu potential of {len(result)} candidate sites (top {top} labelled); "
                 "green line: territory outline (approximate)", fontsize=10)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if path is not None:
        write_atomically(path, meta.input_paths(), lambda tmp: fig.savefig(tmp, dpi=150))
    return fig
