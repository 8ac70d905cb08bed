"""Partial dates (YYYY-MM-DD, YYYY-MM, YYYY) as the periods they cover. Pure: no heavy imports,
so filters can check a date before anything opens a database."""

from __future__ import annotations

import calendar
import re
from datetime import date

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def date_period(value: str) -> tuple[date, date]:
    """The first and last day a ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` date covers."""
    m = _DATE.match(value)
    if m is None:
        raise ValueError(f"{value!r} is not a date of the form YYYY-MM-DD, YYYY-MM or YYYY")
    year, month, day = int(m[1]), m[2], m[3]
    if year < 1900:
        raise ValueError(f"{value!r} is before 1900")
    if month is None:
        return date(year, 1, 1), date(year, 12, 31)
    if not 1 <= int(month) <= 12:
        raise ValueError(f"{value!r} has no month {month}")
    last = calendar.monthrange(year, int(month))[1]
    if day is None:
        return date(year, int(month), 1), date(year, int(month), last)
    if not 1 <= int(day) <= last:
        raise ValueError(
            f"{value!r} is not a calendar date"
            f" ({calendar.month_name[int(month)]} {year} has {last} days)"
        )
    d = date(year, int(month), int(day))
    return d, d
