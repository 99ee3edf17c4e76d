"""Kernel density on a regular grid, value-compatible with QGIS's heatmap.

QGIS-free. Coordinates, radius and pixel size share one projected unit
(the algorithm converts metres first). The grid and the per-point kernel
placement follow QGIS's `QgsKernelDensityEstimation` (qgskde.cpp), so a raster
from here equals `qgis:heatmapkerneldensityestimation` on the same points:

* bounds = points' extent grown by the radius; rows/cols = ceil(size/pixel)+1,
  origin at (xmin, ymax);
* each point touches a (2b+1)^2 block, b = radius/pixel rounded half up;
* distances are measured to pixel centroids counted from the *bottom* of the
  bounds while rows are written from the *top*. That mirrors each stamp by a
  sub-pixel amount when the bounds height is not a multiple of the pixel size;
  we keep it so the two rasters agree.

The hot loop runs in numba (parallel over row bands, no write races; see
`_accumulate_numba` for the difference-array trick); without numba a numpy
fallback gives the same values, much slower.
"""

import math
import os
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from ..errors import UserError

KERNELS = ("quartic", "triangular", "uniform", "triweight", "epanechnikov")
_KERNEL_CODES = {name: i for i, name in enumerate(KERNELS)}

try:
    import numba

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - depends on the user's Python
    HAVE_NUMBA = False


class KdeError(UserError):
    """Bad parameters for a density grid."""


@dataclass(frozen=True)
class Grid:
    xmin: float
    ymin: float
    xmax: float
    ymax: float
    pixel: float
    rows: int
    cols: int

    @property
    def geotransform(self):
        return (self.xmin, self.pixel, 0.0, self.ymax, 0.0, -self.pixel)

    def cell_centres(self):
        """x of column centres and y of row centres (rows from the top)."""
        xs = self.xmin + (np.arange(self.cols) + 0.5) * self.pixel
        ys = self.ymax - (np.arange(self.rows) + 0.5) * self.pixel
        return xs, ys


def grid_for_points(xs, ys, radius: float, pixel: float, max_cells: int = 400_000_000) -> Grid:
    """The grid QGIS's heatmap would use for these points."""
    check_parameters(radius, pixel)
    if len(xs) == 0:
        raise KdeError("There are no points to make a heat map from.")
    xmin, xmax = float(np.min(xs)) - radius, float(np.max(xs)) + radius
    ymin, ymax = float(np.min(ys)) - radius, float(np.max(ys)) + radius
    rows = max(int(math.ceil((ymax - ymin) / pixel)) + 1, 1)
    cols = max(int(math.ceil((xmax - xmin) / pixel)) + 1, 1)
    if rows * cols > max_cells:
        raise KdeError(
            f"The heat map would have {rows} x {cols} = {rows * cols:,} cells "
            f"(limit {max_cells:,}). Use a larger pixel size or a smaller area."
        )
    return Grid(xmin, ymin, xmax, ymax, pixel, rows, cols)


BYTES_PER_CELL = 28  # peak per cell: float64 density, nodata masks, the float32 GeoTIFF copy (about 27 measured)


def available_memory() -> Optional[int]:
    """Bytes of memory available now (Linux and macOS via sysconf), or None where unknown."""
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def memory_budget() -> Optional[int]:
    """Bytes a heat map may take: SCENIC_HEATMAP_MEMORY_BUDGET_MB if set, else 60 % of available memory."""
    chosen = os.environ.get("SCENIC_HEATMAP_MEMORY_BUDGET_MB", "").strip()
    if chosen:
        return int(float(chosen) * 2**20)
    available = available_memory()
    return None if available is None else int(0.6 * available)


def check_memory(grid: "Grid", rasters: int = 1):
    """Refuses, before any work, a grid whose computation would not fit the memory budget."""
    need = grid.rows * grid.cols * BYTES_PER_CELL * rasters
    budget = memory_budget()
    if budget is not None and need > budget:
        raise KdeError(
            f"The heat map would have {grid.rows} x {grid.cols} = {grid.rows * grid.cols:,} cells and need about "
            f"{need / 2**30:.1f} GiB of memory, more than the {budget / 2**30:.1f} GiB available for it. Use a "
            "larger PIXEL_SIZE or a smaller area (or set SCENIC_HEATMAP_MEMORY_BUDGET_MB)."
        )


def check_parameters(radius: float, pixel: float):
    if not (radius > 0 and math.isfinite(radius)):
        raise KdeError(f"The radius must be greater than 0 (got {radius}).")
    if not (pixel > 0 and math.isfinite(pixel)):
        raise KdeError(f"The pixel size must be greater than 0 (got {pixel}).")
    if pixel >= radius:
        raise KdeError(f"The pixel size ({pixel}) must be smaller than the radius ({radius}).")


def buffer_pixels(radius: float, pixel: float) -> int:
    """QGIS's radiusSizeInPixels: radius/pixel, rounded up past half a pixel."""
    buffer = int(radius / pixel)
    if radius - pixel * buffer > 0.5:
        buffer += 1
    return buffer


# what the values of a heat map are, by OUTPUT_VALUE
VALUE_KINDS = ("raw", "scaled", "per km²")


def value_unit(kind: str, weighting: str = "photos", weighted: bool = False) -> str:
    """The unit a legend shows for a heat map's values."""
    if kind == "per km²":
        counted = "weighted photos" if weighted else {"unique owners": "owners"}.get(weighting, weighting)
        return f"{counted} per km²"
    if kind == "scaled":
        return "scaled kernel sum (as QGIS's heatmap)"
    return "kernel sum (as QGIS's heatmap)"


def unit_kernel_scale(kernel: str, radius: float, decay: float = 0.0) -> float:
    """The factor that makes each kernel integrate to one over the plane (per map unit²):
    (1-u²)^p integrates to π r² / (p + 1); the triangular 1-(1-decay)u to π r² (1 + 2 decay) / 3."""
    powers = {"uniform": 0, "epanechnikov": 1, "quartic": 2, "triweight": 3}
    if kernel == "triangular":
        return 3.0 / ((1.0 + 2.0 * decay) * math.pi * radius * radius)
    return (powers[kernel] + 1) / (math.pi * radius * radius)


def kernel_scale(kernel: str, radius: float, scaled: bool, decay: float = 0.0, per_area: bool = False) -> float:
    """The constant factor of each kernel; 1 for raw output (QGIS's constants); per_area: the kernel
    integrates to one (a density per map unit²)."""
    if kernel not in _KERNEL_CODES:
        raise KdeError(f"Unknown kernel {kernel!r}; choose one of {', '.join(KERNELS)}.")
    if per_area:
        return unit_kernel_scale(kernel, radius, decay)
    if not scaled:
        return 1.0
    r2 = radius * radius
    return {
        "uniform": 1.0 / (math.pi * r2),
        "quartic": 116.0 / (5.0 * math.pi * r2) * (15.0 / 16.0),
        "triweight": 128.0 / (35.0 * math.pi * r2) * (35.0 / 32.0),
        "epanechnikov": 8.0 / (3.0 * math.pi * r2) * 0.75,
        "triangular": 3.0 / ((1.0 + 2.0 * decay) * math.pi * r2),
    }[kernel]


def _kernel_shape(code, u2, decay):
    """Unscaled kernel value at squared relative distance u2 = (d/r)^2.

    Works on floats (numba) and numpy arrays (fallback)."""
    if code == 0:
        t = 1.0 - u2
        return t * t
    if code == 1:
        return 1.0 - (1.0 - decay) * u2**0.5
    if code == 2:
        return 1.0
    if code == 3:
        t = 1.0 - u2
        return t * t * t
    return 1.0 - u2


def _point_anchors(xs, ys, grid: Grid, buffer: int):
    """Per point: first column, first written row, first row counted from the bottom."""
    col0 = np.trunc((xs - grid.xmin) / grid.pixel - buffer).astype(np.int64)
    row_bottom0 = np.trunc((ys - grid.ymin) / grid.pixel - buffer).astype(np.int64)
    row_top0 = np.trunc((grid.ymax - ys) / grid.pixel - buffer).astype(np.int64)
    return col0, row_bottom0, row_top0


def _accumulate_numpy(xs, ys, ws, col0, rb0, rt0, grid, radius, buffer, code, decay, out, col_off=0):
    side = 2 * buffer + 1
    offsets = np.arange(side)
    r2 = radius * radius
    for i in range(len(xs)):
        dx = (col0[i] + col_off + offsets + 0.5) * grid.pixel + grid.xmin - xs[i]
        dy = (rb0[i] + offsets + 0.5) * grid.pixel + grid.ymin - ys[i]
        d2 = dy[:, None] ** 2 + dx[None, :] ** 2
        inside = d2 <= r2
        u2 = np.where(inside, d2 / r2, 0.0)
        vals = _kernel_shape(code, u2, decay)
        vals = np.where(inside, vals * ws[i], 0.0)
        r_lo, c_lo = max(rt0[i], 0), max(col0[i], 0)
        r_hi, c_hi = min(rt0[i] + side, grid.rows), min(col0[i] + side, grid.cols)
        if r_lo >= r_hi or c_lo >= c_hi:
            continue
        out[r_lo:r_hi, c_lo:c_hi] += vals[r_lo - rt0[i] : r_hi - rt0[i], c_lo - col0[i] : c_hi - col0[i]]


if HAVE_NUMBA:
    _kernel_shape_nb = numba.njit(inline="always", cache=True)(_kernel_shape)

    @numba.njit(parallel=True, cache=True)
    def _accumulate_numba(
        xs, ys, ws, col0, rb0, rt0, xmin, ymin, pixel, rows, cols, radius, buffer, code, decay, out, col_off
    ):  # pragma: no cover - compiled
        """Adds every point's kernel to `out`, exactly on QGIS's cells.

        Polynomial kernels (all but triangular) are powers of t = 1 - (d/r)^2,
        and along one row t is a quadratic in the column. So a point adds, per
        row it reaches, one polynomial over a column span: we record its
        coefficients at the span's ends (difference arrays) and evaluate all
        rows once, instead of touching every cell of every point's disc.
        Coefficients are relative to a tile origin to keep them small.

        rt0 and col0 may be relative to a window of the grid (col_off: its first column); distances
        and tile origins are still taken from the whole grid's columns, so a window has the same
        cells as the whole grid (bit for bit for whole rows, and for the uniform kernel).
        """
        # Points sorted by first written row; each band of output rows is owned
        # by one thread and only visits the points whose block reaches it.
        order = np.argsort(rt0, kind="mergesort")  # stable: a row's sums keep the input order
        rt_sorted = rt0[order]
        side = 2 * buffer + 1
        r2 = radius * radius
        inv_r2 = 1.0 / r2
        inv_pixel = 1.0 / pixel
        power = -1  # triangular: direct evaluation (it needs a square root)
        if code == 0:
            power = 2
        elif code == 2:
            power = 0
        elif code == 3:
            power = 3
        elif code == 4:
            power = 1
        ncoef = 2 * power + 1 if power >= 0 else 1
        # a power of two near 8 buffers (16 to 1024): tile origins and offsets are shifts and masks,
        # not integer divisions (tens of cycles each, per span and per cell)
        shift = 4
        while (1 << shift) < min(1024, 8 * buffer):
            shift += 1
        tile = 1 << shift
        mask = tile - 1
        band = 32
        nbands = (rows + band - 1) // band
        for b in numba.prange(nbands):
            r_start = b * band
            r_end = min(rows, r_start + band)
            lo = np.searchsorted(rt_sorted, r_start - side + 1)
            hi = np.searchsorted(rt_sorted, r_end)
            if lo >= hi:
                continue
            nr = r_end - r_start
            # always allocated: numba must not see a maybe-undefined array
            span_cols = cols + 1 if power >= 0 else 1
            coef = np.zeros((nr, span_cols, ncoef))
            active = np.zeros((nr, span_cols), dtype=np.int32)
            poly = np.empty(ncoef)
            for k in range(lo, hi):
                i = order[k]
                x = xs[i]
                y = ys[i]
                w = ws[i]
                c0 = col0[i]
                c_abs = c0 + col_off
                yp_lo = max(0, r_start - rt0[i])
                yp_hi = min(side, r_end - rt0[i])
                # the point's column centre and offset, the same for each of its rows
                centre = (x - xmin) * inv_pixel - 0.5 - c_abs
                base = (c_abs + 0.5) * pixel + xmin - x
                for yp in range(yp_lo, yp_hi):
                    dy = (rb0[i] + yp + 0.5) * pixel + ymin - y
                    dy2 = dy * dy
                    if dy2 > r2:
                        continue
                    row = rt0[i] + yp
                    # columns whose centre can be within the radius, widened by
                    # one, then trimmed to those really within it
                    half = math.sqrt(r2 - dy2) * inv_pixel
                    xp_lo = max(0, max(-c0, int(math.floor(centre - half)) - 1))
                    xp_hi = min(side, min(cols - c0, int(math.ceil(centre + half)) + 2))
                    while xp_lo < xp_hi and (base + xp_lo * pixel) ** 2 + dy2 > r2:
                        xp_lo += 1
                    while xp_hi > xp_lo and (base + (xp_hi - 1) * pixel) ** 2 + dy2 > r2:
                        xp_hi -= 1
                    if xp_lo >= xp_hi:
                        continue
                    if power < 0:
                        for xp in range(xp_lo, xp_hi):
                            dx = base + xp * pixel
                            out[row, c0 + xp] += w * _kernel_shape_nb(code, (dx * dx + dy2) * inv_r2, decay)
                        continue
                    lr = row - r_start
                    c = c0 + xp_lo
                    c_end = c0 + xp_hi
                    while c < c_end:
                        origin = (((c + col_off) >> shift) << shift) - col_off
                        stop = min(c_end, origin + tile)
                        # t(s) = g0 + g1 s + g2 s^2 with s = column - origin
                        e = (origin + col_off + 0.5) * pixel + xmin - x
                        g0 = 1.0 - (e * e + dy2) * inv_r2
                        g1 = -2.0 * pixel * e * inv_r2
                        g2 = -pixel * pixel * inv_r2
                        poly[0] = w
                        deg = 0
                        for _ in range(power):  # poly *= t, highest degree first
                            for q in range(deg + 2, -1, -1):
                                v = 0.0
                                if q <= deg:
                                    v += poly[q] * g0
                                if 1 <= q <= deg + 1:
                                    v += poly[q - 1] * g1
                                if q >= 2:
                                    v += poly[q - 2] * g2
                                poly[q] = v
                            deg += 2
                        for q in range(ncoef):
                            coef[lr, c, q] += poly[q]
                            coef[lr, stop, q] -= poly[q]
                        active[lr, c] += 1
                        active[lr, stop] -= 1
                        c = stop
            if power >= 0:
                running = np.zeros(ncoef)
                for lr in range(nr):
                    running[:] = 0.0
                    count = 0
                    dirty = False
                    for j in range(cols):
                        count += active[lr, j]
                        if count == 0:  # no span here: drop the rounding residue of the last ones
                            if dirty:
                                running[:] = 0.0
                                dirty = False
                            continue
                        for q in range(ncoef):
                            running[q] += coef[lr, j, q]
                        dirty = True
                        s = (j + col_off) & mask
                        value = running[ncoef - 1]
                        for q in range(ncoef - 2, -1, -1):
                            value = value * s + running[q]
                        out[r_start + lr, j] += value


STRIP_CELLS = 8_000_000  # cells per strip of rows that density() computes at a time


def strip_rows(grid: Grid, cells: int = STRIP_CELLS) -> int:
    """Rows per strip: about `cells` cells, at least 32 rows (one numba band)."""
    return max(32, cells // max(grid.cols, 1))


def strips(grid: Grid, rows: Optional[int] = None, window=None):
    """(first row, end row) of the strips that cover `window` (default all rows)."""
    r0, r1 = window or (0, grid.rows)
    step = rows or strip_rows(grid)
    return [(start, min(r1, start + step)) for start in range(r0, r1, step)]


@dataclass
class Stamps:
    """Every point's kernel placement on a grid: what a strip of rows needs to sum its own points."""

    xs: np.ndarray
    ys: np.ndarray
    ws: np.ndarray  # weights times the kernel's constant
    col0: np.ndarray
    rb0: np.ndarray
    rt0: np.ndarray
    grid: Grid
    radius: float
    buffer: int
    code: int
    decay: float

    def reaching(self, r0: int, r1: int) -> np.ndarray:
        """Indices (in input order) of the points whose kernel block reaches rows [r0, r1)."""
        return np.flatnonzero((self.rt0 < r1) & (self.rt0 + 2 * self.buffer + 1 > r0))

    def subset(self, index) -> "Stamps":
        return Stamps(
            *(a[index] for a in (self.xs, self.ys, self.ws, self.col0, self.rb0, self.rt0)),
            self.grid,
            self.radius,
            self.buffer,
            self.code,
            self.decay,
        )


def stamps(
    xs, ys, radius: float, grid: Grid, kernel="quartic", weights=None, scaled=False, decay=0.0, per_area=False
) -> Stamps:
    xs = np.ascontiguousarray(xs, dtype=np.float64)
    ys = np.ascontiguousarray(ys, dtype=np.float64)
    if xs.shape != ys.shape:
        raise KdeError("x and y must have the same length.")
    ws = np.ones_like(xs) if weights is None else np.ascontiguousarray(weights, dtype=np.float64)
    if ws.shape != xs.shape:
        raise KdeError("There must be one weight per point.")
    ws = np.where(np.isfinite(ws), ws, 0.0)  # QGIS reads a NULL weight as 0
    code = _KERNEL_CODES.get(kernel)
    scale = kernel_scale(kernel, radius, scaled, decay, per_area)
    buffer = buffer_pixels(radius, grid.pixel)
    col0, rb0, rt0 = _point_anchors(xs, ys, grid, buffer)
    return Stamps(xs, ys, ws * scale, col0, rb0, rt0, grid, float(radius), buffer, code, float(decay))


def strip_sums(st: Stamps, r0: int, r1: int, use_numba: bool = True, out=None, cols=None) -> np.ndarray:
    """Kernel sums on rows [r0, r1) (and columns cols=(first, end), default all) of the grid,
    float64 [r1 - r0, end - first].

    Each row's value depends only on the points that reach that row, summed in input order, so any
    split of the grid into strips of whole rows (here, on another machine, in any order) gives the
    same cells. A column window has the same support and, for the uniform kernel, the same values."""
    grid = st.grid
    q0, q1 = cols or (0, grid.cols)
    if out is None:
        out = np.zeros((r1 - r0, q1 - q0), dtype=np.float64)
    else:
        out[:] = 0.0
    index = st.reaching(r0, r1)
    if cols is not None:
        side = 2 * st.buffer + 1
        index = index[(st.col0[index] < q1) & (st.col0[index] + side > q0)]
    if len(index) == 0:
        return out
    mine = st.subset(index)
    rt0, col0 = mine.rt0 - r0, mine.col0 - q0
    if HAVE_NUMBA and use_numba:
        _accumulate_numba(
            mine.xs,
            mine.ys,
            mine.ws,
            col0,
            mine.rb0,
            rt0,
            grid.xmin,
            grid.ymin,
            grid.pixel,
            r1 - r0,
            q1 - q0,
            st.radius,
            st.buffer,
            st.code,
            st.decay,
            out,
            q0,
        )
    else:
        view = Grid(grid.xmin, grid.ymin, grid.xmax, grid.ymax, grid.pixel, r1 - r0, q1 - q0)
        _accumulate_numpy(
            mine.xs, mine.ys, mine.ws, col0, mine.rb0, rt0, view, st.radius, st.buffer, st.code, st.decay, out, q0
        )
    return out


def density(
    xs,
    ys,
    radius: float,
    pixel: float,
    kernel: str = "quartic",
    weights=None,
    scaled: bool = False,
    decay: float = 0.0,
    grid: Optional[Grid] = None,
    per_area: bool = False,
    progress: Optional[Callable[[float], bool]] = None,
    use_numba: bool = True,
    rows: Optional[int] = None,
):
    """Kernel density of points on `grid` (default: QGIS's grid for them), computed in strips of
    `rows` rows (default about STRIP_CELLS cells each).

    per_area: each kernel integrates to one, so the grid is a density per map unit² whose sum times
    the cell area is the (weighted) point count.
    Returns (values float64 [rows, cols] with rows from the top, grid), or
    None when `progress(fraction)` returned False (cancelled).
    """
    if grid is None:
        grid = grid_for_points(np.asarray(xs, float), np.asarray(ys, float), radius, pixel)
    else:
        check_parameters(radius, pixel)
    if kernel not in _KERNEL_CODES:
        raise KdeError(f"Unknown kernel {kernel!r}; choose one of {', '.join(KERNELS)}.")
    st = stamps(xs, ys, radius, grid, kernel, weights, scaled, decay, per_area)
    out = np.empty((grid.rows, grid.cols), dtype=np.float64)
    for r0, r1 in strips(grid, rows):
        strip_sums(st, r0, r1, use_numba, out=out[r0:r1])
        if progress is not None and progress(r1 / grid.rows) is False:
            return None
    return out, grid
