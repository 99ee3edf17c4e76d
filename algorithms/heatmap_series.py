"""scenicheatmap:heatmapseries - one heat map per month, season or year, on one grid with common breaks."""

import os
import re

import numpy as np
from qgis.core import (
    Qgis,
    QgsCoordinateReferenceSystem,
    QgsDateTimeRange,
    QgsLayerDefinition,
    QgsLayerTreeGroup,
    QgsLayerTreeLayer,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingOutputMultipleLayers,
    QgsProcessingOutputNumber,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsRasterLayer,
    QgsRasterLayerTemporalProperties,
    QgsRectangle,
)
from qgis.PyQt.QtCore import QDateTime

from ..core.density import kde, tiles
from ..core.density.periods import PERIODS, periods_of
from .support import density_common as common
from .support.base import ScenicAlgorithm
from .support.cluster import HELP as SCHEDULER_HELP
from .support.cluster import add_scheduler_parameter, dask_client, scheduler_of
from .support.density_common import (
    MAX_CELLS,
    TAKEN_FIELD,
    WEIGHTING_HELP,
    PhotoPoints,
    add_density_parameters,
    clip_source,
    clip_wkbs,
    compute_heat_map,
    kernel_settings,
    owner_floor,
    point_source,
    read_weighted_points,
    target_crs,
    value_kind,
)
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
    POINTS = common.POINTS
    PERIOD = "PERIOD"
    RADIUS = common.RADIUS
    PIXEL_SIZE = common.PIXEL_SIZE
    KERNEL = common.KERNEL
    TARGET_CRS = common.TARGET_CRS
    CLIP = common.CLIP
    CLASSES = common.CLASSES
    OUTPUT_FOLDER = "OUTPUT_FOLDER"
    STRIP = "STRIP"

    NAME = "heatmapseries"
    OUTPUTS = {"strings": ("UNIT",), "numbers": ("MIN", "MAX"), "files": ("LAYER_DEFINITION",)}
    OUTPUT_VALUE = common.OUTPUT_VALUE
    DISPLAY = "Heat-map time series"
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
        add_density_parameters(
            self,
            after_kernel=[
                QgsProcessingParameterEnum(self.PERIOD, self.tr("One map per"), options=list(PERIODS), defaultValue=1)
            ],
        )
        add_scheduler_parameter(self)
        self.addParameter(QgsProcessingParameterFolderDestination(self.OUTPUT_FOLDER, self.tr("Series folder")))
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.STRIP, self.tr("PNG strip"), self.tr("PNG image (*.png)"), optional=True
            )
        )
        self.addOutput(QgsProcessingOutputMultipleLayers("LAYERS", self.tr("Series rasters")))
        self.addOutput(QgsProcessingOutputNumber("PERIODS", self.tr("Periods with photos")))

    def processAlgorithm(self, parameters, context, feedback):
        source = point_source(self, parameters, self.POINTS, context)
        clip = clip_source(self, parameters, self.CLIP, context)
        radius_m, pixel_m, kernel = kernel_settings(self, parameters, context)
        period = PERIODS[self.parameterAsEnum(parameters, self.PERIOD, context)]
        classes = self.parameterAsInt(parameters, self.CLASSES, context)
        kind = value_kind(self, parameters, context)
        folder, strip_path = self._outputs(parameters, context)
        if source.featureCount() == 0:
            raise QgsProcessingException("The point layer has no points.")

        target, to_units = target_crs(self, parameters, self.TARGET_CRS, source, context, feedback)
        radius, pixel = radius_m * to_units, pixel_m * to_units
        floor = owner_floor(self, parameters, source, context, feedback)
        points, weighting, _ = read_weighted_points(
            self, parameters, source, target, radius, context, feedback, taken_needed=True, owners_needed=floor > 0
        )
        keys = periods_of(points.times, period)
        dated = np.array([k is not None for k in keys], dtype=bool)
        if (~dated).any():
            feedback.pushWarning(f"{int((~dated).sum())} photos have no date taken and are left out.")
        if not dated.any():
            taken = self.parameterAsString(parameters, TAKEN_FIELD, context)
            raise QgsProcessingException(f"No photo has a date in the field {taken!r}; nothing to map.")
        xs, ys, weights = points.xs[dated], points.ys[dated], points.weights[dated]
        owners_dated = np.array(points.owners, dtype=object)[dated] if floor else None
        unit = kde.value_unit(kind, weighting)
        keys = [k for k in keys if k is not None]
        scheduler = scheduler_of(self, parameters, context)
        try:
            grid = kde.grid_for_points(xs, ys, radius, pixel, max_cells=MAX_CELLS)  # one grid for every period
        except kde.KdeError as exc:
            raise QgsProcessingException(str(exc)) from None
        wkt = target.toWkt(QgsCoordinateReferenceSystem.WKT_PREFERRED_GDAL)
        wkbs = None if clip is None else clip_wkbs(clip, target, context)

        series = sorted(set(keys))
        feedback.pushInfo(
            f"{len(xs)} dated photos in {len(series)} periods ({period}); grid {grid.cols} x {grid.rows}."
        )
        written, lows, highs = [], [], []
        made_folder = not os.path.isdir(folder)
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as exc:
            raise QgsProcessingException(f"OUTPUT_FOLDER: cannot create {folder} ({exc.strerror or exc}).") from None
        # a failure from here on: the output guard (outputs_guard.py) removes the folder or what this run wrote in it
        labels = np.array([k.label for k in keys])
        spec = tiles.MapSpec(grid, kind, to_units, wkbs, wkt, floor)  # one grid, clip and floor for every period
        with dask_client(scheduler, feedback) as client:
            for number, key in enumerate(series):
                if feedback.isCanceled():
                    break
                mine = labels == key.label
                period_points = PhotoPoints(
                    xs[mine], ys[mine], weights[mine], owners_dated[mine] if floor else None, None
                )
                path = os.path.join(folder, f"heatmap_{re.sub(r'[^0-9A-Za-z-]+', '_', key.label)}.tif")
                written.append((key, path, int(mine.sum())))
                feedback.pushInfo(f"{key.label}: {int(mine.sum())} photos")
                span = (80.0 * number / len(series), 80.0 * (number + 1) / len(series))
                summary = compute_heat_map(
                    path, spec, period_points, radius, kernel, period_points.weights, unit, client, feedback, span
                )
                if summary.vmin is not None:
                    lows.append(summary.vmin)
                    highs.append(summary.vmax)
        if feedback.isCanceled():
            raise QgsProcessingException("Cancelled; nothing was kept.")
        vmin, vmax = (min(lows), max(highs)) if lows else (0.0, 1.0)

        layers = self._style(written, vmin, vmax, classes, unit, radius_m, weighting, context)
        qlr = os.path.join(folder, "heatmap_series.qlr")
        self._write_layer_definition(layers, qlr, f"Photo density per {period} ({unit})")
        feedback.setProgress(90)
        # the strip is drawn by a print layout, which belongs on the main thread: postProcessAlgorithm
        self._strip_job = (
            (
                strip_path,
                [(key.label, path, count) for key, path, count in written],
                grid,
                target,
                unit,
                weighting,
                radius_m,
                folder if made_folder else "",
            )
            if strip_path
            else None
        )
        self._results = {
            self.OUTPUT_FOLDER: folder,
            self.STRIP: strip_path or None,
            "LAYER_DEFINITION": qlr,
            "LAYERS": [p for _, p, _ in written],
            "PERIODS": len(written),
            "MIN": vmin,
            "MAX": vmax,
            "UNIT": unit,
        }
        feedback.setProgress(95)
        return self._results

    def postProcessAlgorithm(self, context, feedback):
        job = getattr(self, "_strip_job", None)
        if job:
            strip_path, written, grid, target, unit, weighting, radius_m, made_folder = job
            try:
                self._write_strip(written, grid, target, unit, weighting, radius_m, strip_path)
            except BaseException:
                self._remove([(None, path, count) for _, path, count in written], made_folder)
                if os.path.exists(strip_path):
                    os.remove(strip_path)
                raise
        feedback.setProgress(100)
        return getattr(self, "_results", {})

    def _outputs(self, parameters, context):
        folder = self.parameterAsString(parameters, self.OUTPUT_FOLDER, context)
        strip_path = self.parameterAsFileOutput(parameters, self.STRIP, context)
        if os.path.exists(folder) and not os.path.isdir(folder):
            raise QgsProcessingException(f"OUTPUT_FOLDER: {folder} is a file, not a folder.")
        # the folder is made only once every check has passed (outputs_guard tried its parent)
        if strip_path:
            if not strip_path.lower().endswith(".png"):
                raise QgsProcessingException(f"STRIP: the strip is a PNG image; use a .png name, not {strip_path}.")
        return folder, strip_path

    @staticmethod
    def _style(written, vmin, vmax, classes, unit, radius_m, weighting, context):
        """Common breaks: every style uses the series' min and max; each .qml carries its period."""
        layers = []
        for key, path, count in written:
            layer = QgsRasterLayer(path, f"{key.label} ({count} photos)", "gdal")
            apply_density_style(layer, vmin, vmax, classes, unit)
            layer.setTitle(density_title(unit, radius_m, f"{weighting} {key.label}"))
            set_period(layer, key.start, key.end)
            layer.saveNamedStyle(style_path(path))  # style and temporal range, loaded with the file
            layers.append(layer)
            if context.project() is not None:
                details = QgsProcessingContext.LayerDetails(layer.name(), context.project(), "LAYERS")
                details.setPostProcessor(LoadPeriodOnCompletion.create(style_path(path), key.start, key.end))
                context.addLayerToLoadOnCompletion(path, details)
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
    def _write_strip(written, grid, target, unit, weighting, radius_m, path):
        """One print layout: a map per period, one legend (one colour scale for all), scale bar, north."""
        extent = QgsRectangle(grid.xmin, grid.ymin, grid.xmax, grid.ymax)
        layers = []
        for label, raster, _ in written:
            layer = QgsRasterLayer(raster, label, "gdal")
            layer.loadNamedStyle(style_path(raster))
            layers.append(layer)
        panels = [([layer], extent, f"{label}: {count} photos") for layer, (label, _, count) in zip(layers, written)]
        caption = f"Density of {weighting} per period, radius {radius_m:g} m; one colour scale for all maps."
        image, _ = layout_image(panels, target, layers[0], unit, caption, panel_mm=60, columns=min(4, len(panels)))
        if not image.save(path, "PNG"):
            raise QgsProcessingException(f"STRIP: cannot write the PNG strip {path}.")

    @staticmethod
    def _remove(written, made_folder=""):
        """Removes the rasters this run wrote, and the folder when this run made it and it is empty."""
        for _, path, _ in written:
            for name in (path, style_path(path), path + ".aux.xml"):
                if os.path.exists(name):
                    os.remove(name)
        if made_folder and os.path.isdir(made_folder) and not os.listdir(made_folder):
            os.rmdir(made_folder)
