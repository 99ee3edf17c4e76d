"""One density pipeline. QGIS-free.

A request in metres (radius, pixel, kernel, weighting, audience, clip, owner floor, value kind) and
the photos go in; the heat map, each period of a series and the bootstrap's rasters come out. The
metres become map units here, once; the per-km² factor, the clip and the owner floor are applied
by tiles (MapSpec.factor, tiles.suppress) for every product alike. Adapters read layers into
`Photos` and write what comes out."""

import os
import re
from dataclasses import dataclass, field
from typing import Callable, List, Optional

import numpy as np

from ..errors import SILENT, Cancelled, Progress, UserError
from . import kde, tiles
from . import weighting as bias
from .owners import owner_codes
from .periods import periods_of
from .raster import RasterError

MAX_CELLS = 4_000_000_000  # heat maps are computed and written in strips, never whole
SERIES_DEFINITION = "heatmap_series.qlr"  # beside the heatmap_<period>.tif of a series folder


@dataclass
class Photos:
    """Photo positions in the map units of the target CRS, with weight, owner ("" unknown) and time
    taken (seconds since the epoch, NaN unknown)."""

    xs: np.ndarray
    ys: np.ndarray
    weights: np.ndarray
    owners: list
    times: np.ndarray

    def subset(self, keep) -> "Photos":
        keep = np.asarray(keep, bool)
        owners = [o for o, k in zip(self.owners, keep) if k]
        return Photos(self.xs[keep], self.ys[keep], self.weights[keep], owners, self.times[keep])

    def __len__(self):
        return len(self.xs)


@dataclass
class Request:
    """What to map, in metres on the ground."""

    radius_m: float
    pixel_m: float = 10.0
    kernel: str = "quartic"
    kind: str = "raw"  # kde.VALUE_KINDS
    weighting: str = "photos"  # bias.WEIGHTINGS
    audience: str = "all"  # bias.AUDIENCES
    local_days: float = bias.LOCAL_DAYS
    min_owners: int = 0
    max_owner_share: float = 0.0  # the dominance rule: 0 off, else the largest owner's allowed share of a cell
    to_units: float = 1.0  # map units per metre on the ground
    clip_wkbs: Optional[list] = None  # in the target CRS
    wkt: str = ""  # the target CRS
    weight_field: bool = False  # a WEIGHT field was given

    @property
    def radius(self) -> float:
        return self.radius_m * self.to_units

    @property
    def pixel(self) -> float:
        return self.pixel_m * self.to_units

    @property
    def unit(self) -> str:
        return kde.value_unit(self.kind, self.weighting, self.weight_field)

    @property
    def plain(self) -> bool:
        """Unweighted photo counts: the kernel sums take no weights (bit for bit as QGIS's own)."""
        return not self.weight_field and self.weighting == "photos"

    def grid(self, photos: Photos, max_cells: int = MAX_CELLS) -> kde.Grid:
        kde.check_parameters(self.radius_m, self.pixel_m)
        return kde.grid_for_points(photos.xs, photos.ys, self.radius, self.pixel, max_cells=max_cells)

    def spec(self, grid: kde.Grid) -> tiles.MapSpec:
        spec = tiles.MapSpec(grid, self.kind, self.to_units, self.clip_wkbs, self.wkt, self.min_owners)
        spec.max_share = self.max_owner_share
        return spec

    @property
    def privacy(self) -> bool:
        return bool(self.min_owners or self.max_owner_share)


@dataclass
class Weighed:
    photos: Photos
    notes: List[str] = field(default_factory=list)


def weigh(photos: Photos, request: Request, audience: Optional[str] = None) -> Weighed:
    """The audience's photos with the weighting applied (each counted unit adds 1 per place of one
    radius). `audience` overrides the request's (hot spots' tourist share reads everyone)."""
    audience = request.audience if audience is None else audience
    notes = []
    if bias.needs_owner_and_time(request.weighting, audience):
        missing = sum(1 for o in photos.owners if not o) + int(np.isnan(photos.times).sum())
        if missing:
            notes.append(f"{missing} missing owner or taken values; those photos count for nothing here.")
    keep = bias.audience_mask(photos.owners, photos.times, audience, request.local_days)
    if audience != "all":
        notes.append(f"Audience {audience}: {int(keep.sum())} of {len(keep)} photos.")
    cell = request.radius
    weights = photos.weights * bias.bias_weights(
        photos.owners, photos.times, photos.xs, photos.ys, cell, request.weighting
    )
    if request.weighting != "photos":
        notes.append(f"Weighting {request.weighting}: {weights[keep].sum():.0f} units from {int(keep.sum())} photos.")
    weighed = Photos(photos.xs, photos.ys, weights, photos.owners, photos.times).subset(keep)
    return Weighed(weighed, notes)


def privacy_notes(request: Request, summary: tiles.Summary) -> List[str]:
    """What each privacy rule removed, one line each."""
    notes = []
    if request.min_owners:
        notes.append(
            f"MIN_OWNERS {request.min_owners}: {summary.removed_cells} cells and {summary.removed_photos} photos "
            "removed (fewer distinct owners)."
        )
    if request.max_owner_share:
        notes.append(
            f"MAX_OWNER_SHARE {request.max_owner_share:g}: {summary.dominated_cells} cells and "
            f"{summary.dominated_photos} photos removed (one owner makes more of the cell's value)."
        )
    return notes


def empty_reason(request: Request, summary: tiles.Summary) -> str:
    """Why every cell of a map is nodata, and what to set to see the density."""
    if summary.removed_cells:
        return (
            f"The owner floor emptied the map: every cell with density has photos of fewer than "
            f"{request.min_owners} owners (MIN_OWNERS). Lower MIN_OWNERS (0 turns the floor off) to see the density."
        )
    if summary.dominated_cells:
        return (
            f"The dominance rule emptied the map: in every cell one owner makes more than "
            f"{request.max_owner_share:g} of the value (MAX_OWNER_SHARE). Raise MAX_OWNER_SHARE (0 turns it off)."
        )
    if summary.clipped_cells:
        return "The clip emptied the map: no density lies inside the CLIP polygons. Check CLIP and its CRS."
    return "No photo gives density inside the map's extent."


def heat_map(
    path: str,
    request: Request,
    photos: Photos,
    spec: tiles.MapSpec,
    progress: Progress = SILENT,
    run_strips: Callable = tiles.local_strips,
    weights=None,
) -> tiles.Summary:
    """One heat map of `photos` on spec's grid, strip by strip (here, or on Dask through run_strips),
    written to `path`. Weights: the photos' own unless the request is plain."""
    try:
        tiles.check_memory(spec.grid)
        tiles.check_disk(path, spec.grid)
    except kde.KdeError as exc:
        raise UserError(str(exc)) from None
    if weights is None and not request.plain:
        weights = photos.weights
    owners = photos.owners if request.privacy else None
    strip_jobs = tiles.jobs(spec, photos.xs, photos.ys, request.radius, request.kernel, weights, owners)

    def report(fraction):
        progress.report(fraction)
        return not progress.cancelled()

    try:
        summary = tiles.heat_map(path, spec, strip_jobs, request.unit, run_strips, report)
    except RasterError as exc:
        raise UserError(f"WEIGHT: {exc}.") from None
    if summary is None:
        raise Cancelled()
    return summary


@dataclass
class SeriesMap:
    label: str
    start: object
    end: object
    path: str
    photos: int
    summary: tiles.Summary


@dataclass
class Series:
    maps: List[SeriesMap]
    grid: kde.Grid
    vmin: Optional[float]  # None when every period is empty
    vmax: Optional[float]
    notes: List[str] = field(default_factory=list)

    @property
    def removed(self) -> dict:
        """What each privacy rule removed, summed over the periods."""
        names = ("removed_cells", "removed_photos", "dominated_cells", "dominated_photos")
        return {name.upper(): sum(getattr(m.summary, name) for m in self.maps) for name in names}


def series(
    folder: str,
    request: Request,
    photos: Photos,
    period: str,
    progress: Progress = SILENT,
    run_strips: Callable = tiles.local_strips,
    taken_field: str = "taken",
) -> Series:
    """One heat map per period (month, season or year) on one grid, with one clip and one floor;
    written into `folder` as heatmap_<period>.tif. Photos without a date are left out."""
    keys = periods_of(photos.times, period)
    dated = np.array([k is not None for k in keys], dtype=bool)
    notes = []
    if (~dated).any():
        notes.append(f"{int((~dated).sum())} photos have no date taken and are left out.")
    if not dated.any():
        raise UserError(f"No photo has a date in the field {taken_field!r}; nothing to map.")
    photos = photos.subset(dated)
    keys = [k for k in keys if k is not None]
    grid = request.grid(photos)
    spec = request.spec(grid)
    periods = sorted(set(keys))
    notes.append(f"{len(photos)} dated photos in {len(periods)} periods ({period}); grid {grid.cols} x {grid.rows}.")
    labels = np.array([k.label for k in keys])
    maps = []
    for number, key in enumerate(periods):
        progress.check()
        mine = labels == key.label
        path = os.path.join(folder, f"heatmap_{re.sub(r'[^0-9A-Za-z-]+', '_', key.label)}.tif")
        part = progress.part(number / len(periods), (number + 1) / len(periods))
        part.report(0.0, f"{key.label}: {int(mine.sum())} photos")
        chosen = photos.subset(mine)
        summary = heat_map(path, request, chosen, spec, part, run_strips, weights=chosen.weights)
        maps.append(SeriesMap(key.label, key.start, key.end, path, int(mine.sum()), summary))
        notes += [f"{key.label}: {note}" for note in privacy_notes(request, summary)]
    lows = [m.summary.vmin for m in maps if m.summary.vmin is not None]
    highs = [m.summary.vmax for m in maps if m.summary.vmax is not None]
    if not lows:  # every period empty: say which rule emptied them
        total = tiles.Summary(None, None)
        for m in maps:
            for name in ("removed_cells", "dominated_cells", "clipped_cells"):
                setattr(total, name, getattr(total, name) + getattr(m.summary, name))
        notes.append(empty_reason(request, total))
    return Series(maps, grid, min(lows) if lows else None, max(highs) if highs else None, notes)


@dataclass
class Uncertainty:
    grid: kde.Grid
    rasters: dict  # CV, P05, P95, TOP_SHARE: float arrays, NaN where clipped or below the floor
    owners: int


def uncertainty(
    request: Request,
    photos: Photos,
    replicates: int,
    seed: int,
    progress: Progress = SILENT,
    run_strips: Optional[Callable] = None,
) -> Uncertainty:
    """The bootstrap over photographers on the heat map's grid, with the map's clip and floor."""
    from .bootstrap import local_strips, owner_bootstrap

    try:
        kde.check_parameters(request.radius_m, request.pixel_m)
        grid = kde.grid_for_points(photos.xs, photos.ys, request.radius, request.pixel)  # kde's own cell limit
        kde.check_memory(grid, rasters=6)  # drawn replicates take one strip at a time (bootstrap.SAMPLE_BYTES)
    except kde.KdeError as exc:
        raise UserError(str(exc)) from None
    spec = request.spec(grid)
    per_area = request.kind == "per km²"

    def report(fraction):
        progress.report(fraction)
        return not progress.cancelled()

    result = owner_bootstrap(
        photos.xs,
        photos.ys,
        photos.weights,
        photos.owners,
        grid,
        request.radius,
        request.kernel,
        replicates,
        seed,
        spec.factor,
        per_area=per_area,
        progress=report,
        run_strips=run_strips or local_strips,
    )
    if result is None:
        raise Cancelled()
    kept = np.ones((grid.rows, grid.cols))  # the clip, floor and dominance rule once, for all four rasters
    stamps = kde.stamps(photos.xs, photos.ys, request.radius, grid, request.kernel, photos.weights)
    codes = owner_codes(photos.owners) if request.privacy else None
    tiles.suppress(spec, kept, grid, stamps, codes)
    rasters = {}
    for name in ("cv", "p05", "p95", "top_share"):
        values = getattr(result, name)
        values[~np.isfinite(kept)] = np.nan
        rasters[name.upper()] = values
    return Uncertainty(grid, rasters, len(set(photos.owners)))
