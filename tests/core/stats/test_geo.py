"""core/stats/geo.py: UTM zones and great-circle distances."""

import pytest

from scenic_heatmap.core.stats.geo import haversine_m, utm_epsg


@pytest.mark.parametrize(
    "lon,lat,epsg",
    [
        (16.37, 48.21, 32633),
        (-3.72, 40.45, 32630),
        (151.2, -33.9, 32756),
        (180.0, 0.0, 32660),
        (-180.0, 0.0, 32601),
        (0.0, -0.0, 32631),
    ],
)
def test_utm_zone(lon, lat, epsg):
    assert utm_epsg(lon, lat) == epsg


@pytest.mark.parametrize("lon,lat", [(500, 48), (16, 91), (float("nan"), 0)])
def test_positions_off_the_earth_are_refused(lon, lat):
    with pytest.raises(ValueError, match="not a WGS 84 position"):
        utm_epsg(lon, lat)


def test_haversine_against_known_distances():
    # one degree of latitude on the mean-radius sphere, and Vienna's Stephansdom to Schönbrunn (about 4.6 km)
    assert haversine_m(0, 0, 1, 0) == pytest.approx(111_195, rel=1e-4)
    assert haversine_m(48.2085, 16.3731, 48.1845, 16.3122) == pytest.approx(5_150, rel=0.02)
    assert haversine_m(10, 20, 10, 20) == 0.0
    assert haversine_m(0, 0, 0, 180) == pytest.approx(20_015_115, rel=1e-5)
