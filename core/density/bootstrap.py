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
SAMPLE_BYTES = 256 * 2**20  # replicates of one strip: B x strip cells x 4 bytes (float32) at most


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

    @numba.njit(inline="always")
    def _keep_smallest(buffer, filled, v):  # pragma: no cover - compiled
        """buffer[:filled] ascending holds the smallest values seen; v goes in if it is one of them."""
        m = buffer.shape[0]
        if filled == m:
            if v >= buffer[m - 1]:
                return filled
            at = m - 1
        else:
            at = filled
            filled += 1
        while at > 0 and buffer[at - 1] > v:
            buffer[at] = buffer[at - 1]
            at -= 1
        buffer[at] = v
        return filled

    @numba.njit(parallel=True, cache=True)
    def _percentiles(samples, reached, low, high):  # pragma: no cover - compiled
        """np.percentile's 5th and 95th (linear interpolation) per reached cell, rows in parallel: one pass
        per cell keeps its l1 + 1 smallest and b - h0 largest values (a few dozen of B = 200), instead
        of a partition of all of them."""
        b = samples.shape[2]
        at_low, at_high = 0.05 * (b - 1), 0.95 * (b - 1)
        l0, h0 = int(math.floor(at_low)), int(math.floor(at_high))
        l1, h1 = min(l0 + 1, b - 1), min(h0 + 1, b - 1)
        for i in numba.prange(samples.shape[0]):
            small = np.empty(l1 + 1)
            large = np.empty(b - h0)  # the largest, kept as the smallest of their negatives
            for j in range(samples.shape[1]):
                if not reached[i, j]:
                    low[i, j] = 0.0
                    high[i, j] = 0.0
                    continue
                cell = samples[i, j]
                ns = nl = 0
                for k in range(b):
                    v = cell[k]
                    ns = _keep_smallest(small, ns, v)
                    nl = _keep_smallest(large, nl, -v)
                low[i, j] = small[l0] + (small[l1] - small[l0]) * (at_low - l0)
                # large[q] is minus the (q+1)-th largest, i.e. sorted position b - 1 - q
                v0, v1 = -large[b - 1 - h0], -large[b - 1 - h1]
                high[i, j] = v0 + (v1 - v0) * (at_high - h0)

else:  # pragma: no cover - depends on the user's Python
    _add_owner = _add_owner_numpy
    _percentiles = _percentiles_numpy


@dataclass
class BootstrapSpec:
    """What every strip of the bootstrap needs (travels once to each worker)."""

    grid: "kde.Grid"
    radius: float
    kernel: str
    per_area: bool
    scale: float
    draws: Optional[np.ndarray]  # [B, owners] times each resample drew each owner, or None


@dataclass
class BootstrapJob:
    r0: int
    r1: int
    xs: np.ndarray  # the points whose kernel reaches rows [r0, r1), with their weights and owner codes
    ys: np.ndarray
    weights: np.ndarray
    codes: np.ndarray


@dataclass
class BootstrapStrip:
    r0: int
    r1: int
    total: np.ndarray
    squares: np.ndarray
    largest: np.ndarray
    low: Optional[np.ndarray]  # drawn percentiles (None without replicates)
    high: Optional[np.ndarray]


def bootstrap_strip(spec: BootstrapSpec, job: BootstrapJob) -> BootstrapStrip:
    """One strip's sums over owners and, with replicates, its drawn 5th and 95th percentiles."""
    grid, r0, r1 = spec.grid, job.r0, job.r1
    shape = (r1 - r0, grid.cols)
    total, squares, largest = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    replicates = 0 if spec.draws is None else spec.draws.shape[0]
    samples = np.zeros(shape + (replicates,), np.float32) if replicates else None
    windows = owner_windows(
        job.xs, job.ys, job.weights, job.codes, grid, spec.radius, spec.kernel, spec.per_area, (r0, r1)
    )
    for owner, rows, cols, own in windows:
        own *= spec.scale
        own[own < 1e-12 * max(own.max(), 1e-300)] = 0.0  # float noise of the kernel sums
        total[rows, cols] += own
        squares[rows, cols] += own * own
        np.maximum(largest[rows, cols], own, out=largest[rows, cols])
        if samples is not None:
            _add_owner(samples, rows.start, cols.start, own.astype(np.float32), spec.draws[:, owner].astype(np.float32))
    low = high = None
    if samples is not None:
        low, high = np.full(shape, np.nan), np.full(shape, np.nan)
        _percentiles(samples, total > 0, low, high)
    return BootstrapStrip(r0, r1, total, squares, largest, low, high)


def local_strips(spec, strip_jobs):
    for job in strip_jobs:
        yield bootstrap_strip(spec, job)


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
    run_strips: Callable = local_strips,
) -> Optional[Uncertainty]:
    """`scale` multiplies every density (e.g. to per km²). NaN where no owner reaches a cell.

    The strips run through `run_strips` (here one after the other; core/cluster passes a Dask one);
    with replicates a strip holds B x its cells of float32 replicates, at most SAMPLE_BYTES."""
    xs, ys, weights = (np.asarray(a, float) for a in (xs, ys, weights))
    codes = owner_codes(owners)
    n_owners = int(codes.max()) + 1
    draws = None
    if replicates:
        draws = np.random.default_rng(seed).multinomial(n_owners, np.full(n_owners, 1.0 / n_owners), size=replicates)
    spec = BootstrapSpec(grid, float(radius), kernel, per_area, float(scale), draws)
    height = grid.rows if not replicates else max(1, min(grid.rows, SAMPLE_BYTES // (4 * replicates * grid.cols)))
    st = kde.stamps(xs, ys, radius, grid)  # only for which points reach which strip
    strip_jobs = []
    for r0, r1 in kde.strips(grid, height):
        index = st.reaching(r0, r1)
        strip_jobs.append(BootstrapJob(r0, r1, xs[index], ys[index], weights[index], codes[index]))
    total = np.zeros((grid.rows, grid.cols))
    squares, largest = np.zeros_like(total), np.zeros_like(total)
    low = high = None
    if replicates:
        low, high = np.full_like(total, np.nan), np.full_like(total, np.nan)
    results = run_strips(spec, strip_jobs)
    for number, part in enumerate(results, start=1):
        rows = slice(part.r0, part.r1)
        total[rows], squares[rows], largest[rows] = part.total, part.squares, part.largest
        if replicates:
            low[rows], high[rows] = part.low, part.high
        if progress is not None and progress(number / len(strip_jobs)) is False:
            close = getattr(results, "close", None)
            if close:
                close()
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
