"""scenicheatmap:validateprices - does photo density track prices? (core/stats/prices.py)"""

from qgis.core import (
    QgsCoordinateTransform,
    QgsGeometry,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingUtils,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QVariant

from ..core.files import write_text_atomically
from ..core.stats import prices as pv
from .support import price_sampling as ps
from .support.base import ScenicAlgorithm
from .support.layers import default_target_crs
from .support.fields import make_fields
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
    PRICES = "PRICES"
    PRICE_FIELD = "PRICE_FIELD"
    DENSITY = "DENSITY"
    PHOTOS = "PHOTOS"
    RADIUS = "RADIUS"
    DISTRICTS = "DISTRICTS"
    DISTRICT_FIELD = "DISTRICT_FIELD"
    OUTLIERS = "OUTLIERS"
    BINS = "BINS"
    PERMUTATIONS = "PERMUTATIONS"
    SEED = "SEED"
    OUTPUT = "OUTPUT"
    SAMPLES = "SAMPLES"
    DISTRICT_TABLE = "DISTRICT_TABLE"
    CHART = "CHART"
    REPORT = "REPORT"

    NAME = "validateprices"
    REQUIRES = ("scipy", "matplotlib")
    DISPLAY = "Correlate photo density with prices"
    GROUP = "Validation"
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

    def initAlgorithm(self, config=None):
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.PRICES,
                self.tr("Prices (points or polygons)"),
                [QgsProcessing.TypeVectorPoint, QgsProcessing.TypeVectorPolygon],
            )
        )
        self.addParameter(
            QgsProcessingParameterField(self.PRICE_FIELD, self.tr("Price field"), parentLayerParameterName=self.PRICES)
        )
        ps.add_photo_variable_parameters(self, radius_default=300.0)
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.DISTRICTS,
                self.tr("Districts (within-district analysis)"),
                [QgsProcessing.TypeVectorPolygon],
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.DISTRICT_FIELD,
                self.tr("District name field"),
                parentLayerParameterName=self.DISTRICTS,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.OUTLIERS, self.tr("Price outliers"), options=list(pv.OUTLIER_METHODS), defaultValue=0
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(self.BINS, self.tr("Quantile bins"), defaultValue=10, minValue=3, maxValue=100)
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.PERMUTATIONS, self.tr("Permutations for p-values"), defaultValue=2000, minValue=99, maxValue=100000
            )
        )
        self.addParameter(QgsProcessingParameterNumber(self.SEED, self.tr("Random seed"), defaultValue=1))
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                self.OUTPUT, self.tr("Price by photo-density bin"), QgsProcessing.TypeVector
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                self.SAMPLES,
                self.tr("Sampled price locations"),
                QgsProcessing.TypeVectorPoint,
                optional=True,
                createByDefault=False,
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                self.DISTRICT_TABLE,
                self.tr("Per-district statistics"),
                QgsProcessing.TypeVector,
                optional=True,
                createByDefault=False,
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.CHART, self.tr("Chart"), self.tr("PNG image (*.png)"), optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.REPORT, self.tr("Report"), self.tr("HTML files (*.html)"), optional=True
            )
        )
        for name, title in (
            ("SPEARMAN", "Spearman rho"),
            ("SPEARMAN_P", "Spearman permutation p"),
            ("PEARSON", "Pearson r"),
            ("PEARSON_P", "Pearson permutation p"),
            ("WITHIN_SPEARMAN", "Within-district rho"),
            ("WITHIN_P", "Within-district p"),
            ("MODIFIED_P", "Spearman p, Dutilleul's modified t-test"),
            ("EFFECTIVE_N", "Effective sample size"),
            ("N", "Price locations used"),
            ("SKIPPED", "Missing prices skipped"),
            ("OUTLIERS_FLAGGED", "Price outliers flagged"),
        ):
            self.addOutput(QgsProcessingOutputNumber(name, self.tr(title)))
        self.addOutput(QgsProcessingOutputString("VERDICT", self.tr("Monotonicity verdict")))

    def processAlgorithm(self, parameters, context, feedback):
        prices, price_field, density, photos, radius, chart_path, report_path = self._inputs(parameters, context)
        method = pv.OUTLIER_METHODS[self.parameterAsEnum(parameters, self.OUTLIERS, context)]
        bins = self.parameterAsInt(parameters, self.BINS, context)
        permutations = self.parameterAsInt(parameters, self.PERMUTATIONS, context)
        seed = self.parameterAsInt(parameters, self.SEED, context)
        work = default_target_crs(prices, context)  # metres, for radii
        features, locations, values, skipped, _ = ps.read_prices(prices, price_field, work, context, feedback)
        if len(values) < 3:
            raise QgsProcessingException(
                f"Only {len(values)} price locations have a price in {price_field!r} ({skipped} missing); "
                "need at least 3."
            )
        if skipped:
            feedback.pushWarning(f"{skipped} price features have no usable price in {price_field!r}; skipped.")
        feedback.setProgress(10)
        terms, label = ps.photo_variable(density, photos, locations, work, radius, context, feedback)
        photo_values = terms["photo"]
        feedback.setProgress(30)
        district_names = self._districts(parameters, locations, work, context, feedback)

        coords = [(p.x(), p.y()) for p in locations]
        result = pv.validate(photo_values, values, district_names, method, bins, permutations, seed, coords)
        feedback.pushInfo(result.outliers.describe())
        if result.outside_districts:
            feedback.pushInfo(f"{result.outside_districts} price locations lie in no district.")
        feedback.setProgress(80)
        feedback.pushInfo(result.summary())
        if result.district:
            feedback.pushInfo(pv.interpretation(result.district))
        overall, table, district, outliers = result.overall, result.table, result.district, result.outliers
        x, y = photo_values[result.keep], result.prices[result.keep]
        results = self._write_tables(
            parameters,
            context,
            prices,
            work,
            features,
            photo_values,
            result.prices,
            result.keep,
            district_names,
            table,
            district,
        )
        chart = pv.chart_png(x, y, table, label, f"price ({price_field})")
        if chart_path:
            with open(chart_path, "wb") as fh:
                fh.write(chart)
        if report_path:
            inputs = {
                "prices": prices.sourceName(),
                "price field": price_field,
                "photo variable": label,
                "outliers": method,
                "bins": bins,
                "permutations": permutations,
                "seed": seed,
            }
            write_text_atomically(
                report_path, pv.report_html("Photo density and prices", inputs, result, skipped, chart)
            )
        feedback.setProgress(100)
        results.update(
            {
                self.CHART: chart_path or None,
                self.REPORT: report_path or None,
                "SPEARMAN": overall["spearman"],
                "SPEARMAN_P": overall["spearman_p"],
                "PEARSON": overall["pearson"],
                "PEARSON_P": overall["pearson_p"],
                "N": overall["n"],
                "MODIFIED_P": result.modified["p"],
                "EFFECTIVE_N": result.modified["effective_n"],
                "SKIPPED": skipped,
                "OUTLIERS_FLAGGED": outliers.flagged,
                "VERDICT": result.verdict["verdict"],
                "WITHIN_SPEARMAN": district["within_spearman"] if district else None,
                "WITHIN_P": district["within_p"] if district else None,
            }
        )
        return results

    def _inputs(self, parameters, context):
        """The checked inputs, before any work."""
        prices = self.parameterAsSource(parameters, self.PRICES, context)
        if prices is None:
            raise QgsProcessingException(self.invalidSourceError(parameters, self.PRICES))
        ps.check_prices(prices, self.PRICES)
        price_field = self.parameterAsString(parameters, self.PRICE_FIELD, context)
        if prices.fields().lookupField(price_field) < 0:
            raise QgsProcessingException(f"The price layer has no field {price_field!r}.")
        districts = self.parameterAsSource(parameters, self.DISTRICTS, context)
        name_field = self.parameterAsString(parameters, self.DISTRICT_FIELD, context)
        if districts is not None and name_field and districts.fields().lookupField(name_field) < 0:
            raise QgsProcessingException(
                f"DISTRICT_FIELD: the districts have no field {name_field!r} "
                f"(their fields: {', '.join(districts.fields().names())})."
            )
        density, photos, radius = ps.read_photo_variable_inputs(self, parameters, context)
        chart_path = self.parameterAsFileOutput(parameters, self.CHART, context)
        report_path = self.parameterAsFileOutput(parameters, self.REPORT, context)
        kinds = ((chart_path, self.CHART, (".png",)), (report_path, self.REPORT, (".html", ".htm")))
        for path, name, extensions in kinds:
            if path and not path.lower().endswith(extensions):
                raise QgsProcessingException(f"{name}: use a {extensions[0]} file name, not {path}.")
        return prices, price_field, density, photos, radius, chart_path, report_path

    def _districts(self, parameters, locations, work, context, feedback):
        """District name per location (first containing district), or None without districts."""
        districts = self.parameterAsSource(parameters, self.DISTRICTS, context)
        if districts is None:
            return None
        name_field = self.parameterAsString(parameters, self.DISTRICT_FIELD, context)
        if not name_field:
            feedback.pushInfo("DISTRICTS without DISTRICT_FIELD: locations are grouped by district feature id.")
        return ps.district_names(districts, name_field, locations, work, context, feedback)

    def _write_tables(
        self, parameters, context, prices, work, features, photo_values, used, keep, names, table, district
    ):
        bins = Sink(self, parameters, self.OUTPUT, context, make_fields(BIN_FIELDS), QgsWkbTypes.NoGeometry)
        for row in table:
            bins.add([row[name] for name, _ in BIN_FIELDS])
        results = {self.OUTPUT: bins.dest}
        # back from the metric work CRS to the prices' own
        samples = Sink(
            self,
            parameters,
            self.SAMPLES,
            context,
            QgsProcessingUtils.combineFields(prices.fields(), make_fields(SAMPLE_FIELDS)),
            prices.wkbType(),
            prices.sourceCrs(),
            optional=True,
        )
        if samples.dest is not None:
            to_source = QgsCoordinateTransform(work, prices.sourceCrs(), context.transformContext())
            for i, original in enumerate(features):
                geometry = QgsGeometry(original.geometry())
                geometry.transform(to_source)
                samples.add(
                    original.attributes()
                    + [float(photo_values[i]), float(used[i]), bool(not keep[i]), names[i] if names else None],
                    geometry,
                )
            results[self.SAMPLES] = samples.dest
        if district:
            rows = Sink(
                self,
                parameters,
                self.DISTRICT_TABLE,
                context,
                make_fields(DISTRICT_FIELDS),
                QgsWkbTypes.NoGeometry,
                optional=True,
            )
            for row in district["districts"]:
                rows.add([row[name] for name, _ in DISTRICT_FIELDS])
            if rows.dest is not None:
                results[self.DISTRICT_TABLE] = rows.dest
        return results
