"""Which nation's service operated a case: ``data/nations.yaml`` read once, matched by name.

A case's ``service`` may name several services separated by "/" ("USAF/USN", "RAF / USAF"); each
is looked up in any case, without a trailing parenthesis ("USAF (New Hampshire Air National
Guard)" is USAF). Pure: no database imports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

UNKNOWN = "unknown"
NO_NATION = "none (not a national service)"

_PAREN = re.compile(r"\s*\([^()]*\)\s*$")


def service_parts(service: str) -> list[str]:
    """The services a ``service`` field names, each without its trailing parenthesis."""
    parts = [_PAREN.sub("", p).strip() for p in service.split("/")]
    return [p for p in parts if p]


def service_key(name: str) -> str:
    """How a service is compared: without its trailing parenthesis, spaces collapsed, casefolded
    ("usaf  (1st Wing)" and "USAF" are one service)."""
    return " ".join(_PAREN.sub("", name).split()).casefold()


def service_keys(service: str) -> list[tuple[str, str]]:
    """(part as written, its key) for each service a ``service`` field names, each key once."""
    found: dict[str, str] = {}
    for part in service_parts(service):
        found.setdefault(service_key(part), part)
    return [(part, key) for key, part in found.items()]


@dataclass(frozen=True)
class Nations:
    """The nations a service field names, and the parts this table does not know."""

    codes: tuple[str, ...]  # ISO 3166-1 alpha-2, in the order named, each once
    unmapped: tuple[str, ...]
    no_nation: bool  # a part names an operator that is no nation's service


@cache
def document() -> dict[str, Any]:
    from mishaps.taxonomy import load_document

    return load_document("nations.yaml")


@cache
def _table() -> dict[str, str | None]:
    table: dict[str, str | None] = {}
    for entry in document()["services"]:
        for name in [entry["service"], *entry.get("names", [])]:
            table[service_key(name)] = entry["nation"]
    return table


def nations_of(service: str) -> Nations:
    table = _table()
    codes: list[str] = []
    unmapped: list[str] = []
    no_nation = False
    for part in service_parts(service):
        key = service_key(part)
        if key not in table:
            unmapped.append(part)
            continue
        code = table[key]
        if code is None:
            no_nation = True
        elif code not in codes:
            codes.append(code)
    return Nations(tuple(codes), tuple(unmapped), no_nation)


def nation_name(code: str) -> str | None:
    """The name people read for a nation's ISO code (``GB`` -> ``United Kingdom``)."""
    names: dict[str, str] = document().get("names") or {}
    return names.get(code)


def nation_keys(service: str) -> list[str]:
    """What `stats --by nation` counts a case under: its nations' codes; ``unknown`` for a part
    the table does not know; ``none ...`` when every part is a known non-national operator."""
    found = nations_of(service)
    keys = list(found.codes)
    if found.unmapped:
        keys.append(UNKNOWN)
    if not keys:
        keys.append(NO_NATION if found.no_nation else UNKNOWN)
    return keys
