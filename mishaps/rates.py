"""Mishap rates per 100,000 flight hours, with exact Poisson confidence intervals.

Exposure (flight hours by aircraft type and fiscal year) is the user's own data, read from a CSV
file (docs/rates.md); the tool ships none. A mishap counts against an exposure row when one of
its aircraft matches the row's type (as ``--aircraft`` matches) and its fiscal year is the row's.
Mishaps whose fiscal year is unknown (a partial date spanning two) are counted apart, never
guessed into one.

The interval is the exact (Garwood) one: for ``k`` events the lower limit is the mean whose
P(X >= k) is 2.5 %, the upper the mean whose P(X <= k) is 2.5 %. It is found by bisection on
the Poisson distribution function (through ``math.lgamma``), so scipy is not needed.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mishaps.errors import InvalidInput, Problem

if TYPE_CHECKING:
    from sqlmodel import Session

    from mishaps.filters import Filters

PER_HOURS = 100_000
CONFIDENCE = 0.95
SMALL_COUNT = 5  # below this many events a rate is flagged as unstable
REQUIRED = ("aircraft", "fiscal_year", "flight_hours")
OPTIONAL = ("source", "note")
MAX_BYTES = 16 * 1024 * 1024
BY = ("fy", "aircraft")


# The arithmetic.


def poisson_cdf(k: int, mean: float) -> float:
    """P(X <= k) for X ~ Poisson(mean)."""
    if k < 0:
        return 0.0
    if mean <= 0:
        return 1.0
    log_mean = math.log(mean)
    return min(
        1.0, math.fsum(math.exp(i * log_mean - mean - math.lgamma(i + 1)) for i in range(k + 1))
    )


def _solve(k: int, target: float) -> float:
    """The mean at which P(X <= k) == target (P falls as the mean grows)."""
    low, high = 0.0, float(k + 1)
    while poisson_cdf(k, high) > target:
        high *= 2
    for _ in range(200):
        mid = (low + high) / 2
        if poisson_cdf(k, mid) > target:
            low = mid
        else:
            high = mid
        if high - low <= 1e-12 * high:
            break
    return (low + high) / 2


def poisson_interval(count: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Exact (Garwood) two-sided interval for the mean of a Poisson count."""
    if count < 0:
        raise ValueError("a count cannot be negative")
    tail = (1 - confidence) / 2
    lower = 0.0 if count == 0 else _solve(count - 1, 1 - tail)
    return lower, _solve(count, tail)


def per_hours(events: float, hours: float) -> float:
    return events / hours * PER_HOURS


# The exposure file.


@dataclass(frozen=True)
class Exposure:
    aircraft: str
    fiscal_year: int
    flight_hours: float
    line: int
    file: str = ""


def _fiscal_year(text: str) -> int:
    value = text.strip().upper().removeprefix("FY")
    if not value.isdigit() or len(value) != 4:
        raise ValueError(f"{text!r} is not a fiscal year such as 2023 or FY2023")
    return int(value)


def _hours(text: str) -> float:
    try:
        value = float(text.strip().replace(",", "").replace("_", ""))
    except ValueError:
        raise ValueError(f"{text!r} is not a number of hours") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"must be more than 0, got {text.strip()!r}")
    return value


def read_exposure(path: Path) -> list[Exposure]:
    """Read and check an exposure CSV; every problem is reported at once (InvalidInput)."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput([Problem(name, f"cannot read: {exc.strerror or exc}")]) from None
    if len(raw) > MAX_BYTES:
        raise InvalidInput([Problem(name, f"is larger than {MAX_BYTES // (1024 * 1024)} MiB")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            [
                Problem(
                    name, f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
                )
            ]
        ) from None
    numbered = [
        (n, line)
        for n, line in enumerate(text.splitlines(), 1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not numbered:
        raise InvalidInput([Problem(name, "has no header row (aircraft,fiscal_year,flight_hours)")])
    rows = list(csv.reader(io.StringIO("\n".join(line for _, line in numbered))))
    header = [h.strip().lower() for h in rows[0]]
    header_line = numbered[0][0]
    problems = [
        Problem(name, f"the header lacks the column {c!r}", line=header_line)
        for c in REQUIRED
        if c not in header
    ]
    problems += [
        Problem(
            name,
            f"unknown column {c!r}; the columns are {', '.join(REQUIRED + OPTIONAL)}",
            line=header_line,
        )
        for c in header
        if c not in REQUIRED + OPTIONAL
    ]
    if problems:
        raise InvalidInput(problems)
    out: list[Exposure] = []
    seen: dict[tuple[str, int], int] = {}
    for (line, _), row in zip(numbered[1:], rows[1:], strict=True):
        if len(row) != len(header):
            problems.append(
                Problem(name, f"has {len(row)} fields, the header {len(header)}", line=line)
            )
            continue
        cells = dict(zip(header, row, strict=True))
        aircraft = cells["aircraft"].strip()
        if not aircraft:
            problems.append(Problem(name, "must not be empty", line=line, field="aircraft"))
        parsed: dict[str, Any] = {}
        for column, parse in (("fiscal_year", _fiscal_year), ("flight_hours", _hours)):
            try:
                parsed[column] = parse(cells[column])
            except ValueError as exc:
                problems.append(Problem(name, str(exc), line=line, field=column))
        if not aircraft or len(parsed) != 2:
            continue
        key = (aircraft.casefold(), parsed["fiscal_year"])
        if key in seen:
            problems.append(
                Problem(name, f"{aircraft} FY{key[1]} is already on line {seen[key]}", line=line)
            )
            continue
        seen[key] = line
        out.append(Exposure(aircraft, parsed["fiscal_year"], parsed["flight_hours"], line, name))
    if problems:
        raise InvalidInput(problems)
    if not out:
        raise InvalidInput([Problem(name, "has a header but no rows of flight hours")])
    return out


# Rates.


@dataclass(frozen=True)
class RateRow:
    key: str  # fiscal year (2023) or aircraft type as the exposure file names it
    mishaps: int
    flight_hours: float
    rate: float  # per 100,000 flight hours
    ci_low: float
    ci_high: float
    small_count: bool

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Rates:
    by: str
    rows: list[RateRow]
    unknown_fy: list[str]  # ids of matching mishaps whose fiscal year is unknown, not counted
    note: str | None


def rate_row(key: str, count: int, hours: float) -> RateRow:
    low, high = poisson_interval(count)
    return RateRow(
        key,
        count,
        hours,
        per_hours(count, hours),
        per_hours(low, hours),
        per_hours(high, hours),
        count < SMALL_COUNT,
    )


@dataclass(frozen=True)
class Match:
    """A mishap that involves an exposure row's aircraft type."""

    id: str
    fiscal_year: int | None
    first_fy: int  # fiscal years its (possibly partial) date touches
    last_fy: int


def rates(exposure: Sequence[Exposure], matches: dict[str, list[Match]], *, by: str) -> Rates:
    """Group counts and hours by fiscal year or aircraft; ``matches`` maps each exposure
    aircraft to the mishaps (already filtered) that involve it."""
    if by not in BY:
        raise ValueError(f"cannot group rates by {by!r}")
    keys: dict[str, tuple[float, set[str]]] = {}
    unknown: set[str] = set()
    for row in exposure:
        key = str(row.fiscal_year) if by == "fy" else row.aircraft
        hours, ids = keys.setdefault(key, (0.0, set()))
        hit = {m.id for m in matches[row.aircraft] if m.fiscal_year == row.fiscal_year}
        keys[key] = (hours + row.flight_hours, ids | hit)
        unknown |= {
            m.id
            for m in matches[row.aircraft]
            if m.fiscal_year is None and m.first_fy <= row.fiscal_year <= m.last_fy
        }
    rows = [rate_row(k, len(ids), hours) for k, (hours, ids) in keys.items()]
    if by == "fy":
        rows.sort(key=lambda r: r.key)
    note = (
        "a mishap involving several of the listed aircraft types counts under each"
        if by == "aircraft"
        else None
    )
    return Rates(by=by, rows=rows, unknown_fy=sorted(unknown), note=note)


def fiscal_year_bounds(fiscal_year: int) -> tuple[date, date]:
    """US federal fiscal year: FY2023 is 1 Oct 2022 to 30 Sep 2023."""
    return date(fiscal_year - 1, 10, 1), date(fiscal_year, 9, 30)


def select_exposure(exposure: Sequence[Exposure], filters: Filters) -> list[Exposure]:
    """The rows whose hours the filters select, exactly as they select mishaps.

    ``--fy``, ``--since`` and ``--until`` keep the fiscal years they cover, ``--aircraft`` the
    types it matches. A filter that would need part of a row (``--since`` inside a fiscal year,
    ``--aircraft KC-135R`` over hours of every KC-135) is refused: hours cannot be split. The
    other filters narrow the mishaps only: a rate of class A mishaps is per all flight hours.
    """
    from mishaps import mds
    from mishaps.errors import MishapsError
    from mishaps.schema import date_period

    since = date_period(filters.since)[0] if filters.since else None
    until = date_period(filters.until)[1] if filters.until else None
    kept = []
    for row in exposure:
        start, end = fiscal_year_bounds(row.fiscal_year)
        if filters.fiscal_year is not None and row.fiscal_year != filters.fiscal_year:
            continue
        if (since and end < since) or (until and start > until):
            continue
        for option, day, shown in (
            ("--since", since, filters.since),
            ("--until", until, filters.until),
        ):
            inside = day is not None and (
                start < day <= end if option == "--since" else start <= day < end
            )
            if inside:
                edge = (
                    "start the period on 1 October"
                    if option == "--since"
                    else "end it on 30 September"
                )
                raise MishapsError(
                    f"{option} {shown} falls inside FY{row.fiscal_year} ({start} to {end}), and"
                    f" flight hours are per fiscal year: {edge}, or use --fy"
                )
        if filters.aircraft is not None and not mds.matches(filters.aircraft, row.aircraft):
            if mds.matches(row.aircraft, filters.aircraft):
                raise MishapsError(
                    f"{row.file}:{row.line}: the hours of {row.aircraft} include aircraft that"
                    f" --aircraft {filters.aircraft} leaves out; give hours for"
                    f" {filters.aircraft} alone"
                )
            continue
        kept.append(row)
    if not kept and exposure:
        what = f"--aircraft {filters.aircraft}" if filters.aircraft else "these filters"
        raise MishapsError(f"{exposure[0].file} has no flight hours for {what}")
    return kept


def compute(*, session: Session, filters: Filters, exposure: Sequence[Exposure], by: str) -> Rates:
    """Rates of the mishaps matching ``filters`` over the flight hours in ``exposure`` that
    the same filters select (``select_exposure``)."""
    from mishaps.classes import fiscal_year_of
    from mishaps.queries import with_aircraft

    exposure = select_exposure(exposure, filters)

    matches: dict[str, list[Match]] = {}
    for aircraft in dict.fromkeys(row.aircraft for row in exposure):
        matches[aircraft] = [
            Match(
                mid,
                fy,
                fiscal_year_of(date.fromisoformat(start)),
                fiscal_year_of(date.fromisoformat(end)),
            )
            for mid, fy, start, end in with_aircraft(
                session=session, filters=filters, aircraft=aircraft
            )
        ]
    return rates(exposure, matches, by=by)
