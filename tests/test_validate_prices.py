"""scenicheatmap:validateprices in real QGIS on the real Vienna Airbnb prices."""

import numpy as np
import pytest
from qgis.core import QgsFeature, QgsGeometry, QgsPointXY, QgsProcessingException, QgsVectorLayer

SIGHTS = [(16.3725, 48.2085), (16.3656, 48.2100), (16.3590, 48.2040), (16.3800, 48.2030), (16.3120, 48.1860)]


def photo_points(crs="EPSG:4326"):
    """A fixture of 800 photo positions: clustered at sights, some scattered over the city."""
    rng = np.random.default_rng(21)
    layer = QgsVectorLayer(f"Point?crs={crs}", "photos", "memory")
    centres = np.array(SIGHTS)[rng.integers(0, len(SIGHTS), 650)]
    lon = np.r_[centres[:, 0] + rng.normal(0, 0.004, 650), rng.uniform(16.25, 16.5, 150)]
    lat = np.r_[centres[:, 1] + rng.normal(0, 0.003, 650), rng.uniform(48.13, 48.3, 150)]
    features = []
    for x, y in zip(lon, lat):
        feature = QgsFeature()
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(float(x), float(y))))
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    layer.updateExtents()
    return layer


def test_photo_points_against_airbnb_prices_with_districts(run_alg, tmp_path, airbnb_uri, districts_path):
    result = run_alg(
        "scenicheatmap:validateprices",
        {
            "PRICES": airbnb_uri,
            "PRICE_FIELD": "realSum",
            "PHOTOS": photo_points(),
            "RADIUS": 1000,
            "DISTRICTS": str(districts_path),
            "DISTRICT_FIELD": "NAMEK",
            "PERMUTATIONS": 499,
            "OUTPUT": str(tmp_path / "bins.csv"),
            "SAMPLES": str(tmp_path / "samples.gpkg"),
            "DISTRICT_TABLE": str(tmp_path / "districts.csv"),
            "CHART": str(tmp_path / "chart.png"),
            "REPORT": str(tmp_path / "report.html"),
        },
    )
    assert result["OUTLIERS_FLAGGED"] >= 1 and result["SKIPPED"] == 0
    assert result["N"] == 1738 - result["OUTLIERS_FLAGGED"]
    assert result["SPEARMAN"] > 0.1 and result["SPEARMAN_P"] < 0.01  # central listings cost more
    assert result["WITHIN_SPEARMAN"] is not None and -1 <= result["WITHIN_SPEARMAN"] <= 1
    assert isinstance(result["VERDICT"], str) and result["VERDICT"]
    bins = QgsVectorLayer(result["OUTPUT"], "bins")
    assert sum(int(f["n"]) for f in bins.getFeatures()) == result["N"]
    samples = QgsVectorLayer(result["SAMPLES"], "samples")
    assert samples.featureCount() == 1738 and samples.crs().authid() == "EPSG:4326"  # the prices' own CRS
    first = next(samples.getFeatures())
    assert first.geometry().asPoint().x() == pytest.approx(float(first["lng"]), abs=1e-9)
    flagged = [f for f in samples.getFeatures() if f["outlier"]]
    assert max(f["realSum"] for f in flagged) == pytest.approx(13664, abs=1)
    assert {f["district"] for f in samples.getFeatures()} >= {"Innere Stadt", "Leopoldstadt"}
    per_district = QgsVectorLayer(result["DISTRICT_TABLE"], "districts")
    assert per_district.featureCount() >= 20
    assert (tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"
    report = (tmp_path / "report.html").read_text()
    assert "Spearman" in report and "13664" in report and "Innere Stadt" in report


def test_density_raster_in_another_crs(run_alg, tmp_path, airbnb_uri):
    heat = run_alg(
        "scenicheatmap:heatmap",
        {
            "POINTS": photo_points(),
            "RADIUS": 1000,
            "PIXEL_SIZE": 50,
            "TARGET_CRS": "EPSG:31256",
            "OUTPUT": str(tmp_path / "heat.tif"),
        },
    )
    result = run_alg(
        "scenicheatmap:validateprices",
        {
            "PRICES": airbnb_uri,
            "PRICE_FIELD": "realSum",
            "DENSITY": heat["OUTPUT"],
            "PERMUTATIONS": 199,
            "OUTPUT": "TEMPORARY_OUTPUT",
        },
    )
    assert result["SPEARMAN"] > 0.1 and result["N"] > 1700


def test_missing_prices_are_skipped_and_counted(run_alg, tmp_path):
    layer = QgsVectorLayer("Point?crs=EPSG:4326&field=price:double", "prices", "memory")
    rng = np.random.default_rng(2)
    features = []
    for i in range(60):
        feature = QgsFeature(layer.fields())
        x, y = SIGHTS[0][0] + rng.normal(0, 0.02), SIGHTS[0][1] + rng.normal(0, 0.015)
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(x, y)))
        feature.setAttributes([None if i % 10 == 0 else float(100 + i)])
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    result = run_alg(
        "scenicheatmap:validateprices",
        {
            "PRICES": layer,
            "PRICE_FIELD": "price",
            "PHOTOS": photo_points(),
            "RADIUS": 500,
            "PERMUTATIONS": 99,
            "OUTPUT": "TEMPORARY_OUTPUT",
        },
    )
    assert result["SKIPPED"] == 6 and result["N"] == 54


def test_photo_variable_must_be_given_one_way(run_alg, tmp_path, airbnb_uri):
    with pytest.raises(QgsProcessingException, match="one way"):
        run_alg(
            "scenicheatmap:validateprices",
            {
                "PRICES": airbnb_uri,
                "PRICE_FIELD": "realSum",
                "OUTPUT": "TEMPORARY_OUTPUT",
                "REPORT": str(tmp_path / "never.html"),
            },
        )
    assert not (tmp_path / "never.html").exists()
