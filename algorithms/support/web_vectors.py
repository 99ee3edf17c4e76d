"""The web map's vector layers: hot-spot cells, districts and photo points, each checked against what
its step writes, in WGS 84, with popups and QGIS's colours."""

import numpy as np
from qgis.core import QgsCoordinateTransform, QgsProcessingException, QgsWkbTypes
from qgis.PyQt.QtCore import QDateTime, QVariant

from ...core.photos.thumbnails import thumbnail_data
from ...core.webmap import page
from ...core.webmap import photos as web_photos
from .layers import WGS84, default_target_crs
from .web_layers import class_legend, css, features_in_wgs84, geojson

HOTSPOT_FIELDS = ("class", "gi_z", "p_fdr", "owners", "count")
DISTRICT_FIELDS = ("images", "images_per_km2", "percent")
PATH_FIELDS = ("path", "image_path")
POPUP_FIELDS = ("score", "category", "taken", "title")  # popup_rows' order


def check_layer(source, name: str, geometry: str, fields=(), step: str = ""):
    """Refuses a layer of the wrong geometry, without a CRS, or without the fields its step writes."""
    wanted = {"polygon": QgsWkbTypes.PolygonGeometry, "point": QgsWkbTypes.PointGeometry}[geometry]
    if QgsWkbTypes.geometryType(source.wkbType()) != wanted:
        kind = QgsWkbTypes.geometryDisplayString(QgsWkbTypes.geometryType(source.wkbType())).lower()
        raise QgsProcessingException(f"{name}: needs a {geometry} layer, not a layer of {kind}s.")
    if not source.sourceCrs().isValid():
        raise QgsProcessingException(f"{name}: the layer has no CRS; set it (Layer Properties > Source) and run again.")
    absent = [f for f in fields if source.fields().lookupField(f) < 0]
    if absent:
        raise QgsProcessingException(
            f"{name}: the layer has no field {', '.join(repr(f) for f in absent)}; use the output of {step}."
        )


def _null(value) -> bool:
    return value is None or (isinstance(value, QVariant) and value.isNull())


def _text(value, digits: int = 0) -> str:
    if _null(value):
        return "–"
    if isinstance(value, QDateTime):
        return value.toString("yyyy-MM-dd HH:mm") if value.isValid() else "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def hotspots(source, context, feedback, renderer) -> page.Features:
    """Gi* cells in the hot-spot classes' own colours (the renderer the hot-spot layer loads with)."""
    check_layer(source, "HOTSPOTS", "polygon", HOTSPOT_FIELDS, "scenicheatmap:hotspots")
    colours = {c.value(): c for c in renderer.categories()}
    items, found = [], []
    for feature, geometry in features_in_wgs84(source, context, feedback):
        name = _text(feature["class"])
        category = colours.get(name)
        fill = css(category.symbol().color(), category.symbol().opacity()) if category else ""
        rows = [
            ("Class", name),
            ("Gi* z", _text(feature["gi_z"], 2)),
            ("p (FDR)", _text(feature["p_fdr"], 3)),
            ("Owners", _text(feature["owners"])),
            ("Photos", _text(feature["count"])),
        ]
        items.append(page.feature(geojson(geometry), rows, fill))
        found.append(name)
    legend = [(css(c.symbol().color()), c.label()) for c in renderer.categories() if c.value() in found]
    return page.Features("Hot spots (Gi*)", "polygons", items, page.Legend("Hot spots (Gi*, FDR)", legend))


def districts(source, name_field: str, context, feedback) -> page.Features:
    """Districts as a choropleth of photos per km², with name, photos, per km² and share."""
    check_layer(source, "DISTRICTS", "polygon", DISTRICT_FIELDS, "scenicheatmap:districtstats")
    if not name_field:  # 'name', else 'district', else the first text field
        fields = source.fields()
        named = [f for f in ("name", "district") if fields.lookupField(f) >= 0]
        name_field = (named + [f.name() for f in fields if f.type() == QVariant.String] + [""])[0]
    rows, shapes = [], []
    for feature, geometry in features_in_wgs84(source, context, feedback):
        density = feature["images_per_km2"]
        rows.append(
            (
                ("District", _text(feature[name_field]) if name_field else f"#{feature.id()}"),
                ("Photos", _text(feature["images"])),
                ("Photos per km²", _text(density, 1)),
                ("Share of all photos", f"{_text(feature['percent'], 1)} %"),
            )
        )
        shapes.append((geojson(geometry), None if _null(density) else float(density)))
    fills, legend = class_legend("Districts: photos per km²", [d for _, d in shapes])
    items = [page.feature(g, r, fill or "") for (g, _), r, fill in zip(shapes, rows, fills)]
    return page.Features("Districts", "polygons", items, legend)


def check_photos(source, settings):
    """Points with a CRS, and the owner field whenever a privacy rule is on."""
    check_layer(source, "PHOTOS", "point")
    needs_owner = settings.min_owners > 0 or settings.max_owner_share > 0
    if needs_owner and source.fields().lookupField("owner") < 0:
        raise QgsProcessingException(
            "PHOTOS: the layer has no 'owner' field, so the privacy floor cannot be kept. Use harvested or "
            "imported photos, or set MIN_OWNERS to 0 and MAX_OWNER_SHARE to 0 (every position then shows)."
        )


def photos(source, settings, context, feedback, progress):
    """(page.Features, Shown): the photos that pass the owner floor and the dominance rule, at most
    settings.max_photos, each with an embedded thumbnail (at most 320 px)."""
    check_photos(source, settings)
    names = source.fields().names()
    path_field = next((f for f in PATH_FIELDS if f in names), "")
    target = default_target_crs(source, context)
    to_metres = QgsCoordinateTransform(WGS84, target, context.transformContext())
    rows, xs, ys, owners = [], [], [], []
    for feature, geometry in features_in_wgs84(source, context, feedback):
        point = geometry.asPoint() if not geometry.isMultipart() else geometry.asMultiPoint()[0]
        ground = to_metres.transform(point)
        xs.append(ground.x())
        ys.append(ground.y())
        owners.append(str(feature["owner"]) if "owner" in names else str(feature.id()))
        rows.append((feature, point))
    rules = (settings.privacy_cell, settings.min_owners, settings.max_owner_share, settings.max_photos)
    shown = web_photos.choose(np.array(xs), np.array(ys), owners, *rules)
    items = []
    for done, i in enumerate(shown.keep):
        progress.check()
        progress.report(done / max(1, len(shown.keep)), "Thumbnails")
        feature, point = rows[i]
        value = {f: None if f not in names or _null(feature[f]) else feature[f] for f in POPUP_FIELDS}
        text = web_photos.popup_rows(
            value["score"], *("" if value[f] is None else _text(value[f]) for f in POPUP_FIELDS[1:])
        )
        path = "" if not path_field or _null(feature[path_field]) else str(feature[path_field])
        thumb = thumbnail_data(path, web_photos.THUMBNAIL_EDGE, web_photos.THUMBNAIL_QUALITY)
        where = {"type": "Point", "coordinates": [round(point.x(), 6), round(point.y(), 6)]}
        items.append(page.feature(where, text, thumbnail=thumb))
    legend = page.Legend("Photos", [("#1a9641", f"valid photo ({len(items)} shown)")])
    return page.Features("Photos", "photos", items, legend), shown
