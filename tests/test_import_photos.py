"""scenicheatmap:importphotos in real QGIS on the real camera files."""

import csv

import pytest
from qgis.core import QgsProcessingException, QgsVectorLayer, QgsWkbTypes

EXPECTED_FIELDS = [
    "photo_id",
    "path",
    "taken",
    "lat",
    "lon",
    "altitude",
    "direction",
    "gnss",
    "make",
    "model",
    "width",
    "height",
    "owner",
]


def test_imports_points_matching_exiftool(run_alg, exif_dir, tmp_path):
    result = run_alg(
        "scenicheatmap:importphotos",
        {
            "FOLDER": str(exif_dir),
            "RECURSIVE": True,
            "OUTPUT": str(tmp_path / "photos.gpkg"),
            "INVALID": str(tmp_path / "invalid.csv"),
        },
    )
    layer = QgsVectorLayer(result["OUTPUT"], "photos")
    assert layer.isValid()
    assert layer.crs().authid() == "EPSG:4326"
    assert QgsWkbTypes.geometryType(layer.wkbType()) == QgsWkbTypes.PointGeometry
    names = [f.name() for f in layer.fields()]
    assert names[-len(EXPECTED_FIELDS) :] == EXPECTED_FIELDS

    with open(exif_dir / "gps_reference_exiftool.csv", newline="") as fh:
        reference = {r["SourceFile"]: r for r in csv.DictReader(fh) if r["GPSLatitude"]}
    features = {f["photo_id"]: f for f in layer.getFeatures()}
    for name, row in reference.items():
        feature = features[name]
        point = feature.geometry().asPoint()
        assert point.y() == pytest.approx(float(row["GPSLatitude"]), abs=1e-6)
        assert point.x() == pytest.approx(float(row["GPSLongitude"]), abs=1e-6)
        assert feature["gnss"] is True or feature["gnss"] == 1
    assert result["PHOTOS"] == layer.featureCount() >= len(reference)

    kodak = features["jpg/Kodak_CX7530.jpg"]
    assert kodak["taken"].toString("yyyy-MM-dd hh:mm:ss") == "2005-08-13 09:47:23"

    invalid = QgsVectorLayer(result["INVALID"], "invalid")
    reasons = {f["path"].replace("\\", "/").split("/exif/")[-1]: f["reason"] for f in invalid.getFeatures()}
    assert result["REJECTED"] == len(reasons)
    assert reasons["jpg/corrupted.jpg"]
    assert "not a JPEG" in reasons["jpg/README"]
    assert "no coordinates" in reasons["jpg/Canon_40D.jpg"]


def test_not_recursive_reads_only_the_top_folder(run_alg, exif_dir, tmp_path):
    result = run_alg(
        "scenicheatmap:importphotos",
        {"FOLDER": str(exif_dir / "jpg"), "RECURSIVE": False, "OUTPUT": str(tmp_path / "p.gpkg")},
    )
    layer = QgsVectorLayer(result["OUTPUT"], "photos")
    assert [f["photo_id"] for f in layer.getFeatures()] == ["Kodak_CX7530.jpg"]


def test_missing_folder_is_a_clear_error(run_alg, tmp_path):
    with pytest.raises(QgsProcessingException, match="folder"):
        run_alg("scenicheatmap:importphotos", {"FOLDER": str(tmp_path / "nope"), "OUTPUT": "TEMPORARY_OUTPUT"})


@pytest.mark.timeout(120)
def test_a_fifo_named_jpg_is_listed_not_opened(run_alg, exif_dir, tmp_path):
    import os
    import shutil

    folder = tmp_path / "photos"
    folder.mkdir()
    shutil.copy(exif_dir / "jpg" / "gps" / "DSCN0010.jpg", folder / "a.jpg")
    os.mkfifo(folder / "trap.jpg")  # opening it would block the run forever
    result = run_alg(
        "scenicheatmap:importphotos",
        {"FOLDER": str(folder), "RECURSIVE": False, "OUTPUT": "TEMPORARY_OUTPUT", "INVALID": "TEMPORARY_OUTPUT"},
    )
    assert result["PHOTOS"] == 1 and result["REJECTED"] == 1
    (row,) = list(result["INVALID"].getFeatures())
    assert row["path"].endswith("trap.jpg") and "FIFO" in row["reason"]
