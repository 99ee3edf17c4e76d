"""scenicheatmap:pricemodel - the photo variable in a hedonic price model (core/stats/hedonic.py)."""

import numpy as np
from qgis.core import QgsCoordinateTransform, QgsGeometry, QgsProcessingException, QgsWkbTypes
from qgis.PyQt.QtCore import QVariant

from ..core.density.weighting import LOCAL_DAYS
from ..core.files import write_text_atomically
from ..core.stats import hedonic, hedonic_report
from .support import price_sampling as ps
from .support.base import ScenicAlgorithm, progress
from .support.fields import make_fields
from .support.parameters import boolean, enum, field_of, integer, number, simple, sink
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
    NAME = "pricemodel"
    DISPLAY = "Photo variable in a hedonic price model"
    GROUP = "Validation"
    REQUIRES = ("scipy", "matplotlib", "statsmodels", "spreg", "libpysal")
    PARAMETERS = (
        *ps.price_parameters(numeric=True),
        boolean("LOG_PRICE", "Model the log price", True),
        field_of("CONTROLS", "Controls: the objects' own attributes", ps.PRICES, multiple=True, optional=True),
        *ps.photo_variable_parameters(500.0),
        enum("PHOTO_TERM", "Photo term", ("linear", "smooth (spline curve)")),
        *ps.district_parameters("Districts (fixed effects, clustered standard errors)"),
        simple("point", "CENTRE", "Centre (distance in km as a control)", optional=True),
        enum("SPATIAL", "Spatial model", ("auto (LM tests decide)", "OLS", "spatial error", "spatial lag")),
        integer("NEIGHBOURS", "Nearest neighbours in the spatial weights", 8, minimum=2, maximum=100, advanced=True),
        boolean("SPLIT_AUDIENCE", "Split locals' and tourists' photos", False, advanced=True),
        field_of("OWNER_FIELD", "Photo owner field", ps.PHOTOS, optional=True, advanced=True),
        field_of("TAKEN_FIELD", "Photo date-taken field", ps.PHOTOS, optional=True, advanced=True),
        number(
            "LOCAL_DAYS", "Locals: owners whose photos span more than (days)", LOCAL_DAYS, minimum=0.0, advanced=True
        ),
        sink("COEFFICIENTS", "Coefficients", "table"),
        sink("RESIDUALS", "Residuals", "point", optional=True),
        sink("EFFECT", "Partial effect curve", "table", optional=True),
        *ps.CHART_AND_REPORT,
    )
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

    def processAlgorithm(self, parameters, context, feedback):
        v = self.read(parameters, context)
        split = {"owner_field": v.owner_field, "taken_field": v.taken_field, "local_days": v.local_days}
        inputs = ps.PriceInputs.read(
            self, parameters, context, feedback, v.controls, split if v.split_audience else None, self._check
        )
        data = self._data(inputs, parameters, context)
        settings = hedonic.Settings(
            v.log_price, hedonic.PHOTO_TERMS[v.photo_term], hedonic.SPATIAL_CHOICES[v.spatial], v.neighbours
        )
        result = hedonic.fit_price_model(data, settings, progress(feedback, 0.3, 0.9))
        for line in hedonic_report.describe(result):
            feedback.pushInfo(line)
        results = self._write_tables(parameters, context, inputs, data, result)
        chart = hedonic_report.chart_png(result, inputs.label)
        if v.chart:
            with open(v.chart, "wb") as fh:
                fh.write(chart)
        if v.report:
            title = "Photo variable in a hedonic price model"
            write_text_atomically(v.report, hedonic_report.report_html(title, self._facts(inputs, data), result, chart))
        first = result.photo()
        tourists = result.photo("photo_tourists") if "photo_tourists" in result.photo_terms else None
        results.update({"CHART": v.chart or None, "REPORT": v.report or None, "VERDICT": result.verdict})
        results.update({"PHOTO_COEF": first.estimate, "PHOTO_P": first.p, "N": int(result.used.sum())})
        results.update({"PHOTO_CI_LOW": first.ci_low, "PHOTO_CI_HIGH": first.ci_high})
        results.update({"TOURISTS_COEF": tourists and tourists.estimate, "TOURISTS_P": tourists and tourists.p})
        results.update({"MODEL_USED": result.final.name, "SPATIAL_PARAM": result.final.spatial_param})
        results.update({"MORAN_I": result.diagnostics.moran_i, "MORAN_P": result.diagnostics.moran_p})
        feedback.setProgress(100)
        return results

    @staticmethod
    def _check(v):
        if v.price_field in v.controls:
            raise QgsProcessingException(f"CONTROLS: the price field {v.price_field!r} cannot also be a control.")
        if v.split_audience and (v.photos is None or not v.owner_field or not v.taken_field):
            raise QgsProcessingException(
                "SPLIT_AUDIENCE needs photo points (PHOTOS) with OWNER_FIELD and TAKEN_FIELD: locals and tourists "
                "are told apart by the span of each owner's photo dates."
            )

    def _data(self, inputs, parameters, context) -> hedonic.PriceData:
        fields, controls = inputs.prices.fields(), {}
        for name, raw in inputs.raw.items():
            if fields.field(name).isNumeric():
                controls[name] = np.array([np.nan if ps.to_float(x) is None else ps.to_float(x) for x in raw])
            else:  # text and boolean fields are categories; NULL is missing
                controls[name] = np.array([_category(x) for x in raw], dtype=object)
        centre = None
        if inputs.values.centre is not None:
            point = self.parameterAsPoint(parameters, "CENTRE", context, inputs.work)
            centre = (point.x(), point.y())
        districts = None if inputs.districts is None else np.array(inputs.districts, dtype=object)
        xs, ys = np.array([p.x() for p in inputs.locations]), np.array([p.y() for p in inputs.locations])
        return hedonic.PriceData(inputs.price, inputs.photo, xs, ys, controls, districts, centre)

    @staticmethod
    def _facts(inputs, data) -> dict:
        v = inputs.values
        return {
            "prices": inputs.prices.sourceName(),
            "price": f"log({v.price_field})" if v.log_price else v.price_field,
            "controls": ", ".join(v.controls) or "none",
            "photo variable": inputs.label,
            "districts": v.districts.sourceName() if v.districts is not None else "none",
            "centre": "given" if data.centre else "none",
            "spatial weights": f"{v.neighbours} nearest neighbours, row-standardised",
        }

    def _write_tables(self, parameters, context, inputs, data, result) -> dict:
        table = Sink(self, parameters, "COEFFICIENTS", context, make_fields(COEFFICIENT_FIELDS), QgsWkbTypes.NoGeometry)
        for row in hedonic_report.coefficient_rows(result):
            table.add([_value(row[name]) for name, _ in COEFFICIENT_FIELDS])
        effect = Sink(
            self, parameters, "EFFECT", context, make_fields(EFFECT_FIELDS), QgsWkbTypes.NoGeometry, optional=True
        )
        for row in result.effect:
            effect.add([_value(row[name]) for name, _ in EFFECT_FIELDS])
        terms, prices = result.photo_terms, inputs.prices
        spec = [("price", QVariant.Double), ("fitted", QVariant.Double), ("residual", QVariant.Double)]
        spec += [(term, QVariant.Double) for term in terms] + [("district", QVariant.String)]
        fields = make_fields(spec)
        residuals = Sink(
            self, parameters, "RESIDUALS", context, fields, QgsWkbTypes.Point, prices.sourceCrs(), optional=True
        )
        if residuals.dest is not None:
            to_source = QgsCoordinateTransform(inputs.work, prices.sourceCrs(), context.transformContext())
            for i, fitted, residual in zip(np.flatnonzero(result.used), result.fitted, result.residual):
                geometry = QgsGeometry.fromPointXY(inputs.locations[i])
                geometry.transform(to_source)
                district = None if data.district is None else data.district[i]
                values = [float(data.price[i]), float(fitted), float(residual)] + [
                    float(data.photo[t][i]) for t in terms
                ]
                residuals.add(values + [district], geometry)
        return {"COEFFICIENTS": table.dest, "EFFECT": effect.dest, "RESIDUALS": residuals.dest}


def _value(value):
    """NaN (an undefined statistic) is written as NULL: CSV and GeoPackage refuse NaN."""
    return None if isinstance(value, float) and not np.isfinite(value) else value


def _category(value):
    if value is None or (hasattr(value, "isNull") and value.isNull()):
        return None
    text = str(value).strip()
    return text or None
