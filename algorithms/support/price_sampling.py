"""Price locations and the photo variable at them, shared by validateprices and pricemodel: the
parameters that give the photo variable, reading the prices (and their controls), sampling a
density raster or kernel-counting photo points, and the district of each location."""

import numpy as np
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCsException,
    QgsFeatureRequest,
    QgsGeometry,
    QgsPointXY,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsWkbTypes,
)

from ...core.density import weighting
from ...core.stats import prices as pv
from .layers import default_target_crs, read_points
from .districts import DistrictIndex

DENSITY, PHOTOS, RADIUS = "DENSITY", "PHOTOS", "RADIUS"


def add_photo_variable_parameters(algorithm, radius_default=500.0):
    algorithm.addParameter(
        QgsProcessingParameterRasterLayer(
            DENSITY, algorithm.tr("Photo density raster (or give photo points)"), optional=True
        )
    )
    algorithm.addParameter(
        QgsProcessingParameterFeatureSource(
            PHOTOS,
            algorithm.tr("Photo points (or give a density raster)"),
            [QgsProcessing.TypeVectorPoint],
            optional=True,
        )
    )
    algorithm.addParameter(
        QgsProcessingParameterNumber(
            RADIUS,
            algorithm.tr("Radius for photo points (metres)"),
            QgsProcessingParameterNumber.Double,
            defaultValue=radius_default,
            minValue=0.0,
        )
    )


def read_photo_variable_inputs(algorithm, parameters, context):
    """(density raster or None, photo source or None, radius in metres), checked: exactly one way."""
    density = algorithm.parameterAsRasterLayer(parameters, DENSITY, context)
    photos = algorithm.parameterAsSource(parameters, PHOTOS, context)
    if (density is None) == (photos is None):
        raise QgsProcessingException(
            "Give the photo variable one way: a density raster (DENSITY) or photo points (PHOTOS) with a radius."
        )
    radius = algorithm.parameterAsDouble(parameters, RADIUS, context)
    if photos is not None and not radius > 0:
        raise QgsProcessingException("The radius must be greater than 0 metres.")
    if photos is not None:
        check_on_earth(photos.sourceCrs(), photos.sourceExtent(), PHOTOS, "photo layer", context)
    if density is not None:
        check_on_earth(density.crs(), density.extent(), DENSITY, "density raster", context)
    return density, photos, radius


def check_on_earth(crs, extent, name: str, what: str, context):
    """Refuses a layer whose CRS cannot be related to the others (none, or a local grid)."""
    if not crs.isValid():
        raise QgsProcessingException(
            f"{name}: the {what} has no CRS, so its positions cannot be related to the prices. Set its CRS "
            "(Layer Properties > Source) and run again."
        )
    to_wgs84 = QgsCoordinateTransform(crs, QgsCoordinateReferenceSystem("EPSG:4326"), context.transformContext())
    try:
        box = to_wgs84.transformBoundingBox(extent)
        placed = -180 <= box.xMinimum() <= box.xMaximum() <= 180 and -90 <= box.yMinimum() <= box.yMaximum() <= 90
    except QgsCsException:
        placed = False
    if not placed or crs.description().lower().startswith(("local", "engineering")):
        raise QgsProcessingException(
            f"{name}: the {what}'s CRS {crs.authid() or crs.description() or '(unnamed)'} is a local grid that "
            "cannot be related to the prices' positions. Reproject it to a real CRS first."
        )


def check_prices(prices, parameter: str):
    if prices.wkbType() == QgsWkbTypes.NoGeometry or not prices.sourceCrs().isValid():
        raise QgsProcessingException(
            f"{parameter}: the price layer has no geometry or no CRS (a CSV loaded without its coordinate "
            "fields?). Load it as points with its X/Y fields and CRS, then run again."
        )


def number(value):
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
            price = number(feature[price_field])
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


def photo_variable(density, photos, locations, work, radius, context, feedback, **split):
    """{term: values} at the locations, and a label for charts."""
    if density is not None:
        values, label = sample_raster(density, locations, work, context, feedback)
        return {"photo": values}, label
    return kernel_counts(photos, locations, work, radius, context, feedback, **split)


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


def work_crs(prices, context):
    """A metric CRS for the prices (their UTM zone)."""
    return default_target_crs(prices, context)
