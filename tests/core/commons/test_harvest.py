"""core/commons/harvest.py against the fake MediaWiki server: tiles, paging, splits, retries, the
camera position, hostile names, and a kill and resume."""

import datetime

import pytest
from fake_commons import FakeCommons

from scenic_heatmap.core.commons.harvest import CommonsHarvester, CommonsParams, camera_position
from scenic_heatmap.core.errors import Cancelled, Progress
from scenic_heatmap.core.photos.exif_gnss import gps_position, read_tags

BBOX = (16.30, 48.17, 16.42, 48.25)  # 0.12 x 0.08 degrees: split by the fake's 0.05 limit


def files():
    out = []
    for i in range(30):
        out.append(
            {
                "pageid": 1000 + i,
                "title": f"File:Vienna {i}.jpg",
                "lat": 48.175 + 0.0025 * i,
                "lon": 16.305 + 0.0038 * i,
                "taken": f"2019-0{1 + i % 9}-1{i % 10}",
                "user": f"user{i % 7}",
            }
        )
    out[3]["gps"] = False  # only the depicted object's position: left out
    out[4]["title"] = "File:../../../etc/passwd.jpg"  # a hostile name: the file is named by page id
    out[5]["image"] = "/img/gone.jpg"  # a dead image link
    out.append(
        {"pageid": 5000, "title": "File:Paris.jpg", "lat": 48.85, "lon": 2.35, "taken": "2019-01-01", "user": "x"}
    )
    return out


@pytest.fixture()
def fake():
    server = FakeCommons(files(), fail_first=("503", "maxlag"))
    yield server
    server.stop()


def harvest(fake, folder, progress=None, **kw):
    params = CommonsParams(BBOX, **kw)
    harvester = CommonsHarvester(params, str(folder), fake.endpoint, progress or Progress(), backoff=0.001)
    return harvester, harvester.run()


def test_keeps_the_camera_positioned_files_once_each(fake, tmp_path):
    harvester, records = harvest(fake, tmp_path)
    ids = [r["photo_id"] for r in records]
    assert ids == [str(1000 + i) for i in range(30) if i not in (3, 5)]  # no GPS; a dead link
    stats = harvester.stats
    assert stats.no_camera_position == 1 and stats.dead == 1 and stats.splits >= 1 and stats.retries == 2
    assert fake.api_requests > stats.tiles  # paging and splitting took more than one request a tile
    hostile = next(r for r in records if r["photo_id"] == "1004")
    assert hostile["title"] == "../../../etc/passwd.jpg" and hostile["image_path"] == "1004.jpg"
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".jpg") == sorted(f"{i}.jpg" for i in ids)
    first = records[0]
    lat, lon = gps_position(read_tags(tmp_path / first["image_path"]))[:2]
    assert (lat, lon) == pytest.approx((first["lat"], first["lon"]), abs=1e-6)
    assert first["position_source"].startswith("camera") and first["owner_name"] == "user0"
    assert all("scenic-heatmap" in agent and "QGIS" in agent for agent in fake.user_agents)
    assert max(fake.image_gets.values()) == 1


def test_dates_are_on_the_date_taken(fake, tmp_path):
    _, records = harvest(fake, tmp_path, start=datetime.date(2019, 3, 1), end=datetime.date(2019, 4, 30))
    assert records and all(r["taken"][:7] in ("2019-03", "2019-04") for r in records)


def test_a_kill_and_a_resume_give_one_runs_result_and_download_nothing_twice(fake, tmp_path):
    _, whole = harvest(fake, tmp_path / "whole")
    before = sum(fake.image_gets.values())
    seen = {"n": 0}

    def cancelled():
        seen["n"] += 1
        return seen["n"] > 25

    with pytest.raises(Cancelled, match="resume"):
        harvest(fake, tmp_path / "killed", Progress(cancelled=cancelled))
    _, resumed = harvest(fake, tmp_path / "killed")
    assert resumed == whole and len({r["photo_id"] for r in resumed}) == len(resumed)
    assert sum(fake.image_gets.values()) - before == sum(1 for r in whole) + 1  # + the dead link, asked once a run


def test_camera_position_needs_the_cameras_gps():
    assert camera_position({"extmetadata": {}}) is None
    meta = {"GPSLatitude": {"value": "48.2"}, "GPSLongitude": {"value": "<span>16.37</span>"}}
    assert camera_position({"extmetadata": meta})[:2] == (48.2, 16.37)
