"""Maps of a score result and of a chosen set of sites (matplotlib), made to be shown to an elected council.

Both maps share one frame (``_MapFrame``): communes, the territory outline when the file has one, the names of
the main towns, a scale bar (:func:`add_scale_bar`), a north arrow (:func:`add_north_arrow`), a source line
(:func:`source_line`, :func:`add_source_line`), and one label placement that never lets two labels overlap
(:class:`LabelPlacer`). The matplotlib backend is the caller's: nothing here switches it (a notebook keeps its
inline plots).
"""
from __future__ import annotations

import os
import textwrap
import warnings
from pathlib import Path
from typing import Optional, Union

import geopandas as gpd
import numpy as np
from shapely.geometry import box as extent_box

from . import _core
from ._core import InputError
from ._i18n import check_lang, criterion_title, kind_label, number, percent
from ._provenance import reads_embedded_territory

PathLike = Union[str, "os.PathLike[str]"]


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


# ---------------------------------------------------------------------------------------------------------------
# Words on the maps (French by default; _i18n has the shared vocabulary: kinds, criteria, numbers)

_WORDS = {
    "fr": {
        "sites_title": "Potentiel tiers-lieu des {n} sites candidats",
        "sites_title_one": "Potentiel tiers-lieu du site candidat",
        "top_numbered": "les {top} mieux classés portent leur rang",
        "top_numbered_one": "le mieux classé porte son rang",
        "outline_said": "trait vert : contour du territoire{approx}",
        "approx": " (approximatif)",
        "outline": "Contour du territoire{approx}",
        "neighbours": "Communes voisines (hors territoire)",
        "score": "Score de potentiel (0–100, relatif aux {n} sites comparés)\ncouleur et taille du symbole",
        "communes_pop": "Communes : habitants à moins de\n{t} min de leur mairie",
        "communes_other": "Communes : {title}",
        "kinds": "Type de bâtiment",
        "portfolio_title": "{k} sites choisis ensemble : {share} des habitants du territoire à moins de {t} min",
        "portfolio_title_one": "1 site choisi : {share} des habitants du territoire à moins de {t} min",
        "portfolio_title_all": "{k} sites choisis ensemble : {share} des habitants (territoire et voisins) "
                               "à moins de {t} min",
        "portfolio_title_all_one": "1 site choisi : {share} des habitants (territoire et voisins) à moins de {t} min",
        "order": "numéro : ordre de choix",
        "catchment_said": "traits de couleur : bassin à {t} min de chaque site",
        "catchment_none": "bassins à {t} min non dessinés (le calcul n'en a produit qu'à {have} min sur le graphe "
                          "routier) : les communes sont colorées selon leur temps d'accès",
        "catchment_key": "Bassin à {t} min d'un site choisi",
        "catchment_key_communes": "Bassin à {t} min d'un site choisi\n(communes à moins de {t} min)",
        "chosen_key": "Site choisi (numéro : ordre de choix)",
        "others_key": "Autres sites candidats",
        "minutes_title": "Temps jusqu'au site choisi le plus proche",
        "less_than": "moins de {a} min",
        "between": "de {a} à {b} min",
        "more_than": "plus de {a} min",
        "unreachable": "non relié",
        "gain": "+{people} hab.",
        "chosen_list": "Ordre de choix (habitants gagnés à moins de {t} min)",
        "km": "km",
        "north": "N",
        "and": "et",
        "source_other": "Données : {file} (sources et licences : celles de ce fichier).",
        "computed": "Calcul : tierslieux {version}, {date}.",
    },
    "en": {
        "sites_title": "Tiers-lieu potential of the {n} candidate sites",
        "sites_title_one": "Tiers-lieu potential of the candidate site",
        "top_numbered": "the {top} best ranked carry their rank",
        "top_numbered_one": "the best ranked carries its rank",
        "outline_said": "green line: territory outline{approx}",
        "approx": " (approximate)",
        "outline": "Territory outline{approx}",
        "neighbours": "Neighbouring communes (outside the territory)",
        "score": "Potential score (0–100, relative to the {n} sites compared)\ncolour and size of the symbol",
        "communes_pop": "Communes: people within\n{t} min of their town hall",
        "communes_other": "Communes: {title}",
        "kinds": "Kind of building",
        "portfolio_title": "{k} sites chosen together: {share} of the territory's people within {t} min",
        "portfolio_title_one": "1 site chosen: {share} of the territory's people within {t} min",
        "portfolio_title_all": "{k} sites chosen together: {share} of the people (territory and neighbours) "
                               "within {t} min",
        "portfolio_title_all_one": "1 site chosen: {share} of the people (territory and neighbours) within {t} min",
        "order": "number: order of choice",
        "catchment_said": "coloured lines: area within {t} min of each site",
        "catchment_none": "areas within {t} min not drawn (the run made them only at {have} min on the road "
                          "graph): communes are shaded by their travel time",
        "catchment_key": "Area within {t} min of a chosen site",
        "catchment_key_communes": "Area within {t} min of a chosen site\n(communes within {t} min)",
        "chosen_key": "Chosen site (number: order of choice)",
        "others_key": "Other candidate sites",
        "minutes_title": "Minutes to the nearest chosen site",
        "less_than": "under {a} min",
        "between": "{a} to {b} min",
        "more_than": "over {a} min",
        "unreachable": "not connected",
        "gain": "+{people} people",
        "chosen_list": "Order of choice (people gained within {t} min)",
        "km": "km",
        "north": "N",
        "and": "and",
        "source_other": "Data: {file} (sources and licences: those of this file).",
        "computed": "Computed with tierslieux {version}, {date}.",
    },
}

#: Attribution of the embedded Baronnies territory (geodata/raw/LICENCES.md: "any map made from it should carry
#: the attributions below"), shortened to what a map can hold; the file gives the full record.
_BARONNIES_SOURCES = {
    "fr": "Sources : INSEE (COG et populations légales 2026, RP 2021, aires d'attraction des villes 2020) ; "
          "IGN ADMIN EXPRESS (communes 2018 simplifiées par france-geojson, chefs-lieux 2023) ; MNHN/INPN (contour "
          "simplifié du Parc) ; ANCT (France services 2024, conseillers numériques, Cartographie nationale) ; "
          "Hinaura ; Région Sud ; La Poste (points de contact 2020) ; ARCEP (Ma connexion internet 2024) ; "
          "communes membres compilées de sources publiques. Licence Ouverte (Etalab), sauf Région Sud et "
          "« Communes et villes de France » (licence non vérifiée) : geodata/raw/LICENCES.md.",
    "en": "Sources: INSEE (COG and legal populations 2026, census 2021, urban areas 2020); IGN ADMIN EXPRESS "
          "(communes 2018 simplified by france-geojson, chefs-lieux 2023); MNHN/INPN (simplified park outline); "
          "ANCT (France services 2024, conseillers numériques, Cartographie nationale); Hinaura; Région Sud; "
          "La Poste (contact points 2020); ARCEP (Ma connexion internet 2024); member communes compiled from "
          "public sources. Licence Ouverte (Etalab), except Région Sud and \"Communes et villes de France\" "
          "(licence unverified): geodata/raw/LICENCES.md.",
}

#: Marker per kind of building (kinds of geodata/README.md rule 8); other kinds take the spare ones in turn.
_KIND_MARKERS = {"town_hall": "o", "france_services": "D", "library": "s", "post_office": "v",
                 "espace_numerique": "P", "social_centre": "h", "information_jeunesse": "^", "school": "p",
                 "tiers_lieu": "*", "association": "<", "other": "X"}
_SPARE_MARKERS = (">", "d", "8", "H", "X", "<", "*")
#: Area factor so that the shapes look the same size (a diamond or a star of the same area looks smaller).
_MARKER_AREA = {"o": 1.0, "D": 0.75, "s": 0.8, "v": 1.15, "^": 1.15, "<": 1.15, ">": 1.15, "P": 1.1, "h": 1.0,
                "H": 1.0, "p": 1.1, "*": 1.9, "X": 1.0, "d": 1.1, "8": 1.0}

_OUTLINE_COLOUR = "#1b7a3a"
_NEIGHBOUR_COLOUR = "#ebebeb"
_LABEL_GAP_PX = 2.0  # labels and obstacles keep at least this much apart (display pixels)


def _w(lang: str, key: str, **values) -> str:
    return _WORDS[lang][key].format(**values)


_SITE_COLUMNS = ("site_id", "name", "kind", "score", "rank")


def _run_of(result, function: str):
    from ._api import ScoreRun

    meta = result.attrs.get("tierslieux") if isinstance(result, gpd.GeoDataFrame) else None
    if not isinstance(meta, ScoreRun):
        raise InputError(f"{function} expects the GeoDataFrame returned by tierslieux.score")
    missing = [c for c in _SITE_COLUMNS if c not in result.columns]
    if missing:
        raise InputError(f"{function}: the sites table lacks the column(s) {', '.join(missing)} of a "
                         "tierslieux.score result")
    return meta


def _count(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise InputError(f"{name} must be a whole number >= 0 (got {value!r})")
    return int(value)


def _image_format(path) -> str:
    """The file format of an output path, from its extension (PNG when there is none): refused before any work
    when matplotlib cannot write it."""
    from matplotlib.backend_bases import FigureCanvasBase

    suffix = Path(os.fspath(path)).suffix.lower().lstrip(".")
    formats = FigureCanvasBase.get_supported_filetypes()
    if suffix and suffix not in formats:
        raise InputError(f"cannot write a map to '{path}': '.{suffix}' is not an image format matplotlib writes "
                         f"(use one of: {', '.join('.' + f for f in sorted(formats))})")
    return suffix or "png"


def _save(fig, path, meta, fmt: str) -> None:
    # PNG at zlib level 1: a quarter faster to write than the default level 6, for a file 2 % larger
    extra = {"pil_kwargs": {"compress_level": 1}} if fmt == "png" else {}
    write_atomically(path, meta.input_paths(), lambda tmp: fig.savefig(tmp, dpi=150, format=fmt, **extra))


def _truncated(name: str, low: float, high: float):
    """A colour map cut to [low, high] of its range (no near-white end: nothing pale on the map)."""
    from matplotlib import colormaps
    from matplotlib.colors import ListedColormap

    return ListedColormap(colormaps[name](np.linspace(low, high, 256)), name=f"{name}_{low:g}_{high:g}")


def source_line(meta, lang: str = "fr", source: Optional[str] = None) -> str:
    """The source and licence line of a map of this run: the embedded territory's attributions (from
    geodata/raw/LICENCES.md) or, for another file, its name (its sources are the file's own; nothing is guessed);
    ``source`` replaces that first part. The tool, its version and the date of the run close the line."""
    from . import __version__

    lang = check_lang(lang)
    if source is None:
        if reads_embedded_territory(meta):
            source = _BARONNIES_SOURCES[lang]
        else:
            name = Path(meta.territory_path).name if meta.territory_path else "?"
            source = _w(lang, "source_other", file=name)
    date = (meta.created or "")[:10]
    if lang == "fr" and len(date) == 10:
        date = f"{date[8:10]}/{date[5:7]}/{date[:4]}"
    computed = _w(lang, "computed", version=__version__, date=date)
    if not date:  # a run without its date: none is made up
        computed = computed.replace(", .", ".")
    return f"{source} {computed}".strip()


# ---------------------------------------------------------------------------------------------------------------
# Shared pieces of both maps: scale bar, north arrow, source line, label placement


def _nice_length(target: float) -> float:
    """The largest 1, 2, 2.5 or 5 × 10^n not above target (target > 0)."""
    exponent = np.floor(np.log10(target))
    for step in (5.0, 2.5, 2.0, 1.0):
        if step * 10 ** exponent <= target:
            return float(step * 10 ** exponent)
    return float(10 ** exponent)


def add_scale_bar(ax, crs, lang: str = "fr", *, fraction: float = 0.2):
    """A scale bar in kilometres in the lower left corner of a map in a projected CRS: about ``fraction`` of the
    map's width, rounded to 1, 2, 2.5 or 5 × 10^n km, drawn in data units (so it is exact whatever the figure's
    size). Returns the bar's artists; a map in a geographic CRS (degrees) gets none, with a DataWarning saying why
    (a degree is not a fixed length)."""
    from matplotlib.patches import Rectangle
    from pyproj import CRS

    from ._api import DataWarning

    crs = CRS.from_user_input(crs)
    if crs.is_geographic:
        warnings.warn(DataWarning(f"no scale bar: the map is in a geographic CRS ({crs.name}), where a degree is "
                                  "not a fixed length; project it (e.g. EPSG:2154) to get one"), stacklevel=3)
        return []
    metres = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    km = _nice_length((x1 - x0) * metres / 1000.0 * fraction)
    length = km * 1000.0 / metres  # data units
    parts = 4 if _decimals(km / 4) <= 1 else 2  # 20 km in 4 × 5 km, 5 km in 2 × 2.5 km
    left, bottom = x0 + 0.03 * (x1 - x0), y0 + 0.045 * (y1 - y0)
    height = 0.012 * (y1 - y0)
    artists = []
    for i in range(parts):
        rect = Rectangle((left + i * length / parts, bottom), length / parts, height,
                         facecolor="black" if i % 2 == 0 else "white", edgecolor="black", linewidth=0.8, zorder=6,
                         gid="scale-bar")
        ax.add_patch(rect)
        artists.append(rect)
    for value in (0.0, km / 2, km):
        text = number(value, lang, _decimals(value))
        end = value == km
        artists.append(ax.text(left + value * 1000.0 / metres, bottom + height * 1.6,
                               f"{text} {_w(lang, 'km')}" if end else text, ha="center", va="bottom", fontsize=8,
                               zorder=6, path_effects=_halo(3.0), gid="scale-bar-label" if end else "scale-bar-tick"))
    return artists


def _decimals(value: float) -> int:
    """Decimals needed to write value (0, 1 or 2): 5 -> 0, 2.5 -> 1, 1.25 -> 2."""
    for d in (0, 1):
        if abs(round(value, d) - value) < 1e-9:
            return d
    return 2


def _north_angle(ax, crs) -> float:
    """Angle (radians, clockwise from the map's up) of true north at the centre of the map: the meridian
    convergence of a projected CRS (about 2° in the Baronnies on Lambert-93); 0 when it cannot be computed."""
    from pyproj import CRS, Transformer

    crs = CRS.from_user_input(crs)
    if crs.is_geographic:
        return 0.0
    try:
        x = sum(ax.get_xlim()) / 2
        y = sum(ax.get_ylim()) / 2
        to_geo = Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
        lon, lat = to_geo.transform(x, y)
        xn, yn = Transformer.from_crs(crs.geodetic_crs, crs, always_xy=True).transform(lon, min(lat + 0.05, 89.9))
        angle = float(np.arctan2(xn - x, yn - y))
        return angle if np.isfinite(angle) else 0.0
    except Exception:  # an exotic CRS pyproj cannot invert: the arrow points up, as on most maps
        return 0.0


def add_north_arrow(ax, crs, lang: str = "fr", *, where=(0.035, 0.93)):
    """A north arrow in the upper left corner of the map, turned to true north at the map's centre (meridian
    convergence). Returns its artists (arrow, letter)."""
    angle = _north_angle(ax, crs)
    length = 26.0  # points
    dx, dy = np.sin(angle) * length, np.cos(angle) * length
    arrow = ax.annotate("", xy=where, xycoords="axes fraction", xytext=(-dx, -dy), textcoords="offset points",
                        arrowprops={"arrowstyle": "-|>,head_width=0.45,head_length=0.9", "color": "black", "lw": 1.6,
                                    "shrinkA": 0, "shrinkB": 0}, zorder=6, gid="north-arrow")
    letter = ax.annotate(_w(lang, "north"), xy=where, xycoords="axes fraction",
                         xytext=(np.sin(angle) * 5, np.cos(angle) * 5), textcoords="offset points", ha="center",
                         va="bottom", fontsize=11, fontweight="bold", zorder=6, gid="north-letter",
                         path_effects=_halo(3.0))
    return [arrow, letter]


def add_source_line(fig, text: str, *, fontsize: float = 6.8):
    """The source and licence line at the bottom of the figure, wrapped to the figure's width."""
    width_pt = fig.get_figwidth() * 72 * 0.97
    chars = max(40, int(width_pt / (0.56 * fontsize)))
    return fig.text(0.012, 0.008, textwrap.fill(text, chars), ha="left", va="bottom", fontsize=fontsize,
                    color="#444444", gid="source-line")


def _renderer(fig):
    get = getattr(fig.canvas, "get_renderer", None)
    return get() if get is not None else fig._get_renderer()


def _box(bb, gap: float = _LABEL_GAP_PX) -> np.ndarray:
    return np.array([bb.x0 - gap, bb.y0 - gap, bb.x1 + gap, bb.y1 + gap])


def _overlap(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Overlap area of box with each of boxes (n × 4 arrays of x0, y0, x1, y1)."""
    if len(boxes) == 0:
        return np.zeros(0)
    w = np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0])
    h = np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1])
    return np.clip(w, 0, None) * np.clip(h, 0, None)


#: Directions tried around a point, in order: right, upper right, lower right, left, upper left, lower left,
#: above, below. Rings farther out get a leader line.
_DIRECTIONS = ((1, 0), (1, 1), (1, -1), (-1, 0), (-1, 1), (-1, -1), (0, 1), (0, -1))
_RINGS = (0.0, 8.0, 18.0, 30.0, 45.0, 62.0)
_LEADER_FROM_PT = 8.0  # a label this far out from its marker (second ring on) gets a leader line


class LabelPlacer:
    """Deterministic label placement that never lets two labels overlap, measured in display coordinates with the
    figure's renderer.

    Labels are placed one by one in the order given (the most important first). Each is tried at offsets around
    its point: right, upper right, lower right, left, upper left, lower left, above, below, then the same on rings
    farther out (those get a leader line). An offset is free when the label's box stays inside the axes and meets
    no label already placed and no registered obstacle (north arrow, scale bar, labelled markers), with a gap of
    2 pixels. Among the free offsets the label takes the cheapest: one point per other site marker it covers,
    half a point per ring out; the first in the order above on a tie. If no offset is free, the label goes where
    it overlaps least, or is left out when optional (town names). The tests check that no two labels of the
    package's maps overlap.
    """

    def __init__(self, ax, markers_xy=None, marker_radius_pt=None):
        self.ax = ax
        self.fig = ax.figure
        self.renderer = _renderer(self.fig)
        self.placed = np.zeros((0, 4))
        frame = ax.get_window_extent(self.renderer)
        self.frame = np.array([frame.x0 + 3, frame.y0 + 3, frame.x1 - 3, frame.y1 - 3])
        self.markers = np.zeros((0, 4))
        if markers_xy is not None and len(markers_xy):
            pts = ax.transData.transform(np.asarray(markers_xy, float))
            r = np.asarray(marker_radius_pt, float) * self.fig.dpi / 72.0
            self.markers = np.column_stack([pts[:, 0] - r, pts[:, 1] - r, pts[:, 0] + r, pts[:, 1] + r])
        self.texts = []

    def block(self, artists) -> None:
        """Register artists (north arrow, scale bar, markers…) that no label may cover."""
        for artist in artists:
            self.block_box(_box(artist.get_window_extent(self.renderer), 0.0))

    def block_box(self, box) -> None:
        """Register a display box (x0, y0, x1, y1, pixels) that no label may cover."""
        self.placed = np.vstack([self.placed, np.asarray(box, float)[None, :]])

    def block_point(self, x: float, y: float, radius_pt: float) -> None:
        """A round marker of radius_pt points at data (x, y): no label may cover it."""
        px, py = self.ax.transData.transform((x, y))
        r = radius_pt * self.fig.dpi / 72.0
        self.block_box((px - r, py - r, px + r, py + r))

    @staticmethod
    def _set(ann, ox, oy, ux, uy) -> None:
        ann.set_position((ox, oy))
        ann.set_horizontalalignment({1: "left", -1: "right", 0: "center"}[ux])
        ann.set_verticalalignment({1: "bottom", -1: "top", 0: "center_baseline"}[uy])
        ann.set_multialignment({1: "left", -1: "right", 0: "center"}[ux])

    def add(self, x: float, y: float, text: str, *, radius_pt: float = 3.0, directions=_DIRECTIONS,
            rings=_RINGS, optional: bool = False, gid: str = "label", **style):
        """Place one label for the point at data (x, y) whose marker has radius ``radius_pt`` points, trying
        ``directions`` on each of ``rings`` (points beyond the marker; a label farther than ``_LEADER_FROM_PT``
        gets a leader line). An ``optional`` label that finds no free place is left out (returns None)."""
        from matplotlib.lines import Line2D

        ann = self.ax.annotate(text, xy=(x, y), xytext=(0, 0), textcoords="offset points", gid=gid, **style)
        px, py = self.ax.transData.transform((x, y))
        # the label's box is measured once per alignment, at offset 0: an offset in points moves it by
        # offset × dpi / 72 pixels, exactly (measuring every candidate took most of a map's time)
        at_zero, scale = {}, self.fig.dpi / 72.0
        best, best_cost = None, None
        for n_ring, ring in enumerate(rings):
            d = radius_pt + 2.5 + ring
            for ux, uy in directions:
                ox, oy = ux * d, uy * d  # diagonals too: the box's corner clears the marker's square
                if (ux, uy) not in at_zero:
                    self._set(ann, 0.0, 0.0, ux, uy)
                    at_zero[(ux, uy)] = _box(ann.get_window_extent(self.renderer))
                box = at_zero[(ux, uy)] + np.array([ox, oy, ox, oy]) * scale
                outside = (max(self.frame[0] - box[0], 0) + max(box[2] - self.frame[2], 0)
                           + max(self.frame[1] - box[1], 0) + max(box[3] - self.frame[3], 0))
                hard = float(_overlap(box, self.placed).sum()) + 1000.0 * outside
                # free of labels first; then few covered markers, near the point (a covered marker costs about
                # two rings)
                cost = (hard > 0, hard, int((_overlap(box, self.markers) > 0).sum()) + 0.5 * n_ring)
                if best_cost is None or cost < best_cost:
                    best, best_cost = (ox, oy, ring, ux, uy, box), cost
            if not best_cost[0] and best_cost[2] <= 0.5 * (n_ring + 1):  # nothing farther out does better
                break
        if optional and best_cost[0]:
            ann.remove()
            return None
        ox, oy, ring, ux, uy, box = best
        self._set(ann, ox, oy, ux, uy)
        if ring >= _LEADER_FROM_PT:
            # from the marker's edge to the nearest point of the label's box
            nx = np.clip(px, box[0] + _LABEL_GAP_PX, box[2] - _LABEL_GAP_PX)
            ny = np.clip(py, box[1] + _LABEL_GAP_PX, box[3] - _LABEL_GAP_PX)
            vx, vy = nx - px, ny - py
            length = float(np.hypot(vx, vy))
            r = radius_pt * self.fig.dpi / 72.0
            if length > r:
                start = (px + vx / length * r, py + vy / length * r)
                (sx, sy), (ex, ey) = self.ax.transData.inverted().transform([start, (nx, ny)])
                self.ax.add_line(Line2D([sx, ex], [sy, ey], color="#555555", linewidth=0.6,
                                        zorder=style.get("zorder", 7) - 0.5, gid=f"{gid}-leader"))
        self.block_box(box)
        self.texts.append(ann)
        return ann


def _polygons(geoms):
    """Each (Multi)Polygon as one matplotlib Path, holes included (None and empty geometries left out)."""
    from matplotlib.path import Path as MplPath
    from shapely import get_coordinates

    paths, kept = [], []
    for i, geom in enumerate(geoms):
        if geom is None or geom.is_empty:
            continue
        parts = getattr(geom, "geoms", [geom])
        vertices, codes = [], []
        for poly in parts:
            if poly.geom_type != "Polygon" or poly.is_empty:
                continue
            for ring in (poly.exterior, *poly.interiors):
                xy = get_coordinates(ring)
                if len(xy) < 3:
                    continue
                ring_codes = np.full(len(xy), MplPath.LINETO, dtype=MplPath.code_type)
                ring_codes[0], ring_codes[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
                vertices.append(xy)
                codes.append(ring_codes)
        if vertices:
            paths.append(MplPath(np.concatenate(vertices), np.concatenate(codes)))
            kept.append(i)
    return paths, kept


def _add_polygons(ax, geoms, facecolors, *, edgecolor="white", linewidth=0.4, zorder=2, gid=None):
    """Polygons drawn as one collection (geopandas' plot would redraw the whole figure on each call)."""
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import PathPatch

    paths, kept = _polygons(geoms)
    if isinstance(facecolors, (list, tuple, np.ndarray)) and len(facecolors) == len(geoms):
        facecolors = [facecolors[i] for i in kept]
    collection = PatchCollection([PathPatch(p) for p in paths], facecolors=facecolors, edgecolors=edgecolor,
                                 linewidths=linewidth, zorder=zorder)
    collection.set_gid(gid)
    ax.add_collection(collection, autolim=False)
    return collection


def _add_rings(ax, geoms, *, color, linewidth, zorder, gid=None, exterior_only=False, path_effects=None):
    """The rings of polygons as lines (exterior only, or with the holes), one collection."""
    from matplotlib.collections import LineCollection
    from shapely import get_coordinates

    lines = []
    for geom in geoms:
        if geom is None or geom.is_empty:
            continue
        for poly in getattr(geom, "geoms", [geom]):
            if poly.geom_type != "Polygon" or poly.is_empty:
                continue
            rings = [poly.exterior] if exterior_only else [poly.exterior, *poly.interiors]
            lines += [get_coordinates(r) for r in rings]
    collection = LineCollection(lines, colors=color, linewidths=linewidth, zorder=zorder, capstyle="round",
                                joinstyle="round")
    collection.set_gid(gid)
    if path_effects:
        collection.set_path_effects(path_effects)
    ax.add_collection(collection, autolim=False)
    return collection


# ---------------------------------------------------------------------------------------------------------------
# The frame both maps share


def _halo(width: float = 3.0):
    from matplotlib import patheffects

    return [patheffects.withStroke(linewidth=width, foreground="white")]


class _MapFrame:
    """A figure (A4 landscape by default) with the map axes, the key band below it, the communes of the run, the
    territory outline when the file has one, and the map's extent set on the study area."""

    def __init__(self, result, meta, lang: str, figsize):
        import matplotlib.pyplot as plt

        self.result, self.meta, self.lang = result, meta, lang
        self.communes = meta.communes
        self.inside = self.communes[self.communes["in_territory"].astype(bool)]
        if not len(self.inside):
            raise InputError("the run has no commune in the territory (in_territory is false everywhere): "
                             "nothing to map")
        self.fig = plt.figure(figsize=figsize)
        self.ax = self.fig.add_axes((0.01, 0.2, 0.98, 0.685))
        self.ax.set_axis_off()
        self.outline = self._read_outline()
        self.neighbours_shown = False

    def _read_outline(self):
        path = self.meta.territory_path
        if not path or not os.path.exists(path) or "territory" not in _core.layer_names(path):
            return None
        outline = gpd.read_file(path, layer="territory")
        if not len(outline) or outline.geometry.isna().all():
            return None
        return outline.to_crs(self.result.crs)

    def approximate_outline(self) -> bool:
        """True when the file marks its outline approximate (column ``approximate``)."""
        return bool(self.outline is not None and "approximate" in self.outline.columns
                    and self.outline["approximate"].fillna(False).astype(bool).any())

    def territory_name(self) -> Optional[str]:
        """The outline's name as the file gives it, without a bracketed remark at its end ("… (approximate
        outline)"), or None."""
        if self.outline is None or "name" not in self.outline.columns:
            return None
        names = [str(n) for n in self.outline["name"].dropna().unique() if str(n).strip()]
        if len(names) != 1:
            return None
        name = names[0].strip()
        if name.endswith(")") and "(" in name:
            name = name[:name.rindex("(")].strip()
        return name or None

    def draw_communes(self, inside_colours) -> None:
        """The territory's communes in the given colours (one per commune), the neighbours in light grey."""
        outside = self.communes[~self.communes["in_territory"].astype(bool)]
        if len(outside):
            _add_polygons(self.ax, outside.geometry.to_numpy(), _NEIGHBOUR_COLOUR, linewidth=0.3, zorder=1,
                          gid="neighbour-communes")
        _add_polygons(self.ax, self.inside.geometry.to_numpy(), list(inside_colours), linewidth=0.45, zorder=2,
                      gid="communes")

    def draw_outline(self) -> None:
        """The territory outline (outer ring), when the file has a ``territory`` layer."""
        if self.outline is not None:
            # the outer ring only: communes are in the territory when inside it (geodata/README.md)
            _add_rings(self.ax, self.outline.geometry.to_numpy(), color=_OUTLINE_COLOUR, linewidth=1.4, zorder=4,
                       gid="outline", exterior_only=True)

    def set_extent(self) -> None:
        """The study area with a margin, widened on one side so that it fills the map's box at equal scale (the
        neighbours fill the rest)."""
        x0, y0, x1, y1 = self.inside.total_bounds
        pad = 0.05 * max(x1 - x0, y1 - y0, 1.0)
        x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
        box = self.ax.get_position(original=True)
        ratio = (box.width * self.fig.get_figwidth()) / (box.height * self.fig.get_figheight())
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        if (x1 - x0) / (y1 - y0) < ratio:
            half = (y1 - y0) * ratio / 2
            x0, x1 = cx - half, cx + half
        else:
            half = (x1 - x0) / ratio / 2
            y0, y1 = cy - half, cy + half
        self.ax.set_xlim(x0, x1)
        self.ax.set_ylim(y0, y1)
        self.ax.set_aspect("equal", adjustable="box")
        self.ax.apply_aspect()
        outside = self.communes[~self.communes["in_territory"].astype(bool)]
        self.neighbours_shown = bool(len(outside)) and bool(outside.intersects(extent_box(x0, y0, x1, y1)).any())

    def key_handles(self):
        """Legend entries of the frame: neighbouring communes (when drawn) and the outline (when drawn)."""
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        handles = []
        if self.neighbours_shown:  # said only when some are on the map
            handles.append(Patch(facecolor=_NEIGHBOUR_COLOUR, edgecolor="#bbbbbb", linewidth=0.5,
                                 label=_w(self.lang, "neighbours")))
        if self.outline is not None:
            approx = _w(self.lang, "approx") if self.approximate_outline() else ""
            handles.append(Line2D([], [], color=_OUTLINE_COLOUR, linewidth=1.6,
                                  label=_w(self.lang, "outline", approx=approx)))
        return handles

    def outline_said(self) -> list:
        """The subtitle's words about the outline: none when it is not drawn."""
        if self.outline is None:
            return []
        approx = _w(self.lang, "approx") if self.approximate_outline() else ""
        return [_w(self.lang, "outline_said", approx=approx)]

    def titles(self, title: str, subtitle: str) -> None:
        """Title and subtitle (wrapped to the figure's width) above the map."""
        self.fig.text(0.5, 0.972, title, ha="center", va="top", fontsize=15, fontweight="bold", gid="title")
        if subtitle:
            chars = max(40, int(self.fig.get_figwidth() * 72 * 0.95 / (0.56 * 10)))
            self.fig.text(0.5, 0.93, textwrap.fill(subtitle, chars), ha="center", va="top", fontsize=10,
                          color="#333333", gid="subtitle", linespacing=1.3)

    def furniture(self, placer_markers=None, marker_radius=None, source=None) -> "LabelPlacer":
        """Scale bar, north arrow and source line, and a label placer that keeps clear of them."""
        bar = add_scale_bar(self.ax, self.result.crs, self.lang)
        arrow = add_north_arrow(self.ax, self.result.crs, self.lang)
        add_source_line(self.fig, source_line(self.meta, self.lang, source))
        placer = LabelPlacer(self.ax, placer_markers, marker_radius)
        placer.block(bar + arrow)
        return placer

    def towns(self, n: int):
        """The n most populous communes of the territory: (x, y, name, position of its town-hall site in the result
        or None), at that site when the result has one (the village, not the middle of the commune), else at a
        point inside the commune."""
        if n == 0:
            return []
        biggest = self.inside.sort_values(["population", "commune_code"], ascending=[False, True]).head(n)
        kinds = self.result["kind"].astype(str).to_numpy()
        codes = self.result["commune_code"].astype(str).to_numpy() if "commune_code" in self.result.columns else []
        halls = {}
        for pos in np.flatnonzero(kinds == "town_hall"):
            halls.setdefault(codes[pos], pos)
        geometry = self.result.geometry.to_numpy()
        out = []
        for code, name, polygon in zip(biggest["commune_code"].astype(str), biggest["name"], biggest.geometry):
            pos = halls.get(code)
            point = geometry[pos] if pos is not None else polygon.representative_point()
            out.append((point.x, point.y, str(name), pos))
        return out

    def label_towns(self, placer: LabelPlacer, n: int, radius=None) -> None:
        """The names of the n main towns, discreet and optional: next to the town or not at all (a site label
        matters more). ``radius``: marker radius (points) of each site of the result, to keep clear of it."""
        for x, y, name, pos in self.towns(n):
            r = float(radius[pos]) if radius is not None and pos is not None else 3.0
            placer.add(x, y, name, radius_pt=r, gid="town-label", rings=(0.0, 5.0), optional=True,
                       directions=((0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1)),
                       fontsize=9.5, fontstyle="italic", color="#1f1f1f", zorder=7, path_effects=_halo(3.2))


def _wrap_name(name: str, width: int = 30) -> str:
    return "\n".join(textwrap.wrap(str(name), width)) or str(name)


def _kind_markers(kinds) -> dict:
    spare = iter(m for m in _SPARE_MARKERS if m not in _KIND_MARKERS.values())
    out = {}
    for kind in kinds:
        out[kind] = _KIND_MARKERS.get(kind) or next(spare, "o")
    return out


def _colourbar(fig, mappable, rect, label, ticks, tick_labels):
    cax = fig.add_axes(rect)
    bar = fig.colorbar(mappable, cax=cax, orientation="horizontal")
    bar.set_ticks(ticks)
    bar.set_ticklabels(tick_labels)
    bar.ax.tick_params(labelsize=8)
    cax.set_title(label, fontsize=8.5, loc="left", pad=4)
    return bar


def _ticks(vmin: float, vmax: float, lang: str, decimals_ends: int = 1):
    """Ticks for a colour bar from vmin to vmax: both ends (the data's extremes) and round values between."""
    from matplotlib.ticker import MaxNLocator

    inner = [t for t in MaxNLocator(5).tick_values(vmin, vmax)
             if vmin + 0.15 * (vmax - vmin) < t < vmax - 0.15 * (vmax - vmin)]
    ticks = [vmin, *inner, vmax]
    labels = [number(vmin, lang, decimals_ends), *(number(t, lang, 0) for t in inner), number(vmax, lang,
                                                                                                decimals_ends)]
    return ticks, labels


# ---------------------------------------------------------------------------------------------------------------
# The two maps


def plot_sites(result: gpd.GeoDataFrame, path: Optional[PathLike] = None, *, top: int = 10,
               column: Optional[str] = None, towns: int = 6, lang: str = "fr", title: Optional[str] = None,
               source: Optional[str] = None, figsize=(11.69, 8.27)):
    """Map a score result for a meeting: every candidate site by its score and kind, the ``top`` best numbered by
    rank, communes shaded by the people within reach, the names of the main towns, a scale bar, a north arrow and
    a source line.

    - **Colour scale fitted to the scores**: a continuous scale from the lowest score of the result to the highest
      (both printed at the ends of the colour bar), on a colour map without a pale end; marker size also grows
      with the score. Scores are relative to the sites compared (docs/criteria.md).
    - **One marker symbol per kind** of building, with a legend (kinds from the data, in words).
    - **Labels that never overlap**: "rank. name" for the ``top`` best, placed by :class:`LabelPlacer`.
    - **Town names** for orientation: the ``towns`` most populous communes of the territory, names from the data.
    - The title says only what is true: number of sites, how many are numbered, the outline only when the
      territory file has a ``territory`` layer (drawn in green).

    Parameters
    ----------
    result: the GeoDataFrame returned by :func:`tierslieux.score`.
    path: if given, the figure is saved there (PNG at 150 dpi unless the extension says another format; written to
        a temporary file then renamed, so a failed write leaves an existing file as it was).
    top: how many of the best sites get a label with their rank (0: none).
    column: communes column used for shading (default: the largest ``pop_<T>min``).
    towns: how many of the most populous communes are named (0: none).
    lang: "fr" (default) or "en": every word on the map.
    title: replaces the title (the subtitle still says what is drawn).
    source: replaces the data part of the source line (default: the embedded territory's attributions, or the
        territory file's name for another file).
    figsize: inches (default A4 landscape).

    Returns the matplotlib Figure (the backend is the caller's; close it with ``plt.close(fig)`` in a loop).
    """
    import matplotlib.pyplot as plt
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.lines import Line2D

    lang = check_lang(lang)
    meta = _run_of(result, "plot_sites")
    top = _count(top, "top")
    towns = _count(towns, "towns")
    if not len(result):
        raise InputError("plot_sites: the result has no site to map")
    communes = meta.communes
    if column is None:
        pops = sorted((c for c in communes.columns if c.startswith("pop_") and c.endswith("min")),
                      key=lambda c: float(c[4:-3]))
        if not pops:
            raise InputError("the communes layer of the run has no pop_<T>min column to shade by: give column=")
        column = pops[-1]
    if column not in communes.columns:
        raise InputError(f"column {column!r} is not in the communes layer (columns: {', '.join(communes.columns)})")
    fmt = None
    if path is not None:  # before any work: never an input file, a folder or a format matplotlib cannot write
        check_output(path, meta.input_paths())
        fmt = _image_format(path)

    frame = _MapFrame(result, meta, lang, figsize)
    fig, ax = frame.fig, frame.ax
    try:
        # communes: people within reach, on a light scale (the sites are what the eye should find)
        values = frame.inside[column].astype(float)
        c_max = float(np.nanmax(values)) if values.notna().any() else 1.0
        c_norm = Normalize(vmin=0.0, vmax=c_max if c_max > 0 else 1.0)
        c_cmap = _truncated("PuBu", 0.1, 0.68)
        colours = [c_cmap(c_norm(v)) if np.isfinite(v) else "#d9d9d9" for v in values]
        frame.draw_communes(colours)
        frame.draw_outline()
        frame.set_extent()

        # sites: colour and size by score, symbol by kind
        scores = result["score"].astype(float)
        s_min, s_max = float(scores.min()), float(scores.max())
        if s_max > s_min:
            s_norm = Normalize(vmin=s_min, vmax=s_max)
        else:  # one value: the scale centres on it
            s_norm = Normalize(vmin=s_min - 1.0, vmax=s_max + 1.0)
        s_cmap = _truncated("YlOrRd", 0.28, 1.0)
        size = 22.0 + 150.0 * np.clip(s_norm(scores.to_numpy()), 0, 1)
        counts = result["kind"].astype(str).value_counts()
        kinds = sorted(counts.index, key=lambda k: (-counts[k], k))
        markers = _kind_markers(kinds)
        kind_of = result["kind"].astype(str).to_numpy()
        xs, ys = result.geometry.x.to_numpy(), result.geometry.y.to_numpy()
        order = np.argsort(scores.to_numpy(), kind="stable")
        radius = np.zeros(len(result))
        for kind in kinds:
            idx = order[kind_of[order] == kind]
            area = size[idx] * _MARKER_AREA.get(markers[kind], 1.0)
            radius[idx] = np.sqrt(area) / 2
            ax.scatter(xs[idx], ys[idx], s=area, c=scores.to_numpy()[idx], cmap=s_cmap, norm=s_norm,
                       marker=markers[kind], edgecolors="black", linewidths=0.55, zorder=5, gid=f"sites-{kind}")

        placer = frame.furniture(np.column_stack([xs, ys]), radius, source)
        ranks = result["rank"].to_numpy()
        best = np.lexsort((result["site_id"].astype(str).to_numpy(), ranks))[:top]  # positions, best first
        names = result["name"].astype(str).to_numpy()
        for pos in best:  # no label may cover a numbered site
            placer.block_point(xs[pos], ys[pos], radius[pos])
        for pos in best:
            placer.add(xs[pos], ys[pos], f"{int(ranks[pos])}. {_wrap_name(names[pos])}", radius_pt=radius[pos],
                       gid="site-label", fontsize=8.5, fontweight="bold", color="#111111", zorder=8,
                       path_effects=_halo(3.0), linespacing=1.0)
        frame.label_towns(placer, towns, radius)

        # titles: only what is drawn
        n = len(result)
        if title is not None:
            heading = title
        else:
            heading = _w(lang, "sites_title", n=n) if n > 1 else _w(lang, "sites_title_one")
            name = frame.territory_name()
            if name:
                heading = f"{heading} — {name}"
        said = []
        if len(best):
            said.append(_w(lang, "top_numbered", top=len(best)) if len(best) > 1 else _w(lang, "top_numbered_one"))
        said += frame.outline_said()
        subtitle = "; ".join(said) if lang == "en" else " ; ".join(said)
        frame.titles(heading, subtitle[:1].upper() + subtitle[1:] if subtitle else "")

        # key: score scale, communes scale, kinds
        sm = ScalarMappable(norm=s_norm, cmap=s_cmap)
        ticks, labels = _ticks(s_norm.vmin, s_norm.vmax, lang)
        if s_max == s_min:
            ticks, labels = [s_min], [number(s_min, lang, 1)]
        _colourbar(fig, sm, (0.035, 0.115, 0.27, 0.02), _w(lang, "score", n=n), ticks, labels)
        cm = ScalarMappable(norm=c_norm, cmap=c_cmap)
        c_ticks, c_labels = _ticks(0.0, c_norm.vmax, lang, 0)
        if column.startswith("pop_") and column.endswith("min"):
            c_label = _w(lang, "communes_pop", t=number(float(column[4:-3]), lang, 0))
        else:
            c_label = _w(lang, "communes_other", title=criterion_title(column, lang))
        _colourbar(fig, cm, (0.345, 0.115, 0.22, 0.02), c_label, c_ticks, c_labels)
        handles = [Line2D([], [], linestyle="none", marker=markers[k], markersize=8 * _MARKER_AREA.get(
            markers[k], 1.0) ** 0.5, markerfacecolor="#c9c9c9", markeredgecolor="black", markeredgewidth=0.6,
                          label=f"{kind_label(k, lang, plural=counts[k] > 1)} ({counts[k]})") for k in kinds]
        kinds_legend = fig.legend(handles=handles, loc="center left", bbox_to_anchor=(0.6, 0.125),
                                  ncol=2 if len(handles) > 3 else 1, fontsize=8, title=_w(lang, "kinds"),
                                  title_fontsize=8.5, frameon=False, handletextpad=0.4, columnspacing=1.2,
                                  borderaxespad=0.0, labelspacing=0.45)
        kinds_legend.set_gid("kinds-legend")
        frame_handles = frame.key_handles()
        if frame_handles:
            extra = fig.legend(handles=frame_handles, loc="upper left", bbox_to_anchor=(0.035, 0.088), ncol=2,
                               fontsize=8, frameon=False, borderaxespad=0.0, handlelength=1.6)
            extra.set_gid("frame-legend")
        if path is not None:
            _save(fig, path, meta, fmt)
    except BaseException:
        plt.close(fig)
        raise
    return fig


#: Communes by minutes to the nearest chosen site: within T in blues, beyond it in oranges (classes T/2, T,
#: 1.5 T, 2 T), not connected in grey.
_MINUTE_COLOURS = ("#2c7bb6", "#8fc1de", "#fdd49e", "#fc8d59", "#d7301f")
_UNREACHABLE_COLOUR = "#bdbdbd"
#: One colour per chosen site (its number and its catchment's line), dark enough on the blues and oranges.
_SITE_COLOURS = ("#5e3c99", "#b2182b", "#1a1a1a", "#01665e", "#8c510a", "#c51b7d", "#4d4d4d", "#2d004b",
                 "#7f3b08", "#35978f")


def _minutes_text(value: float, lang: str) -> str:
    return number(value, lang, 0 if float(value).is_integer() else 1)


def _portfolio_minutes(chosen, minutes) -> float:
    if minutes is None:
        minutes = (chosen.attrs.get("parameters") or {}).get("minutes")
        if minutes is None:
            raise InputError("plot_portfolio: give minutes= (the chosen frame does not say at which travel time it "
                             "was chosen: attrs['parameters']['minutes'] is missing)")
    try:
        T = float(minutes)
    except (TypeError, ValueError):
        raise InputError(f"minutes must be a number > 0 (got {minutes!r})") from None
    if not np.isfinite(T) or T <= 0:
        raise InputError(f"minutes must be a finite number > 0 (got {minutes!r})")
    return T


def _chosen_rows(result, chosen) -> list:
    """The chosen sites' positions in result, in their order of choice (column ``order`` when present)."""
    import pandas as pd

    if not isinstance(chosen, pd.DataFrame) or "site_id" not in chosen.columns:
        raise InputError("plot_portfolio expects the chosen sites as returned by tierslieux.choose_sites (a frame "
                         "with a site_id column)")
    if not len(chosen):
        raise InputError("plot_portfolio: no chosen site to map")
    ids = chosen["site_id"].astype(str)
    if ids.duplicated().any():
        raise InputError(f"plot_portfolio: site(s) chosen twice: {', '.join(sorted(set(ids[ids.duplicated()])))}")
    if "order" in chosen.columns:
        ids = ids.iloc[np.argsort(chosen["order"].to_numpy(), kind="stable")]
    position = {s: i for i, s in enumerate(result["site_id"].astype(str))}
    missing = [s for s in ids if s not in position]
    if missing:
        raise InputError(f"plot_portfolio: chosen site(s) not in the result: {', '.join(missing[:5])}"
                         + (f" and {len(missing) - 5} more" if len(missing) > 5 else ""))
    return [position[s] for s in ids]


def portfolio_catchments(result, chosen, minutes: Optional[float] = None):
    """The area within ``minutes`` of each chosen site, and how it was obtained.

    Returns (GeoDataFrame site_id, order, geometry in the result's CRS; how), where how is ``"run"`` (the run's
    own catchments layer has that threshold), ``"communes"`` (commune graph: the union of the communes whose
    travel time to the site, access leg included, is at most ``minutes``: the rule of the run's catchments layer,
    docs/outputs.md) or ``None`` (a road graph without catchments at that threshold: nothing is drawn rather than
    something else).
    """
    from ._portfolio import travel_minutes

    meta = _run_of(result, "plot_portfolio")
    T = _portfolio_minutes(chosen, minutes)
    rows = _chosen_rows(result, chosen)
    ids = result["site_id"].astype(str).to_numpy()[rows]
    frame = {"site_id": list(ids), "order": list(range(1, len(rows) + 1))}
    thresholds = [float(t) for t in (meta.parameters or {}).get("thresholds", [])]
    catchments = meta.catchments
    if T in thresholds and catchments is not None and len(catchments):
        by_site = catchments[catchments["minutes"].astype(float) == T].drop_duplicates("site_id")
        by_site = by_site.set_index(by_site["site_id"].astype(str)).geometry
        geoms = [by_site.get(s) for s in ids]
        return gpd.GeoDataFrame(frame, geometry=geoms, crs=result.crs), "run"
    if meta.graph_kind == "commune":
        _, t = travel_minutes(result.iloc[rows], "all")
        communes = meta.communes.geometry.to_numpy()
        from shapely import union_all

        geoms = []
        for j in range(len(rows)):
            within = ~np.isnan(t[:, j]) & (t[:, j] <= T)
            geoms.append(union_all(communes[within]) if within.any() else None)
        return gpd.GeoDataFrame(frame, geometry=geoms, crs=result.crs), "communes"
    return gpd.GeoDataFrame(frame, geometry=[None] * len(rows), crs=result.crs), None


def plot_portfolio(result: gpd.GeoDataFrame, chosen, path: Optional[PathLike] = None, *,
                   minutes: Optional[float] = None, towns: int = 6, lang: str = "fr", title: Optional[str] = None,
                   source: Optional[str] = None, figsize=(11.69, 8.27)):
    """Map a set of sites chosen together (the frame :func:`tierslieux.choose_sites` returns): each chosen site
    numbered in its order of choice, its catchment at the portfolio's travel time, the communes of the territory
    shaded by their minutes to the nearest chosen site (within the time in blues, beyond it in oranges), the other
    candidates in grey, and the same town names, scale bar, north arrow and source line as :func:`plot_sites`.

    Up to 6 sites, the key lists them in their order of choice with the people each one adds within the time
    (``marginal_population`` of the frame, when the map is at the time they were chosen for).

    The catchments are the run's own (``catchments`` layer) when the run has that threshold; otherwise, on the
    commune graph, the union of the communes within that time of the site (the same rule); on a road graph
    without that threshold, none is drawn and the subtitle says so. The title gives the share of the people
    within that time of a chosen site, computed from the run's travel times (the rule of ``choose_sites``).

    Parameters
    ----------
    result: the GeoDataFrame returned by :func:`tierslieux.score`.
    chosen: the chosen sites (``site_id``, and ``order`` when present), e.g. ``tl.choose_sites(result, 5, 20)``.
    path: if given, the figure is saved there (PNG at 150 dpi unless the extension says another format), written
        atomically.
    minutes: travel time of the catchments and of the shading (default: the one the sites were chosen for,
        ``chosen.attrs["parameters"]["minutes"]``).
    towns, lang, title, source, figsize: as for :func:`plot_sites`.

    Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from ._portfolio import travel_minutes

    lang = check_lang(lang)
    meta = _run_of(result, "plot_portfolio")
    towns = _count(towns, "towns")
    T = _portfolio_minutes(chosen, minutes)
    rows = _chosen_rows(result, chosen)
    fmt = None
    if path is not None:  # before any work: never an input file, a folder or a format matplotlib cannot write
        check_output(path, meta.input_paths())
        fmt = _image_format(path)
    parameters = chosen.attrs.get("parameters") or {}
    demand = parameters.get("demand", "territory")

    catchments, how = portfolio_catchments(result, chosen, T)
    _, t = travel_minutes(result.iloc[rows], "all")
    nearest = np.where(np.isnan(t), np.inf, t).min(axis=1) if len(rows) else np.full(len(meta.communes), np.inf)
    nearest = np.where(np.isfinite(nearest), nearest, np.nan)
    communes = meta.communes
    in_territory = communes["in_territory"].astype(bool).to_numpy()
    people = communes["population"].astype(float).to_numpy()
    counted = in_territory if demand == "territory" else np.ones(len(communes), bool)
    total = float(people[counted].sum())
    reached = float(people[counted & (nearest <= T)].sum())
    share = reached / total if total > 0 else float("nan")

    frame = _MapFrame(result, meta, lang, figsize)
    fig, ax = frame.fig, frame.ax
    try:
        edges = [T / 2, T, 1.5 * T, 2 * T]
        near_inside = nearest[in_territory]
        classes = np.where(np.isnan(near_inside), -1, np.searchsorted(edges, near_inside, side="left"))
        frame.draw_communes([_UNREACHABLE_COLOUR if c < 0 else _MINUTE_COLOURS[c] for c in classes])
        frame.draw_outline()
        frame.set_extent()

        xs, ys = result.geometry.x.to_numpy(), result.geometry.y.to_numpy()
        others = np.setdiff1d(np.arange(len(result)), rows)
        ax.scatter(xs[others], ys[others], s=12, c="#6e6e6e", edgecolors="white", linewidths=0.4, zorder=5,
                   gid="other-sites")
        colours = [_SITE_COLOURS[i % len(_SITE_COLOURS)] for i in range(len(rows))]
        for colour, geom in zip(colours, catchments.geometry):
            if geom is not None and not geom.is_empty:
                _add_rings(ax, [geom], color=colour, linewidth=2.0, zorder=6, gid="catchment",
                           path_effects=_halo(3.6))
        radius = 9.5  # points: the numbered disc
        cx, cy = xs[rows], ys[rows]
        ax.scatter(cx, cy, s=(2 * radius) ** 2, c=colours, edgecolors="white", linewidths=1.4, zorder=8,
                   gid="chosen-sites")
        for i, (x, y) in enumerate(zip(cx, cy)):
            ax.text(x, y, str(i + 1), ha="center", va="center_baseline", fontsize=9.5, fontweight="bold",
                    color="white", zorder=9, gid="portfolio-number")

        markers = np.column_stack([xs[others], ys[others]])
        placer = frame.furniture(markers, np.full(len(others), 2.5), source)
        for x, y in zip(cx, cy):
            placer.block_point(x, y, radius)
        names = result["name"].astype(str).to_numpy()[rows]
        for i, (x, y, name) in enumerate(zip(cx, cy, names)):
            placer.add(x, y, f"{i + 1}. {_wrap_name(name)}", radius_pt=radius, gid="site-label", fontsize=8.5,
                       fontweight="bold", color="#111111", zorder=10, path_effects=_halo(3.0), linespacing=1.0)
        site_radius = np.full(len(result), 2.5)
        site_radius[rows] = radius
        frame.label_towns(placer, towns, site_radius)

        k, t_text = len(rows), _minutes_text(T, lang)
        share_text = percent(share, lang)
        key = "portfolio_title" + ("_all" if demand == "all" else "") + ("_one" if k == 1 else "")
        heading = title or _w(lang, key, k=k, share=share_text, t=t_text)
        said = [_w(lang, "order")]
        if how is None:
            have = f" {_w(lang, 'and')} ".join(_minutes_text(v, lang) for v in
                                                (meta.parameters or {}).get("thresholds", []))
            said.append(_w(lang, "catchment_none", t=t_text, have=have or "—"))
        else:
            said.append(_w(lang, "catchment_said", t=t_text))
        said += frame.outline_said()
        subtitle = ("; " if lang == "en" else " ; ").join(said)
        name = frame.territory_name()
        if name:
            subtitle = f"{name} — {subtitle}"
        frame.titles(heading, subtitle[:1].upper() + subtitle[1:])

        # key: minute classes, what is drawn, the order of choice
        a, b, c, d = (_minutes_text(v, lang) for v in edges)
        class_labels = [_w(lang, "less_than", a=a), _w(lang, "between", a=a, b=b), _w(lang, "between", a=b, b=c),
                        _w(lang, "between", a=c, b=d), _w(lang, "more_than", a=d)]
        handles = [Patch(facecolor=col, edgecolor="white", label=lab) for col, lab in zip(_MINUTE_COLOURS,
                                                                                         class_labels)]
        if np.isnan(near_inside).any():
            handles.append(Patch(facecolor=_UNREACHABLE_COLOUR, edgecolor="white", label=_w(lang, "unreachable")))
        minutes_legend = fig.legend(handles=handles, loc="center left", bbox_to_anchor=(0.035, 0.125), ncol=2,
                                    fontsize=8, title=_w(lang, "minutes_title"), title_fontsize=8.5, frameon=False,
                                    borderaxespad=0.0, alignment="left")
        minutes_legend.set_gid("minutes-legend")
        drawn = [Line2D([], [], linestyle="none", marker="o", markersize=11, markerfacecolor=colours[0],
                        markeredgecolor="white", label=_w(lang, "chosen_key"))]
        if how is not None:
            drawn.append(Line2D([], [], color=colours[0], linewidth=2.0, label=_w(
                lang, "catchment_key_communes" if how == "communes" else "catchment_key", t=t_text)))
        if len(others):
            drawn.append(Line2D([], [], linestyle="none", marker="o", markersize=4, markerfacecolor="#6e6e6e",
                                markeredgecolor="white", label=_w(lang, "others_key")))
        drawn += frame.key_handles()
        drawn_legend = fig.legend(handles=drawn, loc="center left", bbox_to_anchor=(0.35, 0.12), fontsize=8,
                                  frameon=False, borderaxespad=0.0, labelspacing=0.45)
        drawn_legend.set_gid("drawn-legend")
        gains = chosen.set_index(chosen["site_id"].astype(str))
        same_t = float(parameters.get("minutes", np.nan)) == T
        if "marginal_population" in chosen.columns and same_t and k <= 6:  # what the key band holds
            ids = result["site_id"].astype(str).to_numpy()[rows]
            colon = " :" if lang == "fr" else ":"
            lines = [f"{i + 1}. {textwrap.shorten(str(n), 34, placeholder='…')}{colon} "
                     f"{_w(lang, 'gain', people=number(gains.loc[s, 'marginal_population'], lang))}"
                     for i, (s, n) in enumerate(zip(ids, names))]
            fig.text(0.68, 0.182, _w(lang, "chosen_list", t=t_text), fontsize=8.5, ha="left", va="top",
                     gid="chosen-list-title")
            fig.text(0.68, 0.158, "\n".join(lines), fontsize=8, ha="left", va="top", linespacing=1.25,
                     gid="chosen-list")
        if path is not None:
            _save(fig, path, meta, fmt)
    except BaseException:
        plt.close(fig)
        raise
    return fig
