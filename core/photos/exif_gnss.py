"""GNSS position and camera facts from a photo's EXIF, read with exifread.

QGIS-free. `read_photo(path)` returns a `PhotoInfo` or raises `PhotoRejected`
with a reason a user can read in the INVALID table.
"""

import datetime
import logging
import math
from dataclasses import dataclass
from typing import Optional

from ..packages import need

# exifread logs every odd tag of a corrupt file at WARNING; the reasons we
# report are enough.
logging.getLogger("exifread").setLevel(logging.ERROR)

JPEG_MAGIC = b"\xff\xd8\xff"


class PhotoRejected(Exception):  # noqa: N818 - a rejection, not an error
    """A file that cannot give a photo point; str(exc) is the reason."""


@dataclass
class PhotoInfo:
    lat: float
    lon: float
    altitude: Optional[float] = None
    direction: Optional[float] = None
    taken: Optional[datetime.datetime] = None
    make: str = ""
    model: str = ""
    width: Optional[int] = None
    height: Optional[int] = None
    owner: str = ""  # EXIF CameraOwnerName, else Artist: who took it, for per-person weighting


def ratio_to_float(value) -> float:
    """One EXIF number (exifread Ratio, int or float) as float.

    Raises ValueError for a zero denominator (0/0 is how some cameras write
    "unknown") and for non-finite values.
    """
    num = getattr(value, "numerator", value)
    den = getattr(value, "denominator", 1)
    if den == 0:
        raise ValueError("zero denominator")
    result = float(num) / float(den)
    if not math.isfinite(result):
        raise ValueError("not a finite number")
    return result


def dms_to_degrees(values) -> float:
    """Degrees from EXIF degree/minute/second rationals.

    Accepts 1 to 3 parts: minutes-only forms such as `[0, 22.278, 0]` or
    `[43, 28.5]` are common in older cameras.
    """
    parts = list(values)
    if not 1 <= len(parts) <= 3:
        raise ValueError(f"expected 1-3 parts, got {len(parts)}")
    numbers = [ratio_to_float(p) for p in parts]
    if any(n < 0 for n in numbers):
        raise ValueError("negative degree/minute/second")
    if len(numbers) > 1 and numbers[1] >= 60:
        raise ValueError("minutes out of range")
    if len(numbers) > 2 and numbers[2] >= 60:
        raise ValueError("seconds out of range")
    weights = (1.0, 1 / 60.0, 1 / 3600.0)
    return sum(n * w for n, w in zip(numbers, weights))


def hemisphere_sign(ref, negative: str) -> int:
    """-1 for S/W refs, +1 otherwise (missing or empty refs count as N/E,
    as ExifTool does). Accepts letters and words ("South", "West")."""
    text = str(ref.values if hasattr(ref, "values") else ref or "").strip().upper()
    return -1 if text[:1] == negative else 1


def gps_position(tags: dict):
    """(lat, lon) in signed decimal degrees from exifread tags, or None when the
    GPS IFD has no coordinates. Raises ValueError for broken or out-of-range values."""
    lat_tag = tags.get("GPS GPSLatitude")
    lon_tag = tags.get("GPS GPSLongitude")
    if lat_tag is None or lon_tag is None:
        return None
    if not lat_tag.values or not lon_tag.values:
        return None
    lat = dms_to_degrees(lat_tag.values) * hemisphere_sign(tags.get("GPS GPSLatitudeRef"), "S")
    lon = dms_to_degrees(lon_tag.values) * hemisphere_sign(tags.get("GPS GPSLongitudeRef"), "W")
    if not (-90.0 <= lat <= 90.0):
        raise ValueError(f"latitude {lat} out of range")
    if not (-180.0 <= lon <= 180.0):
        raise ValueError(f"longitude {lon} out of range")
    return lat, lon


def _optional_number(tags: dict, key: str) -> Optional[float]:
    tag = tags.get(key)
    if tag is None or not tag.values:
        return None
    try:
        return ratio_to_float(tag.values[0])
    except (ValueError, TypeError, IndexError):
        return None


def gps_altitude(tags: dict) -> Optional[float]:
    alt = _optional_number(tags, "GPS GPSAltitude")
    if alt is None:
        return None
    ref = tags.get("GPS GPSAltitudeRef")
    below_sea = ref is not None and ref.values and str(ref.values[0]).strip() == "1"
    return -alt if below_sea else alt


def _text(tags: dict, key: str) -> str:
    tag = tags.get(key)
    return str(tag.values).strip().strip("\x00").strip() if tag is not None else ""


def taken_time(tags: dict) -> Optional[datetime.datetime]:
    for key in ("EXIF DateTimeOriginal", "EXIF DateTimeDigitized", "Image DateTime"):
        text = _text(tags, key)
        try:
            return datetime.datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
        except ValueError:
            continue
    return None


def read_tags(path: str) -> dict:
    exifread = need("exifread")
    with open(path, "rb") as fh:
        return exifread.process_file(fh, details=False)


def photo_info_from_tags(tags: dict) -> PhotoInfo:
    """A PhotoInfo from exifread tags; raises PhotoRejected without a valid position."""
    try:
        position = gps_position(tags)
    except (ValueError, TypeError, ZeroDivisionError) as exc:
        raise PhotoRejected(f"invalid GPS coordinates: {exc}") from None
    if position is None:
        has_gps_block = any(k.startswith("GPS ") for k in tags)
        raise PhotoRejected("GPS block has no coordinates" if has_gps_block else "no GPS position in EXIF")
    lat, lon = position
    width = _optional_number(tags, "EXIF ExifImageWidth")
    height = _optional_number(tags, "EXIF ExifImageLength")
    return PhotoInfo(
        lat=lat,
        lon=lon,
        altitude=gps_altitude(tags),
        direction=_optional_number(tags, "GPS GPSImgDirection"),
        taken=taken_time(tags),
        make=_text(tags, "Image Make"),
        model=_text(tags, "Image Model"),
        width=int(width) if width else None,
        height=int(height) if height else None,
        owner=_text(tags, "EXIF CameraOwnerName") or _text(tags, "Image Artist"),
    )
