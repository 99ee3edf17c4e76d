"""YFCC100M: the Creative Commons dump of 100 million Flickr photos and videos, read offline as a
stream. QGIS-free.

The metadata file has 25 tab-separated columns, strings URL-encoded: line number, id, hash, user NSID,
user nickname, date taken ("2010-07-29 16:32:02.0"), date uploaded (Unix seconds), capture device,
title, description, user tags, machine tags, longitude, latitude, accuracy, page URL, download URL,
licence name, licence URL, server id, farm id, secret, original secret, original extension, and a
marker (0 photo, 1 video). The file is read line by line, plain or bz2, so memory stays flat whatever
its size; malformed lines are counted, never fatal."""

import bz2
import datetime
import io
import os
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import IO, Iterator, Optional, Set, Tuple

from ..errors import SILENT, Progress, UserError

COLUMNS = 25
# Flickr's licence ids of the Creative Commons licences in the dump, by the licence URL's path
LICENSE_IDS = {"by-nc-sa": 1, "by-nc": 2, "by-nc-nd": 3, "by": 4, "by-sa": 5, "by-nd": 6}
_LICENSE = re.compile(r"creativecommons\.org/licenses/([a-z-]+)/")


class YfccError(UserError):
    pass


@dataclass
class YfccFilter:
    bbox: Optional[Tuple[float, float, float, float]] = None  # west, south, east, north (degrees)
    start: Optional[datetime.date] = None  # inclusive
    end: Optional[datetime.date] = None  # inclusive
    date_field: str = "upload"
    min_accuracy: int = 16  # Flickr's geotag accuracy: 1 world .. 16 street
    licenses: Optional[Set[int]] = None  # Flickr licence ids; None: all


@dataclass
class YfccStats:
    lines: int = 0
    kept: int = 0
    malformed: int = 0
    videos: int = 0
    no_position: int = 0
    outside: int = 0
    out_of_dates: int = 0
    low_accuracy: int = 0
    other_license: int = 0
    bytes_read: int = 0
    examples: list = field(default_factory=list)  # line numbers of the first malformed lines

    def describe(self) -> str:
        return (
            f"{self.kept} photos kept of {self.lines} lines: {self.videos} videos, {self.no_position} without a "
            f"position, {self.outside} outside the extent, {self.out_of_dates} outside the dates, "
            f"{self.low_accuracy} below the accuracy, {self.other_license} under other licences, "
            f"{self.malformed} malformed lines"
            + (f" (first at line {', '.join(map(str, self.examples))})" if self.examples else "")
            + "."
        )


def open_stream(path: str) -> Tuple[IO[bytes], IO[bytes]]:
    """(the lines' stream, the raw file whose position is the bytes read); bz2 by its magic number."""
    raw = open(path, "rb")
    if raw.read(3) == b"BZh":
        raw.seek(0)
        return bz2.BZ2File(raw), raw
    raw.seek(0)
    return raw, raw


def _text(value: str) -> str:
    return urllib.parse.unquote_plus(value)


def _taken(value: str) -> Optional[datetime.datetime]:
    value = value.strip()
    if not value or value.lower() == "null":
        return None
    return datetime.datetime.strptime(value.split(".")[0], "%Y-%m-%d %H:%M:%S")


def _license_id(url: str) -> Optional[int]:
    match = _LICENSE.search(url)
    return LICENSE_IDS.get(match.group(1)) if match else None


def parse(line: str) -> dict:
    """One line as a record with the harvest's field names; ValueError when it is malformed."""
    cols = line.rstrip("\r\n").split("\t")
    if len(cols) != COLUMNS:
        raise ValueError(f"{len(cols)} columns, not {COLUMNS}")
    if not cols[1].isdigit():
        raise ValueError("a photo id that is not a number")  # it names the image file: never a path
    if cols[24] not in ("0", "1"):
        raise ValueError("the photo/video marker is neither 0 nor 1")
    uploaded = datetime.datetime.fromtimestamp(int(cols[6]), datetime.timezone.utc).replace(tzinfo=None)
    lon = float(cols[12]) if cols[12] else None
    lat = float(cols[13]) if cols[13] else None
    if lon is not None and not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError("a position beyond the Earth")
    license_id = _license_id(_text(cols[18]))
    return {
        "photo_id": cols[1],
        "owner": _text(cols[3]),
        "owner_name": _text(cols[4]),
        "taken": _taken(_text(cols[5])),
        "uploaded": uploaded,
        "title": _text(cols[8]),
        "lon": lon,
        "lat": lat,
        "geotag_accuracy": int(cols[14]) if cols[14] else None,
        "page_url": _text(cols[15]),
        "image_url": _text(cols[16]),
        "license": "" if license_id is None else str(license_id),
        "video": cols[24] == "1",
    }


def read(path: str, wanted: YfccFilter, stats: YfccStats, progress: Progress = SILENT) -> Iterator[dict]:
    """The kept photos, as a stream; stats counts what went and why. Progress is bytes read."""
    try:
        total = os.path.getsize(path)
        stream, raw = open_stream(path)
    except OSError as exc:
        raise YfccError(f"INPUT: cannot read {path} ({exc.strerror or exc}).") from None
    with raw, io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="\n") as text:
        for raw_line in text:
            stats.lines += 1
            if stats.lines % 20000 == 0:
                stats.bytes_read = raw.tell()
                progress.check()
                progress.report(stats.bytes_read / max(total, 1), f"{stats.bytes_read / 2**20:.0f} MB read")
            if not raw_line.strip():
                continue
            try:
                record = parse(raw_line)
            except (ValueError, IndexError, OverflowError):
                stats.malformed += 1
                if len(stats.examples) < 3:
                    stats.examples.append(stats.lines)
                continue
            reason = _rejected(record, wanted)
            if reason:
                setattr(stats, reason, getattr(stats, reason) + 1)
                continue
            stats.kept += 1
            yield record
        stats.bytes_read = total
    if stats.lines and stats.malformed == stats.lines:
        raise YfccError(
            f"INPUT: none of the {stats.lines} lines has the YFCC100M layout of {COLUMNS} tab-separated columns."
        )


def _rejected(record: dict, wanted: YfccFilter) -> str:
    if record["video"]:
        return "videos"
    if record["lon"] is None:
        return "no_position"
    if wanted.bbox is not None:
        west, south, east, north = wanted.bbox
        if not (west <= record["lon"] <= east and south <= record["lat"] <= north):
            return "outside"
    when = record["uploaded"] if wanted.date_field == "upload" else record["taken"]
    if wanted.start is not None or wanted.end is not None:
        if when is None or (wanted.start and when.date() < wanted.start) or (wanted.end and when.date() > wanted.end):
            return "out_of_dates"
    if (record["geotag_accuracy"] or 0) < wanted.min_accuracy:
        return "low_accuracy"
    if wanted.licenses is not None and (not record["license"] or int(record["license"]) not in wanted.licenses):
        return "other_license"
    return ""
