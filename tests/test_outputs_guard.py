"""The guard every algorithm gets from ScenicAlgorithm: outputs tried first, a failed run's files
removed, an unexpected error turned into one message."""

import os

import pytest
from qgis.core import QgsProcessingException, QgsVectorLayer
from test_bad_input import points


def heatmap_parameters(tmp_path, **changes):
    parameters = {"POINTS": points(), "RADIUS": 500, "PIXEL_SIZE": 50, "OUTPUT": str(tmp_path / "heat.tif")}
    parameters.update(changes)
    return parameters


def test_output_that_is_a_folder_is_refused_by_name(run_alg, tmp_path):
    (tmp_path / "heat.tif").mkdir()
    with pytest.raises(QgsProcessingException, match="OUTPUT is a folder"):
        run_alg("scenicheatmap:heatmap", heatmap_parameters(tmp_path))


def test_output_in_a_missing_folder_is_refused(run_alg, tmp_path):
    with pytest.raises(QgsProcessingException, match="folder of OUTPUT does not exist"):
        run_alg("scenicheatmap:heatmap", heatmap_parameters(tmp_path, OUTPUT=str(tmp_path / "no" / "heat.tif")))


def test_fifo_as_output_is_refused(run_alg, tmp_path):
    os.mkfifo(tmp_path / "heat.tif")
    with pytest.raises(QgsProcessingException, match="OUTPUT names a FIFO"):
        run_alg("scenicheatmap:heatmap", heatmap_parameters(tmp_path))


def test_two_outputs_on_one_path_are_refused(run_alg, tmp_path, districts_path):
    same = str(tmp_path / "same.gpkg")
    with pytest.raises(QgsProcessingException, match="same file"):
        run_alg(
            "scenicheatmap:districtstats",
            {
                "POINTS": points(),
                "DISTRICTS": str(districts_path),
                "DISTRICT_ID": "BEZNR",
                "CLIPPED": same,
                "DISTRICTS_OUT": same,
                "SUMMARY": "TEMPORARY_OUTPUT",
            },
        )
    assert os.listdir(tmp_path) == []


def test_a_later_output_failing_removes_the_earlier_ones(run_alg, tmp_path, districts_path, monkeypatch):
    """districtstats writes CLIPPED and DISTRICTS_OUT, then fails on SUMMARY: nothing stays."""
    from scenic_heatmap.algorithms import district_stats

    def broken_summary(counts):
        raise QgsProcessingException("SUMMARY could not be computed (injected)")

    monkeypatch.setattr(district_stats, "count_summary", broken_summary)
    (tmp_path / "keep.txt").write_text("the user's own file")
    with pytest.raises(QgsProcessingException, match="injected"):
        run_alg(
            "scenicheatmap:districtstats",
            {
                "POINTS": points(),
                "DISTRICTS": str(districts_path),
                "DISTRICT_ID": "BEZNR",
                "CLIPPED": str(tmp_path / "clipped.gpkg"),
                "DISTRICTS_OUT": str(tmp_path / "districts.shp"),
                "SUMMARY": str(tmp_path / "summary.csv"),
            },
        )
    assert os.listdir(tmp_path) == ["keep.txt"]


def test_unexpected_error_is_one_message_and_leaves_nothing(run_alg, tmp_path, monkeypatch):
    from scenic_heatmap.algorithms import heatmap

    def bug(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(heatmap, "write_density_style", bug)
    with pytest.raises(QgsProcessingException) as caught:
        run_alg("scenicheatmap:heatmap", heatmap_parameters(tmp_path))
    message = str(caught.value)
    assert "unexpected error (ZeroDivisionError" in message and "Traceback" not in message
    assert os.listdir(tmp_path) == []


def test_existing_output_of_the_user_is_not_removed_when_a_run_fails(run_alg, tmp_path):
    """Only files the run created are removed; an output file that was there before stays."""
    layer = QgsVectorLayer("Point?crs=EPSG:4326", "none", "memory")
    (tmp_path / "heat.tif").write_bytes(b"old")
    with pytest.raises(QgsProcessingException):
        run_alg("scenicheatmap:heatmap", heatmap_parameters(tmp_path, POINTS=layer))
    assert (tmp_path / "heat.tif").read_bytes() == b"old"


@pytest.mark.parametrize("parameter", ["POINTS", "CLIP"])
def test_fifo_as_an_input_layer_is_refused_not_a_hang(run_alg, tmp_path, parameter):
    """GDAL would block for ever opening a FIFO as a layer."""
    os.mkfifo(tmp_path / "pipe.gpkg")
    with pytest.raises(QgsProcessingException, match=f"{parameter} names a FIFO"):
        run_alg("scenicheatmap:heatmap", heatmap_parameters(tmp_path, **{parameter: str(tmp_path / "pipe.gpkg")}))
