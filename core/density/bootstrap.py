"""Who is behind a hot spot: the bootstrap over photographers, in closed form. QGIS-free.

Resampling the O owners with replacement gives owner o a multinomial count m_o (mean 1, variance
1 - 1/O, covariance -1/O), and a replicate's density is Σ_o m_o D_o, D_o the owner's own kernel sums.
Its mean over all resamples is the heat map D = Σ_o D_o, and its variance is exactly
Σ_o D_o² - D²/O. So one pass over the owners (each D_o computed once, on the part of the grid the
owner reaches) gives the bootstrap's coefficient of variation without drawing a single replicate:
the limit B -> ∞ of the resampling, at the cost of about one heat map, not B.

`replicates` > 0 also draws that many resamples (the same per-owner sums, weighted) for empirical 5th
and 95th percentiles; with 0 they come from the normal approximation mean ± 1.645 sd (at least 0).
The share of the largest owner is max_o D_o / D."""

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from . import kde
from .owners import owner_codes, owner_windows

Z90 = 1.6448536269514722  # the 95th percentile of the standard normal


@dataclass
class Uncertainty:
    cv: np.ndarray
    p05: np.ndarray
    p95: np.ndarray
    top_share: np.ndarray


def owner_bootstrap(
    xs,
    ys,
    weights,
    owners,
    grid: "kde.Grid",
    radius: float,
    kernel: str = "quartic",
    replicates: int = 0,
    seed: int = 1,
    scale: float = 1.0,
    per_area: bool = False,
    progress: Optional[Callable[[float], bool]] = None,
) -> Optional[Uncertainty]:
    """`scale` multiplies every density (e.g. to per km²). NaN where no owner reaches a cell."""
    xs, ys, weights = (np.asarray(a, float) for a in (xs, ys, weights))
    codes = owner_codes(owners)
    n_owners = int(codes.max()) + 1
    total = np.zeros((grid.rows, grid.cols))
    squares = np.zeros_like(total)
    largest = np.zeros_like(total)
    samples = None
    if replicates:
        draws = (
            np.random.default_rng(seed)
            .multinomial(n_owners, np.full(n_owners, 1.0 / n_owners), size=replicates)
            .astype(float)
        )
        samples = np.zeros((replicates, grid.rows, grid.cols))
    windows = owner_windows(xs, ys, weights, codes, grid, radius, kernel, per_area)
    for number, (owner, rows, cols, own) in enumerate(windows):
        own *= scale
        own[own < 1e-12 * max(own.max(), 1e-300)] = 0.0  # float noise of the kernel sums
        total[rows, cols] += own
        squares[rows, cols] += own * own
        np.maximum(largest[rows, cols], own, out=largest[rows, cols])
        if samples is not None:
            used = np.flatnonzero(draws[:, owner])
            samples[used, rows, cols] += draws[used, owner][:, None, None] * own[None]
        if progress is not None and number % 50 == 0 and progress(number / n_owners) is False:
            return None
    reached = total > 0
    variance = np.maximum(squares - total * total / n_owners, 0.0)
    sd = np.sqrt(variance)
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = np.where(reached, sd / total, np.nan)
        share = np.where(reached, largest / total, np.nan)
    if samples is not None:
        low, high = np.percentile(samples, [5, 95], axis=0)
    else:
        low, high = np.maximum(total - Z90 * sd, 0.0), total + Z90 * sd
    return Uncertainty(cv, np.where(reached, low, np.nan), np.where(reached, high, np.nan), share)
