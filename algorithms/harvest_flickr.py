"""scenicheatmap:harvestflickr - public Flickr photos with GNSS positions, resumable."""

import datetime
import os

from qgis.core import (
    QgsApplication,
    QgsAuthMethodConfig,
    QgsCoordinateReferenceSystem,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingException,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QDate, QDateTime, QVariant

from ..core.flickr.client import REST_URL, FlickrClient
from ..core.flickr.harvest import Harvester, HarvestParams
from ..core.flickr.vocabulary import DATE_FIELDS, LICENSES, license_choices
from .support.base import ScenicAlgorithm
from .support.fields import PHOTO_FIELDS, make_fields
from .support.map_tips import attach_map_tip
from .support.parameters import boolean, enum, integer, number, simple, sink
from .support.sinks import Sink

KEY_ENV, SECRET_ENV = "SCENIC_HEATMAP_FLICKR_KEY", "SCENIC_HEATMAP_FLICKR_SECRET"
HARVEST_FIELDS = (
    *PHOTO_FIELDS,
    ("gnss", QVariant.Bool),
    ("geotag_lat", QVariant.Double),
    ("geotag_lon", QVariant.Double),
    ("geotag_accuracy", QVariant.Int),
    ("gnss_geotag_m", QVariant.Double),
    ("license", QVariant.String),
    ("page_url", QVariant.String),
    ("image_path", QVariant.String),
    ("width", QVariant.Int),
    ("height", QVariant.Int),
)


def credentials(authcfg: str, key: str, secret: str):
    """Key and secret from the QGIS authentication database, the parameters or the environment."""
    if authcfg:
        if authcfg not in QgsApplication.authManager().configIds():
            raise QgsProcessingException(
                f"AUTHCFG: there is no authentication configuration with the id {authcfg!r} in this QGIS profile "
                "(Settings > Options > Authentication lists them)."
            )
        config = QgsAuthMethodConfig()
        if not QgsApplication.authManager().loadAuthenticationConfig(authcfg, config, True):
            raise QgsProcessingException(f"Cannot read authentication configuration {authcfg!r}.")
        key, secret = config.config("username"), config.config("password")
        if not key or not secret:
            raise QgsProcessingException(
                f"Authentication configuration {authcfg!r} must be of type Basic, with the API key as "
                "user name and the secret as password."
            )
        return key, secret
    key = key or os.environ.get(KEY_ENV, "")
    secret = secret or os.environ.get(SECRET_ENV, "")
    if not key or not secret:
        raise QgsProcessingException(
            "A Flickr API key and secret are needed: an authentication configuration (AUTHCFG, preferred), "
            f"API_KEY and API_SECRET, or the environment variables {KEY_ENV} and {SECRET_ENV}."
        )
    return key, secret


def _qdatetime(text):
    return QDateTime.fromString(text, "yyyy-MM-ddTHH:mm:ss") if text else None


class HarvestFlickrAlgorithm(ScenicAlgorithm):
    NAME = "harvestflickr"
    OUTPUTS = {"numbers": ("PHOTOS", "CANDIDATES", "API_CALLS")}
    KEEP_ON_FAILURE = ("IMAGE_FOLDER",)  # downloaded images and the resume journal survive a cancel
    REQUIRES = ("flickrapi", "requests", "exifread", "piexif", "PIL")
    DISPLAY = "Harvest Flickr photos with GNSS positions"
    GROUP = "Photos"
    HELP = (
        "Downloads public Flickr photos inside an extent and time window whose EXIF holds a real GNSS "
        "position, and makes one point per photo. Leave it running overnight: it resumes.<br><br>"
        "<b>Credentials</b>: an authentication configuration of type Basic (API key as user name, secret "
        "as password) is preferred; API_KEY/API_SECRET or the environment variables "
        f"{KEY_ENV}/{SECRET_ENV} also work. They never appear in logs, outputs or state files.<br>"
        "<b>Start/End</b> (inclusive; default the study's year 2016-06-30 to 2017-06-30), <b>date field</b> "
        "(upload as in the study, or taken) and <b>block days</b> cut the window into blocks; a block with "
        "more than Flickr's 4,000-result cap is split until every piece is under it.<br>"
        "<b>GNSS only</b>: keep only photos with GPS in EXIF; otherwise also Flickr geotags with accuracy "
        "at least <b>minimum accuracy</b> (16 = street level), with gnss = false.<br>"
        "<b>Max edge</b>: downloads the largest size whose longer edge fits (default 1024 px), never the "
        "original unless allowed. Each image is downloaded once, named by its photo id, with GPS, "
        "DateTimeOriginal and GPSDateStamp written into it.<br>"
        "<b>Image folder</b> also holds the harvest state: run again with the same parameters and folder "
        "to resume after a cancel, a crash or a kill.<br>"
        "Costs about one API call per candidate photo; MAX_CALLS_PER_HOUR (default 3600, Flickr's limit) "
        "holds across the PARALLEL workers. Output: photo_id, owner, owner_name, title, taken, uploaded, "
        "lat, lon (GNSS), gnss, geotag_lat, geotag_lon, geotag_accuracy, gnss_geotag_m, license, page_url, "
        "image_path, width, height."
    )

    PARAMETERS = (
        simple("authcfg", "AUTHCFG", "Flickr credentials", optional=True),
        simple("string", "API_KEY", "API key (prefer credentials)", optional=True),
        simple("string", "API_SECRET", "API secret", optional=True),
        simple("extent", "EXTENT", "Extent"),
        simple("date", "START", "Start date", default=QDate(2016, 6, 30)),
        simple("date", "END", "End date (inclusive)", default=QDate(2017, 6, 30)),
        enum("DATE_FIELD", "Date field", DATE_FIELDS),
        number("BLOCK_DAYS", "Block length (days)", 7.0, minimum=0.001),
        boolean("GNSS_ONLY", "GNSS positions only", True),
        integer("MIN_ACCURACY", "Minimum geotag accuracy (1-16)", 16, minimum=1, maximum=16),
        enum(
            "LICENSES", "Licences (none selected: all)", license_choices(LICENSES), None, multiple=True, optional=True
        ),
        integer("MAX_EDGE", "Max image edge (pixels)", 1024, minimum=75),
        simple("folder_out", "IMAGE_FOLDER", "Image folder"),
        sink("OUTPUT", "Flickr photos", "point"),
        boolean("ALLOW_ORIGINAL", "Allow original size", False, advanced=True),
        simple(
            "string", "API_ENDPOINT", "API endpoint", default="https://api.flickr.com/services/rest/", advanced=True
        ),
        integer("MAX_CALLS_PER_HOUR", "Max API calls per hour", 3600, minimum=1, advanced=True),
        integer("PARALLEL", "Parallel requests", 3, minimum=1, maximum=16, advanced=True),
    )

    def processAlgorithm(self, parameters, context, feedback):
        v = self.read(parameters, context)
        key, secret = credentials(v.authcfg, v.api_key, v.api_secret)
        endpoint = v.api_endpoint or REST_URL
        if not endpoint.startswith(("http://", "https://")):
            raise QgsProcessingException(f"The API endpoint must be an http(s) URL, not {endpoint!r}.")
        with FlickrClient(key, secret, endpoint=endpoint, retries=2, backoff=0.5) as probe:
            probe.check_key()  # a refused or expired key stops here, before the image folder holds anything
        harvester = Harvester(
            self._params(v, parameters, context),
            v.image_folder,
            lambda **kwargs: FlickrClient(key, secret, endpoint=endpoint, **kwargs),
            max_calls_per_hour=v.max_calls_per_hour,
            parallel=v.parallel,
            progress=lambda stats: _report(feedback, stats),
            cancelled=feedback.isCanceled,
            log=feedback.pushDebugInfo,
        )
        records = harvester.run()  # core's errors and its cancel say how to resume (support/base.py shows them)
        stats = harvester.stats
        feedback.pushInfo(
            f"{len(records)} photos kept from {stats.candidates} new candidates: {stats.no_gnss} without GNSS, "
            f"{stats.exif_private} with private EXIF, {stats.gone} gone, {stats.no_size} without a small "
            f"enough size, {stats.failed} failed (retried on the next run); {stats.api_calls} API calls, "
            f"{stats.splits} blocks split at the 4,000 cap, {stats.duplicates} repeats dropped."
        )
        wgs84 = QgsCoordinateReferenceSystem("EPSG:4326")
        out = Sink(self, parameters, "OUTPUT", context, make_fields(HARVEST_FIELDS), QgsWkbTypes.Point, wgs84)
        for record in records:
            values = dict(record, image_path=os.path.join(v.image_folder, record["image_path"]))
            values.update(taken=_qdatetime(record["taken"]), uploaded=_qdatetime(record["uploaded"]))
            point = QgsGeometry.fromPointXY(QgsPointXY(record["lon"], record["lat"]))
            out.add([values[name] for name, _ in HARVEST_FIELDS], point)
        attach_map_tip(context, out.dest, "image_path", name="Flickr photos with GNSS positions")
        counts = {"PHOTOS": len(records), "CANDIDATES": stats.candidates, "API_CALLS": stats.api_calls}
        return {"OUTPUT": out.dest, "IMAGE_FOLDER": v.image_folder, **counts}

    def _params(self, v, parameters, context) -> HarvestParams:
        extent = self.parameterAsExtent(parameters, "EXTENT", context, QgsCoordinateReferenceSystem("EPSG:4326"))
        start, end = v.start.date(), v.end.date()
        return HarvestParams(
            bbox=(extent.xMinimum(), extent.yMinimum(), extent.xMaximum(), extent.yMaximum()),
            start=datetime.date(start.year(), start.month(), start.day()),
            end=datetime.date(end.year(), end.month(), end.day()),
            date_field=DATE_FIELDS[v.date_field],
            block_days=v.block_days,
            gnss_only=v.gnss_only,
            min_accuracy=v.min_accuracy,
            licenses=sorted(v.licenses) or None,  # the choice index is the licence id
            max_edge=v.max_edge,
            allow_original=v.allow_original,
        )


def _report(feedback, stats):
    if stats.blocks_total:
        feedback.setProgress(100.0 * stats.blocks_done / stats.blocks_total)
    feedback.setProgressText(
        f"blocks {stats.blocks_done}/{stats.blocks_total}, photos kept {stats.kept}, candidates {stats.candidates}"
    )
