"""scenicheatmap:validateprices - does photo density track prices? (core/stats/prices.py)"""

from qgis.core import QgsCoordinateTransform, QgsGeometry, QgsProcessingUtils, QgsWkbTypes
from qgis.PyQt.QtCore import QVariant

from ..core.files import write_text_atomically
from ..core.stats import prices as pv
from .support import price_sampling as ps
from .support.base import ScenicAlgorithm
from .support.fields import make_fields
from .support.parameters import enum, integer, sink
from .support.sinks import Sink

BIN_FIELDS = (
    ("bin", QVariant.Int),
    ("n", QVariant.Int),
    ("photo_min", QVariant.Double),
    ("photo_max", QVariant.Double),
    ("photo_mean", QVariant.Double),
    ("price_mean", QVariant.Double),
    ("price_median", QVariant.Double),
    ("ci_low", QVariant.Double),
    ("ci_high", QVariant.Double),
)
SAMPLE_FIELDS = (
    ("photo_value", QVariant.Double),
    ("price_used", QVariant.Double),
    ("outlier", QVariant.Bool),
    ("district", QVariant.String),
)
DISTRICT_FIELDS = (
    ("district", QVariant.String),
    ("n", QVariant.Int),
    ("photo_median", QVariant.Double),
    ("price_median", QVariant.Double),
    ("spearman", QVariant.Double),
)


class ValidatePricesAlgorithm(ScenicAlgorithm):
    NAME = "validateprices"
    REQUIRES = ("scipy", "matplotlib")
    DISPLAY = "Correlate photo density with prices"
    GROUP = "Validation"
    PARAMETERS = (
        *ps.price_parameters(),
        *ps.photo_variable_parameters(300.0),
        *ps.district_parameters("Districts (within-district analysis)"),
        enum("OUTLIERS", "Price outliers", pv.OUTLIER_METHODS),
        integer("BINS", "Quantile bins", 10, minimum=3, maximum=100),
        integer("PERMUTATIONS", "Permutations for p-values", 2000, minimum=99, maximum=100000),
        integer("SEED", "Random seed", 1),
        sink("OUTPUT", "Price by photo-density bin", "table"),
        sink("SAMPLES", "Sampled price locations", "point", optional=True, create=False),
        sink("DISTRICT_TABLE", "Per-district statistics", "table", optional=True, create=False),
        *ps.CHART_AND_REPORT,
    )
    OUTPUTS = {
        "numbers": (
            "SPEARMAN",
            "SPEARMAN_P",
            "PEARSON",
            "PEARSON_P",
            "WITHIN_SPEARMAN",
            "WITHIN_P",
            "MODIFIED_P",
            "EFFECTIVE_N",
            "N",
            "SKIPPED",
            "OUTLIERS_FLAGGED",
        ),
        "strings": ("VERDICT",),
    }
    HELP = (
        "Does photo density track real-estate prices? Samples the photo variable at every price "
        "location, either from a <b>density raster</b> (the heat map; nodata counts as 0) or from "
        "<b>photo points</b> as the quartic-kernel-weighted count within the <b>radius</b> (metres). "
        "Polygon prices are sampled at a point inside each polygon.<br><br>"
        "Writes a table by photo-variable quantile bin (n, mean and median price, bootstrap 95 % CI "
        "of the mean; tied values share a bin, so many zeros give fewer bins), Spearman &rho; and "
        "Pearson r with permutation p-values, a verdict on whether the binned curve rises "
        'monotonically (the study reported "strictly monotonically increasing, almost linear"), a PNG '
        "chart and an HTML report.<br>"
        "<b>Districts</b> (optional) add the same statistics within each district, a pooled "
        "within-district &rho; (ranks and permutations inside districts) and a between-district &rho; of "
        "district medians: a within-district effect means prices are higher near hot spots, a "
        "between-district one only that photogenic areas are expensive.<br>"
        "<b>Outliers</b>: prices whose log lies more than 3.5 robust standard deviations (median/MAD) from "
        "the median are left out (default), clipped, or kept; the report says which and how many. Missing "
        "prices are skipped and counted. Layers in other CRSs are reprojected.<br>"
        "<b>Honest p</b>: the permutation p treats every location as independent; at its floor it is reported "
        "as &lt; 1/(B+1). Beside it, Dutilleul's modified t-test gives a p for the rank correlation with the "
        "effective sample size that spatial autocorrelation leaves (MODIFIED_P, EFFECTIVE_N). A correlation is "
        "not a price effect: <i>Photo variable in a hedonic price model</i> (pricemodel) answers that."
    )

    def processAlgorithm(self, parameters, context, feedback):
        inputs = ps.PriceInputs.read(self, parameters, context, feedback)
        v, photo = inputs.values, inputs.photo["photo"]
        coords = [(p.x(), p.y()) for p in inputs.locations]
        method = pv.OUTLIER_METHODS[v.outliers]
        result = pv.validate(photo, inputs.price, inputs.districts, method, v.bins, v.permutations, v.seed, coords)
        feedback.pushInfo(result.outliers.describe())
        if result.outside_districts:
            feedback.pushInfo(f"{result.outside_districts} price locations lie in no district.")
        feedback.setProgress(80)
        feedback.pushInfo(result.summary())
        if result.district:
            feedback.pushInfo(pv.interpretation(result.district))
        results = self._write_tables(parameters, context, inputs, result)
        chart = pv.chart_png(
            photo[result.keep], result.prices[result.keep], result.table, inputs.label, f"price ({v.price_field})"
        )
        if v.chart:
            with open(v.chart, "wb") as fh:
                fh.write(chart)
        if v.report:
            facts = {"prices": inputs.prices.sourceName(), "price field": v.price_field, "photo variable": inputs.label}
            facts.update({"outliers": method, "bins": v.bins, "permutations": v.permutations, "seed": v.seed})
            page = pv.report_html("Photo density and prices", facts, result, inputs.skipped, chart)
            write_text_atomically(v.report, page)
        overall, district = result.overall, result.district or {}
        results.update({"CHART": v.chart or None, "REPORT": v.report or None, "VERDICT": result.verdict["verdict"]})
        results.update({k.upper(): overall[k] for k in ("spearman", "spearman_p", "pearson", "pearson_p", "n")})
        results.update({"MODIFIED_P": result.modified["p"], "EFFECTIVE_N": result.modified["effective_n"]})
        results.update({"SKIPPED": inputs.skipped, "OUTLIERS_FLAGGED": result.outliers.flagged})
        results.update({"WITHIN_SPEARMAN": district.get("within_spearman"), "WITHIN_P": district.get("within_p")})
        feedback.setProgress(100)
        return results

    def _write_tables(self, parameters, context, inputs, result):
        bins = Sink(self, parameters, "OUTPUT", context, make_fields(BIN_FIELDS), QgsWkbTypes.NoGeometry)
        for row in result.table:
            bins.add([row[name] for name, _ in BIN_FIELDS])
        results = {"OUTPUT": bins.dest}
        prices, names = inputs.prices, inputs.districts
        fields = QgsProcessingUtils.combineFields(prices.fields(), make_fields(SAMPLE_FIELDS))
        samples = Sink(
            self, parameters, "SAMPLES", context, fields, prices.wkbType(), prices.sourceCrs(), optional=True
        )
        if samples.dest is not None:
            # back from the metric work CRS to the prices' own
            to_source = QgsCoordinateTransform(inputs.work, prices.sourceCrs(), context.transformContext())
            photo = inputs.photo["photo"]
            for i, original in enumerate(inputs.features):
                geometry = QgsGeometry(original.geometry())
                geometry.transform(to_source)
                extra = [
                    float(photo[i]),
                    float(result.prices[i]),
                    bool(not result.keep[i]),
                    names[i] if names else None,
                ]
                samples.add(original.attributes() + extra, geometry)
            results["SAMPLES"] = samples.dest
        if result.district:
            table = make_fields(DISTRICT_FIELDS)
            rows = Sink(self, parameters, "DISTRICT_TABLE", context, table, QgsWkbTypes.NoGeometry, optional=True)
            for row in result.district["districts"]:
                rows.add([row[name] for name, _ in DISTRICT_FIELDS])
            if rows.dest is not None:
                results["DISTRICT_TABLE"] = rows.dest
        return results
