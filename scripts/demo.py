"""`make demo`: the main job end to end on a generated SAMPLE.

import photos -> clip and count per district -> styled heat map, then a PNG
rendering and a .qgz project. The sample is made here: scikit-image's CC0
and public-domain sample photos, written as JPEGs with GPS put in by piexif at invented positions,
and invented square "districts". It is labelled SAMPLE everywhere; it is not
survey data.

Usage: python scripts/demo.py OUTPUT_FOLDER
"""

import csv
import datetime
import os
import pathlib
import shutil
import sys

import numpy as np
import piexif
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
from standalone import REPO, start_qgis  # noqa: E402

CENTRE = (16.3725, 48.2085)  # the sample sits on a real map position, for a sensible UTM zone
HOTSPOTS = [(0.0, 0.0, 0.45), (1.3, 0.7, 0.25), (-1.5, -1.0, 0.2), (0.9, -1.6, 0.1)]  # km offsets, share


def rational(value, denominator=10000):
    return (int(round(value * denominator)), denominator)


def dms(value):
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = (value - degrees - minutes / 60) * 3600
    return ((degrees, 1), (minutes, 1), rational(seconds))


def gps_exif(lon, lat, taken):
    stamp = taken.strftime("%Y:%m:%d %H:%M:%S")
    return piexif.dump({
        "0th": {piexif.ImageIFD.Make: b"Scenic Heatmap", piexif.ImageIFD.Model: b"SAMPLE generator"},
        "Exif": {piexif.ExifIFD.DateTimeOriginal: stamp.encode()},
        "GPS": {
            piexif.GPSIFD.GPSLatitudeRef: b"N" if lat >= 0 else b"S",
            piexif.GPSIFD.GPSLatitude: dms(lat),
            piexif.GPSIFD.GPSLongitudeRef: b"E" if lon >= 0 else b"W",
            piexif.GPSIFD.GPSLongitude: dms(lon),
            piexif.GPSIFD.GPSDateStamp: taken.strftime("%Y:%m:%d").encode(),
        },
    })


def sample_photos(folder: pathlib.Path, count=400, seed=2016):
    """JPEGs of scikit-image's sample photos (CC0, public domain) with GPS at clustered invented positions."""
    from skimage import data

    sources = [data.coffee(), data.chelsea(), data.rocket(), data.astronaut()]
    thumbs = []
    for array in sources:
        image = Image.fromarray(array).convert("RGB")
        image.thumbnail((320, 320))
        thumbs.append(image)
    rng = np.random.default_rng(seed)
    km_lon = 1 / (111.32 * np.cos(np.radians(CENTRE[1])))
    km_lat = 1 / 110.57
    shares = np.array([h[2] for h in HOTSPOTS])
    folder.mkdir(parents=True, exist_ok=True)
    start = datetime.datetime(2016, 6, 30, 9, 0, 0)
    for i in range(count):
        hx, hy, _ = HOTSPOTS[rng.choice(len(HOTSPOTS), p=shares / shares.sum())]
        x, y = hx + rng.normal(0, 0.35), hy + rng.normal(0, 0.3)
        lon, lat = CENTRE[0] + x * km_lon, CENTRE[1] + y * km_lat
        taken = start + datetime.timedelta(hours=int(rng.integers(0, 24 * 365)))
        thumbs[i % len(thumbs)].save(folder / f"sample_{i:04d}.jpg", quality=80, exif=gps_exif(lon, lat, taken))
    # files the importer must reject, not stop on
    thumbs[0].save(folder / "sample_no_gps.jpg", quality=80)
    (folder / "sample_corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00broken")
    return count


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
            ring = [QgsPointXY(x0, y0), QgsPointXY(x0 + size, y0), QgsPointXY(x0 + size, y0 - size),
                    QgsPointXY(x0, y0 - size), QgsPointXY(x0, y0)]
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


def render_png(layers, extent, path: pathlib.Path, title: str):
    from scenic_heatmap.algorithms.rendering import render

    render(layers, extent, layers[-1].crs(), 1000, 800, title).save(str(path))


def main(out: pathlib.Path):
    app, plugin = start_qgis()
    import processing
    from qgis.core import QgsProject, QgsRasterLayer, QgsVectorLayer

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    photos_dir = out / "SAMPLE_photos"
    n = sample_photos(photos_dir)
    sample_districts(out / "SAMPLE_districts.geojson")
    print(f"SAMPLE: {n} scikit-image sample photos with invented GPS positions in {photos_dir}")

    imported = processing.run("scenicheatmap:importphotos", {
        "FOLDER": str(photos_dir), "RECURSIVE": True,
        "OUTPUT": str(out / "photos.gpkg"), "INVALID": str(out / "rejected_files.csv")})
    print(f"import: {imported['PHOTOS']} photos, {imported['REJECTED']} files rejected")
    stats = processing.run("scenicheatmap:districtstats", {
        "POINTS": imported["OUTPUT"], "DISTRICTS": str(out / "SAMPLE_districts.geojson"), "DISTRICT_ID": "district",
        "CLIPPED": str(out / "photos_in_districts.gpkg"), "DISTRICTS_OUT": str(out / "districts_counts.gpkg"),
        "SUMMARY": str(out / "district_summary.csv")})
    table = QgsVectorLayer(stats["DISTRICTS_OUT"], "counts")
    with open(out / "district_table.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["district", "name", "images", "percent", "area_km2", "images_per_km2"])
        for f in table.getFeatures():
            writer.writerow([f["district"], f["name"], f["images"], round(f["percent"], 2),
                             round(f["area_km2"], 3), round(f["images_per_km2"], 2)])
    print(f"districtstats: {stats['CLIPPED_COUNT']} photos in the districts")
    heat = processing.run("scenicheatmap:heatmap", {
        "POINTS": stats["CLIPPED"], "RADIUS": 300, "PIXEL_SIZE": 10, "CLIP": str(out / "SAMPLE_districts.geojson"),
        "OUTPUT": str(out / "heatmap.tif")})
    print(f"heatmap: {heat['OUTPUT']} in {heat['TARGET_CRS']} (style {heat['STYLE']})")

    project = QgsProject.instance()
    raster = QgsRasterLayer(heat["OUTPUT"], "SAMPLE photo density (r = 300 m)")  # styled by its .qml
    districts = QgsVectorLayer(stats["DISTRICTS_OUT"], "SAMPLE districts with counts")
    districts.loadNamedStyle(str(REPO / "resources" / "styles" / "districts_outline.qml"))
    photos = QgsVectorLayer(stats["CLIPPED"], "SAMPLE photos")
    photos.loadNamedStyle(str(REPO / "resources" / "styles" / "photo_points.qml"))
    for layer in (raster, districts, photos):
        assert layer.isValid(), layer.name()
        project.addMapLayer(layer)
    project.setCrs(raster.crs())
    project.setTitle("Scenic Heatmap demo (SAMPLE data)")
    project.write(str(out / "scenic_heatmap_demo.qgz"))

    extent = raster.extent()
    extent.scale(1.15)
    render_png([photos, districts, raster], extent, out / "heatmap.png",
               "SAMPLE data - photo density, r = 300 m")
    print(f"wrote {out / 'heatmap.png'} and {out / 'scenic_heatmap_demo.qgz'}")
    project.clear()
    plugin.unload()


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "demo_output").resolve())
