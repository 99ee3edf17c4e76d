"""core.flickr_client against the fake Flickr server: retries, limits, errors, downloads."""

import datetime

import pytest
from fake_flickr import Faults, make_photos

from scenic_heatmap.core.flickr.client import (
    ExifPrivate,
    FlickrClient,
    FlickrPermanentError,
    HarvestCancelled,
    RateLimiter,
    TransientError,
)

BBOX = (16.2, 48.1, 16.5, 48.3)


def photos(n=20, **kw):
    return make_photos(n, BBOX, datetime.date(2016, 7, 1), datetime.date(2016, 7, 10), **kw)


def client(fake, key="test-key", **kw):
    kw.setdefault("backoff", 0.001)
    return FlickrClient(key, "secret", endpoint=fake.rest_url, **kw)


class FakeClock:
    def __init__(self):
        self.now = 1_000_000.0

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_rate_limiter_holds_calls_per_sliding_hour():
    clock = FakeClock()
    limiter = RateLimiter(3, clock=clock.time, sleep=clock.sleep)
    starts = [limiter.acquire() for _ in range(7)]
    assert starts[:3] == [1_000_000.0] * 3
    assert starts[3] >= 1_000_000.0 + 3600  # the 4th waits for the first to leave the window
    assert starts[6] >= 1_000_000.0 + 7200


def test_rate_limiter_remembers_calls_before_a_restart():
    clock = FakeClock()
    t0 = clock.now
    limiter = RateLimiter(2, history=[t0 - 10, t0 - 5, t0 - 4000], clock=clock.time, sleep=clock.sleep)
    assert limiter.calls_in_last_hour() == 2
    assert limiter.acquire() >= t0 - 10 + 3600


def test_rate_limiter_wait_can_be_cancelled():
    clock = FakeClock()
    limiter = RateLimiter(1, clock=clock.time, sleep=clock.sleep)
    limiter.acquire()
    with pytest.raises(HarvestCancelled):
        limiter.acquire(cancelled=lambda: True)


def test_search_and_exif(fake_flickr):
    fake = fake_flickr(photos())
    c = client(fake)
    result = c.search(bbox="16.2,48.1,16.5,48.3", per_page=250, page=1, extras="geo")
    assert int(result["total"]) >= 20 and len(result["photo"]) == 20
    private = [p for p in fake.photos if p.exif == "private"]
    public = [p for p in fake.photos if p.exif == "dms"]
    assert "exif" in c.get_exif(public[0].id)["photo"]
    with pytest.raises(ExifPrivate):
        c.get_exif(private[0].id)


def test_bad_key_stops_at_once(fake_flickr):
    fake = fake_flickr(photos())
    with pytest.raises(FlickrPermanentError, match="Invalid API Key"):
        client(fake, key="wrong").search(bbox="16.2,48.1,16.5,48.3")
    assert fake.calls["flickr.photos.search"] == 1  # no retries for permanent errors


def test_invalid_bbox_is_permanent(fake_flickr):
    fake = fake_flickr(photos())
    with pytest.raises(FlickrPermanentError, match="bbox"):
        client(fake).search(bbox="16.5,48.1,16.2,48.3")


@pytest.mark.parametrize("fault", ["error500", "error429", "malformed"])
def test_transient_faults_are_retried(fake_flickr, fault):
    fake = fake_flickr(photos(), faults=Faults(**{fault: 0.5}), seed=3)
    c = client(fake, retries=12)
    for _ in range(10):
        assert c.search(bbox="16.2,48.1,16.5,48.3")["photo"]
    assert fake.total_requests > 10  # some answers were faults, and were retried


def test_retries_give_up_with_a_transient_error(fake_flickr):
    fake = fake_flickr(photos(), faults=Faults(error500=1.0))
    with pytest.raises(TransientError, match="gave up after 3 tries"):
        client(fake, retries=2).search(bbox="16.2,48.1,16.5,48.3")
    assert fake.total_requests == 3


def test_timeouts_are_retried(fake_flickr):
    fake = fake_flickr(photos(), faults=Faults(slow=0.5, slow_seconds=1.5), seed=5)
    c = client(fake, retries=10, timeout=0.5)
    assert c.search(bbox="16.2,48.1,16.5,48.3")["photo"]


def test_truncated_images_are_retried(fake_flickr):
    fake = fake_flickr(photos(), faults=Faults(truncated=0.5), seed=1, image_scale=0.2)
    c = client(fake, retries=12)
    url = f"{fake.base_url}/img/{fake.photos[0].id}_l.jpg"
    for _ in range(5):
        body = c.download(url)
        assert body.startswith(b"\xff\xd8") and body.endswith(b"\xff\xd9")


def test_calls_are_counted_and_limited(fake_flickr):
    fake = fake_flickr(photos())
    seen = []
    clock = FakeClock()
    limiter = RateLimiter(2, clock=clock.time, sleep=clock.sleep)
    c = client(fake, limiter=limiter, on_call=seen.append)
    for _ in range(3):
        c.search(bbox="16.2,48.1,16.5,48.3")
    assert len(seen) == 3 and seen[2] - seen[0] >= 3600


def test_only_http_image_urls(fake_flickr):
    fake = fake_flickr(photos())
    with pytest.raises(FlickrPermanentError, match="http"):
        client(fake).download("file:///etc/passwd")


@pytest.mark.timeout(60)
def test_refused_connections_do_not_use_up_the_hourly_limit():
    # loopback port 9 (discard) refuses connections: with one call an hour allowed, a refused try that
    # counted as a call would make the next try wait an hour
    limiter = RateLimiter(1)
    c = FlickrClient(
        "test-key",
        "secret",
        endpoint="http://127.0.0.1:9/services/rest/",
        limiter=limiter,
        retries=2,
        backoff=0.001,
        timeout=5,
    )
    with pytest.raises(TransientError, match="gave up after 3 tries"):
        c.search(bbox="16.2,48.1,16.5,48.3")
    assert limiter.calls_in_last_hour() == 0


def test_calls_that_reach_the_server_are_recorded_once(fake_flickr):
    fake = fake_flickr(photos())
    seen = []
    c = client(fake, on_call=seen.append)
    c.search(bbox="16.2,48.1,16.5,48.3")
    assert len(seen) == 1 and c.limiter.calls_in_last_hour() == 1
