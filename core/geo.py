"""Small geodesy helpers. QGIS-free."""

import math


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS 84 / UTM zone that contains (lon, lat)."""
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise ValueError(f"({lon}, {lat}) is not a WGS 84 position")
    zone = min(int(math.floor((lon + 180.0) / 6.0)) + 1, 60)
    return (32600 if lat >= 0 else 32700) + zone
