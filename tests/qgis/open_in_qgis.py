"""Opens a tierslieux GeoPackage in QGIS (PyQGIS, headless) the way a planner would, and reports what QGIS sees.

Run by Debian's /usr/bin/python3 (QGIS's Python), not the project's venv: tests/python/test_qgis.py calls it as
a subprocess and checks the JSON it prints. Usage: open_in_qgis.py FILE.gpkg OUT.png LAYER [LAYER...]
For each layer: valid, CRS, feature count, loadDefaultStyle() result, renderer type and what it is based on,
classes, labels, field aliases; then every layer rendered together to OUT.png, with the share of pixels that are
not the background.
"""
import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (QgsApplication, QgsMapRendererParallelJob, QgsMapSettings, QgsRectangle,  # noqa: E402
                       QgsSymbolLayer, QgsVectorLayer)
from qgis.PyQt.QtCore import QSize  # noqa: E402
from qgis.PyQt.QtGui import QColor  # noqa: E402


def describe(layer):
    message, ok = layer.loadDefaultStyle()
    renderer = layer.renderer()
    info = {"valid": layer.isValid(), "crs": layer.crs().authid(), "features": layer.featureCount(),
            "style_loaded": bool(ok), "message": message, "renderer": renderer.type() if renderer else None,
            "labels": bool(layer.labelsEnabled()),
            "aliases": {f.name(): layer.attributeAlias(i) for i, f in enumerate(layer.fields()) if
                        layer.attributeAlias(i)}}
    kind = renderer.type() if renderer else ""
    if kind == "graduatedSymbol":
        info["attribute"] = renderer.classAttribute()
        ranges = renderer.ranges()  # copies: keep them alive while their symbols are read
        info["classes"] = [[r.lowerValue(), r.upperValue(), r.label(), r.symbol().color().name()] for r in ranges]
        symbol_layer = ranges[0].symbol().symbolLayer(0)
        properties = symbol_layer.dataDefinedProperties()
        info["shape_expression"] = properties.property(QgsSymbolLayer.PropertyName).expressionString()
    elif kind == "categorizedSymbol":
        info["attribute"] = renderer.classAttribute()
        info["classes"] = [[str(c.value()), c.label()] for c in renderer.categories()]
    elif kind == "RuleRenderer":
        info["classes"] = [[r.filterExpression(), r.label()] for r in renderer.rootRule().children()]
    if layer.labelsEnabled() and layer.labeling():
        settings = layer.labeling().settings()
        info["label_expression"] = settings.fieldName
    return info


def main():
    path, png, names = sys.argv[1], sys.argv[2], sys.argv[3:]
    app = QgsApplication([], False)
    app.initQgis()
    report, layers = {}, []
    for name in names:
        layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
        report[name] = describe(layer)
        if layer.isValid():
            layers.append(layer)
    settings = QgsMapSettings()
    settings.setLayers(layers)  # the first name on top, as in the layers panel
    settings.setDestinationCrs(layers[0].crs())
    extent = QgsRectangle()
    for layer in layers:
        if layer.name() in ("sites", "territory"):  # frame the study area, as a planner zooms to it
            extent.combineExtentWith(layer.extent())
    if extent.isEmpty():
        for layer in layers:
            extent.combineExtentWith(layer.extent())
    extent.scale(1.1)
    extent.grow(0.25 * extent.width())  # room for the labels of sites near the edge
    settings.setExtent(extent)
    settings.setOutputSize(QSize(1200, max(400, round(1200 * extent.height() / extent.width()))))
    settings.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    image.save(png, "PNG")
    painted, colours = 0, set()
    for x in range(0, image.width(), 4):
        for y in range(0, image.height(), 4):
            rgb = image.pixel(x, y) & 0xFFFFFF
            colours.add(rgb)
            painted += rgb != 0xFFFFFF
    report["_render"] = {"painted_share": painted / ((image.width() // 4) * (image.height() // 4)),
                         "colours": len(colours)}
    print(json.dumps(report), flush=True)
    os._exit(0)  # QGIS 3.22's exitQgis() may crash while tearing down in offscreen mode: the report is out


if __name__ == "__main__":
    main()
