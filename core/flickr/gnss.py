"""GNSS position from a flickr.photos.getExif answer. QGIS-free.

Flickr gives the GPS IFD as text: `raw` positions like `48 deg 12' 18.21"`
(no hemisphere), or rationals like `64/1, 42/1, 4414/100`; the hemisphere is
in GPSLatitudeRef/GPSLongitudeRef as words (`North`, `West`) or letters.
Seconds keep every digit (the study's script rounded them to hundredths).
"""

import re
from fractions import Fraction
from typing import Optional, Tuple

from ..photos.exif_gnss import dms_to_degrees, hemisphere_sign

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_RATIONAL = re.compile(rf"^\s*({_NUMBER})\s*/\s*({_NUMBER})\s*$")
_DEG_MIN_SEC = re.compile(
    rf"^\s*({_NUMBER})\s*(?:deg|°)?\s*(?:({_NUMBER})\s*'?)?\s*(?:({_NUMBER})\s*\"?)?\s*([NSEW])?\s*$", re.IGNORECASE
)


class ZeroDenominator(ValueError):  # noqa: N818 - reads better at the raise site
    pass


def _number(text: str) -> Fraction:
    match = _RATIONAL.match(text)
    if match:
        num, den = Fraction(match.group(1)), Fraction(match.group(2))
        if den == 0:
            raise ZeroDenominator(f"zero denominator in {text!r}")
        return num / den
    return Fraction(text.strip())


def parse_coordinate(text) -> Optional[Tuple[float, Optional[str]]]:
    """Degrees (unsigned) and an inline hemisphere letter, or None for empty values.

    Accepts `48 deg 12' 18.21"`, `48 deg 12.5'`, `64/1, 42/1, 4414/100`, `48.205`.
    Raises ValueError for anything else, 0/0 included."""
    if text is None:
        return None
    text = str(text).strip()
    if not text:
        return None
    if "," in text or "/" in text:
        parts = [p for p in text.split(",") if p.strip()]
        return dms_to_degrees([_number(p) for p in parts]), None
    match = _DEG_MIN_SEC.match(text)
    if not match:
        raise ValueError(f"unreadable coordinate {text!r}")
    parts = [Fraction(g) for g in match.groups()[:3] if g is not None]
    return dms_to_degrees(parts), (match.group(4) or "").upper() or None


def exif_tags(response: dict) -> dict:
    """{tag: raw text} of a getExif answer (first occurrence of each tag)."""
    tags = {}
    for item in (response.get("photo") or {}).get("exif") or []:
        tag = item.get("tag")
        raw = (item.get("raw") or {}).get("_content")
        if tag and tag not in tags:
            tags[tag] = raw
    return tags


def gnss_from_exif(response: dict) -> Optional[Tuple[float, float]]:
    """(lat, lon) signed decimal degrees, or None when the EXIF has no usable
    position (missing, empty, 0/0 or out of range)."""
    tags = exif_tags(response)
    try:
        lat = parse_coordinate(tags.get("GPSLatitude"))
        lon = parse_coordinate(tags.get("GPSLongitude"))
    except (ValueError, ArithmeticError):
        return None
    if lat is None or lon is None:
        return None
    lat_ref = tags.get("GPSLatitudeRef") or lat[1] or ""
    lon_ref = tags.get("GPSLongitudeRef") or lon[1] or ""
    lat_value = lat[0] * hemisphere_sign(lat_ref, "S")
    lon_value = lon[0] * hemisphere_sign(lon_ref, "W")
    if not (-90 <= lat_value <= 90 and -180 <= lon_value <= 180):
        return None
    return lat_value, lon_value
