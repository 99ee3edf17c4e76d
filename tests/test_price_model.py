"""scenicheatmap:pricemodel in real QGIS through processing.run: the real Vienna Airbnb prices,
planted effects and confounders in memory layers, the split audience, and bad input."""

import numpy as np
import pytest
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsField,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingException,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QDateTime, QVariant
from test_validate_prices import photo_points

STEPHANSDOM = "16.3725,48.2085 [EPSG:4326]"
CONTROLS = [
    "person_capacity",
    "bedrooms",
    "room_type",
    "host_is_superhost",
    "cleanliness_rating",
    "guest_satisfaction_overall",
]


def test_real_airbnb_prices_give_the_ladder(run_alg, tmp_path, airbnb_uri, districts_path):
    result = run_alg(
        "scenicheatmap:pricemodel",
        {
            "PRICES": airbnb_uri,
            "PRICE_FIELD": "realSum",
            "CONTROLS": CONTROLS,
            "PHOTOS": photo_points(),
            "RADIUS": 500,
            "DISTRICTS": str(districts_path),
            "DISTRICT_FIELD": "NAMEK",
            "CENTRE": STEPHANSDOM,
            "COEFFICIENTS": str(tmp_path / "coefficients.csv"),
            "RESIDUALS": str(tmp_path / "residuals.gpkg"),
            "EFFECT": str(tmp_path / "effect.csv"),
            "CHART": str(tmp_path / "effect.png"),
            "REPORT": str(tmp_path / "report.html"),
        },
    )
    assert 1700 <= result["N"] <= 1738
    assert result["PHOTO_CI_LOW"] <= result["PHOTO_COEF"] <= result["PHOTO_CI_HIGH"]
    assert 0 <= result["PHOTO_P"] <= 1 and result["MORAN_P"] <= 1
    assert result["VERDICT"] in (hedonic().VERDICT_PRICED, hedonic().VERDICT_LOCATION, hedonic().VERDICT_ZERO)
    coefficients = QgsVectorLayer(str(tmp_path / "coefficients.csv"), "c")
    models = {f["model"] for f in coefficients.getFeatures()}
    assert {"OLS photo only", "OLS + controls", "OLS + location"} <= models
    terms = {f["term"] for f in coefficients.getFeatures()}
    assert "room_type[Private room]" in terms and "centre_km" in terms and any(t.startswith("district[") for t in terms)
    residuals = QgsVectorLayer(result["RESIDUALS"], "r")
    assert residuals.featureCount() == result["N"] and residuals.crs().authid() == "EPSG:4326"
    assert QgsVectorLayer(result["EFFECT"], "e").featureCount() == hedonic().EFFECT_POINTS
    assert (tmp_path / "effect.png").read_bytes()[:4] == b"\x89PNG"
    report = (tmp_path / "report.html").read_text()
    for text in ("The ladder", "photo only", "+ controls", "+ location", "Moran", "LM error", "Doubling", "Verdict"):
        assert text in report


def hedonic():
    from scenic_heatmap.core.stats import hedonic as module

    return module


def price_layer(seed, n=500, beta=0.1, lam=0.6, confounded=False):
    """A memory layer of listings in EPSG:31256 around (0, 340000), and photo points beside it:
    photo density rises towards the centre; the price follows beta * log(1 + photo variable), or,
    confounded, only the distance to the centre."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(-5000, 5000, (n, 2)) + (0, 340_000)
    distance = np.hypot(xy[:, 0], xy[:, 1] - 340_000) / 1000
    errors = rng.normal(0, 0.25, n)
    if lam:
        from scipy.sparse import identity
        from scipy.sparse.linalg import spsolve

        w = hedonic().weights(xy, 8).sparse.tocsc()
        errors = spsolve((identity(n) - lam * w).tocsc(), errors)
    capacity = rng.integers(1, 7, n)
    room = rng.choice(["Entire home/apt", "Private room"], n, p=[0.7, 0.3])
    photo_var = np.exp(3.0 - 0.4 * distance + rng.normal(0, 0.6, n))
    own = 0.08 * capacity - 0.4 * (room == "Private room")
    log_price = 4.5 + own + (-0.15 * distance if confounded else beta * np.log1p(photo_var)) + errors
    layer = QgsVectorLayer("Point?crs=EPSG:31256", "prices", "memory")
    layer.dataProvider().addAttributes(
        [
            QgsField("price", QVariant.Double),
            QgsField("capacity", QVariant.Int),
            QgsField("room", QVariant.String),
            QgsField("density", QVariant.Double),
            QgsField("flat", QVariant.Int),
        ]
    )
    layer.updateFields()
    features = []
    for i in range(n):
        feature = QgsFeature(layer.fields())
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(*xy[i])))
        feature.setAttributes([float(np.exp(log_price[i])), int(capacity[i]), str(room[i]), float(photo_var[i]), 1])
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    return layer, photo_var, xy


def density_raster(tmp_path, layer):
    """The planted photo variable as the DENSITY raster: nearest listing's value on a 100 m grid."""
    from osgeo import gdal, osr
    from scipy.spatial import cKDTree

    values = np.array([f["density"] for f in layer.getFeatures()])
    points = np.array([[f.geometry().asPoint().x(), f.geometry().asPoint().y()] for f in layer.getFeatures()])
    xs = np.arange(-5100, 5100, 100) + 50
    ys = 340_000 + np.arange(5100, -5100, -100) - 50
    gx, gy = np.meshgrid(xs, ys)
    _, nearest = cKDTree(points).query(np.column_stack([gx.ravel(), gy.ravel()]))
    grid = values[nearest].reshape(gx.shape)
    path = str(tmp_path / f"density_{id(layer)}.tif")
    ds = gdal.GetDriverByName("GTiff").Create(path, grid.shape[1], grid.shape[0], 1, gdal.GDT_Float64)
    ds.SetGeoTransform((-5100, 100, 0, 345_100, 0, -100))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(31256)
    ds.SetProjection(srs.ExportToWkt())
    ds.GetRasterBand(1).WriteArray(grid)
    ds = None
    return path


def test_planted_effect_through_processing(run_alg, tmp_path):
    covered = 0
    for seed in range(5):
        layer, _, _ = price_layer(seed)
        result = run_alg(
            "scenicheatmap:pricemodel",
            {
                "PRICES": layer,
                "PRICE_FIELD": "price",
                "CONTROLS": ["capacity", "room"],
                "DENSITY": density_raster(tmp_path, layer),
                "SPATIAL": 2,
                "COEFFICIENTS": "TEMPORARY_OUTPUT",
            },
        )
        assert result["MODEL_USED"] == "spatial error (ML)" and result["SPATIAL_PARAM"] > 0.3
        covered += result["PHOTO_CI_LOW"] <= 0.1 <= result["PHOTO_CI_HIGH"]
    assert covered >= 4


def test_planted_confounder_through_processing(run_alg, tmp_path):
    """The centre explains the effect: significant before it enters, not after; the verdict says location."""
    layer, _, _ = price_layer(3, lam=0.0, confounded=True)
    parameters = {
        "PRICES": layer,
        "PRICE_FIELD": "price",
        "CONTROLS": ["capacity", "room"],
        "DENSITY": density_raster(tmp_path, layer),
        "COEFFICIENTS": str(tmp_path / "c.csv"),
    }
    without = run_alg("scenicheatmap:pricemodel", dict(parameters, COEFFICIENTS="TEMPORARY_OUTPUT"))
    assert without["PHOTO_P"] < 0.01 and without["VERDICT"] == hedonic().VERDICT_PRICED
    centre = run_alg("scenicheatmap:pricemodel", dict(parameters, CENTRE="0,340000 [EPSG:31256]"))
    assert centre["PHOTO_P"] > 0.05 and centre["VERDICT"] == hedonic().VERDICT_LOCATION


def test_split_audience_gives_two_photo_terms(run_alg, tmp_path):
    layer, _, xy = price_layer(4, lam=0.0)
    rng = np.random.default_rng(4)
    photos = QgsVectorLayer("Point?crs=EPSG:31256&field=owner:string&field=taken:datetime", "photos", "memory")
    features = []
    start = QDateTime.fromString("2017-01-01T10:00:00", "yyyy-MM-ddThh:mm:ss")
    for i in range(1500):
        local = i < 600
        owner = f"local{i % 40}" if local else f"tourist{i}"
        days = int(rng.integers(0, 300)) if local else 0
        x, y = xy[rng.integers(0, len(xy))] + rng.normal(0, 150, 2)
        feature = QgsFeature(photos.fields())
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(x, y)))
        feature.setAttributes([owner, start.addDays(days)])
        features.append(feature)
    photos.dataProvider().addFeatures(features)
    result = run_alg(
        "scenicheatmap:pricemodel",
        {
            "PRICES": layer,
            "PRICE_FIELD": "price",
            "CONTROLS": ["capacity", "room"],
            "PHOTOS": photos,
            "RADIUS": 400,
            "SPLIT_AUDIENCE": True,
            "OWNER_FIELD": "owner",
            "TAKEN_FIELD": "taken",
            "SPATIAL": 1,
            "COEFFICIENTS": str(tmp_path / "c.csv"),
        },
    )
    assert result["TOURISTS_COEF"] is not None and result["PHOTO_COEF"] is not None
    terms = {f["term"] for f in QgsVectorLayer(str(tmp_path / "c.csv"), "c").getFeatures()}
    assert {"photo_locals", "photo_tourists"} <= terms


@pytest.mark.parametrize(
    "change, message",
    [
        ({"CONTROLS": ["capacity", "no_such_field"]}, "no field 'no_such_field'"),
        ({"CONTROLS": ["capacity", "flat"]}, "constant"),
        ({"CONTROLS": ["capacity", "room"], "NEIGHBOURS": 2, "PRICES": "few"}, "more observations than terms"),
        ({"PHOTOS": "no_crs", "DENSITY": None}, "PHOTOS: the photo layer has no CRS"),
        ({"PHOTOS": "local_crs", "DENSITY": None}, "PHOTOS: the photo layer's CRS .* local grid"),
        ({"SPLIT_AUDIENCE": True}, "SPLIT_AUDIENCE needs photo points"),
    ],
)
def test_bad_input_is_refused_before_anything_is_written(run_alg, tmp_path, change, message):
    layer, _, _ = price_layer(1, n=40, lam=0.0)
    parameters = {
        "PRICES": layer,
        "PRICE_FIELD": "price",
        "CONTROLS": ["capacity"],
        "DENSITY": density_raster(tmp_path, layer),
        "COEFFICIENTS": str(tmp_path / "c.csv"),
        "REPORT": str(tmp_path / "r.html"),
    }
    parameters.update(change)
    if parameters["PRICES"] == "few":
        parameters["PRICES"] = price_layer(2, n=4, lam=0.0)[0]
    if parameters.get("PHOTOS") in ("no_crs", "local_crs"):
        photos = QgsVectorLayer("Point", "photos", "memory")
        local = 'LOCAL_CS["site grid",LOCAL_DATUM["site",0],UNIT["metre",1],AXIS["X",EAST],AXIS["Y",NORTH]]'
        crs = QgsCoordinateReferenceSystem.fromWkt(local) if parameters["PHOTOS"] == "local_crs" else None
        photos.setCrs(crs or QgsCoordinateReferenceSystem())  # a site grid, or a CRS that was never set
        feature = QgsFeature()
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(1, 1)))
        photos.dataProvider().addFeatures([feature])
        parameters["PHOTOS"] = photos
    with pytest.raises(QgsProcessingException, match=message):
        run_alg("scenicheatmap:pricemodel", parameters)
    assert not (tmp_path / "c.csv").exists() and not (tmp_path / "r.html").exists()
