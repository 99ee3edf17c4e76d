"""Harvest public Flickr photos with GNSS positions: blocks, paging, resume. QGIS-free.

The run is driven by a journal (JSON lines) in the image folder, so a killed or
cancelled run started again with the same parameters carries on: finished
blocks and pages are skipped, photos already decided are not asked for again,
images on disk are not downloaded again, and the hourly call count survives.

Costs: one flickr.photos.search call per 250 candidates (the extras make
getInfo/getSizes unnecessary) plus one flickr.photos.getExif per candidate.
"""

import datetime
import hashlib
import json
import os
import re
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from typing import Callable, List, Optional, Tuple

from ..errors import UserError
from ..packages import need
from ..photos.downloads import ImageStore
from ..photos.journal import Journal
from ..stats.geo import haversine_m
from .client import ExifPrivate, FlickrClient, FlickrPermanentError, HarvestCancelled, RateLimiter, TransientError
from .gnss import gnss_from_exif
from .vocabulary import DATE_FIELDS

PER_PAGE = 250  # Flickr's maximum for geo queries
RESULT_CAP = 4000  # flickr.photos.search never returns more per query
MAX_PAGES = RESULT_CAP // PER_PAGE
SIZE_SUFFIXES = ("sq", "q", "t", "s", "n", "w", "m", "z", "c", "l", "h", "k", "3k", "4k", "5k", "6k", "o")
EXTRAS = ",".join(
    ["date_taken", "date_upload", "owner_name", "geo", "license", "o_dims"] + [f"url_{s}" for s in SIZE_SUFFIXES]
)
STATE_DIR = ".scenic_harvest"
_PHOTO_ID = re.compile(r"^\d{1,20}$")


@dataclass
class HarvestParams:
    bbox: Tuple[float, float, float, float]  # min lon, min lat, max lon, max lat (WGS 84)
    start: datetime.date = datetime.date(2016, 6, 30)
    end: datetime.date = datetime.date(2017, 6, 30)  # inclusive
    date_field: str = "upload"  # or "taken"
    block_days: float = 7
    gnss_only: bool = True
    min_accuracy: int = 16
    licenses: Optional[List[int]] = None
    max_edge: int = 1024
    allow_original: bool = False

    def check(self):
        west, south, east, north = self.bbox
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise FlickrPermanentError(f"The extent {self.bbox} is not a valid WGS 84 bounding box.")
        if self.end < self.start:
            raise FlickrPermanentError("The end date is before the start date.")
        if self.date_field not in DATE_FIELDS:
            raise FlickrPermanentError("The date field must be 'upload' or 'taken'.")
        if self.block_days <= 0:
            raise FlickrPermanentError("Blocks must be longer than 0 days.")
        if self.max_edge < 75:
            raise FlickrPermanentError("MAX_EDGE must be at least 75 pixels (Flickr's smallest size).")

    def fingerprint(self) -> str:
        data = asdict(self)
        data["start"], data["end"] = self.start.isoformat(), self.end.isoformat()
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class HarvestStats:
    blocks_total: int = 0
    blocks_done: int = 0
    api_calls: int = 0
    candidates: int = 0
    kept: int = 0
    no_gnss: int = 0
    exif_private: int = 0
    gone: int = 0
    no_size: int = 0
    failed: int = 0
    downloads: int = 0
    splits: int = 0
    duplicates: int = 0


def time_blocks(start: datetime.date, end: datetime.date, block_days: float) -> List[Tuple[int, int]]:
    """[start, end + 1 day) in UTC seconds, cut into blocks; the last may be shorter.

    (The study's script dropped the last block with range(len(steps) - 2).)"""
    t0 = int(datetime.datetime(start.year, start.month, start.day, tzinfo=datetime.timezone.utc).timestamp())
    t1 = int(datetime.datetime(end.year, end.month, end.day, tzinfo=datetime.timezone.utc).timestamp()) + 86400
    step = max(1, int(round(block_days * 86400)))
    return [(t, min(t + step, t1)) for t in range(t0, t1, step)]


def _mysql_time(ts: int) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def choose_size(photo: dict, max_edge: int, allow_original: bool):
    """(url, width, height) of the largest offered size with longer edge <= max_edge."""
    best = None
    for suffix in SIZE_SUFFIXES:
        if suffix == "o" and not allow_original:
            continue
        url = photo.get(f"url_{suffix}")
        try:
            width, height = int(photo.get(f"width_{suffix}")), int(photo.get(f"height_{suffix}"))
        except (TypeError, ValueError):
            continue
        if url and max(width, height) <= max_edge and (best is None or max(width, height) > max(best[1], best[2])):
            best = (url, width, height)
    return best


def _float(value) -> Optional[float]:
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result


def _taken(photo: dict) -> Optional[datetime.datetime]:
    try:
        return datetime.datetime.strptime(str(photo.get("datetaken", ""))[:19], "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None


class Harvester:
    def __init__(
        self,
        params: HarvestParams,
        folder: str,
        client_factory: Callable[..., FlickrClient],
        max_calls_per_hour: int = 3600,
        parallel: int = 3,
        progress: Callable[[HarvestStats], None] = lambda stats: None,
        cancelled: Callable[[], bool] = lambda: False,
        log: Callable[[str], None] = lambda message: None,
    ):
        params.check()
        if parallel < 1:
            raise FlickrPermanentError("PARALLEL must be at least 1.")
        self.params = params
        self.folder = folder
        self.images = ImageStore(folder)
        self.parallel = parallel
        self.progress = progress
        self.cancelled = cancelled
        self.log = log
        self.stats = HarvestStats()
        os.makedirs(folder, exist_ok=True)
        self.journal = Journal(
            os.path.join(folder, STATE_DIR),
            params.fingerprint(),
            FlickrPermanentError(
                "The image folder holds a harvest with other parameters. Use the same parameters "
                "to resume it, or choose an empty folder."
            ),
        )
        self.images.remove_partial(_PHOTO_ID)
        self._replay()
        limiter = RateLimiter(
            max_calls_per_hour,
            history=self._call_times,
            on_wait=lambda s: log(
                f"The hourly limit of {max_calls_per_hour} API calls is reached; waiting "
                f"{s / 60:.0f} min, until {time.strftime('%H:%M', time.localtime(time.time() + s))} "
                "(cancel to stop now; run again later to resume)."
            ),
        )
        self.client = client_factory(limiter=limiter, on_call=self._on_call, cancelled=cancelled)

    def _replay(self):
        self._decide_lock = threading.Lock()
        self.records = {}
        self.decided = set()
        self.pages_done = {}
        self.blocks_done = set()
        self.splits = set()
        self._call_times = []
        for entry in self.journal.entries:
            kind = entry.get("t")
            if kind == "call":
                self._call_times.append(entry["at"])
            elif kind == "photo":
                self.decided.add(entry["id"])
                if entry.get("record"):
                    self.records[entry["id"]] = entry["record"]
            elif kind == "page":
                self.pages_done[(entry["block"], entry["page"])] = entry["pages"]
            elif kind == "block":
                self.blocks_done.add(entry["block"])
            elif kind == "split":
                self.splits.add(entry["block"])

    def _on_call(self, at: float):
        self.stats.api_calls += 1
        self.journal.add(t="call", at=at)

    # -- searching ---------------------------------------------------------
    def _search(self, block, page):
        t0, t1 = block
        query = dict(
            bbox=",".join(f"{v:.6f}" for v in self.params.bbox),
            has_geo=1,
            media="photos",
            privacy_filter=1,
            content_type=1,
            extras=EXTRAS,
            per_page=PER_PAGE,
            page=page,
            sort="date-posted-asc",
        )
        if self.params.date_field == "upload":
            query.update(min_upload_date=t0, max_upload_date=t1 - 1)
        else:
            query.update(min_taken_date=_mysql_time(t0), max_taken_date=_mysql_time(t1 - 1))
        if self.params.licenses:
            query["license"] = ",".join(str(v) for v in self.params.licenses)
        photos = self.client.search(**query)
        try:
            total = int(photos.get("total") or 0)
            pages = int(photos.get("pages") or 0)
        except (TypeError, ValueError):
            raise TransientError("search answer with unreadable totals") from None
        return photos.get("photo") or [], total, pages

    def _harvest_block(self, block, pool) -> bool:
        """True when every photo of the block is decided; only then is it journaled as done,
        so photos that failed (after their retries) are tried again by the next run."""
        key = f"{block[0]}-{block[1]}"
        if key in self.blocks_done:
            return True
        complete = True
        if key in self.splits:
            complete = self._split(block, pool)
        else:
            done_pages = {p: n for (b, p), n in self.pages_done.items() if b == key}
            page, pages = 1, max(done_pages.values(), default=1)
            while True:
                if page not in done_pages:  # pages of an earlier run are not asked for again
                    photos, total, reported = self._search(block, page)
                    if page == 1 and total > RESULT_CAP and block[1] - block[0] > 1:
                        self.journal.add(t="split", block=key)
                        self.stats.splits += 1
                        complete = self._split(block, pool)
                        break
                    pages = max(pages, min(reported, MAX_PAGES))
                    if self._process_candidates(photos, pool) == 0:
                        self.journal.add(t="page", block=key, page=page, pages=pages)
                    else:
                        complete = False
                    if len(photos) < PER_PAGE:
                        break
                if page >= pages:
                    break
                page += 1
        if complete:
            self.journal.add(t="block", block=key)
            self.blocks_done.add(key)
        return complete

    def _split(self, block, pool) -> bool:
        middle = (block[0] + block[1]) // 2
        results = [self._harvest_block(half, pool) for half in ((block[0], middle), (middle, block[1]))]
        return all(results)

    # -- candidates --------------------------------------------------------
    def _process_candidates(self, photos, pool) -> int:
        """Decides the new photos of one page; returns how many failed (left undecided)."""
        fresh, failed = [], 0
        for photo in photos:
            photo_id = str(photo.get("id", ""))
            if photo_id in self.decided or photo_id in (p["id"] for p in fresh):
                self.stats.duplicates += 1
                continue
            if not _PHOTO_ID.match(photo_id):
                self.log(f"skipped a candidate with an invalid id {photo_id[:30]!r}")
                continue
            fresh.append({**photo, "id": photo_id})
        self.stats.candidates += len(fresh)
        pending = {pool.submit(self._candidate, photo): photo["id"] for photo in fresh}
        try:
            while pending:
                finished, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in finished:
                    photo_id = pending.pop(future)
                    status, record = future.result()
                    if status == "failed":
                        self.stats.failed += 1  # not journaled: a later run tries again
                        failed += 1
                        continue
                    self._decide(photo_id, status, record)  # kept photos are journaled by their worker already
                    setattr(self.stats, status, getattr(self.stats, status) + 1)
                    self.progress(self.stats)
                if self.cancelled():
                    raise HarvestCancelled()
        finally:
            for future in pending:
                future.cancel()
        return failed

    def _candidate(self, photo):
        """('kept', record) or (reason, None); only HarvestCancelled and permanent errors raise."""
        if self.cancelled():
            raise HarvestCancelled()
        photo_id = photo["id"]
        geotag_lat, geotag_lon = _float(photo.get("latitude")), _float(photo.get("longitude"))
        accuracy = int(_float(photo.get("accuracy")) or 0)
        if not accuracy and not geotag_lat and not geotag_lon:
            geotag_lat = geotag_lon = None  # 0, 0, accuracy 0: not geotagged
        try:
            exif = self.client.get_exif(photo_id)
            position = gnss_from_exif(exif)  # a fresh answer per photo, never the last one's
        except ExifPrivate:
            position, exif = None, None
        except FlickrPermanentError as exc:
            if "Error: 1:" in str(exc):
                return "gone", None
            raise
        except TransientError as exc:
            self.log(f"photo {photo_id}: {exc}")
            return "failed", None
        gnss = position is not None
        if not gnss:
            usable_geotag = geotag_lat is not None and accuracy >= self.params.min_accuracy
            if self.params.gnss_only or not usable_geotag:
                return ("exif_private" if exif is None else "no_gnss"), None
            position = (geotag_lat, geotag_lon)
        size = choose_size(photo, self.params.max_edge, self.params.allow_original)
        if size is None:
            return "no_size", None
        url = size[0]
        path = self.images.path_for(photo_id)  # the id alone names the file
        taken = _taken(photo)
        try:
            if not self.images.complete(path, position):
                body = self.client.download(url)
                self.stats.downloads += 1
                self.images.store(path, body, position, taken)
            with need("PIL.Image").open(path) as image:  # the size really served
                width, height = image.size
        except TransientError as exc:
            self.log(f"photo {photo_id}: image download failed ({exc})")
            return "failed", None
        except (ValueError, OSError) as exc:
            self.log(f"photo {photo_id}: could not write the image ({exc})")
            return "failed", None
        owner = str(photo.get("owner", ""))
        uploaded = _float(photo.get("dateupload"))
        record = {
            "photo_id": photo_id,
            "owner": owner,
            "owner_name": str(photo.get("ownername", "")),
            "title": str(photo.get("title", "")),
            "taken": taken.isoformat() if taken else None,
            "uploaded": datetime.datetime.fromtimestamp(uploaded, datetime.timezone.utc)
            .replace(tzinfo=None)
            .isoformat()
            if uploaded is not None
            else None,
            "lat": position[0],
            "lon": position[1],
            "gnss": gnss,
            "geotag_lat": geotag_lat,
            "geotag_lon": geotag_lon,
            "geotag_accuracy": accuracy or None,
            "gnss_geotag_m": haversine_m(position[0], position[1], geotag_lat, geotag_lon)
            if gnss and geotag_lat is not None
            else None,
            "license": str(photo.get("license", "")),
            "page_url": f"https://www.flickr.com/photos/{owner}/{photo_id}/",
            "image_path": f"{photo_id}.jpg",
            "width": width,
            "height": height,
        }
        self._decide(photo_id, "kept", record)  # the image is on disk: record it now, not when the page ends
        return "kept", record

    def _decide(self, photo_id, status, record):
        """Journals a photo's decision once, from whichever thread reaches it first."""
        with self._decide_lock:
            if photo_id in self.decided:
                return False
            self.journal.add(t="photo", id=photo_id, status=status, record=record)
            self.decided.add(photo_id)
            if record:
                self.records[photo_id] = record
            return True

    # -- the run -----------------------------------------------------------
    def run(self) -> List[dict]:
        """Harvests every block; returns the kept records sorted by photo id. A Flickr that stops
        answering or an image folder that cannot be written stops the run with a UserError; what was
        done is kept for the next run."""
        try:
            return self._run()
        except TransientError as exc:
            raise UserError(
                f"Flickr did not answer ({exc}). Run again with the same parameters and image folder to resume."
            ) from None
        except OSError as exc:
            raise UserError(f"Cannot write to the image folder: {exc}") from None

    def _run(self) -> List[dict]:
        blocks = time_blocks(self.params.start, self.params.end, self.params.block_days)
        self.stats.blocks_total = len(blocks)
        try:
            with ThreadPoolExecutor(max_workers=self.parallel) as pool:
                for block in blocks:
                    if self.cancelled():
                        raise HarvestCancelled()
                    self._harvest_block(block, pool)
                    self.stats.blocks_done += 1
                    self.progress(self.stats)
        finally:
            self.journal.close()
            self.client.close()
        return self.results()

    def results(self) -> List[dict]:
        return [self.records[k] for k in sorted(self.records, key=int)]
