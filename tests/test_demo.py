"""`make demo` end to end: the generated SAMPLE through all three algorithms."""

import pathlib
import subprocess
import sys

from qgis.core import QgsProject, QgsRasterLayer

REPO = pathlib.Path(__file__).resolve().parents[1]


def test_demo_writes_styled_outputs(tmp_path):
    out = tmp_path / "demo"
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "demo.py"), str(out)], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "import: 400 photos, 2 files rejected" in proc.stdout
    for name in ("heatmap.tif", "heatmap.qml", "heatmap.png", "district_table.csv", "district_summary.csv",
                 "scenic_heatmap_demo.qgz", "rejected_files.csv"):
        assert (out / name).stat().st_size > 0, name
    table = (out / "district_table.csv").read_text().splitlines()
    assert table[0] == "district,name,images,percent,area_km2,images_per_km2" and len(table) == 10

    project = QgsProject()
    assert project.read(str(out / "scenic_heatmap_demo.qgz"))
    rasters = [layer for layer in project.mapLayers().values() if isinstance(layer, QgsRasterLayer)]
    assert len(rasters) == 1 and rasters[0].isValid()
    assert rasters[0].renderer().type() == "singlebandpseudocolor"
    assert "SAMPLE" in rasters[0].name()
    project.clear()
