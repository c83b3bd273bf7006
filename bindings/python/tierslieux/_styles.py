"""Default styles stored in the GeoPackage (table ``layer_styles``, the table QGIS reads and writes): a QGIS style
(QML) and an SLD for other clients per map layer, marked as default, so that the file opens styled (issue 12).

* ``sites``: graduated on ``score``, five classes fitted to the scores (quantiles), a marker shape per kind of
  building, the best ``top`` labelled "rank. name";
* ``communes``: the territory's communes by minutes to the nearest site, neighbours in grey;
* ``catchments``: outlines per threshold; ``network_edges``: thin grey lines; ``territory``: the outline;
* ``portfolio``: chosen sites numbered in the order chosen; ``comparison``: sites by status.

Field aliases in the QML give the titles in the chosen language (column names do not change).
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd

from ._i18n import DEFAULT_LANG, number
from ._titles import field_title

# marker shape per kind (QGIS SimpleMarker names; SLD well-known names where they exist)
SHAPES = {"town_hall": "circle", "library": "square", "france_services": "star", "post_office": "triangle",
          "espace_numerique": "diamond", "social_centre": "pentagon", "information_jeunesse": "hexagon",
          "school": "cross_fill"}
_SLD_SHAPES = {"circle": "circle", "square": "square", "star": "star", "triangle": "triangle",
               "cross_fill": "cross"}
SCORE_COLOURS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")  # ColorBrewer YlOrRd, 5 classes
MINUTE_CLASSES = ((None, 10), (10, 20), (20, 30), (30, 45), (45, None))
MINUTE_COLOURS = ("#1a9641", "#a6d96a", "#ffffbf", "#fdae61", "#d7191c")  # ColorBrewer RdYlGn, reversed
POPULATION_COLOURS = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")  # ColorBrewer YlGnBu, 5 classes
_POP = re.compile(r"^pop_(\d+(?:\.\d+)?)min$")
GEOMETRY_COLUMN = "geom"  # the name GDAL gives the geometry column of a GeoPackage layer

_WORDS = {
    "fr": {"neighbours": "Communes voisines (comptées comme demande)", "unreached": "Aucun site accessible",
           "up_to": "≤ {} min", "between": "{} – {} min", "over": "> {} min", "catchment": "Bassin à {} min",
           "people": " hab. à {} min",
           "edges": "Réseau des trajets", "outline": "Contour du territoire", "chosen": "Site choisi",
           "kept": "inchangé", "closed": "fermé", "opened": "ouvert", "default": "Style par défaut tierslieux"},
    "en": {"neighbours": "Neighbouring communes (counted as demand)", "unreached": "No site within reach",
           "up_to": "≤ {} min", "between": "{} – {} min", "over": "> {} min", "catchment": "Catchment within {} min",
           "people": " people within {} min",
           "edges": "Travel network", "outline": "Territory outline", "chosen": "Chosen site",
           "kept": "kept", "closed": "closed", "opened": "opened", "default": "tierslieux default style"},
}


def _rgba(colour: str, alpha: int = 255) -> str:
    colour = colour.lstrip("#")
    return ",".join(str(int(colour[i:i + 2], 16)) for i in (0, 2, 4)) + f",{alpha}"


def _options(values: Dict[str, str]) -> str:
    inner = "".join(f'<Option type="QString" name={quoteattr(k)} value={quoteattr(str(v))}/>'
                    for k, v in values.items())
    return f'<Option type="Map">{inner}</Option>'


def _data_defined(prop: Optional[str] = None, expression: Optional[str] = None) -> str:
    if prop is None:
        return ('<data_defined_properties><Option type="Map"><Option type="QString" name="name" value=""/>'
                '<Option name="properties"/><Option type="QString" name="type" value="collection"/></Option>'
                '</data_defined_properties>')
    return ('<data_defined_properties><Option type="Map"><Option type="QString" name="name" value=""/>'
            f'<Option type="Map" name="properties"><Option type="Map" name={quoteattr(prop)}>'
            '<Option type="bool" name="active" value="true"/>'
            f'<Option type="QString" name="expression" value={quoteattr(expression)}/>'
            '<Option type="int" name="type" value="3"/></Option></Option>'
            '<Option type="QString" name="type" value="collection"/></Option></data_defined_properties>')


def _symbol(name: str, kind: str, layer_class: str, props: Dict[str, str], shape_expression: Optional[str] = None,
            alpha: float = 1.0) -> str:
    defined = _data_defined("name", shape_expression) if shape_expression else _data_defined()
    return (f'<symbol type="{kind}" name="{name}" alpha="{alpha}" clip_to_extent="1" force_rhr="0">'
            f'{_data_defined()}<layer class="{layer_class}" enabled="1" locked="0" pass="0">'
            f'{_options(props)}{defined}</layer></symbol>')


def _marker(name: str, colour: str, size: float, shape: str = "circle", shape_expression: Optional[str] = None) -> str:
    return _symbol(name, "marker", "SimpleMarker",
                   {"name": shape, "color": _rgba(colour), "size": f"{size}", "size_unit": "MM",
                    "outline_color": "35,35,35,255", "outline_width": "0.25", "outline_width_unit": "MM",
                    "outline_style": "solid", "scale_method": "diameter", "angle": "0", "joinstyle": "bevel",
                    "horizontal_anchor_point": "1", "vertical_anchor_point": "1"}, shape_expression)


def _fill(name: str, colour: Optional[str], outline: str, width: float, fill_alpha: int = 255,
          style: str = "solid") -> str:
    return _symbol(name, "fill", "SimpleFill",
                   {"color": _rgba(colour or "#ffffff", fill_alpha if colour else 0),
                    "style": style if colour else "no", "outline_color": _rgba(outline),
                    "outline_width": f"{width}", "outline_width_unit": "MM", "outline_style": "solid",
                    "joinstyle": "bevel"})


def _line(name: str, colour: str, width: float) -> str:
    return _symbol(name, "line", "SimpleLine",
                   {"line_color": _rgba(colour), "line_width": f"{width}", "line_width_unit": "MM",
                    "line_style": "solid", "capstyle": "round", "joinstyle": "round"})


def _aliases(layer: str, columns: Sequence[str], lang: str) -> str:
    rows = []
    for i, column in enumerate(columns):
        title = field_title(layer, column, lang)
        if title:
            rows.append(f'<alias field={quoteattr(column)} index="{i}" name={quoteattr(title[0])}/>')
    return f"<aliases>{''.join(rows)}</aliases>"


def _labels(expression: str, size: float = 8.5) -> str:
    return ('<labeling type="simple"><settings calloutType="simple">'
            f'<text-style fieldName={quoteattr(expression)} isExpression="1" fontSize="{size}" fontSizeUnit="Point" '
            'fontFamily="DejaVu Sans" namedStyle="Bold" fontWeight="63" textColor="30,30,30,255" textOpacity="1">'
            '<text-buffer bufferDraw="1" bufferSize="0.8" bufferSizeUnits="MM" bufferColor="255,255,255,255" '
            'bufferOpacity="0.85" bufferJoinStyle="128"/></text-style>'
            '<placement placement="0" dist="0.8" distUnits="MM" priority="8" '
            'predefinedPositionOrder="TR,TL,BR,BL,R,L,TSR,BSR"/>'
            '<rendering obstacle="1" obstacleType="1" displayAll="0" upsidedownLabels="0" scaleVisibility="0" '
            'drawLabels="1" maxNumLabels="2000"/></settings></labeling>')


def _qml(renderer: str, aliases: str, labels: str = "") -> str:
    enabled = "1" if labels else "0"
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
            f'<qgis version="3.22.0" styleCategories="Symbology|Labeling|Fields" labelsEnabled="{enabled}">'
            f"{renderer}{labels}{aliases}</qgis>")


def _quoted(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _shape_expression(kinds: Sequence[str]) -> str:
    cases = " ".join(f'WHEN "kind" = {_quoted(k)} THEN {_quoted(SHAPES[k])}' for k in kinds if k in SHAPES)
    return f"CASE {cases} ELSE 'circle' END" if cases else "'circle'"


def score_classes(scores: pd.Series, classes: int = 5) -> List[float]:
    """Class breaks fitted to the scores: quantiles, from the lowest score to the highest (one class when all
    scores are equal or fewer than two sites)."""
    values = scores.dropna().to_numpy(dtype=float)
    if len(values) == 0:
        return [0.0, 100.0]
    breaks = np.unique(np.round(np.quantile(values, np.linspace(0, 1, classes + 1)), 1))
    breaks[0] = min(breaks[0], np.floor(values.min() * 10) / 10)
    breaks[-1] = max(breaks[-1], np.ceil(values.max() * 10) / 10)
    if len(breaks) < 2:
        breaks = np.array([values.min(), values.max() + 0.1])
    return [float(b) for b in breaks]


def _colours(n: int) -> List[str]:
    return [SCORE_COLOURS[round(i * (len(SCORE_COLOURS) - 1) / max(n - 1, 1))] for i in range(n)]


def sites_style(frame: pd.DataFrame, lang: str, top: int = 10) -> Dict[str, str]:
    """QML and SLD of the sites layer: graduated on score (classes fitted to the data), a shape per kind, the
    ``top`` best labelled "rank. name"."""
    breaks = score_classes(frame["score"])
    colours = _colours(len(breaks) - 1)
    kinds = sorted(set(frame["kind"].astype(str))) if "kind" in frame.columns else []
    shape = _shape_expression(kinds)
    ranges, symbols = [], []
    for i, (low, high) in enumerate(zip(breaks[:-1], breaks[1:])):
        label = f"{number(low, lang, 1)} – {number(high, lang, 1)}"
        ranges.append(f'<range lower="{low}" upper="{high}" symbol="{i}" label={quoteattr(label)} render="true"/>')
        symbols.append(_marker(str(i), colours[i], 2.0 + 0.4 * i, shape_expression=shape))
    renderer = ('<renderer-v2 type="graduatedSymbol" attr="score" graduatedMethod="GraduatedColor" '
                'symbollevels="0" enableorderby="1" forceraster="0">'
                f"<ranges>{''.join(ranges)}</ranges><symbols>{''.join(symbols)}</symbols>"
                f'<source-symbol>{_marker("0", colours[-1], 3)}</source-symbol>'
                '<orderby><orderByClause asc="1" nullsFirst="0">"score"</orderByClause></orderby></renderer-v2>')
    labels = _labels(f'CASE WHEN "rank" <= {int(top)} THEN "rank" || \'. \' || "name" END')
    qml = _qml(renderer, _aliases("sites", list(frame.columns), lang), labels)
    rules = []
    for i, (low, high) in enumerate(zip(breaks[:-1], breaks[1:])):
        last = i == len(breaks) - 2
        rules.append(_sld_rule(f"{number(low, lang, 1)} – {number(high, lang, 1)}",
                               _sld_between("score", low, high, last),
                               _sld_point(colours[i], 7 + 2 * i)))
    return {"qml": qml, "sld": _sld("sites", rules)}


def _commune_classes(frame: pd.DataFrame, lang: str):
    """What the territory's communes are shaded by: minutes to the nearest site when they differ, otherwise
    (every commune has a site, as in the Baronnies where every town hall is a candidate) the people within the
    largest T of the town hall. Returns (column, [(low, high, label)], colours); None bounds are open."""
    words = _WORDS[lang]
    inside = frame[frame["in_territory"].astype(bool)] if "in_territory" in frame.columns else frame
    minutes = inside.get("minutes_to_nearest_site")
    if minutes is not None and minutes.max(skipna=True) > 0:
        classes = [(low, high, words["up_to"].format(high) if low is None else
                    words["over"].format(low) if high is None else words["between"].format(low, high))
                   for low, high in MINUTE_CLASSES]
        return "minutes_to_nearest_site", classes, MINUTE_COLOURS
    pops = sorted((c for c in frame.columns if _POP.match(c)), key=lambda c: float(_POP.match(c).group(1)))
    if not pops or inside[pops[-1]].dropna().empty:
        return None, [], ()
    column = pops[-1]
    values = inside[column].dropna().to_numpy(dtype=float)
    breaks = np.unique(np.round(np.quantile(values, np.linspace(0, 1, 6)), -2))
    classes = []
    for i in range(len(breaks) - 1):
        low = None if i == 0 else float(breaks[i])
        high = None if i == len(breaks) - 2 else float(breaks[i + 1])
        label = (f"≤ {number(high, lang)}" if low is None else f"> {number(low, lang)}" if high is None else
                 f"{number(low, lang)} – {number(high, lang)}")
        classes.append((low, high, label + words["people"].format(_POP.match(column).group(1))))
    colours = [POPULATION_COLOURS[round(i * 4 / max(len(classes) - 1, 1))] for i in range(len(classes))]
    return column, classes, colours


def communes_style(frame: pd.DataFrame, lang: str) -> Dict[str, str]:
    """Rule-based: neighbours grey, communes no site reaches hatched, the territory's by minutes to the nearest
    site, or by people within T when every commune has a site (_commune_classes)."""
    words = _WORDS[lang]
    rules: List[tuple] = [('NOT "in_territory"', words["neighbours"], _fill("0", "#e6e6e6", "#ffffff", 0.2)),
                          ('"in_territory" AND "minutes_to_nearest_site" IS NULL', words["unreached"],
                           _fill("1", "#9e9e9e", "#ffffff", 0.2, style="b_diagonal"))]
    sld_rules = [_sld_rule(words["neighbours"], _sld_equal("in_territory", 0), _sld_polygon("#e6e6e6")),
                 _sld_rule(words["unreached"], _sld_and(_sld_equal("in_territory", 1),
                                                        "<ogc:PropertyIsNull><ogc:PropertyName>"
                                                        "minutes_to_nearest_site</ogc:PropertyName>"
                                                        "</ogc:PropertyIsNull>"), _sld_polygon("#9e9e9e"))]
    column, classes, colours = _commune_classes(frame, lang)
    for i, ((low, high, label), colour) in enumerate(zip(classes, colours)):
        conds, sld = [], []
        if low is not None:
            conds.append(f'"{column}" > {low}')
            sld.append(f"<ogc:PropertyIsGreaterThan>{_prop(column)}{_lit(low)}</ogc:PropertyIsGreaterThan>")
        if high is not None:
            conds.append(f'"{column}" <= {high}')
            sld.append(f"<ogc:PropertyIsLessThanOrEqualTo>{_prop(column)}{_lit(high)}"
                       "</ogc:PropertyIsLessThanOrEqualTo>")
        rules.append((" AND ".join(['"in_territory"'] + conds), label, _fill(str(i + 2), colour, "#ffffff", 0.26)))
        sld_rules.append(_sld_rule(label, _sld_and(_sld_equal("in_territory", 1), *sld), _sld_polygon(colour)))
    return {"qml": _qml(_rule_renderer(rules), _aliases("communes", list(frame.columns), lang)),
            "sld": _sld("communes", sld_rules)}


def catchments_style(frame: pd.DataFrame, lang: str) -> Dict[str, str]:
    """Categorised on the threshold: thin outlines only (a site's catchment stands out when selected), the
    shorter threshold darker."""
    words = _WORDS[lang]
    thresholds = sorted(set(int(m) for m in frame["minutes"])) if len(frame) else []
    palette = ("#08519c", "#6baed6", "#c6dbef")
    cats, symbols, sld_rules = [], [], []
    for i, t in enumerate(thresholds):
        colour = palette[min(i, len(palette) - 1)]
        label = words["catchment"].format(t)
        cats.append(f'<category value="{t}" symbol="{i}" label={quoteattr(label)} render="true"/>')
        symbols.append(_fill(str(i), None, colour, 0.15))
        sld_rules.append(_sld_rule(label, _sld_equal("minutes", t), _sld_polygon(None, stroke=colour, width=0.5)))
    renderer = ('<renderer-v2 type="categorizedSymbol" attr="minutes" symbollevels="0" enableorderby="0" '
                f'forceraster="0"><categories>{"".join(cats)}</categories><symbols>{"".join(symbols)}</symbols>'
                '</renderer-v2>')
    return {"qml": _qml(renderer, _aliases("catchments", list(frame.columns), lang)),
            "sld": _sld("catchments", sld_rules)}


def _single(layer: str, frame: pd.DataFrame, lang: str, symbol: str, sld_symbolizer: str, label: str,
            labels: str = "") -> Dict[str, str]:
    renderer = ('<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0">'
                f"<symbols>{symbol}</symbols></renderer-v2>")
    return {"qml": _qml(renderer, _aliases(layer, list(frame.columns), lang), labels),
            "sld": _sld(layer, [_sld_rule(label, "", sld_symbolizer)])}


def comparison_style(frame: pd.DataFrame, lang: str) -> Dict[str, str]:
    """Sites of a scenario comparison by status: kept, closed, opened."""
    words = _WORDS[lang]
    colours = {"kept": "#9e9e9e", "closed": "#d7191c", "opened": "#1a9641"}
    cats, symbols, sld_rules = [], [], []
    for i, (status, colour) in enumerate(colours.items()):
        cats.append(f'<category value="{status}" symbol="{i}" label={quoteattr(words[status])} render="true"/>')
        symbols.append(_marker(str(i), colour, 3.2))
        sld_rules.append(_sld_rule(words[status], _sld_equal("status", status), _sld_point(colour, 9)))
    renderer = ('<renderer-v2 type="categorizedSymbol" attr="status" symbollevels="0" enableorderby="0" '
                f'forceraster="0"><categories>{"".join(cats)}</categories><symbols>{"".join(symbols)}</symbols>'
                '</renderer-v2>')
    return {"qml": _qml(renderer, _aliases("comparison", list(frame.columns), lang)),
            "sld": _sld("comparison", sld_rules)}


def style_for(layer: str, frame: pd.DataFrame, lang: str = DEFAULT_LANG, top: int = 10) -> Optional[Dict[str, str]]:
    """QML and SLD of an output layer, or None for a layer that is not drawn (tables)."""
    words = _WORDS[lang]
    if layer == "sites":
        return sites_style(frame, lang, top)
    if layer == "communes":
        return communes_style(frame, lang)
    if layer == "catchments":
        return catchments_style(frame, lang)
    if layer == "network_edges":
        return _single(layer, frame, lang, _line("0", "#8c8c8c", 0.2), _sld_line("#8c8c8c", 0.6), words["edges"])
    if layer == "territory":
        return _single(layer, frame, lang, _fill("0", None, "#1b5e20", 0.7),
                       _sld_polygon(None, stroke="#1b5e20", width=2), words["outline"])
    if layer == "portfolio":
        return _single(layer, frame, lang, _marker("0", "#6a1b9a", 5, shape="star"), _sld_point("#6a1b9a", 14,
                                                                                                "star"),
                       words["chosen"], _labels('"order" || \'. \' || "name"', 9))
    if layer == "comparison":
        return comparison_style(frame, lang)
    return None


def _rule_renderer(rules: Sequence[tuple]) -> str:
    items = "".join(f'<rule key="r{i}" filter={quoteattr(cond)} symbol="{i}" label={quoteattr(label)}/>'
                    for i, (cond, label, _) in enumerate(rules))
    symbols = "".join(symbol for _, _, symbol in rules)
    return ('<renderer-v2 type="RuleRenderer" symbollevels="0" enableorderby="0" forceraster="0">'
            f'<rules key="root">{items}</rules><symbols>{symbols}</symbols></renderer-v2>')


# --- SLD 1.0 (OGC) for clients other than QGIS ---

def _prop(name: str) -> str:
    return f"<ogc:PropertyName>{escape(name)}</ogc:PropertyName>"


def _lit(value) -> str:
    return f"<ogc:Literal>{escape(str(value))}</ogc:Literal>"


def _sld_equal(name: str, value) -> str:
    return f"<ogc:PropertyIsEqualTo>{_prop(name)}{_lit(value)}</ogc:PropertyIsEqualTo>"


def _sld_and(*conditions: str) -> str:
    return f"<ogc:And>{''.join(conditions)}</ogc:And>"


def _sld_between(name: str, low: float, high: float, last: bool) -> str:
    upper = "PropertyIsLessThanOrEqualTo" if last else "PropertyIsLessThan"
    return _sld_and(f"<ogc:PropertyIsGreaterThanOrEqualTo>{_prop(name)}{_lit(low)}"
                    "</ogc:PropertyIsGreaterThanOrEqualTo>", f"<ogc:{upper}>{_prop(name)}{_lit(high)}</ogc:{upper}>")


def _css(name: str, value) -> str:
    return f'<CssParameter name="{name}">{escape(str(value))}</CssParameter>'


def _sld_point(colour: str, size: float, shape: str = "circle") -> str:
    return (f"<PointSymbolizer><Graphic><Mark><WellKnownName>{_SLD_SHAPES.get(shape, 'circle')}</WellKnownName>"
            f"<Fill>{_css('fill', colour)}</Fill><Stroke>{_css('stroke', '#232323')}{_css('stroke-width', 0.7)}"
            f"</Stroke></Mark><Size>{size}</Size></Graphic></PointSymbolizer>")


def _sld_polygon(colour: Optional[str], opacity: float = 1.0, stroke: str = "#ffffff", width: float = 0.7) -> str:
    fill = f"<Fill>{_css('fill', colour)}{_css('fill-opacity', opacity)}</Fill>" if colour else ""
    return (f"<PolygonSymbolizer>{fill}<Stroke>{_css('stroke', stroke)}{_css('stroke-width', width)}</Stroke>"
            "</PolygonSymbolizer>")


def _sld_line(colour: str, width: float) -> str:
    return f"<LineSymbolizer><Stroke>{_css('stroke', colour)}{_css('stroke-width', width)}</Stroke></LineSymbolizer>"


def _sld_rule(title: str, condition: str, symbolizer: str) -> str:
    where = f"<ogc:Filter>{condition}</ogc:Filter>" if condition else ""
    return f"<Rule><Name>{escape(title)}</Name><Title>{escape(title)}</Title>{where}{symbolizer}</Rule>"


def _sld(layer: str, rules: Sequence[str]) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<StyledLayerDescriptor version="1.0.0" xmlns="http://www.opengis.net/sld" '
            'xmlns:ogc="http://www.opengis.net/ogc" xmlns:xlink="http://www.w3.org/1999/xlink" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<NamedLayer><Name>{escape(layer)}</Name><UserStyle><Name>{escape(layer)}</Name>"
            f"<FeatureTypeStyle>{''.join(rules)}</FeatureTypeStyle></UserStyle></NamedLayer>"
            "</StyledLayerDescriptor>")


def layer_styles(frames: Dict[str, pd.DataFrame], created: str, lang: str = DEFAULT_LANG, top: int = 10
                 ) -> pd.DataFrame:
    """The ``layer_styles`` table for the drawn layers among ``frames`` (layer name -> frame), one default style
    each, in QGIS's own column layout."""
    rows = []
    for layer, frame in frames.items():
        style = style_for(layer, frame, lang, top)
        if style is None:
            continue
        rows.append({"f_table_catalog": "", "f_table_schema": "", "f_table_name": layer,
                     "f_geometry_column": GEOMETRY_COLUMN, "styleName": layer, "styleQML": style["qml"],
                     "styleSLD": style["sld"], "useAsDefault": True,
                     "description": _WORDS[lang]["default"], "owner": "tierslieux", "ui": "",
                     "update_time": created})
    return pd.DataFrame(rows, columns=["f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column",
                                       "styleName", "styleQML", "styleSLD", "useAsDefault", "description", "owner",
                                       "ui", "update_time"])

