"""Images on disk with their position in EXIF: one download per image, resumable, traversal-safe.
QGIS-free. Shared by the Flickr harvest and the YFCC100M import.

An image is written as <name>.jpg.part, given its position, then renamed: a file under its final
name is whole and positioned, and a run that starts again skips it (complete()). Names come from
photo ids, checked, so a hostile id never leaves the folder."""

import os
import random
import re
import time
from typing import Callable, Optional

from ..errors import Cancelled, UserError
from ..packages import need
from .exif_gnss import read_tags
from .exif_write import holds_position, write_gnss

SAFE_NAME = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
MAX_BYTES = 50_000_000
GONE = (404, 410)  # dead links in an old dump: counted, never retried
RESUME = "Cancelled. Run again with the same parameters and image folder to resume."  # the images stay


class ImageStore:
    def __init__(self, folder: str):
        self.folder = folder

    def path_for(self, name: str) -> str:
        if not SAFE_NAME.match(name or ""):
            raise UserError(f"Refused an image name that is not a plain id: {name[:40]!r}.")
        return os.path.join(self.folder, f"{name}.jpg")

    def remove_partial(self, names=SAFE_NAME):
        """Deletes the .part files a killed run left, for image names that `names` matches."""
        for entry in os.listdir(self.folder):
            if entry.endswith(".jpg.part") and names.match(entry.split(".")[0]):
                os.remove(os.path.join(self.folder, entry))

    @staticmethod
    def complete(path: str, position) -> bool:
        """Whole and positioned on disk (then it is not downloaded again)."""
        if not os.path.exists(path):
            return False
        try:
            return holds_position(read_tags(path), *position)
        except Exception:  # a damaged file is downloaded again
            return False

    @staticmethod
    def store(path: str, body: bytes, position, taken):
        """The image with its position, complete or not at all."""
        tmp = f"{path}.part"
        with open(tmp, "wb") as fh:
            fh.write(body)
        write_gnss(tmp, position[0], position[1], taken)
        os.replace(tmp, path)


def read_jpeg(response, max_bytes: int = MAX_BYTES) -> bytes:
    """A whole JPEG body from a streamed response; ValueError when truncated or not a JPEG."""
    body = bytearray()
    for chunk in response.iter_content(65536):
        body.extend(chunk)
        if len(body) > max_bytes:
            raise UserError("The image is larger than the size limit.")
    expected = response.headers.get("Content-Length")
    if expected is not None and int(expected) != len(body):
        raise ValueError("truncated image")
    if not (body.startswith(b"\xff\xd8") and body.rstrip(b"\x00").endswith(b"\xff\xd9")):
        raise ValueError("truncated or non-JPEG image")
    return bytes(body)


class Fetcher:
    """Plain HTTP image downloads (static image hosts need no key), at most `per_second` requests a
    second: retries with exponential backoff on 5xx, 429, connection errors and truncated bodies; 404
    and 410 are dead links (None)."""

    def __init__(
        self, retries: int = 4, backoff: float = 1.0, timeout: float = 30.0, cancelled=lambda: False, per_second=5.0
    ):
        self.session = need("requests").Session()
        self.session.headers["User-Agent"] = "ScenicHeatmap-QGIS-plugin (image download)"
        self.retries, self.backoff, self.timeout, self.cancelled = retries, backoff, timeout, cancelled
        self.interval, self._last = 1.0 / per_second if per_second else 0.0, 0.0

    def _wait_turn(self):
        """The rate limit: one request per interval, the wait cancellable."""
        while time.monotonic() < self._last + self.interval:
            if self.cancelled():
                raise Cancelled(RESUME)
            time.sleep(min(0.05, self._last + self.interval - time.monotonic()))
        self._last = time.monotonic()

    def close(self):
        self.session.close()

    def get(self, url: str) -> Optional[bytes]:
        requests = need("requests")
        if not re.match(r"^https?://", url or ""):
            return None
        for attempt in range(self.retries + 1):
            if self.cancelled():
                raise Cancelled(RESUME)
            self._wait_turn()
            try:
                with self.session.get(url, timeout=self.timeout, stream=True) as response:
                    if response.status_code in GONE:
                        return None
                    if response.status_code == 200:
                        return read_jpeg(response)
                    if response.status_code != 429 and response.status_code < 500:
                        return None  # another refusal: a dead link too
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError, ValueError):
                pass
            if attempt < self.retries:
                time.sleep(self.backoff * (2**attempt) * (0.5 + random.random()))
        raise ConnectionError(f"gave up after {self.retries + 1} tries")


def download_all(store: ImageStore, fetcher: Fetcher, items, progress: Callable[[int], None] = lambda n: None) -> dict:
    """items: (name, url, (lat, lon), taken). Fetches what is not on disk yet; counts what happened."""
    counts = {"downloaded": 0, "on_disk": 0, "dead": 0, "failed": 0}
    for done, (name, url, position, taken) in enumerate(items, start=1):
        path = store.path_for(name)
        if store.complete(path, position):
            counts["on_disk"] += 1
        else:
            try:
                body = fetcher.get(url)
            except ConnectionError:
                counts["failed"] += 1
                continue
            if body is None:
                counts["dead"] += 1
            else:
                store.store(path, body, position, taken)
                counts["downloaded"] += 1
        progress(done)
    return counts
