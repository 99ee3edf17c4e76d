"""`make demo` end to end: the generated SAMPLE through the whole chain."""

import pathlib
import re

from qgis.core import QgsCoordinateTransform, QgsProject, QgsRasterLayer
from qgis.PyQt.QtGui import QFontDatabase

REPO = pathlib.Path(__file__).resolve().parents[1]


def test_demo_runs_the_whole_chain(demo_run):
    out, stdout = demo_run
    assert "import: 400 photos, 2 files rejected" in stdout
    valid = int(re.search(r"classify: (\d+) of 400 photos valid", stdout).group(1))
    # 315 views of a temple among 85 photos of food, a cat, a portrait and a page of text
    assert 250 <= valid <= 315
    for name in (
        "heatmap.tif",
        "heatmap.qml",
        "heatmap.png",
        "heatmap_photo_user_days.tif",
        "heatmap_photo_user_days.png",
        "series.png",
        "series/heatmap_series.qlr",
        "price_chart.png",
        "price_report.html",
        "price_model_report.html",
        "price_model_effect.png",
        "price_model_coefficients.csv",
        "report.html",
        "district_table.csv",
        "district_summary.csv",
        "scenic_heatmap_demo.qgz",
        "rejected_files.csv",
        "valid_photos.csv",
        "hotspots.gpkg",
        "webmap.html",
    ):
        assert (out / name).stat().st_size > 0, name
    table = (out / "district_table.csv").read_text().splitlines()
    assert table[0] == "district,name,images,percent,area_km2,images_per_km2" and len(table) == 10
    rho = float(re.search(r"validateprices: Spearman rho (-?[\d.]+)", stdout).group(1))
    assert rho > 0.2  # the invented prices rise near the hot spots
    report = (out / "report.html").read_text()
    assert re.search(r"pricemodel: .*; (priced|explained by location|not distinguishable)", stdout)
    assert "The ladder" in (out / "price_model_report.html").read_text()
    assert (
        report.count("data:image/png;base64,") == 5
        and "Is photo density priced?" in report
        and "CC BY 2.0" in report
        and "Sample district 5" in report
    )

    project = QgsProject()
    assert project.read(str(out / "scenic_heatmap_demo.qgz"))
    rasters = [layer for layer in project.mapLayers().values() if isinstance(layer, QgsRasterLayer)]
    assert all(r.isValid() for r in rasters)
    densities = [r for r in rasters if r.providerType() == "gdal"]
    assert len(densities) == 2
    assert all(r.renderer().type() == "singlebandpseudocolor" and "SAMPLE" in r.name() for r in densities)
    names = sorted(r.name() for r in densities)
    assert names[0][:12] != names[1][:12], names  # distinct where the layers panel cuts them
    assert all("per km²" in r.name() for r in densities)
    background = [r for r in rasters if r.providerType() == "wms"]
    assert len(background) == 1 and not project.layerTreeRoot().findLayer(background[0].id()).isVisible()
    view = project.viewSettings().defaultViewExtent()
    assert not view.isEmpty() and view.contains(densities[0].extent().center())
    vectors = {layer.name(): layer for layer in project.mapLayers().values() if layer.type() == layer.VectorLayer}
    districts = vectors["SAMPLE districts with counts"]
    to_view = QgsCoordinateTransform(districts.crs(), view.crs(), project.transformContext())
    assert view.contains(to_view.transformBoundingBox(districts.extent()))  # every district in view
    photos = vectors["SAMPLE valid photos"]
    assert "<img" in photos.mapTipTemplate()  # hover shows the photo
    top = project.layerTreeRoot().findLayers()[0].layer()
    assert top.id() == photos.id()  # QGIS opens with the top layer current: dialogs preselect the photos
    choropleth = vectors["SAMPLE districts: photos per km²"]
    assert choropleth.renderer().type() == "graduatedSymbol" and len(choropleth.renderer().ranges()) == 5
    assert choropleth.renderer().classAttribute() == "images_per_km2"
    families = set(QFontDatabase().families())
    for layer in project.mapLayers().values():
        labeling = getattr(layer, "labeling", lambda: None)()
        if labeling is not None:
            family = labeling.settings().format().font().family()
            assert family in families, f"{layer.name()} labels ask for the missing font {family}"
    project.clear()
