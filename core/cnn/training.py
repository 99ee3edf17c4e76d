"""Transfer learning as in the study: a softmax head on the backbone's features. QGIS-free.

A folder with one sub-folder per class; CLASS_GROUPS may merge classes (the
study's 9 classes into valid/non_valid raised its accuracy from 74 % to 93 %).
The backbone's pooled features ("bottlenecks") are cached per image content
and augmentation, so training again with other settings costs no CNN time.
The model file is a zip of JSON (labels, metrics) and a NumPy head: nothing in
it is pickled or executed on loading.
"""

import hashlib
import io
import json
import os
import random
import zipfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Tuple

import numpy as np

from ..errors import Cancelled, UserError
from ..files import not_regular_reason
from ..packages import need
from ..report import Report, figure_png
from .calibration import best_threshold, calibrate, fit_calibration, reliability_png
from .dataset import class_images, class_names
from .decision import Decision

if TYPE_CHECKING:
    from PIL import Image

AUGMENTATIONS = ("flip", "crop", "bright")
FINE_TUNE_LR_DIVISOR = 100.0  # fine-tuning steps are this much smaller than the head's (1e-4 by default)


class TrainingError(UserError):
    """Bad training input; the message lists what to fix."""


def parse_class_groups(text: str) -> Dict[str, List[str]]:
    """`valid=valid; non_valid=event,food` -> {"valid": ["valid"], "non_valid": ["event", "food"]}."""
    groups = {}
    for part in (text or "").split(";"):
        if not part.strip():
            continue
        if "=" not in part:
            raise TrainingError(f"CLASS_GROUPS: {part.strip()!r} is not of the form group=class,class")
        name, members = part.split("=", 1)
        name = name.strip()
        classes = [c.strip() for c in members.split(",") if c.strip()]
        if not name or not classes:
            raise TrainingError(f"CLASS_GROUPS: {part.strip()!r} needs a group name and at least one class")
        groups[name] = classes
    return groups


@dataclass
class Dataset:
    paths: List[str]
    labels: List[int]
    label_names: List[str]
    original: List[str] = field(default_factory=list)  # each photo's class folder, before CLASS_GROUPS


def scan_dataset(folder: str, groups: Optional[Dict[str, List[str]]] = None) -> Dataset:
    """Images per class sub-folder, merged by groups; raises TrainingError for unusable input."""
    if not os.path.isdir(folder):
        raise TrainingError(f"The training folder does not exist: {folder}")
    classes = class_names(folder)
    if not classes:
        raise TrainingError("The training folder has no class sub-folders.")
    group_of = {c: c for c in classes}
    if groups:
        group_of = {}
        for group, members in groups.items():
            for member in members:
                group_of[member] = group
        missing = [c for c in classes if c not in group_of]
        if missing:
            raise TrainingError(f"These class folders are in no group of CLASS_GROUPS: {', '.join(missing)}")
    label_names = sorted(set(group_of[c] for c in classes))
    found = class_images(folder)
    paths = [path for _, path in found]
    labels = [label_names.index(group_of[c]) for c, _ in found]
    original = [c for c, _ in found]
    counts = {name: labels.count(i) for i, name in enumerate(label_names)}
    problems = [f"class {name!r} has {n} image(s), at least 2 are needed" for name, n in counts.items() if n < 2]
    if len(label_names) < 2:
        problems.append("there is only one class; a classifier needs at least two")
    if problems:
        raise TrainingError("Cannot train: " + "; ".join(problems) + ".")
    return Dataset(paths, labels, label_names, original)


def stratified_split(labels: List[int], validation_percent: float, test_percent: float, seed: int = 42):
    """(train, validation, test) index lists; every class keeps at least one training image."""
    rng = random.Random(seed)
    train, validation, test = [], [], []
    for label in sorted(set(labels)):
        members = [i for i, value in enumerate(labels) if value == label]
        rng.shuffle(members)
        n_test = int(round(len(members) * test_percent / 100.0))
        n_val = int(round(len(members) * validation_percent / 100.0))
        n_test = min(n_test, len(members) - 1)
        n_val = min(n_val, len(members) - 1 - n_test)
        test += members[:n_test]
        validation += members[n_test : n_test + n_val]
        train += members[n_test + n_val :]
    return sorted(train), sorted(validation), sorted(test)


def augmented(image: "Image.Image", kind: str) -> "Image.Image":
    if kind == "flip":
        return need("PIL.ImageOps").mirror(image)
    if kind == "crop":
        w, h = image.size
        return image.crop((int(w * 0.1), int(h * 0.1), int(w * 0.9), int(h * 0.9)))
    if kind == "bright":
        return need("PIL.ImageEnhance").Brightness(image).enhance(1.25)
    return image


class FeatureCache:
    """Backbone features per (image content, augmentation), as .npy files."""

    def __init__(self, directory: str):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)

    @staticmethod
    def content_key(path: str) -> str:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()

    def features(
        self,
        paths: List[str],
        kind: str,
        model,
        batch: int = 32,
        progress: Callable[[int], None] = lambda n: None,
        backbone_name: str = "efficientnet-lite0",
        stage: str = "",
    ):
        """[N, ...] model outputs (NaN for unreadable images) and the unreadable paths with reasons.

        stage names a model other than the pooled features (e.g. the trunk below fine-tuned blocks)."""
        from . import backbone

        preprocess = backbone.preprocess_for(backbone_name)
        suffix = kind if backbone_name == "efficientnet-lite0" else f"{backbone_name}_{kind}"
        suffix += f"_{stage}" if stage else ""
        out = np.full((len(paths),) + tuple(model.output.shape[1:]), np.nan, dtype=np.float32)
        unreadable, todo = [], []
        for i, path in enumerate(paths):
            odd = not_regular_reason(path)
            if odd:  # reading a FIFO would block forever
                unreadable.append((path, odd))
                continue
            try:
                key = os.path.join(self.directory, f"{self.content_key(path)}_{suffix}.npy")
            except OSError as exc:
                unreadable.append((path, f"cannot read ({exc.strerror})"))
                continue
            if os.path.exists(key):
                out[i] = np.load(key, allow_pickle=False)
            else:
                todo.append((i, path, key))
        for start in range(0, len(todo), batch):
            chunk, images = todo[start : start + batch], []
            for i, path, key in chunk:
                try:
                    with need("PIL.Image").open(path) as image:
                        images.append((i, key, preprocess(augmented(image.convert("RGB"), kind))))
                except Exception as exc:  # Pillow raises many kinds on corrupt data
                    unreadable.append((path, f"unreadable image ({type(exc).__name__})"))
            if images:
                values = model.predict(np.stack([x for _, _, x in images]), verbose=0)
                for (i, key, _), value in zip(images, values):
                    out[i] = value
                    np.save(key, value.astype(np.float32), allow_pickle=False)
            progress(min(len(todo), start + batch))
        return out, unreadable


def save_model_file(
    path: str,
    labels: List[str],
    kernel: np.ndarray,
    bias: np.ndarray,
    metrics: dict,
    backbone_name: str = "efficientnet-lite0",
    tuned: Optional[Dict[str, np.ndarray]] = None,
    fine_tuned_blocks: int = 0,
    calibration: Optional[dict] = None,
    threshold: Optional[float] = None,
    threshold_class: str = "",
):
    """The head (and, after fine-tuning, the changed backbone kernels by layer name) as npz in a zip;
    calibration and the recommended threshold of `threshold_class` in its meta.json."""
    meta = {
        "format": "scenic-heatmap-classifier",
        "version": 1,
        "backbone": backbone_name,
        "labels": list(labels),
        "metrics": metrics,
        "fine_tuned_blocks": int(fine_tuned_blocks),
        "calibration": calibration,
        "threshold": threshold,
        "threshold_class": threshold_class,
    }
    buffer = io.BytesIO()
    np.savez(buffer, kernel=kernel.astype(np.float32), bias=bias.astype(np.float32))
    tmp = f"{path}.part"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("meta.json", json.dumps(meta, indent=1))
        archive.writestr("head.npz", buffer.getvalue())
        if tuned:
            tuned_buffer = io.BytesIO()
            np.savez(tuned_buffer, **{name: value.astype(np.float32) for name, value in tuned.items()})
            archive.writestr("backbone.npz", tuned_buffer.getvalue())
    os.replace(tmp, path)


def load_tuned_weights(path: str, meta: dict) -> Dict[str, np.ndarray]:
    """The fine-tuned backbone kernels by layer name ({} without fine-tuning); only names that
    fine-tuning of meta's block count can change are accepted."""
    from .backbone import FINE_TUNE_MAX, tuned_layer_names

    blocks = meta.get("fine_tuned_blocks", 0)
    if not blocks:
        return {}
    if not isinstance(blocks, int) or not 0 < blocks <= FINE_TUNE_MAX or meta.get("backbone") != "efficientnet-lite0":
        raise TrainingError(f"{path} has an unsupported fine-tuning setting")
    try:
        with zipfile.ZipFile(path) as archive:
            with np.load(io.BytesIO(archive.read("backbone.npz")), allow_pickle=False) as stored:
                tuned = {name: stored[name] for name in stored.files}
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise TrainingError(f"{path} lacks its fine-tuned backbone weights ({exc})") from None
    if sorted(tuned) != sorted(tuned_layer_names(blocks)):
        raise TrainingError(f"{path} has fine-tuned weights for unexpected layers")
    return tuned


def load_model_file(path: str):
    """(meta, kernel [dims, n], bias [n]); raises TrainingError for anything else."""
    from .backbone import BACKBONES

    try:
        with zipfile.ZipFile(path) as archive:
            meta = json.loads(archive.read("meta.json"))
            with np.load(io.BytesIO(archive.read("head.npz")), allow_pickle=False) as head:
                kernel, bias = head["kernel"], head["bias"]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise TrainingError(f"{path} is not a classifier made by trainclassifier ({exc})") from None
    labels = meta.get("labels")
    spec = BACKBONES.get(meta.get("backbone"))
    if (
        meta.get("format") != "scenic-heatmap-classifier"
        or not isinstance(labels, list)
        or spec is None
        or kernel.shape != (spec.dims, len(labels))
        or bias.shape != (len(labels),)
    ):
        raise TrainingError(f"{path} is not a classifier made by trainclassifier")
    return meta, kernel, bias


@dataclass
class TrainResult:
    labels: List[str]
    history: Dict[str, List[float]]
    test_accuracy: Optional[float]
    precision: Dict[str, float]
    recall: Dict[str, float]
    confusion: List[List[int]]
    counts: Dict[str, Tuple[int, int, int]]
    unreadable: List[Tuple[str, str]] = field(default_factory=list)
    best_epoch: int = 0  # 1-based epoch whose weights were kept (lowest validation loss)
    calibration: Optional[dict] = None
    threshold: Optional[float] = None  # maximises balanced accuracy of threshold_class on the validation photos
    threshold_class: str = ""
    original_recall: Dict[str, Tuple[int, float]] = field(default_factory=dict)  # class folder: (test n, recall)
    reliability: Dict[str, tuple] = field(default_factory=dict)  # split: (P(threshold_class), truth)


class KeepBest:
    """A Keras callback that restores the weights of the epoch with the lowest validation loss."""

    def __new__(cls, keras):
        class _KeepBest(keras.callbacks.Callback):
            best, weights, epoch = float("inf"), None, 0

            def on_epoch_end(self, epoch, logs=None):
                loss = (logs or {}).get("val_loss")
                if loss is not None and loss < self.best:
                    self.best, self.weights, self.epoch = loss, self.model.get_weights(), epoch + 1

            def on_train_end(self, logs=None):
                if self.weights is not None:
                    self.model.set_weights(self.weights)

        return _KeepBest()


def _logits(probabilities: np.ndarray) -> np.ndarray:
    """Logits up to a per-row constant, which is all calibration needs."""
    return np.log(np.clip(probabilities, 1e-12, 1.0))


def _class_weights(labels: np.ndarray, n: int) -> Dict[int, float]:
    counts = np.bincount(labels, minlength=n)
    return {i: float(len(labels)) / (n * counts[i]) for i in range(n) if counts[i]}


def check_fine_tune(backbone_name: str, blocks: int):
    """Fine-tuning is for efficientnet-lite0's last 1 to FINE_TUNE_MAX blocks (checked before a worker starts)."""
    from .backbone import FINE_TUNE_MAX

    if blocks and (backbone_name != "efficientnet-lite0" or not 0 < blocks <= FINE_TUNE_MAX):
        raise TrainingError(
            f"FINE_TUNE_BLOCKS: Fine-tuning works on efficientnet-lite0's last 1 to {FINE_TUNE_MAX} blocks; "
            "choose 0 blocks for other backbones."
        )


def train_in_worker(
    request: dict,
    progress: Callable[[str, float], None] = lambda stage, fraction: None,
    cancelled: Callable[[], bool] = lambda: False,
) -> dict:
    """`train` in a child process (core/cnn/train_worker.py), the twin of WorkerClassifier: TensorFlow
    never loads in QGIS. Reports progress(stage, fraction); returns the worker's result dict.
    Raises TrainingError for the worker's own errors, Cancelled on a cancel, WorkerError when it dies."""
    from ..child import run_worker

    check_fine_tune(request.get("backbone_name", "efficientnet-lite0"), request.get("fine_tune_blocks", 0))
    result = None
    lines = run_worker("cnn.train_worker", request)
    try:
        for message in lines:
            if cancelled():
                raise Cancelled()
            if "error" in message:
                raise TrainingError(message["error"])
            if "result" in message:
                result = message["result"]
            elif "stage" in message:
                progress(message["stage"], message["fraction"])
    finally:
        lines.close()
    if result is None:
        raise TrainingError("Training ended without a result.")
    return result


def train(
    dataset: Dataset,
    cache_dir: str,
    model_path: str,
    epochs: int = 30,
    learning_rate: float = 0.01,
    batch: int = 32,
    validation_percent: float = 10,
    test_percent: float = 10,
    augment: bool = True,
    seed: int = 42,
    progress: Callable[[str, float], None] = lambda stage, fraction: None,
    backbone_name: str = "efficientnet-lite0",
    fine_tune_blocks: int = 0,
) -> TrainResult:
    """Trains the softmax head on cached pooled features; with fine_tune_blocks > 0 then trains the
    last blocks and the head together (batch norms frozen, a hundredth of the learning rate) on cached
    activations from below those blocks. The phases are _Run's methods, in this order."""
    check_fine_tune(backbone_name, fine_tune_blocks)
    run = _Run(dataset, cache_dir, epochs, learning_rate, batch, augment, seed, progress, backbone_name)
    run.features(validation_percent, test_percent)
    run.fit_head()
    if fine_tune_blocks:
        run.fine_tune(fine_tune_blocks)
    run.calibrate()
    run.evaluate()
    return run.save(model_path, fine_tune_blocks)


class _Run:
    """One training run's state, phase by phase."""

    def __init__(self, dataset, cache_dir, epochs, learning_rate, batch, augment, seed, progress, backbone_name):
        from . import backbone

        self.backbone = backbone
        self.dataset, self.epochs, self.learning_rate, self.batch = dataset, epochs, learning_rate, batch
        self.augment, self.seed, self.progress, self.backbone_name = augment, seed, progress, backbone_name
        self.keras = backbone.import_keras()
        self.keras.utils.set_random_seed(seed)
        try:
            self.features_model = backbone.load_features(backbone_name)
        except backbone.BackboneError as exc:
            raise TrainingError(str(exc)) from None
        self.cache = FeatureCache(cache_dir)
        self.names = dataset.label_names
        self.n = len(self.names)
        self.labels = np.array(dataset.labels)
        self.tuned = {}

    def features(self, validation_percent, test_percent):
        """Pooled features of every photo (cached); the split, without the unreadable photos."""
        paths = self.dataset.paths
        self.progress("features", 0.0)
        self.base, self.unreadable = self.cache.features(
            paths,
            "plain",
            self.features_model,
            backbone_name=self.backbone_name,
            progress=lambda k: self.progress("features", k / max(1, len(paths))),
        )
        usable = ~np.isnan(self.base).any(axis=1)
        split = stratified_split(list(self.labels), validation_percent, test_percent, self.seed)
        self.train_idx, self.val_idx, self.test_idx = ([i for i in part if usable[i]] for part in split)
        if len(set(self.labels[self.train_idx])) < self.n:
            raise TrainingError("After leaving out unreadable images, a class has no training image left.")
        self.val_inputs, self.test_inputs = self.base[self.val_idx], self.base[self.test_idx]

    def _with_augmentations(self, plain, model, stage=""):
        """Training inputs and labels: the plain images, plus flipped, cropped and brightened ones."""
        train_paths = [self.dataset.paths[i] for i in self.train_idx]
        x, y = plain[self.train_idx], self.labels[self.train_idx]
        for kind in AUGMENTATIONS if self.augment else ():
            extra, _ = self.cache.features(train_paths, kind, model, backbone_name=self.backbone_name, stage=stage)
            keep = ~np.isnan(extra.reshape(len(extra), -1)).any(axis=1)
            x, y = np.concatenate([x, extra[keep]]), np.concatenate([y, self.labels[self.train_idx][keep]])
        return x, y

    def _fit(self, model, x, y, epochs, validation, stage):
        """Fits with class weights, keeping the weights of the lowest validation loss."""
        progress = self.progress

        class Report(self.keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                progress(stage, (epoch + 1) / epochs)

        keep = KeepBest(self.keras)
        fit = model.fit(
            x,
            y,
            epochs=epochs,
            batch_size=self.batch,
            validation_data=validation,
            verbose=0,
            class_weight=_class_weights(y, self.n),
            callbacks=[Report(), keep],
            shuffle=True,
        )
        return fit, keep

    def fit_head(self):
        keras = self.keras
        dims = self.backbone.BACKBONES[self.backbone_name].dims
        x, y = self._with_augmentations(self.base, self.features_model)
        self.head = keras.Sequential(
            [
                keras.Input((dims,)),
                keras.layers.Dropout(0.2),
                keras.layers.Dense(self.n, activation="softmax", name="head"),
            ]
        )
        self.head.compile(
            optimizer=keras.optimizers.Adam(self.learning_rate),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        validation = (self.base[self.val_idx], self.labels[self.val_idx]) if self.val_idx else None
        fit, keep = self._fit(self.head, x, y, self.epochs, validation, "training")
        self.best_epoch = keep.epoch or self.epochs
        self.history = {k: [float(v) for v in values] for k, values in fit.history.items()}
        self.predict = self.head.predict

    def fine_tune(self, blocks: int):
        """The last blocks and the head together, on cached activations from below those blocks."""
        backbone, paths = self.backbone, self.dataset.paths
        trunk = backbone.trunk_model(self.features_model, blocks)
        stage = f"trunk{blocks}"
        self.progress("fine-tuning features", 0.0)
        below, _ = self.cache.features(
            paths,
            "plain",
            trunk,
            backbone_name=self.backbone_name,
            stage=stage,
            progress=lambda k: self.progress("fine-tuning features", k / max(1, len(paths))),
        )
        x, y = self._with_augmentations(below, trunk, stage)
        tail = backbone.tail_model(self.features_model, blocks, self.n)
        tail.get_layer("head").set_weights(self.head.get_layer("head").get_weights())  # start from the trained head
        tail.compile(
            optimizer=self.keras.optimizers.Adam(self.learning_rate / FINE_TUNE_LR_DIVISOR),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        validation = (below[self.val_idx], self.labels[self.val_idx]) if self.val_idx else None
        fit, keep = self._fit(tail, x, y, max(2, self.epochs // 3), validation, "fine-tuning")
        self.best_epoch = self.epochs + keep.epoch if keep.epoch else self.best_epoch
        for key, values in fit.history.items():  # the charts go on where head training stopped
            self.history.setdefault(key, []).extend(float(v) for v in values)
        self.history["fine_tune_from_epoch"] = [float(self.epochs)]
        self.predict, self.head = tail.predict, tail
        self.test_inputs, self.val_inputs = below[self.test_idx], below[self.val_idx]
        self.tuned = {name: tail.get_layer(name).get_weights()[0] for name in backbone.tuned_layer_names(blocks)}

    def calibrate(self):
        """Temperature calibration and the recommended threshold, on the validation photos."""
        names, labels, val_idx = self.names, self.labels, self.val_idx
        self.threshold_class = "valid" if "valid" in names else names[-1]
        self.target = names.index(self.threshold_class)
        self.calibration = self.threshold = None
        self.reliability = {}
        if val_idx and len(set(labels[val_idx].tolist())) == self.n:
            val_logits = _logits(self.predict(self.val_inputs, verbose=0))
            self.calibration = fit_calibration(val_logits, labels[val_idx])
            val_p = calibrate(val_logits, self.calibration)[:, self.target]
            self.threshold = best_threshold(val_p, labels[val_idx] == self.target)
            self.reliability["validation"] = (val_p, (labels[val_idx] == self.target).astype(int))

    def evaluate(self):
        """The test photos, decided as classifyphotos decides (decision.py) for two classes."""
        n, names, labels, test_idx, target = self.n, self.names, self.labels, self.test_idx, self.target
        confusion = np.zeros((n, n), dtype=int)
        self.test_accuracy = None
        self.original_recall = {}
        if test_idx:
            test_p = calibrate(_logits(self.predict(self.test_inputs, verbose=0)), self.calibration)
            predicted = test_p.argmax(axis=1)
            if self.threshold is not None and n == 2:
                valid = Decision(self.threshold_class, self.threshold).valid(test_p[:, target])
                predicted = np.where(valid, target, 1 - target)
            for truth, guess in zip(labels[test_idx], predicted):
                confusion[truth, guess] += 1
            self.test_accuracy = float(np.trace(confusion) / confusion.sum())
            self.reliability["test"] = (test_p[:, target], (labels[test_idx] == target).astype(int))
            if self.dataset.original:
                folders = np.array([self.dataset.original[i] for i in test_idx])
                right = predicted == labels[test_idx]
                for folder in sorted(set(folders.tolist())):
                    inside = folders == folder
                    self.original_recall[folder] = (int(inside.sum()), float(right[inside].mean()))
        self.confusion = confusion
        self.precision = {
            names[i]: float(confusion[i, i] / confusion[:, i].sum()) if confusion[:, i].sum() else 0.0 for i in range(n)
        }
        self.recall = {
            names[i]: float(confusion[i, i] / confusion[i].sum()) if confusion[i].sum() else 0.0 for i in range(n)
        }

    def save(self, model_path: str, fine_tune_blocks: int) -> TrainResult:
        labels = self.labels
        counts = {
            name: tuple(int((labels[part] == i).sum()) for part in (self.train_idx, self.val_idx, self.test_idx))
            for i, name in enumerate(self.names)
        }
        kernel, bias = self.head.get_layer("head").get_weights()
        metrics = {
            "test_accuracy": self.test_accuracy,
            "precision": self.precision,
            "recall": self.recall,
            "confusion": self.confusion.tolist(),
            "best_epoch": self.best_epoch,
            "recall_by_class_folder": self.original_recall,
        }
        save_model_file(
            model_path,
            self.names,
            kernel,
            bias,
            metrics,
            backbone_name=self.backbone_name,
            tuned=self.tuned,
            fine_tuned_blocks=fine_tune_blocks,
            calibration=self.calibration,
            threshold=self.threshold,
            threshold_class=self.threshold_class,
        )
        return TrainResult(
            self.names,
            self.history,
            self.test_accuracy,
            self.precision,
            self.recall,
            self.confusion.tolist(),
            counts,
            self.unreadable,
            self.best_epoch,
            self.calibration,
            self.threshold,
            self.threshold_class,
            self.original_recall,
            self.reliability,
        )


def write_report(path: str, result: TrainResult, settings: dict):
    """One self-contained HTML page with PNG charts; every user string escaped."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    charts = []
    for metric, title in (("accuracy", "Accuracy"), ("loss", "Cross-entropy")):
        figure, axes = plt.subplots(figsize=(5, 3))
        axes.plot(result.history.get(metric, []), label="training")
        if f"val_{metric}" in result.history:
            axes.plot(result.history[f"val_{metric}"], label="validation")
        if "fine_tune_from_epoch" in result.history:
            axes.axvline(
                result.history["fine_tune_from_epoch"][0] - 0.5, color="grey", linestyle=":", label="fine-tuning starts"
            )
        axes.set_xlabel("epoch")
        axes.set_title(title)
        axes.legend()
        charts.append((title, figure_png(figure)))
        plt.close(figure)
    figure, axes = plt.subplots(figsize=(4, 4))
    axes.imshow(np.array(result.confusion), cmap="YlOrRd")
    axes.set_xticks(range(len(result.labels)), result.labels, rotation=45, ha="right")
    axes.set_yticks(range(len(result.labels)), result.labels)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    for (r, c), value in np.ndenumerate(np.array(result.confusion)):
        axes.text(c, r, str(value), ha="center", va="center")
    charts.append(("Confusion matrix (test set)", figure_png(figure)))
    plt.close(figure)
    if result.reliability:
        buffer = io.BytesIO()
        reliability_png(buffer, result.reliability, title=f"Reliability of P({result.threshold_class})")
        charts.append(("Reliability diagram (calibrated scores)", buffer.getvalue()))

    accuracy = "n/a (no test images)" if result.test_accuracy is None else f"{100 * result.test_accuracy:.1f} %"
    page = Report("Photo classifier training report").paragraph(accuracy, bold="Test accuracy:")
    if result.threshold is not None:
        page.paragraph(
            f"Weights of epoch {result.best_epoch} kept (lowest validation loss). Scores are calibrated on "
            f"the validation photos ({(result.calibration or {}).get('kind', '')}); recommended threshold "
            f"for {result.threshold_class}: {result.threshold:.2f} (best balanced accuracy on the "
            "validation photos; classifyphotos uses it when THRESHOLD is left empty)."
        )
    else:
        page.paragraph(
            f"Weights of epoch {result.best_epoch} kept (lowest validation loss). No calibration: the "
            "validation split lacks a class."
        )
    if "fine_tune_from_epoch" in result.history:
        page.paragraph(
            f"The head was trained for {int(result.history['fine_tune_from_epoch'][0])} epochs, then the "
            "last backbone blocks were fine-tuned with it (after the dotted line in the charts)."
        )
    page.table(
        [
            [name, *result.counts[name], round(result.precision[name], 3), round(result.recall[name], 3)]
            for name in result.labels
        ],
        ["class", "train", "validation", "test", "precision", "recall"],
    )
    if result.original_recall and set(result.original_recall) != set(result.labels):
        page.heading("Test recall per class folder", 3)
        page.table(
            [[name, n, round(r, 3)] for name, (n, r) in result.original_recall.items()],
            ["folder", "test photos", "recall"],
        )
    for title, png in charts:
        page.heading(title, 3).image(png, title)
    page.heading("Settings", 3).table([[str(k), str(v)] for k, v in settings.items()], ["setting", "value"])
    if result.unreadable:
        page.heading("Unreadable images (left out)", 3).items(f"{p}: {r}" for p, r in result.unreadable)
    page.write(path)


def metric_rows(result: dict) -> List[tuple]:
    """(metric, class, value) rows of a training result (train_in_worker's dictionary)."""
    rows = [("test_accuracy", None, result["test_accuracy"])]
    rows += [("precision", name, value) for name, value in result["precision"].items()]
    rows += [("recall", name, value) for name, value in result["recall"].items()]
    rows += [("recall_by_class_folder", name, recall) for name, (_, recall) in result["original_recall"].items()]
    rows += [("best_epoch", None, result["best_epoch"])]
    if result["threshold"] is not None:
        rows += [("recommended_threshold", result["threshold_class"], result["threshold"])]
    return rows


def summary_lines(result: dict) -> List[str]:
    accuracy = result["test_accuracy"]
    lines = [
        "Test accuracy: "
        + ("n/a" if accuracy is None else f"{100 * accuracy:.1f} %")
        + f"; weights of epoch {result['best_epoch']} kept (lowest validation loss)."
    ]
    if result["threshold"] is not None:
        lines.append(
            f"Recommended threshold for {result['threshold_class']}: {result['threshold']:.2f} "
            "(classifyphotos uses it when THRESHOLD is left empty)."
        )
    return lines
