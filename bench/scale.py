"""Scaling past one machine: the local path against SCHEDULER local:1 and local:2, in one run.

Classification: PHOTOS 1024x768 JPEGs (bench/classify.py's photos), images/s end to end from file
to score; the local path is the CNN worker process of today. Heat map: POINTS clustered points on a
grid of about CELLS cells (pixel 10 m, radius 1000 m, quartic, per km²), cells/s from points to the
written GeoTIFF, with the peak memory of each worker process (ru_maxrss) and of this process's heap
on the local path (tracemalloc). Cluster start-up is timed apart and left out of the rates.

Prints per engine the rate, the scaling efficiency rate(local:2) / (2 x rate(local:1)), the Dask
overhead rate(local) / rate(local:1) - 1, and the projected wall time for 10^7 photos on W workers
from the measured per-worker rate (local:1), with a machine each and at the measured efficiency.
The machine has 2 cores and local:1 already uses both (numba and TFLite threads), so local:2 gains
only where one worker leaves a core idle (the heat map: while QGIS writes the last strip, the
workers compute the next ones).

Usage: python bench/scale.py [--photos 2000] [--points 1000000] [--cells 200000000] [--skip-classify]
"""

import argparse
import math
import os
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from standalone import link_plugin  # noqa: E402

link_plugin()
from osgeo import osr  # noqa: E402

from scenic_heatmap.core.cluster.scheduler import Scheduler, client_for  # noqa: E402
from scenic_heatmap.core.cnn.classifier import WorkerClassifier  # noqa: E402
from scenic_heatmap.core.cnn.distributed import ClusterClassifier  # noqa: E402
from scenic_heatmap.core.density import kde, tiles  # noqa: E402
from scenic_heatmap.core.density.distributed import strip_runner  # noqa: E402


def worker_peaks(client):
    """Peak resident MiB of each worker process so far."""
    return sorted(v / 1024 for v in client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss).values())


def points(n, cells, seed=3):
    side = math.sqrt(cells) * 10.0 - 2000  # metres: the grid is the points' extent plus the radius
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, side, (400, 2))
    pick = rng.integers(0, 400, n)
    xy = np.clip(centres[pick] + rng.normal(0, 1500, (n, 2)), 0, side)
    xy[:2] = [[0, 0], [side, side]]  # the corners fix the extent
    return xy[:, 0] + 400_000, xy[:, 1] + 5_000_000


def heat_map(xs, ys, folder, name, client=None):
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    grid = kde.grid_for_points(xs, ys, 1000, 10, max_cells=4_000_000_000)
    spec = tiles.MapSpec(grid, "per km²", 1.0, None, srs.ExportToWkt())
    start = time.perf_counter()
    strip_jobs = tiles.jobs(spec, xs, ys, 1000, "quartic")
    path = os.path.join(folder, f"{name}.tif")
    runner = strip_runner(client) if client else tiles.local_strips
    tiles.heat_map(path, spec, strip_jobs, "photos per km²", runner)
    seconds = time.perf_counter() - start
    os.remove(path)
    return grid.rows * grid.cols, seconds, len(strip_jobs)


def classify(paths, client=None):
    classifier = WorkerClassifier() if client is None else ClusterClassifier(client)
    start = time.perf_counter()
    answers = list(classifier.classify(paths))
    seconds = time.perf_counter() - start
    assert len(answers) == len(paths) and not any(a.error for a in answers)
    return len(paths) / seconds, answers


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=2000)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--cells", type=int, default=200_000_000)
    parser.add_argument("--skip-classify", action="store_true")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench_scale_")
    print(f"machine: {os.cpu_count()} cores")
    try:
        xs, ys = points(args.points, args.cells)
        kde.density(xs[:10], ys[:10], 1000, 10)  # numba compile, outside the timing
        tracemalloc.start()
        cells, seconds, strips = heat_map(xs, ys, folder, "local")
        heap = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        rates = {"local": cells / seconds}
        print(
            f"heat map: {args.points:,} points, {cells:,} cells in {strips} strips; local: {seconds:.1f} s, "
            f"{rates['local'] / 1e6:.1f} M cells/s, peak heap {heap:.0f} MiB (the grid alone would be "
            f"{cells * 4 / 2**20:.0f} MiB as float32)"
        )
        photo_rates, reference = {}, None
        paths = []
        if not args.skip_classify:
            from classify import sample_jpegs

            paths = sample_jpegs(args.photos)
            photo_rates["local"], reference = classify(paths)
            print(f"classify: {args.photos} photos; local: {photo_rates['local']:.1f} images/s")
        for workers in (1, 2):
            name = f"local:{workers}"
            start = time.perf_counter()
            with client_for(Scheduler("local", workers)) as client:
                startup = time.perf_counter() - start
                _, seconds, _ = heat_map(xs, ys, folder, name.replace(":", "_"), client)
                rates[name] = cells / seconds
                peaks = worker_peaks(client)
                print(
                    f"heat map {name}: start-up {startup:.1f} s, {seconds:.1f} s, {rates[name] / 1e6:.1f} M cells/s, "
                    f"peak memory per worker {', '.join(f'{p:.0f}' for p in peaks)} MiB"
                )
                if paths:
                    photo_rates[name], answers = classify(paths, client)
                    same = all(
                        (a.label, round(a.scores["valid"], 6)) == (b.label, round(b.scores["valid"], 6))
                        for a, b in zip(answers, reference)
                    )
                    print(f"classify {name}: {photo_rates[name]:.1f} images/s, equal to local: {same}")
        for what, measured, unit in (("heat map", rates, "cells/s"), ("classify", photo_rates, "images/s")):
            if not measured:
                continue
            efficiency = measured["local:2"] / (2 * measured["local:1"])
            overhead = measured["local"] / measured["local:1"] - 1
            print(
                f"{what}: scaling efficiency local:2 / (2 x local:1) = {efficiency:.2f}; Dask overhead against the "
                f"local path = {overhead * 100:+.0f} % ({unit})"
            )
        if photo_rates:
            # per worker: local:1's rate (one worker on this whole machine, Dask overhead included)
            per_worker = photo_rates["local:1"]
            efficiency = min(1.0, photo_rates["local:2"] / (2 * per_worker))
            for w in (1, 8, 32, 128):
                own = 1e7 / (per_worker * w) / 3600
                shared = 1e7 / (per_worker * w * (efficiency if w > 1 else 1.0)) / 3600
                print(
                    f"projected: 10^7 photos on {w} workers: {own:.1f} h with a machine like this each, "
                    f"{shared:.1f} h at the efficiency measured here (workers sharing cores)"
                )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
