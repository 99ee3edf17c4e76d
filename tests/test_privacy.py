"""The privacy floor against one person's burst (the dominance rule beside MIN_OWNERS), and the
messages that name the real cause, through processing.run."""

import numpy as np
import pytest
from conftest import log_feedback, people_layer
from osgeo import gdal
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingException,
    QgsVectorLayer,
)

BURST = (2500.0, 2500.0)


def crowd_and_burst(burst=True, seed=7):
    """1,500 photos of 1,500 people at random over 6 x 6 km, and one person's 400 photos within 60 m."""
    rng = np.random.default_rng(seed)
    rows = [(rng.uniform(0, 6000), rng.uniform(0, 6000), f"person{i}") for i in range(1500)]
    if burst:
        angle, distance = rng.uniform(0, 2 * np.pi, 400), 60 * np.sqrt(rng.uniform(0, 1, 400))
        rows += [(BURST[0] + d * np.cos(a), BURST[1] + d * np.sin(a), "burst") for a, d in zip(angle, distance)]
    return people_layer([(x, y, owner, "2019-06-01T10:00:00") for x, y, owner in rows], crs="EPSG:31256")


def hot_near_burst(layer, reach=500.0):
    return [
        f
        for f in layer.getFeatures()
        if f["class"].startswith("hot") and f.geometry().centroid().asPoint().distance(QgsPointXY(*BURST)) < reach
    ]


def hotspots(run_alg, points, **changes):
    parameters = {"POINTS": points, "CELL": 250, "PERMUTATIONS": 199, "MIN_OWNERS": 3, "OUTPUT": "TEMPORARY_OUTPUT"}
    parameters.update(changes, TARGET_CRS="EPSG:31256")
    return run_alg("scenicheatmap:hotspots", parameters)


def test_one_persons_burst_is_no_hot_spot_with_the_defaults(run_alg):
    result = hotspots(run_alg, crowd_and_burst())
    assert not hot_near_burst(result["OUTPUT"])
    # the burst straddles cells: the floor takes those with fewer than 3 owners, the dominance rule the rest
    assert result["DOMINATED_CELLS"] >= 1 and result["DOMINATED_PHOTOS"] + result["REMOVED_PHOTOS"] >= 390
    off = hotspots(run_alg, crowd_and_burst(), MAX_OWNER_SHARE=0)  # the threshold rule alone: it is hot
    assert len(hot_near_burst(off["OUTPUT"])) >= 1 and off["DOMINATED_CELLS"] == 0


def test_a_cluster_of_many_people_stays_hot(run_alg):
    layer = crowd_and_burst(burst=False)
    rng = np.random.default_rng(3)
    features = []
    for i in range(400):  # 400 photos of 100 people at the same place as the burst
        feature = QgsFeature(layer.fields())
        point = QgsPointXY(BURST[0] + rng.normal(0, 40), BURST[1] + rng.normal(0, 40))
        feature.setGeometry(QgsGeometry.fromPointXY(point))
        feature.setAttributes([f"visitor{i % 100}", "2019-06-01T10:00:00"])
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    result = hotspots(run_alg, layer)
    assert hot_near_burst(result["OUTPUT"]) and result["DOMINATED_CELLS"] == 0


def test_the_bursts_cells_are_nodata_on_the_heat_map_and_the_rest_is_unchanged(run_alg, tmp_path):
    common = {"RADIUS": 300, "PIXEL_SIZE": 50, "TARGET_CRS": "EPSG:31256", "MIN_OWNERS": 0}
    with_burst = run_alg(
        "scenicheatmap:heatmap", {**common, "POINTS": crowd_and_burst(), "OUTPUT": str(tmp_path / "burst.tif")}
    )
    without = run_alg(
        "scenicheatmap:heatmap",
        {**common, "POINTS": crowd_and_burst(burst=False), "OUTPUT": str(tmp_path / "crowd.tif")},
    )
    burst, transform = read_nan(with_burst["OUTPUT"])
    crowd, transform_crowd = read_nan(without["OUTPUT"])
    assert transform == transform_crowd and burst.shape == crowd.shape  # the same grid: the crowd spans it
    col = int((BURST[0] - transform[0]) / transform[1])
    row = int((BURST[1] - transform[3]) / transform[5])
    assert np.isnan(burst[row, col]) and np.isfinite(crowd[row, col])
    assert with_burst["DOMINATED_CELLS"] > 0 and with_burst["DOMINATED_PHOTOS"] >= 390
    far = np.zeros(burst.shape, bool)
    ys, xs = np.mgrid[0 : burst.shape[0], 0 : burst.shape[1]]
    far = np.hypot(
        transform[0] + (xs + 0.5) * transform[1] - BURST[0], transform[3] + (ys + 0.5) * transform[5] - BURST[1]
    )
    unaffected = far > 300 + 2 * 50  # beyond the burst's kernels: the person adds nothing there
    both = unaffected & np.isfinite(crowd)
    assert np.allclose(burst[both], crowd[both], rtol=1e-6)


def test_an_empty_map_names_the_rule_that_emptied_it(run_alg, tmp_path):
    layer = QgsVectorLayer("Point?crs=EPSG:31256&field=owner:string", "one photo", "memory")
    feature = QgsFeature(layer.fields())
    feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(1000, 1000)))
    feature.setAttributes(["alone"])
    layer.dataProvider().addFeatures([feature])
    feedback = log_feedback()
    result = run_alg(
        "scenicheatmap:heatmap",
        {"POINTS": layer, "RADIUS": 300, "PIXEL_SIZE": 20, "OUTPUT": str(tmp_path / "one.tif")},
        feedback=feedback,
    )
    assert result["MIN"] is None and result["MAX"] is None
    assert "owner floor emptied the map" in feedback.text and "MIN_OWNERS" in feedback.text
    assert "clip" not in feedback.text.split("owner floor")[1][:80]


def test_photos_in_a_local_grid_are_refused_by_name(run_alg, airbnb_uri):
    local = QgsCoordinateReferenceSystem.fromWkt(
        'LOCAL_CS["site grid",LOCAL_DATUM["site",0],UNIT["metre",1],AXIS["X",EAST],AXIS["Y",NORTH]]'
    )
    photos = QgsVectorLayer("Point", "photos", "memory")
    photos.setCrs(local)
    feature = QgsFeature()
    feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(10, 10)))
    photos.dataProvider().addFeatures([feature])
    photos.updateExtents()
    with pytest.raises(QgsProcessingException, match="PHOTOS: the photo layer's CRS .* local grid"):
        run_alg(
            "scenicheatmap:validateprices",
            {
                "PRICES": airbnb_uri,
                "PRICE_FIELD": "realSum",
                "PHOTOS": photos,
                "RADIUS": 500,
                "OUTPUT": "TEMPORARY_OUTPUT",
            },
        )


def test_districts_without_a_name_field_group_by_feature(run_alg, airbnb_uri, districts_path):
    from test_validate_prices import photo_points

    feedback = log_feedback()
    result = run_alg(
        "scenicheatmap:validateprices",
        {
            "PRICES": airbnb_uri,
            "PRICE_FIELD": "realSum",
            "PHOTOS": photo_points(),
            "RADIUS": 500,
            "DISTRICTS": str(districts_path),
            "PERMUTATIONS": 99,
            "OUTPUT": "TEMPORARY_OUTPUT",
        },
        feedback=feedback,
    )
    assert result["WITHIN_SPEARMAN"] is not None
    assert "grouped by district feature" in feedback.text and "no field ''" not in feedback.text


def read_nan(path):
    """The band with nodata as NaN, and the geotransform."""
    dataset = gdal.Open(path)
    band = dataset.GetRasterBand(1)
    values = band.ReadAsArray().astype(float)
    values[values == band.GetNoDataValue()] = np.nan
    return values, dataset.GetGeoTransform()
