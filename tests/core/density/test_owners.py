"""core/density/owners.py: distinct owners per cell, against a brute-force count."""

import numpy as np

from scenic_heatmap.core.density import kde
from scenic_heatmap.core.density.owners import apply_floor, owner_counts


def test_owner_counts_equal_one_full_grid_density_per_owner():
    """The same support as the heat map's kernel (QGIS's pixel rule), each owner on the whole grid."""
    rng = np.random.default_rng(4)
    xs, ys = rng.uniform(0, 2000, 120), rng.uniform(0, 2000, 120)
    owners = np.array([f"o{i % 17}" for i in range(120)])
    grid = kde.grid_for_points(xs, ys, 300, 50)
    expected = sum(
        (kde.density(xs[owners == o], ys[owners == o], 300, 50, "uniform", grid=grid)[0] > 0.5).astype(int)
        for o in set(owners)
    )
    assert np.array_equal(owner_counts(xs, ys, list(owners), grid, 300), expected)
    assert expected.max() > 3


def test_floor_removes_cells_of_one_owner():
    xs = np.array([0.0, 10.0, 20.0, 1000.0, 1010.0, 1020.0])
    ys = np.zeros(6)
    owners = ["solo", "solo", "solo", "a", "b", "c"]
    grid = kde.grid_for_points(xs, ys, 100, 10)
    values = kde.density(xs, ys, 100, 10, grid=grid)[0]
    values[values == 0] = np.nan
    removed = apply_floor(values, owner_counts(xs, ys, owners, grid, 100), 3)
    cx, _ = grid.cell_centres()
    assert removed > 0
    assert np.isnan(values[:, np.abs(cx - 10) < 50]).all()  # the solo photographer's cells
    assert np.isfinite(values[:, np.abs(cx - 1010) < 20]).any()  # three owners together stay
