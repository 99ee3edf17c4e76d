"""Rebuild the built-in classifier's head (resources/default_classifier.npz and .json).

    python scripts/make_default_model.py ~/photo_devset [--camera-csv bench/labels/camera_photos.csv]

Reads the labelled development set (../shared/photo_devset, built with its build.py) and the
hand-labelled camera photos in ../shared/data/exif, extracts the backbone's features exactly as
the classifier decodes, measures the head out-of-fold (k-fold, Platt fitted on the other folds),
fits the calibration on all out-of-fold scores, chooses the threshold that maximises their balanced
accuracy, then fits the head on every photo. The .json records the manifest's hash, the photos'
content hashes, the settings and the out-of-fold metrics.
"""

import argparse
import datetime
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from standalone import link_plugin  # noqa: E402

link_plugin()
from scenic_heatmap.core.cnn import calibration as cal  # noqa: E402
from scenic_heatmap.core.cnn import scenic_head as sh  # noqa: E402
from scenic_heatmap.core.cnn.classifier import DEFAULT_HEAD  # noqa: E402

REPO = os.path.dirname(HERE)
SHARED = os.path.join(os.path.dirname(REPO), "shared")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("devset", help="the built photo_devset folder (one sub-folder per class)")
    parser.add_argument("--camera-csv", default=os.path.join(REPO, "bench", "labels", "camera_photos.csv"))
    parser.add_argument("--camera-root", default=os.path.join(SHARED, "data", "exif"))
    parser.add_argument("--manifest", default=os.path.join(SHARED, "photo_devset", "manifest.tsv"))
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--l2", type=float, default=sh.DEFAULT_L2)
    parser.add_argument("--output", default=DEFAULT_HEAD)
    args = parser.parse_args()

    labelled = sh.load_folder(args.devset, part="photo_devset")
    if args.camera_csv:
        labelled = labelled + sh.load_csv(args.camera_csv, args.camera_root, part="camera_photos")
    cache = os.path.join(os.path.expanduser("~"), ".cache", "scenic_heatmap", "quality")
    features, mapping = sh.extract(labelled, cache, progress=lambda d, t: print(f"\rfeatures {d}/{t}", end=""))
    strata = [f"{p}:{c}" for p, c in zip(labelled.parts, labelled.classes)]
    oof = sh.out_of_fold(features, mapping, labelled.valid, strata, k=args.k, l2=args.l2)
    y = labelled.valid
    platt = cal.Platt.fit(oof.raw, y)
    probability = oof.probability
    threshold = round(cal.best_threshold(probability, y), 2)
    metrics = {
        "out_of_fold": f"{args.k}-fold, stratified by part and class; Platt fitted on the other folds",
        "balanced_accuracy_at_threshold": cal.balanced_accuracy(probability, y, threshold),
        "balanced_accuracy_at_0.5": cal.balanced_accuracy(probability, y, 0.5),
        "valid_recall_at_threshold": float((probability[y == 1] >= threshold).mean()),
        "non_valid_rejection_at_threshold": float((probability[y == 0] < threshold).mean()),
        "expected_calibration_error": cal.expected_calibration_error(probability, y),
        "by_part": {},
    }
    for part in sorted(set(labelled.parts)):
        sel = np.array([p == part for p in labelled.parts])
        metrics["by_part"][part] = {
            "photos": int(sel.sum()),
            "valid": int(y[sel].sum()),
            "balanced_accuracy": cal.balanced_accuracy(probability[sel], y[sel], threshold),
        }
    head = sh.fit_head(features, mapping, y, l2=args.l2)
    counts = {}
    for part, c in zip(labelled.parts, labelled.classes):
        counts.setdefault(part, {}).setdefault(c, 0)
        counts[part][c] += 1
    meta = {
        "format": "scenic-heatmap-default-head",
        "version": 1,
        "backbone": "efficientnet-lite0",
        "built": datetime.date.today().isoformat(),
        "command": "python scripts/make_default_model.py DEVSET" + ("" if args.camera_csv else " --camera-csv ''"),
        "photo_devset_manifest_sha256": sh.manifest_hash(args.manifest) if os.path.exists(args.manifest) else None,
        "camera_labels_sha256": sh.manifest_hash(args.camera_csv) if args.camera_csv else None,
        "l2": args.l2,
        "photos": counts,
        "metrics": metrics,
        "trained_on": sh.content_ids(labelled.paths),
    }
    head.platt, head.meta = platt, dict(meta, threshold=float(threshold))
    head.save(args.output)
    print(
        f"\nwrote {os.path.splitext(args.output)[0]}.npz/.json: threshold {threshold}, out-of-fold balanced accuracy "
        f"{metrics['balanced_accuracy_at_threshold']:.3f}, ECE {metrics['expected_calibration_error']:.3f}, "
        f"valid recall {metrics['valid_recall_at_threshold']:.3f}"
    )


if __name__ == "__main__":
    main()
