"""`make demo`: the whole chain end to end on a generated SAMPLE.

import photos -> classify (built-in CNN) -> clip and count per district ->
heat maps weighted by photos and by photo-user-days -> seasonal series ->
correlation with prices, then PNG renderings, a .qgz project and a one-page
HTML report. The sample is made here and is labelled SAMPLE everywhere; it is
not survey data:

* scenic photos: crops of scikit-learn's china.jpg (a Flickr photo by
  danielbuechele, CC BY 2.0) at invented positions around hot spots;
* other photos (food, a cat, a portrait, a page of text): scikit-image's CC0 and
  public-domain samples, scattered; the classifier should drop them;
* owners and dates in EXIF Artist/DateTimeOriginal, with one owner who takes
  a burst of photos in one afternoon, so the two weightings differ;
* invented square "districts" and invented prices near the hot spots.

Usage: python scripts/demo.py OUTPUT_FOLDER
"""

import csv
import datetime
import os
import pathlib
import shutil
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
from standalone import REPO, start_qgis  # noqa: E402

CENTRE = (16.3725, 48.2085)  # the sample sits on a real map position, for a sensible UTM zone
HOTSPOTS = [(0.0, 0.0, 0.45), (1.3, 0.7, 0.25), (-1.5, -1.0, 0.2), (0.9, -1.6, 0.1)]  # km offsets, share
KM_LON, KM_LAT = 1 / (111.32 * np.cos(np.radians(CENTRE[1]))), 1 / 110.57
THRESHOLD = 0.8  # the sample's scenic photos are crops of one picture; see the report
ATTRIBUTION = (
    "Scenic sample photo: china.jpg by danielbuechele (Flickr), CC BY 2.0, shipped with scikit-learn. "
    "Other sample photos: scikit-image (CC0 / public domain)."
)


def scenic_views(count, rng):
    """Varied crops (and mirror images) of the CC BY 2.0 china.jpg: scenic architecture."""
    from PIL import ImageOps
    from sklearn.datasets import load_sample_image

    source = Image.fromarray(load_sample_image("china.jpg"))
    width, height = source.size
    views = []
    for i in range(count):
        scale = rng.uniform(0.65, 1.0)
        w, h = int(width * scale), int(height * scale)
        x, y = int(rng.integers(0, width - w + 1)), int(rng.integers(0, height - h + 1))
        view = source.crop((x, y, x + w, y + h))
        views.append(ImageOps.mirror(view) if i % 2 else view)
    return views


def sample_photos(folder: pathlib.Path, count=400, seed=2016):
    """JPEGs with GPS, owner and date: scenic views around hot spots, other photos scattered."""
    from skimage import data

    from scenic_heatmap.core.photos.exif_write import write_gnss  # after start_qgis linked the plugin

    rng = np.random.default_rng(seed)
    others = []
    for array in (data.coffee(), data.chelsea(), data.page(), data.astronaut()):
        image = Image.fromarray(array).convert("RGB")
        image.thumbnail((320, 320))
        others.append(image)
    views = scenic_views(24, rng)
    shares = np.array([h[2] for h in HOTSPOTS])
    folder.mkdir(parents=True, exist_ok=True)
    start = datetime.datetime(2016, 6, 30, 9, 0, 0)
    burst = 60  # one owner's afternoon at the second hot spot
    for i in range(count):
        if i < burst:
            hx, hy, _ = HOTSPOTS[1]
            x, y = hx + rng.normal(0, 0.08), hy + rng.normal(0, 0.08)
            owner, taken = "SAMPLE owner burst", start + datetime.timedelta(days=40, minutes=3 * i)
            image = views[i % len(views)]
        elif i % 4 == 0:  # not the surroundings: anywhere
            x, y = rng.uniform(-2.0, 2.0), rng.uniform(-2.0, 2.0)
            owner = f"SAMPLE owner {int(rng.integers(0, 40))}"
            taken = start + datetime.timedelta(hours=int(rng.integers(0, 24 * 365)))
            image = others[i % len(others)]
        else:
            hx, hy, _ = HOTSPOTS[rng.choice(len(HOTSPOTS), p=shares / shares.sum())]
            x, y = hx + rng.normal(0, 0.35), hy + rng.normal(0, 0.3)
            owner = f"SAMPLE owner {int(rng.integers(0, 40))}"
            taken = start + datetime.timedelta(hours=int(rng.integers(0, 24 * 365)))
            image = views[i % len(views)]
        lon, lat = CENTRE[0] + x * KM_LON, CENTRE[1] + y * KM_LAT
        path = folder / f"sample_{i:04d}.jpg"
        image.save(path, quality=80)
        write_gnss(str(path), lat, lon, taken, artist=owner)  # core/photos/exif_write, read back and checked
    # files the importer must reject, not stop on
    others[0].save(folder / "sample_no_gps.jpg", quality=80)
    (folder / "sample_corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00broken")
    return count


def sample_prices(path: pathlib.Path, count=300, seed=7):
    """Invented listings: dearer near the hot spots, lognormal noise, one extreme and a few missing;
    rooms and kind (flat or single room) are the listings' own attributes, the hedonic model's controls."""
    from qgis.core import QgsFeature, QgsField, QgsGeometry, QgsPointXY, QgsProject, QgsVectorFileWriter, QgsVectorLayer
    from qgis.PyQt.QtCore import QVariant

    rng = np.random.default_rng(seed)
    own = np.random.default_rng(seed + 1)  # the attributes, drawn apart so the prices' draws stay as they were
    layer = QgsVectorLayer("Point?crs=EPSG:4326", "SAMPLE prices", "memory")
    layer.dataProvider().addAttributes(
        [QgsField("price_m2", QVariant.Double), QgsField("rooms", QVariant.Int), QgsField("kind", QVariant.String)]
    )
    layer.updateFields()
    features = []
    for i in range(count):
        x, y = rng.uniform(-2.1, 2.1), rng.uniform(-2.1, 2.1)
        near = sum(share * np.exp(-((x - hx) ** 2 + (y - hy) ** 2) / 0.8) for hx, hy, share in HOTSPOTS)
        rooms, kind = int(own.integers(1, 6)), str(own.choice(["flat", "flat", "flat", "single room"]))
        price = (
            (3500 + 6000 * near) * rng.lognormal(0, 0.15) * (1 + 0.03 * rooms) * (0.85 if kind == "single room" else 1)
        )
        feature = QgsFeature(layer.fields())
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(CENTRE[0] + x * KM_LON, CENTRE[1] + y * KM_LAT)))
        feature.setAttributes([None if i % 60 == 5 else (250000.0 if i == 17 else float(price)), rooms, kind])
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "GeoJSON"
    QgsVectorFileWriter.writeAsVectorFormatV3(layer, str(path), QgsProject.instance().transformContext(), options)


def sample_districts(path: pathlib.Path):
    """3 x 3 invented square districts of 1.4 km around CENTRE, as GeoJSON in EPSG:4326."""
    from qgis.core import (
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsFeature,
        QgsField,
        QgsGeometry,
        QgsPointXY,
        QgsProject,
        QgsVectorFileWriter,
        QgsVectorLayer,
    )
    from qgis.PyQt.QtCore import QVariant

    utm = QgsCoordinateReferenceSystem("EPSG:32633")
    wgs = QgsCoordinateReferenceSystem("EPSG:4326")
    to_utm = QgsCoordinateTransform(wgs, utm, QgsProject.instance())
    centre = to_utm.transform(QgsPointXY(*CENTRE))
    layer = QgsVectorLayer("Polygon?crs=EPSG:4326", "SAMPLE districts", "memory")
    layer.dataProvider().addAttributes([QgsField("district", QVariant.Int), QgsField("name", QVariant.String)])
    layer.updateFields()
    features, size = [], 1400.0
    for row in range(3):
        for col in range(3):
            x0 = centre.x() + (col - 1.5) * size
            y0 = centre.y() + (1.5 - row) * size
            ring = [
                QgsPointXY(x0, y0),
                QgsPointXY(x0 + size, y0),
                QgsPointXY(x0 + size, y0 - size),
                QgsPointXY(x0, y0 - size),
                QgsPointXY(x0, y0),
            ]
            geometry = QgsGeometry.fromPolygonXY([ring])
            geometry.transform(QgsCoordinateTransform(utm, wgs, QgsProject.instance()))
            feature = QgsFeature(layer.fields())
            feature.setGeometry(geometry)
            number = row * 3 + col + 1
            feature.setAttributes([number, f"Sample district {number}"])
            features.append(feature)
    layer.dataProvider().addFeatures(features)
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "GeoJSON"
    QgsVectorFileWriter.writeAsVectorFormatV3(layer, str(path), QgsProject.instance().transformContext(), options)


def render_png(layers, extent, path: pathlib.Path, title: str, unit: str):
    """A print layout: the map, a legend with the unit, a scale bar and a north arrow."""
    from scenic_heatmap.algorithms.support.rendering import layout_image

    image, _ = layout_image([(layers, extent, title)], layers[-1].crs(), layers[-1], unit, panel_mm=160)
    image.save(str(path))


def installed_font(layer):
    """Labels in a font this system has (QGIS falls back with a warning bar otherwise)."""
    from qgis.PyQt.QtGui import QFontDatabase

    labeling = layer.labeling()
    if labeling is None:
        return
    settings = labeling.settings()
    text = settings.format()
    if text.font().family() not in QFontDatabase().families():
        font = text.font()
        font.setFamily(QFontDatabase.systemFont(QFontDatabase.GeneralFont).family())
        text.setFont(font)
        settings.setFormat(text)
        labeling.setSettings(settings)


def district_choropleth(layer):
    """Photos per km² in five equal-interval classes (YlOrRd, half transparent over the heat map)."""
    from qgis.core import QgsClassificationEqualInterval, QgsFillSymbol, QgsGraduatedSymbolRenderer, QgsStyle

    renderer = QgsGraduatedSymbolRenderer("images_per_km2")
    renderer.setSourceSymbol(QgsFillSymbol.createSimple({"outline_color": "#333333", "outline_width": "0.4"}))
    renderer.setSourceColorRamp(QgsStyle.defaultStyle().colorRamp("YlOrRd"))
    renderer.setClassificationMethod(QgsClassificationEqualInterval())
    renderer.updateClasses(layer, 5)
    layer.setRenderer(renderer)
    layer.setOpacity(0.45)


def write_report(out: pathlib.Path, facts: dict, table_rows: list, prices: dict, model: dict):
    """The one-page HTML summary (core/report): maps, district table, correlation chart, all embedded."""
    from scenic_heatmap.core.report import Report
    from scenic_heatmap.core.stats.prices import format_p

    def png(name):
        return (out / name).read_bytes()

    page = Report("Scenic Heatmap demo: SAMPLE data").paragraph(f"Generated sample, not survey data. {ATTRIBUTION}")
    page.items(f"{k}: {v}" for k, v in facts.items())
    page.heading("Photo density: by photos and by photo-user-days")
    page.image(png("heatmap.png"), "photos", 480).image(png("heatmap_photo_user_days.png"), "photo-user-days", 480)
    page.paragraph(
        "One owner's burst of photos in an afternoon would make a hot spot by photo count: the dominance "
        "rule (one owner above 70 % of a cell's value) blanks those cells. Counted as photo-user-days it is "
        "one visit among others, and the spot stays."
    )
    page.heading("By season (common colour scale)").image(png("series.png"), "seasons", 960)
    page.heading("Districts").table(table_rows[1:], table_rows[0])
    page.heading("Photo density and prices (SAMPLE prices)")
    page.paragraph(
        f"Spearman rho = {prices['SPEARMAN']:.3f} (permutation p {format_p(prices['SPEARMAN_P'], 2000)}; "
        f"Dutilleul's modified t-test p {prices['MODIFIED_P']:.3g} with an effective sample size of "
        f"{prices['EFFECTIVE_N']:.0f}), Pearson r = {prices['PEARSON']:.3f}; {prices['N']} listings, "
        f"{prices['SKIPPED']} without a price skipped, {prices['OUTLIERS_FLAGGED']} outlier(s) left out. "
        f"Binned curve: {prices['VERDICT']}."
    )
    page.image(png("price_chart.png"), "price chart", 720)
    page.heading("Is photo density priced? (hedonic model, SAMPLE prices)")
    page.paragraph(
        f"{model['MODEL_USED']}: photo coefficient {model['PHOTO_COEF']:.3f} (95 % CI {model['PHOTO_CI_LOW']:.3f} to "
        f"{model['PHOTO_CI_HIGH']:.3f}, p {model['PHOTO_P']:.3g}) with rooms, kind and district fixed effects as "
        f"controls; Moran's I of the OLS residuals {model['MORAN_I']:.3f}. Verdict: {model['VERDICT']}."
    )
    page.image(png("price_model_effect.png"), "partial effect of the photo variable", 720)
    page.raw(
        "<p>Full statistics: <a href='price_report.html'>price_report.html</a> (correlation) and "
        "<a href='price_model_report.html'>price_model_report.html</a> (hedonic model). "
        "Project: scenic_heatmap_demo.qgz.</p>"
    )
    page.write(str(out / "report.html"))


def main(out: pathlib.Path):
    app, plugin = start_qgis()
    import processing
    from qgis.core import QgsCoordinateTransform, QgsProject, QgsRasterLayer, QgsReferencedRectangle, QgsVectorLayer

    from scenic_heatmap.algorithms.support.map_tips import photo_map_tip

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    photos_dir = out / "SAMPLE_photos"
    n = sample_photos(photos_dir)
    districts_file = str(out / "SAMPLE_districts.geojson")
    sample_districts(out / "SAMPLE_districts.geojson")
    sample_prices(out / "SAMPLE_prices.geojson")
    print(f"SAMPLE: {n} photos with invented GPS positions, owners and dates in {photos_dir}")

    imported = processing.run(
        "scenicheatmap:importphotos",
        {
            "FOLDER": str(photos_dir),
            "RECURSIVE": True,
            "OUTPUT": str(out / "photos.gpkg"),
            "INVALID": str(out / "rejected_files.csv"),
        },
    )
    print(f"import: {imported['PHOTOS']} photos, {imported['REJECTED']} files rejected")
    classified = processing.run(
        "scenicheatmap:classifyphotos",
        {
            "INPUT": imported["OUTPUT"],
            "THRESHOLD": THRESHOLD,
            "CLASSIFIED": str(out / "classified.gpkg"),
            "VALID": str(out / "valid_photos.gpkg"),
            "CSV": str(out / "valid_photos.csv"),
        },
    )
    print(f"classify: {classified['VALID_COUNT']} of {imported['PHOTOS']} photos valid (score >= {THRESHOLD})")
    stats = processing.run(
        "scenicheatmap:districtstats",
        {
            "POINTS": classified["VALID"],
            "DISTRICTS": districts_file,
            "DISTRICT_ID": "district",
            "CLIPPED": str(out / "photos_in_districts.gpkg"),
            "DISTRICTS_OUT": str(out / "districts_counts.gpkg"),
            "SUMMARY": str(out / "district_summary.csv"),
        },
    )
    table = QgsVectorLayer(stats["DISTRICTS_OUT"], "counts")
    table_rows = [["district", "name", "images", "percent", "area_km2", "images_per_km2"]]
    for f in table.getFeatures():
        table_rows.append(
            [
                f["district"],
                f["name"],
                f["images"],
                round(f["percent"], 2),
                round(f["area_km2"], 3),
                round(f["images_per_km2"], 2),
            ]
        )
    with open(out / "district_table.csv", "w", newline="") as fh:
        csv.writer(fh).writerows(table_rows)
    print(f"districtstats: {stats['CLIPPED_COUNT']} valid photos in the districts")

    maps = {}
    for weighting, name in ((0, "heatmap"), (1, "heatmap_photo_user_days")):
        maps[name] = processing.run(
            "scenicheatmap:heatmap",
            {
                "POINTS": stats["CLIPPED"],
                "RADIUS": 300,
                "PIXEL_SIZE": 10,
                "CLIP": districts_file,
                "WEIGHTING": weighting,
                "OUTPUT_VALUE": 2,
                "OUTPUT": str(out / f"{name}.tif"),
            },
        )
        print(f"heatmap ({maps[name]['WEIGHTING_USED']}): {maps[name]['OUTPUT']} in {maps[name]['CRS_USED']}")
    series = processing.run(
        "scenicheatmap:heatmapseries",
        {
            "POINTS": stats["CLIPPED"],
            "PERIOD": 1,
            "RADIUS": 300,
            "PIXEL_SIZE": 20,
            "CLIP": districts_file,
            "OUTPUT_VALUE": 2,
            "OUTPUT_FOLDER": str(out / "series"),
            "STRIP": str(out / "series.png"),
        },
    )
    print(f"heatmapseries: {series['PERIODS']} seasons in {series['OUTPUT_FOLDER']}")
    spots = processing.run(
        "scenicheatmap:hotspots",
        {"POINTS": stats["CLIPPED"], "CELL": 300, "PERMUTATIONS": 199, "OUTPUT": str(out / "hotspots.gpkg")},
    )
    print(f"hotspots: {spots['HOT']} hot and {spots['COLD']} cold of {spots['CELLS']} cells")
    web = processing.run(
        "scenicheatmap:webmap",
        {
            "HEATMAPS": [maps["heatmap"]["OUTPUT"], maps["heatmap_photo_user_days"]["OUTPUT"]],
            "SERIES": series["OUTPUT_FOLDER"],
            "HOTSPOTS": spots["OUTPUT"],
            "DISTRICTS": stats["DISTRICTS_OUT"],
            "DISTRICT_NAME": "name",
            "PHOTOS": stats["CLIPPED"],  # SAMPLE photos: invented positions, so no one is identified
            "TITLE": "Scenic Heatmap demo (SAMPLE data)",
            "ATTRIBUTION": "SAMPLE photos with invented positions; maps: Scenic Heatmap",
            "OUTPUT": str(out / "webmap.html"),
        },
    )
    print(f"webmap: {web['OUTPUT']}, {web['SIZE_MB']:.1f} MB, {web['LAYERS']} layers, {web['PHOTOS_SHOWN']} photos")
    prices = processing.run(
        "scenicheatmap:validateprices",
        {
            "PRICES": str(out / "SAMPLE_prices.geojson"),
            "PRICE_FIELD": "price_m2",
            "PHOTOS": stats["CLIPPED"],
            "RADIUS": 500,
            "DISTRICTS": districts_file,
            "DISTRICT_FIELD": "name",
            "OUTPUT": str(out / "price_bins.csv"),
            "CHART": str(out / "price_chart.png"),
            "REPORT": str(out / "price_report.html"),
        },
    )
    from scenic_heatmap.core.stats.prices import format_p

    print(
        f"validateprices: Spearman rho {prices['SPEARMAN']:.3f} (permutation p {format_p(prices['SPEARMAN_P'], 2000)}, "
        f"Dutilleul p {prices['MODIFIED_P']:.3g}); {prices['VERDICT']}"
    )
    model = processing.run(
        "scenicheatmap:pricemodel",
        {
            "PRICES": str(out / "SAMPLE_prices.geojson"),
            "PRICE_FIELD": "price_m2",
            "CONTROLS": ["rooms", "kind"],
            "PHOTOS": stats["CLIPPED"],
            "RADIUS": 500,
            "DISTRICTS": districts_file,
            "DISTRICT_FIELD": "name",
            "PHOTO_TERM": 1,
            "COEFFICIENTS": str(out / "price_model_coefficients.csv"),
            "RESIDUALS": str(out / "price_model_residuals.gpkg"),
            "EFFECT": str(out / "price_model_effect.csv"),
            "CHART": str(out / "price_model_effect.png"),
            "REPORT": str(out / "price_model_report.html"),
        },
    )
    print(
        f"pricemodel: {model['MODEL_USED']}, photo coefficient {model['PHOTO_COEF']:.3f} "
        f"(95 % CI {model['PHOTO_CI_LOW']:.3f} to {model['PHOTO_CI_HIGH']:.3f}); {model['VERDICT']}"
    )

    project = QgsProject.instance()
    rasters = {
        name: QgsRasterLayer(result["OUTPUT"], f"{result['WEIGHTING_USED'].capitalize()} per km² (SAMPLE)")
        for name, result in maps.items()
    }  # styled by their .qml; short names, distinct at the start
    districts = QgsVectorLayer(stats["DISTRICTS_OUT"], "SAMPLE districts with counts")
    districts.loadNamedStyle(str(REPO / "resources" / "styles" / "districts_outline.qml"))
    installed_font(districts)
    photos = QgsVectorLayer(stats["CLIPPED"], "SAMPLE valid photos")
    photos.loadNamedStyle(str(REPO / "resources" / "styles" / "photo_points.qml"))
    price_layer = QgsVectorLayer(str(out / "SAMPLE_prices.geojson"), "SAMPLE prices")
    # an optional background: off by default, it needs the internet (and the PNGs never use it)
    osm = QgsRasterLayer(
        "type=xyz&url=https://tile.openstreetmap.org/{z}/{x}/{y}.png&zmin=0&zmax=19",
        "OpenStreetMap (background)",
        "wms",
    )
    for layer in (districts, photos, price_layer, *rasters.values()):
        assert layer.isValid(), layer.name()
    if osm.isValid():  # each new layer goes on top: the background first
        project.addMapLayer(osm)
        project.layerTreeRoot().findLayer(osm.id()).setItemVisibilityChecked(False)
    # the photos on top: QGIS desktop opens the project with its top layer current, so every dialog
    # preselects the photos (not the hidden prices)
    choropleth = districts.clone()
    choropleth.setName("SAMPLE districts: photos per km²")
    district_choropleth(choropleth)
    for layer in (*rasters.values(), choropleth, districts, price_layer, photos):  # district names above the fill
        project.addMapLayer(layer)
    project.layerTreeRoot().findLayer(rasters["heatmap_photo_user_days"].id()).setItemVisibilityChecked(False)
    project.layerTreeRoot().findLayer(price_layer.id()).setItemVisibilityChecked(False)
    photos.setMapTipTemplate(photo_map_tip("path", scored=True))  # hover: the photo, its score and category
    project.setCrs(rasters["heatmap"].crs())
    project.setTitle("Scenic Heatmap demo (SAMPLE data)")
    to_project = QgsCoordinateTransform(districts.crs(), project.crs(), project.transformContext())
    view = to_project.transformBoundingBox(districts.extent())  # every district in view
    view.scale(1.1)
    project.viewSettings().setDefaultViewExtent(QgsReferencedRectangle(view, project.crs()))
    project.write(str(out / "scenic_heatmap_demo.qgz"))

    extent = view
    for name, raster in rasters.items():
        render_png([photos, districts, raster], extent, out / f"{name}.png", raster.name(), maps[name]["UNIT"])
    facts = {
        "photos imported": imported["PHOTOS"],
        "files rejected": imported["REJECTED"],
        f"valid photos (score >= {THRESHOLD})": classified["VALID_COUNT"],
        "valid photos in the districts": stats["CLIPPED_COUNT"],
        "seasons mapped": series["PERIODS"],
    }
    write_report(out, facts, table_rows, prices, model)
    print(f"wrote {out / 'report.html'}, {out / 'heatmap.png'} and {out / 'scenic_heatmap_demo.qgz'}")
    project.clear()
    plugin.unload()


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "demo_output").resolve())
