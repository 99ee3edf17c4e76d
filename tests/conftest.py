"""Shared fixtures: the plugin importable as `scenic_heatmap`, real data, Processing.

The checkout is linked as `<tmp>/plugins/scenic_heatmap`, so tests never depend
on the checkout's folder name; the same folder is QGIS_PLUGINPATH for the
qgis_process subprocess tests.
"""

import gc
import os
import pathlib
import site
import subprocess
import sys
import tempfile

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = pathlib.Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
QGIS_PROCESS = "/usr/bin/qgis_process.bin"

PLUGIN_DIR = pathlib.Path(tempfile.mkdtemp(prefix="scenic_plugins_"))
(PLUGIN_DIR / "scenic_heatmap").symlink_to(REPO, target_is_directory=True)
sys.path.insert(0, str(PLUGIN_DIR))
sys.path.insert(0, str(REPO / "tests"))  # helpers such as fake_flickr
sys.path.append("/usr/share/qgis/python/plugins")  # Debian's `processing`


def shared_path(*parts) -> pathlib.Path:
    """A file under ../shared, or skip the test with a clear message."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real test data not found: {path} (../shared beside the checkout)")
    return path


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """`scripts/demo.py` once for the session: (output folder, its stdout). The demo and the web map's
    browser tests read the same run."""
    out = tmp_path_factory.mktemp("demo") / "demo"
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "demo.py"), str(out)], capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out, proc.stdout


@pytest.fixture(scope="session")
def exif_dir():
    return shared_path("data", "exif")


@pytest.fixture(scope="session")
def districts_path():
    return shared_path("data", "vienna", "BEZIRKSGRENZEOGD_2021_epsg4326.geojson")


@pytest.fixture()
def fake_flickr():
    """Starts FakeFlickr servers on 127.0.0.1 (ephemeral ports); stops them after the test."""
    from fake_flickr import FakeFlickr

    servers = []

    def start(photos, **options):
        server = FakeFlickr(photos, **options).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def processing_provider(qgis_app):
    """Processing initialised with the plugin's provider registered once."""
    from processing.core.Processing import Processing

    from scenic_heatmap.plugin import ScenicHeatmapPlugin

    Processing.initialize()
    plugin = ScenicHeatmapPlugin(None)
    plugin.initProcessing()
    yield plugin.provider
    plugin.unload()


def assert_outputs_declared(algorithm_id, results):
    """Every value an algorithm returns is a declared output (the modeler can chain only those),
    and none is named like one of its parameters."""
    from qgis.core import QgsApplication

    algorithm = QgsApplication.processingRegistry().algorithmById(algorithm_id)
    if algorithm is None or algorithm_id.startswith("scenicheatmap:workflow"):  # models return their children's too
        return
    declared = {output.name() for output in algorithm.outputDefinitions()}
    undeclared = set(results) - declared
    assert not undeclared, f"{algorithm_id} returns undeclared values {sorted(undeclared)}"
    destinations = {d.name() for d in algorithm.destinationParameterDefinitions()}
    inputs = {d.name() for d in algorithm.parameterDefinitions()} - destinations
    assert not set(results) & inputs, f"{algorithm_id} returns values named like parameters"


@pytest.fixture()
def run_alg(processing_provider):
    """processing.run with a fresh context and feedback; returns the results."""
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsProject

    contexts = []

    def run(algorithm_id, parameters, feedback=None, context=None):
        if context is None:
            context = QgsProcessingContext()
            context.setProject(QgsProject.instance())
        contexts.append(context)  # owns TEMPORARY_OUTPUT layers until the test ends
        results = processing.run(
            algorithm_id, parameters, context=context, feedback=feedback or QgsProcessingFeedback()
        )
        assert_outputs_declared(algorithm_id, results)
        return results

    yield run
    contexts.clear()
    gc.collect()  # free QGIS objects while QGIS still runs, not at interpreter exit


@pytest.fixture(scope="session")
def qgis_process_env(tmp_path_factory):
    """Environment for `qgis_process.bin` that finds and enables the plugin."""
    if not os.path.exists(QGIS_PROCESS):
        pytest.skip(f"{QGIS_PROCESS} is not installed")
    home = tmp_path_factory.mktemp("qgis_home")
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        QT_QPA_PLATFORM="offscreen",
        QGIS_PLUGINPATH=str(PLUGIN_DIR),
        # qgis_process embeds the system Python; give it the venv's packages
        PYTHONPATH=os.pathsep.join(site.getsitepackages()),
        XDG_RUNTIME_DIR=str(home),
    )
    subprocess.run(
        [QGIS_PROCESS, "plugins", "enable", "scenic_heatmap"], env=env, check=True, capture_output=True, timeout=120
    )
    return env


@pytest.fixture()
def qgis_process(qgis_process_env):
    """Run `qgis_process.bin run ALG --json -- K=V ...`; returns (returncode, json or None, output)."""
    import json

    def run(algorithm_id, parameters):
        args = [QGIS_PROCESS, "--json", "run", algorithm_id, "--"]
        args += [f"{key}={value}" for key, value in parameters.items()]
        proc = subprocess.run(args, env=qgis_process_env, capture_output=True, text=True, timeout=600)
        start = proc.stdout.find("{")
        try:
            payload = json.loads(proc.stdout[start:]) if start >= 0 else None
        except json.JSONDecodeError:
            payload = None
        return proc.returncode, payload, proc.stdout + proc.stderr

    return run


@pytest.fixture(scope="session")
def labelled_photos(tmp_path_factory):
    """A small real training set: street/architecture/landscape camera photos against scikit-image's sample photos.

    valid: the nine GPS photos of Arezzo and four alpine/landscape samples (../shared);
    non_valid: scikit-image's CC0/public-domain photos (coffee, cat, astronaut, cameraman, rocket, text ...)."""
    from PIL import Image

    data = pytest.importorskip("skimage.data")
    exif = shared_path("data", "exif", "jpg")
    root = tmp_path_factory.mktemp("labelled")
    (root / "valid").mkdir()
    (root / "food").mkdir()
    (root / "stuff").mkdir()
    valid = sorted((exif / "gps").glob("*.jpg")) + [
        exif / "tests" / n for n in ("11-tests.jpg", "28-hex_value.jpg", "30-type_error.jpg", "36-memory_error.jpg")
    ]
    for path in valid:
        (root / "valid" / path.name).write_bytes(path.read_bytes())
    for folder, names in (
        ("food", ("coffee",)),
        ("stuff", ("chelsea", "astronaut", "camera", "rocket", "page", "text", "moon", "coins", "brick", "grass")),
    ):
        for name in names:
            image = Image.fromarray(getattr(data, name)()).convert("RGB")
            image.save(root / folder / f"{name}.jpg", quality=90)
            if folder == "food":  # a second food photo: the cup from another angle
                image.transpose(Image.FLIP_LEFT_RIGHT).crop((40, 0, 400, 400)).save(root / folder / f"{name}_2.jpg")
    return root


def log_feedback():
    """A Processing feedback whose `.text` gathers the log's info and warning lines."""
    from qgis.core import QgsProcessingFeedback

    class LogFeedback(QgsProcessingFeedback):
        def __init__(self):
            super().__init__()
            self.text = ""

        def pushInfo(self, info):  # noqa: N802 - QGIS's name
            self.text += info + "\n"

        def pushWarning(self, warning):  # noqa: N802
            self.text += warning + "\n"

    return LogFeedback()


def people_layer(rows, crs="EPSG:4326"):
    """Memory points from (x, y, owner, ISO date taken or None), with the harvest's field names."""
    from qgis.core import QgsFeature, QgsGeometry, QgsPointXY, QgsVectorLayer
    from qgis.PyQt.QtCore import QDateTime, Qt

    layer = QgsVectorLayer(f"Point?crs={crs}&field=owner:string&field=taken:datetime", "photos", "memory")
    features = []
    for x, y, owner, taken in rows:
        feature = QgsFeature(layer.fields())
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(x, y)))
        feature.setAttributes([owner, QDateTime.fromString(taken, Qt.ISODate) if taken else None])
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    layer.updateExtents()
    return layer


@pytest.fixture
def readonly_dir(tmp_path):
    """A folder on a read-only tmpfs: CI runs as root, where chmod does not stop writes."""
    target = tmp_path / "readonly"
    target.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(target)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(
            f"cannot mount a read-only tmpfs here ({mounted.stderr.strip()}); as root, chmod would "
            "not make a folder read-only"
        )
    yield target
    subprocess.run(["umount", "-l", str(target)], capture_output=True)


@pytest.fixture()
def airbnb_uri():
    """The real listings as QGIS's delimited-text layer (a memory-safe provider to hand over as an object)."""
    from qgis.core import QgsVectorLayer

    path = shared_path("data", "prices", "airbnb_vienna_weekdays.csv")
    layer = QgsVectorLayer(
        f"file://{path}?delimiter=,&xField=lng&yField=lat&crs=EPSG:4326&detectTypes=yes", "airbnb", "delimitedtext"
    )
    assert layer.isValid() and layer.featureCount() == 1738
    return layer


def pytest_terminal_summary(terminalreporter):
    """One line when ../shared is missing: how many tests it skipped and where the data comes from."""
    skipped = terminalreporter.stats.get("skipped", [])
    missing = [r for r in skipped if "real test data not found" in str(getattr(r, "longrepr", ""))]
    if missing:
        terminalreporter.write_line(
            f"{len(missing)} tests skipped: the real test data is not at {SHARED} (the project's shared data "
            "folder beside the checkout: Vienna districts, camera photos, Flickr answers, prices; see its README.md).",
            yellow=True,
        )


@pytest.fixture()
def image_server():
    """Images on 127.0.0.1: /ok/<id>.jpg a small JPEG, anything else 404; GETs counted per path."""
    import http.server
    import io
    import threading
    from collections import Counter

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 160, 200)).save(buffer, "JPEG")
    jpeg, gets = buffer.getvalue(), Counter()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802 - the standard library's name
            gets[self.path] += 1
            if self.path.startswith("/ok/"):
                self.send_response(200)
                self.send_header("Content-Length", str(len(jpeg)))
                self.end_headers()
                self.wfile.write(jpeg)
            else:
                self.send_response(404)
                self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", gets
    server.shutdown()
    server.server_close()
