"""scenicheatmap:importyfcc - photos from the YFCC100M dump, offline and without a Flickr key
(core/photos/yfcc.py)."""

import datetime

from qgis.core import QgsCoordinateReferenceSystem, QgsGeometry, QgsPointXY, QgsWkbTypes
from qgis.PyQt.QtCore import QDateTime, QVariant

from ..core.photos import yfcc
from .support.base import ScenicAlgorithm, progress
from .support.fields import make_fields
from .support.parameters import enum, integer, simple, sink
from .support.sinks import Sink

FIELDS = (
    ("photo_id", QVariant.String),
    ("owner", QVariant.String),
    ("owner_name", QVariant.String),
    ("title", QVariant.String),
    ("taken", QVariant.DateTime),
    ("uploaded", QVariant.DateTime),
    ("lat", QVariant.Double),
    ("lon", QVariant.Double),
    ("geotag_accuracy", QVariant.Int),
    ("license", QVariant.String),
    ("page_url", QVariant.String),
    ("image_url", QVariant.String),
)
LICENSE_NAMES = (
    "1 CC BY-NC-SA 2.0",
    "2 CC BY-NC 2.0",
    "3 CC BY-NC-ND 2.0",
    "4 CC BY 2.0",
    "5 CC BY-SA 2.0",
    "6 CC BY-ND 2.0",
)
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
        enum("DATE_FIELD", "Date field", yfcc.DATE_FIELDS),
        integer("MIN_ACCURACY", "Minimum geotag accuracy (1-16)", 16, minimum=1, maximum=16),
        enum("LICENSES", "Licences (none selected: all)", LICENSE_NAMES, None, multiple=True, optional=True),
        sink("OUTPUT", "YFCC100M photos", "point"),
    )
    OUTPUTS = {"numbers": ("PHOTOS", "LINES", "MALFORMED", "VIDEOS")}
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
        "spots, the price model."
    )

    def processAlgorithm(self, parameters, context, feedback):
        v = self.read(parameters, context)
        wanted = yfcc.YfccFilter(
            self._bbox(parameters, context),
            _date(v.start),
            _date(v.end),
            yfcc.DATE_FIELDS[v.date_field],
            v.min_accuracy,
            {int(LICENSE_NAMES[i].split()[0]) for i in v.licenses} if v.licenses else None,
        )
        out = Sink(self, parameters, "OUTPUT", context, make_fields(FIELDS), QgsWkbTypes.Point, WGS84)
        stats = yfcc.YfccStats()
        for record in yfcc.read(v.input, wanted, stats, progress(feedback)):
            values = dict(record, taken=_qdatetime(record["taken"]), uploaded=_qdatetime(record["uploaded"]))
            point = QgsGeometry.fromPointXY(QgsPointXY(record["lon"], record["lat"]))
            out.add([values[name] for name, _ in FIELDS], point)
        feedback.pushInfo(stats.describe())
        if stats.malformed:
            feedback.pushWarning(f"{stats.malformed} malformed lines were skipped.")
        counts = {"PHOTOS": stats.kept, "LINES": stats.lines, "MALFORMED": stats.malformed, "VIDEOS": stats.videos}
        return {"OUTPUT": out.dest, **counts}

    def _bbox(self, parameters, context):
        if parameters.get("EXTENT") in (None, ""):
            return None
        extent = self.parameterAsExtent(parameters, "EXTENT", context, WGS84)
        return extent.xMinimum(), extent.yMinimum(), extent.xMaximum(), extent.yMaximum()


def _date(value):
    """An optional date parameter as a date, or None when unset."""
    if value is None or not value.isValid():
        return None
    day = value.date()
    return datetime.date(day.year(), day.month(), day.day())


def _qdatetime(value):
    return None if value is None else QDateTime(value)
