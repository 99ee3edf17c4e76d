"""scenicheatmap:webmap - one self-contained HTML web map of the results, for people without QGIS."""

import os

from ..core.webmap import page
from ..core.webmap.assets import REQUIRED
from ..core.webmap.photos import DEFAULT_CAP
from .hotspots import class_renderer
from .support import web_layers, web_vectors
from .support.base import ScenicAlgorithm, progress
from .support.density_common import privacy_parameters
from .support.parameters import enum, field_of, file_out, integer, number, simple, source

BASEMAPS = ("OpenStreetMap (loaded only when online)", "None")
ATTRIBUTION = "Photos: their owners on Flickr or Wikimedia Commons; maps: Scenic Heatmap"


class WebMapAlgorithm(ScenicAlgorithm):
    NAME = "webmap"
    DISPLAY = "Web map of the results"
    REQUIRES = REQUIRED
    PARAMETERS = (
        simple("rasters", "HEATMAPS", "Heat maps", optional=True),
        simple("folder", "SERIES", "Heat-map series folder (heatmapseries)", optional=True),
        source("HOTSPOTS", "Hot spots (hotspots)", ("polygon",), optional=True),
        source("DISTRICTS", "Districts with counts (districtstats)", ("polygon",), optional=True),
        field_of("DISTRICT_NAME", "District name field", "DISTRICTS", optional=True),
        source("PHOTOS", "Photo points (off unless chosen)", ("point",), optional=True),
        *privacy_parameters(),
        number("PRIVACY_CELL", "Privacy cell for photo points (metres)", 250.0, minimum=10.0, advanced=True),
        integer("MAX_PHOTOS", "Most photo points shown", DEFAULT_CAP, minimum=1, maximum=20000),
        integer(
            "MAX_PIXELS", "Most pixels on a heat map's longer side", 4096, minimum=256, maximum=16384, advanced=True
        ),
        simple("string", "TITLE", "Title", default="Where people photograph"),
        simple("string", "ATTRIBUTION", "Data sources (attribution line)", default=ATTRIBUTION, advanced=True),
        enum("BASEMAP", "Background map", BASEMAPS),
        file_out("OUTPUT", "Web map", "HTML files (*.html)", optional=True),
    )
    OUTPUTS = {"numbers": ("SIZE_MB", "PHOTOS_SHOWN", "LAYERS")}
    HELP = (
        "One HTML file with everything inside it (Leaflet, every layer, every thumbnail): it opens from a USB "
        "stick or an e-mail attachment, in any browser, with no network and no QGIS.<br><br>"
        "<b>Heat maps</b> are reprojected to Web Mercator and drawn with their own QGIS style (the .qml beside "
        "the file), nodata transparent, each with its legend and unit; rasters above <i>max pixels</i> are "
        "resampled. The <b>series folder</b> of heatmapseries becomes a time slider on one colour scale. "
        "<b>Hot spots</b> and <b>districts</b> open a popup with their numbers.<br>"
        "<b>Photo points</b> are off unless chosen: a photo's position identifies its owner, so only photos in "
        "cells with at least <i>min owners</i> people and no one above <i>max share</i> are shown, at most "
        "<i>most photo points</i> (about 50 MB with 2,000 thumbnails).<br>"
        "The background map (OpenStreetMap) loads only when the browser is online; without it every layer "
        "still shows. The log gives the file's size."
    )

    def processAlgorithm(self, parameters, context, feedback):
        v = self.read(parameters, context)
        if not v.output:  # skipped, as the workflow model does unless a file is named
            feedback.pushInfo("No web map was asked for (OUTPUT skipped); nothing written.")
            return {"OUTPUT": None, "SIZE_MB": 0, "PHOTOS_SHOWN": 0, "LAYERS": 0}
        self._check(v)
        bar = progress(feedback)
        webmap = page.WebMap(v.title or "Web map", v.attribution, basemap=v.basemap == 0)
        for i, layer in enumerate(v.heatmaps):
            bar.report(0.4 * i / len(v.heatmaps), f"Heat map {layer.name()}")
            image, note = web_layers.raster_image(layer, v.max_pixels, "HEATMAPS")
            webmap.overlays.append(image)
            if note:
                feedback.pushInfo(note)
        if v.series:
            webmap.series = self._series(v, feedback)
        fills = []
        if v.hotspots:
            rules = class_renderer(v.min_owners, v.max_owner_share)
            fills.append(web_vectors.hotspots(v.hotspots, context, feedback, rules))
        if v.districts:
            fills.append(web_vectors.districts(v.districts, v.district_name, context, feedback))
        for layer in fills:  # filled polygons would hide a heat map: shown at first only without one
            layer.visible = not (webmap.overlays or webmap.series)
            webmap.vectors.append(layer)
        shown = 0
        if v.photos:
            layer, chosen = web_vectors.photos(v.photos, v, context, feedback, bar.part(0.5, 0.9))
            webmap.vectors.append(layer)
            shown = len(chosen.keep)
            self._photo_notes(chosen, v, feedback)
        bar.check()
        size = page.write(v.output, webmap, bar.part(0.9, 1.0))
        feedback.pushInfo(f"Wrote {v.output}: {page.size_text(size)}, layers: {', '.join(webmap.layer_names())}.")
        return {"OUTPUT": v.output, "SIZE_MB": size / 1e6, "PHOTOS_SHOWN": shown, "LAYERS": len(webmap.layer_names())}

    @staticmethod
    def _check(v):
        """Every input, in seconds, before any work: the output's name, at least one layer, CRSs,
        geometries and the fields each step writes."""
        page.check_output(v.output)
        if not (v.heatmaps or v.series or v.hotspots or v.districts or v.photos):
            raise page.WebMapError(page.NO_LAYER)
        for layer in v.heatmaps:
            web_layers.check_raster(layer, "HEATMAPS")
        if v.series:
            web_layers.series_definition(v.series)
        if v.hotspots:
            web_vectors.check_layer(
                v.hotspots, "HOTSPOTS", "polygon", web_vectors.HOTSPOT_FIELDS, "scenicheatmap:hotspots"
            )
        if v.districts:
            fields = web_vectors.DISTRICT_FIELDS
            web_vectors.check_layer(v.districts, "DISTRICTS", "polygon", fields, "scenicheatmap:districtstats")
        if v.photos:
            web_vectors.check_photos(v.photos, v)

    @staticmethod
    def _series(v, feedback):
        images = []
        for layer in web_layers.series_layers(v.series):
            image, note = web_layers.raster_image(layer, v.max_pixels, "SERIES", period=layer.name())
            images.append(image)
            if note:
                feedback.pushInfo(note)
        name = f"Time series: {os.path.basename(os.path.normpath(v.series))}"
        legend = page.Legend(f"{images[0].legend.title}, one scale for every period", images[0].legend.items)
        return page.Series(name, images, legend)

    @staticmethod
    def _photo_notes(chosen, v, feedback):
        feedback.pushWarning(
            "Photo positions identify their owners: share this page only where the photos' owners would agree."
        )
        feedback.pushInfo(
            f"Photos: {len(chosen.keep)} shown; left out {chosen.floor} in cells of fewer than {v.min_owners} "
            f"owners, {chosen.dominated} where one owner holds over {v.max_owner_share:.0%}, "
            f"{chosen.capped} above the cap of {v.max_photos}."
        )
