"""scenicheatmap:importphotos - a folder of geotagged photos to a point layer."""

import os

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingException,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QDateTime, QVariant

from ..core.photos.folder import list_files, scan_paths
from .support.base import ScenicAlgorithm
from .support.fields import make_fields
from .support.map_tips import attach_map_tip
from .support.parameters import boolean, file_in, sink
from .support.sinks import Sink

PHOTO_FIELDS = (
    ("photo_id", QVariant.String),
    ("path", QVariant.String),
    ("taken", QVariant.DateTime),
    ("lat", QVariant.Double),
    ("lon", QVariant.Double),
    ("altitude", QVariant.Double),
    ("direction", QVariant.Double),
    ("gnss", QVariant.Bool),
    ("make", QVariant.String),
    ("model", QVariant.String),
    ("width", QVariant.Int),
    ("height", QVariant.Int),
    ("owner", QVariant.String),
)


class ImportPhotosAlgorithm(ScenicAlgorithm):
    FOLDER = "FOLDER"
    RECURSIVE = "RECURSIVE"
    OUTPUT = "OUTPUT"
    INVALID = "INVALID"

    NAME = "importphotos"
    OUTPUTS = {"numbers": ("PHOTOS", "REJECTED")}
    REQUIRES = ("exifread", "PIL")
    DISPLAY = "Import geotagged photos"
    GROUP = "Photos"
    HELP = (
        "Reads the GNSS position that cameras and phones write into a photo's EXIF "
        "and makes one point per photo (EPSG:4326).<br><br>"
        "<b>Folder</b>: where the photos are. <b>Include sub-folders</b>: search recursively.<br>"
        "<b>Photo points</b>: photo_id (path relative to the folder), path, taken "
        "(DateTimeOriginal), lat, lon, altitude, direction, gnss, make, model, width, height, "
        "owner (EXIF CameraOwnerName or Artist; the heat map's per-person weighting uses it).<br>"
        "<b>Rejected files</b>: every file that gave no point, with the reason: no GPS "
        "position, broken or out-of-range coordinates, corrupt file, not a JPEG/HEIC photo. "
        "A bad file never stops the run.<br><br>"
        "Southern and western hemispheres are negative. HEIC/HEIF photos are read too "
        "(their EXIF; the pixel size comes from EXIF)."
    )

    PARAMETERS = (
        file_in("FOLDER", "Folder with photos", folder=True),
        boolean("RECURSIVE", "Include sub-folders", True),
        sink("OUTPUT", "Photo points", "point"),
        sink("INVALID", "Rejected files", "table", optional=True, create=False),
    )

    def processAlgorithm(self, parameters, context, feedback):
        folder = self.parameterAsFile(parameters, self.FOLDER, context)
        recursive = self.parameterAsBool(parameters, self.RECURSIVE, context)
        if folder and os.path.exists(folder) and not os.path.isdir(folder):
            raise QgsProcessingException(self.tr(f"FOLDER: {folder} is a file, not a folder of photos."))
        if not folder or not os.path.isdir(folder):
            raise QgsProcessingException(self.tr(f"FOLDER: the photo folder does not exist: {folder}"))
        try:
            paths = list_files(folder, recursive)
        except OSError as exc:
            raise QgsProcessingException(self.tr(f"Cannot list the photo folder: {exc}")) from None

        wgs84 = QgsCoordinateReferenceSystem("EPSG:4326")
        photos = Sink(self, parameters, self.OUTPUT, context, make_fields(PHOTO_FIELDS), QgsWkbTypes.Point, wgs84)
        reasons = make_fields((("path", QVariant.String), ("reason", QVariant.String)))
        invalid = Sink(self, parameters, self.INVALID, context, reasons, QgsWkbTypes.NoGeometry, optional=True)
        kept = rejected = 0
        total = max(len(paths), 1)
        for index, result in enumerate(scan_paths(folder, paths)):
            if feedback.isCanceled():
                raise QgsProcessingException(self.tr("Cancelled."))
            info, path, relative = result.info, result.path, result.relative_path
            if info is None:
                rejected += 1
                invalid.add([path, result.reason])
                feedback.pushDebugInfo(f"{relative}: {result.reason}")
            else:
                kept += 1
                photos.add(_row(info, relative, path), QgsGeometry.fromPointXY(QgsPointXY(info.lon, info.lat)))
            feedback.setProgress(100.0 * (index + 1) / total)

        feedback.pushInfo(self.tr(f"{kept} photos with a GNSS position, {rejected} files rejected."))
        attach_map_tip(context, photos.dest, "path", name="Photos with GNSS positions")
        results = {self.OUTPUT: photos.dest, "PHOTOS": kept, "REJECTED": rejected}
        if invalid.dest is not None:
            results[self.INVALID] = invalid.dest
        return results


def _row(info, relative: str, path: str) -> list:
    """One photo's attributes, in PHOTO_FIELDS order."""
    taken = QDateTime(info.taken) if info.taken else None
    return [relative, path, taken, info.lat, info.lon, info.altitude, info.direction, True] + [
        info.make,
        info.model,
        info.width,
        info.height,
        info.owner or None,
    ]
