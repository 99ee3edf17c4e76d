"""core/density/pipeline.py: one request in metres, the heat map, the series and the bootstrap."""

import datetime

import numpy as np
import pytest
from osgeo import gdal

from scenic_heatmap.core.density import pipeline


def photos(n=400, seed=3):
    rng = np.random.default_rng(seed)
    xs, ys = rng.normal(0, 800, n), rng.normal(0, 800, n)
    january, july = datetime.datetime(2017, 1, 15).timestamp(), datetime.datetime(2017, 7, 15).timestamp()
    times = np.where(rng.random(n) < 0.5, january, july) + rng.uniform(0, 86400 * 5, n)
    owners = [f"o{int(i)}" for i in rng.integers(0, 60, n)]
    return pipeline.Photos(xs, ys, np.ones(n), owners, times)


def read(path):
    dataset = gdal.Open(path)  # held: a band outlives its dataset only as a crash
    band = dataset.GetRasterBand(1)
    values = band.ReadAsArray().astype(float)
    values[values == band.GetNoDataValue()] = 0.0
    return values


def test_the_periods_of_a_series_add_up_to_the_whole_map(tmp_path):
    """Kernel sums are linear, so on one grid the seasons' raw maps sum to the map of all photos."""
    request = pipeline.Request(radius_m=500, pixel_m=50, to_units=1.0)
    everything = photos()
    spec = request.spec(request.grid(everything))
    whole = pipeline.heat_map(str(tmp_path / "all.tif"), request, everything, spec)
    series = pipeline.series(str(tmp_path), request, everything, "season")
    assert [m.label for m in series.maps][:1] and len(series.maps) == 2
    assert series.grid.cols == spec.grid.cols and series.grid.rows == spec.grid.rows
    summed = sum(read(m.path) for m in series.maps)
    assert summed == pytest.approx(read(str(tmp_path / "all.tif")), rel=1e-5, abs=1e-5)
    assert series.vmax <= whole.vmax + 1e-9 and sum(m.photos for m in series.maps) == len(everything)


def test_metres_become_map_units_once():
    request = pipeline.Request(radius_m=1000, pixel_m=10, to_units=0.5, kind="per km²")
    assert (request.radius, request.pixel) == (500, 5)
    assert request.spec(request.grid(photos())).factor == pytest.approx(1e6 * 0.25)
    assert request.unit.endswith("per km²")


def test_weighing_chooses_the_audience_and_counts_photo_user_days():
    given = photos()
    given.times[:50] = given.times[0] + np.arange(50) * 86400 * 10  # o-owners of these span months: locals
    request = pipeline.Request(radius_m=500, weighting="photo-user-days", audience="tourists")
    weighed = pipeline.weigh(given, request)
    assert 0 < len(weighed.photos) < len(given)
    assert any(note.startswith("Audience tourists") for note in weighed.notes)
    cell = request.radius
    kept = weighed.photos
    keys = {
        (o, int(x // cell), int(y // cell), int(t // 86400))
        for o, x, y, t in zip(kept.owners, kept.xs, kept.ys, kept.times)
    }
    assert weighed.photos.weights.sum() == pytest.approx(len(keys))


def test_the_bootstraps_rasters_share_the_maps_floor():
    """One person's photos far from everyone else's: every uncertainty raster is nodata there."""
    given = photos(n=300)
    lone = 40
    given = pipeline.Photos(
        np.r_[given.xs, np.full(lone, 6000.0)],
        np.r_[given.ys, np.full(lone, 6000.0)],
        np.ones(300 + lone),
        given.owners + ["one person"] * lone,
        np.r_[given.times, np.full(lone, given.times[0])],
    )
    request = pipeline.Request(radius_m=300, pixel_m=100, min_owners=3)
    result = pipeline.uncertainty(request, given, replicates=20, seed=1)
    grid = result.grid
    col = int((6000 - grid.xmin) / grid.pixel)
    row = int((grid.ymax - 6000) / grid.pixel)
    for name in ("CV", "P05", "P95", "TOP_SHARE"):
        assert np.isnan(result.rasters[name][row, col]), name
        assert np.isfinite(result.rasters[name]).any(), name
