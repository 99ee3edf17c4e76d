"""Reading photo and clip layers for the density algorithms: the checked sources, the target CRS and
its units per metre, fields, dates, and every point with its weight, owner and time as core's
`Photos`."""

import math

import numpy as np
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCsException,
    QgsFeatureRequest,
    QgsPointXY,
    QgsProcessingException,
    QgsUnitTypes,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QDateTime, Qt

from ...core.density.pipeline import Photos
from ...core.stats.geo import utm_epsg


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


WGS84 = QgsCoordinateReferenceSystem("EPSG:4326")


def wgs84_centre(source, context) -> QgsPointXY:
    """The centre of the layer's extent in longitude and latitude; QgsCsException off the Earth."""
    to_wgs84 = QgsCoordinateTransform(source.sourceCrs(), WGS84, context.transformContext())
    return to_wgs84.transformBoundingBox(source.sourceExtent()).center()


def default_target_crs(source, context) -> QgsCoordinateReferenceSystem:
    """The UTM zone of the centre of the points' extent."""
    try:
        centre = wgs84_centre(source, context)
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

    centre = wgs84_centre(source, context)
    to_target = QgsCoordinateTransform(WGS84, target, context.transformContext())
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
    return Photos(
        np.array(xs, dtype=float),
        np.array(ys, dtype=float),
        np.array(ws, dtype=float) if weight_field else np.ones(n),
        owners if owner_field else [""] * n,
        np.array(times, dtype=float) if taken_field else np.full(n, np.nan),
    )


def clip_wkbs(clip, target, context):
    request = QgsFeatureRequest().setDestinationCrs(target, context.transformContext())
    request.setNoAttributes()
    return [bytes(f.geometry().asWkb()) for f in clip.getFeatures(request) if not f.geometry().isNull()]


def check_on_earth(crs, extent, name: str, what: str, context):
    """Refuses a layer whose CRS cannot be related to the others (none, or a local grid)."""
    if not crs.isValid():
        raise QgsProcessingException(
            f"{name}: the {what} has no CRS, so its positions cannot be related to the prices. Set its CRS "
            "(Layer Properties > Source) and run again."
        )
    to_wgs84 = QgsCoordinateTransform(crs, WGS84, context.transformContext())
    # a local grid (engineering CRS) has no transform: QGIS passes its coordinates through unchanged
    related = crs == WGS84 or (to_wgs84.isValid() and not to_wgs84.isShortCircuited())
    try:
        box = to_wgs84.transformBoundingBox(extent)
        placed = (
            related
            and -180 <= box.xMinimum() <= box.xMaximum() <= 180
            and -90 <= box.yMinimum() <= box.yMaximum() <= 90
        )
    except QgsCsException:
        placed = False
    if not placed or crs.description().lower().startswith(("local", "engineering")):
        raise QgsProcessingException(
            f"{name}: the {what}'s CRS {crs.authid() or crs.description() or '(unnamed)'} is a local grid that "
            "cannot be related to the prices' positions. Reproject it to a real CRS first."
        )
