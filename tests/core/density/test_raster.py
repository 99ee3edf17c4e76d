"""core/density/raster.py: GeoTIFF writing, masks, class breaks and the noise floor."""

import numpy as np
import pytest
from osgeo import gdal, ogr, osr

from scenic_heatmap.core.density.kde import grid_for_points
from scenic_heatmap.core.density.raster import (
    NODATA,
    RasterError,
    break_label,
    class_breaks,
    drop_noise,
    polygon_mask,
    write_geotiff,
)


def utm_wkt():
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    return srs.ExportToWkt()


@pytest.mark.parametrize(
    "vmax,classes,expected",
    [
        (49.69, 5, [10, 20, 30, 40, 50]),
        (43.29, 5, [10, 20, 30, 40, 50]),
        (1.0, 4, [0.25, 0.5, 0.75, 1.0]),
        (0.0031, 5, [0.001, 0.002, 0.003, 0.004]),
        (276.4, 7, [50, 100, 150, 200, 250, 300]),
    ],
)
def test_class_breaks_are_round_and_cover_the_maximum(vmax, classes, expected):
    breaks = class_breaks(vmax, classes)
    assert breaks == pytest.approx(expected)
    assert breaks[-1] >= vmax and len(breaks) <= classes


def test_break_labels_have_the_step_s_decimals():
    assert break_label(0, 10, 10) == "0 – 10"
    assert break_label(0.25, 0.5, 0.25) == "0.25 – 0.50"
    assert break_label(2.5, 5, 2.5) == "2.5 – 5.0"


def test_drop_noise_sets_float_noise_to_nan():
    values = np.array([[43.29, 2.365e-11], [1e-3, 0.0]])
    drop_noise(values)
    assert np.isnan(values[0, 1]) and values[1, 0] == 1e-3 and values[0, 0] == 43.29


def test_write_geotiff_round_trip_nodata_description_and_statistics(tmp_path):
    grid = grid_for_points(np.array([500000.0, 501000.0]), np.array([5340000.0, 5341000.0]), 500, 100)
    values = np.full((grid.rows, grid.cols), np.nan)
    values[2, 3] = 7.5
    path = str(tmp_path / "d.tif")
    assert write_geotiff(path, values, grid, utm_wkt(), description="photos per km²") == (7.5, 7.5)
    dataset = gdal.Open(path)
    band = dataset.GetRasterBand(1)
    assert band.GetDescription() == "photos per km²" and band.GetNoDataValue() == NODATA
    data = band.ReadAsArray()
    assert data[2, 3] == 7.5 and (data == NODATA).sum() == data.size - 1
    assert dataset.GetGeoTransform() == grid.geotransform
    assert not (tmp_path / "d.tif.part.tif").exists()


def test_values_beyond_float32_are_refused_before_writing(tmp_path):
    grid = grid_for_points(np.array([0.0, 1000.0]), np.array([0.0, 1000.0]), 500, 100)
    values = np.full((grid.rows, grid.cols), 1e39)
    with pytest.raises(RasterError, match="float32"):
        write_geotiff(str(tmp_path / "x.tif"), values, grid, utm_wkt())
    assert list(tmp_path.iterdir()) == []


def test_polygon_mask_marks_cells_whose_centre_is_inside():
    grid = grid_for_points(np.array([0.0, 1000.0]), np.array([0.0, 1000.0]), 200, 100)
    square = ogr.CreateGeometryFromWkt("POLYGON((0 0,1000 0,1000 1000,0 1000,0 0))")
    mask = polygon_mask([bytes(square.ExportToWkb())], grid, utm_wkt())
    assert mask.shape == (grid.rows, grid.cols)
    # 10 x 10 cells of 100 m have their centres inside the 1 km square
    assert mask.sum() == 100
