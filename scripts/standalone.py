"""Start QGIS without a GUI, with Processing and this plugin loaded as `scenic_heatmap`.

Used by scripts/demo.py and bench/*.py; tests use the fixtures in tests/conftest.py.
"""

import os
import pathlib
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[1]


def link_plugin():
    """Makes `import scenic_heatmap` work, whatever the checkout folder is called."""
    link_dir = pathlib.Path(tempfile.mkdtemp(prefix="scenic_plugin_"))
    (link_dir / "scenic_heatmap").symlink_to(REPO, target_is_directory=True)
    sys.path.insert(0, str(link_dir))


def start_qgis():
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    link_plugin()
    sys.path.append("/usr/share/qgis/python/plugins")

    from qgis.core import QgsApplication

    app = QgsApplication([], True)
    app.initQgis()
    from processing.core.Processing import Processing

    Processing.initialize()
    from scenic_heatmap.plugin import ScenicHeatmapPlugin

    plugin = ScenicHeatmapPlugin(None)
    plugin.initProcessing()
    return app, plugin
