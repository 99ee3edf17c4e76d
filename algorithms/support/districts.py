"""District polygons for lookups: repaired once, indexed once, prepared for fast point tests.
Used by districtstats (counts) and validateprices (district per price)."""

from qgis.core import QgsGeometry, QgsProcessingException, QgsSpatialIndex, QgsWkbTypes


def district_geometries(source, feedback):
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


class DistrictIndex:
    """The districts of a source, in its CRS: `find(geometry)` gives the position of the first
    district (in source order) that the geometry intersects, or None."""

    def __init__(self, source, feedback):
        self.districts = district_geometries(source, feedback)
        self._index = QgsSpatialIndex()
        self._engines = []
        for position, (_feature, geometry) in enumerate(self.districts):
            engine = QgsGeometry.createGeometryEngine(geometry.constGet())
            engine.prepareGeometry()
            self._engines.append(engine)
            self._index.addFeature(position, geometry.boundingBox())

    def __len__(self):
        return len(self.districts)

    def find(self, geometry: QgsGeometry):
        for position in sorted(self._index.intersects(geometry.boundingBox())):
            if self._engines[position].intersects(geometry.constGet()):
                return position
        return None
