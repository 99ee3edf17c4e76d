"""Every sink write is checked: a table that cannot be written stops the run with its name, never exit 0."""

import shutil

import pytest
from qgis.core import QgsProcessingException
from test_district_stats import district_points, open_layer, point_layer
from test_validate_prices import photo_points


def test_importphotos_invalid_table_in_a_readonly_folder(run_alg, exif_dir, tmp_path, readonly_dir):
    folder = tmp_path / "photos"
    folder.mkdir()
    shutil.copy(exif_dir / "jpg" / "gps" / "DSCN0010.jpg", folder / "a.jpg")
    (folder / "notes.jpg").write_text("not a photo")  # one rejected file, so INVALID gets a row
    with pytest.raises(QgsProcessingException, match="INVALID"):
        run_alg(
            "scenicheatmap:importphotos",
            {"FOLDER": str(folder), "OUTPUT": "TEMPORARY_OUTPUT", "INVALID": str(readonly_dir / "rejected.csv")},
        )
    assert not list(readonly_dir.iterdir())


def test_districtstats_summary_in_a_readonly_folder(run_alg, districts_path, readonly_dir):
    points = point_layer(district_points(open_layer(str(districts_path)), {1: 3}))
    with pytest.raises(QgsProcessingException, match="SUMMARY"):
        run_alg(
            "scenicheatmap:districtstats",
            {
                "POINTS": points,
                "DISTRICTS": str(districts_path),
                "DISTRICT_ID": "BEZNR",
                "CLIPPED": "TEMPORARY_OUTPUT",
                "DISTRICTS_OUT": "TEMPORARY_OUTPUT",
                "SUMMARY": str(readonly_dir / "summary.csv"),
            },
        )


def test_validateprices_table_in_a_readonly_folder(run_alg, airbnb_uri, readonly_dir):
    with pytest.raises(QgsProcessingException, match="OUTPUT"):
        run_alg(
            "scenicheatmap:validateprices",
            {
                "PRICES": airbnb_uri,
                "PRICE_FIELD": "realSum",
                "PHOTOS": photo_points(),
                "RADIUS": 1000,
                "PERMUTATIONS": 99,
                "OUTPUT": str(readonly_dir / "bins.csv"),
            },
        )
