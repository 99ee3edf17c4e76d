"""scenicheatmap:hotspots - Getis-Ord Gi* hot and cold spots of photos in grid cells (core/hotspots)."""

import os

import numpy as np
from qgis.core import (
    QgsCategorizedSymbolRenderer,
    QgsFillSymbol,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingException,
    QgsRendererCategory,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QVariant

from ..core.density import weighting as bias
from ..core.hotspots import analysis, gistar
from ..core.hotspots.grid import GRIDS
from .support.base import ScenicAlgorithm, progress
from .support.density_common import POINTS, WEIGHTING_HELP, DensityInputs, privacy_parameters, weighting_parameters
from .support.fields import make_fields
from .support.parameters import boolean, enum, integer, number, simple, sink, source
from .support.sinks import Sink
from .support.styling import KeptPostProcessor

COLOURS = {
    "hot 99": "#d7191c",
    "hot 95": "#f46d43",
    "hot 90": "#fdae61",
    "not significant": "#f0f0f0",
    "cold 90": "#abd9e9",
    "cold 95": "#74add1",
    "cold 99": "#2c7bb6",
}
FIELDS = (
    ("count", QVariant.Int),
    ("owners", QVariant.Int),
    ("value", QVariant.Double),
    ("gi_z", QVariant.Double),
    ("p_norm", QVariant.Double),
    ("p_sim", QVariant.Double),
    ("p_fdr", QVariant.Double),
    ("class", QVariant.String),
)


SUPPRESSED = "suppressed"


def class_renderer(min_owners: int = 3, max_share: float = 0.7) -> QgsCategorizedSymbolRenderer:
    """Red hot and blue cold classes, and grey cells that the privacy rules hid (the layer title says
    what was tested)."""
    categories = []
    for name in gistar.CLASSES:
        symbol = QgsFillSymbol.createSimple(
            {"color": COLOURS[name], "outline_color": "#ffffff", "outline_width": "0.1", "outline_width_unit": "MM"}
        )
        if name == "not significant":
            symbol.setOpacity(0.5)
        categories.append(QgsRendererCategory(name, symbol, name))
    hidden = QgsFillSymbol.createSimple({"color": "#bdbdbd", "style": "b_diagonal", "outline_color": "#969696"})
    rules = [f"fewer than {min_owners} owners"] if min_owners else []
    rules += [f"one owner above {max_share:.0%}"] if max_share else []
    categories.append(QgsRendererCategory(SUPPRESSED, hidden, f"suppressed: {' or '.join(rules) or 'privacy'}"))
    renderer = QgsCategorizedSymbolRenderer("class", categories)
    return renderer


class StyleHotspots(KeptPostProcessor):
    def __init__(self, name: str, tested: str, rules: tuple):
        super().__init__()
        self.name, self.tested, self.rules = name, tested, rules

    def postProcessLayer(self, layer, context, feedback):
        if isinstance(layer, QgsVectorLayer):
            layer.setRenderer(class_renderer(*self.rules))
            layer.setName(self.name)
            layer.setTitle(self.tested)
            layer.triggerRepaint()


class HotspotsAlgorithm(ScenicAlgorithm):
    NAME = "hotspots"
    DISPLAY = "Photo hot spots (Getis-Ord Gi*)"
    REQUIRES = ("scipy",)
    PARAMETERS = (
        source(POINTS, "Photo points"),
        number("CELL", "Cell size (metres)", 250.0, minimum=0.0),
        enum("GRID", "Grid", GRIDS),
        enum("NEIGHBOURHOOD", "Neighbourhood", analysis.NEIGHBOURHOODS),
        number("BAND", "Distance band (metres; 0 = 1.5 cells)", 0.0, minimum=0.0, advanced=True),
        integer("K", "k nearest cells", 8, minimum=1, advanced=True),
        integer("PERMUTATIONS", "Permutations", 999, minimum=0, maximum=99999, advanced=True),
        integer("SEED", "Random seed", 1, advanced=True),
        boolean("FDR", "Benjamini-Hochberg FDR correction", True, advanced=True),
        source("CLIP", "Clip to polygons", ("polygon",), optional=True),
        *privacy_parameters(),
        simple("crs", "TARGET_CRS", "Target CRS (projected)", optional=True),
        *(
            spec.advanced_() if spec.name == "LOCAL_DAYS" else spec
            for spec in weighting_parameters(audiences=(*bias.AUDIENCES, analysis.TOURIST_SHARE))
        ),
        enum("LOCAL_RULE", "Tourist share: who is local", analysis.LOCAL_RULES, advanced=True),
        number("LOCAL_SHARE", "Local: share of photo days inside the clip", 0.5, 0.0, 1.0, advanced=True),
        sink("OUTPUT", "Hot spots", "polygon"),
    )
    OUTPUTS = {
        "numbers": ("CELLS", "HOT", "COLD", "REMOVED_CELLS", "REMOVED_PHOTOS", "DOMINATED_CELLS", "DOMINATED_PHOTOS"),
        "strings": ("TESTED",),
    }
    HELP = (
        "Are the places where photos pile up more than chance? Photos are counted in square or hexagon cells "
        "(metres, in a projected CRS: the UTM zone of the points by default), then each cell's Getis-Ord Gi* "
        "z-score is computed over its neighbourhood (a distance band, by default 1.5 cells: the 8 around a square, "
        "or the k nearest cells), with the cell itself. p_norm is the one-tailed normal p of |z|, p_sim the "
        "folded permutation p (conditional randomization), p_fdr the Benjamini-Hochberg corrected two-sided p "
        "that the classes use: hot or cold at 99, 95 and 90 % confidence.<br>"
        "<b>Min owners</b>: a cell with photos from fewer distinct owners than this (default 3) is left out of "
        "the map and the test, so that one person's holiday is neither a hot spot nor traceable.<br>"
        + WEIGHTING_HELP.replace("whose side is the radius", "of the grid")
    )

    def processAlgorithm(self, parameters, context, feedback):
        cell_m = self.parameterAsDouble(parameters, "CELL", context)
        if not cell_m > 0:
            raise QgsProcessingException("CELL: the cell size must be greater than 0 metres.")
        floor = self.parameterAsInt(parameters, "MIN_OWNERS", context) > 0  # the owner field is then required
        inputs = DensityInputs.read(self, parameters, context, feedback, place_m=cell_m, owners_needed=floor)
        settings = self._settings(inputs)
        spots = analysis.hot_spots(inputs.photos, settings, inputs.request.clip_wkbs, progress(feedback, 0.3, 0.9))
        for note in spots.notes:
            feedback.pushInfo(note)
        sink = Sink(self, parameters, "OUTPUT", context, make_fields(FIELDS), QgsWkbTypes.Polygon, inputs.target)
        gi, cells = spots.gi, spots.cells
        for position, i in enumerate(np.flatnonzero(spots.keep)):
            ring = [QgsPointXY(x, y) for x, y in cells.polygon(i)]
            row = [int(cells.counts[i]), int(cells.owners[i]), float(cells.values[i]), float(gi.z[position])]
            row += [float(gi.p_norm[position]), _number(gi.p_sim[position]), float(gi.p_fdr[position])]
            sink.add(row + [gi.classes[position]], QgsGeometry.fromPolygonXY([ring]))
        for i in np.flatnonzero(spots.suppressed):  # shown as such, without their numbers
            ring = [QgsPointXY(x, y) for x, y in cells.polygon(i)]
            sink.add([None] * 7 + [SUPPRESSED], QgsGeometry.fromPolygonXY([ring]))
        tested, cells_tested = settings.tested, int(spots.keep.sum())
        feedback.pushInfo(f"{tested}: {spots.hot} hot and {spots.cold} cold of {cells_tested} cells (p_fdr <= 0.10).")
        name = f"Hot spots: {settings.weighting}, {cell_m:g} m {settings.grid}s"
        rules = (settings.min_owners, settings.max_owner_share)
        if context.willLoadLayerOnCompletion(sink.dest):
            details = context.layerToLoadOnCompletionDetails(sink.dest)
            details.setPostProcessor(StyleHotspots.create(name, tested, rules))
        self._write_sidecar_style(sink.dest, rules)
        feedback.setProgress(100)
        return {
            "OUTPUT": sink.dest,
            "CELLS": cells_tested,
            "HOT": spots.hot,
            "COLD": spots.cold,
            "TESTED": tested,
            "REMOVED_CELLS": spots.removed_cells,
            "REMOVED_PHOTOS": spots.removed_photos,
            "DOMINATED_CELLS": spots.dominated_cells,
            "DOMINATED_PHOTOS": spots.dominated_photos,
        }

    @staticmethod
    def _settings(inputs) -> analysis.Settings:
        v, request = inputs.values, inputs.request
        share = inputs.audience_index == len(bias.AUDIENCES)
        return analysis.Settings(
            v.cell,
            request.to_units,
            GRIDS[v.grid],
            analysis.NEIGHBOURHOODS[v.neighbourhood],
            v.band,
            v.k,
            v.permutations,
            v.seed,
            v.fdr,
            v.min_owners,
            request.max_owner_share,
            request.weighting,
            analysis.TOURIST_SHARE if share else request.audience,
            v.local_rule,
            request.local_days,
            v.local_share,
        )

    @staticmethod
    def _write_sidecar_style(dest, rules):
        """A .qml beside a file output, so qgis_process users get the classes too."""
        path = dest.split("|", 1)[0]
        if not os.path.isfile(path):
            return
        layer = QgsVectorLayer("Polygon?field=class:string", "hot spots", "memory")  # the style needs no data
        layer.setRenderer(class_renderer(*rules))
        message, ok = layer.saveNamedStyle(os.path.splitext(path)[0] + ".qml")
        if not ok:
            raise QgsProcessingException(f"OUTPUT: cannot write the style beside {path}: {message}")


def _number(value):
    return None if value is None or not np.isfinite(value) else float(value)
