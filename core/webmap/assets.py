"""Leaflet and its marker-cluster plug-in, read from their PyPI packages (xstatic-leaflet,
xstatic-leaflet-markercluster) when a map is written: the project ships no copy of either."""

import base64
import importlib
import os
import re
from dataclasses import dataclass

from ..packages import MissingPackages

LEAFLET = "xstatic.pkg.leaflet"
MARKERCLUSTER = "xstatic.pkg.leaflet_markercluster"
REQUIRED = (LEAFLET, MARKERCLUSTER)


@dataclass(frozen=True)
class Assets:
    css: str
    js: str
    versions: str  # "Leaflet 1.9.3, Leaflet.markercluster 1.4.1", for the page's footer


def _package(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        raise MissingPackages([name]) from None


def _read(folder: str, name: str) -> str:
    with open(os.path.join(folder, name), encoding="utf-8") as fh:
        return fh.read()


def _inline_images(css: str, folder: str) -> str:
    """url(images/x.png) -> a data: URI, so that the page never asks for a file beside it."""

    def data_uri(match):
        path = os.path.join(folder, match.group(1))
        if not os.path.isfile(path):
            return match.group(0)
        with open(path, "rb") as fh:
            return "url(data:image/png;base64," + base64.b64encode(fh.read()).decode() + ")"

    return re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, css)


def _safe_in_tag(text: str, tag: str) -> str:
    """Library text inside <script> or <style>: no closing tag, no source-map request."""
    text = re.sub(r"//# sourceMappingURL=\S+", "", text)
    return re.sub(f"</({tag})", r"<\\/\1", text, flags=re.IGNORECASE)


def load() -> Assets:
    leaflet, cluster = _package(LEAFLET), _package(MARKERCLUSTER)
    css = _inline_images(_read(leaflet.BASE_DIR, "leaflet.css"), leaflet.BASE_DIR)
    css += _read(cluster.BASE_DIR, "MarkerCluster.css") + _read(cluster.BASE_DIR, "MarkerCluster.Default.css")
    js = _read(leaflet.BASE_DIR, "leaflet.js") + "\n" + _read(cluster.BASE_DIR, "leaflet.markercluster.js")
    versions = f"Leaflet {leaflet.VERSION}, Leaflet.markercluster {cluster.VERSION}"
    return Assets(_safe_in_tag(css, "style"), _safe_in_tag(js, "script"), versions)
