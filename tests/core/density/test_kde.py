"""core.kde without QGIS: kernel values, grid rules, numba and numpy paths agree."""

import math

import numpy as np
import pytest

from scenic_heatmap.core.density import kde


def test_single_point_raw_quartic_profile():
    # one point on a pixel centre: the peak is 1 and values follow (1 - (d/r)^2)^2
    values, grid = kde.density([1005.0], [2005.0], radius=100.0, pixel=10.0)
    assert values.max() == pytest.approx(1.0, abs=0.01)
    xs, ys = grid.cell_centres()
    row, col = np.unravel_index(np.argmax(values), values.shape)
    d = math.hypot(xs[col + 5] - 1005.0, ys[row] - 2005.0)
    assert values[row, col + 5] == pytest.approx((1 - (d / 100.0) ** 2) ** 2, rel=1e-3)
    # nothing beyond the radius
    cx, cy = np.meshgrid(xs, ys)
    assert np.all(values[np.hypot(cx - 1005.0, cy - 2005.0) > 101.0] == 0)


def test_scaled_kernel_integrates_to_about_one():
    # Scaled uniform and epanechnikov kernels are normalised densities (QGIS's
    # quartic constant is not, so it is left out here).
    for kernel in ("uniform", "epanechnikov", "triweight", "triangular"):
        values, grid = kde.density([0.0], [0.0], radius=200.0, pixel=2.0, kernel=kernel, scaled=True)
        assert values.sum() * grid.pixel**2 == pytest.approx(1.0, rel=0.02), kernel


def test_weights_scale_linearly():
    xs, ys = np.array([0.0, 300.0]), np.array([0.0, 120.0])
    one, grid = kde.density(xs, ys, 150.0, 10.0)
    three, _ = kde.density(xs, ys, 150.0, 10.0, weights=[3.0, 3.0], grid=grid)
    assert np.allclose(three, 3 * one)


def test_grid_follows_qgis_rules():
    grid = kde.grid_for_points(np.array([0.0, 95.0]), np.array([0.0, 43.0]), radius=50.0, pixel=10.0)
    assert (grid.xmin, grid.ymax) == (-50.0, 93.0)
    assert grid.cols == math.ceil(195.0 / 10) + 1 and grid.rows == math.ceil(143.0 / 10) + 1


@pytest.mark.parametrize("kernel", kde.KERNELS)
def test_numba_and_numpy_paths_agree(kernel):
    if not kde.HAVE_NUMBA:
        pytest.skip("numba is not installed")
    rng = np.random.default_rng(7)
    xs, ys = rng.normal(0, 300, 300), rng.normal(0, 200, 300)
    ws = rng.uniform(0.5, 2.0, 300)
    fast, grid = kde.density(xs, ys, 97.3, 7.0, kernel, weights=ws, scaled=True)
    slow, _ = kde.density(xs, ys, 97.3, 7.0, kernel, weights=ws, scaled=True, grid=grid, use_numba=False)
    # the numba path sums polynomials (difference arrays): same cells, rounding-level differences
    assert np.abs(fast - slow).max() <= 1e-7 * slow.max()
    assert ((fast == 0) == (slow == 0)).mean() > 0.9999


def test_progress_can_cancel():
    calls = []

    def progress(fraction):
        calls.append(fraction)
        return False

    assert kde.density(np.zeros(50), np.zeros(50), 100.0, 10.0, progress=progress, rows=5) is None
    assert len(calls) == 1 and 0 < calls[0] < 1  # stopped after the first strip


@pytest.mark.parametrize("kernel", kde.KERNELS)
def test_any_split_into_strips_gives_the_same_cells(kernel):
    # what tiled and distributed heat maps rely on: strips of any height, in any order, equal the
    # whole grid bit for bit (each row sums its own points in input order)
    rng = np.random.default_rng(7)
    xs, ys = rng.normal(0, 300, 3000), rng.normal(0, 200, 3000)
    ws = rng.uniform(0.2, 3, 3000)
    whole, grid = kde.density(xs, ys, 97.3, 7.0, kernel, weights=ws, decay=0.3, rows=10**6)
    for rows in (32, 45, 77):
        assert np.array_equal(
            kde.density(xs, ys, 97.3, 7.0, kernel, weights=ws, decay=0.3, grid=grid, rows=rows)[0], whole
        )
    st = kde.stamps(xs, ys, 97.3, grid, kernel, ws, decay=0.3)
    pieces = {span: kde.strip_sums(st, *span) for span in reversed(kde.strips(grid, 50))}
    assert np.array_equal(np.vstack([pieces[span] for span in sorted(pieces)]), whole)


@pytest.mark.parametrize(
    "radius,pixel,message",
    [(0, 10, "radius"), (-5, 1, "radius"), (100, 0, "pixel"), (100, 100, "smaller"), (100, 250, "smaller")],
)
def test_bad_parameters(radius, pixel, message):
    with pytest.raises(kde.KdeError, match=message):
        kde.density([0.0], [0.0], radius, pixel)


def test_no_points_and_huge_grids_are_refused():
    with pytest.raises(kde.KdeError, match="no points"):
        kde.density([], [], 100.0, 10.0)
    with pytest.raises(kde.KdeError, match="cells"):
        kde.grid_for_points(np.array([0.0, 1e7]), np.array([0.0, 1e7]), 1000.0, 1.0)


def test_memory_budget_and_estimate(monkeypatch):
    grid = kde.Grid(0, 0, 1000, 1000, 1.0, 20_000, 20_000)  # 400 M cells: about 10 GiB
    monkeypatch.setenv("SCENIC_HEATMAP_MEMORY_BUDGET_MB", "4096")
    with pytest.raises(kde.KdeError, match="need about 10.4 GiB"):
        kde.check_memory(grid)
    monkeypatch.setenv("SCENIC_HEATMAP_MEMORY_BUDGET_MB", "20000")
    kde.check_memory(grid)  # fits
    monkeypatch.delenv("SCENIC_HEATMAP_MEMORY_BUDGET_MB")
    monkeypatch.setattr(kde, "available_memory", lambda: 10_000)
    assert kde.memory_budget() == 6_000  # 60 % of what is available
