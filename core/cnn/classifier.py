"""Photo classification: is a photo of the surroundings? QGIS-free.

The built-in default works offline: the EfficientNet-Lite0 backbone
(core/cnn/backbone.py) gives pooled features, from which ImageNet's 1000 classes are
one matrix product away; resources/imagenet_scenic_categories.csv maps each
class to a category (landscape, architecture, landmark, street, park count as
valid; food, text, indoor, vehicle, people, animal, plant and product do not).
A logistic head trained on labelled photos (resources/default_classifier.*,
scripts/make_default_model.py) reads the features and the mapping's valid
probability mass, and is Platt-calibrated: its score is P(valid). An optional
face check (OpenCV's Haar cascade) vetoes photos where a face dominates.

Decoding runs on a thread pool, JPEGs decoded at reduced size with Pillow's
draft() (DCT scaling); inference runs in fixed-size batches.
"""

import csv
import hashlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, List, Optional

import numpy as np

from ..files import not_regular_reason
from ..packages import need
from . import backbone
from .calibration import calibrate
from .decision import LABEL_CUT
from .head import Head

if TYPE_CHECKING:
    from PIL import Image

RESOURCES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "resources")
CATEGORY_CSV = os.path.join(RESOURCES, "imagenet_scenic_categories.csv")
DEFAULT_HEAD = os.path.join(RESOURCES, "default_classifier.npz")  # beside it: default_classifier.json
CLASSES = ("valid", "non_valid")
PORTRAIT = "portrait"


@dataclass
class Prediction:
    path: str
    label: str = ""  # the most probable of CLASSES
    category: str = ""  # the dominant ImageNet category, or "portrait"
    scores: Optional[dict] = None  # {class: probability}
    faces: int = 0
    error: str = ""
    features: Optional[np.ndarray] = None  # only from FeatureExtractor


def load_categories(path: str = CATEGORY_CSV):
    """(category per ImageNet index, valid mask) from the reviewed CSV."""
    categories, valid = [""] * 1000, np.zeros(1000, dtype=bool)
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            index = int(row["index"])
            categories[index] = row["category"]
            valid[index] = row["valid"] == "1"
    if "" in categories:
        raise ValueError(f"{path} does not map all 1000 ImageNet classes")
    return categories, valid


class FaceCheck:
    """Largest frontal face's share of the frame, with OpenCV's bundled Haar cascade.

    Only faces that could reach `min_share` of the frame are searched for (a minimum
    window size), which makes the check about 4x cheaper than a search down to tiny faces."""

    def __init__(self, min_share: float = 0.06):
        cv2 = need("cv2")
        cv2.setNumThreads(1)  # photos are checked in parallel on our pool; OpenCV's own threads only contend
        self._cv2 = cv2
        self.min_share = min_share
        self._path = os.path.join(cv2.data.haarcascades, "haarcascade_frontalface_default.xml")
        self._local = threading.local()

    def largest_share(self, gray: np.ndarray):
        cascade = getattr(self._local, "cascade", None)
        if cascade is None:  # one per thread: detectMultiScale is not thread-safe
            cascade = self._local.cascade = self._cv2.CascadeClassifier(self._path)
        # a detected box is about the face's size; 0.6 leaves margin below the veto share
        side = max(20, int(0.6 * (self.min_share * gray.shape[0] * gray.shape[1]) ** 0.5))
        faces = cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(side, side))
        if len(faces) == 0:
            return 0, 0.0
        largest = max(int(w) * int(h) for _, _, w, h in faces)
        return len(faces), largest / float(gray.shape[0] * gray.shape[1])


def face_frame(image: "Image.Image", size: int = 160) -> np.ndarray:
    """The small grayscale frame the face check searches."""
    gray = image.convert("L")
    gray.thumbnail((size, size))
    return np.asarray(gray)


def decode(path: str, preprocess=backbone.preprocess):
    """(network input, the decoded image for a face check if one is needed); raises on unreadable files."""
    with need("PIL.Image").open(path) as image:
        if image.format == "JPEG":
            # DCT scaling to a short side of at least 256, what the centre crop needs
            image.draft("RGB", (256, 256))
        image.load()
        need("PIL.ImageOps").exif_transpose(image, in_place=True)  # no copy where the photo is upright
        if image.mode != "RGB":
            image = image.convert("RGB")
    return preprocess(image), image


class _Pipeline:
    """Decode on a thread pool (the next batch while the network runs on this one), fixed-size
    batches through TFLite, then `_finish` per photo. Subclasses set what the network ends in."""

    classes = CLASSES
    include_top = False  # pooled 1280-wide features; ImageNet logits are one matrix product away
    backbone_name = "efficientnet-lite0"
    variant = ""  # names the cached TFLite file; a fine-tuned model has its own

    def _start(self, model, batch_size: int, workers: int):
        self.batch_size = batch_size
        self.workers = workers or min(4, os.cpu_count() or 1)
        self.model = model
        self._predict = self._compiled()

    def _compiled(self):
        """batch -> outputs: TFLite with XNNPACK (about 3x faster than Keras on CPU), else Keras."""
        backbone.import_keras()  # TensorFlow loaded RTLD_LOCAL first
        import tensorflow as tf

        model = self.model
        size = backbone.BACKBONES[self.backbone_name].size
        shape = (self.batch_size, size, size, 3)
        try:
            variant = self.variant or f"{self.backbone_name}_{'top' if self.include_top else 'features'}"
            content = self._tflite_bytes(tf, model, shape, variant)
            interpreter = tf.lite.Interpreter(model_content=content, num_threads=self.workers)
            interpreter.allocate_tensors()
            source = interpreter.get_input_details()[0]["index"]
            target = interpreter.get_output_details()[0]["index"]
            lock = threading.Lock()

            def run(batch):
                with lock:
                    interpreter.set_tensor(source, batch)
                    interpreter.invoke()
                    return interpreter.get_tensor(target).copy()

            return run
        except Exception:  # no TFLite in this TensorFlow build: plain Keras

            @tf.function(reduce_retracing=True)
            def outputs(batch):
                return model(batch, training=False)

            return lambda batch: outputs(tf.convert_to_tensor(batch)).numpy()

    @staticmethod
    def _tflite_bytes(tf, model, shape, variant: str) -> bytes:
        """The network as TFLite for a fixed batch, converted once and cached on disk."""
        cache_dir = backbone.user_cache_dir()
        path = os.path.join(cache_dir, f"{variant}_{tf.__version__}_b{shape[0]}.tflite")
        if os.path.exists(path):
            with open(path, "rb") as fh:
                return fh.read()
        function = tf.function(lambda x: model(x, training=False))
        concrete = function.get_concrete_function(tf.TensorSpec(shape, tf.float32))
        content = tf.lite.TFLiteConverter.from_concrete_functions([concrete], model).convert()
        try:
            os.makedirs(cache_dir, exist_ok=True)
            tmp = f"{path}.{os.getpid()}.part"
            with open(tmp, "wb") as fh:
                fh.write(content)
            os.replace(tmp, path)
        except OSError:
            pass  # no cache: convert again next time
        return content

    def _decode_one(self, path):
        odd = not_regular_reason(path)
        if odd:  # Image.open would block on a FIFO forever
            return None, None, odd
        try:
            network_input, image = decode(path, preprocess=backbone.preprocess_for(self.backbone_name))
            return network_input, image, ""
        except need("PIL.Image").DecompressionBombError:
            return None, None, "image too large"
        except FileNotFoundError:
            return None, None, "file not found"
        except Exception as exc:  # Pillow raises many kinds on corrupt data
            return None, None, f"unreadable image ({type(exc).__name__})"

    def _post(self, outputs: np.ndarray, rows: int) -> list:
        """Per-photo values from a batch's network outputs (the first `rows` are real photos)."""
        return list(outputs[:rows])

    def _finish(self, path, row, image, pool=None):
        raise NotImplementedError

    def classify(
        self, paths: Iterable[str], progress: Callable[[int], bool] = lambda done: True
    ) -> Iterator[Prediction]:
        """Predictions in input order; a bad file gives a Prediction with `error`, never an exception.

        Stops early when progress(done) returns False."""
        paths = list(paths)
        chunks = [paths[i : i + self.batch_size] for i in range(0, len(paths), self.batch_size)]
        done = 0
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            pending = [pool.submit(self._decode_one, p) for p in chunks[0]] if chunks else []
            for number, chunk in enumerate(chunks):
                decoded = [future.result() for future in pending]
                if number + 1 < len(chunks):
                    pending = [pool.submit(self._decode_one, p) for p in chunks[number + 1]]
                good = [i for i, (image, _, _) in enumerate(decoded) if image is not None]
                values = []
                if good:
                    size = backbone.BACKBONES[self.backbone_name].size
                    batch = np.zeros((self.batch_size, size, size, 3), np.float32)
                    for row, i in enumerate(good):
                        batch[row] = decoded[i][0]
                    values = self._post(self._predict(batch), len(good))  # fixed shape: one trace
                rows = {i: row for row, i in enumerate(good)}
                answers = [
                    Prediction(path, error=decoded[i][2])
                    if decoded[i][2]
                    else self._finish(path, values[rows[i]], decoded[i][1], pool)
                    for i, path in enumerate(chunk)
                ]
                for answer in answers:  # face checks ran on the pool beside the next decodes
                    yield answer.result() if hasattr(answer, "result") else answer
                done += len(chunk)
                if progress(done) is False:
                    for future in pending:
                        future.cancel()
                    return


class FeatureExtractor(_Pipeline):
    """The backbone's pooled features and the ImageNet-mapping score per photo, decoded exactly as
    the classifier decodes: what the built-in head is trained and measured on."""

    def __init__(self, batch_size: int = 32, workers: int = 0):
        self.mapping = ImageNetMapping()
        self._start(backbone.load_backbone(include_top=False), batch_size, workers)

    def _post(self, outputs, rows):
        features = outputs[:rows].astype(np.float32)
        mapped = self.mapping.scores(features)
        return [(features[i], mapped[0][i], mapped[1][i]) for i in range(rows)]

    def _finish(self, path, row, image, pool=None):
        features, mapping_score, category = row
        return Prediction(path, "", category, {"valid": float(mapping_score)}, features=features)


class ImageNetMapping:
    """ImageNet's 1000 classes mapped to categories (resources/imagenet_scenic_categories.csv):
    the probability mass on valid classes, and the dominant category, from pooled features."""

    def __init__(self):
        self.categories, self.valid_mask = load_categories()
        self.names = sorted(set(self.categories))
        self.matrix = np.zeros((1000, len(self.names)), dtype=np.float32)
        for index, name in enumerate(self.categories):
            self.matrix[index, self.names.index(name)] = 1.0
        self.valid_categories = np.array([self.valid_mask[np.array(self.categories) == n].any() for n in self.names])
        self.kernel, self.bias = backbone.imagenet_classifier()

    def scores(self, features: np.ndarray):
        """(valid probability mass [n], dominant category [n], category probabilities [n, k])."""
        logits = features @ self.kernel + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        valid = probabilities[:, self.valid_mask].sum(axis=1)
        by_category = probabilities @ self.matrix
        return valid, [self.names[int(i)] for i in by_category.argmax(axis=1)], by_category


class DefaultClassifier(FeatureExtractor):
    """The built-in classifier: a logistic head trained on labelled photos (resources/default_classifier.*),
    reading the backbone's pooled features and the logit of the ImageNet-mapping score, Platt-calibrated
    on out-of-fold predictions. Its score is the probability that the photo is valid.

    The optional face check (OpenCV's Haar cascade) turns photos where a face dominates the frame
    non-valid; the trained head rejects selfies and portraits without it (README, Classify photos)."""

    def __init__(
        self,
        face_check: bool = False,
        face_share: float = 0.06,
        batch_size: int = 32,
        workers: int = 0,
        face_gate: float = LABEL_CUT,
        head_path: str = "",
    ):
        """face_gate: the lowest score the face check looks at. A face only vetoes, so below the
        label's cut (or a lower VALID threshold, which the caller passes here) it changes nothing."""
        self.head = Head.load(head_path or DEFAULT_HEAD)
        self.face_share = face_share
        self.face_gate = face_gate
        self.faces = FaceCheck(face_share) if face_check else None
        super().__init__(batch_size, workers)

    def _post(self, outputs, rows):
        features = outputs[:rows].astype(np.float32)
        mapping_score, _, by_category = self.mapping.scores(features)
        valid = self.head.probability(features, mapping_score)
        answers = []
        for i in range(rows):
            # the category agrees with the score: the dominant valid category for a valid photo
            allowed = self.mapping.valid_categories if valid[i] >= LABEL_CUT else ~self.mapping.valid_categories
            shares = np.where(allowed, by_category[i], -1.0)
            answers.append((float(valid[i]), self.mapping.names[int(shares.argmax())]))
        return answers

    def _finish(self, path, row, image, pool=None):
        """A Prediction, or a future of one when the face check runs on `pool`."""
        valid, category = row
        if self.faces is None or valid < self.face_gate:  # a face can only veto
            return self._scored(path, category, valid, 0)

        def veto():
            faces, share = self.faces.largest_share(face_frame(image))
            if share >= self.face_share:
                return self._scored(path, PORTRAIT, 0.0, faces)
            return self._scored(path, category, valid, faces)

        return pool.submit(veto) if pool is not None else veto()

    @staticmethod
    def _scored(path, category, valid, faces):
        label = "valid" if valid >= LABEL_CUT else "non_valid"
        return Prediction(path, label, category, {"valid": valid, "non_valid": 1.0 - valid}, faces)


STUDY_CSV_HEADER = "LAT;LON;PATH;TIME;SCORE"


def study_csv_rows(rows: List[dict]) -> List[str]:
    """The study's CSV: its header, then one `LAT;LON;PATH;TIME;SCORE` line per row (lat, lon, path,
    taken, score)."""
    lines = [STUDY_CSV_HEADER]
    for row in rows:
        lat = "" if row.get("lat") is None else f"{row['lat']:.7f}"
        lon = "" if row.get("lon") is None else f"{row['lon']:.7f}"
        fields = [lat, lon, str(row.get("path", "")), str(row.get("taken") or ""), f"{row['score']:.4f}"]
        lines.append(";".join(f.replace(";", ",").replace("\n", " ") for f in fields))
    return lines


class TrainedClassifier(_Pipeline):
    """A head from trainclassifier on the backbone's pooled features; its labels are the classes."""

    include_top = False

    def __init__(self, model_path: str, batch_size: int = 32, workers: int = 0):
        from .training import load_model_file, load_tuned_weights

        meta, self.kernel, self.bias = load_model_file(model_path)
        self.calibration = meta.get("calibration")
        self.classes = tuple(meta["labels"])
        self.backbone_name = meta["backbone"]
        tuned = load_tuned_weights(model_path, meta)
        if not tuned:
            self._start(backbone.load_features(self.backbone_name), batch_size, workers)
            return
        # a backbone of its own with the fine-tuned kernels (the shared one stays pretrained)
        model = backbone.build_model(
            backbone.load_legacy_state_dict(backbone.default_weights_path()), include_top=False
        )
        for name, kernel in tuned.items():
            layer = model.get_layer(name)
            if layer.get_weights()[0].shape != kernel.shape:
                raise ValueError(f"{model_path}: fine-tuned weights of {name} have the wrong shape")
            layer.set_weights([kernel])
        with open(model_path, "rb") as fh:
            self.variant = f"tuned_{hashlib.sha256(fh.read()).hexdigest()[:16]}"
        self._start(model, batch_size, workers)

    def _finish(self, path, features, image, pool=None):
        probabilities = calibrate(features @ self.kernel + self.bias, self.calibration)[0]
        label = self.classes[int(probabilities.argmax())]
        return Prediction(path, label, label, {c: float(p) for c, p in zip(self.classes, probabilities)})


class WorkerClassifier:
    """A classifier in a child process (core/cnn/classify_worker.py), so TensorFlow never loads in QGIS."""

    def __init__(
        self, model_path: str = "", batch_size: int = 32, face_gate: float = LABEL_CUT, face_check: bool = False
    ):
        self.model_path = model_path
        self.batch_size = batch_size
        self.face_gate = face_gate
        self.face_check = face_check
        if model_path:
            from .training import load_model_file

            meta = load_model_file(model_path)[0]
            self.classes = tuple(meta["labels"])
            self.threshold = meta.get("threshold")  # None for models trained before calibration
            self.threshold_class = meta.get("threshold_class") or "valid"
        else:
            self.classes = CLASSES
            self.threshold = Head.load(DEFAULT_HEAD).threshold
            self.threshold_class = "valid"

    def classify(
        self, paths: Iterable[str], progress: Callable[[int], bool] = lambda done: True
    ) -> Iterator[Prediction]:
        from ..child import run_worker

        paths = list(paths)
        lines = run_worker(
            "cnn.classify_worker",
            {
                "paths": paths,
                "batch_size": self.batch_size,
                "model": self.model_path,
                "face_gate": self.face_gate,
                "face_check": self.face_check,
            },
        )
        try:
            next(lines)  # "ready": the model is loaded
            for done, (path, answer) in enumerate(zip(paths, lines), start=1):
                yield Prediction(
                    path, answer["label"], answer["category"], answer["scores"], answer["faces"], answer["error"]
                )
                if progress(done) is False:
                    return
        finally:
            lines.close()  # kills the worker if it is still running
