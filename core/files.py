"""Small file helpers shared by the core modules. QGIS-free."""

import os


def write_text_atomically(path: str, text: str):
    """Writes `path` through a `.part` file and a rename, so a reader never sees half a page."""
    tmp = f"{path}.part"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)
