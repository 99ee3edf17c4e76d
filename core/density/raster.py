"""GeoTIFF writing and polygon masks with GDAL/OGR. QGIS-free."""

import os

import numpy as np
from osgeo import gdal, ogr, osr

from ..errors import UserError

gdal.UseExceptions()

NODATA = -9999.0
FLOAT32_MAX = float(np.finfo(np.float32).max)


class RasterError(UserError):
    """Values that a float32 GeoTIFF cannot hold."""


def polygon_mask(wkbs, grid, wkt_crs: str):
    """Boolean [rows, cols]: True where a cell centre lies in any polygon (WKB list)."""
    driver = ogr.GetDriverByName("Memory")
    source = driver.CreateDataSource("mask")
    srs = osr.SpatialReference()
    srs.ImportFromWkt(wkt_crs)
    layer = source.CreateLayer("mask", srs, ogr.wkbUnknown)
    for wkb in wkbs:
        feature = ogr.Feature(layer.GetLayerDefn())
        feature.SetGeometry(ogr.CreateGeometryFromWkb(bytes(wkb)))
        layer.CreateFeature(feature)
    target = gdal.GetDriverByName("MEM").Create("", grid.cols, grid.rows, 1, gdal.GDT_Byte)
    target.SetGeoTransform(grid.geotransform)
    target.SetProjection(wkt_crs)
    gdal.RasterizeLayer(target, [1], layer, burn_values=[1])
    return target.GetRasterBand(1).ReadAsArray().astype(bool)


def polygons_extent(wkbs) -> tuple:
    """(xmin, ymin, xmax, ymax) of the polygons (WKB)."""
    boxes = [ogr.CreateGeometryFromWkb(wkb).GetEnvelope() for wkb in wkbs]
    boxes = [b for b in boxes if b is not None]
    return min(b[0] for b in boxes), min(b[2] for b in boxes), max(b[1] for b in boxes), max(b[3] for b in boxes)


def points_in_polygons(xs, ys, wkbs) -> np.ndarray:
    """Per point, whether it lies inside the union of the polygons (WKB, in the points' CRS)."""
    area = ogr.Geometry(ogr.wkbMultiPolygon)
    for wkb in wkbs:
        shape = ogr.CreateGeometryFromWkb(wkb)
        if shape is not None:
            area = area.Union(shape)
    inside = np.zeros(len(xs), bool)
    point = ogr.Geometry(ogr.wkbPoint)
    for i, (x, y) in enumerate(zip(xs, ys)):
        point.SetPoint_2D(0, float(x), float(y))
        inside[i] = area.Contains(point)
    return inside


def drop_noise(values, share: float = 1e-6):
    """Cells below share x the maximum (float noise of the kernel sums) become NaN, in place."""
    peak = np.nanmax(values, initial=0.0)
    if peak > 0:
        values[values < peak * share] = np.nan
    return values


def create_float32(path: str, grid, wkt_crs: str, nodata: float = NODATA, description: str = "", block: int = 256):
    """A new tiled, DEFLATE-compressed float32 GeoTIFF on grid: (dataset, its band)."""
    ds = gdal.GetDriverByName("GTiff").Create(
        path,
        grid.cols,
        grid.rows,
        1,
        gdal.GDT_Float32,
        options=[
            "COMPRESS=DEFLATE",
            "PREDICTOR=3",
            "TILED=YES",
            f"BLOCKYSIZE={block}",
            "BIGTIFF=IF_SAFER",
            "NUM_THREADS=ALL_CPUS",  # compresses blocks on every core: half the writing time on two
        ],
    )
    ds.SetGeoTransform(grid.geotransform)
    ds.SetProjection(wkt_crs)
    band = ds.GetRasterBand(1)
    band.SetNoDataValue(nodata)
    if description:
        band.SetDescription(description)
    return ds, band


def write_geotiff(path: str, values, grid, wkt_crs: str, nodata: float = NODATA, description: str = ""):
    """Write float32 values atomically: a temporary file, then a rename; `description` names the band
    (QGIS shows it in the legend).

    Cells that are NaN become nodata. Returns (min, max) of the valid cells,
    or (None, None) when there are none."""
    values = np.asarray(values)
    high, low = np.nanmax(values, initial=-np.inf), np.nanmin(values, initial=np.inf)  # no grid-sized copies
    peak = max(abs(v) for v in (high, low, 0.0) if np.isfinite(v))
    if peak > FLOAT32_MAX:
        raise RasterError(
            f"densities reach {peak:.3g}, beyond what a float32 GeoTIFF holds ({FLOAT32_MAX:.3g}); "
            "divide the weights by a constant"
        )
    data = np.asarray(values, dtype=np.float32)
    valid = np.isfinite(data)
    out = np.where(valid, data, np.float32(nodata))
    tmp = f"{path}.part.tif"
    ds, band = create_float32(tmp, grid, wkt_crs, nodata, description)
    band.WriteArray(out)
    if valid.any():
        vmin, vmax = float(data[valid].min()), float(data[valid].max())
        band.SetStatistics(vmin, vmax, float(data[valid].mean()), float(data[valid].std()))
    else:
        vmin = vmax = None
    ds.FlushCache()
    ds = None
    os.replace(tmp, path)
    return vmin, vmax
