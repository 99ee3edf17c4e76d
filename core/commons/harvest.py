"""Geotagged photos from Wikimedia Commons through the MediaWiki Action API: no key, free licences.
QGIS-free.

The extent is searched in tiles with GeoData's geosearch generator over files (namespace 6), with
image info (URL, size, extmetadata: date taken, author, licence, the camera's GPS). A tile the API
finds too big is split in four. Answers page with `continue`. 5xx, 429 and `maxlag` are retried after
Retry-After or an exponential backoff. Only the camera's position is kept (EXIF GPS, or the
{{Location}} that Commons shows as GPS): a file that has only the position of what it depicts is
counted and left out, and each feature says where its position came from.

Resumable: finished tiles and decided files go to a journal in the image folder, images through
the shared store (core/photos/downloads.py), named by page id, never by title."""

import datetime
import html
import json
import math
import os
import random
import re
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from ..errors import SILENT, Cancelled, Progress, UserError
from ..packages import need
from ..photos.downloads import RESUME, Fetcher, ImageStore
from ..photos.journal import Journal

API = "https://commons.wikimedia.org/w/api.php"
USER_AGENT = "ScenicHeatmap/0.3 (QGIS plugin; https://example.org/scenic-heatmap) python-requests"
TILE_DEGREES = 0.09  # about 10 km: GeoData refuses larger boxes
MIN_TILE = 0.0005
STATE_DIR = ".scenic_commons"
RETRIES = 6
_TAGS = re.compile(r"<[^>]+>")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


class CommonsError(UserError):
    pass


class TooBig(Exception):  # noqa: N818 - GeoData's own word for it
    pass


@dataclass
class CommonsParams:
    bbox: Tuple[float, float, float, float]  # west, south, east, north
    start: Optional[datetime.date] = None  # date taken, inclusive
    end: Optional[datetime.date] = None
    max_edge: int = 1024

    def fingerprint(self) -> str:
        return json.dumps([self.bbox, str(self.start), str(self.end), self.max_edge])


@dataclass
class CommonsStats:
    tiles: int = 0
    splits: int = 0
    files: int = 0
    kept: int = 0
    no_camera_position: int = 0
    out_of_dates: int = 0
    duplicates: int = 0
    downloads: int = 0
    dead: int = 0
    retries: int = 0
    notes: List[str] = field(default_factory=list)


def _plain(value) -> str:
    """extmetadata values are HTML: the text, unescaped, without tags."""
    return html.unescape(_TAGS.sub("", str(value or ""))).strip()


def _meta(info: dict, key: str) -> str:
    return _plain(((info.get("extmetadata") or {}).get(key) or {}).get("value"))


def _taken(info: dict) -> Optional[datetime.date]:
    match = _DATE.search(_meta(info, "DateTimeOriginal") or _meta(info, "DateTime"))
    if not match:
        return None
    try:
        return datetime.date(*map(int, match.groups()))
    except ValueError:
        return None


def camera_position(info: dict) -> Optional[Tuple[float, float, str]]:
    """(lat, lon, source) of the camera, or None when Commons knows only what the file depicts."""
    try:
        lat, lon = float(_meta(info, "GPSLatitude")), float(_meta(info, "GPSLongitude"))
    except ValueError:
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon, "camera (EXIF GPS or the Location template)"


class Api:
    """GET requests with Wikimedia's etiquette: a User-Agent with contact, maxlag, retries after
    Retry-After or an exponential backoff."""

    def __init__(self, endpoint: str, cancelled=lambda: False, backoff: float = 1.0, stats=None):
        if not re.match(r"^https?://", endpoint or ""):
            raise CommonsError(f"API_ENDPOINT: not an http(s) address: {endpoint!r}.")
        self.endpoint, self.cancelled, self.backoff, self.stats = endpoint, cancelled, backoff, stats
        self.session = need("requests").Session()
        self.session.headers["User-Agent"] = USER_AGENT

    def close(self):
        self.session.close()

    def get(self, params: dict) -> dict:
        requests = need("requests")
        params = dict(params, format="json", formatversion="2", maxlag="5")
        for attempt in range(RETRIES + 1):
            if self.cancelled():
                raise Cancelled(RESUME)
            wait = self.backoff * (2**attempt) * (0.5 + random.random())
            try:
                response = self.session.get(self.endpoint, params=params, timeout=60)
                if response.status_code == 429 or response.status_code >= 500:
                    wait = max(wait, float(response.headers.get("Retry-After") or 0))
                else:
                    answer = response.json()
                    error = answer.get("error") or {}
                    if error.get("code") == "maxlag":
                        wait = max(wait, float(response.headers.get("Retry-After") or 1))
                    elif error.get("code") == "toobig" or "too big" in str(error.get("info", "")).lower():
                        raise TooBig()
                    elif error:
                        raise CommonsError(f"The Commons API refused the request: {error.get('info') or error}")
                    else:
                        return answer
            except (requests.ConnectionError, requests.Timeout, ValueError):
                pass
            if attempt < RETRIES:
                if self.stats is not None:
                    self.stats.retries += 1
                time.sleep(min(wait, 60))
        raise CommonsError("The Commons API did not answer; run again later to resume.")


def tiles(bbox, size: float = TILE_DEGREES) -> List[Tuple[float, float, float, float]]:
    west, south, east, north = bbox
    cols, rows = max(1, math.ceil((east - west) / size)), max(1, math.ceil((north - south) / size))
    dx, dy = (east - west) / cols, (north - south) / rows
    return [
        (west + i * dx, south + j * dy, west + (i + 1) * dx, south + (j + 1) * dy)
        for j in range(rows)
        for i in range(cols)
    ]


def quarters(tile):
    west, south, east, north = tile
    mx, my = (west + east) / 2, (south + north) / 2
    return [(west, south, mx, my), (mx, south, east, my), (west, my, mx, north), (mx, my, east, north)]


class CommonsHarvester:
    def __init__(
        self, params: CommonsParams, folder: str, endpoint: str = API, progress: Progress = SILENT, backoff=1.0
    ):
        west, south, east, north = params.bbox
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise CommonsError("EXTENT: the area is empty or not on the Earth.")
        self.params, self.folder, self.progress = params, folder, progress
        self.stats = CommonsStats()
        self.api = Api(endpoint, progress.cancelled, backoff, self.stats)
        self.images = ImageStore(folder)
        self.fetcher = Fetcher(cancelled=progress.cancelled, backoff=backoff)
        self.fetcher.session.headers["User-Agent"] = USER_AGENT
        self.journal = Journal(
            os.path.join(folder, STATE_DIR),
            params.fingerprint(),
            CommonsError(
                "IMAGE_FOLDER holds a harvest with other parameters; use them again to resume, or an empty folder."
            ),
        )
        self.records: Dict[str, dict] = {}
        self.decided, self.done_tiles = set(), set()
        for entry in self.journal.entries:
            if entry.get("t") == "tile":
                self.done_tiles.add(tuple(entry["tile"]))
            elif entry.get("t") == "file":
                self.decided.add(entry["id"])
                if entry.get("record"):
                    self.records[entry["id"]] = entry["record"]

    def run(self) -> List[dict]:
        try:
            todo = tiles(self.params.bbox)
            total = len(todo)
            while todo:
                tile = todo.pop(0)
                if tuple(tile) in self.done_tiles:
                    continue
                try:
                    self._tile(tile)
                except TooBig:
                    if tile[2] - tile[0] < MIN_TILE:
                        raise CommonsError("The Commons API refuses even the smallest tile as too big.") from None
                    self.stats.splits += 1
                    todo[:0] = quarters(tile)
                    total += 3
                    continue
                self.journal.add(t="tile", tile=list(tile))
                self.stats.tiles += 1
                self.progress.report(
                    self.stats.tiles / max(total, 1), f"tiles {self.stats.tiles}, photos {len(self.records)}"
                )
        finally:
            self.journal.close()
            self.api.close()
            self.fetcher.close()
        return [self.records[k] for k in sorted(self.records, key=int)]

    def _tile(self, tile):
        west, south, east, north = tile
        query = {
            "action": "query",
            "generator": "geosearch",
            "ggsbbox": f"{north}|{west}|{south}|{east}",
            "ggsnamespace": "6",
            "ggslimit": "500",
            "prop": "imageinfo",
            "iiprop": "url|size|user|extmetadata",
            "iiurlwidth": str(self.params.max_edge),
            "iiextmetadatafilter": "DateTimeOriginal|DateTime|Artist|LicenseShortName|GPSLatitude|GPSLongitude",
        }
        more = {}
        while True:
            answer = self.api.get({**query, **more})
            for page in (answer.get("query") or {}).get("pages") or []:
                self._file(page)
            more = answer.get("continue") or {}
            if not more:
                return

    def _file(self, page: dict):
        page_id = str(page.get("pageid", ""))
        if not page_id.isdigit():
            return
        self.stats.files += 1
        if page_id in self.decided:
            self.stats.duplicates += 1
            return
        info = (page.get("imageinfo") or [{}])[0]
        position = camera_position(info)
        taken = _taken(info)
        if position is None:
            self.stats.no_camera_position += 1
            return self._decide(page_id, None)
        if (self.params.start and (taken is None or taken < self.params.start)) or (
            self.params.end and (taken is None or taken > self.params.end)
        ):
            self.stats.out_of_dates += 1
            return self._decide(page_id, None)
        lat, lon, source = position
        path = self.images.path_for(page_id)
        url = info.get("thumburl") or info.get("url") or ""
        if not self.images.complete(path, (lat, lon)):
            body = self.fetcher.get(url)
            if body is None:
                self.stats.dead += 1
                return self._decide(page_id, None)
            taken_time = datetime.datetime(taken.year, taken.month, taken.day) if taken else None
            self.images.store(path, body, (lat, lon), taken_time)
            self.stats.downloads += 1
        title = str(page.get("title", ""))
        record = {
            "photo_id": page_id,
            "owner": str(info.get("user", "")),
            "owner_name": _meta(info, "Artist") or str(info.get("user", "")),
            "title": title[5:] if title.startswith("File:") else title,
            "taken": taken.isoformat() if taken else None,
            "lat": lat,
            "lon": lon,
            "position_source": source,
            "license": _meta(info, "LicenseShortName"),
            "page_url": str(info.get("descriptionurl", "")),
            "image_path": f"{page_id}.jpg",
        }
        self.stats.kept += 1
        self._decide(page_id, record)

    def _decide(self, page_id, record):
        self.journal.add(t="file", id=page_id, record=record)  # after the image is on disk
        self.decided.add(page_id)
        if record:
            self.records[page_id] = record
