"""Write a GNSS position and capture time into a JPEG with piexif, and check it. QGIS-free."""

import datetime
from fractions import Fraction
from typing import Optional

from ..packages import need
from .exif_gnss import gps_position, read_tags, taken_time


def _dms(value: float):
    """Unsigned degrees as EXIF rationals; seconds to a millionth (about 3 cm). Counted in whole
    millionths of a second, so rounding never gives 60 seconds (which no reader accepts)."""
    micro = round(abs(value) * 3600 * 1_000_000)
    degrees, rest = divmod(micro, 3600 * 1_000_000)
    minutes, seconds = divmod(rest, 60 * 1_000_000)
    second = Fraction(seconds, 1_000_000)
    return ((degrees, 1), (minutes, 1), (second.numerator, second.denominator))


def gps_exif_bytes(
    jpeg_path: str, lat: float, lon: float, taken: Optional[datetime.datetime], artist: str = ""
) -> bytes:
    """The file's EXIF with GPS and time set (existing tags kept where readable); `artist` sets the
    photographer (Artist), which the import reads as the owner."""
    piexif = need("piexif")
    try:
        exif = piexif.load(jpeg_path)
    except Exception:  # a broken EXIF block is replaced, not trusted
        exif = {}
    for ifd in ("0th", "Exif", "GPS", "1st"):
        exif.setdefault(ifd, {})
    exif.pop("thumbnail", None)
    exif["1st"] = {}
    exif["Exif"].pop(piexif.ExifIFD.MakerNote, None)  # often unparseable by piexif.dump
    exif["GPS"] = {
        piexif.GPSIFD.GPSVersionID: (2, 3, 0, 0),
        piexif.GPSIFD.GPSLatitudeRef: b"S" if lat < 0 else b"N",
        piexif.GPSIFD.GPSLatitude: _dms(lat),
        piexif.GPSIFD.GPSLongitudeRef: b"W" if lon < 0 else b"E",
        piexif.GPSIFD.GPSLongitude: _dms(lon),
    }
    if artist:
        exif["0th"][piexif.ImageIFD.Artist] = artist.encode("utf-8")
    if taken is not None:
        exif["Exif"][piexif.ExifIFD.DateTimeOriginal] = taken.strftime("%Y:%m:%d %H:%M:%S").encode()
        exif["GPS"][piexif.GPSIFD.GPSDateStamp] = taken.strftime("%Y:%m:%d").encode()
    return piexif.dump(exif)


def holds_position(tags: dict, lat: float, lon: float) -> bool:
    """True when the EXIF tags carry this position to within 1e-6 degrees."""
    position = gps_position(tags)
    return position is not None and abs(position[0] - lat) <= 1e-6 and abs(position[1] - lon) <= 1e-6


def write_gnss(jpeg_path: str, lat: float, lon: float, taken: Optional[datetime.datetime], artist: str = ""):
    """Puts position and time into the JPEG in place, then reads them back with exifread.

    Raises ValueError when the file does not read back as written."""
    need("piexif").insert(gps_exif_bytes(jpeg_path, lat, lon, taken, artist), jpeg_path)
    tags = read_tags(jpeg_path)
    if not holds_position(tags, lat, lon):
        raise ValueError(f"GPS did not read back from {jpeg_path}")
    if taken is not None and taken_time(tags) != taken.replace(microsecond=0):
        raise ValueError(f"DateTimeOriginal did not read back from {jpeg_path}")
