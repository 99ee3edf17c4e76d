"""Child script for tests/core/hotspots/test_against_esda.py: esda's G_Local(star=True) on the cells it is given,
run in .venv-pysal (PySAL and its own numpy, geopandas and pyogrio stay out of QGIS's Python)."""

import json
import sys

import esda
import libpysal
import numpy as np

data = json.load(sys.stdin)
centres = np.array(data["centres"])
x = np.array(data["x"])
w = libpysal.weights.DistanceBand(centres, threshold=data["band"], binary=True, silence_warnings=True)
g = esda.G_Local(x, w, transform="B", permutations=0, star=True)
print(json.dumps({"z": g.Zs.tolist(), "p_norm": np.asarray(g.p_norm).tolist()}))
