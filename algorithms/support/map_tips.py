"""Map tips for photo layers: hover over a point in QGIS and see the photo, its score and category."""

from qgis.core import QgsVectorLayer

from .styling import KeptPostProcessor


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


class SetMapTip(KeptPostProcessor):
    """Sets the map tip (shown on hover) when Processing loads the layer."""

    def __init__(self, template: str):
        super().__init__()
        self.template = template

    def postProcessLayer(self, layer, context, feedback):
        if isinstance(layer, QgsVectorLayer):
            layer.setMapTipTemplate(self.template)


def attach_map_tip(context, destination: str, path_field: str, scored: bool = False):
    """Gives the output `destination` a photo map tip once it is loaded."""
    if destination and context.willLoadLayerOnCompletion(destination):
        processor = SetMapTip.create(photo_map_tip(path_field, scored))
        context.layerToLoadOnCompletionDetails(destination).setPostProcessor(processor)
