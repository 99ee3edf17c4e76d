"""core/photos/downloads.py: the shared image store and fetcher."""

import time

import pytest

from scenic_heatmap.core.errors import UserError
from scenic_heatmap.core.photos.downloads import Fetcher, ImageStore


def test_names_that_are_not_plain_ids_never_become_paths(tmp_path):
    store = ImageStore(str(tmp_path))
    assert store.path_for("12345") == str(tmp_path / "12345.jpg")
    for hostile in ("../x", "a/b", "", "x" * 65, "..", "id.jpg"):
        with pytest.raises(UserError):
            store.path_for(hostile)


def test_the_fetcher_keeps_its_rate(image_server):
    base, gets = image_server
    fetcher = Fetcher(per_second=20.0, backoff=0.001)
    start = time.monotonic()
    bodies = [fetcher.get(f"{base}/ok/{i}.jpg") for i in range(6)]
    elapsed = time.monotonic() - start
    fetcher.close()
    assert all(b and b[:2] == b"\xff\xd8" for b in bodies) and elapsed >= 5 / 20.0 * 0.9
    assert Fetcher(backoff=0.001).get(f"{base}/gone/1.jpg") is None  # a dead link, asked once
    assert gets["/gone/1.jpg"] == 1
