"""The web map's size and cost with its photo cap full: 2,000 photos with real camera files behind them.

3,000 photo points over Vienna from 600 owners (most cells pass the privacy floor), each pointing at one
of the real camera files in ../shared/data/exif (cycled), a heat map of them (r 300 m, 10 m pixels),
then two web maps: the heat map alone (the baseline) and the heat map with the photos at the default
cap of 2,000. Prints the file sizes, the size against the 50 MB goal, kB per photo, and the time of
the full page as a multiple of the baseline measured in the same run.

Usage: python bench/webmap.py
"""

import glob
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts"))
from standalone import REPO, start_qgis  # noqa: E402

CAMERA = REPO.parent / "shared" / "data" / "exif"
GOAL_MB = 50.0


def photo_layer(path, files, n=3000, seed=5):
    from qgis.core import QgsFeature, QgsGeometry, QgsPointXY, QgsVectorFileWriter, QgsVectorLayer

    rng = np.random.default_rng(seed)
    layer = QgsVectorLayer(
        "Point?crs=EPSG:4326&field=owner:string&field=path:string&field=score:double&field=category:string",
        "photos",
        "memory",
    )
    features = []
    for i in range(n):
        feature = QgsFeature(layer.fields())
        lon, lat = 16.37 + rng.normal(0, 0.03), 48.21 + rng.normal(0, 0.02)
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(lon, lat)))
        feature.setAttributes([f"o{rng.integers(600)}", files[i % len(files)], float(rng.uniform(0.4, 1)), "valid"])
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    from qgis.core import QgsProject

    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "GPKG"
    context = QgsProject.instance().transformContext()
    error = QgsVectorFileWriter.writeAsVectorFormatV3(layer, str(path), context, options)
    assert error[0] == QgsVectorFileWriter.NoError, error


def main():
    files = sorted(
        f
        for f in glob.glob(str(CAMERA / "**" / "*"), recursive=True)
        if os.path.isfile(f) and f.lower().endswith((".jpg", ".jpeg"))
    )
    if not files:
        raise SystemExit(f"needs the real camera files in {CAMERA} (../shared beside the checkout)")
    app, plugin = start_qgis()
    import processing

    out = tempfile.mkdtemp(prefix="bench_webmap_")
    photos = os.path.join(out, "photos.gpkg")
    photo_layer(photos, files)
    heat = processing.run(
        "scenicheatmap:heatmap",
        {"POINTS": photos, "RADIUS": 300, "PIXEL_SIZE": 10, "OUTPUT": os.path.join(out, "heat.tif")},
    )["OUTPUT"]
    runs = {}
    for name, extra in (("heat map alone", {}), ("heat map + 2,000 photos", {"PHOTOS": photos})):
        start = time.perf_counter()
        result = processing.run(
            "scenicheatmap:webmap", {"HEATMAPS": [heat], "OUTPUT": os.path.join(out, f"{len(runs)}.html"), **extra}
        )
        runs[name] = (time.perf_counter() - start, result)
    (base_s, base), (full_s, full) = runs.values()
    print(f"{len(files)} real camera files behind 3,000 points; heat map {heat}")
    for name, (seconds, result) in runs.items():
        print(f"{name:26s} {result['SIZE_MB']:7.1f} MB {seconds:6.1f} s  photos shown {int(result['PHOTOS_SHOWN'])}")
    per_photo = (full["SIZE_MB"] - base["SIZE_MB"]) * 1e3 / max(1, full["PHOTOS_SHOWN"])
    print(f"per photo: {per_photo:.1f} kB; full page {full['SIZE_MB'] / GOAL_MB:.2f} of the {GOAL_MB:.0f} MB goal")
    print(f"time: {full_s / base_s:.1f}x the heat map alone")
    plugin.unload()


if __name__ == "__main__":
    main()
