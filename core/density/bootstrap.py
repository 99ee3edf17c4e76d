"""Who is behind a hot spot: a bootstrap over photographers. QGIS-free.

Owners are resampled with replacement B times; a replicate's density is Σ_o m_o D_o, m_o the times
owner o was drawn and D_o the owner's own density. Each D_o is computed once, on the part of the grid
the owner reaches and one band of rows at a time, so a bootstrap costs one heat map plus B
multiply-adds over each owner's support, not B heat maps. Per cell it gives the coefficient of
variation, the 5th and 95th percentiles, and the share of the density from the single largest owner."""

import math
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from . import kde


@dataclass
class Uncertainty:
    cv: np.ndarray
    p05: np.ndarray
    p95: np.ndarray
    top_share: np.ndarray


def _window(x, y, grid, reach, r0_tile, r1_tile):
    c0 = max(0, int(math.floor((x.min() - reach - grid.xmin) / grid.pixel)))
    c1 = min(grid.cols, int(math.ceil((x.max() + reach - grid.xmin) / grid.pixel)) + 1)
    r0 = max(r0_tile, int(math.floor((grid.ymax - y.max() - reach) / grid.pixel)))
    r1 = min(r1_tile, int(math.ceil((grid.ymax - y.min() + reach) / grid.pixel)) + 1)
    return r0, r1, c0, c1


def owner_bootstrap(
    xs,
    ys,
    weights,
    owners,
    grid: "kde.Grid",
    radius: float,
    kernel: str = "quartic",
    replicates: int = 200,
    seed: int = 1,
    scale: float = 1.0,
    per_area: bool = False,
    tile_bytes: int = 256 * 2**20,
    progress: Optional[Callable[[float], bool]] = None,
) -> Uncertainty:
    """`scale` multiplies every density (e.g. to per km²). NaN where no owner reaches a cell."""
    xs, ys, weights = (np.asarray(a, float) for a in (xs, ys, weights))
    codes = np.unique(np.asarray([str(o) for o in owners], dtype=object), return_inverse=True)[1]
    n_owners = int(codes.max()) + 1
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n_owners, np.full(n_owners, 1.0 / n_owners), size=replicates).astype(float)  # (B, O)
    order = np.argsort(codes, kind="stable")
    groups = np.split(order, np.flatnonzero(np.diff(codes[order])) + 1)
    reach = radius + 2 * grid.pixel
    band_rows = max(1, int(tile_bytes / (8 * (replicates + 3) * grid.cols)))
    out = Uncertainty(*(np.full((grid.rows, grid.cols), np.nan) for _ in range(4)))
    for r0_tile in range(0, grid.rows, band_rows):
        r1_tile = min(grid.rows, r0_tile + band_rows)
        rows = r1_tile - r0_tile
        sums = np.zeros((replicates, rows, grid.cols))
        total = np.zeros((rows, grid.cols))
        largest = np.zeros((rows, grid.cols))
        for group in groups:
            owner = codes[group[0]]
            r0, r1, c0, c1 = _window(xs[group], ys[group], grid, reach, 0, grid.rows)
            top, bottom = max(r0, r0_tile), min(r1, r1_tile)
            if bottom <= top or c1 <= c0:
                continue
            # the owner's whole window (its points inside it, as the kernel code expects), cut to the band
            sub = kde.Grid(
                grid.xmin + c0 * grid.pixel,
                grid.ymin + (grid.rows - r1) * grid.pixel,
                grid.xmin + c1 * grid.pixel,
                grid.ymax - r0 * grid.pixel,
                grid.pixel,
                r1 - r0,
                c1 - c0,
            )
            own = (
                kde.density(
                    xs[group],
                    ys[group],
                    radius,
                    grid.pixel,
                    kernel,
                    weights=weights[group],
                    grid=sub,
                    per_area=per_area,
                )[0][top - r0 : bottom - r0]
                * scale
            )
            own[own < 1e-12 * max(own.max(), 1e-300)] = 0.0
            r0, r1 = top, bottom
            window = (slice(r0 - r0_tile, r1 - r0_tile), slice(c0, c1))
            total[window] += own
            np.maximum(largest[window], own, out=largest[window])
            used = np.flatnonzero(draws[:, owner])
            sums[(used,) + window] += draws[used, owner][:, None, None] * own[None]
        reached = total > 0
        mean = sums.mean(axis=0)
        std = sums.std(axis=0)
        low, high = np.percentile(sums, [5, 95], axis=0)
        band = slice(r0_tile, r1_tile)
        with np.errstate(invalid="ignore", divide="ignore"):
            out.cv[band] = np.where(reached & (mean > 0), std / mean, np.nan)
            out.top_share[band] = np.where(reached, largest / total, np.nan)
        out.p05[band] = np.where(reached, low, np.nan)
        out.p95[band] = np.where(reached, high, np.nan)
        if progress is not None and progress(r1_tile / grid.rows) is False:
            return None
    return out
