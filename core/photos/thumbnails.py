"""Small JPEG thumbnails as data: URIs, for pages that must carry their pictures inside. QGIS-free."""

import base64
import io

from ..files import not_regular_reason
from ..packages import need


def thumbnail_data(path: str, edge: int = 160, quality: int = 80) -> str:
    """A JPEG of at most edge x edge pixels as a data: URI, or "" when the photo cannot be read (a FIFO,
    a device, a broken or oversized file)."""
    if not path or not_regular_reason(path):
        return ""
    image_module = need("PIL.Image")
    try:
        with image_module.open(path) as image:
            image.draft("RGB", (edge * 2, edge * 2))  # JPEG: decode at a fraction of the size
            image = need("PIL.ImageOps").exif_transpose(image).convert("RGB")
            image.thumbnail((edge, edge))
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=quality)
    except Exception:  # Pillow raises many kinds on bad files (DecompressionBombError included)
        return ""
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()
