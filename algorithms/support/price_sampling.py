"""The price family (validateprices, pricemodel): its shared parameter table, and `PriceInputs.read`,
which checks those parameters, reads the prices (and their controls) into a metric CRS, samples the
photo variable at each price (a density raster, or kernel-weighted photo counts) and finds each
price's district."""

from dataclasses import dataclass
from typing import Optional

import numpy as np
from qgis.core import (
    QgsCoordinateTransform,
    QgsCsException,
    QgsFeatureRequest,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingException,
    QgsWkbTypes,
)

from ...core.density import weighting
from ...core.stats import prices as pv
from .districts import DistrictIndex
from .layers import check_on_earth, default_target_crs, read_points
from .parameters import field_of, file_out, number, simple, source

PRICES, PRICE_FIELD, DENSITY, PHOTOS, RADIUS = "PRICES", "PRICE_FIELD", "DENSITY", "PHOTOS", "RADIUS"
DISTRICTS, DISTRICT_FIELD, CHART, REPORT = "DISTRICTS", "DISTRICT_FIELD", "CHART", "REPORT"


def price_parameters(numeric: bool = False) -> tuple:
    return (
        source(PRICES, "Prices (points or polygons)", ("point", "polygon")),
        field_of(PRICE_FIELD, "Price field", PRICES, numeric=numeric),
    )


def photo_variable_parameters(radius_default: float) -> tuple:
    return (
        simple("raster", DENSITY, "Photo density raster (or give photo points)", optional=True),
        source(PHOTOS, "Photo points (or give a density raster)", optional=True),
        number(RADIUS, "Radius for photo points (metres)", radius_default, minimum=0.0),
    )


def district_parameters(label: str) -> tuple:
    return (
        source(DISTRICTS, label, ("polygon",), optional=True),
        field_of(DISTRICT_FIELD, "District name field", DISTRICTS, optional=True),
    )


CHART_AND_REPORT = (
    file_out(CHART, "Chart", "PNG image (*.png)", optional=True),
    file_out(REPORT, "Report", "HTML files (*.html)", optional=True),
)


@dataclass
class PriceInputs:
    """The price family's parameters, checked, and the data read from them."""

    values: object  # every parameter (support/parameters.read_all)
    prices: object  # the source
    work: object  # the metric CRS of the reading (the prices' UTM zone)
    features: list  # with a usable price and geometry
    locations: list  # their sample points in the work CRS
    price: np.ndarray
    skipped: int
    raw: dict  # field -> raw values of the features (the controls)
    photo: dict  # term -> photo variable at each location
    label: str  # the photo variable, for axes
    districts: Optional[list]  # district name per location (None outside), or None without districts

    @classmethod
    def read(cls, algorithm, parameters, context, feedback, fields=(), split=None, check=None):
        """fields: extra price fields to read; split: locals' and tourists' photo-user-days
        ({owner_field, taken_field, local_days}); check(values): the algorithm's own checks, run
        after the family's and before any reading."""
        v = algorithm.read(parameters, context)
        prices = v.prices
        if prices is None:
            raise QgsProcessingException(algorithm.invalidSourceError(parameters, PRICES))
        if prices.wkbType() == QgsWkbTypes.NoGeometry or not prices.sourceCrs().isValid():
            raise QgsProcessingException(
                "PRICES: the price layer has no geometry or no CRS (a CSV loaded without its coordinate fields?). "
                "Load it as points with its X/Y fields and CRS, then run again."
            )
        check_on_earth(prices.sourceCrs(), prices.sourceExtent(), PRICES, "price layer", context)
        for name in (v.price_field, *fields):
            if prices.fields().lookupField(name) < 0:
                raise QgsProcessingException(
                    f"The price layer has no field {name!r} (its fields: {', '.join(prices.fields().names())})."
                )
        if v.districts is not None and v.district_field and v.districts.fields().lookupField(v.district_field) < 0:
            raise QgsProcessingException(
                f"DISTRICT_FIELD: the districts have no field {v.district_field!r} "
                f"(their fields: {', '.join(v.districts.fields().names())})."
            )
        _check_photo_variable(v, context)
        for path, name, ending in ((v.chart, CHART, ".png"), (v.report, REPORT, ".html")):
            if path and not path.lower().endswith((ending, ".htm") if ending == ".html" else ending):
                raise QgsProcessingException(f"{name}: use a {ending} file name, not {path}.")
        if check:
            check(v)
        work = default_target_crs(prices, context)  # metres, for radii and distances
        features, locations, price, skipped, raw = read_prices(prices, v.price_field, work, context, feedback, fields)
        if skipped:
            feedback.pushWarning(f"{skipped} price features have no usable price in {v.price_field!r}; skipped.")
        feedback.setProgress(10)
        if v.density is not None:
            values, label = sample_raster(v.density, locations, work, context, feedback)
            photo = {"photo": values}
        else:
            photo, label = kernel_counts(v.photos, locations, work, v.radius, context, feedback, **(split or {}))
        feedback.setProgress(25)
        names = None
        if v.districts is not None:
            if not v.district_field:
                feedback.pushInfo("DISTRICTS without DISTRICT_FIELD: locations are grouped by district feature id.")
            names = district_names(v.districts, v.district_field, locations, work, context, feedback)
        return cls(v, prices, work, features, locations, np.asarray(price, float), skipped, raw, photo, label, names)


def _check_photo_variable(v, context):
    """Exactly one way to the photo variable, placed on the Earth."""
    if (v.density is None) == (v.photos is None):
        raise QgsProcessingException(
            "Give the photo variable one way: a density raster (DENSITY) or photo points (PHOTOS) with a radius."
        )
    if v.photos is not None and not v.radius > 0:
        raise QgsProcessingException("The radius must be greater than 0 metres.")
    if v.photos is not None:
        check_on_earth(v.photos.sourceCrs(), v.photos.sourceExtent(), PHOTOS, "photo layer", context)
    if v.density is not None:
        check_on_earth(v.density.crs(), v.density.extent(), DENSITY, "density raster", context)


def to_float(value):
    """A value as float, or None for NULL, empty, non-numeric or non-finite values."""
    if value is None or (hasattr(value, "isNull") and value.isNull()):
        return None
    try:
        result = float(str(value).strip().replace(",", ".")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return None
    return result if np.isfinite(result) else None


def read_prices(prices, price_field, work, context, feedback, extra_fields=()):
    """Features with a usable price and geometry, their sample points in the work CRS, prices, the
    skip count, and the raw values of `extra_fields` per kept feature."""
    request = QgsFeatureRequest().setDestinationCrs(work, context.transformContext())
    features, locations, values, skipped = [], [], [], 0
    extras = {name: [] for name in extra_fields}
    try:
        for feature in prices.getFeatures(request):
            if feedback.isCanceled():
                raise QgsProcessingException("Cancelled; nothing was written.")
            price = to_float(feature[price_field])
            geometry = feature.geometry()
            if price is None or geometry.isNull() or geometry.isEmpty():
                skipped += 1
                continue
            point = geometry if geometry.type() == QgsWkbTypes.PointGeometry else geometry.pointOnSurface()
            features.append(feature)
            locations.append(point.asPoint() if not point.isMultipart() else point.vertexAt(0))
            values.append(price)
            for name in extra_fields:
                extras[name].append(feature[name])
    except QgsCsException as exc:
        raise QgsProcessingException(f"Cannot transform the prices to {work.authid()}: {exc}") from None
    return features, [QgsPointXY(p.x(), p.y()) for p in locations], values, skipped, extras


def sample_raster(layer, locations, work, context, feedback):
    to_raster = QgsCoordinateTransform(work, layer.crs(), context.transformContext())
    provider = layer.dataProvider()
    values, missing = np.zeros(len(locations)), 0
    for i, point in enumerate(locations):
        try:
            value, ok = provider.sample(to_raster.transform(point), 1)
        except QgsCsException:
            ok = False
        if ok and np.isfinite(value):
            values[i] = value
        else:
            missing += 1
    if missing:
        feedback.pushInfo(f"{missing} price locations fall on nodata or outside the raster: density 0.")
    return values, f"photo density ({layer.name()})"


def kernel_counts(photos, locations, work, radius, context, feedback, owner_field="", taken_field="", local_days=None):
    """Quartic-weighted photo counts within the radius, as {term: values}, and a label. With an owner
    and a time field and local_days: locals' and tourists' photo-user-days (the heat map's rule)."""
    split = local_days is not None
    points = read_points(photos, work, context, feedback, owner_field=owner_field, taken_field=taken_field)
    if points is None:
        raise QgsProcessingException("Cancelled; nothing was written.")
    if not len(points.xs):
        raise QgsProcessingException("The photo layer has no points.")
    lx, ly = [p.x() for p in locations], [p.y() for p in locations]
    if not split:
        feedback.pushInfo(f"{len(points.xs)} photos, kernel-weighted counts within {radius:g} m.")
        values = pv.kernel_counts(lx, ly, points.xs, points.ys, radius)
        return {"photo": values}, f"photos within {radius:g} m (quartic-weighted)"
    weights = weighting.bias_weights(points.owners, points.times, points.xs, points.ys, radius, "photo-user-days")
    local = weighting.locals_mask(points.owners, points.times, local_days)
    feedback.pushInfo(
        f"{len(points.xs)} photos: {int(local.sum())} by locals (photos spanning more than {local_days:g} days), "
        f"{int((~local).sum())} by tourists; photo-user-days within {radius:g} m."
    )
    terms = {}
    for term, mask in (("photo_locals", local), ("photo_tourists", ~local)):
        terms[term] = pv.kernel_counts(lx, ly, points.xs[mask], points.ys[mask], radius, weights[mask])
    return terms, f"photo-user-days within {radius:g} m (quartic-weighted)"


def district_names(districts, name_field, locations, work, context, feedback):
    """District per location: the name field's value, or the feature id without a field; None outside."""
    to_districts = QgsCoordinateTransform(work, districts.sourceCrs(), context.transformContext())
    index = DistrictIndex(districts, feedback)
    names = []
    for point in locations:
        try:
            position = index.find(QgsGeometry.fromPointXY(to_districts.transform(point)))
        except QgsCsException:
            position = None
        feature = index.districts[position][0] if position is not None else None
        names.append(None if feature is None else str(feature[name_field]) if name_field else str(feature.id()))
    return names
