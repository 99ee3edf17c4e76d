"""Scores that are probabilities, and the numbers that say how good they are. QGIS-free, numpy only.

Platt scaling (a logistic curve on one logit) calibrates a two-class score;
temperature scaling calibrates a softmax over more classes. Both are fitted on
predictions the model did not train on (out-of-fold or a validation split).
"""

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import numpy as np

EPS = 1e-6


def logit(p):
    p = np.clip(np.asarray(p, dtype=np.float64), EPS, 1 - EPS)
    return np.log(p / (1 - p))


def sigmoid(z):
    z = np.asarray(z, dtype=np.float64)
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # stable for large |z|


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-3, iterations: int = 100) -> np.ndarray:
    """Weights [d + 1] (last: intercept) of an L2-regularised logistic regression, by Newton's method.

    For the few columns of a calibration map; the intercept is not penalised."""
    x = np.column_stack([np.asarray(x, dtype=np.float64).reshape(len(y), -1), np.ones(len(y))])
    y = np.asarray(y, dtype=np.float64)
    w = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(iterations):
        p = sigmoid(x @ w)
        gradient = x.T @ (p - y) + penalty * w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    return w


@dataclass
class Platt:
    """p = sigmoid(a * z + b) for a raw score z (a logit)."""

    a: float = 1.0
    b: float = 0.0

    def __call__(self, z):
        return sigmoid(self.a * np.asarray(z, dtype=np.float64) + self.b)

    @classmethod
    def fit(cls, z, y) -> "Platt":
        y = np.asarray(y, dtype=np.float64)
        if y.min() == y.max():
            raise ValueError("calibration needs examples of both classes")
        a, b = fit_logistic(np.asarray(z, dtype=np.float64)[:, None], y, l2=1e-4)
        return cls(float(a), float(b))

    def to_dict(self) -> dict:
        return {"kind": "platt", "a": self.a, "b": self.b}


def softmax(logits, temperature: float = 1.0):
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def fit_temperature(logits: np.ndarray, labels: Sequence[int]) -> float:
    """The temperature that minimises the cross-entropy of softmax(logits / T) (golden-section on log T)."""
    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels, dtype=int)

    def loss(log_t):
        p = softmax(logits, np.exp(log_t))
        return -np.mean(np.log(np.clip(p[np.arange(len(labels)), labels], 1e-12, 1)))

    lo, hi = np.log(0.05), np.log(50.0)
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(80):
        c, d = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        if loss(c) < loss(d):
            hi = d
        else:
            lo = c
    return float(np.exp((lo + hi) / 2))


def calibrate(logits: np.ndarray, calibration: Optional[dict]) -> np.ndarray:
    """Probabilities [n, classes] from a head's logits and a stored calibration (None: plain softmax).

    Two classes: Platt on the logit difference of class 1 over class 0. More: temperature."""
    logits = np.atleast_2d(np.asarray(logits, dtype=np.float64))
    if not calibration:
        return softmax(logits)
    if calibration.get("kind") == "platt" and logits.shape[1] == 2:
        p1 = Platt(calibration["a"], calibration["b"])(logits[:, 1] - logits[:, 0])
        return np.column_stack([1 - p1, p1])
    if calibration.get("kind") == "temperature":
        return softmax(logits, float(calibration["t"]))
    raise ValueError(f"unknown calibration {calibration.get('kind')!r}")


def fit_calibration(logits: np.ndarray, labels: Sequence[int]) -> dict:
    """What `calibrate` reads: Platt for two classes, temperature for more."""
    logits = np.atleast_2d(np.asarray(logits, dtype=np.float64))
    labels = np.asarray(labels, dtype=int)
    if logits.shape[1] == 2 and len(set(labels.tolist())) == 2:
        return Platt.fit(logits[:, 1] - logits[:, 0], labels).to_dict()
    return {"kind": "temperature", "t": fit_temperature(logits, labels)}


# -- quality numbers ------------------------------------------------------------------------------


def balanced_accuracy(p, y, threshold: float) -> float:
    """Mean of valid recall and non-valid rejection when score >= threshold means valid."""
    p, y = np.asarray(p), np.asarray(y).astype(bool)
    kept = p >= threshold
    recall = kept[y].mean() if y.any() else np.nan
    rejection = (~kept[~y]).mean() if (~y).any() else np.nan
    return float(np.nanmean([recall, rejection]))


def best_threshold(p, y) -> float:
    """The threshold that maximises balanced accuracy: halfway between the lowest best score and
    the next lower one, so that it sits in the gap rather than on a photo's score."""
    p = np.asarray(p, dtype=np.float64)
    candidates = np.unique(p)
    scores = [balanced_accuracy(p, y, t) for t in candidates]
    best = int(np.argmax(scores))
    lower = candidates[best - 1] if best > 0 else 0.0
    return float((lower + candidates[best]) / 2)


def reliability(p, y, bins: int = 10) -> List[Dict[str, float]]:
    """Per equal-width score bin: count, mean score, share truly valid."""
    p, y = np.asarray(p, dtype=np.float64), np.asarray(y, dtype=np.float64)
    edges = np.linspace(0, 1, bins + 1)
    index = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    rows = []
    for b in range(bins):
        inside = index == b
        rows.append(
            {
                "low": float(edges[b]),
                "high": float(edges[b + 1]),
                "n": int(inside.sum()),
                "score": float(p[inside].mean()) if inside.any() else float("nan"),
                "valid": float(y[inside].mean()) if inside.any() else float("nan"),
            }
        )
    return rows


def expected_calibration_error(p, y, bins: int = 10) -> float:
    """Count-weighted mean |share valid - mean score| over equal-width bins."""
    rows = reliability(p, y, bins)
    n = sum(r["n"] for r in rows)
    return float(sum(r["n"] * abs(r["valid"] - r["score"]) for r in rows if r["n"]) / max(n, 1))


def reliability_png(path_or_buffer, curves: Dict[str, tuple], bins: int = 10, title: str = "Reliability"):
    """A reliability diagram: for each name, (scores, truth) as mean score against share valid per bin."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(4.5, 4.5))
    axes.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfectly calibrated")
    for name, (p, y) in curves.items():
        rows = [r for r in reliability(p, y, bins) if r["n"]]
        ece = expected_calibration_error(p, y, bins)
        axes.plot([r["score"] for r in rows], [r["valid"] for r in rows], marker="o", label=f"{name} (ECE {ece:.3f})")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.set_xlabel("mean score in bin")
    axes.set_ylabel("share truly valid")
    axes.set_title(title)
    axes.legend(loc="upper left", fontsize=8)
    figure.savefig(path_or_buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
