"""YlOrRd pseudocolour style for density rasters, saved as a .qml beside the file."""

import os

from qgis.core import (
    QgsColorRampShader,
    QgsProcessingLayerPostProcessorInterface,
    QgsRasterLayer,
    QgsRasterShader,
    QgsSingleBandPseudoColorRenderer,
    QgsStyle,
)

RAMP = "YlOrRd"


def style_path(raster_path: str) -> str:
    return os.path.splitext(raster_path)[0] + ".qml"


def apply_density_style(layer: QgsRasterLayer, vmin: float, vmax: float, classes: int):
    """Singleband pseudocolor, YlOrRd, linear interpolation, equal-interval classes."""
    ramp = QgsStyle.defaultStyle().colorRamp(RAMP)
    shader = QgsColorRampShader(vmin, vmax, ramp, QgsColorRampShader.Interpolated, QgsColorRampShader.EqualInterval)
    shader.classifyColorRamp(classes, -1)
    raster_shader = QgsRasterShader(vmin, vmax)
    raster_shader.setRasterShaderFunction(shader)
    renderer = QgsSingleBandPseudoColorRenderer(layer.dataProvider(), 1, raster_shader)
    renderer.setClassificationMin(vmin)
    renderer.setClassificationMax(vmax)
    layer.setRenderer(renderer)
    layer.triggerRepaint()


def write_density_style(raster_path: str, vmin: float, vmax: float, classes: int) -> str:
    """Style the file and save `<name>.qml` next to it; QGIS loads it with the raster."""
    layer = QgsRasterLayer(raster_path, "density", "gdal")
    if not layer.isValid():
        raise RuntimeError(f"Cannot open the written raster {raster_path}")
    apply_density_style(layer, vmin, vmax, classes)
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

    def __init__(self, qml: str):
        super().__init__()
        self.qml = qml

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802 - QGIS API
        if isinstance(layer, QgsRasterLayer) and os.path.exists(self.qml):
            layer.loadNamedStyle(self.qml)
            layer.triggerRepaint()
