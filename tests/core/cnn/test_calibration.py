"""core.calibration on synthetic scores: Platt and temperature scaling, thresholds, ECE."""

import numpy as np
import pytest

from scenic_heatmap.core.cnn import calibration as cal


def synthetic(n=4000, a=2.5, b=-0.7, seed=3):
    """Raw scores z with true P(valid | z) = sigmoid(a z + b)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 1.5, n)
    y = (rng.random(n) < cal.sigmoid(a * z + b)).astype(int)
    return z, y


def test_platt_recovers_the_true_curve_and_calibrates():
    z, y = synthetic()
    platt = cal.Platt.fit(z, y)
    assert platt.a == pytest.approx(2.5, rel=0.15) and platt.b == pytest.approx(-0.7, abs=0.15)
    overconfident = cal.sigmoid(4 * z)  # an uncalibrated score with the same ranking
    assert cal.expected_calibration_error(overconfident, y) > 0.05
    assert cal.expected_calibration_error(platt(z), y) < 0.03


def test_temperature_undoes_overconfidence():
    rng = np.random.default_rng(5)
    true_logits = rng.normal(0, 1, (3000, 3))
    p = cal.softmax(true_logits)
    labels = np.array([rng.choice(3, p=row) for row in p])
    t = cal.fit_temperature(true_logits * 3.0, labels)  # three times too confident
    assert t == pytest.approx(3.0, rel=0.2)
    calibrated = cal.calibrate(true_logits * 3.0, {"kind": "temperature", "t": t})
    np.testing.assert_allclose(calibrated.sum(axis=1), 1.0)


def test_two_class_calibration_is_platt_on_the_logit_difference():
    z, y = synthetic()
    logits = np.column_stack([np.zeros_like(z), z])
    calibration = cal.fit_calibration(logits, y)
    assert calibration["kind"] == "platt"
    p = cal.calibrate(logits, calibration)
    np.testing.assert_allclose(p[:, 1], cal.Platt(calibration["a"], calibration["b"])(z))


def test_best_threshold_and_balanced_accuracy():
    p = np.array([0.05, 0.1, 0.2, 0.3, 0.6, 0.7, 0.9])
    y = np.array([0, 0, 0, 1, 1, 1, 1])
    t = cal.best_threshold(p, y)
    assert 0.2 < t <= 0.3 and cal.balanced_accuracy(p, y, t) == 1.0
    assert cal.balanced_accuracy(p, y, 0.65) == pytest.approx((2 / 4 + 1) / 2)


def test_reliability_rows_and_a_perfect_score():
    y = np.array([0] * 50 + [1] * 50)
    p = y.astype(float)
    assert cal.expected_calibration_error(p, y) == 0.0
    rows = cal.reliability(np.full(100, 0.5), y)
    assert sum(r["n"] for r in rows) == 100 and rows[5]["valid"] == 0.5


def test_reliability_png(tmp_path):
    z, y = synthetic(500)
    cal.reliability_png(str(tmp_path / "r.png"), {"a": (cal.sigmoid(z), y)})
    assert (tmp_path / "r.png").read_bytes()[:4] == b"\x89PNG"
