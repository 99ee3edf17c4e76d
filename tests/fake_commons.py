"""A local fake of the MediaWiki Action API (Wikimedia Commons) for the Commons harvest tests, modelled
on the documented answers: generator=geosearch over files with imageinfo and extmetadata
(formatversion 2: query.pages a list), `continue` paging, GeoData's "toobig" for large boxes, 503 with
Retry-After and maxlag errors on demand, and the images themselves. Loopback only."""

import http.server
import io
import json
import threading
import urllib.parse
from collections import Counter


def jpeg_bytes(shade=120):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), (shade, 150, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


class FakeCommons:
    def __init__(self, files, max_box=0.05, page_size=3, fail_first=()):
        """files: dicts with pageid, title, lat, lon, gps (camera position in extmetadata), taken, user.
        fail_first: answers for the first API requests, in order: "503" or "maxlag"."""
        self.files = files
        self.max_box, self.page_size = max_box, page_size
        self.fail_first = list(fail_first)
        self.api_requests, self.image_gets, self.user_agents = 0, Counter(), set()
        self._lock = threading.Lock()
        self._jpeg = jpeg_bytes()
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802 - the standard library's name
                fake.user_agents.add(self.headers.get("User-Agent", ""))
                url = urllib.parse.urlparse(self.path)
                if url.path.startswith("/img/"):
                    return fake._image(self, url.path)
                return fake._api(self, dict(urllib.parse.parse_qsl(url.query)))

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def endpoint(self):
        return f"{self.base}/w/api.php"

    def stop(self):
        self.server.shutdown()

    @staticmethod
    def _send(handler, status, body: bytes, headers=()):
        handler.send_response(status)
        for key, value in headers:
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _image(self, handler, path):
        with self._lock:
            self.image_gets[path] += 1
        if path.endswith("/gone.jpg"):
            return self._send(handler, 404, b"")
        return self._send(handler, 200, self._jpeg, [("Content-Type", "image/jpeg")])

    def _api(self, handler, params):
        with self._lock:
            self.api_requests += 1
            fault = self.fail_first.pop(0) if self.fail_first else None
        if fault == "503":
            return self._send(handler, 503, b"busy", [("Retry-After", "0")])
        if fault == "maxlag":
            body = {"error": {"code": "maxlag", "info": "Waiting for a database server: 6 seconds lagged."}}
            return self._send(handler, 200, json.dumps(body).encode(), [("Retry-After", "0")])
        north, west, south, east = (float(v) for v in params["ggsbbox"].split("|"))
        if (north - south) > self.max_box or (east - west) > self.max_box:
            body = {"error": {"code": "toobig", "info": "Bounding box is too big"}}
            return self._send(handler, 200, json.dumps(body).encode())
        inside = sorted(
            (f for f in self.files if south <= f["lat"] < north and west <= f["lon"] < east), key=lambda f: f["pageid"]
        )
        offset = int(params.get("ggsoffset", 0))
        chunk = inside[offset : offset + self.page_size]
        answer = {"batchcomplete": True, "query": {"pages": [self._page(f) for f in chunk]}}
        if offset + self.page_size < len(inside):
            answer["continue"] = {"ggsoffset": str(offset + self.page_size), "continue": "ggsoffset||"}
        return self._send(handler, 200, json.dumps(answer).encode(), [("Content-Type", "application/json")])

    def _page(self, f):
        meta = {
            "DateTimeOriginal": {"value": f"{f['taken']} 10:00:00"},
            "Artist": {"value": f"<a href='/wiki/User:{f['user']}'>{f['user']}</a>"},
            "LicenseShortName": {"value": "CC BY-SA 4.0"},
        }
        if f.get("gps", True):
            meta["GPSLatitude"] = {"value": str(f["lat"])}
            meta["GPSLongitude"] = {"value": str(f["lon"])}
        image = f.get("image", f"/img/{f['pageid']}.jpg")
        return {
            "pageid": f["pageid"],
            "ns": 6,
            "title": f["title"],
            "imageinfo": [
                {
                    "url": f"{self.base}{image}",
                    "thumburl": f"{self.base}{image}",
                    "descriptionurl": f"https://commons.wikimedia.org/wiki/{urllib.parse.quote(f['title'])}",
                    "user": f["user"],
                    "extmetadata": meta,
                }
            ],
        }
