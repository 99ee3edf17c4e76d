"""From kernel sums to mapped values, for one heat map or a series of them. QGIS-free.

`mapped` is the one place where raw sums become what a map shows (per km², nodata where no point
reaches, float noise dropped, outside the clip masked); `densities` applies it per period on one
shared grid, one period at a time so that memory holds a single grid."""

from dataclasses import dataclass
from typing import Callable, Iterator, Optional, Sequence

import numpy as np

from . import kde
from .raster import drop_noise


def mapped(values, kind: str, to_units: float = 1.0, outside=None):
    """In place: per km² on the ground for kind 'per km²' (to_units = map units per metre), NaN
    where no point reaches or outside the clip, and float noise below 1e-6 of the maximum dropped."""
    if kind == "per km²":
        values *= 1e6 * to_units * to_units
    values[values == 0] = np.nan
    drop_noise(values)
    if outside is not None:
        values[outside] = np.nan
    return values


def density_of(
    xs,
    ys,
    radius,
    pixel,
    kernel,
    kind,
    grid,
    weights=None,
    to_units=1.0,
    outside=None,
    progress: Optional[Callable[[float], bool]] = None,
):
    """The mapped density of points on grid, or None when progress() asked to stop."""
    result = kde.density(
        xs,
        ys,
        radius,
        pixel,
        kernel,
        weights=weights,
        grid=grid,
        progress=progress,
        scaled=kind == "scaled",
        per_area=kind == "per km²",
    )
    return None if result is None else mapped(result[0], kind, to_units, outside)


@dataclass
class PeriodDensity:
    key: object  # a periods.Period
    photos: int
    values: np.ndarray


def densities(
    xs,
    ys,
    weights,
    keys: Sequence,
    grid,
    radius,
    pixel,
    kernel,
    kind,
    to_units=1.0,
    outside=None,
    cancelled: Callable[[], bool] = lambda: False,
) -> Iterator[PeriodDensity]:
    """One PeriodDensity per period present in keys (sorted), all on `grid`."""
    labels = np.array([k.label for k in keys])
    for key in sorted(set(keys)):
        if cancelled():
            return
        mine = labels == key.label
        values = density_of(xs[mine], ys[mine], radius, pixel, kernel, kind, grid, weights[mine], to_units, outside)
        yield PeriodDensity(key, int(mine.sum()), values)
