"""The plugin as QGIS sees it: metadata, provider, and a graphical-modeler chain."""

import configparser
import pathlib
import tempfile

import pytest
from qgis.core import QgsApplication, QgsProcessingContext, QgsProcessingFeedback, QgsVectorLayer

REPO = pathlib.Path(__file__).resolve().parents[1]


def test_metadata_is_complete():
    meta = configparser.ConfigParser()
    meta.read(REPO / "metadata.txt")
    general = meta["general"]
    assert general["name"] == "Scenic Heatmap"
    assert general["qgisMinimumVersion"] == "3.22"
    assert general["hasProcessingProvider"] == "yes"
    assert general["license"] == "GPL-2.0-or-later"
    for key in ("description", "about", "tags", "version", "author", "email", "repository", "tracker", "icon"):
        assert general[key].strip(), key
    assert (REPO / general["icon"]).exists()


def test_init_processing_registers_without_iface(processing_provider):
    registry = QgsApplication.processingRegistry()
    provider = registry.providerById("scenicheatmap")
    assert provider is processing_provider
    assert not provider.icon().isNull()
    ids = sorted(a.id() for a in provider.algorithms())
    assert ids == [
        "scenicheatmap:checkworkflow",
        "scenicheatmap:classifyphotos",
        "scenicheatmap:districtstats",
        "scenicheatmap:harvestcommons",
        "scenicheatmap:harvestflickr",
        "scenicheatmap:heatmap",
        "scenicheatmap:heatmapseries",
        "scenicheatmap:heatmapuncertainty",
        "scenicheatmap:hotspots",
        "scenicheatmap:importphotos",
        "scenicheatmap:importyfcc",
        "scenicheatmap:pricemodel",
        "scenicheatmap:trainclassifier",
        "scenicheatmap:validateprices",
        "scenicheatmap:webmap",
        "scenicheatmap:workflow",
        "scenicheatmap:workflow_yfcc",
    ]
    for algorithm in provider.algorithms():
        assert algorithm.shortHelpString()
        assert algorithm.displayName()


def test_model_chain_import_districts_heatmap(processing_provider, exif_dir, tmp_path):
    """import -> districtstats -> heatmap as a graphical model, the way the modeler builds it."""
    from qgis.core import (
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildParameterSource,
        QgsProcessingModelOutput,
        QgsProcessingModelParameter,
        QgsProcessingParameterFile,
        QgsProcessingParameterVectorLayer,
    )

    # districts around the Italian GPS samples: two squares that split them
    folder = pathlib.Path(tempfile.mkdtemp(dir=tmp_path))
    squares = folder / "squares.geojson"
    squares.write_text(
        '{"type":"FeatureCollection","features":['
        '{"type":"Feature","properties":{"id":1},"geometry":{"type":"Polygon","coordinates":'
        "[[[11.87,43.46],[11.882,43.46],[11.882,43.47],[11.87,43.47],[11.87,43.46]]]}},"
        '{"type":"Feature","properties":{"id":2},"geometry":{"type":"Polygon","coordinates":'
        "[[[11.882,43.46],[11.89,43.46],[11.89,43.47],[11.882,43.47],[11.882,43.46]]]}}]}"
    )

    model = QgsProcessingModelAlgorithm("chain", "tests")
    model.addModelParameter(
        QgsProcessingParameterFile("folder", "folder", behavior=QgsProcessingParameterFile.Folder),
        QgsProcessingModelParameter("folder"),
    )
    model.addModelParameter(
        QgsProcessingParameterVectorLayer("districts", "districts"), QgsProcessingModelParameter("districts")
    )

    def child(child_id, algorithm_id, sources, outputs):
        alg = QgsProcessingModelChildAlgorithm(algorithm_id)
        alg.setChildId(child_id)
        for name, source in sources.items():
            alg.addParameterSources(name, [source])
        model_outputs = {}
        for name in outputs:
            output = QgsProcessingModelOutput(f"{child_id}_{name}")
            output.setChildOutputName(name)
            output.setChildId(child_id)
            model_outputs[f"{child_id}_{name}"] = output
        alg.setModelOutputs(model_outputs)
        model.addChildAlgorithm(alg)

    static = QgsProcessingModelChildParameterSource.fromStaticValue
    child(
        "import",
        "scenicheatmap:importphotos",
        {"FOLDER": QgsProcessingModelChildParameterSource.fromModelParameter("folder"), "RECURSIVE": static(True)},
        ["OUTPUT"],
    )
    child(
        "stats",
        "scenicheatmap:districtstats",
        {
            "POINTS": QgsProcessingModelChildParameterSource.fromChildOutput("import", "OUTPUT"),
            "DISTRICTS": QgsProcessingModelChildParameterSource.fromModelParameter("districts"),
            "DISTRICT_ID": static("id"),
        },
        ["CLIPPED", "DISTRICTS_OUT", "SUMMARY"],
    )
    child(
        "heat",
        "scenicheatmap:heatmap",
        {
            "POINTS": QgsProcessingModelChildParameterSource.fromChildOutput("stats", "CLIPPED"),
            "RADIUS": static(100.0),
            "PIXEL_SIZE": static(5.0),
        },
        ["OUTPUT"],
    )

    context = QgsProcessingContext()
    feedback = QgsProcessingFeedback()
    results, ok = model.run(
        {
            "folder": str(exif_dir / "jpg" / "gps"),
            "districts": str(squares),
            "import:import_OUTPUT": "TEMPORARY_OUTPUT",
            "stats:stats_CLIPPED": "TEMPORARY_OUTPUT",
            "stats:stats_DISTRICTS_OUT": str(folder / "d.gpkg"),
            "stats:stats_SUMMARY": "TEMPORARY_OUTPUT",
            "heat:heat_OUTPUT": str(folder / "heat.tif"),
        },
        context,
        feedback,
    )
    assert ok
    districts = QgsVectorLayer(results["stats:stats_DISTRICTS_OUT"], "d")
    assert sum(f["images"] for f in districts.getFeatures()) == 9  # all nine DSCN photos
    assert (folder / "heat.tif").exists() and (folder / "heat.qml").exists()


@pytest.mark.parametrize("name", ["core", "algorithms", "processing_provider", "resources", "tests"])
def test_layout(name):
    assert (REPO / name).is_dir()


def test_plugin_loads_without_optional_packages(tmp_path):
    """exifread, flickrapi, piexif, TensorFlow, OpenCV and numba unimportable: every algorithm is listed,
    the heat map runs, and importphotos stops with a message that names exifread and the install command."""
    import json
    import subprocess
    import sys

    from conftest import PLUGIN_DIR

    child = subprocess.run(
        [sys.executable, str(REPO / "tests" / "blocked_imports_child.py"), str(PLUGIN_DIR), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [line for line in child.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, child.stdout + child.stderr
    seen = json.loads(lines[-1][7:])
    assert len(seen["algorithms"]) == 17 and "scenicheatmap:importphotos" in seen["algorithms"]
    assert seen["loaded"] == []
    assert seen["heatmap_max"] > 0
    assert "exifread" in seen["importphotos"] and "pip install --target" in seen["importphotos"]
    assert "Traceback" not in seen["importphotos"]
    web = seen["webmap"]  # before any work, and nothing written
    assert "xstatic-leaflet" in web and "pip install --target" in web and "written" not in web
    bar = seen["bar"]  # names the algorithms that cannot run yet, and only those
    assert "Import geotagged photos" in bar and "Classify photos" in bar and "need packages" in bar
    assert "heat map" not in bar.lower()


def test_every_parameter_has_help_in_words_and_every_algorithm_a_help_url(processing_provider):
    import re

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    headings = [line.lstrip("#").strip().lower() for line in readme.splitlines() if line.startswith("#")]
    anchors = {re.sub(r"[^\w\- ]", "", heading).replace(" ", "-") for heading in headings}
    for algorithm in processing_provider.algorithms():
        ids = {d.name() for d in algorithm.parameterDefinitions()}
        for definition in algorithm.parameterDefinitions():
            if ":" in definition.name():  # a model's outputs are its children's, described there
                continue
            text = definition.help()
            assert text and len(text) > 15, (algorithm.id(), definition.name())
            named = [w for w in re.findall(r"\b[A-Z][A-Z_]{2,}\b", text) if w in ids]
            assert not named, (algorithm.id(), definition.name(), named)  # a label is meant, not an id
            assert not re.search(r"\b[A-Z]+_[A-Z_]+\b", definition.description()), definition.description()
        url = algorithm.helpUrl()
        assert "#" in url and url.split("#", 1)[1] in anchors, (algorithm.id(), url)
