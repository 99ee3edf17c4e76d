"""Points into square or hexagon cells, in projected metres. QGIS-free.

Each occupied or empty cell of the points' bounding lattice is one observation: Gi* needs the
zeros too, or a cluster is compared only with other busy cells."""

import math
from dataclasses import dataclass
from typing import List, Optional

import numpy as np

from ..density.owners import cell_shares
from ..errors import UserError

GRIDS = ("square", "hexagon")
MAX_CELLS = 2_000_000


class GridError(UserError):
    pass


@dataclass
class Cells:
    kind: str
    size: float  # square side, or hexagon side (centre to corner)
    centres: np.ndarray  # (n, 2) x, y
    counts: np.ndarray  # photos per cell
    owners: np.ndarray  # distinct owners per cell
    values: np.ndarray  # the weighted value that is tested (photos, user-days or owners)
    shares: Optional[np.ndarray] = None  # the largest owner's share of each cell's value (NaN: empty)
    point_cells: Optional[np.ndarray] = None  # each point's cell (-1: outside the lattice)

    def polygon(self, i: int) -> List[tuple]:
        """The corners of cell i (closed ring)."""
        x, y = self.centres[i]
        if self.kind == "square":
            h = self.size / 2
            ring = [(x - h, y - h), (x + h, y - h), (x + h, y + h), (x - h, y + h)]
        else:  # pointy-top hexagon
            ring = [
                (
                    x + self.size * math.cos(math.radians(30 + 60 * k)),
                    y + self.size * math.sin(math.radians(30 + 60 * k)),
                )
                for k in range(6)
            ]
        return ring + [ring[0]]


def _square_index(xs, ys, size, x0, y0):
    return np.floor((xs - x0) / size).astype(np.int64), np.floor((ys - y0) / size).astype(np.int64)


def _hex_index(xs, ys, size, x0, y0):
    """Axial coordinates (q, r) of pointy-top hexagons of side `size` (cube rounding)."""
    px, py = xs - x0, ys - y0
    q = (math.sqrt(3) / 3 * px - py / 3) / size
    r = (2 / 3 * py) / size
    x, z = q, r
    y = -x - z
    rx, ry, rz = np.round(x), np.round(y), np.round(z)
    dx, dy, dz = np.abs(rx - x), np.abs(ry - y), np.abs(rz - z)
    fix_x = (dx > dy) & (dx > dz)
    fix_y = ~fix_x & (dy > dz)
    rx = np.where(fix_x, -ry - rz, rx)
    ry = np.where(fix_y, -rx - rz, ry)
    rz = np.where(~fix_x & ~fix_y, -rx - ry, rz)
    return rx.astype(np.int64), rz.astype(np.int64)


def _hex_centre(q, r, size, x0, y0):
    return x0 + size * math.sqrt(3) * (q + r / 2), y0 + size * 1.5 * r


def aggregate(xs, ys, owners, values, size: float, kind: str = "square", extent: Optional[tuple] = None) -> Cells:
    """Every cell of the lattice over the points (or `extent`: xmin, ymin, xmax, ymax) with its photo
    count, distinct owners and summed value."""
    if kind not in GRIDS:
        raise GridError(f"Unknown grid {kind!r}; use square or hexagon.")
    if not size > 0:
        raise GridError("CELL: the cell size must be greater than 0 metres.")
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    values = np.asarray(values, float)
    if len(xs) == 0:
        raise GridError("No points to aggregate.")
    xmin, ymin, xmax, ymax = extent or (xs.min(), ys.min(), xs.max(), ys.max())
    if kind == "square":
        cols = max(1, int(math.floor((xmax - xmin) / size)) + 1)
        rows = max(1, int(math.floor((ymax - ymin) / size)) + 1)
        if cols * rows > MAX_CELLS:
            raise GridError(f"CELL: {cols} x {rows} cells is more than {MAX_CELLS:,}; use larger cells.")
        ci, ri = _square_index(xs, ys, size, xmin, ymin)
        keys = np.where((ci >= 0) & (ci < cols) & (ri >= 0) & (ri < rows), ri * cols + ci, -1)  # outside: no cell
        gc, gr = np.meshgrid(np.arange(cols), np.arange(rows))
        centres = np.column_stack([xmin + (gc.ravel() + 0.5) * size, ymin + (gr.ravel() + 0.5) * size])
        n = cols * rows
    else:
        width, height = size * math.sqrt(3), size * 1.5
        if ((xmax - xmin) / width + 2) * ((ymax - ymin) / height + 2) > MAX_CELLS:
            raise GridError(f"CELL: more than {MAX_CELLS:,} hexagons; use larger cells.")
        q, r = _hex_index(xs, ys, size, xmin, ymin)
        r_range = np.arange(-1, int(math.ceil((ymax - ymin) / height)) + 2)
        lattice = []
        for rr in r_range:  # every hexagon whose centre lies within one cell of the extent
            q_lo = int(math.floor(-rr / 2)) - 1
            q_hi = int(math.ceil((xmax - xmin) / width - rr / 2)) + 1
            lattice.extend((qq, rr) for qq in range(q_lo, q_hi + 1))
        lattice = np.array(lattice, dtype=np.int64)
        cx, cy = _hex_centre(lattice[:, 0], lattice[:, 1], size, xmin, ymin)
        inside = (cx >= xmin - width) & (cx <= xmax + width) & (cy >= ymin - height) & (cy <= ymax + height)
        lattice = lattice[inside]
        centres = np.column_stack([cx[inside], cy[inside]])
        position = {(int(a), int(b)): i for i, (a, b) in enumerate(lattice)}
        keys = np.array([position.get((int(a), int(b)), -1) for a, b in zip(q, r)], dtype=np.int64)
        n = len(lattice)
    ok = keys >= 0
    counts = np.bincount(keys[ok], minlength=n).astype(float)
    summed = np.bincount(keys[ok], weights=values[ok], minlength=n)
    owner_codes = np.unique(np.asarray(owners, dtype=object)[ok].astype(str), return_inverse=True)[1]
    pairs = np.unique(np.column_stack([keys[ok], owner_codes]), axis=0)
    owner_counts = np.bincount(pairs[:, 0], minlength=n).astype(float) if len(pairs) else np.zeros(n)
    shares = cell_shares(keys[ok], owner_codes, values[ok], n)
    return Cells(kind, float(size), centres, counts, owner_counts, summed, shares, keys)
