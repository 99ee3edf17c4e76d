"""core/density/distributed.py: strips computed on two worker processes equal this machine's file."""

import numpy as np
import pytest

from scenic_heatmap.core.density import kde, tiles
from scenic_heatmap.core.density.distributed import strip_runner

from ..density.test_tiles import blob, photos, read, utm_wkt


@pytest.mark.parametrize("clipped", [False, True])
def test_cluster_heat_map_equals_the_local_one_for_every_kernel(tmp_path, local_client, clipped):
    xs, ys, ws, owners = photos(3000, seed=9)
    grid = kde.grid_for_points(xs, ys, 300, 10)
    for kernel in kde.KERNELS:
        files = {}
        for name, runner, rows in (
            ("untiled", tiles.local_strips, 10**6),
            ("cluster", strip_runner(local_client), 256),
        ):
            spec = tiles.MapSpec(grid, "per km²", 1.0, blob(xs, ys) if clipped else None, utm_wkt(), floor=2)
            strip_jobs = tiles.jobs(spec, xs, ys, 300, kernel, ws, owners, rows=rows)
            path = str(tmp_path / f"{kernel}_{name}.tif")
            summary = tiles.heat_map(path, spec, strip_jobs, "unit", runner)
            files[name] = (read(path)[0], summary)
        (a, sa), (b, sb) = files["untiled"], files["cluster"]
        assert sb.strips > 2 and sa.strips == 1
        assert np.array_equal(a, b, equal_nan=True), kernel
        assert (sa.vmax, sa.removed_cells, sa.removed_photos) == (sb.vmax, sb.removed_cells, sb.removed_photos)


def test_an_error_on_a_worker_reaches_the_caller_and_leaves_no_file(tmp_path, local_client):
    xs, ys = np.array([0.0, 10.0]), np.array([0.0, 10.0])
    grid = kde.grid_for_points(xs, ys, 100, 10)
    spec = tiles.MapSpec(grid, "raw", 1.0, None, utm_wkt())
    strip_jobs = tiles.jobs(spec, xs, ys, 100, weights=[1e39, 1.0])
    with pytest.raises(tiles.RasterError, match="float32"):
        tiles.heat_map(str(tmp_path / "x.tif"), spec, strip_jobs, run_strips=strip_runner(local_client))
    assert not list(tmp_path.iterdir())


def test_bootstrap_strips_on_the_cluster_equal_the_local_ones(local_client, monkeypatch):
    from scenic_heatmap.core.density import bootstrap
    from scenic_heatmap.core.density.distributed import bootstrap_runner

    xs, ys, _, owners = photos(1500, seed=4)
    grid = kde.grid_for_points(xs, ys, 300, 20)
    monkeypatch.setattr(bootstrap, "SAMPLE_BYTES", 4 * 50 * grid.cols * 40)  # strips of 40 rows
    args = (xs, ys, np.ones(len(xs)), list(owners), grid, 300, "quartic", 50, 3)
    here = bootstrap.owner_bootstrap(*args)
    there = bootstrap.owner_bootstrap(*args, run_strips=bootstrap_runner(local_client))
    for name in ("cv", "p05", "p95", "top_share"):
        assert np.array_equal(getattr(here, name), getattr(there, name), equal_nan=True), name
    assert np.isfinite(here.p95).sum() > 1000
