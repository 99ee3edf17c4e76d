"""scenicheatmap:hotspots - Getis-Ord Gi* hot and cold spots of photos in grid cells (core/hotspots)."""

import os

import numpy as np
from qgis.core import (
    QgsCategorizedSymbolRenderer,
    QgsFillSymbol,
    QgsGeometry,
    QgsPointXY,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterCrs,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterNumber,
    QgsRendererCategory,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QVariant

from ..core.density import weighting as bias
from ..core.density.raster import points_in_polygons
from ..core.hotspots import gistar
from ..core.hotspots.grid import GRIDS, GridError, aggregate
from .support.base import ScenicAlgorithm
from .support.density_common import (
    AUDIENCE,
    WEIGHTING_HELP,
    add_weighting_parameters,
    clip_source,
    clip_wkbs,
    local_days,
    point_source,
    read_weighted_points,
    target_crs,
)
from .support.fields import make_fields
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
NEIGHBOURHOODS = ("distance band", "k nearest")
TOURIST_SHARE = "tourist share"
LOCAL_RULES = (
    "photos span more than LOCAL_DAYS days",
    "share of photo days inside CLIP",
)  # AUDIENCE: tourists' photo-user-days against the citywide share


def class_renderer() -> QgsCategorizedSymbolRenderer:
    """Red hot and blue cold classes (the layer title says what was tested)."""
    categories = []
    for name in gistar.CLASSES:
        symbol = QgsFillSymbol.createSimple(
            {"color": COLOURS[name], "outline_color": "#ffffff", "outline_width": "0.1", "outline_width_unit": "MM"}
        )
        if name == "not significant":
            symbol.setOpacity(0.5)
        categories.append(QgsRendererCategory(name, symbol, name))
    renderer = QgsCategorizedSymbolRenderer("class", categories)
    return renderer


class StyleHotspots(KeptPostProcessor):
    def __init__(self, name: str, tested: str):
        super().__init__()
        self.name, self.tested = name, tested

    def postProcessLayer(self, layer, context, feedback):
        if isinstance(layer, QgsVectorLayer):
            layer.setRenderer(class_renderer())
            layer.setName(self.name)
            layer.setTitle(self.tested)
            layer.triggerRepaint()


class HotspotsAlgorithm(ScenicAlgorithm):
    POINTS = "POINTS"
    CELL = "CELL"
    GRID = "GRID"
    NEIGHBOURHOOD = "NEIGHBOURHOOD"
    BAND = "BAND"
    K = "K"
    PERMUTATIONS = "PERMUTATIONS"
    SEED = "SEED"
    FDR = "FDR"
    CLIP = "CLIP"
    MIN_OWNERS = "MIN_OWNERS"
    TARGET_CRS = "TARGET_CRS"
    LOCAL_RULE = "LOCAL_RULE"
    LOCAL_SHARE = "LOCAL_SHARE"
    OUTPUT = "OUTPUT"

    NAME = "hotspots"
    DISPLAY = "Photo hot spots (Getis-Ord Gi*)"
    REQUIRES = ("scipy",)
    OUTPUTS = {"numbers": ("CELLS", "HOT", "COLD", "REMOVED_CELLS", "REMOVED_PHOTOS"), "strings": ("TESTED",)}
    HELP = (
        "Are the places where photos pile up more than chance? Photos are counted in square or hexagon cells "
        "(metres, in a projected CRS: the UTM zone of the points by default), then each cell's Getis-Ord Gi* "
        "z-score is computed over its neighbourhood (a distance band, by default 1.5 cells: the 8 around a square, "
        "or the k nearest cells), with the cell itself. p_norm is the one-tailed normal p of |z|, p_sim the "
        "folded permutation p (conditional randomization), p_fdr the Benjamini-Hochberg corrected two-sided p "
        "that the classes use: hot or cold at 99, 95 and 90 % confidence.<br>"
        "<b>Min owners</b>: a cell with photos from fewer distinct owners than this (default 3) is left out of "
        "the map and the test, so that one person's holiday is neither a hot spot nor traceable.<br>" + WEIGHTING_HELP
    )

    def initAlgorithm(self, config=None):
        self.addParameter(
            QgsProcessingParameterFeatureSource(self.POINTS, self.tr("Photo points"), [QgsProcessing.TypeVectorPoint])
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.CELL, self.tr("Cell size (metres)"), QgsProcessingParameterNumber.Double, 250.0, minValue=0.0
            )
        )
        self.addParameter(QgsProcessingParameterEnum(self.GRID, self.tr("Grid"), list(GRIDS), defaultValue=0))
        self.addParameter(
            QgsProcessingParameterEnum(
                self.NEIGHBOURHOOD, self.tr("Neighbourhood"), list(NEIGHBOURHOODS), defaultValue=0
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.BAND,
                self.tr("Distance band (metres; 0 = 1.5 cells)"),
                QgsProcessingParameterNumber.Double,
                0.0,
                minValue=0.0,
            )
        )
        self.addParameter(QgsProcessingParameterNumber(self.K, self.tr("k nearest cells"), defaultValue=8, minValue=1))
        self.addParameter(
            QgsProcessingParameterNumber(
                self.PERMUTATIONS, self.tr("Permutations"), defaultValue=999, minValue=0, maxValue=99999
            )
        )
        self.addParameter(QgsProcessingParameterNumber(self.SEED, self.tr("Random seed"), defaultValue=1))
        self.addParameter(
            QgsProcessingParameterBoolean(self.FDR, self.tr("Benjamini-Hochberg FDR correction"), defaultValue=True)
        )
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.CLIP, self.tr("Clip to polygons"), [QgsProcessing.TypeVectorPolygon], optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(self.MIN_OWNERS, self.tr("Min owners per cell"), defaultValue=3, minValue=0)
        )
        self.addParameter(QgsProcessingParameterCrs(self.TARGET_CRS, self.tr("Target CRS (projected)"), optional=True))
        add_weighting_parameters(self, self.POINTS, audiences=(*bias.AUDIENCES, TOURIST_SHARE))
        self.addParameter(
            QgsProcessingParameterEnum(
                self.LOCAL_RULE, self.tr("Tourist share: who is local"), list(LOCAL_RULES), defaultValue=0
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.LOCAL_SHARE,
                self.tr("Local: share of an owner's photo days inside the clip area"),
                QgsProcessingParameterNumber.Double,
                0.5,
                minValue=0.0,
                maxValue=1.0,
            )
        )
        self.addParameter(
            QgsProcessingParameterFeatureSink(self.OUTPUT, self.tr("Hot spots"), QgsProcessing.TypeVectorPolygon)
        )

    def processAlgorithm(self, parameters, context, feedback):
        source = point_source(self, parameters, self.POINTS, context)
        clip = clip_source(self, parameters, self.CLIP, context)
        cell_m = self.parameterAsDouble(parameters, self.CELL, context)
        if not cell_m > 0:
            raise QgsProcessingException("CELL: the cell size must be greater than 0 metres.")
        min_owners = self.parameterAsInt(parameters, self.MIN_OWNERS, context)
        target, to_units = target_crs(self, parameters, self.TARGET_CRS, source, context, feedback)
        points, weighting, audience = read_weighted_points(
            self, parameters, source, target, cell_m * to_units, context, feedback, owners_needed=min_owners > 0
        )
        if len(points.xs) == 0:
            raise QgsProcessingException("POINTS: no photo points to test.")
        kind = GRIDS[self.parameterAsEnum(parameters, self.GRID, context)]
        share = self.parameterAsEnum(parameters, AUDIENCE, context) == len(bias.AUDIENCES)
        if share and weighting != "photo-user-days":
            raise QgsProcessingException(
                "AUDIENCE tourist share compares photo-user-days: set WEIGHTING to photo-user-days."
            )
        try:
            cells = aggregate(points.xs, points.ys, points.owners, points.weights, cell_m * to_units, kind)
            if share:
                audience = TOURIST_SHARE
                tourists = ~self._locals(points, clip, target, parameters, context)
                visitors = aggregate(
                    points.xs,
                    points.ys,
                    points.owners,
                    points.weights * tourists,
                    cell_m * to_units,
                    kind,
                    extent=cells_extent(points),
                )
                city = visitors.values.sum() / max(cells.values.sum(), 1e-300)
                feedback.pushInfo(
                    f"Tourists hold {100 * city:.1f} % of the photo-user-days; each cell tests its "
                    "tourist user-days above that share of its own."
                )
                cells.values = visitors.values - city * cells.values
        except GridError as exc:
            raise QgsProcessingException(str(exc)) from None
        keep = np.ones(len(cells.counts), bool)
        if clip is not None:
            keep &= points_in_polygons(cells.centres[:, 0], cells.centres[:, 1], clip_wkbs(clip, target, context))
        few = (cells.owners < min_owners) & (cells.counts > 0) & keep
        if few.any():
            feedback.pushInfo(
                f"MIN_OWNERS {min_owners}: {int(few.sum())} cells with {int(cells.counts[few].sum())} "
                "photos left out (fewer distinct owners)."
            )
        keep &= ~few
        tested = f"Gi* of {weighting} ({audience}) in {cell_m:g} m {kind} cells"
        result, keep = self._test(
            cells, keep, few.any(), parameters, context, feedback, to_units, cell_m * to_units, kind
        )
        sink = Sink(self, parameters, self.OUTPUT, context, make_fields(FIELDS), QgsWkbTypes.Polygon, target)
        for position, i in enumerate(np.flatnonzero(keep)):
            ring = [QgsPointXY(x, y) for x, y in cells.polygon(i)]
            sink.add(
                [
                    int(cells.counts[i]),
                    int(cells.owners[i]),
                    float(cells.values[i]),
                    float(result.z[position]),
                    float(result.p_norm[position]),
                    _number(result.p_sim[position]),
                    float(result.p_fdr[position]),
                    result.classes[position],
                ],
                QgsGeometry.fromPolygonXY([ring]),
            )
        hot = sum(c.startswith("hot") for c in result.classes)
        cold = sum(c.startswith("cold") for c in result.classes)
        feedback.pushInfo(f"{tested}: {hot} hot and {cold} cold of {int(keep.sum())} cells (p_fdr <= 0.10).")
        name = f"Hot spots: {weighting}, {cell_m:g} m {kind}s"
        if context.willLoadLayerOnCompletion(sink.dest):
            context.layerToLoadOnCompletionDetails(sink.dest).setPostProcessor(StyleHotspots.create(name, tested))
        self._write_sidecar_style(sink.dest)
        return {
            self.OUTPUT: sink.dest,
            "CELLS": int(keep.sum()),
            "HOT": hot,
            "COLD": cold,
            "TESTED": tested,
            "REMOVED_CELLS": int(few.sum()),
            "REMOVED_PHOTOS": int(cells.counts[few].sum()),
        }

    def _test(self, cells, keep, floored, parameters, context, feedback, to_units, cell, kind):
        """(Gi*, the cells tested). Cells that MIN_OWNERS left without any neighbour are left out too
        (and the log says how many); when the neighbourhood alone leaves cells alone, that is an error."""
        band_m = self.parameterAsDouble(parameters, self.BAND, context)
        by_k = NEIGHBOURHOODS[self.parameterAsEnum(parameters, self.NEIGHBOURHOOD, context)] == "k nearest"
        band = None if by_k else (band_m * to_units if band_m > 0 else 1.5 * cell * (1.0 if kind == "square" else 1.2))
        k = self.parameterAsInt(parameters, self.K, context) if by_k else None
        try:
            w = gistar.weights(cells.centres[keep], band=band, k=k)
            alone = np.asarray(w.sum(axis=1)).ravel() <= 1
            if floored and alone.any():
                feedback.pushInfo(f"MIN_OWNERS left {int(alone.sum())} cells without a neighbour; they are left out.")
                keep = keep.copy()
                keep[np.flatnonzero(keep)[alone]] = False
                w = gistar.weights(cells.centres[keep], band=band, k=k)
            result = gistar.gi_star(
                cells.values[keep],
                w,
                self.parameterAsInt(parameters, self.PERMUTATIONS, context),
                self.parameterAsInt(parameters, self.SEED, context),
                fdr=self.parameterAsBool(parameters, self.FDR, context),
                cancelled=feedback.isCanceled,
            )
        except gistar.HotspotError as exc:
            raise QgsProcessingException(str(exc)) from None
        return result, keep

    def _locals(self, points, clip, target, parameters, context):
        if self.parameterAsEnum(parameters, self.LOCAL_RULE, context) == 0:
            return bias.locals_mask(points.owners, points.times, local_days(self, parameters, context))
        if clip is None:
            raise QgsProcessingException("LOCAL_RULE: the share of days inside the area needs CLIP polygons.")
        inside = points_in_polygons(points.xs, points.ys, clip_wkbs(clip, target, context))
        share = self.parameterAsDouble(parameters, self.LOCAL_SHARE, context)
        return bias.locals_by_share(points.owners, points.times, inside, share)

    @staticmethod
    def _write_sidecar_style(dest):
        """A .qml beside a file output, so qgis_process users get the classes too."""
        path = dest.split("|", 1)[0]
        if not os.path.isfile(path):
            return
        layer = QgsVectorLayer("Polygon?field=class:string", "hot spots", "memory")  # the style needs no data
        layer.setRenderer(class_renderer())
        message, ok = layer.saveNamedStyle(os.path.splitext(path)[0] + ".qml")
        if not ok:
            raise QgsProcessingException(f"OUTPUT: cannot write the style beside {path}: {message}")


def cells_extent(points):
    return (points.xs.min(), points.ys.min(), points.xs.max(), points.ys.max())


def _number(value):
    return None if value is None or not np.isfinite(value) else float(value)
