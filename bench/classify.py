"""Classification speed on 1024x768 JPEGs: our default classifier against the study's approach.

Baseline: Inception V3 at 299 px with one `predict` call per image (the study's
way; random weights, since the pretrained ones need a download and the cost is
the same). Ours: EfficientNet-Lite0, batched, JPEG decoded with draft(),
decoding on threads, plus the face check. Both timed here, end to end from
file to score. Goal: >= 100 images/s on 2 cores where the baseline does 5.6
images/s (the issue's figure for this machine kind), i.e. >= 17.9x the baseline
timed in the same run: the machine is shared and its speed varies by run.

Usage: python bench/classify.py [IMAGES]
       python bench/classify.py --memory N   (resident memory every 1,000 of N images)
"""

import os
import resource
import sys
import tempfile
import time

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from standalone import link_plugin  # noqa: E402

link_plugin()
from scenic_heatmap.core import backbone  # noqa: E402
from scenic_heatmap.core.classifier import DefaultClassifier  # noqa: E402

GOAL_IMAGES_PER_S = 100.0
ISSUE_BASELINE_IMAGES_PER_S = 5.6  # the study's approach on this machine kind when the goal was set


def sample_jpegs(n):
    from skimage import data

    folder = tempfile.mkdtemp(prefix="bench_classify_")
    sources = [data.coffee(), data.chelsea(), data.astronaut(), data.rocket()]
    paths = []
    for i in range(n):
        path = os.path.join(folder, f"{i:05d}.jpg")
        Image.fromarray(sources[i % len(sources)]).convert("RGB").resize((1024, 768)).save(path, quality=90)
        paths.append(path)
    return paths


def baseline(paths):
    keras = backbone.import_keras()
    model = keras.applications.InceptionV3(weights=None)
    model.predict(np.zeros((1, 299, 299, 3), np.float32), verbose=0)  # built and traced before the clock starts
    start = time.perf_counter()
    for path in paths:
        with Image.open(path) as image:
            x = np.asarray(image.convert("RGB").resize((299, 299)), dtype=np.float32) / 127.5 - 1.0
        model.predict(x[None], verbose=0)
    return len(paths) / (time.perf_counter() - start)


def ours(paths):
    classifier = DefaultClassifier()
    list(classifier.classify(paths[:32]))  # build and trace once
    start = time.perf_counter()
    count = sum(1 for _ in classifier.classify(paths))
    return count / (time.perf_counter() - start)


def memory(n):
    """Peak resident memory after each 1,000 images: flat means no leak per image."""
    paths = sample_jpegs(64)
    classifier = DefaultClassifier()
    stream = (paths[i % len(paths)] for i in range(n))
    for done, _ in enumerate(classifier.classify(stream), start=1):
        if done % 1000 == 0:
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"{done} images: peak memory {rss:.0f} MiB", flush=True)


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--memory":
        return memory(int(sys.argv[2]))
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 192
    paths = sample_jpegs(n)
    fast = ours(paths)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    slow = baseline(paths[: max(32, n // 4)])
    print(f"images: {n} JPEGs of 1024x768")
    print(f"baseline (Inception V3, one predict per image): {slow:.1f} images/s")
    print(f"ours (EfficientNet-Lite0, batched, draft decode, face check): {fast:.1f} images/s")
    goal = GOAL_IMAGES_PER_S / ISSUE_BASELINE_IMAGES_PER_S
    print(f"speed-up: {fast / slow:.1f}x (goal: 100 images/s where the baseline does 5.6, i.e. >= {goal:.1f}x: "
          f"{'met' if fast / slow >= goal else 'NOT met'}); at the issue's baseline speed that is "
          f"{fast / slow * ISSUE_BASELINE_IMAGES_PER_S:.0f} images/s; peak memory {rss:.0f} MiB")


if __name__ == "__main__":
    main()
