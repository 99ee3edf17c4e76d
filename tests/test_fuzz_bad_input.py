"""Random combinations of bad values for every algorithm, bounded in time: each run either works
or stops with a QgsProcessingException that is not a Python error, and a failed run leaves no file.

The seed and the case are printed on failure, so a failing combination can be replayed."""

import os
import random
import time

import pytest
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingException,
    QgsVectorLayer,
)
from test_bad_input import points

BUDGET_S = float(os.environ.get("SCENIC_FUZZ_SECONDS", "40"))
SEED = int(os.environ.get("SCENIC_FUZZ_SEED", "20261201"))


def line_layer():
    layer = QgsVectorLayer("LineString?crs=EPSG:4326&field=id:integer", "lines", "memory")
    feature = QgsFeature(layer.fields())
    feature.setGeometry(QgsGeometry.fromPolylineXY([QgsPointXY(16.3, 48.2), QgsPointXY(16.4, 48.25)]))
    feature.setAttributes([1])
    layer.dataProvider().addFeatures([feature])
    return layer


def crs_less_polygons():
    layer = QgsVectorLayer("Polygon?field=BEZNR:integer", "nocrs", "memory")
    layer.setCrs(QgsCoordinateReferenceSystem())
    feature = QgsFeature(layer.fields())
    feature.setGeometry(QgsGeometry.fromWkt("POLYGON((16.3 48.1,16.5 48.1,16.5 48.3,16.3 48.3,16.3 48.1))"))
    feature.setAttributes([1])
    layer.dataProvider().addFeatures([feature])
    return layer


@pytest.fixture()
def world(tmp_path, districts_path, readonly_dir):
    """Paths and layers the cases draw from; outputs go to tmp_path/out."""
    out = tmp_path / "out"
    out.mkdir()
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    text = tmp_path / "notes.txt"
    text.write_text("not a layer")
    photos = tmp_path / "photos"
    photos.mkdir()
    os.mkfifo(photos / "fifo.jpg")
    (photos / "broken.jpg").write_bytes(b"\xff\xd8 not really")
    return {
        "out": out,
        "fifo": str(fifo),
        "text": str(text),
        "photos": str(photos),
        "ro": str(readonly_dir),
        "districts": str(districts_path),
    }


def bad_values(w):
    """Values that are wrong for most parameters, in the forms users really pass."""
    return [
        None,
        "",
        "nope",
        -1,
        0,
        1e12,
        float("nan"),
        "12abc",
        w["fifo"],
        w["text"],
        w["photos"],
        os.path.join(w["ro"], "x.tif"),
        os.path.join(w["ro"], "x.gpkg"),
        os.path.join(w["ro"], "folder"),
        os.path.join(w["out"], "missing", "x.csv"),
        w["out"],
        lambda: points(crs=""),
        lambda: points(lon=500),
        line_layer,
        crs_less_polygons,
    ]


def cases(w):
    o = w["out"]
    return {
        "scenicheatmap:heatmap": {
            "POINTS": points,
            "RADIUS": 500,
            "PIXEL_SIZE": 50,
            "WEIGHT": "w",
            "CLIP": None,
            "TARGET_CRS": None,
            "OUTPUT": str(o / "heat.tif"),
        },
        "scenicheatmap:heatmapseries": {
            "POINTS": points,
            "TAKEN_FIELD": "label",
            "RADIUS": 500,
            "PIXEL_SIZE": 50,
            "OUTPUT_FOLDER": str(o / "series"),
            "STRIP": str(o / "strip.png"),
        },
        "scenicheatmap:districtstats": {
            "POINTS": points,
            "DISTRICTS": w["districts"],
            "DISTRICT_ID": "BEZNR",
            "CLIPPED": str(o / "c.gpkg"),
            "DISTRICTS_OUT": str(o / "d.gpkg"),
            "SUMMARY": str(o / "s.csv"),
        },
        "scenicheatmap:importphotos": {
            "FOLDER": w["photos"],
            "RECURSIVE": True,
            "OUTPUT": str(o / "p.gpkg"),
            "INVALID": str(o / "i.csv"),
        },
        "scenicheatmap:validateprices": {
            "PRICES": points,
            "PRICE_FIELD": "w",
            "PHOTOS": points,
            "RADIUS": 300,
            "PERMUTATIONS": 50,
            "OUTPUT": str(o / "v.csv"),
            "CHART": str(o / "chart.png"),
        },
        "scenicheatmap:checkworkflow": {
            "DISTRICTS": w["districts"],
            "DISTRICT_ID": "BEZNR",
            "RADIUS": 1000,
            "PIXEL_SIZE": 10,
        },
        "scenicheatmap:trainclassifier": {
            "INPUT": os.path.join(w["photos"], "none"),
            "EPOCHS": 1,
            "MODEL": str(o / "m.scenicmodel"),
            "METRICS": str(o / "metrics.csv"),
        },
        "scenicheatmap:harvestflickr": {
            "API_KEY": "k",
            "API_SECRET": "s",
            "EXTENT": "16.3,16.4,48.1,48.2 [EPSG:4326]",
            "API_ENDPOINT": "http://127.0.0.1:9/",
            "MAX_CALLS_PER_HOUR": 3600,
            "OUTPUT": str(o / "flickr.gpkg"),
        },
    }


def test_random_bad_combinations(run_alg, world, monkeypatch):
    monkeypatch.chdir(world["out"])  # relative outputs such as "nope" land where they are checked
    rng = random.Random(SEED)
    base = cases(world)
    pool = bad_values(world)
    deadline = time.monotonic() + BUDGET_S
    runs, refused, per_algorithm = 0, 0, {a: 0 for a in base}
    while time.monotonic() < deadline:
        algorithm = min(per_algorithm, key=lambda a: (per_algorithm[a], rng.random()))  # round robin
        per_algorithm[algorithm] += 1
        parameters = dict(base[algorithm])
        changed = rng.sample(sorted(parameters), k=rng.randint(1, min(3, len(parameters))))
        for name in changed:
            parameters[name] = rng.choice(pool)
        parameters = {k: (v() if callable(v) else v) for k, v in parameters.items()}
        described = {
            k: (v.name() if isinstance(v, QgsVectorLayer) else v) for k, v in parameters.items() if k in changed
        }
        label = f"seed {SEED} run {runs}: {algorithm} with {described}"
        before = sorted(os.listdir(world["out"]))
        try:
            run_alg(algorithm, {k: v for k, v in parameters.items() if v is not None})
        except QgsProcessingException as error:
            refused += 1
            message = str(error)
            assert "Traceback" not in message and "unexpected error" not in message, f"{label}: {message}"
            assert sorted(os.listdir(world["out"])) == before, f"{label}: a failed run left files behind"
        for entry in os.listdir(world["out"]):  # a run that worked: start the next one clean
            path = world["out"] / entry
            if path.is_dir():
                import shutil

                shutil.rmtree(path)
            else:
                path.unlink()
        runs += 1
    print(f"fuzz: {runs} runs ({refused} refused) in {BUDGET_S:.0f} s, per algorithm {per_algorithm}")
    assert runs >= len(base), "the time budget did not reach every algorithm once"
