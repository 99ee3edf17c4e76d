"""Bad input through real processing.run calls: a QgsProcessingException that names the parameter,
no traceback, and no file left behind."""

import os

import numpy as np
import pytest
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingException,
    QgsVectorLayer,
)


def points(crs="EPSG:4326", n=60, lon=16.37, lat=48.21, fields="&field=w:double&field=label:string", seed=1):
    layer = QgsVectorLayer(f"Point?crs={crs or 'EPSG:4326'}{fields}", "photos", "memory")
    if not crs:  # a layer whose CRS is unknown (a memory layer defaults to WGS 84)
        layer.setCrs(QgsCoordinateReferenceSystem())
    rng = np.random.default_rng(seed)
    features = []
    for i in range(n):
        feature = QgsFeature(layer.fields())
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(lon + rng.normal(0, 0.01), lat + rng.normal(0, 0.005))))
        feature.setAttributes([1.0 + i % 3, f"l{i}"])
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    return layer


def run_bad(run_alg, algorithm, parameters, parameter, out_dir):
    before = sorted(os.listdir(out_dir))
    with pytest.raises(QgsProcessingException) as caught:
        run_alg(algorithm, parameters)
    message = str(caught.value)
    assert parameter in message, message
    assert "Traceback" not in message
    assert sorted(os.listdir(out_dir)) == before, "a failed run left files behind"
    return message


HEATMAP_CASES = {
    "points without a CRS": ({"POINTS": lambda: points(crs="")}, "POINTS"),
    "a longitude of 500": ({"POINTS": lambda: points(lon=500)}, "TARGET_CRS"),
    "a weight field that does not exist": ({"WEIGHT": "nope"}, "WEIGHT"),
    "a text field as weight": ({"WEIGHT": "label"}, "WEIGHT"),
    "a point layer as clip": ({"CLIP": lambda: points()}, "CLIP"),
}


@pytest.mark.parametrize("case", sorted(HEATMAP_CASES))
def test_heatmap_refuses(run_alg, tmp_path, case):
    changes, parameter = HEATMAP_CASES[case]
    parameters = {"POINTS": points(), "RADIUS": 500, "PIXEL_SIZE": 50, "OUTPUT": str(tmp_path / "heat.tif")}
    parameters.update({k: v() if callable(v) else v for k, v in changes.items()})
    run_bad(run_alg, "scenicheatmap:heatmap", parameters, parameter, tmp_path)


def test_heatmap_radius_is_metres_on_the_ground_in_web_mercator(run_alg, tmp_path):
    layer = points(n=400)
    peaks = {}
    for crs in ("EPSG:32633", "EPSG:3857"):
        result = run_alg(
            "scenicheatmap:heatmap",
            {
                "POINTS": layer,
                "RADIUS": 1000,
                "PIXEL_SIZE": 50,
                "TARGET_CRS": crs,
                "OUTPUT": str(tmp_path / f"{crs[5:]}.tif"),
            },
        )
        peaks[crs] = result["MAX"]
    # Web Mercator stretches distances 1.52x at Vienna: without the ground scale the peak would be far lower
    assert peaks["EPSG:3857"] == pytest.approx(peaks["EPSG:32633"], rel=0.05)


def dated_points(crs="EPSG:4326"):
    layer = QgsVectorLayer(f"Point?crs={crs}&field=taken:string&field=owner:string", "photos", "memory")
    features = []
    for i in range(40):
        feature = QgsFeature(layer.fields())
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(16.37 + 0.001 * (i % 7), 48.21 + 0.001 * (i % 5))))
        feature.setAttributes([f"2019-{1 + i % 12:02d}-10T12:00:00", f"o{i % 4}"])
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    return layer


def test_series_folder_that_is_a_file(run_alg, tmp_path):
    (tmp_path / "taken.tif").write_text("x")
    run_bad(
        run_alg,
        "scenicheatmap:heatmapseries",
        {"POINTS": dated_points(), "RADIUS": 500, "PIXEL_SIZE": 50, "OUTPUT_FOLDER": str(tmp_path / "taken.tif")},
        "OUTPUT_FOLDER",
        tmp_path,
    )


def test_series_folder_on_a_readonly_file_system(run_alg, tmp_path, readonly_dir):
    run_bad(
        run_alg,
        "scenicheatmap:heatmapseries",
        {"POINTS": dated_points(), "RADIUS": 500, "PIXEL_SIZE": 50, "OUTPUT_FOLDER": str(readonly_dir / "series")},
        "OUTPUT_FOLDER",
        tmp_path,
    )


def test_series_bad_strip_name_writes_nothing(run_alg, tmp_path):
    run_bad(
        run_alg,
        "scenicheatmap:heatmapseries",
        {
            "POINTS": dated_points(),
            "RADIUS": 500,
            "PIXEL_SIZE": 50,
            "OUTPUT_FOLDER": str(tmp_path / "series"),
            "STRIP": str(tmp_path / "strip.txt"),
        },
        "STRIP",
        tmp_path,
    )
    assert not (tmp_path / "series").exists()


def test_districtstats_points_without_a_crs(run_alg, tmp_path, districts_path):
    run_bad(
        run_alg,
        "scenicheatmap:districtstats",
        {
            "POINTS": points(crs=""),
            "DISTRICTS": str(districts_path),
            "DISTRICT_ID": "BEZNR",
            "CLIPPED": str(tmp_path / "c.gpkg"),
            "DISTRICTS_OUT": str(tmp_path / "d.gpkg"),
            "SUMMARY": str(tmp_path / "s.csv"),
        },
        "POINTS",
        tmp_path,
    )


def test_validateprices_csv_without_geometry(run_alg, tmp_path):
    from conftest import shared_path

    table = QgsVectorLayer(
        f"file://{shared_path('data', 'prices', 'airbnb_vienna_weekdays.csv')}?delimiter=,&geomType=none",
        "prices",
        "delimitedtext",
    )
    assert table.isValid()
    run_bad(
        run_alg,
        "scenicheatmap:validateprices",
        {
            "PRICES": table,
            "PRICE_FIELD": "realSum",
            "PHOTOS": points(),
            "RADIUS": 500,
            "OUTPUT": str(tmp_path / "bins.csv"),
        },
        "PRICES",
        tmp_path,
    )


def test_validateprices_district_field_that_does_not_exist(run_alg, tmp_path, airbnb_uri, districts_path):
    run_bad(
        run_alg,
        "scenicheatmap:validateprices",
        {
            "PRICES": airbnb_uri,
            "PRICE_FIELD": "realSum",
            "PHOTOS": points(),
            "RADIUS": 500,
            "DISTRICTS": str(districts_path),
            "DISTRICT_FIELD": "NOPE",
            "OUTPUT": str(tmp_path / "bins.csv"),
        },
        "DISTRICT_FIELD",
        tmp_path,
    )


@pytest.mark.parametrize("algorithm", ["scenicheatmap:heatmap", "scenicheatmap:heatmapseries"])
def test_a_grid_over_the_memory_budget_is_refused_first(run_alg, tmp_path, monkeypatch, algorithm):
    monkeypatch.setenv("SCENIC_HEATMAP_MEMORY_BUDGET_MB", "1")  # about 37,000 cells
    parameters = {"POINTS": dated_points(), "RADIUS": 500, "PIXEL_SIZE": 5}
    parameters.update(
        {"OUTPUT": str(tmp_path / "heat.tif")}
        if algorithm.endswith("heatmap")
        else {"OUTPUT_FOLDER": str(tmp_path / "series")}
    )
    message = run_bad(run_alg, algorithm, parameters, "PIXEL_SIZE", tmp_path)
    assert "GiB of memory" in message


def test_weights_beyond_float32_are_refused_not_turned_into_nodata(run_alg, tmp_path):
    layer = points(n=20)
    layer.startEditing()
    for feature in layer.getFeatures():
        layer.changeAttributeValue(feature.id(), 0, 1e38)
    layer.commitChanges()
    message = run_bad(
        run_alg,
        "scenicheatmap:heatmap",
        {"POINTS": layer, "RADIUS": 500, "PIXEL_SIZE": 50, "WEIGHT": "w", "OUTPUT": str(tmp_path / "heat.tif")},
        "WEIGHT",
        tmp_path,
    )
    assert "float32" in message


def test_importphotos_folder_that_is_a_file(run_alg, tmp_path):
    (tmp_path / "photos.jpg").write_text("x")
    run_bad(
        run_alg,
        "scenicheatmap:importphotos",
        {"FOLDER": str(tmp_path / "photos.jpg"), "OUTPUT": str(tmp_path / "out.gpkg")},
        "FOLDER",
        tmp_path,
    )


def test_validateprices_chart_with_a_text_extension(run_alg, tmp_path, airbnb_uri):
    run_bad(
        run_alg,
        "scenicheatmap:validateprices",
        {
            "PRICES": airbnb_uri,
            "PRICE_FIELD": "realSum",
            "PHOTOS": points(),
            "RADIUS": 500,
            "OUTPUT": str(tmp_path / "bins.csv"),
            "CHART": str(tmp_path / "chart.txt"),
        },
        "CHART",
        tmp_path,
    )


def test_harvest_authcfg_that_does_not_exist(run_alg, tmp_path):
    message = run_bad(
        run_alg,
        "scenicheatmap:harvestflickr",
        {
            "AUTHCFG": "nope123",
            "EXTENT": "16.18,16.58,48.11,48.33 [EPSG:4326]",
            "IMAGE_FOLDER": str(tmp_path / "img"),
            "OUTPUT": str(tmp_path / "flickr.gpkg"),
        },
        "AUTHCFG",
        tmp_path,
    )
    assert "Basic" not in message
