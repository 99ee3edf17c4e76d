"""Colour classes for density maps: what the legend promises, computed once. QGIS-free.

Four ways, each with exactly the number of classes asked for:
- round equal intervals (the default): from 0, a round step times 1..n, the last class holding the
  maximum (the roundest step that does: 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 x 10^k, else two
  significant digits);
- quantiles: each class holds about the same number of cells (breaks rounded to 2 significant digits);
- logarithmic: breaks grow by a constant factor up to the maximum, for one peak over a wide flat map;
- continuous: a ramp from 0 to the maximum, no classes (the legend says so)."""

import math
from typing import List, Optional, Sequence

import numpy as np

METHODS = ("round equal intervals", "quantiles", "logarithmic", "continuous")
ROUND = (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10)


def round_up(value: float) -> float:
    """The smallest round number (ROUND x 10^k) at or above value."""
    power = 10.0 ** math.floor(math.log10(value))
    return next(m * power for m in ROUND if m * power >= value * (1 - 1e-9))


def equal_step(vmax: float, classes: int) -> float:
    """The roundest step s with classes * s >= vmax > (classes - 1) * s: no class left empty on top."""
    low = vmax / classes
    power = 10.0 ** math.floor(math.log10(low))
    for m in ROUND + tuple(10 * r for r in ROUND[1:]):
        step = m * power
        if step >= low * (1 - 1e-9) and (classes - 1) * step < vmax:
            return step
        if step > low * 2:
            break
    step = math.ceil(low / (power / 10)) * (power / 10)  # two significant digits
    return step if (classes - 1) * step < vmax or classes == 1 else low


def significant(value: float, digits: int = 2) -> float:
    if value <= 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - int(math.floor(math.log10(value))))


def breaks(method: str, classes: int, vmax: float, values: Optional[Sequence[float]] = None) -> List[float]:
    """Upper bounds of the classes (the first class starts at 0); for continuous, [vmax]."""
    if not (vmax > 0 and math.isfinite(vmax)):
        return [1.0] * (1 if method == "continuous" else classes)
    classes = max(1, int(classes))
    if method == "continuous":
        return [vmax]
    if method == "round equal intervals":
        step = equal_step(vmax, classes)
        return [round(step * (i + 1), 12) for i in range(classes)]
    if method == "logarithmic":
        low = vmax / 10 ** min(classes - 1, 3)  # at most three decades below the peak
        tops = [low * (vmax / low) ** (i / max(1, classes - 1)) for i in range(classes)]
        return _increasing([significant(t) for t in tops[:-1]] + [round_up(vmax)])
    if method == "quantiles":
        data = np.asarray([v for v in (values if values is not None else []) if v > 0 and math.isfinite(v)])
        if not len(data):
            return breaks("round equal intervals", classes, vmax)
        tops = [significant(float(np.quantile(data, (i + 1) / classes))) for i in range(classes - 1)]
        return _increasing(tops + [round_up(vmax)])
    raise ValueError(f"Unknown classification {method!r}; use one of {', '.join(METHODS)}.")


def _increasing(tops: List[float]) -> List[float]:
    """Strictly increasing breaks, same count: a tie moves up by the smallest step of its rounding."""
    out = []
    for top in tops:
        if out and top <= out[-1]:
            top = out[-1] + 10.0 ** (math.floor(math.log10(out[-1])) - 1) if out[-1] > 0 else 1e-9
        out.append(top)
    return out


def label(low: float, high: float) -> str:
    """'low – high' with as many decimals as the smaller of the two needs (2 significant digits)."""
    span = [abs(v) for v in (low, high) if v]
    digits = max(0, 1 - int(math.floor(math.log10(min(span))))) if span else 0
    digits = min(digits, 6)
    return f"{low:.{digits}f} – {high:.{digits}f}"
