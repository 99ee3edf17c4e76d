"""scenicheatmap:importyfcc through processing.run: the filters, bz2, and a later step on its output."""

import bz2

import pytest
from qgis.core import QgsProcessingException, QgsVectorLayer

from scenic_heatmap.core.photos import yfcc  # noqa: F401 - the module under test, imported as QGIS loads it

TESTS_CORE = __import__("pathlib").Path(__file__).parent / "core" / "photos"


def yfcc_lines():
    import sys

    sys.path.insert(0, str(TESTS_CORE))
    from test_yfcc import LINES, row

    # more photos of more people in Vienna, so a heat map by photo-user-days has something to show
    extra = [
        row(100 + i, 2000 + i, lon=16.36 + 0.001 * (i % 9), lat=48.20 + 0.001 * (i % 7), owner=f"{i % 12}%40N01")
        for i in range(60)
    ]
    return LINES + extra


@pytest.mark.parametrize("compressed", [False, True])
def test_import_keeps_the_filtered_photos_with_the_harvests_fields(run_alg, tmp_path, compressed):
    text = ("\n".join(yfcc_lines()) + "\n").encode()
    path = tmp_path / ("yfcc100m_dataset.bz2" if compressed else "yfcc100m_dataset")
    path.write_bytes(bz2.compress(text) if compressed else text)
    result = run_alg(
        "scenicheatmap:importyfcc",
        {
            "INPUT": str(path),
            "EXTENT": "16.18,16.58,48.11,48.33 [EPSG:4326]",
            "START": "2016-06-30",
            "END": "2017-06-30",
            "LICENSES": [1],  # CC BY-NC 2.0
            "OUTPUT": str(tmp_path / "yfcc.gpkg"),
        },
    )
    layer = QgsVectorLayer(result["OUTPUT"], "yfcc")
    assert result["PHOTOS"] == layer.featureCount() == 62 and result["MALFORMED"] == 2 and result["VIDEOS"] == 1
    names = layer.fields().names()
    for name in ("photo_id", "owner", "owner_name", "title", "taken", "uploaded", "lat", "lon", "geotag_accuracy",
                 "license", "page_url", "image_url"):  # fmt: skip
        assert name in names
    first = next(f for f in layer.getFeatures() if f["photo_id"] == "1002")
    assert first["title"] == "<b>bold</b> & more" and first["owner_name"] == "Anna Müller"
    heat = run_alg(  # a later step, unchanged: a heat map by photo-user-days
        "scenicheatmap:heatmap",
        {
            "POINTS": result["OUTPUT"],
            "RADIUS": 300,
            "PIXEL_SIZE": 20,
            "WEIGHTING": 1,
            "OUTPUT": str(tmp_path / "h.tif"),
        },
    )
    assert heat["WEIGHTING_USED"] == "photo-user-days" and heat["MAX"] > 0


def test_a_file_that_is_not_yfcc_stops_without_output(run_alg, tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(QgsProcessingException, match="YFCC100M layout"):
        run_alg("scenicheatmap:importyfcc", {"INPUT": str(path), "OUTPUT": str(tmp_path / "out.gpkg")})
    assert not (tmp_path / "out.gpkg").exists()
