"""core/density/tiles.py: a heat map in strips equals the whole grid cell for cell, and its file."""

import math

import numpy as np
import pytest
from osgeo import gdal, ogr, osr

from scenic_heatmap.core.density import kde, tiles
from scenic_heatmap.core.density.raster import NODATA


def utm_wkt():
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    return srs.ExportToWkt()


def read(path):
    ds = gdal.Open(path)
    band = ds.GetRasterBand(1)
    values = band.ReadAsArray()
    return np.where(values == NODATA, np.nan, values), ds.GetGeoTransform(), band.GetDescription()


def photos(n=4000, seed=5):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 6000, (8, 2))
    pick = rng.integers(0, 8, n)
    xy = centres[pick] + rng.normal(0, 250, (n, 2))
    owners = np.array([f"o{i}" for i in rng.integers(0, 60, n)], dtype=object)
    return xy[:, 0] + 500_000, xy[:, 1] + 5_330_000, rng.uniform(0.5, 2, n), owners


def blob(xs, ys):
    """A clip polygon with no vertex on round coordinates: an irregular ring around the points."""
    cx, cy = float(np.mean(xs)), float(np.mean(ys))
    ring = ogr.Geometry(ogr.wkbLinearRing)
    for k in range(37):
        angle = 2 * math.pi * k / 36 + 0.013
        r = 2100.37 + 400 * math.sin(3 * angle)
        ring.AddPoint_2D(cx + r * math.cos(angle), cy + r * math.sin(angle))
    polygon = ogr.Geometry(ogr.wkbPolygon)
    polygon.AddGeometry(ring)
    return [bytes(polygon.ExportToWkb())]


def write(tmp_path, name, spec, xs, ys, radius, kernel, weights, owners, rows):
    path = str(tmp_path / f"{name}.tif")
    strip_jobs = tiles.jobs(spec, xs, ys, radius, kernel, weights, owners, rows=rows)
    summary = tiles.heat_map(path, spec, strip_jobs, "photos per km²")
    return path, summary, strip_jobs


@pytest.mark.parametrize("kernel", kde.KERNELS)
@pytest.mark.parametrize("clipped", [False, True])
def test_strips_equal_the_whole_grid_exactly(tmp_path, kernel, clipped):
    xs, ys, ws, owners = photos()
    grid = kde.grid_for_points(xs, ys, 300, 10)

    def spec():
        return tiles.MapSpec(grid, "per km²", 1.0, blob(xs, ys) if clipped else None, utm_wkt(), floor=3)

    whole, whole_summary, whole_jobs = write(tmp_path, "whole", spec(), xs, ys, 300, kernel, ws, owners, 10**6)
    tiled, tiled_summary, tiled_jobs = write(tmp_path, "tiled", spec(), xs, ys, 300, kernel, ws, owners, 256)
    assert len(whole_jobs) == 1 and len(tiled_jobs) == math.ceil(grid.rows / 256) > 2
    a, transform, description = read(whole)
    b, _, _ = read(tiled)
    assert np.array_equal(a, b, equal_nan=True)
    assert transform == grid.geotransform and description == "photos per km²"
    assert (whole_summary.vmin, whole_summary.vmax, whole_summary.removed_cells, whole_summary.removed_photos) == (
        tiled_summary.vmin,
        tiled_summary.vmax,
        tiled_summary.removed_cells,
        tiled_summary.removed_photos,
    )
    assert whole_summary.removed_cells > 0  # the floor did remove cells, in both
    # each strip got only the points that reach it: far fewer than all
    assert max(len(job.stamps.xs) for job in tiled_jobs) < len(xs)


def test_values_are_the_kernel_sums_per_km2(tmp_path):
    xs, ys, ws, _ = photos(800)
    grid = kde.grid_for_points(xs, ys, 250, 10)
    spec = tiles.MapSpec(grid, "per km²", 1.0, None, utm_wkt())
    path, summary, _ = write(tmp_path, "km2", spec, xs, ys, 250, "quartic", ws, None, 256)
    values, _, _ = read(path)
    sums = kde.density(xs, ys, 250, 10, "quartic", weights=ws, grid=grid, per_area=True)[0] * 1e6
    assert np.allclose(np.nan_to_num(values), sums, rtol=1e-6, atol=1e-6 * sums.max())
    # a density per km²: its integral over the cells (100 m² each) is the weighted photo count
    assert np.nansum(values) * 1e-4 == pytest.approx(ws.sum(), rel=1e-3)
    assert summary.vmax == pytest.approx(np.nanmax(values))


def test_cells_no_photo_reaches_are_nodata_and_cancel_leaves_nothing(tmp_path):
    xs, ys = np.array([0.0, 5000.0]), np.array([0.0, 5000.0])
    grid = kde.grid_for_points(xs, ys, 500, 10)
    spec = tiles.MapSpec(grid, "raw", 1.0, None, utm_wkt())
    path, _, _ = write(tmp_path, "two", spec, xs, ys, 500, "quartic", None, None, 256)
    values, _, _ = read(path)
    assert np.isnan(values[grid.rows // 2, grid.cols // 2]) and np.isfinite(values).sum() > 0
    strip_jobs = tiles.jobs(spec, xs, ys, 500, "quartic", rows=256)
    cancelled = str(tmp_path / "cancelled.tif")
    assert tiles.heat_map(cancelled, spec, strip_jobs, progress=lambda f: False) is None
    assert not list(tmp_path.glob("cancelled*"))


def test_too_large_values_are_refused_before_the_file_exists(tmp_path):
    xs, ys = np.array([0.0]), np.array([0.0])
    grid = kde.grid_for_points(xs, ys, 100, 10)
    spec = tiles.MapSpec(grid, "raw", 1.0, None, utm_wkt())
    strip_jobs = tiles.jobs(spec, xs, ys, 100, weights=[1e39])
    with pytest.raises(tiles.RasterError, match="float32"):
        tiles.heat_map(str(tmp_path / "big.tif"), spec, strip_jobs)
    assert not list(tmp_path.iterdir())


def test_strip_memory_is_checked_not_the_grid(monkeypatch):
    wide = kde.Grid(0, 0, 1e6, 1e6, 1.0, 1_000_000, 1_000_000)  # 10^12 cells: never in memory at once
    monkeypatch.setenv("SCENIC_HEATMAP_MEMORY_BUDGET_MB", "100000")
    tiles.check_memory(kde.Grid(0, 0, 1e5, 1e5, 1.0, 100_000, 100_000))
    monkeypatch.setenv("SCENIC_HEATMAP_MEMORY_BUDGET_MB", "100")
    with pytest.raises(kde.KdeError, match="strip"):
        tiles.check_memory(wide)
