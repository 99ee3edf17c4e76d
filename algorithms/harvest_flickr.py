"""scenicheatmap:harvestflickr - public Flickr photos with GNSS positions, resumable."""

import datetime
import os

from qgis.core import (
    QgsApplication,
    QgsAuthMethodConfig,
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsGeometry,
    QgsPointXY,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterAuthConfig,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDateTime,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QDate, QDateTime, QVariant

from ..core.flickr.client import REST_URL, FlickrClient, FlickrPermanentError, HarvestCancelled, TransientError
from ..core.flickr.harvest import Harvester, HarvestParams
from .support.base import ScenicAlgorithm
from .support.fields import make_fields
from .support.map_tips import attach_map_tip
from .support.sinks import write_feature

KEY_ENV, SECRET_ENV = "SCENIC_HEATMAP_FLICKR_KEY", "SCENIC_HEATMAP_FLICKR_SECRET"
LICENSES = [
    "0 All rights reserved",
    "1 CC BY-NC-SA 2.0",
    "2 CC BY-NC 2.0",
    "3 CC BY-NC-ND 2.0",
    "4 CC BY 2.0",
    "5 CC BY-SA 2.0",
    "6 CC BY-ND 2.0",
    "7 No known copyright restrictions",
    "8 United States Government Work",
    "9 CC0 1.0",
    "10 Public Domain Mark 1.0",
]
DATE_FIELDS = ("upload", "taken")
HARVEST_FIELDS = (
    ("photo_id", QVariant.String),
    ("owner", QVariant.String),
    ("owner_name", QVariant.String),
    ("title", QVariant.String),
    ("taken", QVariant.DateTime),
    ("uploaded", QVariant.DateTime),
    ("lat", QVariant.Double),
    ("lon", QVariant.Double),
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
    AUTHCFG = "AUTHCFG"
    API_KEY = "API_KEY"
    API_SECRET = "API_SECRET"
    EXTENT = "EXTENT"
    START = "START"
    END = "END"
    DATE_FIELD = "DATE_FIELD"
    BLOCK_DAYS = "BLOCK_DAYS"
    GNSS_ONLY = "GNSS_ONLY"
    MIN_ACCURACY = "MIN_ACCURACY"
    LICENSES = "LICENSES"
    MAX_EDGE = "MAX_EDGE"
    ALLOW_ORIGINAL = "ALLOW_ORIGINAL"
    IMAGE_FOLDER = "IMAGE_FOLDER"
    OUTPUT = "OUTPUT"
    API_ENDPOINT = "API_ENDPOINT"
    MAX_CALLS_PER_HOUR = "MAX_CALLS_PER_HOUR"
    PARALLEL = "PARALLEL"

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

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterAuthConfig(self.AUTHCFG, self.tr("Flickr credentials"), optional=True))
        for name, label in ((self.API_KEY, "API key (prefer credentials)"), (self.API_SECRET, "API secret")):
            self.addParameter(QgsProcessingParameterString(name, self.tr(label), optional=True))
        self.addParameter(QgsProcessingParameterExtent(self.EXTENT, self.tr("Extent")))
        self.addParameter(
            QgsProcessingParameterDateTime(
                self.START, self.tr("Start date"), QgsProcessingParameterDateTime.Date, QDate(2016, 6, 30)
            )
        )
        self.addParameter(
            QgsProcessingParameterDateTime(
                self.END, self.tr("End date (inclusive)"), QgsProcessingParameterDateTime.Date, QDate(2017, 6, 30)
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.DATE_FIELD, self.tr("Date field"), options=list(DATE_FIELDS), defaultValue=0
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.BLOCK_DAYS,
                self.tr("Block length (days)"),
                QgsProcessingParameterNumber.Double,
                7.0,
                minValue=0.001,
            )
        )
        self.addParameter(QgsProcessingParameterBoolean(self.GNSS_ONLY, self.tr("GNSS positions only"), True))
        self.addParameter(
            QgsProcessingParameterNumber(
                self.MIN_ACCURACY, self.tr("Minimum geotag accuracy (1-16)"), defaultValue=16, minValue=1, maxValue=16
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.LICENSES,
                self.tr("Licences (none selected: all)"),
                options=LICENSES,
                allowMultiple=True,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.MAX_EDGE, self.tr("Max image edge (pixels)"), defaultValue=1024, minValue=75
            )
        )
        self.addParameter(QgsProcessingParameterFolderDestination(self.IMAGE_FOLDER, self.tr("Image folder")))
        self.addParameter(
            QgsProcessingParameterFeatureSink(self.OUTPUT, self.tr("Flickr photos"), QgsProcessing.TypeVectorPoint)
        )
        advanced = [
            QgsProcessingParameterBoolean(self.ALLOW_ORIGINAL, self.tr("Allow original size"), False),
            QgsProcessingParameterString(self.API_ENDPOINT, self.tr("API endpoint"), REST_URL),
            QgsProcessingParameterNumber(
                self.MAX_CALLS_PER_HOUR, self.tr("Max API calls per hour"), defaultValue=3600, minValue=1
            ),
            QgsProcessingParameterNumber(
                self.PARALLEL, self.tr("Parallel requests"), defaultValue=3, minValue=1, maxValue=16
            ),
        ]
        for parameter in advanced:
            parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
            self.addParameter(parameter)

    def _params(self, parameters, context):
        extent = self.parameterAsExtent(parameters, self.EXTENT, context, QgsCoordinateReferenceSystem("EPSG:4326"))
        start = self.parameterAsDateTime(parameters, self.START, context).date()
        end = self.parameterAsDateTime(parameters, self.END, context).date()
        # an unset optional multi-enum still reads as [0]: look at the raw value
        chosen = parameters.get(self.LICENSES) not in (None, "", [])
        licenses = self.parameterAsEnums(parameters, self.LICENSES, context) if chosen else []
        return HarvestParams(
            bbox=(extent.xMinimum(), extent.yMinimum(), extent.xMaximum(), extent.yMaximum()),
            start=datetime.date(start.year(), start.month(), start.day()),
            end=datetime.date(end.year(), end.month(), end.day()),
            date_field=DATE_FIELDS[self.parameterAsEnum(parameters, self.DATE_FIELD, context)],
            block_days=self.parameterAsDouble(parameters, self.BLOCK_DAYS, context),
            gnss_only=self.parameterAsBool(parameters, self.GNSS_ONLY, context),
            min_accuracy=self.parameterAsInt(parameters, self.MIN_ACCURACY, context),
            licenses=sorted(licenses) or None,
            max_edge=self.parameterAsInt(parameters, self.MAX_EDGE, context),
            allow_original=self.parameterAsBool(parameters, self.ALLOW_ORIGINAL, context),
        )

    def processAlgorithm(self, parameters, context, feedback):
        key, secret = credentials(
            self.parameterAsString(parameters, self.AUTHCFG, context),
            self.parameterAsString(parameters, self.API_KEY, context),
            self.parameterAsString(parameters, self.API_SECRET, context),
        )
        params = self._params(parameters, context)
        folder = self.parameterAsString(parameters, self.IMAGE_FOLDER, context)
        endpoint = self.parameterAsString(parameters, self.API_ENDPOINT, context) or REST_URL
        if not endpoint.startswith(("http://", "https://")):
            raise QgsProcessingException(f"The API endpoint must be an http(s) URL, not {endpoint!r}.")

        def factory(**kwargs):
            return FlickrClient(key, secret, endpoint=endpoint, **kwargs)

        def progress(stats):
            if stats.blocks_total:
                feedback.setProgress(100.0 * stats.blocks_done / stats.blocks_total)
            feedback.setProgressText(
                f"blocks {stats.blocks_done}/{stats.blocks_total}, photos kept {stats.kept}, "
                f"candidates {stats.candidates}"
            )

        try:
            harvester = Harvester(
                params,
                folder,
                factory,
                max_calls_per_hour=self.parameterAsInt(parameters, self.MAX_CALLS_PER_HOUR, context),
                parallel=self.parameterAsInt(parameters, self.PARALLEL, context),
                progress=progress,
                cancelled=feedback.isCanceled,
                log=feedback.pushDebugInfo,
            )
            records = harvester.run()
        except HarvestCancelled:
            raise QgsProcessingException(
                "Cancelled. Run again with the same parameters and image folder to resume."
            ) from None
        except FlickrPermanentError as exc:
            raise QgsProcessingException(str(exc)) from None
        except TransientError as exc:
            raise QgsProcessingException(
                f"Flickr did not answer ({exc}). Run again with the same parameters and image folder to resume."
            ) from None
        except OSError as exc:
            raise QgsProcessingException(f"Cannot write to the image folder: {exc}") from None

        stats = harvester.stats
        feedback.pushInfo(
            f"{len(records)} photos kept from {stats.candidates} new candidates: {stats.no_gnss} without GNSS, "
            f"{stats.exif_private} with private EXIF, {stats.gone} gone, {stats.no_size} without a small "
            f"enough size, {stats.failed} failed (retried on the next run); {stats.api_calls} API calls, "
            f"{stats.splits} blocks split at the 4,000 cap, {stats.duplicates} repeats dropped."
        )

        fields = make_fields(HARVEST_FIELDS)
        sink, dest = self.parameterAsSink(
            parameters, self.OUTPUT, context, fields, QgsWkbTypes.Point, QgsCoordinateReferenceSystem("EPSG:4326")
        )
        if sink is None:
            raise QgsProcessingException(self.invalidSinkError(parameters, self.OUTPUT))
        for record in records:
            feature = QgsFeature(fields)
            feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(record["lon"], record["lat"])))
            values = dict(
                record,
                image_path=os.path.join(folder, record["image_path"]),
                taken=_qdatetime(record["taken"]),
                uploaded=_qdatetime(record["uploaded"]),
            )
            feature.setAttributes([values[name] for name, _ in HARVEST_FIELDS])
            write_feature(sink, feature, "OUTPUT")
        attach_map_tip(context, dest, "image_path")
        return {
            self.OUTPUT: dest,
            self.IMAGE_FOLDER: folder,
            "PHOTOS": len(records),
            "CANDIDATES": stats.candidates,
            "API_CALLS": stats.api_calls,
        }
