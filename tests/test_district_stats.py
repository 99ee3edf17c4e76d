"""scenicheatmap:districtstats in real QGIS on Vienna's official districts."""

import pytest
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeature,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingException,
    QgsProject,
    QgsVectorLayer,
    QgsWkbTypes,
)


def point_layer(points, crs="EPSG:4326"):
    layer = QgsVectorLayer(f"Point?crs={crs}&field=name:string", "points", "memory")
    features = []
    for i, (x, y) in enumerate(points):
        feature = QgsFeature(layer.fields())
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(x, y)))
        feature.setAttributes([f"p{i}"])
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    return layer


def district_points(districts, per_district):
    """`per_district[beznr]` points inside each district (on its surface), in EPSG:4326."""
    points = []
    for feature in districts.getFeatures():
        inner = feature.geometry().pointOnSurface().asPoint()
        points += [(inner.x(), inner.y())] * per_district.get(int(feature["BEZNR"]), 0)
    return points


def run_stats(run_alg, points, districts, field="BEZNR"):
    result = run_alg(
        "scenicheatmap:districtstats",
        {
            "POINTS": points,
            "DISTRICTS": districts,
            "DISTRICT_ID": field,
            "CLIPPED": "TEMPORARY_OUTPUT",
            "DISTRICTS_OUT": "TEMPORARY_OUTPUT",
            "SUMMARY": "TEMPORARY_OUTPUT",
        },
    )
    return result


@pytest.fixture()
def vienna(districts_path):
    """The district layer's path: an OGR layer object handed to Processing
    outlives QGIS in this test process and crashes its exit."""
    return str(districts_path)


def open_layer(path):
    layer = QgsVectorLayer(path, "districts")
    assert layer.isValid() and layer.featureCount() == 23
    return layer


def test_counts_percent_area_and_density(run_alg, vienna):
    wanted = {1: 5, 3: 2, 23: 1}
    points = district_points(open_layer(vienna), wanted) + [(14.0, 47.0), (16.0, 48.5)]  # two outside Vienna
    result = run_stats(run_alg, point_layer(points), vienna)
    out = {int(f["BEZNR"]): f for f in result["DISTRICTS_OUT"].getFeatures()}
    assert len(out) == 23
    for beznr, feature in out.items():
        assert feature["images"] == wanted.get(beznr, 0)
        assert feature["percent"] == pytest.approx(100.0 * wanted.get(beznr, 0) / 8)
        # ellipsoidal area against the official FLAECHE (EPSG:31256) within 0.5 %
        assert feature["area_m2"] == pytest.approx(feature["FLAECHE"], rel=0.005)
        assert feature["area_km2"] == pytest.approx(feature["area_m2"] / 1e6)
        assert feature["images_per_km2"] == pytest.approx(feature["images"] / feature["area_km2"])
    clipped = list(result["CLIPPED"].getFeatures())
    assert len(clipped) == result["CLIPPED_COUNT"] == 8
    assert sorted(f["district_id"] for f in clipped) == [1] * 5 + [3] * 2 + [23]
    summary = next(result["SUMMARY"].getFeatures())
    assert summary["sum"] == 8 and summary["max"] == 5 and summary["min"] == 0
    assert summary["median"] == 0 and summary["range"] == 5
    assert summary["mean"] == pytest.approx(8 / 23)


def test_points_in_another_crs(run_alg, vienna):
    points = district_points(open_layer(vienna), {7: 3})
    to_mgi = QgsCoordinateTransform(
        QgsCoordinateReferenceSystem("EPSG:4326"), QgsCoordinateReferenceSystem("EPSG:31256"), QgsProject.instance()
    )
    projected = [(p.x(), p.y()) for p in (to_mgi.transform(QgsPointXY(x, y)) for x, y in points)]
    result = run_stats(run_alg, point_layer(projected, "EPSG:31256"), vienna)
    counts = {int(f["BEZNR"]): f["images"] for f in result["DISTRICTS_OUT"].getFeatures()}
    assert counts[7] == 3 and sum(counts.values()) == 3
    clipped = result["CLIPPED"]
    assert clipped.crs().authid() == "EPSG:31256"  # the points keep their CRS


def test_point_on_shared_boundary_is_counted_once(run_alg):
    squares = QgsVectorLayer("Polygon?crs=EPSG:31256&field=id:integer", "squares", "memory")
    features = []
    for i, x0 in enumerate((0, 1000)):
        feature = QgsFeature(squares.fields())
        feature.setGeometry(QgsGeometry.fromWkt(f"POLYGON(({x0} 0,{x0 + 1000} 0,{x0 + 1000} 1000,{x0} 1000,{x0} 0))"))
        feature.setAttributes([i + 1])
        features.append(feature)
    squares.dataProvider().addFeatures(features)
    result = run_stats(run_alg, point_layer([(1000, 500), (500, 500)], "EPSG:31256"), squares, "id")
    counts = [f["images"] for f in result["DISTRICTS_OUT"].getFeatures()]
    assert sum(counts) == 2 and result["CLIPPED_COUNT"] == 2
    # each square is 1 km2 in a conformal CRS near its origin's latitude band
    assert all(f["area_km2"] == pytest.approx(1.0, rel=0.01) for f in result["DISTRICTS_OUT"].getFeatures())


def test_invalid_polygon_is_repaired(run_alg):
    bowtie = QgsVectorLayer("Polygon?crs=EPSG:31256&field=id:integer", "bowtie", "memory")
    feature = QgsFeature(bowtie.fields())
    feature.setGeometry(QgsGeometry.fromWkt("POLYGON((0 0,1000 1000,1000 0,0 1000,0 0))"))
    feature.setAttributes([1])
    bowtie.dataProvider().addFeatures([feature])
    result = run_stats(run_alg, point_layer([(100, 500), (500, 100)], "EPSG:31256"), bowtie, "id")
    out = next(result["DISTRICTS_OUT"].getFeatures())
    assert out["images"] == 1  # (100, 500) is in the left triangle, (500, 100) in neither
    assert out["area_m2"] == pytest.approx(500_000, rel=0.01)


def test_no_points_gives_zero_counts(run_alg, vienna):
    result = run_stats(run_alg, point_layer([]), vienna)
    assert [f["images"] for f in result["DISTRICTS_OUT"].getFeatures()] == [0] * 23
    assert all(f["percent"] == 0 for f in result["DISTRICTS_OUT"].getFeatures())
    assert next(result["SUMMARY"].getFeatures())["sum"] == 0


def test_no_districts_is_a_clear_error(run_alg):
    empty = QgsVectorLayer("Polygon?crs=EPSG:31256&field=id:integer", "empty", "memory")
    with pytest.raises(QgsProcessingException, match="no polygons"):
        run_stats(run_alg, point_layer([(0, 0)]), empty, "id")


def test_many_points_use_the_index(run_alg, vienna):
    import random

    rng = random.Random(3)
    points = [(rng.uniform(16.2, 16.55), rng.uniform(48.12, 48.32)) for _ in range(20000)]
    result = run_stats(run_alg, point_layer(points), vienna)
    counts = [f["images"] for f in result["DISTRICTS_OUT"].getFeatures()]
    assert sum(counts) == result["CLIPPED_COUNT"]
    assert 10000 < sum(counts) < 20000


def test_repaired_bowtie_is_written_to_a_geopackage(run_alg, tmp_path):
    """A repaired bowtie is a MultiPolygon; a Polygon-typed GeoPackage layer would refuse it."""
    bowtie = QgsVectorLayer("Polygon?crs=EPSG:31256&field=id:integer", "bowtie", "memory")
    feature = QgsFeature(bowtie.fields())
    feature.setGeometry(QgsGeometry.fromWkt("POLYGON((0 0,1000 1000,1000 0,0 1000,0 0))"))
    feature.setAttributes([1])
    bowtie.dataProvider().addFeatures([feature])
    out = str(tmp_path / "districts.gpkg")
    run_alg(
        "scenicheatmap:districtstats",
        {
            "POINTS": point_layer([(100, 500)], "EPSG:31256"),
            "DISTRICTS": bowtie,
            "DISTRICT_ID": "id",
            "CLIPPED": "TEMPORARY_OUTPUT",
            "DISTRICTS_OUT": out,
            "SUMMARY": "TEMPORARY_OUTPUT",
        },
    )
    written = QgsVectorLayer(out, "written", "ogr")
    feature = next(written.getFeatures())
    assert feature["images"] == 1
    assert feature.geometry().area() == pytest.approx(500_000, rel=0.01)
    # the layer's declared type holds what was written (GDAL would otherwise keep a Polygon
    # layer with MultiPolygons inside, which strict readers refuse)
    assert QgsWkbTypes.flatType(written.wkbType()) == QgsWkbTypes.flatType(feature.geometry().wkbType())
