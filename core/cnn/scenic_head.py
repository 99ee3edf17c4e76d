"""The built-in classifier's head: fitting, out-of-fold measurement, saving. QGIS-free.

The head is a logistic regression on the backbone's 1280 pooled features plus
the logit of the ImageNet-mapping score (core/classifier.ImageNetMapping),
Platt-calibrated on out-of-fold predictions. scripts/make_default_model.py
fits it on labelled photos; bench/classify_quality.py measures it the same way.
"""

import hashlib
import os
from dataclasses import dataclass, field
from typing import List, Optional, Sequence

import numpy as np

from .calibration import Platt, logit
from .dataset import class_images
from .head import Head

DEFAULT_L2 = 1.0  # ridge on standardised features: 0.1 to 100 gave 0.971 to 0.976 out-of-fold at 0.5, 1 the best


def _design(features, mapping_score):
    return np.column_stack([np.asarray(features, np.float64), logit(mapping_score)])


def fit_head(
    features: np.ndarray,
    mapping_score: np.ndarray,
    valid: np.ndarray,
    l2: float = DEFAULT_L2,
    sample_weight: Optional[np.ndarray] = None,
) -> Head:
    """Class-balanced, L2-regularised logistic regression (L-BFGS), folded back to raw features."""
    from scipy.optimize import minimize

    x = _design(features, mapping_score)
    y = np.asarray(valid, np.float64)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    balance = np.where(y == 1, 0.5 / max(y.mean(), 1e-9), 0.5 / max(1 - y.mean(), 1e-9))
    w_sample = balance * (1.0 if sample_weight is None else np.asarray(sample_weight, np.float64))
    n = len(y)

    def loss(theta):
        w, b = theta[:-1], theta[-1]
        s = z @ w + b
        # log(1 + e^s) - y s, stably
        value = np.sum(w_sample * (np.logaddexp(0, s) - y * s)) / n + 0.5 * l2 * (w @ w) / n
        p = 0.5 * (1 + np.tanh(0.5 * s))
        g = w_sample * (p - y) / n
        return value, np.append(z.T @ g + l2 * w / n, g.sum())

    result = minimize(loss, np.zeros(z.shape[1] + 1), jac=True, method="L-BFGS-B", options={"maxiter": 2000})
    w, b = result.x[:-1] / scale, result.x[-1] - np.sum(result.x[:-1] * mean / scale)
    return Head(w[:-1].astype(np.float64), float(w[-1]), float(b))


def stratified_folds(strata: Sequence, k: int, seed: int = 1) -> np.ndarray:
    """Fold number per item, each stratum spread evenly over the k folds."""
    rng = np.random.default_rng(seed)
    strata = np.asarray(strata)
    folds = np.zeros(len(strata), dtype=int)
    offset = 0
    for value in sorted(set(strata.tolist())):
        members = np.flatnonzero(strata == value)
        rng.shuffle(members)
        folds[members] = (np.arange(len(members)) + offset) % k
        offset += len(members)
    return folds


@dataclass
class OutOfFold:
    raw: np.ndarray  # the head's raw score of each photo, from a head that never saw it
    probability: np.ndarray  # calibrated by a Platt map fitted on the other folds' raw scores
    folds: np.ndarray


def out_of_fold(
    features,
    mapping_score,
    valid,
    strata,
    k: int = 5,
    seed: int = 1,
    l2: float = DEFAULT_L2,
    groups: Optional[Sequence] = None,
) -> OutOfFold:
    """k-fold predictions: each photo scored by a head (and calibration) fitted without its fold.

    groups: photos that must share a fold (e.g. a photo and its flipped copy)."""
    valid = np.asarray(valid)
    if groups is None:
        folds = stratified_folds(strata, k, seed)
    else:  # fold by group: the group's first member decides
        groups = np.asarray(groups)
        first = {g: i for i, g in reversed(list(enumerate(groups.tolist())))}
        heads = sorted(first.values())
        head_folds = dict(zip(heads, stratified_folds(np.asarray(strata)[heads], k, seed)))
        folds = np.array([head_folds[first[g]] for g in groups.tolist()])
    raw = np.zeros(len(valid))
    for fold in range(k):
        train = folds != fold
        raw[~train] = fit_head(features[train], mapping_score[train], valid[train], l2).raw(
            features[~train], mapping_score[~train]
        )
    probability = np.zeros(len(valid))
    for fold in range(k):
        other = folds != fold
        probability[~other] = Platt.fit(raw[other], valid[other])(raw[~other])
    return OutOfFold(raw, probability, folds)


def content_ids(paths: Sequence[str]) -> List[str]:
    """Short content hashes: how the shipped head's .json lists the photos it was trained on."""
    from .training import FeatureCache

    return [FeatureCache.content_key(path)[:16] for path in paths]


def manifest_hash(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        digest.update(fh.read())
    return digest.hexdigest()


@dataclass
class Labelled:
    """Photos with their original class, valid flag and source."""

    paths: List[str]
    classes: List[str]
    valid: np.ndarray
    sources: List[str]
    parts: List[str] = field(default_factory=list)  # which labelled set each photo came from

    def __len__(self):
        return len(self.paths)

    def __add__(self, other: "Labelled") -> "Labelled":
        return Labelled(
            self.paths + other.paths,
            self.classes + other.classes,
            np.concatenate([self.valid, other.valid]),
            self.sources + other.sources,
            self.parts + other.parts,
        )


def load_folder(folder: str, valid_classes: Sequence[str] = ("valid",), part: str = "") -> Labelled:
    """One sub-folder per class (dataset.class_images). A photo's source is the part of its name
    before `__` (as photo_devset/build.py names them), else its class folder."""
    found = class_images(folder)
    paths = [path for _, path in found]
    classes = [name for name, _ in found]
    names = [os.path.basename(path) for path in paths]
    sources = [n.split("__", 1)[0] if "__" in n else c for n, c in zip(names, classes)]
    valid = np.array([c in valid_classes for c in classes], dtype=int)
    return Labelled(paths, classes, valid, sources, [part or os.path.basename(folder.rstrip("/"))] * len(paths))


def load_csv(csv_path: str, root: str, valid_classes: Sequence[str] = ("valid",), part: str = "") -> Labelled:
    """`path,class` rows (comment lines start with #), paths relative to root."""
    import csv

    with open(csv_path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    paths = [os.path.join(root, r["path"]) for r in rows]
    classes = [r["class"] for r in rows]
    name = part or os.path.splitext(os.path.basename(csv_path))[0]
    return Labelled(
        paths,
        classes,
        np.array([c in valid_classes for c in classes], dtype=int),
        [name] * len(rows),
        [name] * len(rows),
    )


def extract(labelled: Labelled, cache_dir: str, progress=lambda done, total: None, flipped: bool = False):
    """(features [n, 1280], mapping scores [n]) decoded as the classifier decodes, cached by content.

    flipped: of the mirrored photos (augmentation)."""
    from PIL import Image, ImageOps

    from .classifier import FeatureExtractor
    from .training import FeatureCache

    os.makedirs(cache_dir, exist_ok=True)
    keys = [
        os.path.join(cache_dir, FeatureCache.content_key(path) + ("_flip" if flipped else "") + ".npz")
        for path in labelled.paths
    ]
    todo = [i for i, key in enumerate(keys) if not os.path.exists(key)]
    if todo:
        extractor = FeatureExtractor()
        sources = [labelled.paths[i] for i in todo]
        if flipped:
            import tempfile

            scratch = tempfile.mkdtemp(prefix="scenic_flip_")
            mirrored = []
            for n, path in enumerate(sources):
                with Image.open(path) as image:
                    target = os.path.join(scratch, f"{n}.png")
                    ImageOps.mirror(ImageOps.exif_transpose(image).convert("RGB")).save(target)
                mirrored.append(target)
            sources = mirrored
        for n, (i, prediction) in enumerate(zip(todo, extractor.classify(sources)), start=1):
            if prediction.error:
                raise ValueError(f"{labelled.paths[i]}: {prediction.error}")
            np.savez(keys[i], features=prediction.features, mapping=np.float64(prediction.scores["valid"]))
            progress(n, len(todo))
    features = np.zeros((len(keys), 1280), np.float32)
    mapping = np.zeros(len(keys))
    for i, key in enumerate(keys):
        with np.load(key, allow_pickle=False) as stored:
            features[i], mapping[i] = stored["features"], float(stored["mapping"])
    return features, mapping
