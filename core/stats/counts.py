"""Summary statistics of per-district photo counts (the study's Tables 6 and 7). QGIS-free."""

import numpy as np

SUMMARY_FIELDS = ("districts", "mean", "q25", "median", "q75", "sum", "min", "max", "range")


def count_summary(counts) -> dict:
    """mean, quartiles (linear interpolation), sum, min, max and range of counts.

    Empty input gives zero districts and None for every statistic."""
    values = np.asarray(list(counts), dtype=float)
    if values.size == 0:
        return {name: (0 if name == "districts" else None) for name in SUMMARY_FIELDS}
    q25, median, q75 = np.percentile(values, [25, 50, 75])
    return {
        "districts": int(values.size),
        "mean": float(values.mean()),
        "q25": float(q25),
        "median": float(median),
        "q75": float(q75),
        "sum": float(values.sum()),
        "min": float(values.min()),
        "max": float(values.max()),
        "range": float(values.max() - values.min()),
    }


def shares(counts) -> list:
    """Percent of the total per entry; all zeros when the total is zero."""
    total = float(sum(counts))
    return [100.0 * c / total if total else 0.0 for c in counts]


def density_per_km2(count: float, area_m2: float):
    return count / (area_m2 / 1e6) if area_m2 > 0 else None
