"""The web map's content as data, and the one HTML file it becomes.

Every string from the data (layer and district names, titles, file names, EXIF text) travels as JSON
inside <script type="application/json"> with <, > and & escaped, and page.js shows it as text (never
as HTML). Raster overlays are PNGs already in Web Mercator; vectors are GeoJSON in WGS 84."""

import base64
import html
import json
import os
import re
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

from ..errors import Progress, UserError
from ..files import write_text_atomically
from . import assets

HERE = os.path.dirname(__file__)
OSM = {
    "name": "OpenStreetMap (online only)",
    "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    "attribution": "© OpenStreetMap contributors",
    "link": "https://www.openstreetmap.org/copyright",
}
NO_LAYER = "Choose at least one layer: heat maps, a series folder, hot spots, districts or photos."
_COLOUR = re.compile(r"^(#[0-9a-fA-F]{6}|rgba\(\d{1,3},\d{1,3},\d{1,3},(0|1|0?\.\d+)\))$")


class WebMapError(UserError):
    pass


def colour(red: int, green: int, blue: int, alpha: int = 255) -> str:
    """A CSS colour that page.js accepts (#rrggbb, or rgba() when not opaque)."""
    if alpha >= 255:
        return f"#{red:02x}{green:02x}{blue:02x}"
    return f"rgba({red},{green},{blue},{round(alpha / 255, 3)})"


@dataclass
class Legend:
    title: str  # says the unit: "Photos: density, r 300 m (photos per km²)"
    items: List[Tuple[str, str]]  # (CSS colour, label), top class last as in QGIS


@dataclass
class Image:
    """One raster as a PNG in Web Mercator, placed by its corners in degrees."""

    name: str
    png: bytes
    bounds: Tuple[float, float, float, float]  # south, west, north, east
    legend: Optional[Legend] = None
    period: str = ""  # the label of a series period


def raster_size(cols: int, rows: int, max_pixels: int):
    """(cols, rows, resampled): the size that keeps the longer side within max_pixels."""
    longest = max(cols, rows)
    if longest <= max_pixels:
        return cols, rows, False
    scale = max_pixels / longest
    return max(1, round(cols * scale)), max(1, round(rows * scale)), True


@dataclass
class Features:
    """A vector layer: GeoJSON features made with `feature`."""

    name: str
    kind: str  # "polygons" or "photos"
    features: list
    legend: Optional[Legend] = None
    visible: bool = True


@dataclass
class Series:
    name: str
    periods: List[Image]
    legend: Legend  # one colour scale for every period


@dataclass
class WebMap:
    title: str
    attribution: str  # the data sources, shown as text in the map's corner
    basemap: bool = True
    overlays: List[Image] = field(default_factory=list)
    series: Optional[Series] = None
    vectors: List[Features] = field(default_factory=list)

    def layer_names(self) -> List[str]:
        names = [o.name for o in self.overlays] + ([self.series.name] if self.series else [])
        return names + [v.name for v in self.vectors]


def feature(geometry: dict, rows: Sequence[Tuple[str, str]], fill: str = "", thumbnail: str = "") -> dict:
    """A GeoJSON feature whose popup lists `rows` (label, text) under an optional thumbnail."""
    if fill and not _COLOUR.match(fill):
        raise WebMapError(f"Not a colour the web map can use: {fill!r}")
    if thumbnail and not thumbnail.startswith("data:image/jpeg;base64,"):
        raise WebMapError("A thumbnail must be an embedded JPEG.")
    properties = {"rows": [[str(a), str(b)] for a, b in rows]}
    if fill:
        properties["fill"] = fill
    if thumbnail:
        properties["thumbnail"] = thumbnail
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def check_output(path: str):
    if not path or not path.lower().endswith((".html", ".htm")):
        raise WebMapError(f"OUTPUT: the web map is one HTML file; use a name ending in .html, not {path or 'nothing'}.")


def _png_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _legend(legend: Optional[Legend]):
    if legend is None:
        return None
    for css, _ in legend.items:
        if not _COLOUR.match(css):
            raise WebMapError(f"Not a colour the web map can use: {css!r}")
    return {"title": legend.title, "items": [[c, t] for c, t in legend.items]}


def _image(image: Image) -> dict:
    south, west, north, east = image.bounds
    if not (-90 <= south < north <= 90 and -180 <= west < east <= 180):
        raise WebMapError(f"{image.name}: its corners {image.bounds} are not on the Earth.")
    return {
        "name": image.name,
        "png": _png_uri(image.png),
        "bounds": [[south, west], [north, east]],
        "legend": _legend(image.legend),
        "period": image.period,
    }


def _unique(webmap: WebMap):
    """Layer names as the switcher lists them: a repeated name gets its number."""
    seen = {}
    for layer in [*webmap.overlays, *([webmap.series] if webmap.series else []), *webmap.vectors]:
        count = seen[layer.name] = seen.get(layer.name, 0) + 1
        if count > 1:
            layer.name = f"{layer.name} ({count})"


def payload(webmap: WebMap) -> dict:
    _unique(webmap)
    if not webmap.layer_names():
        raise WebMapError(NO_LAYER)
    return {
        "title": webmap.title,
        "attribution": webmap.attribution,
        "basemap": OSM if webmap.basemap else None,
        "overlays": [_image(o) for o in webmap.overlays],
        "series": None
        if webmap.series is None
        else {
            "name": webmap.series.name,
            "legend": _legend(webmap.series.legend),
            "periods": [_image(p) for p in webmap.series.periods],
        },
        "vectors": [
            {"name": v.name, "kind": v.kind, "visible": v.visible, "legend": _legend(v.legend), "features": v.features}
            for v in webmap.vectors
        ],
    }


def script_json(data) -> str:
    """JSON that cannot end its <script> element or open a comment: <, > and & as \\u escapes."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _own(name: str) -> str:
    with open(os.path.join(HERE, name), encoding="utf-8") as fh:
        return fh.read()


def render(webmap: WebMap) -> str:
    library = assets.load()
    data = payload(webmap)
    parts = {
        "TITLE": html.escape(webmap.title),
        "LEAFLET_CSS": library.css,
        "PAGE_CSS": _own("page.css"),
        "LEAFLET_JS": library.js,
        "DATA": script_json(data),
        "PAGE_JS": _own("page.js"),
        "LIBRARIES": html.escape(library.versions),
    }
    page = _own("page.html")
    # one pass, so that nothing inserted is read again as a placeholder
    return re.sub(r"<!--SCENIC:(\w+)-->", lambda m: parts[m.group(1)], page)


def write(path: str, webmap: WebMap, progress: Optional[Progress] = None) -> int:
    """Writes the page through a .part file and a rename; returns its size in bytes."""
    check_output(path)
    progress = progress or Progress()
    progress.report(0.0, "Writing the web map")
    text = render(webmap)
    progress.check()
    try:
        write_text_atomically(path, text)
    except OSError as exc:
        raise WebMapError(f"OUTPUT: cannot write {path}: {exc.strerror or exc}") from None
    progress.report(1.0, "")
    return os.path.getsize(path)


def size_text(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.0f} kB"
