"""Hot spots from weighed photos: cells, the tourist share, the owner floor, the neighbourhood and
Gi*. QGIS-free; the adapter reads the layer and writes the cells."""

from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np

from ..density import weighting as bias
from ..density.raster import points_in_polygons, polygons_extent
from ..errors import SILENT, Progress, UserError
from . import gistar
from .grid import aggregate

TOURIST_SHARE = "tourist share"
LOCAL_RULES = ("photos span more than the local days", "share of photo days inside the clip")
NEIGHBOURHOODS = ("distance band", "k nearest")


@dataclass
class Settings:
    cell_m: float
    to_units: float = 1.0  # map units per metre
    grid: str = "square"
    neighbourhood: str = "distance band"
    band_m: float = 0.0  # 0: 1.5 cells (square) or 1.8 cells (hexagon)
    k: int = 8
    permutations: int = 999
    seed: int = 1
    fdr: bool = True
    min_owners: int = 0
    max_owner_share: float = 0.0  # the dominance rule (1, k): 0 off
    weighting: str = "photos"
    audience: str = "all"  # bias.AUDIENCES or TOURIST_SHARE
    local_rule: int = 0  # LOCAL_RULES
    local_days: float = bias.LOCAL_DAYS
    local_share: float = 0.5

    @property
    def cell(self) -> float:
        return self.cell_m * self.to_units

    @property
    def band(self) -> Optional[float]:
        if self.neighbourhood == "k nearest":
            return None
        if self.band_m > 0:
            return self.band_m * self.to_units
        return 1.5 * self.cell * (1.0 if self.grid == "square" else 1.2)

    @property
    def tested(self) -> str:
        return f"Gi* of {self.weighting} ({self.audience}) in {self.cell_m:g} m {self.grid} cells"


@dataclass
class HotSpots:
    cells: object  # grid.Cells
    keep: np.ndarray  # cells tested
    gi: gistar.GiStar
    removed_cells: int  # by the owner floor
    removed_photos: int
    notes: List[str] = field(default_factory=list)
    dominated_cells: int = 0  # by the dominance rule
    dominated_photos: int = 0
    suppressed: Optional[np.ndarray] = None  # cells hidden by either rule: shown as such, never tested

    @property
    def hot(self) -> int:
        return sum(c.startswith("hot") for c in self.gi.classes)

    @property
    def cold(self) -> int:
        return sum(c.startswith("cold") for c in self.gi.classes)


def hot_spots(photos, settings: Settings, clip_wkbs=None, progress: Progress = SILENT) -> HotSpots:
    """photos: pipeline.Photos already weighed (every owner read when the audience is the tourist share)."""
    if len(photos) == 0:
        raise UserError("POINTS: no photo points to test.")
    notes = []
    share = settings.audience == TOURIST_SHARE
    if share and settings.weighting != "photo-user-days":
        raise UserError("AUDIENCE tourist share compares photo-user-days: set WEIGHTING to photo-user-days.")
    # the lattice covers the study area: the clip polygons when given (their empty cells are part of
    # Gi*'s reference), else the photos' extent
    if clip_wkbs is not None:
        extent = polygons_extent(clip_wkbs)
        notes.append("The lattice covers the clip polygons; cells whose centre lies outside them are not tested.")
    else:
        extent = (photos.xs.min(), photos.ys.min(), photos.xs.max(), photos.ys.max())
        notes.append("The lattice covers the photos' extent (give CLIP polygons to test the whole study area).")
    cells = aggregate(photos.xs, photos.ys, photos.owners, photos.weights, settings.cell, settings.grid, extent=extent)
    progress.report(0.1, "cells")
    if share:
        tourists = ~_locals(photos, settings, clip_wkbs)
        visitors = aggregate(
            photos.xs, photos.ys, photos.owners, photos.weights * tourists, settings.cell, settings.grid, extent=extent
        )
        city = visitors.values.sum() / max(cells.values.sum(), 1e-300)
        notes.append(
            f"Tourists hold {100 * city:.1f} % of the photo-user-days; each cell tests its tourist user-days "
            "above that share of its own."
        )
        cells.values = visitors.values - city * cells.values
    keep = np.ones(len(cells.counts), bool)
    if clip_wkbs is not None:
        keep &= points_in_polygons(cells.centres[:, 0], cells.centres[:, 1], clip_wkbs)
    few = (cells.owners < settings.min_owners) & (cells.counts > 0) & keep
    if few.any():
        notes.append(
            f"MIN_OWNERS {settings.min_owners}: {int(few.sum())} cells with {int(cells.counts[few].sum())} "
            "photos left out (fewer distinct owners)."
        )
    keep &= ~few
    dominated = np.zeros(len(cells.counts), bool)
    if settings.max_owner_share:
        dominated = (np.nan_to_num(cells.shares) > settings.max_owner_share) & (cells.counts > 0) & keep
        notes.append(
            f"MAX_OWNER_SHARE {settings.max_owner_share:g}: {int(dominated.sum())} cells with "
            f"{int(cells.counts[dominated].sum())} photos left out (one owner makes more of the cell's value)."
        )
    keep &= ~dominated
    progress.report(0.2, "Gi*")
    gi, keep = _test(cells, keep, bool(few.any() or dominated.any()), settings, notes, progress)
    spots = HotSpots(cells, keep, gi, int(few.sum()), int(cells.counts[few].sum()), notes)
    spots.dominated_cells, spots.dominated_photos = int(dominated.sum()), int(cells.counts[dominated].sum())
    spots.suppressed = few | dominated
    return spots


def _test(cells, keep, floored, settings: Settings, notes, progress):
    """(Gi*, the cells tested). Cells that the floor left without any neighbour are left out too (the
    log says how many); when the neighbourhood alone leaves cells alone, that is an error."""
    k = settings.k if settings.neighbourhood == "k nearest" else None
    w = gistar.weights(cells.centres[keep], band=settings.band, k=k)
    alone = np.asarray(w.sum(axis=1)).ravel() <= 1
    if floored and alone.any():
        notes.append(f"The privacy rules left {int(alone.sum())} cells without a neighbour; they are left out.")
        keep = keep.copy()
        keep[np.flatnonzero(keep)[alone]] = False
        w = gistar.weights(cells.centres[keep], band=settings.band, k=k)
    gi = gistar.gi_star(
        cells.values[keep], w, settings.permutations, settings.seed, fdr=settings.fdr, progress=progress.part(0.3, 1.0)
    )
    return gi, keep


def _locals(photos, settings: Settings, clip_wkbs) -> np.ndarray:
    if settings.local_rule == 0:
        return bias.locals_mask(photos.owners, photos.times, settings.local_days)
    if clip_wkbs is None:
        raise UserError("LOCAL_RULE: the share of days inside the area needs CLIP polygons.")
    inside = points_in_polygons(photos.xs, photos.ys, clip_wkbs)
    return bias.locals_by_share(photos.owners, photos.times, inside, settings.local_share)
