"""algorithms/rendering.py: a print layout with a legend that names the unit, a scale bar and a north arrow."""

from qgis.core import (
    QgsLayoutItemLegend,
    QgsLayoutItemPicture,
    QgsLayoutItemScaleBar,
    QgsRasterLayer,
)
from test_bad_input import points


def test_layout_has_legend_with_the_unit_scale_bar_and_north_arrow(run_alg, tmp_path):
    from scenic_heatmap.algorithms.support.rendering import layout_image

    result = run_alg(
        "scenicheatmap:heatmap",
        {
            "POINTS": points(n=120),
            "RADIUS": 500,
            "PIXEL_SIZE": 25,
            "OUTPUT_VALUE": 2,
            "OUTPUT": str(tmp_path / "h.tif"),
        },
    )
    layer = QgsRasterLayer(result["OUTPUT"], "h")
    layer.loadNamedStyle(result["STYLE"])
    image, layout = layout_image([([layer], layer.extent(), "a title")], layer.crs(), layer, result["UNIT"])
    items = layout.items()
    legends = [i for i in items if isinstance(i, QgsLayoutItemLegend)]
    assert len(legends) == 1 and legends[0].title() == "photos per km²"
    model = legends[0].model()
    tree_layer = model.rootGroup().findLayers()[0]
    texts = [node.data(0) for node in model.layerLegendNodes(tree_layer)]
    assert any("photos per km²" in t for t in texts), texts
    scale_bars = [i for i in items if isinstance(i, QgsLayoutItemScaleBar)]
    assert len(scale_bars) == 1 and scale_bars[0].unitLabel() in ("m", "km")
    assert any(isinstance(i, QgsLayoutItemPicture) and "north" in i.picturePath() for i in items)
    assert not image.isNull() and image.width() > 400
    coloured = sum(
        1
        for x in range(0, image.width(), 4)
        for y in range(0, image.height(), 4)
        if image.pixelColor(x, y).red() > 200 and image.pixelColor(x, y).blue() < 120
    )
    assert coloured > 50  # the density is drawn, not only the frame
