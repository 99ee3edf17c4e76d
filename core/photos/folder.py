"""Walk a folder of photos and turn each file into a photo point or a rejection.

QGIS-free. exifread reads the EXIF of JPEG and HEIC/HEIF files. Pillow reads a
JPEG's pixel size from its header; a HEIC's comes from its EXIF (pillow-heif
is not used: its bundled libheif crashes qgis_process next to GDAL's).
Nothing here decodes pixels, so huge images cost no memory.
"""

import os
from dataclasses import dataclass
from typing import Iterator, Optional

from ..files import not_regular_reason
from ..packages import need
from .exif_gnss import JPEG_MAGIC, PhotoInfo, PhotoRejected, photo_info_from_tags, read_tags

JPEG_EXTENSIONS = {".jpg", ".jpeg", ".jpe"}
HEIF_EXTENSIONS = {".heic", ".heif"}


@dataclass
class PhotoResult:
    path: str
    relative_path: str
    info: Optional[PhotoInfo] = None
    reason: str = ""


def list_files(folder: str, recursive: bool) -> list:
    """Sorted files under folder (FIFOs, devices and sockets too, for read_photo to reject and list),
    hidden files and folders skipped."""
    found = []
    if recursive:
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            found.extend(os.path.join(dirpath, f) for f in filenames if not f.startswith("."))
    else:
        found = [
            os.path.join(folder, f)
            for f in os.listdir(folder)
            if not f.startswith(".") and not os.path.isdir(os.path.join(folder, f))  # FIFOs too: listed, rejected
        ]
    return sorted(found)


def _pixel_size(path: str):
    with need("PIL.Image").open(path) as img:  # reads the header only
        return img.size


def read_photo(path: str) -> PhotoInfo:
    """PhotoInfo for one file; raises PhotoRejected with a reason."""
    ext = os.path.splitext(path)[1].lower()
    odd = not_regular_reason(path)
    if odd:
        raise PhotoRejected(odd)
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise PhotoRejected(f"cannot read file: {exc.strerror or exc}") from None
    if ext in JPEG_EXTENSIONS:
        if not head.startswith(JPEG_MAGIC):
            raise PhotoRejected("not a JPEG file (bad signature)")
    elif ext in HEIF_EXTENSIONS:
        if head[4:8] != b"ftyp":
            raise PhotoRejected("not a HEIC/HEIF file (bad signature)")
    else:
        raise PhotoRejected("not a JPEG or HEIC photo")

    try:
        tags = read_tags(path)
    except Exception as exc:  # exifread raises many kinds on corrupt files
        raise PhotoRejected(f"corrupt EXIF ({type(exc).__name__}: {exc})") from None
    info = photo_info_from_tags(tags)
    if ext in HEIF_EXTENSIONS:
        return info
    try:
        info.width, info.height = _pixel_size(path)
    except Exception as exc:  # a corrupt image body still has usable EXIF
        if info.width is None:
            raise PhotoRejected(f"unreadable image ({type(exc).__name__}: {exc})") from None
    return info


def scan_folder(folder: str, recursive: bool = True) -> Iterator[PhotoResult]:
    """Yield one PhotoResult per file; never raises for a bad file."""
    return scan_paths(folder, list_files(folder, recursive))


def scan_paths(folder: str, paths) -> Iterator[PhotoResult]:
    """scan_folder for files already listed (callers that need the count for progress)."""
    for path in paths:
        rel = os.path.relpath(path, folder).replace(os.sep, "/")
        try:
            yield PhotoResult(path, rel, info=read_photo(path))
        except PhotoRejected as exc:
            yield PhotoResult(path, rel, reason=str(exc))
