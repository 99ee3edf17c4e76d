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

from ...core.density.raster import break_label, class_breaks

RAMP = "YlOrRd"


def style_path(raster_path: str) -> str:
    return os.path.splitext(raster_path)[0] + ".qml"


def apply_density_style(layer: QgsRasterLayer, vmin: float, vmax: float, classes: int, unit: str = ""):
    """Singleband pseudocolor, YlOrRd, discrete equal-interval classes from 0 with round breaks
    (core/raster.class_breaks). The unit comes with the band description (the legend's first line)."""
    del vmin  # classes start at 0: the noise floor is already nodata
    breaks = class_breaks(vmax, classes)
    ramp = QgsStyle.defaultStyle().colorRamp(RAMP)
    step = breaks[0]
    items = []
    for i, high in enumerate(breaks):
        colour = ramp.color(i / max(1, len(breaks) - 1))
        label = break_label(high - step, high, step)  # the unit is the band's name, above the classes
        items.append(QgsColorRampShader.ColorRampItem(high, colour, label))
    shader = QgsColorRampShader(0.0, breaks[-1], ramp, QgsColorRampShader.Discrete, QgsColorRampShader.EqualInterval)
    shader.setColorRampItemList(items)
    raster_shader = QgsRasterShader(0.0, breaks[-1])
    raster_shader.setRasterShaderFunction(shader)
    renderer = QgsSingleBandPseudoColorRenderer(layer.dataProvider(), 1, raster_shader)
    renderer.setClassificationMin(0.0)
    renderer.setClassificationMax(breaks[-1])
    layer.setRenderer(renderer)
    layer.triggerRepaint()


def density_title(unit: str, radius_m: float, what: str = "photos") -> str:
    """A layer title that says what was mapped, distinct at its start: "Photo-user-days: density, r 300 m
    (photo-user-days per km²)"."""
    return f"{what[:1].upper()}{what[1:]}: density, r {radius_m:g} m ({unit})"


def write_density_style(
    raster_path: str, vmin: float, vmax: float, classes: int, unit: str = "", title: str = ""
) -> str:
    """Style the file and save `<name>.qml` next to it; QGIS loads it with the raster."""
    layer = QgsRasterLayer(raster_path, "density", "gdal")
    if not layer.isValid():
        raise RuntimeError(f"Cannot open the written raster {raster_path}")
    apply_density_style(layer, vmin, vmax, classes, unit)
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
