"""Our Gi* against PySAL's esda on the same grids: z-scores and analytical p-values to 1e-9.

esda runs in its own venv (.venv-pysal, made by `make setup`): it brings numpy 2, geopandas and pyogrio
with its own GDAL, none of which may enter the Python QGIS uses."""

import json
import pathlib
import subprocess

import numpy as np
import pytest

from scenic_heatmap.core.hotspots.gistar import gi_star, weights

REPO = pathlib.Path(__file__).resolve().parents[3]
PYSAL = REPO / ".venv-pysal" / "bin" / "python"


@pytest.mark.parametrize("side,band,seed", [(12, 1.5, 2), (15, 2.5, 5), (9, 1.0, 8)])
def test_z_and_p_norm_equal_esda(side, band, seed):
    if not PYSAL.exists():
        pytest.skip(f"{PYSAL} is missing: `make setup` creates it (esda in a venv of its own)")
    g = np.arange(side) + 0.5
    xx, yy = np.meshgrid(g, g)
    centres = np.column_stack([xx.ravel(), yy.ravel()])
    x = np.random.default_rng(seed).poisson(3, len(centres)).astype(float)
    x[: side + 3] += 6  # a cluster along one edge
    child = subprocess.run(
        [str(PYSAL), str(REPO / "tests" / "esda_reference.py")],
        capture_output=True,
        text=True,
        input=json.dumps({"centres": centres.tolist(), "x": x.tolist(), "band": band}),
        timeout=300,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    reference = json.loads(child.stdout.strip().splitlines()[-1])
    mine = gi_star(x, weights(centres, band=band), permutations=0)
    assert np.max(np.abs(np.array(reference["z"]) - mine.z)) < 1e-9
    assert np.max(np.abs(np.array(reference["p_norm"]) - mine.p_norm)) < 1e-9
