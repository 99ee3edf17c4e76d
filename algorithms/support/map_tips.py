"""Photo layers as they load: a clear point symbol, a name that says what they are, kept and dropped
photos in two colours, and a map tip (hover over a point in QGIS and see the photo, its score and
category)."""

import os

from qgis.core import QgsCategorizedSymbolRenderer, QgsMarkerSymbol, QgsRendererCategory, QgsVectorLayer

from .styling import KeptPostProcessor

STYLE = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "resources", "styles", "photo_points.qml"
)


def photo_map_tip(path_field: str, scored: bool = False) -> str:
    """An HTML map tip with the thumbnail from `path_field` (and score and category when scored)."""
    quoted = '"' + path_field.replace('"', '""') + '"'
    tip = f'<div style="max-width:260px"><img src="file:///[% replace({quoted}, \'\\\\\', \'/\') %]" width="240"/><br/>'
    if scored:
        tip += (
            '<b>[% "category" %]</b> &middot; score [% format_number("score", 2) %]'
            "[% if(\"valid\", ' &middot; kept', ' &middot; dropped') %]<br/>"
        )
    return tip + f"<small>[% {quoted} %]</small></div>"


def kept_and_dropped() -> QgsCategorizedSymbolRenderer:
    """Classified photos: kept (valid) in green, dropped in grey."""
    categories = []
    for value, colour, label in ((True, "#1a9641", "kept (valid)"), (False, "#9e9e9e", "dropped")):
        symbol = QgsMarkerSymbol.createSimple(
            {"name": "circle", "color": colour, "size": "2.2", "outline_color": "white"}
        )
        categories.append(QgsRendererCategory(value, symbol, label))
    return QgsCategorizedSymbolRenderer("valid", categories)


class PresentPhotos(KeptPostProcessor):
    """When Processing loads a photo layer: its symbol, its name and its map tip."""

    def __init__(self, template: str, name: str, scored: bool):
        super().__init__()
        self.template, self.name, self.scored = template, name, scored

    def postProcessLayer(self, layer, context, feedback):
        if isinstance(layer, QgsVectorLayer):
            layer.loadNamedStyle(STYLE)
            if self.scored and layer.fields().lookupField("valid") >= 0:
                layer.setRenderer(kept_and_dropped())
            if self.name:
                layer.setName(self.name)
            layer.setMapTipTemplate(self.template)
            layer.triggerRepaint()


def attach_map_tip(context, destination: str, path_field: str, scored: bool = False, name: str = ""):
    """Gives the output `destination` the photo symbol, a name that says what it is, and a photo map tip
    once it is loaded."""
    if destination and context.willLoadLayerOnCompletion(destination):
        processor = PresentPhotos.create(photo_map_tip(path_field, scored), name, scored)
        context.layerToLoadOnCompletionDetails(destination).setPostProcessor(processor)
