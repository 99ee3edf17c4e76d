"""scenicheatmap:heatmapuncertainty - a bootstrap over photographers: how stable is each cell's density,
and how much of it is one person (core/density/bootstrap.py through core/density/pipeline.py)."""

from ..core.density import pipeline
from ..core.density.raster import write_geotiff
from .support.base import ScenicAlgorithm, progress
from .support.cluster import HELP as SCHEDULER_HELP
from .support.cluster import SCHEDULER_PARAMETER, dask_client, scheduler_of, strips_on
from .support.density_common import WEIGHTING_HELP, DensityInputs, density_parameters
from .support.parameters import integer, simple
from .support.styling import write_density_style

RASTERS = (
    ("CV", "Coefficient of variation", "coefficient of variation"),
    ("P05", "5th percentile", None),
    ("P95", "95th percentile", None),
    ("TOP_SHARE", "Share of the largest owner", "share of the largest owner"),
)


class HeatmapUncertaintyAlgorithm(ScenicAlgorithm):
    NAME = "heatmapuncertainty"
    DISPLAY = "Heat-map uncertainty (bootstrap over photographers)"
    PARAMETERS = (
        *density_parameters(),
        integer("BOOTSTRAP", "Bootstrap replicates", 200, minimum=2, maximum=10000),
        integer("SEED", "Random seed", 1),
        SCHEDULER_PARAMETER,
        *(simple("raster_out", name, title) for name, title, _ in RASTERS),
    )
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

    def processAlgorithm(self, parameters, context, feedback):
        inputs = DensityInputs.read(self, parameters, context, feedback, owners_needed=True)
        request, values = inputs.request, inputs.values
        with dask_client(scheduler_of(self, parameters, context), feedback) as client:
            bar = progress(feedback, 0.0, 0.9)
            runner = strips_on(client, bootstrap=True)
            result = pipeline.uncertainty(request, inputs.photos, values.bootstrap, values.seed, bar, runner)
        results = {"OWNERS": result.owners, "REPLICATES": values.bootstrap}
        for name, _, own_unit in RASTERS:
            path = self.parameterAsOutputLayer(parameters, name, context)
            unit = own_unit or request.unit
            low, high = write_geotiff(path, result.rasters[name], result.grid, inputs.request.wkt, description=unit)
            write_density_style(path, low or 0.0, high or 1.0, values.classes, unit, method=inputs.method)
            results[name] = path
        feedback.pushInfo(f"{values.bootstrap} bootstrap replicates over {result.owners} owners.")
        return results
