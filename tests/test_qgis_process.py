"""Every algorithm through `qgis_process.bin run`, as batch users call it."""

import os

from qgis.core import QgsRasterLayer, QgsVectorLayer


def test_algorithms_are_listed(qgis_process_env):
    import subprocess

    out = subprocess.run(
        ["/usr/bin/qgis_process.bin", "list"], env=qgis_process_env, capture_output=True, text=True, timeout=300
    ).stdout
    for alg in ("importphotos", "harvestflickr", "districtstats", "heatmap"):
        assert f"scenicheatmap:{alg}" in out


def test_import_districtstats_heatmap_chain(qgis_process, exif_dir, districts_path, tmp_path):
    rc, result, log = qgis_process(
        "scenicheatmap:importphotos",
        {"FOLDER": exif_dir, "RECURSIVE": "true", "OUTPUT": tmp_path / "photos.gpkg",
         "INVALID": tmp_path / "invalid.csv"},
    )
    assert rc == 0, log
    assert result["results"]["PHOTOS"] >= 16
    photos = QgsVectorLayer(str(tmp_path / "photos.gpkg"), "photos")
    assert photos.featureCount() == result["results"]["PHOTOS"]

    rc, result, log = qgis_process(
        "scenicheatmap:districtstats",
        {"POINTS": tmp_path / "photos.gpkg", "DISTRICTS": districts_path, "DISTRICT_ID": "BEZNR",
         "CLIPPED": tmp_path / "clipped.gpkg", "DISTRICTS_OUT": tmp_path / "districts.gpkg",
         "SUMMARY": tmp_path / "summary.csv"},
    )
    assert rc == 0, log
    assert result["results"]["CLIPPED_COUNT"] == 0  # none of the sample photos is in Vienna
    assert QgsVectorLayer(str(tmp_path / "districts.gpkg"), "d").featureCount() == 23
    assert (tmp_path / "summary.csv").read_text().startswith("districts,mean,q25,median,q75,sum,min,max,range")

    rc, result, log = qgis_process(
        "scenicheatmap:heatmap",
        {"POINTS": tmp_path / "photos.gpkg", "RADIUS": 200000, "PIXEL_SIZE": 5000, "KERNEL": 0,
         "TARGET_CRS": "EPSG:3035", "OUTPUT": tmp_path / "heat.tif"},
    )
    assert rc == 0, log
    assert os.path.exists(tmp_path / "heat.qml")
    layer = QgsRasterLayer(str(tmp_path / "heat.tif"), "heat")
    assert layer.crs().authid() == "EPSG:3035"
    assert layer.renderer().type() == "singlebandpseudocolor"


def test_bad_input_is_an_error_not_a_traceback(qgis_process, tmp_path):
    empty = tmp_path / "one.geojson"
    empty.write_text('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
                     '"geometry":{"type":"Point","coordinates":[16.37,48.2]}}]}')
    rc, _, log = qgis_process(
        "scenicheatmap:heatmap", {"POINTS": empty, "RADIUS": 100, "PIXEL_SIZE": 1000, "OUTPUT": tmp_path / "h.tif"}
    )
    assert rc != 0
    assert "smaller than the radius" in log
    assert "Traceback" not in log
    assert not (tmp_path / "h.tif").exists()
