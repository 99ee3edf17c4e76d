"""scenicheatmap:heatmap - a styled kernel-density GeoTIFF with radius and pixel in metres."""

from qgis.core import QgsProcessingException

from ..core.density import pipeline
from .support.base import ScenicAlgorithm, progress
from .support.cluster import HELP as SCHEDULER_HELP
from .support.cluster import SCHEDULER_PARAMETER, dask_client, scheduler_of, strips_on
from .support.density_common import WEIGHT_PARAMETER, WEIGHTING_HELP, DensityInputs, density_parameters
from .support.parameters import simple
from .support.styling import LoadStyleOnCompletion, density_title, write_density_style


class HeatmapAlgorithm(ScenicAlgorithm):
    NAME = "heatmap"
    DISPLAY = "Styled photo-density heat map"
    PARAMETERS = (
        *density_parameters(after_kernel=(WEIGHT_PARAMETER,)),
        SCHEDULER_PARAMETER,
        simple("raster_out", "OUTPUT", "Heat map"),
    )
    OUTPUTS = {
        "files": ("STYLE",),
        "strings": ("CRS_USED", "WEIGHTING_USED", "AUDIENCE_USED", "UNIT"),
        "numbers": ("MIN", "MAX", "PHOTOS", "REMOVED_CELLS", "REMOVED_PHOTOS", "DOMINATED_CELLS", "DOMINATED_PHOTOS"),
    }
    HELP = (
        "Kernel-density heat map of photo points, written as a GeoTIFF that loads styled "
        "(Singleband pseudocolor, YlOrRd, equal-interval classes; the style is also saved as "
        "a .qml next to the file).<br><br>"
        "<b>Radius</b> and <b>pixel size</b> are always metres, even for points in EPSG:4326. "
        "The study used 1000 m for the whole city and 100-300 m per district.<br>"
        "<b>Output values</b>: per km² (default), the density on the ground; raw or scaled work as in "
        "QGIS's own Heatmap (kernel density estimation), whose values this algorithm reproduces "
        "on the same grid, only faster.<br>"
        "<b>Target CRS</b>: the projected CRS to compute in; default the UTM zone of the points' "
        "centre. <b>Clip</b>: cells outside these polygons become nodata. <b>Classes</b>: exactly this "
        "many colour classes, by round equal intervals, quantiles, logarithmic steps or a continuous ramp. "
        "Cells that no point reaches are nodata.<br><b>Privacy</b>: a cell with photos of fewer than "
        "<i>min owners</i> people, or whose largest owner makes more than the <i>max share</i> of its value, "
        "is nodata; the log counts both.<br>" + WEIGHTING_HELP + SCHEDULER_HELP
    )

    def processAlgorithm(self, parameters, context, feedback):
        output = self.parameterAsOutputLayer(parameters, "OUTPUT", context)
        if not output.lower().endswith((".tif", ".tiff")):
            raise QgsProcessingException(f"The heat map is written as GeoTIFF; use a .tif file name, not {output}.")
        inputs = DensityInputs.read(self, parameters, context, feedback)
        request, photos = inputs.request, inputs.photos
        spec = request.spec(request.grid(photos))
        feedback.pushInfo(f"{len(photos)} points, grid {spec.grid.cols} x {spec.grid.rows} cells.")
        with dask_client(scheduler_of(self, parameters, context), feedback) as client:
            bar = progress(feedback, 0.05, 0.95)
            summary = pipeline.heat_map(output, request, photos, spec, bar, strips_on(client))
        for note in pipeline.privacy_notes(request, summary):
            feedback.pushInfo(note)
        vmin, vmax = summary.vmin, summary.vmax
        if vmin is None:  # an empty map: no MIN or MAX, and the log says which rule emptied it
            feedback.pushWarning(pipeline.empty_reason(request, summary))
        title = density_title(request.unit, request.radius_m, request.weighting)
        qml = write_density_style(
            output, vmin or 0.0, vmax or 1.0, inputs.values.classes, request.unit, title, inputs.method
        )
        if context.willLoadLayerOnCompletion(output):
            context.layerToLoadOnCompletionDetails(output).setPostProcessor(LoadStyleOnCompletion.create(qml, title))
        return {
            "OUTPUT": output,
            "STYLE": qml,
            "CRS_USED": inputs.target.authid(),
            "MIN": vmin,
            "MAX": vmax,
            "WEIGHTING_USED": request.weighting,
            "AUDIENCE_USED": request.audience,
            "PHOTOS": len(photos),
            "REMOVED_CELLS": summary.removed_cells,
            "REMOVED_PHOTOS": summary.removed_photos,
            "DOMINATED_CELLS": summary.dominated_cells,
            "DOMINATED_PHOTOS": summary.dominated_photos,
            "UNIT": request.unit,
        }
