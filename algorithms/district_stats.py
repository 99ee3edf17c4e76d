"""scenicheatmap:districtstats - clip photos to districts and count them (Tables 6 and 7)."""

from qgis.core import (
    QgsCoordinateTransform,
    QgsCsException,
    QgsDistanceArea,
    QgsFeature,
    QgsGeometry,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingUtils,
    QgsSpatialIndex,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QVariant

from ..core.stats.counts import SUMMARY_FIELDS, count_summary, density_per_km2, shares
from .base import ScenicAlgorithm
from .fields import make_fields
from .sinks import write_feature

COUNT_FIELDS = (
    ("images", QVariant.Int),
    ("percent", QVariant.Double),
    ("area_m2", QVariant.Double),
    ("area_km2", QVariant.Double),
    ("images_per_km2", QVariant.Double),
)


def district_geometries(source, context, feedback):
    """[(feature, valid geometry)] in source order; repairs invalid polygons."""
    districts = []
    for feature in source.getFeatures():
        geometry = feature.geometry()
        if geometry.isNull() or geometry.isEmpty():
            feedback.reportError(f"District feature {feature.id()} has no geometry; it gets no photos.")
        elif not geometry.isGeosValid():
            repaired = geometry.makeValid()
            if QgsWkbTypes.geometryType(repaired.wkbType()) != QgsWkbTypes.PolygonGeometry:
                repaired = repaired.convertToType(QgsWkbTypes.PolygonGeometry, True)  # drop stray lines
            if repaired.isNull() or repaired.isEmpty() or not repaired.isGeosValid():
                raise QgsProcessingException(
                    f"District feature {feature.id()} has an invalid polygon that could not be repaired."
                )
            feedback.pushWarning(f"District feature {feature.id()} had an invalid polygon; it was repaired.")
            geometry = repaired
        districts.append((feature, geometry))
    return districts


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

    def initAlgorithm(self, config=None):  # noqa: N802 - QGIS API
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.POINTS, self.tr("Photo points"), [QgsProcessing.TypeVectorPoint]
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.DISTRICTS, self.tr("Districts"), [QgsProcessing.TypeVectorPolygon]
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.DISTRICT_ID, self.tr("District id field"), parentLayerParameterName=self.DISTRICTS
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                self.CLIPPED, self.tr("Clipped photos"), QgsProcessing.TypeVectorPoint
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSink(
                self.DISTRICTS_OUT, self.tr("Districts with counts"), QgsProcessing.TypeVectorPolygon
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSink(self.SUMMARY, self.tr("Summary"), QgsProcessing.TypeVector)
        )

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802 - QGIS API
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
            raise QgsProcessingException("POINTS: the layer has no CRS, so its points cannot be placed in the "
                                         "districts. Set its CRS and run again.")

        district_list = district_geometries(districts, context, feedback)
        if not district_list:
            raise QgsProcessingException("The district layer has no polygons.")
        index = QgsSpatialIndex()
        engines = []
        for position, (_feature, geometry) in enumerate(district_list):
            engine = QgsGeometry.createGeometryEngine(geometry.constGet())
            engine.prepareGeometry()
            engines.append(engine)
            index.addFeature(position, geometry.boundingBox())

        id_type = districts.fields().at(id_index)
        clipped_fields = QgsProcessingUtils.combineFields(
            points.fields(), make_fields((("district_id", id_type.type()),))
        )
        clipped, clipped_dest = self.parameterAsSink(
            parameters, self.CLIPPED, context, clipped_fields, points.wkbType(), points.sourceCrs()
        )
        if clipped is None:
            raise QgsProcessingException(self.invalidSinkError(parameters, self.CLIPPED))

        counts = [0] * len(district_list)
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
            box = geometry.boundingBox()
            for position in sorted(index.intersects(box)):
                if engines[position].intersects(geometry.constGet()):
                    counts[position] += 1
                    out = QgsFeature(clipped_fields)
                    out.setGeometry(feature.geometry())  # in the points' own CRS
                    out.setAttributes(feature.attributes() + [district_list[position][0][id_index]])
                    write_feature(clipped, out, "CLIPPED")
                    break
            if number % 1000 == 0:
                feedback.setProgress(90.0 * number / total)

        if skipped:
            feedback.pushWarning(f"{skipped} points could not be transformed to the districts' CRS.")
        if points.featureCount() > 0 and not any(counts):
            feedback.pushWarning(
                f"None of the {points.featureCount()} points falls in a district. Check the CRSs: the points are "
                f"in {points.sourceCrs().authid() or points.sourceCrs().description()}, the districts in "
                f"{districts.sourceCrs().authid() or districts.sourceCrs().description()}.")
        calculator = _area_calculator(districts, context)
        out_fields = QgsProcessingUtils.combineFields(districts.fields(), make_fields(COUNT_FIELDS))
        district_sink, district_dest = self.parameterAsSink(
            parameters, self.DISTRICTS_OUT, context, out_fields, QgsWkbTypes.multiType(districts.wkbType()),
            districts.sourceCrs())  # multi: a repaired polygon may come back in parts
        if district_sink is None:
            raise QgsProcessingException(self.invalidSinkError(parameters, self.DISTRICTS_OUT))
        percents = shares(counts)
        for (feature, geometry), count, percent in zip(district_list, counts, percents):
            area = calculator.measureArea(geometry)
            out = QgsFeature(out_fields)
            multi = QgsGeometry(geometry)
            multi.convertToMultiType()
            out.setGeometry(multi)
            out.setAttributes(
                feature.attributes() + [count, percent, area, area / 1e6, density_per_km2(count, area)]
            )
            write_feature(district_sink, out, "DISTRICTS_OUT")

        summary = count_summary(counts)
        summary_fields = make_fields(
            [(name, QVariant.Int if name == "districts" else QVariant.Double) for name in SUMMARY_FIELDS]
        )
        summary_sink, summary_dest = self.parameterAsSink(
            parameters, self.SUMMARY, context, summary_fields, QgsWkbTypes.NoGeometry
        )
        if summary_sink is None:
            raise QgsProcessingException(self.invalidSinkError(parameters, self.SUMMARY))
        row = QgsFeature(summary_fields)
        row.setAttributes([summary[name] for name in SUMMARY_FIELDS])
        write_feature(summary_sink, row, "SUMMARY")
        feedback.setProgress(100)
        feedback.pushInfo(f"{sum(counts)} of the photos lie in {len(counts)} districts.")
        return {
            self.CLIPPED: clipped_dest,
            self.DISTRICTS_OUT: district_dest,
            self.SUMMARY: summary_dest,
            "CLIPPED_COUNT": sum(counts),
        }
