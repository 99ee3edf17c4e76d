"""scenicheatmap:importyfcc - photos from the YFCC100M dump, offline and without a Flickr key
(core/photos/yfcc.py)."""

import os

from qgis.core import QgsCoordinateReferenceSystem, QgsGeometry, QgsPointXY, QgsWkbTypes
from qgis.PyQt.QtCore import QDateTime, QVariant

from ..core.flickr.vocabulary import DATE_FIELDS, license_choices
from ..core.photos import downloads, yfcc
from .support.base import ScenicAlgorithm, progress
from .support.fields import PHOTO_FIELDS, as_date, make_fields
from .support.parameters import enum, integer, simple, sink
from .support.sinks import Sink

FIELDS = (
    *PHOTO_FIELDS,
    ("geotag_accuracy", QVariant.Int),
    ("license", QVariant.String),
    ("page_url", QVariant.String),
    ("image_url", QVariant.String),
    ("image_path", QVariant.String),
)
LICENSE_IDS = sorted(set(yfcc.LICENSE_IDS.values()))  # the Creative Commons licences of the dump
WGS84 = QgsCoordinateReferenceSystem("EPSG:4326")


class ImportYfccAlgorithm(ScenicAlgorithm):
    NAME = "importyfcc"
    DISPLAY = "Import YFCC100M photos"
    GROUP = "Photos"
    PARAMETERS = (
        # the release's file has no extension: without a filter QGIS 3.22 refuses such a name
        simple("file", "INPUT", "YFCC100M metadata file (plain or .bz2)", file_filter="YFCC100M metadata (*)"),
        simple("extent", "EXTENT", "Extent", optional=True),
        simple("date", "START", "Start date", optional=True),
        simple("date", "END", "End date (inclusive)", optional=True),
        enum("DATE_FIELD", "Date field", DATE_FIELDS),
        integer("MIN_ACCURACY", "Minimum geotag accuracy (1-16)", 16, minimum=1, maximum=16),
        enum(
            "LICENSES",
            "Licences (none selected: all)",
            license_choices(LICENSE_IDS),
            None,
            multiple=True,
            optional=True,
        ),
        simple(
            "folder_out", "IMAGE_FOLDER", "Image folder (optional: download the images)", optional=True, create=False
        ),
        sink("OUTPUT", "YFCC100M photos", "point"),
    )
    OUTPUTS = {"numbers": ("PHOTOS", "LINES", "MALFORMED", "VIDEOS", "DOWNLOADED", "DEAD_LINKS")}
    KEEP_ON_FAILURE = ("IMAGE_FOLDER",)  # downloaded images stay for the next run, which skips them
    HELP = (
        "Photos without a paid Flickr key: YFCC100M is the Creative Commons dump of 100 million Flickr photos "
        "and videos, about 48 million of them geotagged, with owner, dates and position accuracy: the same kind "
        "of data as the study's, offline. The metadata file (25 tab-separated columns, about 15 GB compressed) "
        "is read as a stream, plain or bz2: memory stays flat, progress shows the bytes read, and the run can "
        "be cancelled. Malformed lines are counted and reported, never fatal.<br>"
        "Keeps photos (not videos) inside the <b>extent</b>, between <b>start</b> and <b>end</b> (inclusive, on "
        "the date of upload or the date taken), with a geotag accuracy of at least <b>minimum accuracy</b> (16: "
        "street level) and, when chosen, one of the <b>licences</b>. The output has the harvest's field names, "
        "so every later step works on it unchanged: classify, districts, heat maps with photo-user-days, hot "
        "spots, the price model.<br><b>Image folder</b> (optional): downloads each kept photo's image once, with "
        "its position written into its EXIF; many of the dump's links are dead, and those are counted. Run "
        "again with the same folder to resume: images already there are not downloaded again."
    )

    def processAlgorithm(self, parameters, context, feedback):
        v = self.read(parameters, context)
        wanted = yfcc.YfccFilter(
            self._bbox(parameters, context),
            as_date(v.start),
            as_date(v.end),
            DATE_FIELDS[v.date_field],
            v.min_accuracy,
            {LICENSE_IDS[i] for i in v.licenses} if v.licenses else None,
        )
        stats = yfcc.YfccStats()
        kept = list(yfcc.read(v.input, wanted, stats, progress(feedback, 0.0, 0.5 if v.image_folder else 1.0)))
        feedback.pushInfo(stats.describe())
        if stats.malformed:
            feedback.pushWarning(f"{stats.malformed} malformed lines were skipped.")
        images, got = self._download(v.image_folder, kept, feedback) if v.image_folder else ({}, {})
        out = Sink(self, parameters, "OUTPUT", context, make_fields(FIELDS), QgsWkbTypes.Point, WGS84)
        for record in kept:
            values = dict(record, taken=_qdatetime(record["taken"]), uploaded=_qdatetime(record["uploaded"]))
            values["image_path"] = images.get(record["photo_id"])
            out.add(
                [values[name] for name, _ in FIELDS], QgsGeometry.fromPointXY(QgsPointXY(record["lon"], record["lat"]))
            )
        counts = {"PHOTOS": stats.kept, "LINES": stats.lines, "MALFORMED": stats.malformed, "VIDEOS": stats.videos}
        counts.update(DOWNLOADED=got.get("downloaded", 0), DEAD_LINKS=got.get("dead", 0))
        return {"OUTPUT": out.dest, "IMAGE_FOLDER": v.image_folder or None, **counts}

    @staticmethod
    def _download(folder, kept, feedback) -> tuple:
        """The kept photos' images through the shared downloader (core/photos/downloads.py), each once,
        with its position in EXIF; many of the dump's links are dead: counted, never fatal."""
        os.makedirs(folder, exist_ok=True)
        store, fetcher = downloads.ImageStore(folder), downloads.Fetcher(cancelled=feedback.isCanceled)
        items = [(r["photo_id"], r["image_url"], (r["lat"], r["lon"]), r["taken"]) for r in kept]
        bar = progress(feedback, 0.5, 1.0)
        try:
            counts = downloads.download_all(store, fetcher, items, lambda n: bar.report(n / max(len(items), 1)))
        finally:
            fetcher.close()
        feedback.pushInfo(
            f"Images: {counts['downloaded']} downloaded, {counts['on_disk']} already there, "
            f"{counts['dead']} dead links, {counts['failed']} failed (run again to retry)."
        )
        paths = {r["photo_id"]: store.path_for(r["photo_id"]) for r in kept}
        return {k: p for k, p in paths.items() if os.path.exists(p)}, counts

    def _bbox(self, parameters, context):
        if parameters.get("EXTENT") in (None, ""):
            return None
        extent = self.parameterAsExtent(parameters, "EXTENT", context, WGS84)
        return extent.xMinimum(), extent.yMinimum(), extent.xMaximum(), extent.yMaximum()


def _qdatetime(value):
    return None if value is None else QDateTime(value)
