"""Who is behind a hot spot: the bootstrap over photographers, in closed form. QGIS-free.

Resampling the O owners with replacement gives owner o a multinomial count m_o (mean 1, variance
1 - 1/O, covariance -1/O), and a replicate's density is Σ_o m_o D_o, D_o the owner's own kernel sums.
Its mean over all resamples is the heat map D = Σ_o D_o, and its variance is exactly
Σ_o D_o² - D²/O. So one pass over the owners (each D_o computed once, on the part of the grid the
owner reaches) gives the bootstrap's coefficient of variation without drawing a single replicate:
the limit B -> ∞ of the resampling, at the cost of about one heat map, not B.

`replicates` > 0 also draws that many resamples for empirical 5th and 95th percentiles, from the same
per-owner sums: replicate b is Σ_o m_bo D_o, added owner by owner (numba) into the replicates of one
strip of rows at a time, so memory holds B x one strip, never B grids. With 0 the percentiles come from
the normal approximation mean ± 1.645 sd (at least 0). The share of the largest owner is max_o D_o / D."""

import math
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from . import kde
from .owners import owner_codes, owner_windows

Z90 = 1.6448536269514722  # the 95th percentile of the standard normal
SAMPLE_BYTES = 256 * 2**20  # replicates of one strip: B x strip cells x 8 bytes at most


@dataclass
class Uncertainty:
    cv: np.ndarray
    p05: np.ndarray
    p95: np.ndarray
    top_share: np.ndarray


def _add_owner_numpy(samples, r0, c0, own, counts):
    window = samples[r0 : r0 + own.shape[0], c0 : c0 + own.shape[1]]
    window += own[..., None] * counts[None, None, :]


def _percentiles_numpy(samples, reached, low, high):
    low[:], high[:] = np.percentile(samples, [5, 95], axis=2)


if kde.HAVE_NUMBA:
    import numba

    @numba.njit(parallel=True, cache=True)
    def _add_owner(samples, r0, c0, own, counts):  # pragma: no cover - compiled
        """samples[r0 + i, c0 + j, :] += counts * own[i, j]: one owner into every replicate, by the
        times each drew them (rows in parallel: no two threads touch one cell; the inner loop is
        contiguous, so it vectorises)."""
        b = counts.shape[0]
        for i in numba.prange(own.shape[0]):
            for j in range(own.shape[1]):
                v = own[i, j]
                if v == 0.0:
                    continue
                cell = samples[r0 + i, c0 + j]
                for k in range(b):
                    cell[k] += counts[k] * v

    @numba.njit(parallel=True, cache=True)
    def _percentiles(samples, reached, low, high):  # pragma: no cover - compiled
        """np.percentile's 5th and 95th (linear interpolation) per reached cell, rows in parallel."""
        b = samples.shape[2]
        at_low, at_high = 0.05 * (b - 1), 0.95 * (b - 1)
        l0, h0 = int(math.floor(at_low)), int(math.floor(at_high))
        l1, h1 = min(l0 + 1, b - 1), min(h0 + 1, b - 1)
        kth = np.array([l0, l1, h0, h1])
        for i in numba.prange(samples.shape[0]):
            for j in range(samples.shape[1]):
                if not reached[i, j]:
                    low[i, j] = 0.0
                    high[i, j] = 0.0
                    continue
                part = np.partition(samples[i, j].copy(), kth)
                low[i, j] = part[l0] + (part[l1] - part[l0]) * (at_low - l0)
                high[i, j] = part[h0] + (part[h1] - part[h0]) * (at_high - h0)

else:  # pragma: no cover - depends on the user's Python
    _add_owner = _add_owner_numpy
    _percentiles = _percentiles_numpy


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
    low = high = None
    draws = None
    if replicates:
        draws = (
            np.random.default_rng(seed)
            .multinomial(n_owners, np.full(n_owners, 1.0 / n_owners), size=replicates)
            .astype(float)
        )
        low, high = np.full_like(total, np.nan), np.full_like(total, np.nan)
    height = grid.rows if not replicates else max(1, min(grid.rows, SAMPLE_BYTES // (8 * replicates * grid.cols)))
    spans = kde.strips(grid, height)
    for number, (r0, r1) in enumerate(spans):
        samples = np.zeros((r1 - r0, grid.cols, replicates)) if replicates else None
        for owner, rows, cols, own in owner_windows(xs, ys, weights, codes, grid, radius, kernel, per_area, (r0, r1)):
            own *= scale
            own[own < 1e-12 * max(own.max(), 1e-300)] = 0.0  # float noise of the kernel sums
            at = (slice(rows.start + r0, rows.stop + r0), cols)
            total[at] += own
            squares[at] += own * own
            np.maximum(largest[at], own, out=largest[at])
            if samples is not None:
                _add_owner(samples, rows.start, cols.start, np.ascontiguousarray(own), draws[:, owner].copy())
        if samples is not None:
            _percentiles(samples, total[r0:r1] > 0, low[r0:r1], high[r0:r1])
        if progress is not None and progress((number + 1) / len(spans)) is False:
            return None
    reached = total > 0
    variance = np.maximum(squares - total * total / n_owners, 0.0)
    sd = np.sqrt(variance)
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = np.where(reached, sd / total, np.nan)
        share = np.where(reached, largest / total, np.nan)
    if low is None:
        low, high = np.maximum(total - Z90 * sd, 0.0), total + Z90 * sd
    return Uncertainty(cv, np.where(reached, low, np.nan), np.where(reached, high, np.nan), share)
