"""Helpers for the web-map tests: the page's embedded data, and its overlays as pixels."""

import base64
import io
import json
import re

import numpy as np
from PIL import Image


def page_data(path) -> dict:
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    block = re.search(r'<script type="application/json" id="scenic-data">(.*?)</script>', text, re.S).group(1)
    return json.loads(block)


def overlay_pixels(overlay: dict) -> np.ndarray:
    """The overlay's PNG as an RGBA array (rows, cols, 4)."""
    png = base64.b64decode(overlay["png"].split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))
