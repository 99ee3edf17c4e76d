"""QGIS layers as the web map's content (core/webmap/page.py): rasters warped to Web Mercator by GDAL
and coloured by QGIS's own renderer, so that the web's colours are QGIS's; vectors as GeoJSON in
WGS 84 with their popups."""

import json
import os
import tempfile

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCsException,
    QgsFeatureRequest,
    QgsLayerDefinition,
    QgsPointXY,
    QgsProcessingException,
    QgsProject,
    QgsRasterLayer,
    QgsStyle,
)
from qgis.PyQt.QtCore import QBuffer, QByteArray, QIODevice

from ...core.density.classes import breaks, label
from ...core.density.pipeline import SERIES_DEFINITION
from ...core.webmap import page
from .layers import WGS84
from .styling import RAMP, apply_density_style, style_path

MERCATOR = QgsCoordinateReferenceSystem("EPSG:3857")
OWN_RENDERERS = ("singlebandpseudocolor", "paletted")  # a style someone chose; grey is only the default


def css(qcolor, opacity: float = 1.0) -> str:
    return page.colour(qcolor.red(), qcolor.green(), qcolor.blue(), round(qcolor.alpha() * opacity))


def png_bytes(image) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data)


def check_raster(layer, name: str):
    if not layer.isValid() or layer.providerType() != "gdal":
        raise QgsProcessingException(f"{name}: {layer.name()} is not a raster file GDAL can read.")
    if not layer.crs().isValid():
        raise QgsProcessingException(
            f"{name}: the raster {layer.name()} has no CRS, so it cannot be placed on a web map. "
            "Set its CRS (Layer Properties > Source) and run again."
        )


def styled_copy(layer, path: str) -> QgsRasterLayer:
    """The warped file with the layer's style: the .qml beside its file, else the layer's own
    renderer, else the plugin's YlOrRd classes."""
    web = QgsRasterLayer(path, layer.name(), "gdal")
    qml = style_path(layer.source())
    if os.path.isfile(qml) and web.loadNamedStyle(qml)[1]:
        return web
    web.setTitle(layer.title())
    if layer.renderer() is not None and layer.renderer().type() in OWN_RENDERERS:
        web.setRenderer(layer.renderer().clone())
    else:
        top = web.dataProvider().bandStatistics(1).maximumValue
        apply_density_style(web, 0.0, top, 5)
    return web


def raster_image(layer, max_pixels: int, name: str, period: str = ""):
    """(page.Image, note): the raster in Web Mercator (nearest neighbour, so each pixel keeps a cell's
    value), at most max_pixels on its longer side, nodata transparent."""
    from osgeo import gdal

    check_raster(layer, name)
    dataset = gdal.Open(layer.source())
    if dataset is None:
        raise QgsProcessingException(f"{name}: GDAL cannot open {layer.source()}.")
    nodata = dataset.GetRasterBand(1).GetNoDataValue()
    unit = dataset.GetRasterBand(1).GetDescription()  # the density algorithms write their unit here
    dataset = None
    with tempfile.TemporaryDirectory(prefix="scenic_web_") as tmp:
        common = {"srcSRS": layer.crs().toWkt(), "dstSRS": "EPSG:3857", "resampleAlg": "near"}
        common["dstNodata"] = nodata if nodata is not None else -3.4e38
        probe = gdal.Warp(os.path.join(tmp, "probe.vrt"), layer.source(), format="VRT", **common)
        if probe is None:
            raise QgsProcessingException(f"{name}: GDAL cannot reproject {layer.name()} to Web Mercator.")
        cols, rows, resampled = page.raster_size(probe.RasterXSize, probe.RasterYSize, max_pixels)
        probe = None
        path = os.path.join(tmp, "web.tif")
        if gdal.Warp(path, layer.source(), format="GTiff", width=cols, height=rows, **common) is None:
            raise QgsProcessingException(f"{name}: GDAL cannot reproject {layer.name()} to Web Mercator.")
        web = styled_copy(layer, path)
        block = web.renderer().block(1, web.extent(), cols, rows)
        png = png_bytes(block.image())
        title = f"{layer.name()} ({unit})" if unit and unit not in layer.name() else layer.name()
        legend = page.Legend(title, [(css(c), text) for text, c in web.renderer().legendSymbologyItems()])
        extent = web.extent()
        web = None
    south_west, north_east = _degrees(extent)
    bounds = (south_west.y(), south_west.x(), north_east.y(), north_east.x())
    note = f"{layer.name()}: resampled to {cols} x {rows} pixels (MAX_PIXELS {max_pixels})." if resampled else ""
    return page.Image(layer.name(), png, bounds, legend, period), note


def _degrees(extent):
    """The corners of a Web Mercator extent in degrees (its edges are parallels and meridians)."""
    to_wgs84 = QgsCoordinateTransform(MERCATOR, WGS84, QgsProject.instance().transformContext())
    south_west = to_wgs84.transform(QgsPointXY(extent.xMinimum(), extent.yMinimum()))
    north_east = to_wgs84.transform(QgsPointXY(extent.xMaximum(), extent.yMaximum()))
    return south_west, north_east


def series_definition(folder: str) -> str:
    """The layer definition a heatmapseries folder holds, refused by name when it is not there."""
    qlr = os.path.join(folder, SERIES_DEFINITION)
    if not os.path.isfile(qlr):
        raise QgsProcessingException(
            f"SERIES: {folder} holds no {SERIES_DEFINITION}; choose the folder that scenicheatmap:heatmapseries wrote."
        )
    return qlr


def series_layers(folder: str):
    """The periods of a heatmapseries folder in time order, from the layer definition it wrote."""
    qlr = series_definition(folder)
    layers = [layer for layer in QgsLayerDefinition.loadLayerDefinitionLayers(qlr) if isinstance(layer, QgsRasterLayer)]
    if not layers:
        raise QgsProcessingException(f"SERIES: {qlr} lists no heat map.")

    def start(layer):
        properties = layer.temporalProperties()
        begin = properties.fixedTemporalRange().begin() if properties.isActive() else None
        return (begin.toMSecsSinceEpoch() if begin is not None and begin.isValid() else 0, layer.name())

    return sorted(layers, key=start)


def geojson(geometry) -> dict:
    return json.loads(geometry.asJson(6))


def features_in_wgs84(source, context, feedback, fields=()):
    """(feature, GeoJSON geometry) in WGS 84, features without geometry left out."""
    request = QgsFeatureRequest().setDestinationCrs(WGS84, context.transformContext())
    if fields:
        request.setSubsetOfAttributes(list(fields), source.fields())
    try:
        for feature in source.getFeatures(request):
            if feedback.isCanceled():
                return
            geometry = feature.geometry()
            if geometry.isNull() or geometry.isEmpty():
                continue
            yield feature, geometry
    except QgsCsException as exc:
        raise QgsProcessingException(f"Cannot transform the layer to WGS 84: {exc}") from None


def ramp_colours(count: int):
    colours = QgsStyle.defaultStyle().colorRamp(RAMP)
    return [css(colours.color(i / max(1, count - 1))) for i in range(count)]


def class_legend(title: str, values, count: int = 5):
    """Equal-interval classes of `values` in QGIS's YlOrRd: (class of each value, Legend)."""
    tops = breaks("round equal intervals", count, max([v for v in values if v is not None] or [0.0]))
    colours = ramp_colours(len(tops))
    items, low = [], 0.0
    for high, colour in zip(tops, colours):
        items.append((colour, label(low, high)))
        low = high
    chosen = [
        None if v is None else colours[next((i for i, t in enumerate(tops) if v <= t), len(tops) - 1)] for v in values
    ]
    return chosen, page.Legend(title, items)
