"""core.flickr_gnss without QGIS: getExif answers to positions, on the real Flickr JSON."""

import json

import pytest
from conftest import shared_path

from scenic_heatmap.core.flickr.gnss import gnss_from_exif, parse_coordinate


def exif_answer(lat_raw, lon_raw, lat_ref="North", lon_ref="East"):
    def tag(name, raw):
        return {"tagspace": "GPS", "tagspaceid": 0, "tag": name, "label": name, "raw": {"_content": raw}}

    tags = [
        tag("GPSLatitudeRef", lat_ref),
        tag("GPSLatitude", lat_raw),
        tag("GPSLongitudeRef", lon_ref),
        tag("GPSLongitude", lon_raw),
    ]
    return {"photo": {"id": "1", "exif": tags}, "stat": "ok"}


def test_real_getexif_answer_west_hemisphere():
    answer = json.loads(shared_path("data", "flickr", "flickr.photos.getExif.json").read_text())
    lat, lon = gnss_from_exif(answer)
    # raw 46 deg 42' 19.18" North, 117 deg 6' 19.98" West
    assert lat == pytest.approx(46 + 42 / 60 + 19.18 / 3600, abs=1e-12)
    assert lon == pytest.approx(-(117 + 6 / 60 + 19.98 / 3600), abs=1e-12)


@pytest.mark.parametrize(
    "lat_ref,lon_ref,signs",
    [
        ("South", "West", (-1, -1)),
        ("S", "W", (-1, -1)),
        ("North", "East", (1, 1)),
        ("n", "e", (1, 1)),
    ],
)
def test_hemisphere_words_and_letters(lat_ref, lon_ref, signs):
    lat, lon = gnss_from_exif(exif_answer("33 deg 52' 4.00\"", "151 deg 12' 36.00\"", lat_ref, lon_ref))
    assert (lat > 0) - (lat < 0) == signs[0] and (lon > 0) - (lon < 0) == signs[1]


def test_seconds_keep_all_their_digits():
    # the study's script kept hundredths of seconds: 18.2167" became 18.21"
    degrees, _ = parse_coordinate("48 deg 12' 18.2167\"")
    assert degrees == pytest.approx(48 + 12 / 60 + 18.2167 / 3600, abs=1e-12)


def test_rational_form():
    degrees, _ = parse_coordinate("64/1, 42/1, 4414/100")
    assert degrees == pytest.approx(64 + 42 / 60 + 44.14 / 3600, abs=1e-12)


@pytest.mark.parametrize(
    "lat,lon",
    [
        ("0/0, 0/0, 0/0", "0/0, 0/0, 0/0"),
        ("", ""),
        ("48 deg 12' 1\"", ""),
        ("95 deg 0' 0\"", "16 deg 0' 0\""),
        ("48 deg 61' 0\"", "16 deg 0' 0\""),
        ("garbage", "16 deg 0' 0\""),
    ],
)
def test_unusable_positions_give_none(lat, lon):
    assert gnss_from_exif(exif_answer(lat, lon)) is None


def test_no_gps_tags_give_none():
    assert gnss_from_exif({"photo": {"id": "1", "exif": []}, "stat": "ok"}) is None
