"""Which photo points a web map may show, and what their popups say. QGIS-free.

A photo position identifies its owner, so points are shown only where the heat maps' privacy rules
would show a cell: at least `min_owners` people in its cell, no one owner above `max_share` of it
(core/hotspots/grid, the hot spots' own cells). Then at most `cap` photos, a reproducible sample."""

from dataclasses import dataclass

import numpy as np

from ..hotspots import grid

DEFAULT_CAP = 2000  # with 320 px thumbnails, a page of about 50 MB at most
THUMBNAIL_EDGE = 320
THUMBNAIL_QUALITY = 70


@dataclass
class Shown:
    keep: np.ndarray  # indices of the photos to show
    floor: int  # left out: fewer than min_owners owners in their cell
    dominated: int  # left out: one owner above max_share of their cell
    capped: int  # left out by the cap


def choose(xs, ys, owners, cell_m: float, min_owners: int, max_share: float, cap: int, seed: int = 0) -> Shown:
    """The photos a page may show: the owner floor and the dominance rule per cell of cell_m metres
    (xs, ys in a projected CRS in metres), then a sample of at most `cap`."""
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    n = len(xs)
    if n == 0:
        return Shown(np.arange(0), 0, 0, 0)
    keep = np.ones(n, bool)
    floor = dominated = 0
    if min_owners > 0 or max_share > 0:
        cells = grid.aggregate(xs, ys, owners, np.ones(n), cell_m)
        where = cells.point_cells
        few = cells.owners[where] < min_owners
        over = ~few & (max_share > 0) & (np.nan_to_num(cells.shares[where], nan=1.0) > max_share)
        floor, dominated = int(few.sum()), int(over.sum())
        keep = ~few & ~over & (where >= 0)
    chosen = np.flatnonzero(keep)
    capped = max(0, len(chosen) - cap)
    if capped:
        chosen = np.sort(np.random.default_rng(seed).choice(chosen, size=cap, replace=False))
    return Shown(chosen, floor, dominated, capped)


def popup_rows(score, category, taken: str, title: str = ""):
    """(label, text) rows for a photo's popup; absent values are left out."""
    rows = []
    if title:
        rows.append(("Title", title))
    if category:
        rows.append(("Category", category))
    if score is not None:
        rows.append(("Score", f"{float(score):.2f}"))
    if taken:
        rows.append(("Taken", taken))
    return rows
