"""PNG renderings through QGIS's print layout: maps with a colour legend that names the unit,
a scale bar and a north arrow (QgsPrintLayout, QgsLayoutItemLegend, QgsLayoutItemScaleBar)."""

from qgis.core import (
    QgsLayerTree,
    QgsLayoutExporter,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemMap,
    QgsLayoutItemPicture,
    QgsLayoutItemScaleBar,
    QgsLayoutPoint,
    QgsLayoutSize,
    QgsLegendRenderer,
    QgsLegendStyle,
    QgsPrintLayout,
    QgsProject,
    QgsTextFormat,
    QgsUnitTypes,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QFont

NORTH_ARROW = ":/images/north_arrows/layout_default_north_arrow.svg"
FONT = "Sans Serif"  # resolved by Qt to a font every system has
MM = QgsUnitTypes.LayoutMillimeters


def _label(layout, text, x, y, width, height, size=9, bold=False):
    label = QgsLayoutItemLabel(layout)
    label.setText(text)
    font = QFont(FONT, size)
    font.setBold(bold)
    label.setFont(font)
    label.attemptMove(QgsLayoutPoint(x, y, MM))
    label.attemptResize(QgsLayoutSize(width, height, MM))
    layout.addLayoutItem(label)
    return label


def layout_image(
    panels,
    crs,
    legend_layer,
    legend_title: str,
    caption: str = "",
    panel_mm: float = 90.0,
    columns: int = 1,
    dpi: int = 110,
):
    """One image: each panel (layers top first, extent, title) a map of panel_mm width in a grid of
    `columns`, then one legend for legend_layer titled legend_title, a scale bar for the first map,
    a north arrow and an optional caption. Returns (QImage, layout) – the layout for tests."""
    project = QgsProject()
    project.setCrs(crs)
    kept = []
    for layers, _, _ in panels:
        for layer in layers:
            if layer.id() not in project.mapLayers():
                copy = layer.clone()  # the project owns its layers; the caller keeps its own
                project.addMapLayer(copy, False)
                kept.append((layer, copy))
    copies = {original.id(): copy for original, copy in kept}
    layout = QgsPrintLayout(project)
    layout.initializeDefaults()
    first = panels[0][1]
    height_mm = panel_mm * first.height() / max(first.width(), 1e-9)
    height_mm = max(40.0, min(panel_mm * 1.6, height_mm))
    rows = (len(panels) + columns - 1) // columns
    margin, title_h, side = 5.0, 6.0, 80.0
    width = margin * 2 + columns * panel_mm + (columns - 1) * 3 + side
    height = margin * 2 + rows * (height_mm + title_h + 3) + (12 if caption else 0)
    height = max(height, 112.0 + (12 if caption else 0))  # room for legend, scale bar and north arrow
    layout.pageCollection().page(0).setPageSize(QgsLayoutSize(width, height, MM))
    maps = []
    for i, (layers, extent, title) in enumerate(panels):
        x = margin + (i % columns) * (panel_mm + 3)
        y = margin + (i // columns) * (height_mm + title_h + 3)
        _label(layout, title, x, y, panel_mm, title_h, size=9, bold=True)
        item = QgsLayoutItemMap(layout)
        item.attemptMove(QgsLayoutPoint(x, y + title_h, MM))
        item.attemptResize(QgsLayoutSize(panel_mm, height_mm, MM))
        item.setCrs(crs)
        item.setLayers([copies[layer.id()] for layer in layers])
        item.setKeepLayerSet(True)
        item.setFrameEnabled(True)
        layout.addLayoutItem(item)
        item.setExtent(extent)
        maps.append(item)
    side_x = margin + columns * panel_mm + (columns - 1) * 3 + 4
    legend = QgsLayoutItemLegend(layout)
    legend.setTitle(legend_title)
    legend.setLinkedMap(maps[0])
    legend.setAutoUpdateModel(False)
    root = QgsLayerTree()
    node = root.addLayer(copies[legend_layer.id()])
    QgsLegendRenderer.setNodeLegendStyle(node, QgsLegendStyle.Hidden)  # the title says what it is
    legend.model().setRootGroup(root)
    for style, size in (
        (QgsLegendStyle.Title, 10),
        (QgsLegendStyle.SymbolLabel, 8),
        (QgsLegendStyle.Group, 8),
        (QgsLegendStyle.Subgroup, 8),
    ):
        legend.setStyleFont(style, QFont(FONT, size))
    legend.attemptMove(QgsLayoutPoint(side_x, margin, MM))
    layout.addLayoutItem(legend)
    legend.adjustBoxSize()
    scale_bar = QgsLayoutItemScaleBar(layout)
    scale_bar.setStyle("Single Box")
    scale_bar.setLinkedMap(maps[0])
    scale_bar.applyDefaultSize(QgsUnitTypes.DistanceKilometers if first.width() > 3000 else QgsUnitTypes.DistanceMeters)
    scale_bar.setUnitsPerSegment(scale_bar.unitsPerSegment() * scale_bar.numberOfSegments())
    scale_bar.setNumberOfSegments(1)  # one segment: its two labels never collide
    scale_bar.setNumberOfSegmentsLeft(0)
    scale_bar.setHeight(3)
    text = QgsTextFormat()
    text.setFont(QFont(FONT, 7))
    text.setSize(7)
    scale_bar.setTextFormat(text)
    scale_bar.attemptMove(QgsLayoutPoint(side_x, margin + 66, MM))
    layout.addLayoutItem(scale_bar)
    arrow = QgsLayoutItemPicture(layout)
    arrow.setPicturePath(NORTH_ARROW)
    arrow.setLinkedMap(maps[0])
    arrow.setNorthMode(QgsLayoutItemPicture.GridNorth)
    arrow.attemptMove(QgsLayoutPoint(side_x, margin + 84, MM))
    arrow.attemptResize(QgsLayoutSize(12, 18, MM))
    layout.addLayoutItem(arrow)
    if caption:
        _label(layout, caption, margin, height - margin - 10, width - 2 * margin, 10, size=8)
    exporter = QgsLayoutExporter(layout)
    size = QSize(int(width / 25.4 * dpi), int(height / 25.4 * dpi))
    image = exporter.renderPageToImage(0, size, dpi)
    layout._scenic_keep = (project, root)  # the layers and the legend tree live as long as the layout
    return image, layout
