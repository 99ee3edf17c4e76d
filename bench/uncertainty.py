"""Bootstrap-over-photographers cost against one heat map, at the study's size (core functions, no QGIS).

8,348 clustered photo points over a Vienna-sized area, owners drawn with a heavy tail (a few prolific
photographers, as on Flickr), r = 1000 m, pixel 10 m, quartic. Prints, as multiples of one heat map measured
in the same run: the closed-form bootstrap (exact CV, the B -> infinity limit), the same with B drawn
replicates for empirical percentiles (default B = 200, drawn strip by strip, so memory holds B x one
strip), and what B = 200 naive resampled heat maps cost (200 full runs). One heat map is measured
twice: its kernel sums alone, and a full run written as GeoTIFF.

Usage: python bench/uncertainty.py [POINTS] [B]
"""

import os
import shutil
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts"))
from standalone import link_plugin  # noqa: E402


def study_points(n, seed=42):
    rng = np.random.default_rng(seed)
    centres = rng.uniform([-8000, 334000], [8000, 350000], (40, 2))
    sizes = rng.uniform(150, 1500, 40)
    pick = rng.choice(40, n, p=rng.dirichlet(np.ones(40)))
    xy = centres[pick] + rng.normal(0, 1, (n, 2)) * sizes[pick, None]
    owners = rng.zipf(1.6, n) % 2500  # heavy-tailed photos per owner
    # prolific owners photograph near one place: move each owner's photos towards their first one
    first = {}
    for i, o in enumerate(owners):
        first.setdefault(o, xy[i])
        xy[i] = first[o] + (xy[i] - first[o]) * 0.3
    return xy[:, 0], xy[:, 1], [f"o{o}" for o in owners]


def main(n=8348, replicates=200):
    link_plugin()
    from scenic_heatmap.core.density import kde
    from scenic_heatmap.core.density.bootstrap import owner_bootstrap

    xs, ys, owners = study_points(n)
    grid = kde.grid_for_points(xs, ys, 1000, 10)
    kde.density(xs[:10], ys[:10], 1000, 10, grid=kde.grid_for_points(xs[:10], ys[:10], 1000, 10))  # compile
    start = time.perf_counter()
    kde.density(xs, ys, 1000, 10, grid=grid)
    one = time.perf_counter() - start
    # a full heat map: kernel sums, per km², noise, written as GeoTIFF (what the heatmap algorithm does
    # after reading the points)
    from osgeo import osr

    from scenic_heatmap.core.density import tiles

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(31256)
    folder = tempfile.mkdtemp(prefix="bench_uncertainty_")
    start = time.perf_counter()
    spec = tiles.MapSpec(grid, "per km²", 1.0, None, srs.ExportToWkt())
    tiles.heat_map(os.path.join(folder, "one.tif"), spec, tiles.jobs(spec, xs, ys, 1000), "photos per km²")
    full = time.perf_counter() - start
    shutil.rmtree(folder)
    start = time.perf_counter()
    owner_bootstrap(xs, ys, np.ones(n), owners, grid, 1000)
    closed = time.perf_counter() - start
    start = time.perf_counter()
    owner_bootstrap(xs, ys, np.ones(n), owners, grid, 1000, replicates=replicates, seed=1)
    drawn = time.perf_counter() - start
    print(f"{n} points, {len(set(owners))} owners, grid {grid.cols} x {grid.rows} ({grid.rows * grid.cols:,} cells)")
    print(f"one heat map: kernel sums {one:.2f} s; a full run written as GeoTIFF {full:.2f} s")
    for label, seconds in (
        ("closed-form bootstrap (exact CV, top share)", closed),
        (f"with {replicates} drawn replicates for percentiles", drawn),
    ):
        print(f"{label}: {seconds:.2f} s = {seconds / one:.1f} x the kernel sums = {seconds / full:.1f} full runs")
    print(f"naive bootstrap, B = {replicates} resampled heat maps: {replicates} full runs")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
