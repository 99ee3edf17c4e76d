"""core/density/bootstrap.py: the owner bootstrap, against a plain resampling loop."""

import numpy as np

from scenic_heatmap.core.density import kde
from scenic_heatmap.core.density.bootstrap import owner_bootstrap


def scene(seed=3):
    rng = np.random.default_rng(seed)
    xs = list(rng.uniform(0, 3000, 200))
    ys = list(rng.uniform(0, 3000, 200))
    owners = [f"o{i % 40}" for i in range(200)]
    xs += list(2000 + rng.normal(0, 40, 120))  # one dominant owner at (2000, 1000)
    ys += list(1000 + rng.normal(0, 40, 120))
    owners += ["dominant"] * 120
    return np.array(xs), np.array(ys), owners


def test_one_dominant_owner_has_a_high_largest_owner_share():
    xs, ys, owners = scene()
    grid = kde.grid_for_points(xs, ys, 300, 50)
    result = owner_bootstrap(xs, ys, np.ones(len(xs)), owners, grid, 300, replicates=50, seed=1)
    cx, cy = grid.cell_centres()
    row, col = int(np.argmin(np.abs(cy - 1000))), int(np.argmin(np.abs(cx - 2000)))
    assert result.top_share[row, col] > 0.9
    assert np.nanmedian(result.top_share) < 0.9  # elsewhere no one dominates
    assert result.cv[row, col] > np.nanmedian(result.cv)  # and the dominated cell is the least certain
    assert np.all(result.p05[np.isfinite(result.p05)] <= result.p95[np.isfinite(result.p95)])


def test_equals_a_plain_loop_of_resampled_heat_maps():
    """The shared per-owner sums give what B weighted heat maps on the same draws give."""
    xs, ys, owners = scene(5)
    grid = kde.grid_for_points(xs, ys, 250, 50)
    replicates, seed = 12, 9
    fast = owner_bootstrap(
        xs, ys, np.ones(len(xs)), owners, grid, 250, replicates=replicates, seed=seed, tile_bytes=300_000
    )  # several row bands
    names = sorted(set(owners))
    code = np.array([names.index(o) for o in owners])
    draws = np.random.default_rng(seed).multinomial(len(names), np.full(len(names), 1 / len(names)), size=replicates)
    maps = np.stack([kde.density(xs, ys, 250, 50, weights=draws[b][code], grid=grid)[0] for b in range(replicates)])
    full = kde.density(xs, ys, 250, 50, grid=grid)[0]
    reached = full > 1e-6 * full.max()  # the heat map's own noise floor
    assert np.isfinite(fast.p05[reached]).all()
    low, high = np.percentile(maps, [5, 95], axis=0)
    assert np.allclose(fast.p05[reached], low[reached], rtol=1e-6, atol=1e-9)
    assert np.allclose(fast.p95[reached], high[reached], rtol=1e-6, atol=1e-9)
    mean = maps.mean(axis=0)
    ok = reached & (mean > 1e-9)
    assert np.allclose(fast.cv[ok], (maps.std(axis=0) / mean)[ok], rtol=1e-6, atol=1e-9)
