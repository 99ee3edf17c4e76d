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


def stamp_windows(stamps, codes, rows):
    """Per owner: (row slice, column slice, the owner's share of the strip's kernel sums on that
    window), from the strip's own stamps: the owners' sums add up to the map's value, weights and
    kernel constant included. rows=(first, end) of the grid; slices relative to the strip."""
    grid = stamps.grid
    first, end = rows
    reach = stamps.radius + 2 * grid.pixel
    order = np.argsort(codes, kind="stable")
    for group in np.split(order, np.flatnonzero(np.diff(codes[order])) + 1):
        x, y = stamps.xs[group], stamps.ys[group]
        c0 = max(0, int(math.floor((x.min() - reach - grid.xmin) / grid.pixel)))
        c1 = min(grid.cols, int(math.ceil((x.max() + reach - grid.xmin) / grid.pixel)) + 1)
        r0 = max(first, int(math.floor((grid.ymax - y.max() - reach) / grid.pixel)))
        r1 = min(end, int(math.ceil((grid.ymax - y.min() + reach) / grid.pixel)) + 1)
        if c1 > c0 and r1 > r0:
            own = kde.strip_sums(stamps.subset(group), r0, r1, cols=(c0, c1))
            yield slice(r0 - first, r1 - first), slice(c0, c1), own


def largest_share(stamps, codes, rows) -> np.ndarray:
    """Per cell of the strip: the largest single owner's share of the cell's value (NaN where no
    owner gives it any). The dominance rule of statistical disclosure control, (1, k)."""
    first, end = rows
    shape = (end - first, stamps.grid.cols)
    largest, total = np.zeros(shape), np.zeros(shape)
    if len(codes):
        for r, c, own in stamp_windows(stamps, np.asarray(codes), rows):
            own = np.abs(own)
            np.maximum(largest[r, c], own, out=largest[r, c])
            total[r, c] += own
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, largest / total, np.nan)


def cell_shares(cells, codes, weights, n: int) -> np.ndarray:
    """The same rule for cell counts (hot spots): for each of n cells, the largest owner's share of
    the cell's summed weight. cells: each photo's cell index; NaN for cells without weight."""
    cells, codes, weights = np.asarray(cells), np.asarray(codes), np.abs(np.asarray(weights, float))
    pairs, where = np.unique(np.column_stack([cells, codes]), axis=0, return_inverse=True)
    by_pair = np.bincount(where.ravel(), weights, minlength=len(pairs))
    largest = np.zeros(n)
    if len(pairs):
        np.maximum.at(largest, pairs[:, 0], by_pair)
    total = np.bincount(cells, weights, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, largest / total, np.nan)


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
