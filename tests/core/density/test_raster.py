"""core/density/raster.py: GeoTIFF writing, masks, class breaks and the noise floor."""

import numpy as np
import pytest
from osgeo import gdal, ogr, osr

from scenic_heatmap.core.density.kde import grid_for_points
from scenic_heatmap.core.density.raster import (
    NODATA,
    RasterError,
    drop_noise,
    polygon_mask,
    write_geotiff,
)


def utm_wkt():
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    return srs.ExportToWkt()


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
