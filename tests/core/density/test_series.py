"""core/density/series.py: mapped values and one density per period on a shared grid."""

import datetime

import numpy as np
import pytest

from scenic_heatmap.core.density import kde
from scenic_heatmap.core.density.periods import periods_of
from scenic_heatmap.core.density.series import densities, mapped


def test_mapped_scales_to_km2_and_masks():
    values = np.array([[2.0, 0.0], [1e-9, 4.0]])
    outside = np.array([[False, False], [False, True]])
    out = mapped(values, "per km²", to_units=0.5, outside=outside)
    assert out[0, 0] == pytest.approx(2.0 * 1e6 * 0.25)
    assert np.isnan(out[0, 1]) and np.isnan(out[1, 0]) and np.isnan(out[1, 1])


def test_densities_are_the_single_heat_maps_of_each_period():
    rng = np.random.default_rng(3)
    xs, ys = rng.normal(0, 300, 90), rng.normal(0, 300, 90)
    times = [
        (datetime.datetime(2019, 1 + (i % 2) * 6, 10) - datetime.datetime(1970, 1, 1)).total_seconds()
        for i in range(90)
    ]
    keys = periods_of(times, "month")
    grid = kde.grid_for_points(xs, ys, 200, 20)
    maps = list(densities(xs, ys, np.ones(90), keys, grid, 200, 20, "quartic", "raw"))
    assert [m.key.label for m in maps] == ["2019-01", "2019-07"] and [m.photos for m in maps] == [45, 45]
    january = np.array([k.label == "2019-01" for k in keys])
    alone = kde.density(xs[january], ys[january], 200, 20, "quartic", grid=grid)[0]
    alone[alone == 0] = np.nan
    alone[alone < 1e-6 * np.nanmax(alone)] = np.nan
    assert np.allclose(maps[0].values, alone, equal_nan=True)


def test_densities_stop_when_cancelled():
    keys = periods_of(
        [(datetime.datetime(2019, m, 1) - datetime.datetime(1970, 1, 1)).total_seconds() for m in (1, 2, 3)], "month"
    )
    grid = kde.grid_for_points(np.array([0.0, 1.0, 2.0]), np.zeros(3), 100, 10)
    calls = []
    maps = densities(
        np.array([0.0, 1.0, 2.0]),
        np.zeros(3),
        np.ones(3),
        keys,
        grid,
        100,
        10,
        "quartic",
        "raw",
        cancelled=lambda: calls.append(1) or len(calls) > 1,
    )
    assert len(list(maps)) == 1
