"""How many distinct owners reach each cell of a heat map: the privacy and reliability floor
(MIN_OWNERS). QGIS-free.

An owner reaches a cell when one of their photos gives it density (the kernel's own support, QGIS's
pixel rule). Each owner's
points are run through the uniform kernel on the part of the grid they can reach, so the cost follows
the photos, not owners x grid."""

import math

import numpy as np

from . import kde


def owner_codes(owners) -> np.ndarray:
    return np.unique(np.asarray([str(o) for o in owners], dtype=object), return_inverse=True)[1]


def owner_windows(
    xs, ys, weights, codes, grid: "kde.Grid", radius: float, kernel: str = "quartic", per_area: bool = False, rows=None
):
    """Per owner: (owner code, row slice, column slice, the owner's kernel sums on that window of the
    grid), which has the support of the full grid's (kde.strip_sums).

    rows=(first, end): only that strip of the grid; the row slices are then relative to it."""
    first, end = rows or (0, grid.rows)
    if len(codes) == 0:
        return
    order = np.argsort(codes, kind="stable")
    reach = radius + 2 * grid.pixel  # the kernel measures from pixel positions: a margin of two cells
    for group in np.split(order, np.flatnonzero(np.diff(codes[order])) + 1):
        x, y = xs[group], ys[group]
        c0 = max(0, int(math.floor((x.min() - reach - grid.xmin) / grid.pixel)))
        c1 = min(grid.cols, int(math.ceil((x.max() + reach - grid.xmin) / grid.pixel)) + 1)
        r0 = max(first, int(math.floor((grid.ymax - y.max() - reach) / grid.pixel)))
        r1 = min(end, int(math.ceil((grid.ymax - y.min() + reach) / grid.pixel)) + 1)
        if c1 <= c0 or r1 <= r0:
            continue
        # the owner's stamps on the whole grid, summed on the window only: the same cells as the
        # whole grid's (a sub-grid of its own would round each point's first row differently)
        st = kde.stamps(x, y, radius, grid, kernel, weights[group], per_area=per_area)
        own = kde.strip_sums(st, r0, r1, cols=(c0, c1))
        yield codes[group[0]], slice(r0 - first, r1 - first), slice(c0, c1), own


def owner_counts(xs, ys, owners, grid: "kde.Grid", radius: float, rows=None) -> np.ndarray:
    """int32 [rows, cols] of distinct owners whose photos give each cell density (rows=(first, end):
    that strip only)."""
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    first, end = rows or (0, grid.rows)
    counts = np.zeros((end - first, grid.cols), np.int32)
    if len(xs) == 0:
        return counts
    codes = owner_codes(owners)
    for _, rows, cols, own in owner_windows(
        xs, ys, np.ones(len(xs)), codes, grid, radius, "uniform", rows=(first, end)
    ):
        # each point adds exactly 1 inside its disc; what is left outside is float noise of the sums
        counts[rows, cols] += own > 0.5
    return counts


def apply_floor(values, counts, min_owners: int):
    """Cells reached by fewer than min_owners owners become NaN, in place. Returns (cells, cells
    that had density) removed."""
    few = counts < min_owners
    had = few & np.isfinite(values)
    values[few] = np.nan
    return int(had.sum())
