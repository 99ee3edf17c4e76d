"""core.harvest against the fake Flickr server: the whole harvest, its resume, and the study's bugs."""

import datetime
import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import PLUGIN_DIR, REPO
from fake_flickr import Faults, make_photos

from scenic_heatmap.core.flickr.client import FlickrClient, FlickrPermanentError, HarvestCancelled
from scenic_heatmap.core.flickr.harvest import Harvester, HarvestParams, time_blocks
from scenic_heatmap.core.photos.exif_gnss import gps_position, read_tags, taken_time

VIENNA = (16.18, 48.11, 16.58, 48.33)
START, END = datetime.date(2016, 6, 30), datetime.date(2016, 7, 27)
KEY, SECRET = "test-key", "TOPSECRET-4f9a"


def params(**kw):
    kw.setdefault("bbox", VIENNA)
    kw.setdefault("start", START)
    kw.setdefault("end", END)
    return HarvestParams(**kw)


def harvest(fake, folder, parallel=3, key=KEY, max_calls=3600, retries=10, **kw):
    def factory(**options):  # 10 retries: injected faults must not exhaust them by chance
        return FlickrClient(key, SECRET, endpoint=fake.rest_url, backoff=0.005, retries=retries, **options)

    harvester = Harvester(params(**kw), str(folder), factory, parallel=parallel, max_calls_per_hour=max_calls)
    return harvester, harvester.run()


def in_window(fake, start=START, end=END, bbox=VIENNA):
    t0 = datetime.datetime(start.year, start.month, start.day, tzinfo=datetime.timezone.utc).timestamp()
    t1 = datetime.datetime(end.year, end.month, end.day, tzinfo=datetime.timezone.utc).timestamp() + 86400
    return [
        p
        for p in fake.photos
        if t0 <= p.dateupload < t1 and bbox[1] <= p.latitude <= bbox[3] and bbox[0] <= p.longitude <= bbox[2]
    ]


def expected_ids(fake, *window):
    return sorted((p.id for p in in_window(fake, *window) if p.exif in ("dms", "rational", "letters")), key=int)


def folder_digest(folder):
    return {
        name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
        for name in sorted(os.listdir(folder))
        if name.endswith(".jpg")
    }


@pytest.fixture()
def vienna_fake(fake_flickr):
    return fake_flickr(make_photos(160, VIENNA, START, END, seed=4), image_scale=0.1)


def test_time_blocks_include_the_last_block():
    # the study's script skipped it with range(len(steps) - 2)
    blocks = time_blocks(datetime.date(2016, 6, 30), datetime.date(2017, 6, 30), 7)
    assert blocks[0][0] == datetime.datetime(2016, 6, 30, tzinfo=datetime.timezone.utc).timestamp()
    assert blocks[-1][1] == datetime.datetime(2017, 7, 1, tzinfo=datetime.timezone.utc).timestamp()
    assert all(a[1] == b[0] for a, b in zip(blocks, blocks[1:]))
    assert len(blocks) == 53 and blocks[-1][1] - blocks[-1][0] == 2 * 86400  # a short last block


def test_harvest_keeps_exactly_the_gnss_photos(vienna_fake, tmp_path):
    harvester, records = harvest(vienna_fake, tmp_path)
    assert [r["photo_id"] for r in records] == expected_ids(vienna_fake)
    assert harvester.stats.exif_private == sum(p.exif == "private" for p in in_window(vienna_fake)) > 0
    assert harvester.stats.no_gnss == sum(p.exif in ("none", "zero", "empty") for p in in_window(vienna_fake))
    by_id = vienna_fake.by_id
    for record in records:
        photo = by_id[record["photo_id"]]
        assert record["gnss"] is True
        assert record["lat"] == pytest.approx(photo.gps_lat, abs=1e-6)
        assert record["lon"] == pytest.approx(photo.gps_lon, abs=1e-6)
        assert record["geotag_lat"] == photo.latitude and record["geotag_accuracy"] == photo.accuracy
        assert 0 < record["gnss_geotag_m"] < 300
        assert record["image_path"] == f"{photo.id}.jpg"
        assert record["page_url"] == f"https://www.flickr.com/photos/{photo.owner}/{photo.id}/"
        tags = read_tags(str(tmp_path / record["image_path"]))
        lat, lon = gps_position(tags)
        assert (lat, lon) == (pytest.approx(record["lat"], abs=1e-6), pytest.approx(record["lon"], abs=1e-6))
        assert taken_time(tags).isoformat() == record["taken"]
        # exifread names the GPSDateStamp tag "GPSDate"
        assert str(tags["GPS GPSDate"]) == record["taken"][:10].replace("-", ":")


def test_api_calls_pages_and_downloads(vienna_fake, tmp_path):
    harvester, records = harvest(vienna_fake, tmp_path)
    calls = vienna_fake.calls
    candidates = harvester.stats.candidates
    assert calls["flickr.photos.getExif"] == candidates  # one getExif per candidate, no getInfo/getSizes
    assert sum(calls.values()) / candidates <= 1.05
    pages = [page for _, page in vienna_fake.searches]
    assert min(pages) == 1  # never page 0 (the study asked for page 0, then page 1 again)
    assert len(vienna_fake.searches) == len(set(vienna_fake.searches))  # no page asked twice
    # every kept image downloaded exactly once (the study downloaded each twice)
    assert sorted(vienna_fake.image_gets, key=int) == [r["photo_id"] for r in records]
    assert set(vienna_fake.image_gets.values()) == {1}
    assert all(dict(query).get("per_page") == "250" for query, _ in vienna_fake.searches)


def test_largest_size_within_max_edge_never_original(vienna_fake, tmp_path):
    _, records = harvest(vienna_fake, tmp_path, max_edge=800)
    assert records and all(max(r["width"], r["height"]) <= 800 * 0.1 + 1 for r in records)
    served = {key[1] for key in vienna_fake._images}
    assert "o" not in served and served <= {"c", "z", "m"}  # 800 px when offered


def test_private_exif_never_borrows_the_previous_photos(fake_flickr, tmp_path):
    photos = make_photos(40, VIENNA, START, START, seed=9, gnss_share=0.5, private_share=0.5)
    fake = fake_flickr(photos, image_scale=0.1)
    harvester, records = harvest(fake, tmp_path, end=START, parallel=1)
    kept = {r["photo_id"] for r in records}
    assert not kept & {p.id for p in photos if p.exif == "private"}
    assert harvester.stats.exif_private == sum(p.exif == "private" for p in photos)


def test_southern_and_western_hemispheres(fake_flickr, tmp_path):
    buenos_aires = (-58.55, -34.75, -58.3, -34.5)
    fake = fake_flickr(make_photos(40, buenos_aires, START, START, seed=2), image_scale=0.1)
    _, records = harvest(fake, tmp_path, bbox=buenos_aires, end=START)
    assert records and all(r["lat"] < 0 and r["lon"] < 0 for r in records)
    for record in records:
        lat, lon = gps_position(read_tags(str(tmp_path / record["image_path"])))
        assert lat == pytest.approx(record["lat"], abs=1e-6) and lon == pytest.approx(record["lon"], abs=1e-6)


def test_geotags_when_not_gnss_only(vienna_fake, tmp_path):
    _, records = harvest(vienna_fake, tmp_path, gnss_only=False, min_accuracy=16)
    geotag_only = [r for r in records if not r["gnss"]]
    assert geotag_only and all(r["geotag_accuracy"] >= 16 for r in geotag_only)
    assert all(r["lat"] == r["geotag_lat"] and r["gnss_geotag_m"] is None for r in geotag_only)
    assert {r["photo_id"] for r in records if r["gnss"]} == set(expected_ids(vienna_fake))


def test_blocks_over_the_4000_cap_are_split(fake_flickr, tmp_path):
    week = (START, START + datetime.timedelta(days=6))
    photos = make_photos(4600, VIENNA, *week, seed=5, gnss_share=0.02, private_share=0.0)
    fake = fake_flickr(photos, image_scale=0.05)
    harvester, records = harvest(fake, tmp_path, end=week[1], parallel=4, max_calls=10_000)
    assert harvester.stats.splits >= 1
    assert [r["photo_id"] for r in records] == expected_ids(fake, week[0], week[1])
    inside = len(in_window(fake, week[0], week[1]))
    assert inside > 4000
    assert harvester.stats.candidates == inside  # every photo seen once, repeats past the cap dropped
    assert fake.calls["flickr.photos.getExif"] == inside


def test_faults_do_not_change_the_result(fake_flickr, tmp_path):
    photos = make_photos(120, VIENNA, START, END, seed=4)
    clean = fake_flickr(photos, image_scale=0.1)
    _, expected = harvest(clean, tmp_path / "clean")
    faults = Faults(error500=0.08, error429=0.08, malformed=0.05, truncated=0.15, slow=0.02, slow_seconds=0.2)
    noisy = fake_flickr(photos, image_scale=0.1, faults=faults, seed=11)
    _, records = harvest(noisy, tmp_path / "noisy")
    assert records == expected
    assert folder_digest(tmp_path / "clean") == folder_digest(tmp_path / "noisy")


def test_bad_key_stops_with_a_clear_message(vienna_fake, tmp_path):
    with pytest.raises(FlickrPermanentError, match="Invalid API Key"):
        harvest(vienna_fake, tmp_path, key="not-a-key")
    assert sum(vienna_fake.calls.values()) == 1


def test_other_parameters_in_the_same_folder_are_refused(vienna_fake, tmp_path):
    harvest(vienna_fake, tmp_path)
    with pytest.raises(FlickrPermanentError, match="other parameters"):
        harvest(vienna_fake, tmp_path, block_days=3)


def test_secrets_never_reach_files(vienna_fake, tmp_path):
    _, records = harvest(vienna_fake, tmp_path)
    assert SECRET not in json.dumps(records)
    for root, _, files in os.walk(tmp_path):
        for name in files:
            with open(os.path.join(root, name), "rb") as fh:
                data = fh.read()
            assert SECRET.encode() not in data and KEY.encode() not in data, name


def test_cancel_then_resume_equals_one_run(vienna_fake, tmp_path):
    _, expected = harvest(vienna_fake, tmp_path / "whole")
    seen = {"calls": 0}

    def cancelled():
        seen["calls"] += 1
        return seen["calls"] > 60

    def factory(**options):
        return FlickrClient(KEY, SECRET, endpoint=vienna_fake.rest_url, backoff=0.005, **options)

    started = time.monotonic()
    with pytest.raises(HarvestCancelled):
        Harvester(params(), str(tmp_path / "resumed"), factory, cancelled=cancelled).run()
    assert time.monotonic() - started < 30
    records = Harvester(params(), str(tmp_path / "resumed"), factory).run()
    assert records == expected
    assert folder_digest(tmp_path / "whole") == folder_digest(tmp_path / "resumed")


def run_child(fake, folder, kill_after=None):
    options = dict(key=KEY, secret=SECRET, bbox=list(VIENNA), start=START.isoformat(), end=END.isoformat())
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(PLUGIN_DIR), os.environ.get("PYTHONPATH", "")]))
    child = subprocess.Popen(
        [sys.executable, str(REPO / "tests" / "harvest_child.py"), fake.rest_url, str(folder), json.dumps(options)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    if kill_after is None:
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err
        return json.loads(out.strip().splitlines()[-1])
    start_count = fake.total_requests
    deadline = time.monotonic() + 120
    while fake.total_requests - start_count < kill_after and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    child.send_signal(signal.SIGKILL)
    child.communicate()
    return None


def test_killed_runs_resume_to_the_same_layer_and_folder(vienna_fake, tmp_path):
    expected = run_child(vienna_fake, tmp_path / "whole")
    gets_before = sum(vienna_fake.image_gets.values())
    progress = []
    for kill_after in (3, 25, 40, 70):
        run_child(vienna_fake, tmp_path / "killed", kill_after=kill_after)
        progress.append(len(folder_digest(tmp_path / "killed")))
    assert progress == sorted(progress) and progress[-1] < len(expected)  # each kill landed mid-harvest
    records = run_child(vienna_fake, tmp_path / "killed")
    assert records == expected
    assert folder_digest(tmp_path / "whole") == folder_digest(tmp_path / "killed")
    # nothing downloaded twice across the kills (a kill mid-download may cost one retry)
    downloads = sum(vienna_fake.image_gets.values()) - gets_before
    assert len(expected) <= downloads <= len(expected) + 4
    assert not [n for n in os.listdir(tmp_path / "killed") if n.endswith(".part")]


def test_hourly_limit_holds_across_workers_and_restarts(vienna_fake, tmp_path):
    messages = []

    def factory(**options):
        return FlickrClient(KEY, SECRET, endpoint=vienna_fake.rest_url, backoff=0.005, **options)

    deadline = time.monotonic() + 3

    def cancelled():
        return time.monotonic() > deadline

    with pytest.raises(HarvestCancelled):
        Harvester(
            params(),
            str(tmp_path),
            factory,
            max_calls_per_hour=15,
            parallel=3,
            cancelled=cancelled,
            log=messages.append,
        ).run()
    assert sum(vienna_fake.calls.values()) == 15  # three workers, one budget
    assert any("hourly limit of 15" in m for m in messages)
    # a restart within the hour remembers the 15 calls and makes none
    deadline = time.monotonic() + 1.5
    with pytest.raises(HarvestCancelled):
        Harvester(params(), str(tmp_path), factory, max_calls_per_hour=15, parallel=3, cancelled=cancelled).run()
    assert sum(vienna_fake.calls.values()) == 15


def test_taken_dates_select_by_capture_time(vienna_fake, tmp_path):
    # photos are taken up to 3 days before their upload; a window on taken dates differs
    window = (datetime.date(2016, 7, 5), datetime.date(2016, 7, 12))
    _, records = harvest(vienna_fake, tmp_path, start=window[0], end=window[1], date_field="taken")
    searches = [dict(query) for query, _ in vienna_fake.searches]
    assert all("min_taken_date" in q and "min_upload_date" not in q for q in searches)
    assert searches[0]["min_taken_date"] == "2016-07-05 00:00:00"
    expected = sorted(
        (
            p.id
            for p in vienna_fake.photos
            if p.exif in ("dms", "rational", "letters") and "2016-07-05" <= p.datetaken[:10] <= "2016-07-12"
        ),
        key=int,
    )
    assert [r["photo_id"] for r in records] == expected


def test_photos_that_failed_are_tried_again_by_the_next_run(vienna_fake, tmp_path):
    vienna_fake.faults.image_error500 = 1.0  # every image download fails, after its retries
    harvester, records = harvest(vienna_fake, tmp_path, retries=1)
    assert records == [] and harvester.stats.failed == len(expected_ids(vienna_fake))
    vienna_fake.faults.image_error500 = 0.0
    exif_calls = vienna_fake.calls["flickr.photos.getExif"]
    harvester, records = harvest(vienna_fake, tmp_path, retries=1)
    assert [r["photo_id"] for r in records] == expected_ids(vienna_fake)
    # only the failed photos are asked for again; the decided ones are not
    assert vienna_fake.calls["flickr.photos.getExif"] - exif_calls == len(expected_ids(vienna_fake))
    assert harvester.stats.candidates == len(expected_ids(vienna_fake))


class Killed(BaseException):
    """A stand-in for the process dying: not an Exception, so nothing in the harvest catches it."""


@pytest.mark.parametrize("point", ["downloaded", "part written", "position written", "image renamed"])
def test_a_death_between_download_and_state_costs_at_most_the_download_in_flight(
    vienna_fake, tmp_path, monkeypatch, point
):
    """The harvest dies at one point between an image's download and its record in the resume state
    (the 12th image), then resumes: every image is fetched once, except the one in flight, and only
    when it died before the image was complete on disk."""
    _, expected = harvest(vienna_fake, tmp_path / "whole", parallel=1)
    before = dict(vienna_fake.image_gets)
    stores = {"n": 0}
    import scenic_heatmap.core.photos.downloads as downloads_module
    from scenic_heatmap.core.photos.downloads import ImageStore

    real_store, real_replace, real_write = ImageStore.store, os.replace, downloads_module.write_gnss

    def store(path, body, position, taken):
        stores["n"] += 1
        dying = stores["n"] == 12
        if dying and point == "downloaded":
            raise Killed()
        if dying and point == "part written":
            monkeypatch.setattr(downloads_module, "write_gnss", lambda *a, **k: (_ for _ in ()).throw(Killed()))
        if dying and point == "position written":
            monkeypatch.setattr(downloads_module.os, "replace", lambda *a: (_ for _ in ()).throw(Killed()))
        try:
            real_store(path, body, position, taken)
        finally:
            monkeypatch.setattr(downloads_module, "write_gnss", real_write)
            monkeypatch.setattr(downloads_module.os, "replace", real_replace)
        if dying and point == "image renamed":
            raise Killed()  # the image is whole on disk; its record is not written yet

    monkeypatch.setattr(ImageStore, "store", staticmethod(store))
    with pytest.raises(Killed):
        harvest(vienna_fake, tmp_path / "killed", parallel=1)
    monkeypatch.setattr(ImageStore, "store", staticmethod(real_store))
    _, resumed = harvest(vienna_fake, tmp_path / "killed", parallel=1)
    assert resumed == expected
    gets = {k: v - before.get(k, 0) for k, v in vienna_fake.image_gets.items() if v - before.get(k, 0)}
    twice = [k for k, v in gets.items() if v > 1]
    assert len(twice) == (0 if point == "image renamed" else 1), (point, twice)
    assert folder_digest(tmp_path / "whole") == folder_digest(tmp_path / "killed")
