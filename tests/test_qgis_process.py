"""Every algorithm through `qgis_process.bin run`, as batch users call it."""

import os

import pytest
from qgis.core import QgsRasterLayer, QgsVectorLayer


def test_algorithms_are_listed(qgis_process_env):
    import subprocess

    out = subprocess.run(
        ["/usr/bin/qgis_process.bin", "list"], env=qgis_process_env, capture_output=True, text=True, timeout=300
    ).stdout
    for alg in (
        "importphotos",
        "importyfcc",
        "harvestflickr",
        "harvestcommons",
        "trainclassifier",
        "classifyphotos",
        "districtstats",
        "heatmap",
        "heatmapseries",
        "validateprices",
        "pricemodel",
        "hotspots",
        "heatmapuncertainty",
        "workflow",
        "workflow_yfcc",
    ):
        assert f"scenicheatmap:{alg}" in out


def test_import_districtstats_heatmap_chain(qgis_process, exif_dir, districts_path, tmp_path):
    rc, result, log = qgis_process(
        "scenicheatmap:importphotos",
        {
            "FOLDER": exif_dir,
            "RECURSIVE": "true",
            "OUTPUT": tmp_path / "photos.gpkg",
            "INVALID": tmp_path / "invalid.csv",
        },
    )
    assert rc == 0, log
    assert result["results"]["PHOTOS"] >= 16
    photos = QgsVectorLayer(str(tmp_path / "photos.gpkg"), "photos")
    assert photos.featureCount() == result["results"]["PHOTOS"]

    rc, result, log = qgis_process(
        "scenicheatmap:districtstats",
        {
            "POINTS": tmp_path / "photos.gpkg",
            "DISTRICTS": districts_path,
            "DISTRICT_ID": "BEZNR",
            "CLIPPED": tmp_path / "clipped.gpkg",
            "DISTRICTS_OUT": tmp_path / "districts.gpkg",
            "SUMMARY": tmp_path / "summary.csv",
        },
    )
    assert rc == 0, log
    assert result["results"]["CLIPPED_COUNT"] == 0  # none of the sample photos is in Vienna
    assert QgsVectorLayer(str(tmp_path / "districts.gpkg"), "d").featureCount() == 23
    assert (tmp_path / "summary.csv").read_text().startswith("districts,mean,q25,median,q75,sum,min,max,range")

    rc, result, log = qgis_process(
        "scenicheatmap:heatmap",
        {
            "POINTS": tmp_path / "photos.gpkg",
            "RADIUS": 200000,
            "PIXEL_SIZE": 5000,
            "KERNEL": 0,
            "TARGET_CRS": "EPSG:3035",
            "OUTPUT": tmp_path / "heat.tif",
        },
    )
    assert rc == 0, log
    assert os.path.exists(tmp_path / "heat.qml")
    layer = QgsRasterLayer(str(tmp_path / "heat.tif"), "heat")
    assert layer.crs().authid() == "EPSG:3035"
    assert layer.renderer().type() == "singlebandpseudocolor"


def test_bad_input_is_an_error_not_a_traceback(qgis_process, tmp_path):
    empty = tmp_path / "one.geojson"
    empty.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
        '"geometry":{"type":"Point","coordinates":[16.37,48.2]}}]}'
    )
    rc, _, log = qgis_process(
        "scenicheatmap:heatmap", {"POINTS": empty, "RADIUS": 100, "PIXEL_SIZE": 1000, "OUTPUT": tmp_path / "h.tif"}
    )
    assert rc != 0
    assert "smaller than the radius" in log
    assert "Traceback" not in log
    assert not (tmp_path / "h.tif").exists()


def _points_file(tmp_path, crs_member=True):
    path = tmp_path / "points.geojson"
    crs = '"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}},' if crs_member else ""
    features = ",".join(
        '{"type":"Feature","properties":{"w":"heavy"},"geometry":{"type":"Point","coordinates":[%f,48.2]}}'
        % (16.37 + 0.001 * i)
        for i in range(20)
    )
    path.write_text('{"type":"FeatureCollection",%s"features":[%s]}' % (crs, features))
    return path


BATCH_CASES = {
    "text field as WEIGHT": ("scenicheatmap:heatmap", {"WEIGHT": "w"}, "WEIGHT"),
    "OUTPUT is a folder": ("scenicheatmap:heatmap", {"OUTPUT": "{tmp}"}, "OUTPUT"),
    "series folder is a file": ("scenicheatmap:heatmapseries", {"OUTPUT_FOLDER": "{points}"}, "OUTPUT_FOLDER"),
    "photo FOLDER is a file": ("scenicheatmap:importphotos", {"FOLDER": "{points}"}, "FOLDER"),
}


@pytest.mark.parametrize("case", sorted(BATCH_CASES))
def test_batch_bad_input_exit_code_and_message(qgis_process, tmp_path, case):
    algorithm, changes, parameter = BATCH_CASES[case]
    points = _points_file(tmp_path)
    defaults = {
        "scenicheatmap:heatmap": {"POINTS": points, "RADIUS": 500, "PIXEL_SIZE": 50, "OUTPUT": tmp_path / "h.tif"},
        "scenicheatmap:heatmapseries": {
            "POINTS": points,
            "DATE_FIELD": "w",
            "RADIUS": 500,
            "PIXEL_SIZE": 50,
            "OUTPUT_FOLDER": tmp_path / "series",
        },
        "scenicheatmap:importphotos": {"FOLDER": tmp_path, "OUTPUT": tmp_path / "photos.gpkg"},
    }[algorithm]
    parameters = dict(defaults)
    parameters.update({k: str(v).format(tmp=tmp_path, points=points) for k, v in changes.items()})
    before = sorted(os.listdir(tmp_path))
    rc, _, log = qgis_process(algorithm, parameters)
    assert rc != 0, log
    assert parameter in log and "Traceback" not in log, log
    assert sorted(os.listdir(tmp_path)) == before


def write_gpkg(layer, path):
    from qgis.core import QgsProject, QgsVectorFileWriter

    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "GPKG"
    error = QgsVectorFileWriter.writeAsVectorFormatV3(
        layer, str(path), QgsProject.instance().transformContext(), options
    )
    assert error[0] == QgsVectorFileWriter.NoError, error
    return path


def test_heatmapseries_and_validateprices(qgis_process, districts_path, tmp_path):
    import numpy as np
    from conftest import shared_path
    from qgis.core import QgsFeature, QgsGeometry, QgsPointXY
    from qgis.PyQt.QtCore import QDateTime, Qt

    rng = np.random.default_rng(4)
    photos = QgsVectorLayer("Point?crs=EPSG:4326&field=owner:string&field=taken:datetime", "photos", "memory")
    features = []
    for i in range(300):
        feature = QgsFeature(photos.fields())
        feature.setGeometry(
            QgsGeometry.fromPointXY(QgsPointXY(16.3725 + rng.normal(0, 0.01), 48.2085 + rng.normal(0, 0.007)))
        )
        month = 1 + i % 12
        feature.setAttributes([f"o{i % 30}", QDateTime.fromString(f"2019-{month:02d}-10T12:00:00", Qt.ISODate)])
        features.append(feature)
    photos.dataProvider().addFeatures(features)
    write_gpkg(photos, tmp_path / "photos.gpkg")
    csv_path = shared_path("data", "prices", "airbnb_vienna_weekdays.csv")
    airbnb = QgsVectorLayer(
        f"file://{csv_path}?delimiter=,&xField=lng&yField=lat&crs=EPSG:4326&detectTypes=yes", "airbnb", "delimitedtext"
    )
    write_gpkg(airbnb, tmp_path / "prices.gpkg")

    rc, result, log = qgis_process(
        "scenicheatmap:heatmapseries",
        {
            "POINTS": tmp_path / "photos.gpkg",
            "PERIOD": 1,
            "RADIUS": 500,
            "PIXEL_SIZE": 25,
            "WEIGHTING": 1,
            "OUTPUT_FOLDER": tmp_path / "seasons",
            "STRIP": tmp_path / "seasons.png",
        },
    )
    assert rc == 0, log
    assert result["results"]["PERIODS"] == 5  # 2019 winter (Jan, Feb) ... 2020 winter (Dec)
    assert (tmp_path / "seasons.png").stat().st_size > 0 and (tmp_path / "seasons" / "heatmap_series.qlr").exists()

    rc, result, log = qgis_process(
        "scenicheatmap:validateprices",
        {
            "PRICES": tmp_path / "prices.gpkg",
            "PRICE_FIELD": "realSum",
            "PHOTOS": tmp_path / "photos.gpkg",
            "RADIUS": 800,
            "DISTRICTS": districts_path,
            "DISTRICT_FIELD": "NAMEK",
            "PERMUTATIONS": 199,
            "OUTPUT": tmp_path / "bins.csv",
            "REPORT": tmp_path / "report.html",
        },
    )
    assert rc == 0, log
    assert result["results"]["N"] + result["results"]["OUTLIERS_FLAGGED"] == 1738
    assert "Spearman" in (tmp_path / "report.html").read_text()


def test_scheduler_local_2_end_to_end(qgis_process, exif_dir, tmp_path):
    """SCHEDULER=local:2 through qgis_process: the heat map equals this machine's cell for cell, the
    classification equals it photo by photo, and an unreachable scheduler is one clear error."""
    import time

    import numpy as np
    from osgeo import gdal

    rc, result, log = qgis_process(
        "scenicheatmap:importphotos", {"FOLDER": exif_dir, "RECURSIVE": "true", "OUTPUT": tmp_path / "photos.gpkg"}
    )
    assert rc == 0, log
    rasters = {}
    for name, scheduler in (("here", ""), ("cluster", "local:2")):
        rc, result, log = qgis_process(
            "scenicheatmap:heatmap",
            {
                "POINTS": tmp_path / "photos.gpkg",
                "RADIUS": 300000,
                "PIXEL_SIZE": 1000,
                "TARGET_CRS": "EPSG:3035",
                "MIN_OWNERS": 0,
                "MAX_OWNER_SHARE": 0,
                "SCHEDULER": scheduler,
                "OUTPUT": tmp_path / f"{name}.tif",
            },
        )
        assert rc == 0, log
        rasters[name] = gdal.Open(str(tmp_path / f"{name}.tif")).ReadAsArray()
    assert "Running on a local Dask cluster of 2 worker processes (2 workers)" in log
    assert rasters["here"].shape[0] > 256 and np.array_equal(rasters["here"], rasters["cluster"])

    counts = {}
    for name, scheduler in (("here", ""), ("cluster", "local:2")):
        rc, result, log = qgis_process(
            "scenicheatmap:classifyphotos",
            {
                "FOLDER": exif_dir / "jpg",
                "SCHEDULER": scheduler,
                "CLASSIFIED": tmp_path / f"classified_{name}.gpkg",
                "VALID": tmp_path / f"valid_{name}.gpkg",
            },
        )
        assert rc == 0, log
        layer = QgsVectorLayer(str(tmp_path / f"classified_{name}.gpkg"), name)
        counts[name] = sorted(
            (f["path"], str(f["class"]), str(f["error"]), round(f["score"], 6) if f["score"] else None)
            for f in layer.getFeatures()
        )
    assert len(counts["here"]) >= 15 and counts["here"] == counts["cluster"]

    start = time.monotonic()
    rc, result, log = qgis_process(
        "scenicheatmap:heatmap",
        {
            "POINTS": tmp_path / "photos.gpkg",
            "RADIUS": 300000,
            "PIXEL_SIZE": 1000,
            "SCHEDULER": "tcp://127.0.0.1:9",
            "OUTPUT": tmp_path / "never.tif",
        },
    )
    assert rc != 0 and "Cannot reach the Dask scheduler at tcp://127.0.0.1:9" in log and "Traceback" not in log
    assert time.monotonic() - start < 60 and not (tmp_path / "never.tif").exists()


def test_pricemodel_inside_qgis_process(qgis_process, airbnb_uri, tmp_path):
    """statsmodels, spreg and libpysal load inside QGIS's own process, and ML_Error (sparse LU) runs."""
    from qgis.core import QgsCoordinateTransformContext, QgsVectorFileWriter

    prices = str(tmp_path / "airbnb.gpkg")
    options = QgsVectorFileWriter.SaveVectorOptions()
    error = QgsVectorFileWriter.writeAsVectorFormatV3(airbnb_uri, prices, QgsCoordinateTransformContext(), options)
    assert error[0] == QgsVectorFileWriter.NoError, error
    rc, result, log = qgis_process(
        "scenicheatmap:pricemodel",
        {
            "PRICES": prices,
            "PRICE_FIELD": "realSum",
            "CONTROLS": "person_capacity",
            "PHOTOS": prices,
            "RADIUS": 500,
            "SPATIAL": 2,
            "COEFFICIENTS": tmp_path / "coefficients.csv",
            "REPORT": tmp_path / "report.html",
        },
    )
    assert rc == 0, log
    values = result["results"]
    assert values["MODEL_USED"] == "spatial error (ML)" and values["N"] == 1738
    assert values["PHOTO_CI_LOW"] < values["PHOTO_COEF"] < values["PHOTO_CI_HIGH"]
    assert "The ladder" in (tmp_path / "report.html").read_text()
