"""The filters every query command shares, as one value that checks itself when it is made.

A bad value (``--fy 23``, ``--since 2023-13``, ``--hfacs XY9``) is refused here, with the
option's name, before anything reaches SQL: the command line and the library cannot disagree.
Pure: no database imports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from enum import Enum
from typing import Any

from mishaps.dates import date_period
from mishaps.errors import InvalidFilter
from mishaps.vocab import Method, MishapClass, Phase, Role, Status

# The command-line spelling of a field where it is not --<field>.
OPTION_NAMES = {"mishap_class": "class", "fiscal_year": "fy"}
# Names a library caller may use for a field: db.stats(fy=2023), db.cases(**{"class": "A"}).
ALIASES = {"fy": "fiscal_year", "class": "mishap_class", "class_": "mishap_class"}
_CHOICES: dict[str, type[Enum]] = {
    "role": Role,
    "mishap_class": MishapClass,
    "method": Method,
    "phase": Phase,
    "status": Status,
}
# The largest LIMIT both SQLite and PostgreSQL take (a signed 64-bit integer); a larger one
# means "all", as it would on any real database.
MAX_LIMIT = 2**63 - 1
# No case holds these: NUL (which PostgreSQL text cannot hold at all) and lone surrogates (which
# are not text, and cannot be encoded to be sent to either database).
_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")
_CATEGORY = re.compile(r"[A-Z][A-Z]*(?:-[A-Z]*)*")
_WORD = re.compile(r"\w", re.UNICODE)


def option_name(field: str) -> str:
    return "--" + OPTION_NAMES.get(field, field).replace("_", "-")


@dataclass(frozen=True)
class Filters:
    """What `list`, `export`, `stats`, `rates` and the reports select. None means "any".

    Values are normalised when the filters are made (codes upper-cased, choices as their
    strings, a fiscal year as an int) and a bad one raises ``InvalidFilter``.
    """

    aircraft: str | None = None
    role: str | None = None
    cause: str | None = None
    category: str | None = None
    hfacs: str | None = None
    mishap_class: str | None = None
    fiscal_year: int | None = None
    since: str | None = None
    until: str | None = None
    service: str | None = None
    method: str | None = None
    phase: str | None = None
    mechanism: str | None = None
    status: str | None = None
    series: str | None = None
    search: str | None = None
    limit: int | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                object.__setattr__(self, f.name, _check(f.name, value))
        if self.since and self.until and date_period(self.since)[0] > date_period(self.until)[1]:
            raise InvalidFilter("until", f"{self.until} is before --since {self.since}")

    @classmethod
    def of(cls, filters: Filters | None = None, /, **values: Any) -> Filters:
        """Filters from keyword values (``fy=2023``, ``role="tanker"``), or ``filters`` as given.

        Both at once is an error: which would win is not obvious.
        """
        if filters is not None:
            if values:
                raise TypeError("give a Filters value or keyword filters, not both")
            return filters
        known = {f.name for f in fields(cls)}
        clean: dict[str, Any] = {}
        for name, value in values.items():
            field = ALIASES.get(name, name)
            if field not in known:
                raise TypeError(f"unknown filter {name!r}; filters are: {', '.join(sorted(known))}")
            clean[field] = value
        return cls(**clean)

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))

    def describe(self) -> list[tuple[str, str]]:
        """The filters in words, for report title pages: (label, value) pairs."""
        labels = {
            "aircraft": "Aircraft type",
            "role": "Aircraft role",
            "cause": "Cause mentions",
            "category": "Occurrence category",
            "hfacs": "HFACS code",
            "mishap_class": "Mishap class (stated, else derived)",
            "fiscal_year": "Fiscal year",
            "since": "On or after",
            "until": "On or before",
            "service": "Service",
            "method": "Air refueling method",
            "phase": "Air refueling phase",
            "mechanism": "Air refueling mechanism",
            "status": "Information status",
            "series": "Series",
            "search": "Full text",
            "limit": "At most",
        }
        return [
            (labels[f.name], f"FY{v}" if f.name == "fiscal_year" else str(v))
            for f in fields(self)
            if (v := getattr(self, f.name)) is not None
        ]

    def as_options(self) -> list[str]:
        """The filters as command-line options, in a stable order."""
        out: list[str] = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out += [option_name(f.name), str(value)]
        return out


def _check(name: str, value: Any) -> Any:
    """The value normalised, or InvalidFilter saying what is wrong with it."""
    if isinstance(value, Enum):
        value = value.value
    if name in _CHOICES:
        return _choice(name, value)
    if name == "fiscal_year":
        return _fiscal_year(value)
    if name == "limit":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidFilter(name, f"{value!r} is not a whole number of 1 or more")
        return min(value, MAX_LIMIT)
    if not isinstance(value, str):
        if name in ("since", "until") and isinstance(value, int):
            value = str(value)  # since=2000 reads as the year
        else:
            raise InvalidFilter(name, f"{value!r} is not text")
    if bad := _NOT_TEXT.search(value):
        raise InvalidFilter(
            name, f"holds the character U+{ord(bad.group()):04X}, which no case holds"
        )
    value = value.strip()
    if not value:
        raise InvalidFilter(name, "is empty")
    if name in ("since", "until"):
        try:
            date_period(value)
        except ValueError as exc:
            raise InvalidFilter(name, str(exc)) from None
    elif name == "hfacs":
        from mishaps.taxonomy import HFACS_PREFIX

        value = value.upper()
        if not HFACS_PREFIX.fullmatch(value):
            raise InvalidFilter(
                name, f"{value!r} is not a DoD HFACS code or prefix such as AE1, PC102 or SP"
            )
    elif name == "category":
        value = value.upper()
        if not _CATEGORY.fullmatch(value):
            raise InvalidFilter(
                name, f"{value!r} is not a CICTT occurrence category code such as LOC-I or SCF"
            )
    elif name == "mechanism":
        value = _mechanism(value)
    elif name == "service":
        from mishaps.nations import service_parts

        if not service_parts(value):
            raise InvalidFilter(name, f"{value!r} names no service, such as USAF or USAF/USN")
    elif name in ("search", "cause") and not _WORD.search(value):
        raise InvalidFilter(name, f"nothing to search for in {value!r}")
    return value


def _mechanism(value: str) -> str:
    import difflib

    from mishaps.schema import mechanism_codes

    value = value.lower()
    if value not in mechanism_codes():
        close = difflib.get_close_matches(value, mechanism_codes(), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise InvalidFilter(
            "mechanism",
            f"{value!r} is not an air refueling mechanism{hint}"
            " (list them with: mishaps taxonomy refueling)",
        )
    return value


def _choice(name: str, value: Any) -> str:
    enum = _CHOICES[name]
    text = str(value).strip()
    if name == "mishap_class":
        text = text.upper()
    allowed = [m.value for m in enum]
    if text not in allowed:
        raise InvalidFilter(name, f"{value!r} is not one of: {', '.join(allowed)}")
    return text


def _fiscal_year(value: Any) -> int:
    text = str(value).strip()
    if isinstance(value, bool) or not re.fullmatch(r"\d{4}", text) or int(text) < 1900:
        raise InvalidFilter(
            "fiscal_year",
            f"{value!r} is not a fiscal year: give all four digits, e.g. 2023"
            " (1 Oct 2022 to 30 Sep 2023)",
        )
    return int(text)
