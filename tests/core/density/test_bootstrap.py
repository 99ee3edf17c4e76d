"""core/density/bootstrap.py: the closed-form owner bootstrap against a plain resampling loop."""

import numpy as np
import pytest

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


def resampled(xs, ys, owners, grid, radius, replicates, seed):
    names = sorted(set(owners))
    code = np.array([names.index(o) for o in owners])
    draws = np.random.default_rng(seed).multinomial(len(names), np.full(len(names), 1 / len(names)), size=replicates)
    return np.stack([kde.density(xs, ys, radius, 50, weights=draws[b][code], grid=grid)[0] for b in range(replicates)])


def test_one_dominant_owner_has_a_high_largest_owner_share():
    xs, ys, owners = scene()
    grid = kde.grid_for_points(xs, ys, 300, 50)
    result = owner_bootstrap(xs, ys, np.ones(len(xs)), owners, grid, 300)
    cx, cy = grid.cell_centres()
    row, col = int(np.argmin(np.abs(cy - 1000))), int(np.argmin(np.abs(cx - 2000)))
    assert result.top_share[row, col] > 0.9
    assert np.nanmedian(result.top_share) < 0.9  # elsewhere no one dominates
    assert result.cv[row, col] > np.nanmedian(result.cv)  # and the dominated cell is the least certain


def test_closed_form_cv_is_the_limit_of_resampling():
    """The closed-form variance is the bootstrap's own: 3,000 resamples come within a few per cent."""
    xs, ys, owners = scene(5)
    grid = kde.grid_for_points(xs, ys, 250, 50)
    maps = resampled(xs, ys, owners, grid, 250, 3000, seed=9)
    full = kde.density(xs, ys, 250, 50, grid=grid)[0]
    reached = full > 1e-3 * full.max()
    result = owner_bootstrap(xs, ys, np.ones(len(xs)), owners, grid, 250)
    empirical = maps.std(axis=0) / maps.mean(axis=0)
    assert np.median(np.abs(result.cv[reached] / empirical[reached] - 1)) < 0.03


def test_drawn_replicates_give_the_loop_s_percentiles():
    xs, ys, owners = scene(6)
    grid = kde.grid_for_points(xs, ys, 250, 50)
    result = owner_bootstrap(xs, ys, np.ones(len(xs)), owners, grid, 250, replicates=15, seed=4)
    maps = resampled(xs, ys, owners, grid, 250, 15, seed=4)
    full = kde.density(xs, ys, 250, 50, grid=grid)[0]
    reached = full > 1e-6 * full.max()
    low, high = np.percentile(maps, [5, 95], axis=0)
    noise = (
        1e-8 * full.max()
    )  # the loop's sums keep float residue where a resample has no photo; replicates are float32
    assert np.allclose(result.p05[reached], low[reached], rtol=1e-5, atol=noise)
    assert np.allclose(result.p95[reached], high[reached], rtol=1e-5, atol=noise)
    assert np.all(result.p05[reached] <= result.p95[reached])


def test_without_replicates_percentiles_bracket_the_density():
    xs, ys, owners = scene(7)
    grid = kde.grid_for_points(xs, ys, 250, 50)
    result = owner_bootstrap(xs, ys, np.ones(len(xs)), owners, grid, 250)
    full = kde.density(xs, ys, 250, 50, grid=grid)[0]
    reached = np.isfinite(result.p05)
    assert np.all(result.p05[reached] <= full[reached] + 1e-9) and np.all(full[reached] <= result.p95[reached] + 1e-9)
    assert pytest.approx(0.0) == float(np.nanmin(result.p05))


def test_replicates_drawn_strip_by_strip_equal_one_strip(monkeypatch):
    from scenic_heatmap.core.density import bootstrap

    xs, ys, owners = scene(8)
    grid = kde.grid_for_points(xs, ys, 250, 50)
    whole = owner_bootstrap(xs, ys, np.ones(len(xs)), owners, grid, 250, replicates=40, seed=2)
    monkeypatch.setattr(bootstrap, "SAMPLE_BYTES", 4 * 40 * grid.cols * 7)  # strips of 7 rows
    strips = owner_bootstrap(xs, ys, np.ones(len(xs)), owners, grid, 250, replicates=40, seed=2)
    for name in ("cv", "p05", "p95", "top_share"):
        assert np.allclose(getattr(whole, name), getattr(strips, name), rtol=1e-6, atol=0, equal_nan=True), name
