"""What the heat map and the heat-map series share: the target CRS, reading the
photo points with owner and time, the bias-aware weighting and audience, clip polygons."""

import math
from dataclasses import dataclass

import numpy as np
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCsException,
    QgsFeatureRequest,
    QgsPointXY,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterCrs,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
    QgsUnitTypes,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QDateTime, Qt

from ...core.density import kde
from ...core.density import weighting as bias
from ...core.stats.geo import utm_epsg

POINTS = "POINTS"
RADIUS = "RADIUS"
PIXEL_SIZE = "PIXEL_SIZE"
KERNEL = "KERNEL"
TARGET_CRS = "TARGET_CRS"
CLIP = "CLIP"
CLASSES = "CLASSES"
OUTPUT_VALUE = "OUTPUT_VALUE"
MIN_OWNERS = "MIN_OWNERS"
WEIGHTING = "WEIGHTING"
AUDIENCE = "AUDIENCE"
OWNER_FIELD = "OWNER_FIELD"
TAKEN_FIELD = "TAKEN_FIELD"
LOCAL_DAYS = "LOCAL_DAYS"

WEIGHTING_HELP = (
    "<b>Weighting</b>: photos (as in the study), photo-user-days (an owner counts at most once per "
    "day per place) or unique owners (once per place); a place is a square cell whose side is the "
    "radius. <b>Audience</b>: all, locals or tourists; an owner whose photos in the layer span more "
    "than 30 days counts as a local. Both need the owner and taken fields (as the harvest writes them)."
)


def add_density_parameters(algorithm, after_kernel=()):
    """The parameters both heat-map algorithms share, declared once: POINTS, RADIUS, PIXEL_SIZE,
    KERNEL, then `after_kernel` (parameters of one algorithm only), OUTPUT_VALUE, TARGET_CRS, CLIP,
    CLASSES and the weighting."""
    add = algorithm.addParameter
    add(QgsProcessingParameterFeatureSource(POINTS, algorithm.tr("Photo points"), [QgsProcessing.TypeVectorPoint]))
    add(
        QgsProcessingParameterNumber(
            RADIUS,
            algorithm.tr("Radius (metres)"),
            QgsProcessingParameterNumber.Double,
            defaultValue=1000.0,
            minValue=0.0,
        )
    )
    add(
        QgsProcessingParameterNumber(
            PIXEL_SIZE,
            algorithm.tr("Pixel size (metres)"),
            QgsProcessingParameterNumber.Double,
            defaultValue=10.0,
            minValue=0.0,
        )
    )
    add(QgsProcessingParameterEnum(KERNEL, algorithm.tr("Kernel shape"), options=list(kde.KERNELS), defaultValue=0))
    for parameter in after_kernel:
        add(parameter)
    add(
        QgsProcessingParameterEnum(
            OUTPUT_VALUE, algorithm.tr("Output values"), options=list(kde.VALUE_KINDS), defaultValue=0
        )
    )
    add(QgsProcessingParameterCrs(TARGET_CRS, algorithm.tr("Target CRS (projected)"), optional=True))
    add(
        QgsProcessingParameterFeatureSource(
            CLIP, algorithm.tr("Clip to polygons"), [QgsProcessing.TypeVectorPolygon], optional=True
        )
    )
    add(QgsProcessingParameterNumber(CLASSES, algorithm.tr("Colour classes"), defaultValue=5, minValue=2, maxValue=255))
    add(
        QgsProcessingParameterNumber(
            MIN_OWNERS, algorithm.tr("Min owners per cell (privacy floor)"), defaultValue=3, minValue=0
        )
    )
    add_weighting_parameters(algorithm, POINTS)


def local_days(algorithm, parameters, context) -> float:
    if LOCAL_DAYS not in [d.name() for d in algorithm.parameterDefinitions()]:
        return bias.LOCAL_DAYS
    return algorithm.parameterAsDouble(parameters, LOCAL_DAYS, context)


def owner_floor(algorithm, parameters, source, context, feedback) -> int:
    """MIN_OWNERS, or 0 when the points have no owner field (then the floor cannot apply; the log says so)."""
    floor = algorithm.parameterAsInt(parameters, MIN_OWNERS, context)
    if floor <= 0:
        return 0
    name = algorithm.parameterAsString(parameters, OWNER_FIELD, context) or "owner"
    if source.fields().lookupField(name) < 0:
        feedback.pushWarning(f"MIN_OWNERS {floor} not applied: the points have no owner field {name!r}.")
        return 0
    return floor


MAX_CELLS = 4_000_000_000  # heat maps are computed and written in strips (core/density/tiles.py)


def compute_heat_map(output, spec, points, radius, kernel, weights, unit, client, feedback, progress_range=(5, 95)):
    """One heat map of `points` on spec's grid (a tiles.MapSpec), strip by strip, here (client None)
    or on a Dask cluster, written to `output`; logs what MIN_OWNERS removed. Returns a
    tiles.Summary; cancelling raises."""
    from ...core.density.distributed import strip_runner
    from ...core.density import tiles
    from ...core.density.raster import RasterError

    try:
        tiles.check_memory(spec.grid)
        tiles.check_disk(output, spec.grid)
    except kde.KdeError as exc:
        raise QgsProcessingException(str(exc)) from None
    floor = spec.floor
    strip_jobs = tiles.jobs(spec, points.xs, points.ys, radius, kernel, weights, points.owners if floor else None)
    low, high = progress_range

    def progress(fraction):
        feedback.setProgress(low + (high - low) * fraction)
        return not feedback.isCanceled()

    try:
        summary = tiles.heat_map(
            output, spec, strip_jobs, unit, strip_runner(client) if client else tiles.local_strips, progress
        )
    except RasterError as exc:
        raise QgsProcessingException(f"WEIGHT: {exc}.") from None
    if summary is None:
        raise QgsProcessingException("Cancelled; nothing was written.")
    if floor:
        feedback.pushInfo(
            f"MIN_OWNERS {floor}: {summary.removed_cells} cells and {summary.removed_photos} photos removed "
            "(fewer distinct owners)."
        )
    return summary


def value_kind(algorithm, parameters, context) -> str:
    return kde.VALUE_KINDS[algorithm.parameterAsEnum(parameters, OUTPUT_VALUE, context)]


def add_weighting_parameters(algorithm, points_parameter: str, audiences=bias.AUDIENCES):
    algorithm.addParameter(
        QgsProcessingParameterEnum(WEIGHTING, algorithm.tr("Weighting"), options=list(bias.WEIGHTINGS), defaultValue=0)
    )
    algorithm.addParameter(
        QgsProcessingParameterEnum(AUDIENCE, algorithm.tr("Audience"), options=list(audiences), defaultValue=0)
    )
    algorithm.addParameter(
        QgsProcessingParameterField(
            OWNER_FIELD,
            algorithm.tr("Owner field"),
            defaultValue="owner",
            parentLayerParameterName=points_parameter,
            optional=True,
        )
    )
    algorithm.addParameter(
        QgsProcessingParameterField(
            TAKEN_FIELD,
            algorithm.tr("Date taken field"),
            defaultValue="taken",
            parentLayerParameterName=points_parameter,
            optional=True,
        )
    )  # checked when needed
    algorithm.addParameter(
        QgsProcessingParameterNumber(
            LOCAL_DAYS,
            algorithm.tr("Local: an owner whose photos span more days than"),
            QgsProcessingParameterNumber.Double,
            defaultValue=bias.LOCAL_DAYS,
            minValue=0.0,
        )
    )


@dataclass
class PhotoPoints:
    xs: np.ndarray
    ys: np.ndarray
    weights: np.ndarray
    owners: list
    times: np.ndarray  # seconds since the epoch of the taken date and clock time; NaN if unknown


def point_source(algorithm, parameters, name, context):
    """The photo points, refused when missing, not points, or without a CRS."""
    source = algorithm.parameterAsSource(parameters, name, context)
    if source is None:
        raise QgsProcessingException(algorithm.invalidSourceError(parameters, name))
    if QgsWkbTypes.geometryType(source.wkbType()) != QgsWkbTypes.PointGeometry:
        raise QgsProcessingException(f"{name}: photo points must be a point layer.")
    if not source.sourceCrs().isValid():
        raise QgsProcessingException(
            f"{name}: the layer has no CRS, so its coordinates cannot be read as places on the ground. "
            "Set its CRS (Layer Properties > Source, or Assign projection) and run again."
        )
    return source


def clip_source(algorithm, parameters, name, context):
    """Optional clip polygons; a layer of points or lines, or one without a CRS, is refused."""
    clip = algorithm.parameterAsSource(parameters, name, context)
    if clip is None:
        return None
    if QgsWkbTypes.geometryType(clip.wkbType()) != QgsWkbTypes.PolygonGeometry:
        raise QgsProcessingException(
            f"{name}: clip to polygons needs a polygon layer, not "
            f"{QgsWkbTypes.geometryDisplayString(QgsWkbTypes.geometryType(clip.wkbType()))}s."
        )
    if not clip.sourceCrs().isValid():
        raise QgsProcessingException(f"{name}: the clip layer has no CRS; set it and run again.")
    return clip


def numeric_field(algorithm, parameters, name, source, context) -> str:
    """An optional field that must exist and hold numbers; '' when not chosen."""
    chosen = algorithm.parameterAsString(parameters, name, context)
    if not chosen:
        return ""
    index = source.fields().lookupField(chosen)
    if index < 0:
        raise QgsProcessingException(
            f"{name}: the layer has no field {chosen!r} (its fields: {', '.join(source.fields().names()) or 'none'})."
        )
    field = source.fields().at(index)
    if not field.isNumeric():
        raise QgsProcessingException(
            f"{name}: the field {chosen!r} holds {field.typeName()}, not numbers; "
            "choose a numeric field or convert it first."
        )
    return chosen


def kernel_settings(algorithm, parameters, context):
    """(radius in metres, pixel size in metres, kernel name), checked."""
    radius_m = algorithm.parameterAsDouble(parameters, RADIUS, context)
    pixel_m = algorithm.parameterAsDouble(parameters, PIXEL_SIZE, context)
    try:
        kde.check_parameters(radius_m, pixel_m)
    except kde.KdeError as exc:
        raise QgsProcessingException(str(exc)) from None
    return radius_m, pixel_m, kde.KERNELS[algorithm.parameterAsEnum(parameters, KERNEL, context)]


def default_target_crs(source, context) -> QgsCoordinateReferenceSystem:
    """The UTM zone of the centre of the points' extent."""
    to_wgs84 = QgsCoordinateTransform(
        source.sourceCrs(), QgsCoordinateReferenceSystem("EPSG:4326"), context.transformContext()
    )
    try:
        centre = to_wgs84.transformBoundingBox(source.sourceExtent()).center()
        return QgsCoordinateReferenceSystem(f"EPSG:{utm_epsg(centre.x(), centre.y())}")
    except (QgsCsException, ValueError):
        raise QgsProcessingException(
            f"The points' coordinates in {source.sourceCrs().authid() or 'their CRS'} do not fall on the Earth "
            "(a local engineering CRS, or longitudes beyond 180?); choose a projected TARGET_CRS in metres, "
            "or fix the layer's CRS."
        ) from None


def ground_scale(source, target, context) -> float:
    """Target-CRS units per metre on the ground at the points' centre (north-south, 1 km)."""
    from ...core.stats.geo import haversine_m

    wgs84 = QgsCoordinateReferenceSystem("EPSG:4326")
    centre = (
        QgsCoordinateTransform(source.sourceCrs(), wgs84, context.transformContext())
        .transformBoundingBox(source.sourceExtent())
        .center()
    )
    to_target = QgsCoordinateTransform(wgs84, target, context.transformContext())
    south = to_target.transform(QgsPointXY(centre.x(), centre.y() - 0.0045))
    north = to_target.transform(QgsPointXY(centre.x(), centre.y() + 0.0045))
    ground = haversine_m(centre.y() - 0.0045, centre.x(), centre.y() + 0.0045, centre.x())
    return math.hypot(north.x() - south.x(), north.y() - south.y()) / ground


def target_crs(algorithm, parameters, name, source, context, feedback):
    """(CRS, factor from metres to its units); a geographic choice is refused."""
    target = algorithm.parameterAsCrs(parameters, name, context)
    if not target.isValid():
        target = default_target_crs(source, context)
    if target.isGeographic():
        raise QgsProcessingException(
            f"The target CRS {target.authid()} is geographic; choose a projected CRS (metres), e.g. a UTM zone."
        )
    feedback.pushInfo(f"Computing in {target.authid()} {target.description()}.")
    factor = QgsUnitTypes.fromUnitToUnitFactor(QgsUnitTypes.DistanceMeters, target.mapUnits())
    try:
        scale = ground_scale(source, target, context)
    except (QgsCsException, ValueError):
        raise QgsProcessingException(
            f"The points cannot be placed on the ground in {target.authid()}; check the layer's CRS."
        ) from None
    if abs(scale / factor - 1) > 0.01:  # e.g. Web Mercator: 1.52 at Vienna
        feedback.pushWarning(
            f"{target.authid()} stretches distances by {scale / factor:.3f} at the points; radius and pixel size "
            f"stay metres on the ground ({scale:.3f} map units per metre). An equal-area or UTM CRS is better."
        )
        return target, scale
    return target, factor


def seconds(value) -> float:
    """A QDateTime/QDate/ISO text as seconds since the epoch, reading its clock time as UTC
    so that the calendar day stays the one recorded; NaN when missing or unreadable."""
    if isinstance(value, str):
        value = QDateTime.fromString(value.strip(), Qt.ISODate)
    elif hasattr(value, "toPyDate") and not isinstance(value, QDateTime):  # QDate
        value = QDateTime(value)
    if not isinstance(value, QDateTime) or value.isNull() or not value.isValid():
        return float("nan")
    return float(QDateTime(value.date(), value.time(), Qt.UTC).toSecsSinceEpoch())


def field_name(algorithm, parameters, name, source, context, needed: bool, what: str):
    """The chosen field, checked against the layer; '' when not chosen and not needed."""
    chosen = algorithm.parameterAsString(parameters, name, context)
    if chosen and source.fields().lookupField(chosen) >= 0:
        return chosen
    if needed:
        names = ", ".join(source.fields().names()) or "none"
        raise QgsProcessingException(
            f"This needs the {what} field, but the layer has no field {chosen!r} (its fields: {names}). "
            "Harvested layers have 'owner' and 'taken'; choose the matching fields."
        )
    return ""


def read_points(source, target, context, feedback, weight_field="", owner_field="", taken_field=""):
    """Every point part in the target CRS with its weight, owner and time; None when cancelled."""
    wanted = [f for f in (weight_field, owner_field, taken_field) if f]
    request = QgsFeatureRequest().setDestinationCrs(target, context.transformContext())
    request.setSubsetOfAttributes(wanted, source.fields())
    single = QgsWkbTypes.isSingleType(source.wkbType())  # one point a feature: asPoint, no vertex walk
    xs, ys, ws, owners, times = [], [], [], [], []
    try:
        for feature in source.getFeatures(request):
            if feedback.isCanceled():
                return None
            geometry = feature.geometry()
            if geometry.isNull() or geometry.isEmpty():
                continue
            if single:
                point = geometry.asPoint()
                xs.append(point.x())
                ys.append(point.y())
                parts = 1
            else:
                parts = 0
                for vertex in geometry.vertices():
                    xs.append(vertex.x())
                    ys.append(vertex.y())
                    parts += 1
            if weight_field:
                try:
                    weight = float(feature[weight_field]) if feature[weight_field] is not None else 0.0
                except (TypeError, ValueError):
                    weight = 0.0
                ws.extend([weight] * parts)
            if owner_field:
                owner = feature[owner_field]
                owners.extend([str(owner) if owner else ""] * parts)  # NULL reads as a false QVariant
            if taken_field:
                times.extend([seconds(feature[taken_field])] * parts)
    except QgsCsException as exc:
        raise QgsProcessingException(f"Cannot transform the points to {target.authid()}: {exc}") from None
    n = len(xs)
    return PhotoPoints(
        np.array(xs, dtype=float),
        np.array(ys, dtype=float),
        np.array(ws, dtype=float) if weight_field else np.ones(n),
        owners if owner_field else [""] * n,
        np.array(times, dtype=float) if taken_field else np.full(n, np.nan),
    )


def read_weighted_points(
    algorithm,
    parameters,
    source,
    target,
    radius,
    context,
    feedback,
    weight_field="",
    taken_needed=False,
    owners_needed=False,
):
    """Points with the chosen weighting and audience applied: (PhotoPoints, weighting, audience)."""
    weighting = bias.WEIGHTINGS[algorithm.parameterAsEnum(parameters, WEIGHTING, context)]
    index = algorithm.parameterAsEnum(parameters, AUDIENCE, context)
    # past the shared audiences (hotspots' tourist share): read everyone; the algorithm splits them itself
    audience = bias.AUDIENCES[index] if index < len(bias.AUDIENCES) else "all"
    people = bias.needs_owner_and_time(weighting, audience)
    owner_field = field_name(algorithm, parameters, OWNER_FIELD, source, context, people or owners_needed, "owner")
    taken_field = field_name(algorithm, parameters, TAKEN_FIELD, source, context, people or taken_needed, "date taken")
    points = read_points(source, target, context, feedback, weight_field, owner_field, taken_field)
    if points is None:
        raise QgsProcessingException("Cancelled; nothing was written.")
    if people:
        missing = sum(1 for o in points.owners if not o) + int(np.isnan(points.times).sum())
        if missing:
            feedback.pushWarning(f"{missing} missing owner or taken values; those photos count for nothing here.")
    keep = bias.audience_mask(points.owners, points.times, audience, local_days(algorithm, parameters, context))
    if audience != "all":
        feedback.pushInfo(f"Audience {audience}: {int(keep.sum())} of {len(keep)} photos.")
    weights = points.weights * bias.bias_weights(points.owners, points.times, points.xs, points.ys, radius, weighting)
    if weighting != "photos":
        feedback.pushInfo(f"Weighting {weighting}: {weights[keep].sum():.0f} units from {int(keep.sum())} photos.")
    kept = PhotoPoints(
        points.xs[keep],
        points.ys[keep],
        weights[keep],
        [o for o, k in zip(points.owners, keep) if k],
        points.times[keep],
    )
    return kept, weighting, audience


def clip_wkbs(clip, target, context):
    request = QgsFeatureRequest().setDestinationCrs(target, context.transformContext())
    request.setNoAttributes()
    return [bytes(f.geometry().asWkb()) for f in clip.getFeatures(request) if not f.geometry().isNull()]
