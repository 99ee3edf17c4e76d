"""One HTML page built from parts. Text given to a part is escaped; `raw` takes trusted markup only."""

import base64
import html
import io
import math
from typing import Iterable, Mapping, Optional, Sequence

from ..files import write_text_atomically

STYLE = (
    "body{font-family:sans-serif;max-width:70em;margin:1.5em auto}table{border-collapse:collapse;margin:1em 0}"
    "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:right}th{background:#f4f4f4}"
)


def cell(value, digits: int = 4) -> str:
    """A table value as text: floats to `digits` significant digits, missing or non-finite as '–'."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def chart_bytes(figure) -> bytes:
    """A finished chart as PNG bytes at the figure's own size and resolution; the figure is closed."""
    import matplotlib.pyplot as plt

    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def figure_png(figure, dpi: int = 90) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


class Report:
    def __init__(self, title: str):
        self.title = title
        self.parts = [f"<h1>{html.escape(title)}</h1>"]

    def heading(self, text: str, level: int = 2):
        self.parts.append(f"<h{level}>{html.escape(text)}</h{level}>")
        return self

    def paragraph(self, text: str, bold: str = ""):
        lead = f"<b>{html.escape(bold)}</b> " if bold else ""
        self.parts.append(f"<p>{lead}{html.escape(text)}</p>")
        return self

    def raw(self, markup: str):
        """Trusted markup written by this project (never user or server text)."""
        self.parts.append(markup)
        return self

    def facts(self, pairs: Mapping):
        rows = "".join(
            f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(cell(v))}</td></tr>" for k, v in pairs.items()
        )
        self.parts.append(f"<table>{rows}</table>")
        return self

    def table(self, rows: Iterable, columns: Sequence[str], digits: int = 4):
        """Rows as mappings (looked up by column) or sequences (in column order)."""
        head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
        body = []
        for row in rows:
            values = [row.get(c) for c in columns] if isinstance(row, Mapping) else list(row)
            body.append("<tr>" + "".join(f"<td>{html.escape(cell(v, digits))}</td>" for v in values) + "</tr>")
        self.parts.append(f"<table><tr>{head}</tr>{''.join(body)}</table>")
        return self

    def items(self, texts: Iterable[str]):
        self.parts.append("<ul>" + "".join(f"<li>{html.escape(t)}</li>" for t in texts) + "</ul>")
        return self

    def image(self, png: bytes, alt: str, width: Optional[int] = None):
        size = f" width='{int(width)}'" if width else ""
        self.parts.append(
            f"<img{size} alt='{html.escape(alt, quote=True)}' "
            f"src='data:image/png;base64,{base64.b64encode(png).decode()}'>"
        )
        return self

    def render(self) -> str:
        return (
            "<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<title>{html.escape(self.title)}</title><style>{STYLE}</style></head><body>\n"
            + "\n".join(self.parts)
            + "\n</body></html>"
        )

    def write(self, path: str):
        write_text_atomically(path, self.render())
