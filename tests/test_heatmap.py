"""scenicheatmap:heatmap in real QGIS: values equal QGIS's own heatmap, metres, style, errors."""

import math
import os

import numpy as np
import pytest
from conftest import people_layer
from osgeo import gdal
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsRasterLayer,
    QgsVectorLayer,
)


def vienna_points(n=3000, seed=11):
    """Clustered photo-like points around Vienna's sights, EPSG:4326, with a weight."""
    rng = np.random.default_rng(seed)
    centres = np.array([[16.3725, 48.2085], [16.3615, 48.2035], [16.3120, 48.1860], [16.3960, 48.1910]])
    which = rng.integers(0, len(centres), n)
    lon = centres[which, 0] + rng.normal(0, 0.006, n)
    lat = centres[which, 1] + rng.normal(0, 0.004, n)
    layer = QgsVectorLayer("Point?crs=EPSG:4326&field=w:double&field=owner:string", "photos", "memory")
    features = []
    for x, y, w in zip(lon, lat, rng.uniform(0.5, 2.0, n)):
        feature = QgsFeature(layer.fields())
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(float(x), float(y))))
        feature.setAttributes([float(w), "someone"])
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    layer.updateExtents()
    return layer


def read_band(path):
    ds = gdal.Open(str(path))
    band = ds.GetRasterBand(1)
    values = band.ReadAsArray().astype(float)
    nodata = band.GetNoDataValue()
    values[values == nodata] = 0.0
    return values, ds.GetGeoTransform(), ds.GetProjection()


@pytest.mark.parametrize(
    "kernel,output_value,radius,pixel,weighted",
    [
        (0, 0, 1000.0, 10.0, False),
        (0, 1, 250.0, 10.0, True),
        (1, 0, 300.0, 7.0, False),
        (2, 0, 150.0, 10.0, True),
        (3, 1, 200.0, 20.0, False),
        (4, 0, 120.0, 5.0, True),
    ],
)
def test_equals_qgis_heatmap_on_reprojected_points(run_alg, tmp_path, kernel, output_value, radius, pixel, weighted):
    photos = vienna_points(1500)
    ours = run_alg(
        "scenicheatmap:heatmap",
        {
            "POINTS": photos,
            "RADIUS": radius,
            "PIXEL_SIZE": pixel,
            "KERNEL": kernel,
            "OUTPUT_VALUE": output_value,
            "WEIGHT": "w" if weighted else None,
            "TARGET_CRS": "EPSG:31256",
            "MIN_OWNERS": 0,  # QGIS's tool has no privacy floor
            "MAX_OWNER_SHARE": 0,
            "OUTPUT": str(tmp_path / "ours.tif"),
        },
    )
    projected = run_alg(
        "native:reprojectlayer",
        {"INPUT": photos, "TARGET_CRS": QgsCoordinateReferenceSystem("EPSG:31256"), "OUTPUT": "TEMPORARY_OUTPUT"},
    )["OUTPUT"]
    native = run_alg(
        "qgis:heatmapkerneldensityestimation",
        {
            "INPUT": projected,
            "RADIUS": radius,
            "PIXEL_SIZE": pixel,
            "KERNEL": kernel,
            "OUTPUT_VALUE": output_value,
            "WEIGHT_FIELD": "w" if weighted else None,
            "OUTPUT": str(tmp_path / "native.tif"),
        },
    )
    a, a_transform, _ = read_band(ours["OUTPUT"])
    b, b_transform, _ = read_band(native["OUTPUT"])
    assert a.shape == b.shape
    assert np.allclose(a_transform, b_transform)
    assert np.abs(a - b).max() <= 0.01 * b.max()


def test_radius_is_metres_for_points_in_degrees(run_alg, tmp_path):
    result = run_alg(
        "scenicheatmap:heatmap",
        {"POINTS": vienna_points(200), "RADIUS": 500, "PIXEL_SIZE": 25, "OUTPUT": str(tmp_path / "h.tif")},
    )
    assert result["CRS_USED"] == "EPSG:32633"  # UTM zone of Vienna by default
    ds = gdal.Open(result["OUTPUT"])
    assert ds.GetGeoTransform()[1] == pytest.approx(25.0)
    srs = ds.GetSpatialRef()
    assert srs.GetAuthorityCode(None) == "32633"
    # a single point's footprint is 2 * 500 m wide: about 40 pixels, not 500 degrees
    values, _, _ = read_band(result["OUTPUT"])
    assert values.shape[1] < 2000


def test_output_loads_styled_and_writes_a_qml(run_alg, tmp_path):
    out = tmp_path / "styled.tif"
    result = run_alg(
        "scenicheatmap:heatmap",
        {
            "POINTS": vienna_points(300),  # one owner: the privacy rules would empty the map
            "RADIUS": 300,
            "PIXEL_SIZE": 20,
            "CLASSES": 7,
            "MIN_OWNERS": 0,
            "MAX_OWNER_SHARE": 0,
            "OUTPUT": str(out),
        },
    )
    qml = tmp_path / "styled.qml"
    assert result["STYLE"] == str(qml) and qml.exists()
    layer = QgsRasterLayer(str(out), "reopened")  # picks up the .qml like a reopened project
    renderer = layer.renderer()
    assert renderer.type() == "singlebandpseudocolor"
    shader = renderer.shader().rasterShaderFunction()
    items = shader.colorRampItemList()
    # up to 7 equal classes from 0 with a round step: the last one holds the maximum
    assert 4 <= len(items) <= 7
    assert shader.classificationMode() == shader.EqualInterval
    assert items[-2].value < result["MAX"] <= items[-1].value
    steps = np.diff([0.0] + [item.value for item in items])
    assert np.allclose(steps, steps[0])
    assert items[0].color.name() == "#ffffb2" and items[-1].color.name() == "#bd0026"  # YlOrRd


def test_clip_makes_outside_cells_nodata(run_alg, tmp_path, districts_path):
    photos = vienna_points(500)
    outside = QgsFeature(photos.fields())  # Schwechat airport, outside Vienna
    outside.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(16.5697, 48.1103)))
    photos.dataProvider().addFeatures([outside])
    photos.updateExtents()
    result = run_alg(
        "scenicheatmap:heatmap",
        {
            "POINTS": photos,
            "RADIUS": 1000,
            "PIXEL_SIZE": 50,
            "TARGET_CRS": "EPSG:31256",
            "CLIP": str(districts_path),
            "MIN_OWNERS": 0,
            "MAX_OWNER_SHARE": 0,
            "OUTPUT": str(tmp_path / "clipped.tif"),
        },
    )
    unclipped = run_alg(
        "scenicheatmap:heatmap",
        {
            "POINTS": photos,
            "RADIUS": 1000,
            "PIXEL_SIZE": 50,
            "TARGET_CRS": "EPSG:31256",
            "MIN_OWNERS": 0,
            "MAX_OWNER_SHARE": 0,
            "OUTPUT": str(tmp_path / "full.tif"),
        },
    )
    ds = gdal.Open(result["OUTPUT"])
    band = ds.GetRasterBand(1)
    clipped = band.ReadAsArray()
    full_ds = gdal.Open(unclipped["OUTPUT"])  # keep the dataset alive while reading its band
    full = full_ds.GetRasterBand(1).ReadAsArray()
    nodata = band.GetNoDataValue()
    assert (clipped == nodata).sum() > (full == nodata).sum()
    inside = clipped != nodata
    assert np.allclose(clipped[inside], full[inside])


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"RADIUS": 0}, "radius"),
        ({"RADIUS": 100, "PIXEL_SIZE": 100}, "smaller than the radius"),
        ({"TARGET_CRS": "EPSG:4326"}, "geographic"),
        ({"OUTPUT": "/proc/nope/h.tif"}, "folder"),
        ({"OUTPUT": "h.png"}, "GeoTIFF"),
    ],
)
def test_bad_parameters_are_clear_errors(run_alg, tmp_path, changes, message):
    parameters = {"POINTS": vienna_points(20), "RADIUS": 200, "PIXEL_SIZE": 10, "OUTPUT": str(tmp_path / "h.tif")}
    parameters.update(changes)
    if parameters["OUTPUT"] == "h.png":
        parameters["OUTPUT"] = str(tmp_path / "h.png")
    with pytest.raises(QgsProcessingException, match=message):
        run_alg("scenicheatmap:heatmap", parameters)
    assert not (tmp_path / "h.tif").exists()


def test_empty_layer_and_wrong_geometry_are_refused(run_alg, tmp_path):
    empty = QgsVectorLayer("Point?crs=EPSG:4326", "empty", "memory")
    with pytest.raises(QgsProcessingException, match="no points"):
        run_alg("scenicheatmap:heatmap", {"POINTS": empty, "OUTPUT": str(tmp_path / "h.tif")})
    lines = QgsVectorLayer("LineString?crs=EPSG:4326", "lines", "memory")
    with pytest.raises(QgsProcessingException):
        run_alg("scenicheatmap:heatmap", {"POINTS": lines, "OUTPUT": str(tmp_path / "h.tif")})
    assert not os.path.exists(tmp_path / "h.tif")


def test_cancel_writes_nothing(run_alg, tmp_path):
    feedback = QgsProcessingFeedback()
    feedback.progressChanged.connect(lambda progress: feedback.cancel() if progress > 5 else None)
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        run_alg(
            "scenicheatmap:heatmap",
            {"POINTS": vienna_points(60000), "RADIUS": 300, "PIXEL_SIZE": 10, "OUTPUT": str(tmp_path / "h.tif")},
            feedback=feedback,
        )
    assert not (tmp_path / "h.tif").exists()


SPOTS = [(16.3725, 48.2085), (16.3615, 48.2035), (16.3960, 48.1910)]


def test_photo_user_days_count_a_prolific_owner_once(run_alg, tmp_path):
    others = [
        (SPOTS[1][0], SPOTS[1][1], "walker", "2019-05-01T10:00:00"),
        (SPOTS[2][0], SPOTS[2][1], "visitor", "2019-05-02T11:00:00"),
    ]
    burst = [(SPOTS[0][0], SPOTS[0][1], "burst", f"2019-05-03T12:{m:02d}:00") for m in range(50)]
    base = {"RADIUS": 500, "PIXEL_SIZE": 20, "TARGET_CRS": "EPSG:31256", "MIN_OWNERS": 0, "MAX_OWNER_SHARE": 0}
    by_photos = run_alg(
        "scenicheatmap:heatmap",
        {**base, "POINTS": people_layer(burst + others), "OUTPUT": str(tmp_path / "photos.tif")},
    )
    by_days = run_alg(
        "scenicheatmap:heatmap",
        {**base, "POINTS": people_layer(burst + others), "WEIGHTING": 1, "OUTPUT": str(tmp_path / "pud.tif")},
    )
    by_owners = run_alg(
        "scenicheatmap:heatmap",
        {**base, "POINTS": people_layer(burst + others), "WEIGHTING": 2, "OUTPUT": str(tmp_path / "owners.tif")},
    )
    single = run_alg(
        "scenicheatmap:heatmap",
        {**base, "POINTS": people_layer(burst[:1] + others), "OUTPUT": str(tmp_path / "single.tif")},
    )
    photos, _, _ = read_band(by_photos["OUTPUT"])
    days, _, _ = read_band(by_days["OUTPUT"])
    owners, _, _ = read_band(by_owners["OUTPUT"])
    one, _, _ = read_band(single["OUTPUT"])
    assert photos.max() > 40 * one.max()  # 50 photos of one person make the hot spot
    assert np.allclose(days, one, atol=1e-9 * one.max())  # one person-day: as if one photo
    assert np.allclose(owners, one, atol=1e-9 * one.max())
    assert by_days["WEIGHTING_USED"] == "photo-user-days"


def test_audience_splits_locals_from_tourists(run_alg, tmp_path):
    local = [
        (SPOTS[0][0], SPOTS[0][1], "resident", "2019-01-05T10:00:00"),
        (SPOTS[0][0], SPOTS[0][1], "resident", "2019-06-05T10:00:00"),
    ]  # 151 days apart
    tourists = [
        (SPOTS[2][0], SPOTS[2][1], "guest", "2019-07-01T10:00:00"),
        (SPOTS[1][0], SPOTS[1][1], "guest", "2019-07-03T10:00:00"),
    ]
    base = {"RADIUS": 300, "PIXEL_SIZE": 20, "TARGET_CRS": "EPSG:31256"}
    result = run_alg(
        "scenicheatmap:heatmap",
        {**base, "POINTS": people_layer(local + tourists), "AUDIENCE": 2, "OUTPUT": str(tmp_path / "tourists.tif")},
    )
    alone = run_alg(
        "scenicheatmap:heatmap", {**base, "POINTS": people_layer(tourists), "OUTPUT": str(tmp_path / "alone.tif")}
    )
    assert result["PHOTOS"] == 2 and result["AUDIENCE_USED"] == "tourists"
    a, a_transform, _ = read_band(result["OUTPUT"])
    b, b_transform, _ = read_band(alone["OUTPUT"])
    assert a.shape == b.shape and np.allclose(a_transform, b_transform) and np.allclose(a, b)
    locals_only = run_alg(
        "scenicheatmap:heatmap",
        {**base, "POINTS": people_layer(local), "AUDIENCE": 1, "OUTPUT": str(tmp_path / "locals.tif")},
    )
    assert locals_only["PHOTOS"] == 2


def test_weighting_without_owner_field_is_a_clear_error(run_alg, tmp_path):
    layer = QgsVectorLayer("Point?crs=EPSG:4326&field=w:double", "photos", "memory")
    feature = QgsFeature(layer.fields())
    feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(*SPOTS[0])))
    layer.dataProvider().addFeatures([feature])
    layer.updateExtents()
    out = tmp_path / "never.tif"
    with pytest.raises(QgsProcessingException, match="owner field"):
        run_alg("scenicheatmap:heatmap", {"POINTS": layer, "WEIGHTING": 1, "OUTPUT": str(out)})
    assert not out.exists()


@pytest.mark.parametrize("kernel", [0, 1, 2, 3, 4])
def test_per_km2_integrates_to_the_photo_count(run_alg, tmp_path, kernel):
    """OUTPUT_VALUE 'per km²': the raster's sum times the cell area (km²) is the number of photos."""
    from osgeo import gdal
    from test_bad_input import points

    layer = points(n=300)
    result = run_alg(
        "scenicheatmap:heatmap",
        {
            "POINTS": layer,
            "RADIUS": 800,
            "PIXEL_SIZE": 25,
            "KERNEL": kernel,
            "OUTPUT_VALUE": 2,
            "OUTPUT": str(tmp_path / "heat.tif"),
        },
    )
    dataset = gdal.Open(result["OUTPUT"])
    band = dataset.GetRasterBand(1)
    values = band.ReadAsArray().astype(float)
    values[values == band.GetNoDataValue()] = 0
    cell_km2 = (dataset.GetGeoTransform()[1] / 1000) ** 2
    assert values.sum() * cell_km2 == pytest.approx(300, rel=0.01)
    assert result["UNIT"] == "photos per km²" and band.GetDescription() == "photos per km²"


def test_legend_has_round_discrete_classes_with_the_unit_and_no_noise(run_alg, tmp_path):
    from qgis.core import QgsColorRampShader, QgsRasterLayer
    from test_bad_input import points

    result = run_alg(
        "scenicheatmap:heatmap",
        {
            "POINTS": points(n=200),
            "RADIUS": 600,
            "PIXEL_SIZE": 20,
            "OUTPUT_VALUE": 2,
            "CLASSES": 5,
            "OUTPUT": str(tmp_path / "h.tif"),
        },
    )
    layer = QgsRasterLayer(result["OUTPUT"], "h")
    assert layer.loadNamedStyle(result["STYLE"])[1]
    shader = layer.renderer().shader().rasterShaderFunction()
    assert shader.colorRampType() == QgsColorRampShader.Discrete
    items = shader.colorRampItemList()
    step = items[0].value
    assert [round(i.value / step, 9) for i in items] == list(range(1, len(items) + 1))
    assert f"{step:g}"[0] in "125" and items[-1].value >= result["MAX"] > items[-2].value
    from qgis.core import QgsLayerTree, QgsLayerTreeModel
    from qgis.PyQt.QtCore import Qt

    root = QgsLayerTree()
    node = root.addLayer(layer)
    model = QgsLayerTreeModel(root)
    legend = [n.data(Qt.DisplayRole) for n in model.layerLegendNodes(node)]
    assert legend[0].startswith("Band 1: photos per km²"), legend  # the layers panel names the unit
    assert legend[1:] == [i.label for i in items]
    # float noise is nodata, not a coloured class: nothing below a millionth of one photo's peak
    # (quartic per km²: 3 / (pi r²), r = 0.6 km)
    assert result["MIN"] >= 1e-6 * 3 / (math.pi * 0.6**2)


def test_min_owners_removes_a_one_owner_cluster_and_says_so(run_alg, tmp_path):
    """150 photos of one person far from everyone else: nodata with the default floor of 3 owners."""
    from qgis.core import QgsProcessingFeedback

    crowd = [
        (16.37 + 0.001 * (i % 9), 48.21 + 0.001 * (i // 9), f"o{i % 12}", "2019-05-03T12:00:00") for i in range(90)
    ]
    holiday = [(16.45, 48.25, "holiday", "2019-05-03T12:00:00")] * 150
    messages = []

    class Feedback(QgsProcessingFeedback):
        def pushInfo(self, text):
            messages.append(text)

    result = run_alg(
        "scenicheatmap:heatmap",
        {
            "POINTS": people_layer(crowd + holiday),
            "RADIUS": 300,
            "PIXEL_SIZE": 25,
            "TARGET_CRS": "EPSG:31256",
            "OUTPUT": str(tmp_path / "floor.tif"),
        },
        feedback=Feedback(),
    )
    assert result["REMOVED_PHOTOS"] == 150 and result["REMOVED_CELLS"] > 100
    assert any(m.startswith("MIN_OWNERS 3:") and "150 photos" in m for m in messages), messages
    values, _, _ = read_band(result["OUTPUT"])
    assert np.isfinite(values).sum() > 0  # the crowd stays


@pytest.mark.parametrize("classes", [3, 9])
@pytest.mark.parametrize("method", [0, 1, 2, 3])
def test_the_legend_has_exactly_the_classes_asked_for(run_alg, tmp_path, classes, method):
    out = tmp_path / f"c{classes}_{method}.tif"
    result = run_alg(
        "scenicheatmap:heatmap",
        {
            "POINTS": vienna_points(400),
            "RADIUS": 300,
            "PIXEL_SIZE": 25,
            "CLASSES": classes,
            "CLASSIFICATION": method,
            "MIN_OWNERS": 0,
            "MAX_OWNER_SHARE": 0,
            "OUTPUT": str(out),
        },
    )
    assert result["UNIT"] == "photos per km²"  # the default output value
    layer = QgsRasterLayer(str(out), "reopened")  # held: its renderer dies with it
    shader = layer.renderer().shader().rasterShaderFunction()
    items = shader.colorRampItemList()
    if method == 3:  # continuous: one ramp from 0 to the maximum, and the legend says so
        assert shader.colorRampType() == shader.Interpolated and "continuous" in items[-1].label
        assert items[-1].value == pytest.approx(result["MAX"])
        return
    assert len(items) == classes and shader.colorRampType() == shader.Discrete
    assert items[-2].value < result["MAX"] <= items[-1].value  # the top class holds the maximum
    labels = " ".join(item.label for item in items)
    assert ("quantile" in labels) == (method == 1) and ("(log)" in labels) == (method == 2)
