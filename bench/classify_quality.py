"""How well does the classifier keep the right photos? Out-of-fold numbers on labelled photos.

    python bench/classify_quality.py FOLDER [--groups "valid=valid; non_valid=..."] [--camera-csv CSV]
                                     [--model X.scenicmodel ...] [--train-split 60] [--png reliability.png]

FOLDER has one sub-folder per class (trainclassifier's layout, e.g. the built ../shared/photo_devset).
--camera-csv adds the hand-labelled camera and phone photos of ../shared/data/exif (bench/labels/), reported
as a part of their own. Printed for each classifier: balanced accuracy at its default and at the best
threshold, valid recall, non-valid rejection, recall per class and per source, the confusion matrix and the
expected calibration error; a reliability diagram goes to --png.

The built-in classifier is shipped trained on these photos, so it is measured out-of-fold: its head and
calibration are refitted k times (--k, default 5), each time without the fold being scored, exactly as
scripts/make_default_model.py fits them. Photos the shipped head never saw are also scored by it as is.
The ImageNet-mapping score alone (the previous built-in) is printed for comparison. --model scores a
trained .scenicmodel on the photos; --train-split P trains one with trainclassifier's core on P % of the
photos and measures it on the rest. This is a benchmark, not a unit test.
"""

import argparse
import hashlib
import os
import shutil
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "scripts"))
from standalone import link_plugin  # noqa: E402

link_plugin()
from scenic_heatmap.core.cnn import calibration as cal  # noqa: E402
from scenic_heatmap.core.cnn import scenic_head as sh  # noqa: E402
from scenic_heatmap.core.cnn.classifier import DEFAULT_HEAD  # noqa: E402
from scenic_heatmap.core.cnn.head import Head  # noqa: E402

SHARED = os.path.join(os.path.dirname(REPO), "shared")
CACHE = os.path.join(os.path.expanduser("~"), ".cache", "scenic_heatmap", "quality")


def report(name, p, labelled, threshold, mask=None):
    """Prints the numbers for scores p (P(valid)) of the photos in labelled (restricted to mask)."""
    mask = np.ones(len(labelled), bool) if mask is None else mask
    p, y = np.asarray(p)[mask], labelled.valid[mask]
    classes = np.array(labelled.classes)[mask]
    sources = np.array(labelled.sources)[mask]
    parts = np.array(labelled.parts)[mask]
    best = cal.best_threshold(p, y)
    kept = p >= threshold
    print(f"\n== {name}: {mask.sum()} photos ({y.sum()} valid)")
    print(
        f"balanced accuracy {cal.balanced_accuracy(p, y, threshold):.3f} at the default threshold {threshold:.2f}; "
        f"{cal.balanced_accuracy(p, y, best):.3f} at the best threshold {best:.3f}"
    )
    print(
        f"valid recall {kept[y == 1].mean():.3f}, non-valid rejection {(~kept[y == 0]).mean():.3f}, "
        f"expected calibration error {cal.expected_calibration_error(p, y):.3f}"
    )
    print(
        f"confusion (rows truth, columns kept/dropped): valid {int(kept[y == 1].sum())}/{int((~kept[y == 1]).sum())}"
        f", non-valid {int(kept[y == 0].sum())}/{int((~kept[y == 0]).sum())}"
    )
    for title, groups in (("part", parts), ("class", classes), ("source", sources)):
        rows = []
        for value in sorted(set(groups.tolist())):
            inside = groups == value
            right = (kept[inside] == (y[inside] == 1)).mean()
            extra = ""
            if title == "part" and (y[inside] == 1).any():
                extra = f", valid kept {kept[inside & (y == 1)].mean():.3f} of {(inside & (y == 1)).sum()}"
            rows.append(f"{value} {right:.3f} (n={inside.sum()}{extra})")
        print(f"recall per {title}: " + "; ".join(rows))
    return p, y


def trained_split(labelled, percent, groups_text, seed=1):
    """Trains a head with core.training on percent % of the photos (stratified by class), scores the rest."""
    from scenic_heatmap.core.cnn.classifier import TrainedClassifier
    from scenic_heatmap.core.cnn.training import parse_class_groups, scan_dataset, train

    folds = sh.stratified_folds([f"{a}:{b}" for a, b in zip(labelled.parts, labelled.classes)], 10, seed)
    train_mask = folds < percent // 10
    folder = tempfile.mkdtemp(prefix="quality_split_")
    for path, c, use in zip(labelled.paths, labelled.classes, train_mask):
        if use:
            os.makedirs(os.path.join(folder, c), exist_ok=True)
            digest = hashlib.sha256(path.encode()).hexdigest()[:10]
            os.symlink(path, os.path.join(folder, c, f"{digest}_{os.path.basename(path)}"))
    groups = parse_class_groups(groups_text)
    present = sorted(os.listdir(folder))
    groups = {g: [c for c in members if c in present] for g, members in groups.items()} if groups else None
    dataset = scan_dataset(folder, groups)
    model = os.path.join(folder, "split.scenicmodel")
    train(dataset, os.path.join(CACHE, "bottlenecks"), model, validation_percent=15, test_percent=0)
    classifier = TrainedClassifier(model)
    held = [path for path, use in zip(labelled.paths, train_mask) if not use]
    scores = np.array([prediction.scores["valid"] for prediction in classifier.classify(held)])
    p = np.zeros(len(labelled))
    p[~train_mask] = scores
    from scenic_heatmap.core.cnn.training import load_model_file

    threshold = load_model_file(model)[0].get("threshold") or 0.5
    shutil.rmtree(folder, ignore_errors=True)
    return p, ~train_mask, threshold


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder")
    parser.add_argument(
        "--groups", default="valid=valid; non_valid=event,food,indoor,meme,photo-shoot,random,selfie,stuff"
    )
    parser.add_argument("--camera-csv", default=os.path.join(HERE, "labels", "camera_photos.csv"))
    parser.add_argument("--camera-root", default=os.path.join(SHARED, "data", "exif"))
    parser.add_argument("--model", action="append", default=[])
    parser.add_argument("--train-split", type=int, default=0)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--png", default="bench_output/reliability.png")
    args = parser.parse_args()

    valid_classes = [c.strip() for c in args.groups.split(";")[0].split("=", 1)[1].split(",")]
    labelled = sh.load_folder(args.folder, valid_classes, part=os.path.basename(args.folder.rstrip("/")))
    if args.camera_csv and os.path.exists(args.camera_csv) and os.path.isdir(args.camera_root):
        labelled = labelled + sh.load_csv(args.camera_csv, args.camera_root, valid_classes, part="camera_photos")
    features, mapping = sh.extract(labelled, CACHE, progress=lambda d, t: print(f"\rfeatures {d}/{t}", end=""))
    head = Head.load(DEFAULT_HEAD)
    curves = {}

    p, y = report("ImageNet mapping alone (the previous built-in score, no face check)", mapping, labelled, 0.9)
    curves["ImageNet mapping"] = (p, y)

    strata = [f"{a}:{b}" for a, b in zip(labelled.parts, labelled.classes)]
    oof = sh.out_of_fold(features, mapping, labelled.valid, strata, k=args.k, l2=head.meta.get("l2", sh.DEFAULT_L2))
    p, y = report(
        f"built-in head, {args.k}-fold out-of-fold (refitted as make_default_model does)",
        oof.probability,
        labelled,
        head.threshold,
    )
    curves["built-in, out-of-fold"] = (p, y)

    seen = set(head.meta.get("trained_on", []))
    unseen = np.array([i not in seen for i in sh.content_ids(labelled.paths)])
    print(f"\n{(~unseen).sum()} of these photos were in the shipped head's training set.")
    if unseen.any():
        shipped = head.probability(features, mapping)
        p, y = report("shipped built-in head as is, on photos it never saw", shipped, labelled, head.threshold, unseen)
        curves["built-in, unseen photos"] = (p, y)

    for model in args.model:
        from scenic_heatmap.core.cnn.classifier import TrainedClassifier
        from scenic_heatmap.core.cnn.training import load_model_file

        classifier = TrainedClassifier(model)
        scores = np.array([prediction.scores.get("valid", 0.0) for prediction in classifier.classify(labelled.paths)])
        threshold = load_model_file(model)[0].get("threshold") or 0.5
        p, y = report(
            f"{os.path.basename(model)} (scored as is: numbers are honest only on photos it did not train on)",
            scores,
            labelled,
            threshold,
        )
        curves[os.path.basename(model)] = (p, y)

    if args.train_split:
        p, held, threshold = trained_split(labelled, args.train_split, args.groups)
        p, y = report(
            f"trainclassifier on {args.train_split} % (head, defaults), measured on the other "
            f"{100 - args.train_split} % at its recommended threshold",
            p,
            labelled,
            threshold,
            held,
        )
        curves[f"trained on {args.train_split} %"] = (p, y)

    os.makedirs(os.path.dirname(os.path.abspath(args.png)), exist_ok=True)
    cal.reliability_png(args.png, curves, title="Reliability of P(valid)")
    print(f"\nreliability diagram: {args.png}")


if __name__ == "__main__":
    main()
