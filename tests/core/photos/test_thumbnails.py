"""core/photos/thumbnails.py: embedded thumbnails that never hang or blow up."""

import base64
import io
import os

from PIL import Image

from scenic_heatmap.core.photos.thumbnails import thumbnail_data


def test_a_thumbnail_fits_the_edge_and_keeps_the_shape(tmp_path):
    path = tmp_path / "wide.jpg"
    Image.new("RGB", (1600, 800), (200, 30, 30)).save(path)
    uri = thumbnail_data(str(path), 320, 70)
    assert uri.startswith("data:image/jpeg;base64,")
    small = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert small.size == (320, 160)


def test_unreadable_files_give_no_thumbnail(tmp_path):
    fifo = tmp_path / "photo.jpg"
    os.mkfifo(fifo)  # opening it would wait for a writer forever
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not a jpeg")
    for path in (str(fifo), str(broken), str(tmp_path / "missing.jpg"), "", str(tmp_path)):
        assert thumbnail_data(path) == ""


def test_an_oversized_image_is_refused_not_decoded(tmp_path, monkeypatch):
    path = tmp_path / "big.png"
    Image.new("L", (400, 400)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 160,000 pixels is then a decompression bomb
    assert thumbnail_data(str(path)) == ""
