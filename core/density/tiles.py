"""A heat map computed and written in strips of rows, here or on a Dask cluster. QGIS-free.

Each strip is a tile as wide as the grid with a halo of one radius: it gets only the points whose
kernel reaches its rows, and `kde.strip_sums` gives its cells exactly as the whole grid would (each
row sums its own points in input order). Everything after the sums is per cell as well: per km²,
nodata where no point reaches, float noise dropped, the clip, the MIN_OWNERS floor. So strips can be
computed anywhere, in any order, and written one by one into a tiled GeoTIFF: memory follows the
strip, never the grid, and the file equals a single-machine run cell for cell.

`heat_map` runs the strips with `run_strips` (default: one after the other in this process; the
cluster path in core/cluster passes its own)."""

import math
import os
import shutil
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, List, Optional

import numpy as np

from . import kde
from .owners import largest_share, owner_codes, owner_counts
from .raster import FLOAT32_MAX, NODATA, RasterError, create_float32, polygon_mask

NOISE = 1e-6  # cells below this share of one photo's kernel peak are float noise of the sums
BLOCK = 256  # GeoTIFF block height: strips are whole blocks, so no block is written twice


@dataclass
class MapSpec:
    """What every strip of one heat map needs; small, so it travels to workers with each strip."""

    grid: kde.Grid
    kind: str = "raw"  # kde.VALUE_KINDS
    to_units: float = 1.0  # map units per metre (per km² on the ground)
    clip_wkbs: Optional[List[bytes]] = None  # cells outside become nodata
    wkt: str = ""
    floor: int = 0  # MIN_OWNERS
    max_share: float = 0.0  # MAX_OWNER_SHARE: cells whose largest owner makes more of the value go (0: off)
    noise: float = 0.0  # values below this become nodata (set by `jobs`)

    @property
    def factor(self) -> float:
        return 1e6 * self.to_units * self.to_units if self.kind == "per km²" else 1.0


@dataclass
class StripJob:
    r0: int
    r1: int
    stamps: kde.Stamps  # only the points that reach rows [r0, r1)
    owners: Optional[np.ndarray] = None  # their owner codes, for the floor and the dominance rule


@dataclass
class StripResult:
    r0: int
    r1: int
    values: np.ndarray  # float32 [r1 - r0, cols], nodata as NODATA: ready to write
    removed_cells: int = 0  # by the owner floor
    removed_photos: int = 0
    dominated_cells: int = 0  # by the dominance rule
    dominated_photos: int = 0
    clipped_cells: int = 0  # with density, outside the clip polygons
    count: int = 0  # cells with a value, and their sum, sum of squares, min and max
    total: float = 0.0
    squares: float = 0.0
    vmin: float = math.inf
    vmax: float = -math.inf


@dataclass
class Summary:
    vmin: Optional[float]  # None when every cell is nodata
    vmax: Optional[float]
    removed_cells: int = 0  # by the owner floor
    removed_photos: int = 0
    dominated_cells: int = 0  # by the dominance rule
    dominated_photos: int = 0
    clipped_cells: int = 0
    cells: int = 0  # with a value
    strips: int = 0
    timings: dict = field(default_factory=dict)


def tile_rows(grid: kde.Grid, cells: int = kde.STRIP_CELLS) -> int:
    """Rows per strip: about `cells` cells, in whole GeoTIFF blocks."""
    return max(BLOCK, (cells // max(grid.cols, 1)) // BLOCK * BLOCK)


def jobs(
    spec: MapSpec,
    xs,
    ys,
    radius: float,
    kernel: str = "quartic",
    weights=None,
    owners=None,
    decay: float = 0.0,
    rows: Optional[int] = None,
) -> List[StripJob]:
    """The strips of a heat map, each with its own points. Sets spec.noise."""
    scaled, per_area = spec.kind == "scaled", spec.kind == "per km²"
    st = kde.stamps(xs, ys, radius, spec.grid, kernel, weights, scaled, decay, per_area)
    peak = float(np.max(np.abs(st.ws), initial=0.0)) * spec.factor  # one photo's kernel at its centre
    spec.noise = NOISE * peak
    codes = None if owners is None or not (spec.floor or spec.max_share) else owner_codes(owners)
    out = []
    for r0, r1 in kde.strips(spec.grid, rows or tile_rows(spec.grid)):
        index = st.reaching(r0, r1)
        out.append(StripJob(r0, r1, st.subset(index), None if codes is None else codes[index]))
    return out


def compute_strip(spec: MapSpec, job: StripJob) -> StripResult:
    """One strip's mapped values (runs wherever the strip is sent)."""
    grid = spec.grid
    values = kde.strip_sums(job.stamps, job.r0, job.r1)
    if spec.factor != 1.0:
        values *= spec.factor
    values[values == 0] = np.nan
    values[values < spec.noise] = np.nan
    peak = float(np.nanmax(np.abs(values), initial=0.0))
    if peak > FLOAT32_MAX:
        raise RasterError(
            f"densities reach {peak:.3g}, beyond what a float32 GeoTIFF holds ({FLOAT32_MAX:.3g}); "
            "divide the weights by a constant"
        )
    band = kde.Grid(
        grid.xmin,
        grid.ymin + (grid.rows - job.r1) * grid.pixel,
        grid.xmax,
        grid.ymax - job.r0 * grid.pixel,
        grid.pixel,
        job.r1 - job.r0,
        grid.cols,
    )
    removed = suppress(spec, values, band, job.stamps, job.owners, job.r0)
    out = values.astype(np.float32)
    valid = np.isfinite(out)
    result = StripResult(job.r0, job.r1, out, removed.floor_cells, removed.floor_photos)
    result.dominated_cells, result.dominated_photos = removed.share_cells, removed.share_photos
    result.clipped_cells, result.count = removed.clipped_cells, int(valid.sum())
    if result.count:
        good = out[valid].astype(np.float64)
        result.total, result.squares = float(good.sum()), float(np.dot(good, good))
        result.vmin, result.vmax = float(good.min()), float(good.max())
    out[~valid] = NODATA
    return result


@dataclass
class Removed:
    floor_cells: int = 0
    floor_photos: int = 0
    share_cells: int = 0
    share_photos: int = 0
    clipped_cells: int = 0


def suppress(spec: MapSpec, values, band: kde.Grid, stamps, owners, r0: int = 0) -> Removed:
    """The clip, the MIN_OWNERS floor and the dominance rule on rows r0.. of the grid (`band`), in
    place: cells outside the clip polygons, cells reached by fewer than spec.floor owners, and cells
    whose largest owner makes more than spec.max_share of the value become NaN. The one place these
    rules live, for the heat map, each period of a series and the bootstrap."""
    removed = Removed()
    if spec.clip_wkbs is not None:
        outside = ~polygon_mask(spec.clip_wkbs, band, spec.wkt)
        removed.clipped_cells = int((outside & np.isfinite(values)).sum())
        values[outside] = np.nan
    if owners is None or not len(owners) or not (spec.floor or spec.max_share):
        return removed
    grid, r1 = spec.grid, r0 + band.rows
    # the photos whose own cell lies in these rows
    cols = np.clip(((stamps.xs - grid.xmin) / grid.pixel).astype(int), 0, grid.cols - 1)
    rows = np.clip(((grid.ymax - stamps.ys) / grid.pixel).astype(int), 0, grid.rows - 1) - r0
    here = (rows >= 0) & (rows < r1 - r0)

    def drop(mask):
        had = mask & np.isfinite(values)
        values[mask] = np.nan
        return int(had.sum()), int(had[rows[here], cols[here]].sum())

    if spec.floor:
        counts = owner_counts(stamps.xs, stamps.ys, owners, grid, stamps.radius, rows=(r0, r1))
        removed.floor_cells, removed.floor_photos = drop(counts < spec.floor)
    if spec.max_share:
        share = largest_share(stamps, np.asarray(owners), (r0, r1))
        removed.share_cells, removed.share_photos = drop(np.nan_to_num(share) > spec.max_share)
    return removed


def local_strips(spec: MapSpec, strip_jobs: Iterable[StripJob]) -> Iterator[StripResult]:
    for job in strip_jobs:
        yield compute_strip(spec, job)


def check_disk(path: str, grid: kde.Grid):
    """Refuses a GeoTIFF that cannot fit the free disk space (4 bytes a cell before compression)."""
    folder = os.path.dirname(os.path.abspath(path)) or "."
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return
    need = grid.rows * grid.cols * 4
    if need > free:
        raise kde.KdeError(
            f"The heat map has {grid.rows * grid.cols:,} cells, up to {need / 2**30:.1f} GiB as GeoTIFF, more than the "
            f"{free / 2**30:.1f} GiB free in {folder}. Use a larger PIXEL_SIZE or another output folder."
        )


def heat_map(
    path: str,
    spec: MapSpec,
    strip_jobs: List[StripJob],
    description: str = "",
    run_strips: Callable = local_strips,
    progress: Optional[Callable[[float], bool]] = None,
) -> Optional[Summary]:
    """Writes the strips as one float32 GeoTIFF (a temporary file, then a rename). Returns None
    when progress() asked to stop (nothing is left behind)."""
    grid = spec.grid
    tmp = f"{path}.part.tif"
    ds, band = create_float32(tmp, grid, spec.wkt, NODATA, description, BLOCK)
    summary = Summary(None, None, strips=len(strip_jobs))
    total = squares = 0.0
    vmin, vmax = math.inf, -math.inf
    try:
        results = run_strips(spec, strip_jobs)
        for done, result in enumerate(results, start=1):
            total += result.total
            squares += result.squares
            vmin, vmax = min(vmin, result.vmin), max(vmax, result.vmax)
            summary.cells += result.count
            band.WriteArray(result.values, 0, result.r0)
            summary.removed_cells += result.removed_cells
            summary.removed_photos += result.removed_photos
            summary.dominated_cells += result.dominated_cells
            summary.dominated_photos += result.dominated_photos
            summary.clipped_cells += result.clipped_cells
            if progress is not None and progress(done / max(len(strip_jobs), 1)) is False:
                close = getattr(results, "close", None)
                if close:
                    close()
                return None
        if summary.cells:
            mean = total / summary.cells
            std = math.sqrt(max(squares / summary.cells - mean * mean, 0.0))
            band.SetStatistics(vmin, vmax, mean, std)
            summary.vmin, summary.vmax = vmin, vmax
        ds.FlushCache()
        ds = None
        os.replace(tmp, path)
        return summary
    finally:
        ds = None
        if os.path.exists(tmp):
            os.remove(tmp)


STRIP_BYTES_PER_CELL = 24  # float64 sums, float32 copy, masks and owner counts of one strip


def check_memory(grid: kde.Grid, rows: Optional[int] = None):
    """Refuses, before any work, a strip that would not fit the memory budget (the grid never is in
    memory as a whole)."""
    height = min(grid.rows, rows or tile_rows(grid))
    need = height * grid.cols * STRIP_BYTES_PER_CELL
    budget = kde.memory_budget()
    if budget is not None and need > budget:
        raise kde.KdeError(
            f"One strip of {height} x {grid.cols} cells of the heat map needs about {need / 2**30:.1f} GiB of memory, "
            f"more than the {budget / 2**30:.1f} GiB available. Use a larger PIXEL_SIZE or a narrower area "
            "(or set SCENIC_HEATMAP_MEMORY_BUDGET_MB)."
        )
