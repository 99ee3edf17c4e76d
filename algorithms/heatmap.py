"""scenicheatmap:heatmap - a styled kernel-density GeoTIFF with radius and pixel in metres."""

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessingException,
    QgsProcessingParameterField,
    QgsProcessingParameterRasterDestination,
)

from ..core.density import kde, tiles
from .support import density_common as common
from .support.base import ScenicAlgorithm
from .support.cluster import HELP as SCHEDULER_HELP
from .support.cluster import add_scheduler_parameter, dask_client, scheduler_of
from .support.density_common import (
    WEIGHTING_HELP,
    add_density_parameters,
    clip_source,
    clip_wkbs,
    compute_heat_map,
    kernel_settings,
    numeric_field,
    owner_floor,
    point_source,
    read_weighted_points,
    target_crs,
    value_kind,
)
from .support.styling import LoadStyleOnCompletion, density_title, write_density_style


class HeatmapAlgorithm(ScenicAlgorithm):
    POINTS = common.POINTS
    RADIUS = common.RADIUS
    PIXEL_SIZE = common.PIXEL_SIZE
    KERNEL = common.KERNEL
    WEIGHT = "WEIGHT"
    OUTPUT_VALUE = common.OUTPUT_VALUE
    TARGET_CRS = common.TARGET_CRS
    CLIP = common.CLIP
    CLASSES = common.CLASSES
    OUTPUT = "OUTPUT"

    NAME = "heatmap"
    OUTPUTS = {
        "files": ("STYLE",),
        "strings": ("CRS_USED", "WEIGHTING_USED", "AUDIENCE_USED", "UNIT"),
        "numbers": ("MIN", "MAX", "PHOTOS", "REMOVED_CELLS", "REMOVED_PHOTOS"),
    }
    DISPLAY = "Styled photo-density heat map"
    HELP = (
        "Kernel-density heat map of photo points, written as a GeoTIFF that loads styled "
        "(Singleband pseudocolor, YlOrRd, equal-interval classes; the style is also saved as "
        "a .qml next to the file).<br><br>"
        "<b>Radius</b> and <b>pixel size</b> are always metres, even for points in EPSG:4326. "
        "The study used 1000 m for the whole city and 100-300 m per district.<br>"
        "<b>Kernel</b>, <b>weight field</b> and <b>output values</b> (raw or scaled) work as in "
        "QGIS's own Heatmap (kernel density estimation), whose values this algorithm reproduces "
        "on the same grid, only faster.<br>"
        "<b>Target CRS</b>: the projected CRS to compute in; default the UTM zone of the points' "
        "centre. <b>Clip</b>: cells outside these polygons become nodata. <b>Classes</b>: number "
        "of colour classes. Cells that no point reaches are nodata.<br>" + WEIGHTING_HELP + SCHEDULER_HELP
    )

    def initAlgorithm(self, config=None):
        add_density_parameters(
            self,
            after_kernel=[
                QgsProcessingParameterField(
                    self.WEIGHT,
                    self.tr("Weight field"),
                    parentLayerParameterName=self.POINTS,
                    type=QgsProcessingParameterField.Numeric,
                    optional=True,
                )
            ],
        )
        add_scheduler_parameter(self)
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT, self.tr("Heat map")))

    def processAlgorithm(self, parameters, context, feedback):
        source = point_source(self, parameters, self.POINTS, context)
        clip = clip_source(self, parameters, self.CLIP, context)
        radius_m, pixel_m, kernel = kernel_settings(self, parameters, context)
        kind = value_kind(self, parameters, context)
        weight_field = numeric_field(self, parameters, self.WEIGHT, source, context)
        classes = self.parameterAsInt(parameters, self.CLASSES, context)
        output = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        if not output.lower().endswith((".tif", ".tiff")):
            raise QgsProcessingException(f"The heat map is written as GeoTIFF; use a .tif file name, not {output}.")
        if source.featureCount() == 0:
            raise QgsProcessingException("The point layer has no points.")

        target, to_units = target_crs(self, parameters, self.TARGET_CRS, source, context, feedback)
        radius, pixel = radius_m * to_units, pixel_m * to_units
        floor = owner_floor(self, parameters, source, context, feedback)
        points, weighting, audience = read_weighted_points(
            self, parameters, source, target, radius, context, feedback, weight_field, owners_needed=floor > 0
        )
        xs, ys = points.xs, points.ys
        if len(xs) == 0:
            raise QgsProcessingException(
                "No photo points to map" + (f" for the audience {audience!r}." if audience != "all" else ".")
            )
        plain = not weight_field and weighting == "photos"
        unit = kde.value_unit(kind, weighting, bool(weight_field))
        scheduler = scheduler_of(self, parameters, context)
        try:
            grid = kde.grid_for_points(xs, ys, radius, pixel, max_cells=common.MAX_CELLS)
        except kde.KdeError as exc:
            raise QgsProcessingException(str(exc)) from None
        feedback.pushInfo(f"{len(xs)} points, grid {grid.cols} x {grid.rows} cells.")
        wkt = target.toWkt(QgsCoordinateReferenceSystem.WKT_PREFERRED_GDAL)
        wkbs = None if clip is None else clip_wkbs(clip, target, context)
        spec = tiles.MapSpec(grid, kind, to_units, wkbs, wkt, floor)
        with dask_client(scheduler, feedback) as client:
            weights = None if plain else points.weights
            summary = compute_heat_map(output, spec, points, radius, kernel, weights, unit, client, feedback)
        removed = (summary.removed_cells, summary.removed_photos)
        vmin, vmax = summary.vmin, summary.vmax
        if vmin is None:
            feedback.pushWarning("Every cell is nodata (no density inside the clip polygons).")
            vmin, vmax = 0.0, 1.0
        title = density_title(unit, radius_m, weighting)
        qml = write_density_style(output, vmin, vmax, classes, unit, title)
        if context.willLoadLayerOnCompletion(output):
            details = context.layerToLoadOnCompletionDetails(output)
            details.setPostProcessor(LoadStyleOnCompletion.create(qml, title))
        feedback.setProgress(100)
        return {
            self.OUTPUT: output,
            "STYLE": qml,
            "CRS_USED": target.authid(),
            "MIN": vmin,
            "MAX": vmax,
            "WEIGHTING_USED": weighting,
            "AUDIENCE_USED": audience,
            "PHOTOS": len(xs),
            "REMOVED_CELLS": removed[0],
            "REMOVED_PHOTOS": removed[1],
            "UNIT": unit,
        }
