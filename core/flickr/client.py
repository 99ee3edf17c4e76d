"""Flickr REST client on flickrapi: retries, a shared hourly call limit, safe downloads.

QGIS-free. flickrapi signs every call with OAuth (POST) but neither retries
nor limits its rate; this module adds both. The key and secret live only in
the flickrapi object: they never reach a message, log or file from here.
"""

import logging
import random
import re
import threading
import time
from collections import deque
from typing import Callable, Iterable, Optional

from ..errors import Cancelled, UserError
from ..packages import need
from ..photos.downloads import RESUME, read_jpeg

REST_URL = "https://api.flickr.com/services/rest/"  # flickrapi.FlickrAPI.REST_URL

# OAuth libraries log signature base strings (with the key) at DEBUG.
for _name in ("flickrapi", "requests_oauthlib", "oauthlib", "urllib3"):
    logging.getLogger(_name).setLevel(logging.WARNING)

# Flickr error codes worth another try: search unavailable, service unavailable.
TRANSIENT_CODES = {0, 10, 105, 201}
PERMISSION_DENIED = 2  # getExif: the owner hides EXIF
INVALID_KEY = 100  # "Invalid API Key (Key not found)", "Invalid API Key (Key has expired)"
KEY_MESSAGE = (
    "Flickr refused the API key ({answer}). Since 2025 Flickr issues new API keys only to Flickr Pro (paid) "
    "accounts, and a free key that expired is not renewed. Without a key, Import YFCC100M photos reads the "
    "Creative Commons dump of 100 million Flickr photos offline, and Harvest Wikimedia Commons photos needs no key."
)
_STATUS = re.compile(r"Status code (\d{3})")


class HarvestCancelled(Cancelled):
    def __init__(self):
        super().__init__(RESUME)


class FlickrPermanentError(UserError):
    """Bad key, invalid bbox and the like: retrying cannot help."""


class TransientError(Exception):
    """A fault worth retrying (connection, timeout, 5xx/429, bad JSON, truncated image)."""


class ExifPrivate(Exception):  # noqa: N818 - an answer, not a failure
    """The photo's owner does not share its EXIF."""


class RateLimiter:
    """At most `max_calls` per sliding hour, across all threads.

    `history` restores the timestamps of calls made before a restart."""

    def __init__(
        self,
        max_calls: int,
        history: Iterable[float] = (),
        clock=time.time,
        sleep=time.sleep,
        on_wait: Callable[[float], None] = lambda seconds: None,
    ):
        if max_calls < 1:
            raise ValueError("The call limit must be at least 1 per hour.")
        self.max_calls = max_calls
        self._clock = clock
        self._sleep = sleep
        self.on_wait = on_wait
        self._waiting = False
        self._lock = threading.Lock()
        now = clock()
        self._calls = deque(sorted(t for t in history if now - t < 3600))

    def acquire(self, cancelled: Callable[[], bool] = lambda: False) -> float:
        """Waits for a free slot, records the call and returns its time."""
        while True:
            with self._lock:
                now = self._clock()
                while self._calls and now - self._calls[0] >= 3600:
                    self._calls.popleft()
                if len(self._calls) < self.max_calls:
                    self._calls.append(now)
                    self._waiting = False
                    return now
                wait = 3600 - (now - self._calls[0])
                announce = not self._waiting
                self._waiting = True
            if announce:
                self.on_wait(wait)
            if cancelled():
                raise HarvestCancelled()
            self._sleep(min(wait, 1.0))

    def release(self, at: float):
        """Gives back the slot of a call that never reached the server (refused, unreachable)."""
        with self._lock:
            try:
                self._calls.remove(at)
            except ValueError:
                pass

    def calls_in_last_hour(self) -> int:
        with self._lock:
            now = self._clock()
            return sum(1 for t in self._calls if now - t < 3600)


def _never_reached(exc: Exception) -> bool:
    """A refused or unreachable connection: the request never got to the server (a read timeout did)."""
    requests = need("requests")
    return isinstance(exc, requests.ConnectionError) and not isinstance(exc, requests.exceptions.ReadTimeout)


def _classify(exc: Exception) -> Exception:
    """A TransientError, FlickrPermanentError or ExifPrivate for a failed call."""
    requests = need("requests")
    if isinstance(exc, need("flickrapi.exceptions").FlickrError):
        status = _STATUS.search(str(exc))
        if status:
            code = int(status.group(1))
            if code == 429 or code >= 500:
                return TransientError(f"HTTP {code}")
            return FlickrPermanentError(f"Flickr answered HTTP {code}.")
        if exc.code in TRANSIENT_CODES:
            return TransientError(f"Flickr error {exc.code}")
        if exc.code == INVALID_KEY:
            return FlickrPermanentError(KEY_MESSAGE.format(answer=str(exc).split(": ", 1)[-1]))
        if exc.code == PERMISSION_DENIED:
            return ExifPrivate()
        return FlickrPermanentError(f"Flickr refused the request: {exc}")
    if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
        return TransientError(type(exc).__name__)
    if isinstance(exc, (ValueError, requests.exceptions.ChunkedEncodingError)):
        return TransientError(f"malformed answer ({type(exc).__name__})")
    return exc


class FlickrClient:
    """The calls the harvest needs, each retried with exponential backoff and jitter."""

    def __init__(
        self,
        api_key: str,
        api_secret: str,
        endpoint: str = REST_URL,
        limiter: Optional[RateLimiter] = None,
        retries: int = 6,
        backoff: float = 1.0,
        timeout: float = 30.0,
        on_call: Optional[Callable[[float], None]] = None,
        cancelled: Callable[[], bool] = lambda: False,
    ):
        if not api_key or not api_secret:
            raise FlickrPermanentError("A Flickr API key and secret are needed.")
        self._api = need("flickrapi").FlickrAPI(
            api_key, api_secret, format="parsed-json", store_token=False, cache=False
        )
        self._api.REST_URL = endpoint  # instance attribute: other clients keep Flickr's URL
        self._api.flickr_oauth.default_timeout = timeout
        self.limiter = limiter or RateLimiter(3600)
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.on_call = on_call
        self.cancelled = cancelled
        self._session = need("requests").Session()

    def close(self):
        self._session.close()
        self._api.flickr_oauth.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _retry(self, attempt_call, counts_as_call: bool):
        for attempt in range(self.retries + 1):
            if self.cancelled():
                raise HarvestCancelled()
            at = self.limiter.acquire(self.cancelled) if counts_as_call else None
            try:
                answer = attempt_call()
            except Exception as exc:  # classified below; unknown errors propagate
                if at is not None:  # only calls that reached the server count against the hourly limit
                    if _never_reached(exc):
                        self.limiter.release(at)
                    elif self.on_call:
                        self.on_call(at)
                error = _classify(exc)
                if not isinstance(error, TransientError) or attempt == self.retries:
                    if isinstance(error, TransientError):
                        raise TransientError(f"gave up after {self.retries + 1} tries: {error}") from None
                    raise error from None
            else:
                if at is not None and self.on_call:
                    self.on_call(at)
                return answer
            delay = self.backoff * (2**attempt) * (0.5 + random.random())
            end = time.monotonic() + delay
            while time.monotonic() < end:
                if self.cancelled():
                    raise HarvestCancelled()
                time.sleep(min(0.2, max(0.0, end - time.monotonic())))
        raise AssertionError("unreachable")

    def call(self, method: str, **params) -> dict:
        def attempt():
            answer = self._api.do_flickr_call(method, timeout=self.timeout, **params)
            if not isinstance(answer, dict):
                raise ValueError("answer is not a JSON object")
            return answer

        return self._retry(attempt, counts_as_call=True)

    def check_key(self):
        """One cheap call (flickr.test.echo) that fails at once on a refused key, before anything is written."""
        self.call("flickr.test.echo")

    def search(self, **params) -> dict:
        answer = self.call("flickr.photos.search", **params)
        photos = answer.get("photos")
        if not isinstance(photos, dict) or not isinstance(photos.get("photo", []), list):
            raise FlickrPermanentError("flickr.photos.search gave an answer without photos.")
        return photos

    def get_exif(self, photo_id: str) -> dict:
        return self.call("flickr.photos.getExif", photo_id=photo_id)

    def download(self, url: str, max_bytes: int = 50_000_000) -> bytes:
        """A whole JPEG body (static image hosts are no API calls)."""
        if not re.match(r"^https?://", url or ""):
            raise FlickrPermanentError("The server offered an image URL that is not http(s).")

        def attempt():
            with self._session.get(url, timeout=self.timeout, stream=True) as response:
                if response.status_code == 429 or response.status_code >= 500:
                    raise need("flickrapi.exceptions").FlickrError(f"Status code {response.status_code} received")
                if response.status_code != 200:
                    raise FlickrPermanentError(f"The image server answered HTTP {response.status_code}.")
                try:
                    return read_jpeg(response, max_bytes)
                except UserError as exc:
                    raise FlickrPermanentError(str(exc)) from None

        return self._retry(attempt, counts_as_call=False)
