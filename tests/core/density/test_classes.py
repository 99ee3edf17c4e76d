"""core/density/classes.py: exactly as many classes as asked, each method giving what its name promises."""

import math

import numpy as np
import pytest

from scenic_heatmap.core.density import classes


def peaked(n=20000, seed=1):
    """One high peak over a wide, nearly flat map (the study's city maps)."""
    rng = np.random.default_rng(seed)
    return np.r_[rng.exponential(3.0, n), rng.uniform(200, 600, 40)]


def flat(n=20000, seed=2):
    return np.random.default_rng(seed).uniform(10, 60, n)


@pytest.mark.parametrize("count", range(3, 10))
@pytest.mark.parametrize("data", [peaked(), flat()], ids=["peaked", "flat"])
def test_each_method_gives_exactly_the_classes_asked_for(count, data):
    vmax = float(data.max())
    for method in ("round equal intervals", "quantiles", "logarithmic"):
        tops = classes.breaks(method, count, vmax, data)
        assert len(tops) == count, method
        assert all(b > a for a, b in zip(tops, tops[1:])), (method, tops)
        assert tops[-1] >= vmax * (1 - 1e-9), method
    equal = classes.breaks("round equal intervals", count, vmax)
    steps = np.diff([0.0] + equal)
    assert np.allclose(steps, steps[0])  # equal intervals from 0
    digits = steps[0] / 10 ** (math.floor(math.log10(steps[0])) - 1)
    assert abs(digits - round(digits)) < 1e-6  # a round step: two significant digits at most
    assert equal[-1] - vmax < steps[0]  # the last class holds the maximum: no empty class on top
    quantile = classes.breaks("quantiles", count, vmax, data)
    shares = np.histogram(data, bins=[0.0] + quantile)[0] / len(data)
    assert np.all(np.abs(shares - 1 / count) < 0.06)  # about equal counts (2 significant digits)
    log = classes.breaks("logarithmic", count, vmax)
    ratios = np.array(log[1:-1]) / np.array(log[:-2])
    assert np.allclose(ratios, ratios[0], rtol=0.15) if len(ratios) > 1 else True  # a constant factor


def test_continuous_is_one_ramp_and_labels_carry_the_decimals_they_need():
    assert classes.breaks("continuous", 5, 276.4) == [276.4]
    assert classes.label(0, 60) == "0 – 60"
    assert classes.label(0.25, 0.5) == "0.25 – 0.50"
    assert classes.label(2.5, 5) == "2.5 – 5.0"
    with pytest.raises(ValueError):
        classes.breaks("jenks", 5, 10.0)
