"""Kernel density: the fast KDE equal to QGIS's heat map, bias-aware weights, periods of a series,
and GeoTIFF writing with GDAL."""
