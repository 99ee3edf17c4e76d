"""A local fake of Flickr's REST API and static image hosts, for tests and benches.

Modelled on the real JSON answers in ../shared/data/flickr: the same envelope
(`{"photos": {...}, "stat": "ok"}`, `{"stat": "fail", "code": .., "message": ..}`),
getExif's tag list with `raw._content` strings and word hemispheres, numbers
sometimes as strings. It implements bbox and date filtering, paging, the
4,000-result cap (later pages repeat earlier ones), shifting totals, private
EXIF, static image URLs, and injected faults (500, 429, slow answers,
malformed JSON, truncated images). Only 127.0.0.1 with an ephemeral port.
"""

import datetime
import io
import json
import math
import random
import re
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image

CAP = 4000
SIZES = [
    ("sq", 75),
    ("q", 150),
    ("t", 100),
    ("s", 240),
    ("n", 320),
    ("w", 400),
    ("m", 500),
    ("z", 640),
    ("c", 800),
    ("l", 1024),
    ("h", 1600),
    ("k", 2048),
]


@dataclass
class FakePhoto:
    id: str
    owner: str
    ownername: str
    title: str
    dateupload: int
    datetaken: str
    latitude: float  # Flickr geotag
    longitude: float
    accuracy: int
    license: int = 4
    exif: str = "dms"  # dms | rational | private | none | zero | empty | letters
    gps_lat: float = 0.0  # position in EXIF
    gps_lon: float = 0.0
    o_width: int = 1600
    o_height: int = 1200


def _dms_text(value):
    value = abs(value)
    d = int(value)
    m = int((value - d) * 60)
    s = (value - d - m / 60) * 3600
    return f"{d} deg {m}' {s:.4f}\""


def _rational_text(value):
    value = abs(value)
    d = int(value)
    m = int((value - d) * 60)
    s = round((value - d - m / 60) * 3600 * 10000)
    return f"{d}/1, {m}/1, {s}/10000"


def make_photos(n, bbox, start, end, seed=1, gnss_share=0.6, private_share=0.1, owners=20, first_id=30000000000):
    """n photos with uploads spread over [start, end] (dates) inside bbox."""
    rng = random.Random(seed)
    west, south, east, north = bbox
    t0 = int(datetime.datetime(start.year, start.month, start.day, tzinfo=datetime.timezone.utc).timestamp())
    t1 = int(datetime.datetime(end.year, end.month, end.day, tzinfo=datetime.timezone.utc).timestamp()) + 86399
    photos = []
    for i in range(n):
        lat, lon = rng.uniform(south, north), rng.uniform(west, east)
        upload = rng.randint(t0, t1)
        taken = datetime.datetime.fromtimestamp(upload - rng.randint(0, 86400 * 3), datetime.timezone.utc)
        roll = rng.random()
        if roll < private_share:
            exif = "private"
        elif roll < private_share + gnss_share:
            exif = rng.choice(["dms", "dms", "rational", "letters"])
        else:
            exif = rng.choice(["none", "none", "zero", "empty"])
        big = rng.random() < 0.8
        photos.append(
            FakePhoto(
                id=str(first_id + i * 7),
                owner=f"{10000 + i % owners}@N0{i % 9}",
                ownername=f"user {i % owners}",
                title=f'photo <{i}> & "view"',
                dateupload=upload,
                datetaken=taken.strftime("%Y-%m-%d %H:%M:%S"),
                latitude=round(lat + rng.uniform(-0.001, 0.001), 6),
                longitude=round(lon + rng.uniform(-0.001, 0.001), 6),
                accuracy=rng.choice([16, 16, 15, 11, 6]),
                license=rng.choice([0, 1, 2, 4, 9]),
                exif=exif,
                gps_lat=lat,
                gps_lon=lon,
                o_width=4000 if big else 900,
                o_height=3000 if big else 600,
            )
        )
    return photos


@dataclass
class Faults:
    error500: float = 0.0
    error429: float = 0.0
    slow: float = 0.0
    slow_seconds: float = 0.0
    malformed: float = 0.0
    truncated: float = 0.0
    image_error500: float = 0.0  # static images only


@dataclass
class FakeFlickr:
    photos: list
    api_key: str = "test-key"
    key_answer: str = "Invalid API Key (Key not found)"  # or "... (Key has expired)"
    faults: Faults = field(default_factory=Faults)
    latency: float = 0.0
    shifting_totals: bool = True
    image_scale: float = 1.0  # < 1 serves smaller real images than declared, for speed
    seed: int = 0

    def __post_init__(self):
        self.by_id = {p.id: p for p in self.photos}
        self.calls = Counter()  # method -> count
        self.searches = []  # (query, page) in order
        self.image_gets = Counter()  # photo id -> GETs answered in full
        self.total_requests = 0
        self._lock = threading.Lock()
        self._rng = random.Random(self.seed)
        self._images = {}
        self.server = None

    # -- server life ----------------------------------------------------------
    def start(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                fake._api(self, form)

            def do_GET(self):
                parsed = urllib.parse.urlparse(self.path)
                if parsed.path.startswith("/services/rest"):
                    fake._api(self, dict(urllib.parse.parse_qsl(parsed.query)))
                else:
                    fake._image(self, parsed.path)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def rest_url(self):
        return f"{self.base_url}/services/rest/"

    # -- helpers ----------------------------------------------------------------
    def _roll(self, share):
        with self._lock:
            return share > 0 and self._rng.random() < share

    @staticmethod
    def _send(handler, status, body: bytes, content_type="application/json", length=None):
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body) if length is None else length))
        handler.end_headers()
        handler.wfile.write(body)

    def _json(self, handler, payload, status=200):
        self._send(handler, status, json.dumps(payload).encode())

    def _fail(self, handler, code, message):
        self._json(handler, {"stat": "fail", "code": code, "message": message})

    def _injected_fault(self, handler):
        if self._roll(self.faults.slow):
            time.sleep(self.faults.slow_seconds)
        if self._roll(self.faults.error500):
            self._send(handler, 500, b"Internal Server Error", "text/plain")
            return True
        if self._roll(self.faults.error429):
            self._send(handler, 429, b"Too Many Requests", "text/plain")
            return True
        return False

    # -- REST -------------------------------------------------------------------
    def _api(self, handler, form):
        with self._lock:
            self.total_requests += 1
        if self.latency:
            time.sleep(self.latency)
        if self._injected_fault(handler):
            return
        auth = handler.headers.get("Authorization", "")
        key = re.search(r'oauth_consumer_key="([^"]*)"', auth)
        key = urllib.parse.unquote(key.group(1)) if key else form.get("api_key", "")
        method = form.get("method", "")
        with self._lock:
            self.calls[method] += 1
        if key != self.api_key:
            return self._fail(handler, 100, self.key_answer)
        if self._roll(self.faults.malformed):
            return self._send(handler, 200, b'{"photos": {"page": 1, "photo": [')
        if method == "flickr.photos.search":
            return self._search(handler, form)
        if method == "flickr.photos.getExif":
            return self._exif(handler, form)
        if method == "flickr.test.echo":
            return self._json(handler, {"method": {"_content": method}, "stat": "ok"})
        return self._fail(handler, 112, f'Method "{method}" not found')

    def _search(self, handler, form):
        try:
            west, south, east, north = (float(v) for v in form.get("bbox", "-180,-90,180,90").split(","))
        except ValueError:
            return self._fail(handler, 4, "Not a valid bbox")
        if not (west < east and south < north):
            return self._fail(handler, 4, "Not a valid bbox")

        def taken_ts(text):
            return (
                datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=datetime.timezone.utc).timestamp()
            )

        matches = [p for p in self.photos if south <= p.latitude <= north and west <= p.longitude <= east]
        if "min_upload_date" in form:
            matches = [p for p in matches if p.dateupload >= int(form["min_upload_date"])]
        if "max_upload_date" in form:
            matches = [p for p in matches if p.dateupload <= int(form["max_upload_date"])]
        if "min_taken_date" in form:
            matches = [p for p in matches if taken_ts(p.datetaken) >= taken_ts(form["min_taken_date"])]
        if "max_taken_date" in form:
            matches = [p for p in matches if taken_ts(p.datetaken) <= taken_ts(form["max_taken_date"])]
        if form.get("license"):
            allowed = {int(v) for v in form["license"].split(",")}
            matches = [p for p in matches if p.license in allowed]
        matches.sort(key=lambda p: (p.dateupload, p.id))
        per_page = min(int(form.get("per_page") or 100), 250)  # a typo ("perpage") gives 100
        page = max(int(form.get("page") or 1), 1)  # Flickr treats page 0 as page 1
        with self._lock:
            self.searches.append((tuple(sorted((k, v) for k, v in form.items() if k != "page")), page))
        total = len(matches)
        if self.shifting_totals and total:
            total += self._rng.randint(0, 2)  # uploads arriving while we page
        pages = max(1, math.ceil(total / per_page))
        reachable = max(1, CAP // per_page)
        served_page = page if page <= reachable else (page - 1) % reachable + 1  # past the cap: repeats
        chunk = matches[(served_page - 1) * per_page : served_page * per_page]
        extras = set((form.get("extras") or "").split(","))
        photo_list = [self._search_item(p, extras) for p in chunk]
        self._json(
            handler,
            {
                "photos": {"page": page, "pages": pages, "perpage": per_page, "total": str(total), "photo": photo_list},
                "stat": "ok",
            },
        )

    def _sizes(self, photo):
        long_edge = max(photo.o_width, photo.o_height)
        out = []
        for suffix, edge in SIZES:
            if edge > long_edge and suffix not in ("sq", "q"):
                continue
            if suffix in ("sq", "q"):
                w = h = edge
            else:
                scale = edge / long_edge
                w, h = round(photo.o_width * scale), round(photo.o_height * scale)
            out.append((suffix, w, h))
        out.append(("o", photo.o_width, photo.o_height))
        return out

    def _search_item(self, p, extras):
        item = {
            "id": p.id,
            "owner": p.owner,
            "secret": "abc123",
            "server": "65535",
            "farm": 66,
            "title": p.title,
            "ispublic": 1,
            "isfriend": 0,
            "isfamily": 0,
        }
        if "date_upload" in extras:
            item["dateupload"] = str(p.dateupload)
        if "date_taken" in extras:
            item.update(datetaken=p.datetaken, datetakengranularity=0, datetakenunknown="0")
        if "owner_name" in extras:
            item["ownername"] = p.ownername
        if "geo" in extras:
            item.update(
                latitude=p.latitude,
                longitude=p.longitude,
                accuracy=str(p.accuracy),
                context=0,
                place_id="x",
                woeid="1",
                geo_is_public=1,
                geo_is_contact=0,
                geo_is_friend=0,
                geo_is_family=0,
            )
        if "license" in extras:
            item["license"] = str(p.license)
        if "o_dims" in extras:
            item.update(o_width=str(p.o_width), o_height=str(p.o_height))
        for suffix, w, h in self._sizes(p):
            if f"url_{suffix}" in extras:
                item[f"url_{suffix}"] = f"{self.base_url}/img/{p.id}_{suffix}.jpg"
                item[f"width_{suffix}"] = w  # numbers, like Flickr's newer answers
                item[f"height_{suffix}"] = str(h)  # and strings, like its older ones
        return item

    def _exif(self, handler, form):
        photo = self.by_id.get(form.get("photo_id", ""))
        if photo is None:
            return self._fail(handler, 1, "Photo not found")
        if photo.exif == "private":
            return self._fail(handler, 2, "Permission denied")

        def tag(space, name, label, raw, clean=None):
            entry = {"tagspace": space, "tagspaceid": 0, "tag": name, "label": label, "raw": {"_content": raw}}
            if clean is not None:
                entry["clean"] = {"_content": clean}
            return entry

        tags = [
            tag("IFD0", "Make", "Make", "NIKON CORPORATION"),
            tag("IFD0", "Model", "Model", "NIKON D700"),
            tag("ExifIFD", "DateTimeOriginal", "Date and Time (Original)", photo.datetaken.replace("-", ":")),
        ]
        north, east = photo.gps_lat >= 0, photo.gps_lon >= 0
        if photo.exif in ("dms", "rational", "letters"):
            text = _dms_text if photo.exif != "rational" else _rational_text
            lat_ref = ("N" if north else "S") if photo.exif == "letters" else ("North" if north else "South")
            lon_ref = ("E" if east else "W") if photo.exif == "letters" else ("East" if east else "West")
            tags += [
                tag("GPS", "GPSVersionID", "GPS Version ID", "2.2.0.0"),
                tag("GPS", "GPSLatitudeRef", "GPS Latitude Ref", lat_ref),
                tag("GPS", "GPSLatitude", "GPS Latitude", text(photo.gps_lat)),
                tag("GPS", "GPSLongitudeRef", "GPS Longitude Ref", lon_ref),
                tag("GPS", "GPSLongitude", "GPS Longitude", text(photo.gps_lon)),
            ]
        elif photo.exif == "zero":
            tags += [
                tag("GPS", "GPSLatitude", "GPS Latitude", "0/0, 0/0, 0/0"),
                tag("GPS", "GPSLongitude", "GPS Longitude", "0/0, 0/0, 0/0"),
            ]
        elif photo.exif == "empty":
            tags += [tag("GPS", "GPSLatitude", "GPS Latitude", ""), tag("GPS", "GPSLongitude", "GPS Longitude", "")]
        self._json(
            handler,
            {
                "photo": {
                    "id": photo.id,
                    "secret": "abc123",
                    "server": "65535",
                    "farm": 66,
                    "camera": "Nikon D700",
                    "exif": tags,
                },
                "stat": "ok",
            },
        )

    # -- static images ------------------------------------------------------------
    def _image_bytes(self, photo, suffix):
        key = (photo.id, suffix)
        if key not in self._images:
            dims = {s: (w, h) for s, w, h in self._sizes(photo)}
            w, h = dims[suffix]
            w, h = max(8, int(w * self.image_scale)), max(8, int(h * self.image_scale))
            seed = int(photo.id) % 255
            image = Image.new("RGB", (w, h), (seed, 255 - seed, (seed * 7) % 255))
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=70)
            self._images[key] = buffer.getvalue()
        return self._images[key]

    def _image(self, handler, path):
        match = re.match(r"^/img/(\d+)_(\w+)\.jpg$", path)
        photo = self.by_id.get(match.group(1)) if match else None
        if photo is None or match.group(2) not in {s for s, _, _ in self._sizes(photo)}:
            return self._send(handler, 404, b"not found", "text/plain")
        if self._injected_fault(handler):
            return
        if self._roll(self.faults.image_error500):
            return self._send(handler, 500, b"Internal Server Error", "text/plain")
        body = self._image_bytes(photo, match.group(2))
        if self._roll(self.faults.truncated):
            # promise the whole body, send half, hang up
            handler.send_response(200)
            handler.send_header("Content-Type", "image/jpeg")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body[: len(body) // 2])
            handler.close_connection = True
            return
        with self._lock:
            self.image_gets[photo.id] += 1
        self._send(handler, 200, body, "image/jpeg")
