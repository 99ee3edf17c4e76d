"""Self-contained HTML reports with embedded PNG charts, every user string escaped; used by training,
the price validation and the demo. `Report` builds one page; `figure_png` turns a matplotlib figure into PNG bytes."""

from .page import Report, figure_png

__all__ = ["Report", "figure_png"]
