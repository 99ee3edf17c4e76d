"""scenicheatmap:heatmapuncertainty through processing.run."""

import numpy as np
from conftest import people_layer
from osgeo import gdal


def band(path):
    dataset = gdal.Open(path)
    b = dataset.GetRasterBand(1)
    values = b.ReadAsArray().astype(float)
    values[values == b.GetNoDataValue()] = np.nan
    return values, b.GetDescription(), dataset.GetGeoTransform()


def test_dominant_owner_shows_in_the_largest_owner_share(run_alg, tmp_path):
    rng = np.random.default_rng(2)
    crowd = [
        (16.36 + rng.uniform(0, 0.03), 48.20 + rng.uniform(0, 0.02), f"o{i % 30}", "2019-05-03T12:00:00")
        for i in range(300)
    ]
    dominant = [
        (16.38 + rng.normal(0, 0.0005), 48.21 + rng.normal(0, 0.0003), "dominant", "2019-05-03T12:00:00")
        for _ in range(200)
    ]
    outputs = {name: str(tmp_path / f"{name.lower()}.tif") for name in ("CV", "P05", "P95", "TOP_SHARE")}
    result = run_alg(
        "scenicheatmap:heatmapuncertainty",
        {
            "POINTS": people_layer(crowd + dominant),
            "RADIUS": 250,
            "PIXEL_SIZE": 25,
            "TARGET_CRS": "EPSG:31256",
            "BOOTSTRAP": 60,
            "MIN_OWNERS": 0,
            "MAX_OWNER_SHARE": 0,
            **outputs,
        },
    )
    assert result["OWNERS"] == 31 and result["REPLICATES"] == 60
    share, description, _ = band(result["TOP_SHARE"])
    assert description == "share of the largest owner"
    assert np.nanmax(share) > 0.9 and np.nanmedian(share) < 0.6
    low, unit, _ = band(result["P05"])
    high, _, _ = band(result["P95"])
    assert unit == "photos per km²" and np.nanmax(low - high) <= 1e-6
    assert (tmp_path / "cv.qml").exists()


def test_scheduler_local_2_gives_the_same_rasters(run_alg, tmp_path):
    rng = np.random.default_rng(5)
    photos = [
        (16.36 + rng.uniform(0, 0.03), 48.20 + rng.uniform(0, 0.02), f"o{i % 40}", "2019-05-03T12:00:00")
        for i in range(400)
    ]
    rasters = {}
    for scheduler in ("", "local:2"):
        outputs = {name: str(tmp_path / f"{name}{scheduler[-1:]}.tif") for name in ("CV", "P05", "P95", "TOP_SHARE")}
        result = run_alg(
            "scenicheatmap:heatmapuncertainty",
            {
                "POINTS": people_layer(photos),
                "RADIUS": 250,
                "PIXEL_SIZE": 10,
                "TARGET_CRS": "EPSG:31256",
                "BOOTSTRAP": 200,
                "SCHEDULER": scheduler,
                **outputs,
            },
        )
        rasters[scheduler] = {name: band(result[name])[0] for name in outputs}
    for name, values in rasters[""].items():
        assert np.isfinite(values).sum() > 1000
        assert np.array_equal(values, rasters["local:2"][name], equal_nan=True), name
