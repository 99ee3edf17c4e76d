"""scenicheatmap:heatmapseries - one heat map per month, season or year, on one grid with common breaks."""

import os

from qgis.core import (
    Qgis,
    QgsDateTimeRange,
    QgsLayerDefinition,
    QgsLayerTreeGroup,
    QgsLayerTreeLayer,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingOutputMultipleLayers,
    QgsProcessingOutputNumber,
    QgsRasterLayer,
    QgsRasterLayerTemporalProperties,
    QgsRectangle,
)
from qgis.PyQt.QtCore import QDateTime

from ..core.density import pipeline
from ..core.density.periods import PERIODS
from .support.base import ScenicAlgorithm, progress
from .support.cluster import HELP as SCHEDULER_HELP
from .support.cluster import SCHEDULER_PARAMETER, dask_client, scheduler_of, strips_on
from .support.density_common import WEIGHTING_HELP, DensityInputs, density_parameters
from .support.parameters import enum, file_out, simple
from .support.rendering import layout_image
from .support.styling import LoadStyleOnCompletion, apply_density_style, density_title, style_path


def set_period(layer: QgsRasterLayer, start, end):
    """A fixed temporal range, so QGIS's Temporal Controller shows the layer only in its period."""
    properties = layer.temporalProperties()
    properties.setMode(QgsRasterLayerTemporalProperties.ModeFixedTemporalRange)
    properties.setFixedTemporalRange(QgsDateTimeRange(QDateTime(start), QDateTime(end), True, False))
    properties.setIsActive(True)


class LoadPeriodOnCompletion(LoadStyleOnCompletion):
    """The saved style, then the temporal range, when Processing loads a series raster."""

    def __init__(self, qml, start, end):
        super().__init__(qml)
        self.start, self.end = start, end

    def postProcessLayer(self, layer, context, feedback):
        super().postProcessLayer(layer, context, feedback)
        if isinstance(layer, QgsRasterLayer):
            set_period(layer, self.start, self.end)


class HeatmapSeriesAlgorithm(ScenicAlgorithm):
    NAME = "heatmapseries"
    DISPLAY = "Heat-map time series"
    PARAMETERS = (
        *density_parameters(after_kernel=(enum("PERIOD", "One map per", PERIODS, 1),)),
        SCHEDULER_PARAMETER,
        simple("folder_out", "OUTPUT_FOLDER", "Series folder"),
        file_out("STRIP", "PNG strip", "PNG image (*.png)", optional=True),
    )
    OUTPUTS = {
        "strings": ("UNIT",),
        "numbers": ("MIN", "MAX", "REMOVED_CELLS", "REMOVED_PHOTOS", "DOMINATED_CELLS", "DOMINATED_PHOTOS"),
        "files": ("LAYER_DEFINITION",),
    }
    HELP = (
        "One photo-density heat map per month, season or year of the date taken: where people "
        "photograph in summer and in winter, year by year.<br><br>"
        "Every raster shares one grid and one colour scale (the common minimum and maximum), so the "
        "maps compare at a glance. Each raster carries its period as a fixed temporal range, so "
        "QGIS's Temporal Controller animates the series; periods without photos are left out. "
        "Seasons are meteorological (winter = December to February, named after its January's year).<br>"
        "Writes <i>heatmap_&lt;period&gt;.tif</i> with a .qml style into the output folder, "
        "<i>heatmap_series.qlr</i> (drag it into QGIS later to get the whole animated series back), and "
        "a PNG strip with one map per period.<br>"
        "Radius and pixel size are metres; kernel, target CRS and clip work as in the heat map. "
        + WEIGHTING_HELP
        + SCHEDULER_HELP
    )

    def initAlgorithm(self, config=None):
        super().initAlgorithm(config)
        self.addOutput(QgsProcessingOutputMultipleLayers("LAYERS", self.tr("Series rasters")))
        self.addOutput(QgsProcessingOutputNumber("PERIODS", self.tr("Periods with photos")))

    def processAlgorithm(self, parameters, context, feedback):
        folder, strip_path = self._outputs(parameters, context)
        inputs = DensityInputs.read(self, parameters, context, feedback, taken_needed=True)
        request, period = inputs.request, PERIODS[inputs.values.period]
        made_folder = not os.path.isdir(folder)
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as exc:
            raise QgsProcessingException(f"OUTPUT_FOLDER: cannot create {folder} ({exc.strerror or exc}).") from None
        # a failure from here on: the output guard (outputs_guard.py) removes the folder or what this run wrote in it
        taken = inputs.values.taken_field or "taken"
        with dask_client(scheduler_of(self, parameters, context), feedback) as client:
            bar = progress(feedback, 0.0, 0.8)
            series = pipeline.series(folder, request, inputs.photos, period, bar, strips_on(client), taken)
        for note in series.notes:
            feedback.pushInfo(note)
        low, high = series.vmin or 0.0, series.vmax or 1.0  # an empty series: the log said why; no MIN or MAX
        layers = self._style(series, low, high, inputs.values.classes, request, context, inputs.method)
        qlr = os.path.join(folder, pipeline.SERIES_DEFINITION)
        self._write_layer_definition(layers, qlr, f"Photo density per {period} ({request.unit})")
        feedback.setProgress(90)
        # the strip is drawn by a print layout, which belongs on the main thread: postProcessAlgorithm
        self._strip_job = (strip_path, series, inputs.target, request, folder if made_folder else "")
        self._results = {
            "OUTPUT_FOLDER": folder,
            "STRIP": strip_path or None,
            "LAYER_DEFINITION": qlr,
            "LAYERS": [m.path for m in series.maps],
            "PERIODS": len(series.maps),
            "MIN": series.vmin,
            "MAX": series.vmax,
            "UNIT": request.unit,
            **series.removed,
        }
        feedback.setProgress(95)
        return self._results

    def postProcessAlgorithm(self, context, feedback):
        strip_path, series, target, request, made_folder = getattr(self, "_strip_job", (None,) * 5)
        if strip_path:
            try:
                self._write_strip(series, target, request, strip_path)
            except BaseException:
                self._remove(series, made_folder)
                if os.path.exists(strip_path):
                    os.remove(strip_path)
                raise
        feedback.setProgress(100)
        return getattr(self, "_results", {})

    def _outputs(self, parameters, context):
        folder = self.parameterAsString(parameters, "OUTPUT_FOLDER", context)
        strip_path = self.parameterAsFileOutput(parameters, "STRIP", context)
        if os.path.exists(folder) and not os.path.isdir(folder):
            raise QgsProcessingException(f"OUTPUT_FOLDER: {folder} is a file, not a folder.")
        # the folder is made only once every check has passed (outputs_guard tried its parent)
        if strip_path and not strip_path.lower().endswith(".png"):
            raise QgsProcessingException(f"STRIP: the strip is a PNG image; use a .png name, not {strip_path}.")
        return folder, strip_path

    @staticmethod
    def _style(series, low, high, classes, request, context, method):
        """Common breaks: every style uses the series' min and max; each .qml carries its period."""
        layers = []
        for one in series.maps:
            layer = QgsRasterLayer(one.path, f"{one.label} ({one.photos} photos)", "gdal")
            apply_density_style(layer, low, high, classes, request.unit, method)
            layer.setTitle(density_title(request.unit, request.radius_m, f"{request.weighting} {one.label}"))
            set_period(layer, one.start, one.end)
            layer.saveNamedStyle(style_path(one.path))  # style and temporal range, loaded with the file
            layers.append(layer)
            if context.project() is not None:
                details = QgsProcessingContext.LayerDetails(layer.name(), context.project(), "LAYERS")
                details.setPostProcessor(LoadPeriodOnCompletion.create(style_path(one.path), one.start, one.end))
                context.addLayerToLoadOnCompletion(one.path, details)
        return layers

    @staticmethod
    def _write_layer_definition(layers, path, title):
        """A .qlr with every raster, style and period: drag it into QGIS to animate the series."""
        group = QgsLayerTreeGroup(title)
        for layer in layers:
            group.addChildNode(QgsLayerTreeLayer(layer))
        ok, message = QgsLayerDefinition.exportLayerDefinition(path, [group], Qgis.FilePathType.Relative)
        if not ok:
            raise QgsProcessingException(f"Cannot write the layer definition {path}: {message}")

    @staticmethod
    def _write_strip(series, target, request, path):
        """One print layout: a map per period, one legend (one colour scale for all), scale bar, north."""
        grid = series.grid
        extent = QgsRectangle(grid.xmin, grid.ymin, grid.xmax, grid.ymax)
        layers = []
        for one in series.maps:
            layer = QgsRasterLayer(one.path, one.label, "gdal")
            layer.loadNamedStyle(style_path(one.path))
            layers.append(layer)
        panels = [([layer], extent, f"{one.label}: {one.photos} photos") for layer, one in zip(layers, series.maps)]
        caption = f"Density of {request.weighting} per period, radius {request.radius_m:g} m; one colour scale for all."
        columns = min(4, len(panels))
        image, _ = layout_image(panels, target, layers[0], request.unit, caption, panel_mm=60, columns=columns)
        if not image.save(path, "PNG"):
            raise QgsProcessingException(f"STRIP: cannot write the PNG strip {path}.")

    @staticmethod
    def _remove(series, made_folder=""):
        """Removes the rasters this run wrote, and the folder when this run made it and it is empty."""
        for one in series.maps:
            for name in (one.path, style_path(one.path), one.path + ".aux.xml"):
                if os.path.exists(name):
                    os.remove(name)
        if made_folder and os.path.isdir(made_folder) and not os.listdir(made_folder):
            os.rmdir(made_folder)
