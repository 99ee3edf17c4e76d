"""scenicheatmap:webmap through processing.run, on the demo's own outputs: colours, series, photos,
privacy, size, and the inputs it refuses."""

import os
import shutil

import numpy as np
import pytest
from conftest import log_feedback
from osgeo import gdal
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsLayerDefinition,
    QgsPointXY,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProject,
    QgsRasterLayer,
)
from web_map_pages import overlay_pixels, page_data

WGS84 = QgsCoordinateReferenceSystem("EPSG:4326")
MERCATOR = QgsCoordinateReferenceSystem("EPSG:3857")


def web_map(run_alg, out, **parameters):
    log = log_feedback()
    result = run_alg("scenicheatmap:webmap", {"BASEMAP": 1, "OUTPUT": str(out), **parameters}, feedback=log)
    return result, log.text


def qgis_colours(tif):
    """QGIS's own rendering of the raster with its .qml, one pixel per cell: (RGBA array, layer)."""
    layer = QgsRasterLayer(str(tif), "heat", "gdal")
    assert layer.loadNamedStyle(str(tif).replace(".tif", ".qml"))[1]
    block = layer.renderer().block(1, layer.extent(), layer.width(), layer.height())
    image = block.image().convertToFormat(block.image().Format_RGBA8888)
    pointer = image.constBits()
    pointer.setsize(image.byteCount())
    rgba = np.frombuffer(pointer, np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)[:, : image.width()]
    return rgba.copy(), layer


def test_the_overlay_has_qgis_colours_cell_by_cell(run_alg, demo_run, tmp_path):
    out, _ = demo_run
    tif = out / "heatmap.tif"
    result, log = web_map(run_alg, tmp_path / "map.html", HEATMAPS=[str(tif)])
    overlay = page_data(result["OUTPUT"])["overlays"][0]
    pixels = overlay_pixels(overlay)
    reference, layer = qgis_colours(tif)
    (south, west), (north, east) = overlay["bounds"]
    to_mercator = QgsCoordinateTransform(WGS84, MERCATOR, QgsProject.instance())
    low = to_mercator.transform(QgsPointXY(west, south))
    high = to_mercator.transform(QgsPointXY(east, north))
    to_layer = QgsCoordinateTransform(MERCATOR, layer.crs(), QgsProject.instance())
    extent, rows, cols = layer.extent(), layer.height(), layer.width()
    rng = np.random.default_rng(3)
    same = coloured = checked = 0
    for j, i in zip(rng.integers(0, pixels.shape[0], 3000), rng.integers(0, pixels.shape[1], 3000)):
        x = low.x() + (i + 0.5) * (high.x() - low.x()) / pixels.shape[1]
        y = high.y() - (j + 0.5) * (high.y() - low.y()) / pixels.shape[0]
        point = to_layer.transform(QgsPointXY(x, y))
        c = int((point.x() - extent.xMinimum()) / layer.rasterUnitsPerPixelX())
        r = int((extent.yMaximum() - point.y()) / layer.rasterUnitsPerPixelY())
        if not (0 <= r < rows and 0 <= c < cols):
            assert pixels[j, i, 3] == 0  # outside the raster: transparent
            continue
        web, qgis = pixels[j, i].astype(int), reference[r, c].astype(int)
        checked += 1
        coloured += qgis[3] > 0
        if qgis[3] == 0:
            same += web[3] == 0  # nodata stays transparent
        else:
            same += web[3] == qgis[3] and np.abs(web[:3] - qgis[:3]).max() <= 2
    assert checked > 1500 and coloured > 300
    assert same / checked >= 0.98, f"{same} of {checked} sampled cells have QGIS's colour"
    legend = overlay["legend"]
    assert legend["title"] == "heatmap (photos per km²)"  # the unit, as the band says
    labels = [label for _, label in legend["items"]]
    assert labels == [text for text, _ in layer.renderer().legendSymbologyItems()]
    assert "Wrote" in log and ("MB" in log or "kB" in log)


def test_a_large_raster_is_resampled_and_the_log_says_so(run_alg, demo_run, tmp_path):
    out, _ = demo_run
    result, log = web_map(run_alg, tmp_path / "map.html", HEATMAPS=[str(out / "heatmap.tif")], MAX_PIXELS=256)
    pixels = overlay_pixels(page_data(result["OUTPUT"])["overlays"][0])
    assert max(pixels.shape[:2]) == 256
    assert "resampled to" in log and "MAX_PIXELS 256" in log


def test_the_series_is_one_slider_in_time_order_on_one_scale(run_alg, demo_run, tmp_path):
    out, _ = demo_run
    result, _ = web_map(run_alg, tmp_path / "map.html", SERIES=str(out / "series"))
    series = page_data(result["OUTPUT"])["series"]
    layers = QgsLayerDefinition.loadLayerDefinitionLayers(str(out / "series" / "heatmap_series.qlr"))
    starts = {layer.name(): layer.temporalProperties().fixedTemporalRange().begin() for layer in layers}
    periods = [p["period"] for p in series["periods"]]
    assert sorted(periods) == sorted(starts) and len(periods) >= 2
    assert [starts[p] for p in periods] == sorted(starts[p] for p in periods)
    assert "one scale for every period" in series["legend"]["title"]
    assert all(p["legend"]["items"] == series["periods"][0]["legend"]["items"] for p in series["periods"])


def test_photos_keep_the_privacy_floor_and_the_cap(run_alg, demo_run, tmp_path):
    out, _ = demo_run
    photos = str(out / "photos_in_districts.gpkg")
    result, log = web_map(run_alg, tmp_path / "all.html", PHOTOS=photos)
    shown = page_data(result["OUTPUT"])["vectors"][0]["features"]
    assert result["PHOTOS_SHOWN"] == len(shown) > 20
    assert "identify their owners" in log and "fewer than 3 owners" in log
    assert all(f["properties"]["thumbnail"].startswith("data:image/jpeg;base64,") for f in shown)
    rows = dict(shown[0]["properties"]["rows"])
    assert {"Score", "Category", "Taken"} <= set(rows)
    open_all, _ = web_map(run_alg, tmp_path / "open.html", PHOTOS=photos, MIN_OWNERS=0, MAX_OWNER_SHARE=0)
    assert open_all["PHOTOS_SHOWN"] > result["PHOTOS_SHOWN"]  # the floor did leave photos out
    capped, log = web_map(run_alg, tmp_path / "capped.html", PHOTOS=photos, MAX_PHOTOS=5)
    assert capped["PHOTOS_SHOWN"] == 5 and len(page_data(capped["OUTPUT"])["vectors"][0]["features"]) == 5
    assert "above the cap of 5" in log
    size = os.path.getsize(capped["OUTPUT"])
    assert capped["SIZE_MB"] == pytest.approx(size / 1e6) and f"{size / 1e3:.0f} kB" in log


def test_hot_spots_and_districts_carry_their_numbers(run_alg, demo_run, tmp_path):
    out, _ = demo_run
    result, _ = web_map(
        run_alg,
        tmp_path / "map.html",
        HOTSPOTS=str(out / "hotspots.gpkg"),
        DISTRICTS=str(out / "districts_counts.gpkg"),
        DISTRICT_NAME="name",
    )
    spots, districts = page_data(result["OUTPUT"])["vectors"]
    classes = {dict(f["properties"]["rows"])["Class"] for f in spots["features"]}
    assert "hot 99" in classes or "hot 95" in classes
    assert {"Gi* z", "p (FDR)", "Owners"} <= set(dict(spots["features"][0]["properties"]["rows"]))
    hot = next(f for f in spots["features"] if dict(f["properties"]["rows"])["Class"].startswith("hot"))
    assert hot["properties"]["fill"] in {c for c, _ in spots["legend"]["items"]}
    names = {dict(f["properties"]["rows"])["District"] for f in districts["features"]}
    assert "Sample district 5" in names
    assert districts["legend"]["title"] == "Districts: photos per km²"
    assert spots["visible"] and districts["visible"]  # no heat map to hide


def no_crs_raster(path):
    """A density-like GeoTIFF with a geotransform but no CRS."""
    dataset = gdal.GetDriverByName("GTiff").Create(str(path), 20, 10, 1, gdal.GDT_Float32)
    dataset.SetGeoTransform((600000, 10, 0, 5340000, 0, -10))
    dataset.GetRasterBand(1).WriteArray(np.arange(200, dtype=np.float32).reshape(10, 20))
    dataset = None


@pytest.mark.parametrize(
    "case, message",
    [
        ("no crs", "has no CRS"),
        ("points as hot spots", "needs a polygon layer"),
        ("districts without counts", "no field 'images'"),
        ("not html", ".html"),
        ("no layer", "at least one layer"),
        ("photos without owners", "no 'owner' field"),
    ],
)
def test_wrong_inputs_stop_before_anything_is_written(run_alg, demo_run, tmp_path, case, message):
    out, _ = demo_run
    target = tmp_path / "map.html"
    parameters = {
        "no crs": {"HEATMAPS": [str(tmp_path / "nocrs.tif")]},
        "points as hot spots": {"HOTSPOTS": str(out / "photos_in_districts.gpkg")},
        "districts without counts": {"DISTRICTS": str(out / "SAMPLE_districts.geojson")},
        "not html": {"DISTRICTS": str(out / "districts_counts.gpkg")},
        "no layer": {},
        "photos without owners": {"PHOTOS": str(tmp_path / "anonymous.gpkg")},
    }[case]
    if case == "no crs":
        no_crs_raster(tmp_path / "nocrs.tif")
        assert not QgsRasterLayer(str(tmp_path / "nocrs.tif")).crs().isValid()
    if case == "photos without owners":
        gdal.VectorTranslate(
            str(tmp_path / "anonymous.gpkg"),
            str(out / "photos_in_districts.gpkg"),
            SQLStatement="SELECT geom, path FROM photos_in_districts",
        )
    if case == "not html":
        target = tmp_path / "map.txt"
    with pytest.raises(QgsProcessingException, match=message.replace(".", r"\.")):
        web_map(run_alg, target, **parameters)
    assert not target.exists() and not os.path.exists(str(target) + ".part")


def test_hostile_names_arrive_as_text(run_alg, demo_run, tmp_path):
    out, _ = demo_run
    hostile = tmp_path / 'heat<b>map<i> "x" & y.tif'
    shutil.copy(out / "heatmap.tif", hostile)
    shutil.copy(out / "heatmap.qml", str(hostile).replace(".tif", ".qml"))
    result, _ = web_map(run_alg, tmp_path / "map.html", HEATMAPS=[str(hostile)])
    with open(result["OUTPUT"], encoding="utf-8") as fh:
        text = fh.read()
    assert "<b>map" not in text
    assert page_data(result["OUTPUT"])["overlays"][0]["name"] == 'heat<b>map<i> "x" & y'


def test_cancel_during_the_thumbnails_writes_nothing(run_alg, demo_run, tmp_path):
    out, _ = demo_run

    class CancelAtThumbnails(QgsProcessingFeedback):
        def setProgressText(self, text):  # noqa: N802 - QGIS's name
            super().setProgressText(text)
            if text == "Thumbnails":
                self.cancel()

    target = tmp_path / "map.html"
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        run_alg(
            "scenicheatmap:webmap",
            {"PHOTOS": str(out / "photos_in_districts.gpkg"), "OUTPUT": str(target)},
            feedback=CancelAtThumbnails(),
        )
    assert not target.exists() and not os.path.exists(str(target) + ".part")


def test_the_web_map_runs_through_qgis_process(qgis_process, demo_run, tmp_path):
    out, _ = demo_run
    target = tmp_path / "map.html"
    rc, result, log = qgis_process(
        "scenicheatmap:webmap",
        {"HEATMAPS": str(out / "heatmap.tif"), "HOTSPOTS": str(out / "hotspots.gpkg"), "OUTPUT": str(target)},
    )
    assert rc == 0, log[-3000:]
    assert result["results"]["LAYERS"] == 2 and target.stat().st_size > 100_000
    assert [v["name"] for v in page_data(target)["vectors"]] == ["Hot spots (Gi*)"]


def test_a_raster_without_its_style_gets_the_plugins_ylorrd_classes(run_alg, demo_run, tmp_path):
    from qgis.core import QgsStyle

    out, _ = demo_run
    bare = tmp_path / "bare.tif"
    shutil.copy(out / "heatmap.tif", bare)  # no .qml beside it: QGIS would draw it grey
    result, _ = web_map(run_alg, tmp_path / "map.html", HEATMAPS=[str(bare)])
    legend = page_data(result["OUTPUT"])["overlays"][0]["legend"]
    ramp = QgsStyle.defaultStyle().colorRamp("YlOrRd")
    assert len(legend["items"]) == 5
    assert legend["items"][0][0] == ramp.color(0).name() and legend["items"][-1][0] == ramp.color(1).name()
