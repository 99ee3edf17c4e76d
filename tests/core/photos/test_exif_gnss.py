"""core.exif_gnss and core.photo_files without QGIS: parsing rules and the ExifTool answer key."""

import csv
from fractions import Fraction

import pytest

from scenic_heatmap.core.photos.exif_gnss import (
    PhotoRejected,
    dms_to_degrees,
    gps_position,
    hemisphere_sign,
    photo_info_from_tags,
)
from scenic_heatmap.core.photos.folder import read_photo, scan_folder


class Tag:
    """The part of an exifread IfdTag the parser uses."""

    def __init__(self, values):
        self.values = values


def tags(lat, lon, lat_ref="N", lon_ref="E"):
    return {
        "GPS GPSLatitude": Tag(lat),
        "GPS GPSLongitude": Tag(lon),
        "GPS GPSLatitudeRef": Tag(lat_ref),
        "GPS GPSLongitudeRef": Tag(lon_ref),
    }


def test_dms_with_seconds_as_rational():
    # 48 deg 12' 18.21" (the form the study's script truncated to hundredths)
    assert dms_to_degrees([48, 12, Fraction(182100, 10000)]) == pytest.approx(48 + 12 / 60 + 18.21 / 3600, abs=1e-12)


def test_minutes_only_forms():
    assert dms_to_degrees([0, Fraction(11139, 500), 0]) == pytest.approx(22.278 / 60)
    assert dms_to_degrees([43, Fraction(57, 2)]) == pytest.approx(43 + 28.5 / 60)


@pytest.mark.parametrize("ref,sign", [("S", -1), ("South", -1), ("s", -1), ("N", 1), ("North", 1), ("", 1), (None, 1)])
def test_latitude_refs(ref, sign):
    assert hemisphere_sign(ref, "S") == sign


def test_hemispheres_are_applied():
    lat, lon = gps_position(tags([33, 51, 54], [151, 12, 36], "S", "E"))
    assert lat < 0 < lon
    lat, lon = gps_position(tags([40, 26, 49.1], [3, 43, 29.11], "N", "West"))
    assert lat > 0 > lon


def test_equator_is_a_position():
    # 0/1 is a real value; only 0/0 means "unknown"
    assert gps_position(tags([0, 0, 0], [0, 0, 0])) == (0.0, 0.0)


class ZeroRatio:
    numerator = 0
    denominator = 0


@pytest.mark.parametrize(
    "lat,lon,message",
    [
        ([ZeroRatio(), 0, 0], [16, 22, 0], "zero denominator"),
        ([91, 0, 0], [16, 22, 0], "latitude"),
        ([48, 0, 0], [181, 0, 0], "longitude"),
        ([48, 61, 0], [16, 0, 0], "minutes"),
        ([48, 1, 2, 3], [16, 0, 0], "parts"),
    ],
)
def test_broken_coordinates_are_rejected(lat, lon, message):
    with pytest.raises(PhotoRejected, match=message):
        photo_info_from_tags(tags(lat, lon))


def test_missing_coordinates_are_rejected():
    with pytest.raises(PhotoRejected, match="no coordinates"):
        photo_info_from_tags({"GPS GPSVersionID": Tag([2, 2, 0, 0])})
    with pytest.raises(PhotoRejected, match="no GPS"):
        photo_info_from_tags({})


def load_reference(exif_dir):
    with open(exif_dir / "gps_reference_exiftool.csv", newline="") as fh:
        return {row["SourceFile"]: row for row in csv.DictReader(fh)}


def test_agrees_with_exiftool_answer_key(exif_dir):
    reference = load_reference(exif_dir)
    results = {r.relative_path: r for r in scan_folder(str(exif_dir), recursive=True)}
    with_gps = {k: v for k, v in reference.items() if v["GPSLatitude"]}
    assert len(with_gps) >= 15
    for name, row in reference.items():
        result = results[name]
        if row["GPSLatitude"]:
            assert result.info is not None, f"{name}: {result.reason}"
            assert result.info.lat == pytest.approx(float(row["GPSLatitude"]), abs=1e-6), name
            assert result.info.lon == pytest.approx(float(row["GPSLongitude"]), abs=1e-6), name
            if row["GPSAltitude"]:
                assert result.info.altitude == pytest.approx(float(row["GPSAltitude"]), abs=1e-3), name
        else:
            assert result.info is None, f"{name} has no GPS in ExifTool but gave {result.info}"


def test_every_file_gives_a_point_or_a_reason(exif_dir):
    results = list(scan_folder(str(exif_dir), recursive=True))
    assert len(results) > 90
    for result in results:
        assert (result.info is None) != (result.reason == ""), result
    reasons = {r.relative_path: r.reason for r in results}
    assert reasons["jpg/corrupted.jpg"]
    assert "not a JPEG" in reasons["jpg/README"]


def test_southern_and_western_samples(exif_dir):
    kodak = read_photo(str(exif_dir / "jpg" / "Kodak_CX7530.jpg"))
    assert kodak.lat < 0 and kodak.lon > 0
    iphone = read_photo(str(exif_dir / "jpg" / "hdr" / "iphone_hdr_YES.jpg"))
    assert iphone.lon < 0 and iphone.make == "Apple"
    assert (iphone.width, iphone.height) == (3264, 2448)


def test_fake_jpeg_is_rejected(tmp_path):
    fake = tmp_path / "photo.jpg"
    fake.write_bytes(b"GIF89a not really a jpeg")
    with pytest.raises(PhotoRejected, match="signature"):
        read_photo(str(fake))


def test_owner_comes_from_camera_owner_name_or_artist(tmp_path):
    import piexif
    from PIL import Image

    from scenic_heatmap.core.photos.exif_write import write_gnss

    for name, tags, owner in (
        (
            "owner.jpg",
            {"0th": {piexif.ImageIFD.Artist: b"Ann"}, "Exif": {piexif.ExifIFD.CameraOwnerName: b"Bob"}},
            "Bob",
        ),
        ("artist.jpg", {"0th": {piexif.ImageIFD.Artist: b"Ann"}}, "Ann"),
        ("nobody.jpg", {}, ""),
    ):
        path = tmp_path / name
        Image.new("RGB", (32, 24), "grey").save(path, exif=piexif.dump(tags))
        write_gnss(str(path), 48.2085, 16.3725, None)
        info = read_photo(str(path))
        assert (info.lat, info.owner) == (pytest.approx(48.2085), owner)
