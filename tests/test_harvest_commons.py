"""scenicheatmap:harvestcommons through processing.run against the fake MediaWiki server."""

import pytest
from fake_commons import FakeCommons
from qgis.core import QgsProcessingException, QgsVectorLayer

TESTS_CORE = __import__("pathlib").Path(__file__).parent / "core" / "commons"


@pytest.fixture()
def commons():
    import sys

    sys.path.insert(0, str(TESTS_CORE))
    from test_harvest import files

    server = FakeCommons(files(), fail_first=("503",))
    yield server
    server.stop()


def test_harvest_writes_camera_positioned_photos_and_their_images(run_alg, commons, tmp_path):
    parameters = {
        "EXTENT": "16.30,16.42,48.17,48.25 [EPSG:4326]",
        "IMAGE_FOLDER": str(tmp_path / "images"),
        "API_ENDPOINT": commons.endpoint,
        "OUTPUT": str(tmp_path / "commons.gpkg"),
    }
    result = run_alg("scenicheatmap:harvestcommons", parameters)
    layer = QgsVectorLayer(result["OUTPUT"], "commons")
    assert result["PHOTOS"] == layer.featureCount() == 28 and result["NO_CAMERA_POSITION"] == 1
    assert result["DEAD_LINKS"] == 1 and result["DOWNLOADS"] == 28
    feature = next(layer.getFeatures())
    assert feature["position_source"].startswith("camera") and feature["image_path"].startswith(str(tmp_path))
    assert len(list((tmp_path / "images").glob("*.jpg"))) == 28 and not (tmp_path / "etc").exists()
    again = run_alg("scenicheatmap:harvestcommons", dict(parameters, OUTPUT=str(tmp_path / "again.gpkg")))
    assert again["PHOTOS"] == 28 and again["DOWNLOADS"] == 0  # resumed: all tiles done, nothing fetched


def test_a_bad_endpoint_is_refused_before_anything_is_written(run_alg, tmp_path):
    with pytest.raises(QgsProcessingException, match="API_ENDPOINT"):
        run_alg(
            "scenicheatmap:harvestcommons",
            {
                "EXTENT": "16.30,16.42,48.17,48.25 [EPSG:4326]",
                "IMAGE_FOLDER": str(tmp_path / "images"),
                "API_ENDPOINT": "file:///etc/passwd",
                "OUTPUT": str(tmp_path / "c.gpkg"),
            },
        )
    assert not (tmp_path / "c.gpkg").exists() and not (tmp_path / "images").exists()
