"""How long each GIS step takes at the study's sizes, for the README's walkthrough.

10,109 valid photos (clustered around Vienna's sights, 8,348 of them inside the city as
in the study, with owners and dates) on the real district layer and the real Airbnb
prices from ../shared. Prints a Markdown table; the harvest and classification rows
are worked out from bench/harvest.py's calls per photo and bench/classify.py's rate.

Usage: python bench/workflow.py [CLASSIFY_IMAGES_PER_S]
"""

import datetime
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from standalone import REPO, start_qgis  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
SIGHTS = [(16.3725, 48.2085), (16.3656, 48.2100), (16.3120, 48.1860), (16.3960, 48.2165), (16.3800, 48.1910)]


def photo_layer(path, n_city=8348, n_outside=1761, seed=1):
    from qgis.core import QgsFeature, QgsField, QgsGeometry, QgsPointXY, QgsProject, QgsVectorFileWriter, QgsVectorLayer
    from qgis.PyQt.QtCore import QDateTime, QVariant

    rng = np.random.default_rng(seed)
    centres = np.array(SIGHTS)[rng.integers(0, len(SIGHTS), n_city)]
    lon = np.r_[centres[:, 0] + rng.normal(0, 0.01, n_city), rng.uniform(15.9, 16.1, n_outside)]
    lat = np.r_[centres[:, 1] + rng.normal(0, 0.007, n_city), rng.uniform(48.0, 48.1, n_outside)]
    layer = QgsVectorLayer("Point?crs=EPSG:4326", "photos", "memory")
    layer.dataProvider().addAttributes([QgsField("owner", QVariant.String), QgsField("taken", QVariant.DateTime)])
    layer.updateFields()
    start = datetime.datetime(2016, 6, 30)
    features = []
    for x, y in zip(lon, lat):
        feature = QgsFeature(layer.fields())
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(float(x), float(y))))
        taken = start + datetime.timedelta(hours=int(rng.integers(0, 24 * 365)))
        feature.setAttributes([f"owner{int(rng.pareto(1.2) * 10) % 2000}", QDateTime(taken)])
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "GPKG"
    QgsVectorFileWriter.writeAsVectorFormatV3(layer, path, QgsProject.instance().transformContext(), options)
    return path


def timed(rows, step, algorithm, parameters):
    import processing

    start = time.perf_counter()
    result = processing.run(algorithm, parameters)
    rows.append((step, f"{time.perf_counter() - start:.1f} s"))
    return result


def main():
    districts = SHARED / "vienna" / "BEZIRKSGRENZEOGD_2021_epsg4326.geojson"
    city = SHARED / "vienna" / "LANDESGRENZEOGD_epsg4326.geojson"
    prices = SHARED / "prices" / "airbnb_vienna_weekdays.csv"
    if not districts.exists() or not prices.exists():
        raise SystemExit(f"needs the real data in {SHARED} (districts and prices); not found")
    rate = float(sys.argv[1]) if len(sys.argv) > 1 else None
    app, plugin = start_qgis()
    from qgis.core import QgsVectorLayer

    out = tempfile.mkdtemp(prefix="bench_workflow_")
    photos = photo_layer(os.path.join(out, "valid.gpkg"))
    rows = [
        (
            "1. harvest, 68,000 candidates (1.015 calls each, bench/harvest.py)",
            f"{68000 * 1.015 / 3600:.1f} h at 3,600 calls/h",
        )
    ]
    if rate:
        rows.append(("2. classify 27,562 photos (bench/classify.py rate)", f"{27562 / rate / 60:.1f} min"))
    stats = timed(
        rows,
        "3. districtstats, 10,109 photos, 23 districts",
        "scenicheatmap:districtstats",
        {
            "POINTS": photos,
            "DISTRICTS": str(districts),
            "DISTRICT_ID": "BEZNR",
            "CLIPPED": os.path.join(out, "clipped.gpkg"),
            "DISTRICTS_OUT": os.path.join(out, "districts.gpkg"),
            "SUMMARY": os.path.join(out, "summary.csv"),
        },
    )
    clipped = stats["CLIPPED"]
    heat = timed(
        rows,
        f"4. heatmap, {stats['CLIPPED_COUNT']:,} photos, r 1000 m, 10 m pixels",
        "scenicheatmap:heatmap",
        {
            "POINTS": clipped,
            "RADIUS": 1000,
            "PIXEL_SIZE": 10,
            "TARGET_CRS": "EPSG:31256",
            "CLIP": str(city),
            "OUTPUT": os.path.join(out, "heat.tif"),
        },
    )
    timed(
        rows,
        "4. heatmap by photo-user-days, same",
        "scenicheatmap:heatmap",
        {
            "POINTS": clipped,
            "RADIUS": 1000,
            "PIXEL_SIZE": 10,
            "TARGET_CRS": "EPSG:31256",
            "CLIP": str(city),
            "WEIGHTING": 1,
            "OUTPUT": os.path.join(out, "heat_pud.tif"),
        },
    )
    timed(
        rows,
        "5. heatmapseries, 5 seasons, r 1000 m, 20 m pixels, PNG strip",
        "scenicheatmap:heatmapseries",
        {
            "POINTS": clipped,
            "PERIOD": 1,
            "RADIUS": 1000,
            "PIXEL_SIZE": 20,
            "TARGET_CRS": "EPSG:31256",
            "OUTPUT_FOLDER": os.path.join(out, "seasons"),
            "STRIP": os.path.join(out, "seasons.png"),
        },
    )
    airbnb = QgsVectorLayer(
        f"file://{prices}?delimiter=,&xField=lng&yField=lat&crs=EPSG:4326", "airbnb", "delimitedtext"
    )
    timed(
        rows,
        "5. validateprices, 1,738 prices, density raster, districts",
        "scenicheatmap:validateprices",
        {
            "PRICES": airbnb,
            "PRICE_FIELD": "realSum",
            "DENSITY": heat["OUTPUT"],
            "DISTRICTS": str(districts),
            "DISTRICT_FIELD": "NAMEK",
            "OUTPUT": os.path.join(out, "bins.csv"),
            "CHART": os.path.join(out, "chart.png"),
            "REPORT": os.path.join(out, "report.html"),
        },
    )
    print("| step | time |\n|---|---|")
    for step, spent in rows:
        print(f"| {step} | {spent} |")
    del airbnb
    plugin.unload()


if __name__ == "__main__":
    main()
