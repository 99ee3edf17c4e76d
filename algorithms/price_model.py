"""scenicheatmap:pricemodel - the photo variable in a hedonic price model (core/stats/hedonic.py)."""

import numpy as np
from qgis.core import (
    QgsCoordinateTransform,
    QgsGeometry,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterPoint,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QVariant

from ..core.density.weighting import LOCAL_DAYS
from ..core.files import write_text_atomically
from ..core.stats import hedonic
from .support import price_sampling as ps
from .support.base import ScenicAlgorithm, progress
from .support.fields import make_fields
from .support.sinks import Sink

COEFFICIENT_FIELDS = (
    ("model", QVariant.String),
    ("term", QVariant.String),
    ("estimate", QVariant.Double),
    ("std_error", QVariant.Double),
    ("statistic", QVariant.Double),
    ("p", QVariant.Double),
    ("ci_low", QVariant.Double),
    ("ci_high", QVariant.Double),
)
EFFECT_FIELDS = (
    ("variable", QVariant.String),
    ("photo_value", QVariant.Double),
    ("effect", QVariant.Double),
    ("ci_low", QVariant.Double),
    ("ci_high", QVariant.Double),
)


class PriceModelAlgorithm(ScenicAlgorithm):
    PRICES, PRICE_FIELD, LOG_PRICE, CONTROLS = "PRICES", "PRICE_FIELD", "LOG_PRICE", "CONTROLS"
    PHOTO_TERM, DISTRICTS, DISTRICT_FIELD, CENTRE = "PHOTO_TERM", "DISTRICTS", "DISTRICT_FIELD", "CENTRE"
    SPATIAL, NEIGHBOURS = "SPATIAL", "NEIGHBOURS"
    SPLIT_AUDIENCE, OWNER_FIELD, TAKEN_FIELD, LOCAL_DAYS = "SPLIT_AUDIENCE", "OWNER_FIELD", "TAKEN_FIELD", "LOCAL_DAYS"
    COEFFICIENTS, RESIDUALS, EFFECT, CHART, REPORT = "COEFFICIENTS", "RESIDUALS", "EFFECT", "CHART", "REPORT"

    NAME = "pricemodel"
    DISPLAY = "Photo variable in a hedonic price model"
    GROUP = "Validation"
    REQUIRES = ("scipy", "matplotlib", "statsmodels", "spreg", "libpysal")
    OUTPUTS = {
        "numbers": (
            "PHOTO_COEF",
            "PHOTO_P",
            "PHOTO_CI_LOW",
            "PHOTO_CI_HIGH",
            "TOURISTS_COEF",
            "TOURISTS_P",
            "MORAN_I",
            "MORAN_P",
            "SPATIAL_PARAM",
            "N",
        ),
        "strings": ("MODEL_USED", "VERDICT"),
    }
    HELP = (
        "Is photo density priced? Fits a <b>hedonic price model</b>: (log) price on the objects' own "
        "attributes (<b>controls</b>) and the photo variable, entered as log(1 + value), and reads the photo "
        "variable's partial effect with its 95 % band, as the study did.<br><br>"
        "The <b>ladder</b>: photo only, + controls, + location (district fixed effects with standard errors "
        "clustered by district, and/or the distance to a <b>centre</b> in km), + a spatial model. An effect "
        "that vanishes when location enters was centrality; one that survives is priced.<br>"
        "<b>Spatial</b>: auto runs Moran's I and the LM tests on the OLS residuals (k-nearest-neighbour "
        "weights, row-standardised) and chooses OLS, spatial error or spatial lag by Anselin's rule; or set "
        "the model. Spatial models are maximum likelihood (spreg) up to 4,000 prices, GMM above. A lag "
        "model reports direct, indirect and total impacts.<br>"
        "<b>Photo term</b> smooth draws the partial effect as a B-spline curve.<br>"
        "<b>Split audience</b> (photo points with owner and date fields): two photo variables, locals' and "
        "tourists' photo-user-days (an owner whose photos span more than <i>local days</i> is a local). If "
        "locals' photos price in and tourists' do not, the reading is beauty, not tourist proximity.<br>"
        "Numeric controls enter linearly; text and boolean ones as categories against the most frequent "
        "level. Rows with a missing price or control are skipped and counted. Writes the coefficients of "
        "every model, the residuals as points (map them to see where the model fails), the effect curve "
        "as a table and a chart, and an HTML report with the verdict."
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
            QgsProcessingParameterField(
                self.PRICE_FIELD,
                self.tr("Price field"),
                parentLayerParameterName=self.PRICES,
                type=QgsProcessingParameterField.Numeric,
            )
        )
        self.addParameter(QgsProcessingParameterBoolean(self.LOG_PRICE, self.tr("Model the log price"), True))
        self.addParameter(
            QgsProcessingParameterField(
                self.CONTROLS,
                self.tr("Controls: the objects' own attributes"),
                parentLayerParameterName=self.PRICES,
                allowMultiple=True,
                optional=True,
            )
        )
        ps.add_photo_variable_parameters(self)
        self.addParameter(
            QgsProcessingParameterEnum(
                self.PHOTO_TERM, self.tr("Photo term"), options=["linear", "smooth (spline curve)"], defaultValue=0
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.DISTRICTS,
                self.tr("Districts (fixed effects, clustered standard errors)"),
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
            QgsProcessingParameterPoint(self.CENTRE, self.tr("Centre (distance in km as a control)"), optional=True)
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.SPATIAL,
                self.tr("Spatial model"),
                options=["auto (LM tests decide)", "OLS", "spatial error", "spatial lag"],
                defaultValue=0,
            )
        )
        advanced = [
            QgsProcessingParameterNumber(
                self.NEIGHBOURS,
                self.tr("Nearest neighbours in the spatial weights"),
                defaultValue=8,
                minValue=2,
                maxValue=100,
            ),
            QgsProcessingParameterBoolean(self.SPLIT_AUDIENCE, self.tr("Split locals' and tourists' photos"), False),
            QgsProcessingParameterField(
                self.OWNER_FIELD, self.tr("Photo owner field"), parentLayerParameterName=ps.PHOTOS, optional=True
            ),
            QgsProcessingParameterField(
                self.TAKEN_FIELD, self.tr("Photo date-taken field"), parentLayerParameterName=ps.PHOTOS, optional=True
            ),
            QgsProcessingParameterNumber(
                self.LOCAL_DAYS,
                self.tr("Locals: owners whose photos span more than (days)"),
                QgsProcessingParameterNumber.Double,
                defaultValue=LOCAL_DAYS,
                minValue=0.0,
            ),
        ]
        for parameter in advanced:
            parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
            self.addParameter(parameter)
        self.addParameter(
            QgsProcessingParameterFeatureSink(self.COEFFICIENTS, self.tr("Coefficients"), QgsProcessing.TypeVector)
        )
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                self.RESIDUALS, self.tr("Residuals"), QgsProcessing.TypeVectorPoint, optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                self.EFFECT, self.tr("Partial effect curve"), QgsProcessing.TypeVector, optional=True
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

    def processAlgorithm(self, parameters, context, feedback):
        inputs = self._inputs(parameters, context)
        data, extra = self._data(inputs, parameters, context, feedback)
        result = hedonic.fit_price_model(data, inputs["settings"], progress(feedback, 0.3, 0.9))
        for line in hedonic.describe(result):
            feedback.pushInfo(line)
        results = self._write(inputs, parameters, context, data, extra, result)
        feedback.setProgress(100)
        return results

    # -- reading -------------------------------------------------------------------------------

    def _inputs(self, parameters, context) -> dict:
        """Every parameter, checked before any work."""
        prices = self.parameterAsSource(parameters, self.PRICES, context)
        if prices is None:
            raise QgsProcessingException(self.invalidSourceError(parameters, self.PRICES))
        ps.check_prices(prices, self.PRICES)
        ps.check_on_earth(prices.sourceCrs(), prices.sourceExtent(), self.PRICES, "price layer", context)
        fields = prices.fields()
        price_field = self.parameterAsString(parameters, self.PRICE_FIELD, context)
        controls = self.parameterAsFields(parameters, self.CONTROLS, context)
        for name in [price_field] + controls:
            if fields.lookupField(name) < 0:
                raise QgsProcessingException(
                    f"CONTROLS: the price layer has no field {name!r} (its fields: {', '.join(fields.names())})."
                )
        if price_field in controls:
            raise QgsProcessingException(f"CONTROLS: the price field {price_field!r} cannot also be a control.")
        density, photos, radius = ps.read_photo_variable_inputs(self, parameters, context)
        districts = self.parameterAsSource(parameters, self.DISTRICTS, context)
        district_field = self.parameterAsString(parameters, self.DISTRICT_FIELD, context)
        if districts is not None and district_field and districts.fields().lookupField(district_field) < 0:
            raise QgsProcessingException(f"DISTRICT_FIELD: the districts have no field {district_field!r}.")
        split = self.parameterAsBool(parameters, self.SPLIT_AUDIENCE, context)
        owner = self.parameterAsString(parameters, self.OWNER_FIELD, context)
        taken = self.parameterAsString(parameters, self.TAKEN_FIELD, context)
        if split and (photos is None or not owner or not taken):
            raise QgsProcessingException(
                "SPLIT_AUDIENCE needs photo points (PHOTOS) with OWNER_FIELD and TAKEN_FIELD: locals and tourists "
                "are told apart by the span of each owner's photo dates."
            )
        work = ps.work_crs(prices, context)
        centre = None
        if parameters.get(self.CENTRE) not in (None, ""):
            point = self.parameterAsPoint(parameters, self.CENTRE, context, work)
            centre = (point.x(), point.y())
        chart = self.parameterAsFileOutput(parameters, self.CHART, context)
        report = self.parameterAsFileOutput(parameters, self.REPORT, context)
        for path, name, ending in ((chart, self.CHART, ".png"), (report, self.REPORT, ".html")):
            if path and not path.lower().endswith(ending):
                raise QgsProcessingException(f"{name}: use a {ending} file name, not {path}.")
        settings = hedonic.Settings(
            log_price=self.parameterAsBool(parameters, self.LOG_PRICE, context),
            photo_term=hedonic.PHOTO_TERMS[self.parameterAsEnum(parameters, self.PHOTO_TERM, context)],
            spatial=hedonic.SPATIAL_CHOICES[self.parameterAsEnum(parameters, self.SPATIAL, context)],
            neighbours=self.parameterAsInt(parameters, self.NEIGHBOURS, context),
        )
        split_options = (
            {
                "owner_field": owner,
                "taken_field": taken,
                "local_days": self.parameterAsDouble(parameters, self.LOCAL_DAYS, context),
            }
            if split
            else {}
        )
        return dict(
            prices=prices,
            price_field=price_field,
            controls=controls,
            density=density,
            photos=photos,
            radius=radius,
            districts=districts,
            district_field=district_field,
            split=split_options,
            work=work,
            centre=centre,
            chart=chart,
            report=report,
            settings=settings,
        )

    def _data(self, inputs, parameters, context, feedback):
        """The model's input arrays, and what the outputs need besides."""
        work = inputs["work"]
        fields = inputs["prices"].fields()
        features, locations, prices, skipped, raw = ps.read_prices(
            inputs["prices"], inputs["price_field"], work, context, feedback, inputs["controls"]
        )
        if skipped:
            feedback.pushWarning(f"{skipped} price features have no usable price or geometry; skipped.")
        if not features:
            raise QgsProcessingException(f"PRICES: no feature has a usable price in {inputs['price_field']!r}.")
        feedback.setProgress(10)
        photo, label = ps.photo_variable(
            inputs["density"], inputs["photos"], locations, work, inputs["radius"], context, feedback, **inputs["split"]
        )
        feedback.setProgress(25)
        controls = {}
        for name in inputs["controls"]:
            if fields.field(name).isNumeric():
                controls[name] = np.array([np.nan if ps.number(v) is None else ps.number(v) for v in raw[name]])
            else:  # text and boolean fields are categories; NULL is missing
                controls[name] = np.array([_category(v) for v in raw[name]], dtype=object)
        districts = None
        if inputs["districts"] is not None:
            districts = np.array(
                ps.district_names(inputs["districts"], inputs["district_field"], locations, work, context, feedback),
                dtype=object,
            )
        data = hedonic.PriceData(
            np.asarray(prices, float),
            photo,
            np.array([p.x() for p in locations]),
            np.array([p.y() for p in locations]),
            controls,
            districts,
            inputs["centre"],
        )
        return data, {"locations": locations, "label": label}

    # -- writing -------------------------------------------------------------------------------

    def _write(self, inputs, parameters, context, data, extra, result) -> dict:
        table = Sink(
            self, parameters, self.COEFFICIENTS, context, make_fields(COEFFICIENT_FIELDS), QgsWkbTypes.NoGeometry
        )
        for row in hedonic.coefficient_rows(result):
            table.add([_value(row[name]) for name, _ in COEFFICIENT_FIELDS])
        effect = Sink(
            self, parameters, self.EFFECT, context, make_fields(EFFECT_FIELDS), QgsWkbTypes.NoGeometry, optional=True
        )
        for row in result.effect:
            effect.add([_value(row[name]) for name, _ in EFFECT_FIELDS])
        self._write_residuals(inputs, parameters, context, data, extra, result)
        chart = hedonic.chart_png(result, extra["label"])
        if inputs["chart"]:
            with open(inputs["chart"], "wb") as fh:
                fh.write(chart)
        if inputs["report"]:
            facts = {
                "prices": inputs["prices"].sourceName(),
                "price": f"log({inputs['price_field']})" if inputs["settings"].log_price else inputs["price_field"],
                "controls": ", ".join(inputs["controls"]) or "none",
                "photo variable": extra["label"],
                "districts": inputs["districts"].sourceName() if inputs["districts"] is not None else "none",
                "centre": "given" if inputs["centre"] else "none",
                "spatial weights": f"{inputs['settings'].neighbours} nearest neighbours, row-standardised",
            }
            write_text_atomically(
                inputs["report"], hedonic.report_html("Photo variable in a hedonic price model", facts, result, chart)
            )
        first = result.photo()
        tourists = result.photo("photo_tourists") if "photo_tourists" in result.photo_terms else None
        return {
            self.COEFFICIENTS: table.dest,
            self.EFFECT: effect.dest,
            self.RESIDUALS: self._residuals_dest,
            self.CHART: inputs["chart"] or None,
            self.REPORT: inputs["report"] or None,
            "PHOTO_COEF": first.estimate,
            "PHOTO_P": first.p,
            "PHOTO_CI_LOW": first.ci_low,
            "PHOTO_CI_HIGH": first.ci_high,
            "TOURISTS_COEF": tourists.estimate if tourists else None,
            "TOURISTS_P": tourists.p if tourists else None,
            "MODEL_USED": result.final.name,
            "MORAN_I": result.diagnostics.moran_i,
            "MORAN_P": result.diagnostics.moran_p,
            "SPATIAL_PARAM": result.final.spatial_param,
            "N": int(result.used.sum()),
            "VERDICT": result.verdict,
        }

    def _write_residuals(self, inputs, parameters, context, data, extra, result):
        terms = result.photo_terms
        spec = [("price", QVariant.Double), ("fitted", QVariant.Double), ("residual", QVariant.Double)]
        spec += [(term, QVariant.Double) for term in terms] + [("district", QVariant.String)]
        prices = inputs["prices"]
        sink = Sink(
            self,
            parameters,
            self.RESIDUALS,
            context,
            make_fields(spec),
            QgsWkbTypes.Point,
            prices.sourceCrs(),
            optional=True,
        )
        self._residuals_dest = sink.dest
        if sink.dest is None:
            return
        to_source = QgsCoordinateTransform(inputs["work"], prices.sourceCrs(), context.transformContext())
        rows = np.flatnonzero(result.used)
        for i, fitted, residual in zip(rows, result.fitted, result.residual):
            geometry = QgsGeometry.fromPointXY(extra["locations"][i])
            geometry.transform(to_source)
            district = None if data.district is None else data.district[i]
            values = [float(data.price[i]), float(fitted), float(residual)] + [float(data.photo[t][i]) for t in terms]
            sink.add(values + [district], geometry)


def _value(value):
    """NaN (an undefined statistic) is written as NULL: CSV and GeoPackage refuse NaN."""
    return None if isinstance(value, float) and not np.isfinite(value) else value


def _category(value):
    if value is None or (hasattr(value, "isNull") and value.isNull()):
        return None
    text = str(value).strip()
    return text or None
