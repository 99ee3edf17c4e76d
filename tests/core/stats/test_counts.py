"""core.stats and core.geo without QGIS."""

import pytest

from scenic_heatmap.core.stats.counts import count_summary, density_per_km2, shares


def test_summary_of_counts():
    summary = count_summary([10, 0, 30, 20])
    assert summary == {
        "districts": 4,
        "mean": 15.0,
        "q25": 7.5,
        "median": 15.0,
        "q75": 22.5,
        "sum": 60.0,
        "min": 0.0,
        "max": 30.0,
        "range": 30.0,
    }


def test_empty_summary_has_no_statistics():
    summary = count_summary([])
    assert summary["districts"] == 0 and summary["mean"] is None


def test_shares_and_density():
    assert shares([1, 3]) == [25.0, 75.0]
    assert shares([0, 0]) == [0.0, 0.0]
    assert density_per_km2(50, 2_500_000) == pytest.approx(20.0)
    assert density_per_km2(3, 0) is None
