"""scenicheatmap:districtstats - clip photos to districts and count them (Tables 6 and 7)."""

from qgis.core import (
    QgsCoordinateTransform,
    QgsCsException,
    QgsDistanceArea,
    QgsGeometry,
    QgsProcessingException,
    QgsProcessingUtils,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QVariant

from ..core.stats.counts import SUMMARY_FIELDS, count_summary, density_per_km2, shares
from .support.base import ScenicAlgorithm
from .support.districts import DistrictIndex
from .support.fields import make_fields
from .support.parameters import field_of, sink, source
from .support.sinks import Sink

COUNT_FIELDS = (
    ("images", QVariant.Int),
    ("percent", QVariant.Double),
    ("area_m2", QVariant.Double),
    ("area_km2", QVariant.Double),
    ("images_per_km2", QVariant.Double),
)


def _area_calculator(source, context):
    calculator = QgsDistanceArea()
    calculator.setSourceCrs(source.sourceCrs(), context.transformContext())
    ellipsoid = context.ellipsoid()
    if not ellipsoid or ellipsoid.upper() == "NONE":
        ellipsoid = source.sourceCrs().ellipsoidAcronym() or "EPSG:7030"
    if not calculator.setEllipsoid(ellipsoid) or not calculator.willUseEllipsoid():
        calculator.setEllipsoid("EPSG:7030")  # WGS 84
    return calculator


class DistrictStatsAlgorithm(ScenicAlgorithm):
    POINTS = "POINTS"
    DISTRICTS = "DISTRICTS"
    DISTRICT_ID = "DISTRICT_ID"
    CLIPPED = "CLIPPED"
    DISTRICTS_OUT = "DISTRICTS_OUT"
    SUMMARY = "SUMMARY"

    NAME = "districtstats"
    OUTPUTS = {"numbers": ("CLIPPED_COUNT",)}
    DISPLAY = "Clip photos to districts and count"
    HELP = (
        "Keeps the photo points that lie inside a district and counts them per district: "
        "the study's select-by-location step and its Tables 6 and 7 in one run.<br><br>"
        "<b>Photo points</b>: any point layer, any CRS. <b>Districts</b>: polygons, any CRS; "
        "invalid polygons are repaired. <b>District id field</b>: copied to each clipped point "
        "as district_id.<br>"
        "<b>Clipped photos</b>: the points inside a district. A point on a shared boundary is "
        "counted once, for the first district in layer order.<br>"
        "<b>Districts with counts</b>: images, percent of all clipped images, area_m2 and "
        "area_km2 (ellipsoidal, never square degrees), images_per_km2.<br>"
        "<b>Summary</b>: one row with mean, q25, median, q75, sum, min, max and range of the "
        "per-district counts."
    )

    PARAMETERS = (
        source("POINTS", "Photo points", ("point",)),
        source("DISTRICTS", "Districts", ("polygon",)),
        field_of("DISTRICT_ID", "District id field", "DISTRICTS"),
        sink("CLIPPED", "Clipped photos", "point"),
        sink("DISTRICTS_OUT", "Districts with counts", "polygon"),
        sink("SUMMARY", "Summary", "table"),
    )

    def processAlgorithm(self, parameters, context, feedback):
        points, districts, id_index = self._inputs(parameters, context)
        index = DistrictIndex(districts, feedback)
        if not len(index):
            raise QgsProcessingException("The district layer has no polygons.")
        id_type = districts.fields().at(id_index)
        fields = QgsProcessingUtils.combineFields(points.fields(), make_fields((("district_id", id_type.type()),)))
        clipped = Sink(self, parameters, self.CLIPPED, context, fields, points.wkbType(), points.sourceCrs())
        counts = self._clip(points, districts, index, id_index, clipped, context, feedback)
        calculator = _area_calculator(districts, context)
        fields = QgsProcessingUtils.combineFields(districts.fields(), make_fields(COUNT_FIELDS))
        multi_type = QgsWkbTypes.multiType(districts.wkbType())  # a repaired polygon may come back in parts
        out = Sink(self, parameters, self.DISTRICTS_OUT, context, fields, multi_type, districts.sourceCrs())
        for (feature, geometry), count, percent in zip(index.districts, counts, shares(counts)):
            area = calculator.measureArea(geometry)
            multi = QgsGeometry(geometry)
            multi.convertToMultiType()
            out.add(feature.attributes() + [count, percent, area, area / 1e6, density_per_km2(count, area)], multi)
        summary = count_summary(counts)
        kinds = make_fields(
            [(name, QVariant.Int if name == "districts" else QVariant.Double) for name in SUMMARY_FIELDS]
        )
        table = Sink(self, parameters, self.SUMMARY, context, kinds, QgsWkbTypes.NoGeometry)
        table.add([summary[name] for name in SUMMARY_FIELDS])
        feedback.setProgress(100)
        feedback.pushInfo(f"{sum(counts)} of the photos lie in {len(counts)} districts.")
        return {self.CLIPPED: clipped.dest, self.DISTRICTS_OUT: out.dest, self.SUMMARY: table.dest} | {
            "CLIPPED_COUNT": sum(counts)
        }

    def _inputs(self, parameters, context):
        points = self.parameterAsSource(parameters, self.POINTS, context)
        districts = self.parameterAsSource(parameters, self.DISTRICTS, context)
        if points is None:
            raise QgsProcessingException(self.invalidSourceError(parameters, self.POINTS))
        if districts is None:
            raise QgsProcessingException(self.invalidSourceError(parameters, self.DISTRICTS))
        if QgsWkbTypes.geometryType(points.wkbType()) != QgsWkbTypes.PointGeometry:
            raise QgsProcessingException("Photo points must be a point layer.")
        if QgsWkbTypes.geometryType(districts.wkbType()) != QgsWkbTypes.PolygonGeometry:
            raise QgsProcessingException("Districts must be a polygon layer.")
        id_field = self.parameterAsString(parameters, self.DISTRICT_ID, context)
        id_index = districts.fields().lookupField(id_field)
        if id_index < 0:
            raise QgsProcessingException(f"The districts have no field named {id_field!r}.")
        if not districts.sourceCrs().isValid():
            raise QgsProcessingException("The district layer has no valid CRS, so areas cannot be measured.")
        if not points.sourceCrs().isValid():
            raise QgsProcessingException(
                "POINTS: the layer has no CRS, so its points cannot be placed in the "
                "districts. Set its CRS and run again."
            )
        return points, districts, id_index

    @staticmethod
    def _clip(points, districts, index, id_index, clipped, context, feedback):
        """Counts per district; each point inside one goes to CLIPPED with its district id."""
        counts = [0] * len(index)
        transform = QgsCoordinateTransform(points.sourceCrs(), districts.sourceCrs(), context.transformContext())
        total = max(points.featureCount(), 1)
        skipped = 0
        for number, feature in enumerate(points.getFeatures()):
            if feedback.isCanceled():
                raise QgsProcessingException("Cancelled.")
            geometry = QgsGeometry(feature.geometry())
            if geometry.isNull() or geometry.isEmpty():
                continue
            try:
                geometry.transform(transform)
            except QgsCsException:
                skipped += 1
                continue
            position = index.find(geometry)
            if position is not None:
                counts[position] += 1
                clipped.add(feature.attributes() + [index.districts[position][0][id_index]], feature.geometry())
            if number % 1000 == 0:
                feedback.setProgress(90.0 * number / total)
        if skipped:
            feedback.pushWarning(f"{skipped} points could not be transformed to the districts' CRS.")
        if points.featureCount() > 0 and not any(counts):
            feedback.pushWarning(
                f"None of the {points.featureCount()} points falls in a district. Check the CRSs: the points are "
                f"in {points.sourceCrs().authid() or points.sourceCrs().description()}, the districts in "
                f"{districts.sourceCrs().authid() or districts.sourceCrs().description()}."
            )
        return counts
