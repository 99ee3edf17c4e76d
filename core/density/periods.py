"""Calendar periods for heat-map time series: month, season or year. QGIS-free.

Seasons are meteorological: winter is December to February and is named after
the year of its January (December 2018 belongs to "2019 winter")."""

import datetime
import math
from typing import List, NamedTuple

PERIODS = ("month", "season", "year")
SEASONS = ((12, "winter"), (3, "spring"), (6, "summer"), (9, "autumn"))  # first month of each


class Period(NamedTuple):
    label: str  # sorts in time order
    start: datetime.datetime
    end: datetime.datetime  # exclusive


def _month_start(year: int, month: int) -> datetime.datetime:
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return datetime.datetime(year, month, 1)


def period_of(when: datetime.datetime, period: str) -> Period:
    if period == "year":
        return Period(f"{when.year}", datetime.datetime(when.year, 1, 1), datetime.datetime(when.year + 1, 1, 1))
    if period == "month":
        start = _month_start(when.year, when.month)
        return Period(f"{when.year}-{when.month:02d}", start, _month_start(when.year, when.month + 1))
    if period == "season":
        index = (when.month % 12) // 3  # Dec, Jan, Feb -> 0; Mar-May -> 1; ...
        first_month, name = SEASONS[index]
        start_year = when.year - 1 if when.month in (1, 2) else when.year  # winter began last December
        start = _month_start(start_year, first_month)
        label_year = start_year + 1 if index == 0 else start_year
        return Period(f"{label_year}-{index + 1} {name}", start, _month_start(start_year, first_month + 3))
    raise ValueError(f"Unknown period {period!r}; use one of {', '.join(PERIODS)}.")


def periods_of(seconds, period: str) -> List[Period]:
    """The period of each time (seconds since the epoch, read as UTC); None where the time is unknown."""
    epoch = datetime.datetime(1970, 1, 1)
    return [
        None
        if s is None or (isinstance(s, float) and math.isnan(s))
        else period_of(epoch + datetime.timedelta(seconds=float(s)), period)
        for s in seconds
    ]
