"""Bias-aware photo weights for the heat maps. QGIS-free.

A few prolific photographers can make a hot spot on their own. Besides plain
photo counts (the study's measure), two standard volunteered-geographic-information
proxies count people rather than pictures, measured per place:

* photo-user-days: an owner counts at most once per calendar day per place;
* unique owners: an owner counts at most once per place.

A place is a square cell of the grid whose side is the kernel radius. Each photo
gets weight 1/n, n being the photos of its (owner, day, place) or (owner, place)
group, so every group adds exactly one unit of density, spread over the places
where its photos were taken.

Audience: an owner whose photos in the layer span more than LOCAL_DAYS days counts as
a local, every other owner as a tourist (the usual rule of thumb in Flickr studies).
"""

import numpy as np

from ..errors import UserError

WEIGHTINGS = ("photos", "photo-user-days", "unique owners")
AUDIENCES = ("all", "locals", "tourists")
LOCAL_DAYS = 30.0
SECONDS_PER_DAY = 86400.0


class WeightingError(UserError):
    """The photos lack what a weighting or audience needs."""


def needs_owner_and_time(weighting: str, audience: str) -> bool:
    return weighting != "photos" or audience != "all"


def locals_mask(owners, times, local_days: float = LOCAL_DAYS) -> np.ndarray:
    """True for photos whose owner's photos span more than local_days days.

    times: seconds since the epoch (NaN where unknown; those photos don't count towards the span)."""
    owners = np.asarray(owners, dtype=object)
    times = np.asarray(times, dtype=float)
    codes, inverse = np.unique(owners.astype(str), return_inverse=True)
    known = ~np.isnan(times)
    first = np.full(len(codes), np.inf)
    last = np.full(len(codes), -np.inf)
    np.minimum.at(first, inverse[known], times[known])
    np.maximum.at(last, inverse[known], times[known])
    span_days = (last - first) / SECONDS_PER_DAY  # -inf where an owner has no known time
    return span_days[inverse] > local_days


def locals_by_share(owners, times, inside, share: float = 0.5) -> np.ndarray:
    """True for photos whose owner spent at least `share` of their photo days inside the area
    (`inside`: per photo, whether it lies in the area). The alternative to the span rule when the
    layer also holds the owners' photos from elsewhere."""
    owners = np.asarray(owners, dtype=object).astype(str)
    times = np.asarray(times, dtype=float)
    inside = np.asarray(inside, dtype=bool)
    known = ~np.isnan(times)
    days = np.floor(np.where(known, times, 0) / SECONDS_PER_DAY).astype(np.int64)
    codes, inverse = np.unique(owners, return_inverse=True)
    pairs = np.unique(np.column_stack([inverse[known], days[known], inside[known]]), axis=0)
    all_days = np.unique(pairs[:, :2], axis=0)
    total = np.bincount(all_days[:, 0], minlength=len(codes)).astype(float)
    in_area = np.bincount(pairs[pairs[:, 2] == 1][:, 0], minlength=len(codes)).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(total > 0, in_area / total, 0.0)
    return ratio[inverse] >= share


def audience_mask(owners, times, audience: str, local_days: float = LOCAL_DAYS) -> np.ndarray:
    """Which photos belong to the audience: all, locals or tourists."""
    if audience not in AUDIENCES:
        raise WeightingError(f"Unknown audience {audience!r}; use one of {', '.join(AUDIENCES)}.")
    if audience == "all":
        return np.ones(len(owners), dtype=bool)
    local = locals_mask(owners, times, local_days)
    return local if audience == "locals" else ~local


def place_keys(xs, ys, cell: float):
    """Integer (column, row) of the square place cell of side `cell` holding each point."""
    if not cell > 0:
        raise WeightingError("The place size must be greater than 0.")
    return np.floor(np.asarray(xs) / cell).astype(np.int64), np.floor(np.asarray(ys) / cell).astype(np.int64)


def bias_weights(owners, times, xs, ys, cell: float, weighting: str) -> np.ndarray:
    """Weight per photo so each counted unit (photo, photo-user-day or owner per place) adds 1.

    Photos without an owner, or without a time under photo-user-days, get weight 0."""
    count = len(xs)
    if weighting not in WEIGHTINGS:
        raise WeightingError(f"Unknown weighting {weighting!r}; use one of {', '.join(WEIGHTINGS)}.")
    if weighting == "photos":
        return np.ones(count)
    owners = np.asarray(["" if o is None else str(o) for o in owners], dtype=object)
    times = np.asarray(times, dtype=float)
    usable = owners != ""
    if weighting == "photo-user-days":
        usable &= ~np.isnan(times)
    columns, rows = place_keys(xs, ys, cell)
    owner_codes = np.unique(owners, return_inverse=True)[1]
    keys = [owner_codes, columns, rows]
    if weighting == "photo-user-days":
        keys.append(np.floor(np.nan_to_num(times) / SECONDS_PER_DAY).astype(np.int64))
    stacked = np.stack(keys, axis=1)[usable]
    weights = np.zeros(count)
    if len(stacked):
        _, group, sizes = np.unique(stacked, axis=0, return_inverse=True, return_counts=True)
        weights[usable] = 1.0 / sizes[group.ravel()]
    return weights
