"""YlOrRd pseudocolour style for density rasters, saved as a .qml beside the file: discrete
equal-interval classes with round breaks, labelled with the unit."""

import os

from qgis.core import (
    QgsColorRampShader,
    QgsProcessingLayerPostProcessorInterface,
    QgsRasterLayer,
    QgsRasterShader,
    QgsSingleBandPseudoColorRenderer,
    QgsStyle,
)

from ...core.density.classes import METHODS, breaks, label

RAMP = "YlOrRd"


def style_path(raster_path: str) -> str:
    return os.path.splitext(raster_path)[0] + ".qml"


def apply_density_style(
    layer: QgsRasterLayer, vmin: float, vmax: float, classes: int, unit: str = "", method: str = METHODS[0]
):
    """Singleband pseudocolor, YlOrRd, exactly `classes` classes from 0 by `method`
    (core/density/classes.py), or a continuous ramp. The unit comes with the band description (the
    legend's first line); each class label says which classification made it."""
    del vmin  # classes start at 0: the noise floor is already nodata
    values = _sample(layer) if method == "quantiles" else None
    tops = breaks(method, classes, vmax, values)
    ramp = QgsStyle.defaultStyle().colorRamp(RAMP)
    items, low = [], 0.0
    if method == "continuous":
        for i in range(5):
            value = tops[-1] * i / 4
            text = f"{value:.3g}" + (" (continuous ramp)" if i == 4 else "")
            items.append(QgsColorRampShader.ColorRampItem(value, ramp.color(i / 4), text))
        kind, mode = QgsColorRampShader.Interpolated, QgsColorRampShader.Continuous
    else:
        for i, high in enumerate(tops):
            text = label(low, high) + {"quantiles": f" (quantile {i + 1}/{len(tops)})", "logarithmic": " (log)"}.get(
                method, ""
            )
            items.append(QgsColorRampShader.ColorRampItem(high, ramp.color(i / max(1, len(tops) - 1)), text))
            low = high
        kind = QgsColorRampShader.Discrete
        mode = {"quantiles": QgsColorRampShader.Quantile}.get(method, QgsColorRampShader.EqualInterval)
    shader = QgsColorRampShader(0.0, tops[-1], ramp, kind, mode)
    shader.setColorRampItemList(items)
    raster_shader = QgsRasterShader(0.0, tops[-1])
    raster_shader.setRasterShaderFunction(shader)
    renderer = QgsSingleBandPseudoColorRenderer(layer.dataProvider(), 1, raster_shader)
    renderer.setClassificationMin(0.0)
    renderer.setClassificationMax(tops[-1])
    layer.setRenderer(renderer)
    layer.triggerRepaint()


def _sample(layer: QgsRasterLayer, size: int = 600):
    """The raster's valid values, read decimated to at most size x size (GDAL), for quantile breaks."""
    from osgeo import gdal

    dataset = gdal.Open(layer.source())
    if dataset is None:
        return None
    band = dataset.GetRasterBand(1)
    cols, rows = min(size, dataset.RasterXSize), min(size, dataset.RasterYSize)
    values = band.ReadAsArray(buf_xsize=cols, buf_ysize=rows).astype(float).ravel()
    nodata = band.GetNoDataValue()
    return values[values != nodata] if nodata is not None else values


def density_title(unit: str, radius_m: float, what: str = "photos") -> str:
    """A layer title that says what was mapped, distinct at its start: "Photo-user-days: density, r 300 m
    (photo-user-days per km²)"."""
    return f"{what[:1].upper()}{what[1:]}: density, r {radius_m:g} m ({unit})"


def write_density_style(
    raster_path: str, vmin: float, vmax: float, classes: int, unit: str = "", title: str = "", method: str = METHODS[0]
) -> str:
    """Style the file and save `<name>.qml` next to it; QGIS loads it with the raster."""
    layer = QgsRasterLayer(raster_path, "density", "gdal")
    if not layer.isValid():
        raise RuntimeError(f"Cannot open the written raster {raster_path}")
    apply_density_style(layer, vmin, vmax, classes, unit, method)
    if title:
        layer.setTitle(title)
    qml = style_path(raster_path)
    message, ok = layer.saveNamedStyle(qml)
    if not ok:
        raise RuntimeError(f"Cannot write the style {qml}: {message}")
    return qml


class KeptPostProcessor(QgsProcessingLayerPostProcessorInterface):
    """A layer post-processor made with `create`, which keeps it alive: QGIS holds no reference to it."""

    _alive = []

    @classmethod
    def create(cls, *args):
        processor = cls(*args)
        KeptPostProcessor._alive.append(processor)
        return processor


class LoadStyleOnCompletion(KeptPostProcessor):
    """Applies the saved .qml when Processing loads the output into the project."""

    def __init__(self, qml: str, name: str = ""):
        super().__init__()
        self.qml = qml
        self.name = name

    def postProcessLayer(self, layer, context, feedback):
        if isinstance(layer, QgsRasterLayer) and os.path.exists(self.qml):
            layer.loadNamedStyle(self.qml)
            if self.name:
                layer.setName(self.name)
            layer.triggerRepaint()
