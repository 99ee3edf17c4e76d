"""scenicheatmap:harvestcommons - geotagged photos from Wikimedia Commons, no key (core/commons)."""

import os

from qgis.core import QgsCoordinateReferenceSystem, QgsGeometry, QgsPointXY, QgsWkbTypes
from qgis.PyQt.QtCore import QDateTime, QVariant

from ..core.commons.harvest import API, CommonsError, CommonsHarvester, CommonsParams
from .support.base import ScenicAlgorithm, progress
from .support.fields import PHOTO_FIELDS, as_date, make_fields
from .support.map_tips import attach_map_tip
from .support.parameters import integer, simple, sink
from .support.sinks import Sink

FIELDS = (
    *PHOTO_FIELDS,
    ("position_source", QVariant.String),
    ("license", QVariant.String),
    ("page_url", QVariant.String),
    ("image_path", QVariant.String),
)
WGS84 = QgsCoordinateReferenceSystem("EPSG:4326")


class HarvestCommonsAlgorithm(ScenicAlgorithm):
    NAME = "harvestcommons"
    DISPLAY = "Harvest Wikimedia Commons photos"
    GROUP = "Photos"
    REQUIRES = ("requests", "piexif", "exifread", "PIL")
    KEEP_ON_FAILURE = ("IMAGE_FOLDER",)  # downloaded images and the resume journal survive a cancel
    PARAMETERS = (
        simple("extent", "EXTENT", "Extent"),
        simple("date", "START", "Start date (taken)", optional=True),
        simple("date", "END", "End date (taken, inclusive)", optional=True),
        simple("folder_out", "IMAGE_FOLDER", "Image folder"),
        sink("OUTPUT", "Commons photos", "point"),
        simple("string", "API_ENDPOINT", "API endpoint", default=API, advanced=True),
        integer("MAX_EDGE", "Max image edge (pixels)", 1024, minimum=75, advanced=True),
    )
    OUTPUTS = {"numbers": ("PHOTOS", "FILES", "NO_CAMERA_POSITION", "DOWNLOADS", "DEAD_LINKS")}
    HELP = (
        "Photos without a key: geotagged files of Wikimedia Commons, under free licences, through the "
        "MediaWiki Action API (GeoData's search over files, with image info). The extent is searched in tiles; "
        "a tile the API finds too big is split. Only the <b>camera's position</b> is kept (the photo's GPS, or "
        "the Location template): files that give only the position of what they depict are counted and left "
        "out, and each feature says where its position came from. <b>Start</b> and <b>end</b> are on the date "
        "taken. Each image is downloaded once into the <b>image folder</b>, scaled to the <b>max edge</b>, with "
        "its position in EXIF; names are page ids, never titles. Run again with the same parameters and folder "
        "to resume after a cancel or a kill. Busy answers (5xx, 429, maxlag) are retried politely, and the "
        "requests carry a User-Agent with contact, as Wikimedia asks. The output has the harvest's field "
        "names (owner is the uploader), so every later step works on it unchanged."
    )

    def processAlgorithm(self, parameters, context, feedback):
        v = self.read(parameters, context)
        extent = self.parameterAsExtent(parameters, "EXTENT", context, WGS84)
        bbox = (extent.xMinimum(), extent.yMinimum(), extent.xMaximum(), extent.yMaximum())
        params = CommonsParams(bbox, as_date(v.start), as_date(v.end), v.max_edge)
        if not (v.api_endpoint or API).startswith(("http://", "https://")):
            raise CommonsError(f"API_ENDPOINT: not an http(s) address: {v.api_endpoint!r}.")  # before any folder
        os.makedirs(v.image_folder, exist_ok=True)
        harvester = CommonsHarvester(params, v.image_folder, v.api_endpoint or API, progress(feedback))
        records = harvester.run()  # a cancel says how to resume (support/base.py shows it)
        s = harvester.stats
        feedback.pushInfo(
            f"{len(records)} photos from {s.files} files in {s.tiles} tiles ({s.splits} split): {s.no_camera_position} "
            f"without the camera's position, {s.out_of_dates} outside the dates, {s.dead} dead image links, "
            f"{s.downloads} downloads, {s.retries} retries."
        )
        out = Sink(self, parameters, "OUTPUT", context, make_fields(FIELDS), QgsWkbTypes.Point, WGS84)
        for record in records:
            values = dict(record, image_path=os.path.join(v.image_folder, record["image_path"]))
            values["taken"] = QDateTime.fromString(record["taken"], "yyyy-MM-dd") if record["taken"] else None
            values["uploaded"] = None  # Commons gives the upload time per revision, not asked for
            out.add(
                [values[name] for name, _ in FIELDS], QgsGeometry.fromPointXY(QgsPointXY(record["lon"], record["lat"]))
            )
        attach_map_tip(context, out.dest, "image_path", name="Wikimedia Commons photos (camera positions)")
        counts = {"PHOTOS": len(records), "FILES": s.files, "NO_CAMERA_POSITION": s.no_camera_position}
        counts.update(DOWNLOADS=s.downloads, DEAD_LINKS=s.dead)
        return {"OUTPUT": out.dest, "IMAGE_FOLDER": v.image_folder, **counts}
