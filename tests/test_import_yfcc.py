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


def test_images_are_downloaded_once_with_their_position_and_dead_links_counted(run_alg, tmp_path, image_server):
    import sys
    import urllib.parse

    sys.path.insert(0, str(TESTS_CORE))
    from test_yfcc import row

    from scenic_heatmap.core.photos.exif_gnss import gps_position, read_tags

    base, gets = image_server
    lines = [row(i, 5000 + i, image=urllib.parse.quote(f"{base}/ok/{5000 + i}.jpg", safe="")) for i in range(4)]
    lines += [row(9, 5009, image=urllib.parse.quote(f"{base}/gone/5009.jpg", safe=""))]
    lines += [row(10, 1, image="x").replace("\t1\t", "\t..%2F..%2Fescape\t", 1)]  # a hostile id: malformed
    path = tmp_path / "yfcc100m_dataset"
    path.write_text("\n".join(lines) + "\n")
    parameters = {"INPUT": str(path), "IMAGE_FOLDER": str(tmp_path / "images"), "OUTPUT": str(tmp_path / "y.gpkg")}
    first = run_alg("scenicheatmap:importyfcc", parameters)
    assert (first["PHOTOS"], first["DOWNLOADED"], first["DEAD_LINKS"], first["MALFORMED"]) == (5, 4, 1, 1)
    layer = QgsVectorLayer(first["OUTPUT"], "y")
    with_images = [f for f in layer.getFeatures() if f["image_path"]]
    assert len(with_images) == 4
    lat, lon = gps_position(read_tags(with_images[0]["image_path"]))[:2]
    assert (lat, lon) == pytest.approx((with_images[0]["lat"], with_images[0]["lon"]), abs=1e-6)
    assert sorted(p.name for p in (tmp_path / "images").iterdir()) == [f"{5000 + i}.jpg" for i in range(4)]
    again = run_alg("scenicheatmap:importyfcc", dict(parameters, OUTPUT=str(tmp_path / "again.gpkg")))
    assert again["DOWNLOADED"] == 0 and all(n == 1 for p, n in gets.items() if p.startswith("/ok/"))
