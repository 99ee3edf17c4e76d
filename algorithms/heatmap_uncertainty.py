"""scenicheatmap:heatmapuncertainty - a bootstrap over photographers: how stable is each cell's density,
and how much of it is one person (core/density/bootstrap.py)."""

import numpy as np
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessingException,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
)

from ..core.density import kde
from ..core.density.bootstrap import owner_bootstrap
from ..core.density.owners import owner_counts
from ..core.density.raster import RasterError, polygon_mask, write_geotiff
from .support import density_common as common
from .support.base import ScenicAlgorithm
from .support.cluster import HELP as SCHEDULER_HELP
from .support.cluster import add_scheduler_parameter, dask_client, scheduler_of
from .support.density_common import (
    WEIGHTING_HELP,
    add_density_parameters,
    clip_source,
    clip_wkbs,
    kernel_settings,
    point_source,
    read_weighted_points,
    target_crs,
    value_kind,
)
from .support.styling import write_density_style

OUTPUTS = (
    ("CV", "Coefficient of variation", "coefficient of variation"),
    ("P05", "5th percentile", None),
    ("P95", "95th percentile", None),
    ("TOP_SHARE", "Share of the largest owner", "share of the largest owner"),
)


class HeatmapUncertaintyAlgorithm(ScenicAlgorithm):
    POINTS = common.POINTS
    BOOTSTRAP = "BOOTSTRAP"
    SEED = "SEED"

    NAME = "heatmapuncertainty"
    DISPLAY = "Heat-map uncertainty (bootstrap over photographers)"
    OUTPUTS = {"numbers": ("OWNERS", "REPLICATES")}
    HELP = (
        "Who is behind a hot spot? A bootstrap over photographers: owners resampled with replacement, the density "
        "recomputed from each owner's own kernel sums. The coefficient of variation is the bootstrap's exact one "
        "(closed form, the limit of infinitely many resamples, at about the cost of one heat map); the 5th and 95th "
        "percentiles come from the drawn replicates (Bootstrap replicates, default 200), added owner by owner "
        "into one strip of the grid at a time, so memory holds the replicates of one strip, never B grids. "
        "The share of the largest owner: near 1, one person's track. "
        "Cells reached by fewer than Min owners owners are nodata. The owner field "
        "is required.<br>" + WEIGHTING_HELP + SCHEDULER_HELP
    )

    def initAlgorithm(self, config=None):
        add_density_parameters(self)
        self.addParameter(
            QgsProcessingParameterNumber(
                self.BOOTSTRAP, self.tr("Bootstrap replicates"), defaultValue=200, minValue=2, maxValue=10000
            )
        )
        self.addParameter(QgsProcessingParameterNumber(self.SEED, self.tr("Random seed"), defaultValue=1))
        add_scheduler_parameter(self)
        for name, title, _ in OUTPUTS:
            self.addParameter(QgsProcessingParameterRasterDestination(name, self.tr(title)))

    def processAlgorithm(self, parameters, context, feedback):
        source = point_source(self, parameters, self.POINTS, context)
        clip = clip_source(self, parameters, common.CLIP, context)
        radius_m, pixel_m, kernel = kernel_settings(self, parameters, context)
        kind = value_kind(self, parameters, context)
        target, to_units = target_crs(self, parameters, common.TARGET_CRS, source, context, feedback)
        radius, pixel = radius_m * to_units, pixel_m * to_units
        points, weighting, _ = read_weighted_points(
            self, parameters, source, target, radius, context, feedback, owners_needed=True
        )
        if len(points.xs) == 0:
            raise QgsProcessingException("POINTS: no photo points.")
        try:
            grid = kde.grid_for_points(points.xs, points.ys, radius, pixel)
            kde.check_memory(grid, rasters=6)  # drawn replicates take one strip at a time (bootstrap.SAMPLE_BYTES)
        except kde.KdeError as exc:
            raise QgsProcessingException(str(exc)) from None
        replicates = self.parameterAsInt(parameters, self.BOOTSTRAP, context)
        scale = 1e6 * to_units * to_units if kind == "per km²" else 1.0
        scheduler = scheduler_of(self, parameters, context)
        with dask_client(scheduler, feedback) as client:
            result = self._bootstrap(parameters, context, feedback, points, grid, radius, kernel, kind, scale, client)
        if result is None:
            raise QgsProcessingException("Cancelled; nothing was written.")
        wkt = target.toWkt(QgsCoordinateReferenceSystem.WKT_PREFERRED_GDAL)
        hidden = np.zeros((grid.rows, grid.cols), bool)
        floor = self.parameterAsInt(parameters, common.MIN_OWNERS, context)
        if floor > 0:
            hidden |= owner_counts(points.xs, points.ys, points.owners, grid, radius) < floor
        if clip is not None:
            hidden |= ~polygon_mask(clip_wkbs(clip, target, context), grid, wkt)
        unit = kde.value_unit(kind, weighting)
        classes = self.parameterAsInt(parameters, common.CLASSES, context)
        results = {"OWNERS": len(set(points.owners)), "REPLICATES": replicates}
        for name, _, own_unit in OUTPUTS:
            values = getattr(result, name.lower())
            values[hidden] = np.nan
            path = self.parameterAsOutputLayer(parameters, name, context)
            try:
                low, high = write_geotiff(path, values, grid, wkt, description=own_unit or unit)
            except RasterError as exc:
                raise QgsProcessingException(f"{name}: {exc}.") from None
            write_density_style(path, low or 0.0, high or 1.0, classes, own_unit or unit)
            results[name] = path
        feedback.pushInfo(f"{replicates} bootstrap replicates over {results['OWNERS']} owners.")
        return results

    def _bootstrap(self, parameters, context, feedback, points, grid, radius, kernel, kind, scale, client):
        from ..core.density.distributed import bootstrap_runner
        from ..core.density.bootstrap import local_strips

        return owner_bootstrap(
            points.xs,
            points.ys,
            points.weights,
            points.owners,
            grid,
            radius,
            kernel,
            self.parameterAsInt(parameters, self.BOOTSTRAP, context),
            self.parameterAsInt(parameters, self.SEED, context),
            scale,
            per_area=kind == "per km²",
            progress=lambda f: (feedback.setProgress(90 * f), not feedback.isCanceled())[1],
            run_strips=bootstrap_runner(client) if client else local_strips,
        )
