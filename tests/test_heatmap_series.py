"""scenicheatmap:heatmapseries in real QGIS: periods, common breaks, temporal ranges, PNG strip."""

import numpy as np
import pytest
from conftest import people_layer
from osgeo import gdal
from qgis.core import (
    QgsFeature,
    QgsGeometry,
    QgsLayerDefinition,
    QgsPointXY,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProject,
    QgsRasterLayer,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QDate

from scenic_heatmap.core.density.periods import period_of


def seasonal_photos():
    """Summer photos at the Prater, winter photos at the Christmas market on Rathausplatz."""
    rng = np.random.default_rng(5)
    rows = []
    for i in range(60):
        rows.append(
            (
                16.3960 + rng.normal(0, 0.002),
                48.2165 + rng.normal(0, 0.001),
                f"s{i % 7}",
                f"2019-07-{1 + i % 28:02d}T12:00:00",
            )
        )
    for i in range(20):
        rows.append(
            (
                16.3575 + rng.normal(0, 0.001),
                48.2108 + rng.normal(0, 0.001),
                f"w{i % 5}",
                f"2019-12-{1 + i % 20:02d}T18:00:00",
            )
        )
    rows.append((16.37, 48.21, "x", None))  # no date: left out, warned
    return rows


def test_seasons_share_grid_and_breaks_and_carry_their_period(run_alg, tmp_path):
    result = run_alg(
        "scenicheatmap:heatmapseries",
        {
            "POINTS": people_layer(seasonal_photos()),
            "PERIOD": 1,
            "RADIUS": 300,
            "PIXEL_SIZE": 20,
            "TARGET_CRS": "EPSG:31256",
            "OUTPUT_FOLDER": str(tmp_path / "series"),
            "STRIP": str(tmp_path / "strip.png"),
        },
    )
    assert result["PERIODS"] == 2
    summer, winter = result["LAYERS"]
    assert summer.endswith("heatmap_2019-3_summer.tif") and winter.endswith("heatmap_2020-1_winter.tif")
    grids = [gdal.Open(p) for p in (summer, winter)]
    assert grids[0].GetGeoTransform() == grids[1].GetGeoTransform()
    assert (grids[0].RasterXSize, grids[0].RasterYSize) == (grids[1].RasterXSize, grids[1].RasterYSize)
    maxima = [
        float(np.nanmax(np.where(g.GetRasterBand(1).ReadAsArray() < -1e30, np.nan, g.GetRasterBand(1).ReadAsArray())))
        for g in grids
    ]
    assert maxima[0] > maxima[1]  # 60 summer photos against 20 winter ones
    assert result["MAX"] == pytest.approx(max(maxima), rel=1e-6)
    tops = set()
    for path, (start, end) in zip(
        (summer, winter), ((QDate(2019, 6, 1), QDate(2019, 9, 1)), (QDate(2019, 12, 1), QDate(2020, 3, 1)))
    ):
        layer = QgsRasterLayer(path, "reloaded")  # the .qml beside it brings the style...
        assert layer.loadDefaultStyle()[1]  # ... and "Load default style" the period too
        renderer = layer.renderer()
        assert renderer.type() == "singlebandpseudocolor"
        # common breaks: the top class (a round number) holds the series' maximum in every map
        assert result["MAX"] <= renderer.classificationMax() < 2 * result["MAX"]
        tops.add(renderer.classificationMax())
        assert renderer.classificationMin() == 0.0
        properties = layer.temporalProperties()
        assert properties.isActive()
        span = properties.fixedTemporalRange()
        assert span.begin().date() == start and span.end().date() == end
    project = QgsProject()  # the layer definition brings back the whole animated series
    ok, message = QgsLayerDefinition.loadLayerDefinition(result["LAYER_DEFINITION"], project, project.layerTreeRoot())
    assert ok, message
    loaded = sorted(project.mapLayers().values(), key=lambda layer: layer.source())
    assert [layer.source() for layer in loaded] == sorted([summer, winter])
    assert all(layer.temporalProperties().isActive() for layer in loaded)
    assert result["MAX"] <= loaded[0].renderer().classificationMax() < 2 * result["MAX"]
    project.clear()
    image = QgsRasterLayer(str(tmp_path / "strip.png"))
    assert image.isValid() and image.width() > 600


def test_months_and_years(run_alg, tmp_path):
    rows = [
        (16.37, 48.21, "a", "2018-03-05T10:00:00"),
        (16.38, 48.21, "b", "2018-03-09T10:00:00"),
        (16.36, 48.20, "c", "2019-11-05T10:00:00"),
    ]
    months = run_alg(
        "scenicheatmap:heatmapseries",
        {
            "POINTS": people_layer(rows),
            "PERIOD": 0,
            "RADIUS": 200,
            "PIXEL_SIZE": 20,
            "OUTPUT_FOLDER": str(tmp_path / "m"),
        },
    )
    assert [p.rsplit("_", 1)[1] for p in months["LAYERS"]] == ["2018-03.tif", "2019-11.tif"]
    years = run_alg(
        "scenicheatmap:heatmapseries",
        {
            "POINTS": people_layer(rows),
            "PERIOD": 2,
            "RADIUS": 200,
            "PIXEL_SIZE": 20,
            "OUTPUT_FOLDER": str(tmp_path / "y"),
        },
    )
    assert years["PERIODS"] == 2


def test_periods_follow_the_calendar():
    import datetime as dt

    assert period_of(dt.datetime(2018, 12, 24), "season").label == "2019-1 winter"
    assert period_of(dt.datetime(2019, 2, 28), "season").start == dt.datetime(2018, 12, 1)
    assert period_of(dt.datetime(2019, 11, 30), "season").label == "2019-4 autumn"
    assert period_of(dt.datetime(2019, 12, 31), "month").end == dt.datetime(2020, 1, 1)


def test_layer_without_dates_is_a_clear_error(run_alg, tmp_path):
    layer = QgsVectorLayer("Point?crs=EPSG:4326&field=name:string", "photos", "memory")
    feature = QgsFeature(layer.fields())
    feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(16.37, 48.21)))
    layer.dataProvider().addFeatures([feature])
    with pytest.raises(QgsProcessingException, match="date taken field"):
        run_alg("scenicheatmap:heatmapseries", {"POINTS": layer, "OUTPUT_FOLDER": str(tmp_path / "s")})
    assert not list((tmp_path / "s").glob("*.tif"))


def test_cancel_keeps_no_part_of_the_series(run_alg, tmp_path):
    feedback = QgsProcessingFeedback()
    feedback.progressChanged.connect(lambda progress: feedback.cancel() if progress > 0 else None)
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        run_alg(
            "scenicheatmap:heatmapseries",
            {
                "POINTS": people_layer(seasonal_photos()),
                "PERIOD": 0,
                "RADIUS": 300,
                "PIXEL_SIZE": 20,
                "OUTPUT_FOLDER": str(tmp_path / "series"),
            },
            feedback=feedback,
        )
    assert not list((tmp_path / "series").glob("heatmap_*"))


def test_loaded_series_layers_get_style_and_period(processing_provider, tmp_path):
    """What the toolbox does after the run: load each raster and apply its post-processor."""
    import processing
    from qgis.core import QgsProcessingContext

    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    processing.run(
        "scenicheatmap:heatmapseries",
        {
            "POINTS": people_layer(seasonal_photos()),
            "PERIOD": 1,
            "RADIUS": 300,
            "PIXEL_SIZE": 20,
            "OUTPUT_FOLDER": str(tmp_path / "series"),
        },
        context=context,
        feedback=QgsProcessingFeedback(),
    )
    pending = context.layersToLoadOnCompletion()
    assert len(pending) == 2
    for path, details in pending.items():
        layer = QgsRasterLayer(path, details.name)
        details.postProcessor().postProcessLayer(layer, context, QgsProcessingFeedback())
        assert layer.temporalProperties().isActive()
        assert layer.renderer().type() == "singlebandpseudocolor"
    assert {d.name for d in pending.values()} == {"2019-3 summer (60 photos)", "2020-1 winter (20 photos)"}
