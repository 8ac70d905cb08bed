"""Reference taxonomies shipped as data with their provenance: CICTT, DoD HFACS 8.0 and the
project's air refueling mechanisms."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from mishaps.config import data_dir

# A code or the start of one: tier letter, category letter, up to three digits.
HFACS_PREFIX = re.compile(r"[AOPS][A-Z]?\d{0,3}")


@dataclass(frozen=True)
class CicttCategory:
    code: str
    name: str
    definition: str | None
    definition_source: str | None
    confirmed: bool
    note: str | None


@dataclass(frozen=True)
class HfacsCode:
    code: str
    title: str
    tier: str  # tier name, e.g. "Unsafe Acts"
    category: str  # category code, e.g. "AE100"; a category's own row has category == code
    confirmed: bool
    note: str | None


@dataclass(frozen=True)
class Mechanism:
    code: str
    name: str
    definition: str
    example: str | None


# libyaml's loader when PyYAML was built with it: the same safe schema, ~10x faster, and these
# files are read by every command that validates or reports on a case.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_document(name: str) -> dict[str, Any]:
    """A reference data file of ``mishaps/data``, parsed once."""
    return _load(name)


@cache
def _load(name: str) -> dict[str, Any]:
    with (data_dir() / name).open(encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.load(fh, Loader=SAFE_LOADER)
    return data


def cictt_document() -> dict[str, Any]:
    return _load("cictt.yaml")


def hfacs_document() -> dict[str, Any]:
    return _load("hfacs.yaml")


def mechanisms_document() -> dict[str, Any]:
    return _load("mechanisms.yaml")


@cache
def mechanisms() -> tuple[Mechanism, ...]:
    """The air refueling mechanism codes, in the order the data file lists them."""
    return tuple(
        Mechanism(m["code"], m["name"], m["definition"].strip(), m.get("example"))
        for m in mechanisms_document()["mechanisms"]
    )


def mechanism_name(code: str) -> str | None:
    return next((m.name for m in mechanisms() if m.code == code), None)


@cache
def cictt() -> tuple[CicttCategory, ...]:
    return tuple(
        CicttCategory(
            code=c["code"],
            name=c["name"],
            definition=c.get("definition"),
            definition_source=c.get("definition_source"),
            confirmed=bool(c.get("confirmed")),
            note=c.get("note"),
        )
        for c in cictt_document()["categories"]
    )


@cache
def hfacs() -> tuple[HfacsCode, ...]:
    out: list[HfacsCode] = []
    for tier in hfacs_document()["tiers"]:
        for cat in tier["categories"]:
            confirmed = bool(cat.get("confirmed"))
            out.append(
                HfacsCode(
                    cat["code"], cat["name"], tier["name"], cat["code"], confirmed, cat.get("note")
                )
            )
            for nano in cat["nanocodes"]:
                out.append(
                    HfacsCode(
                        nano["code"],
                        nano["title"],
                        tier["name"],
                        cat["code"],
                        bool(nano.get("confirmed", confirmed)),
                        nano.get("note"),
                    )
                )
    return tuple(out)


def cictt_name(code: str) -> str | None:
    return next((c.name for c in cictt() if c.code == code), None)


def hfacs_title(code: str) -> str | None:
    return next((h.title for h in hfacs() if h.code == code), None)


def hfacs_match_prefix(value: str) -> str:
    """The code prefix a ``--hfacs`` value selects: a category code (PC100, AD000) stands for
    the category's own code and all its nanocodes (PC1, AD); anything else is a prefix as given."""
    value = value.strip().upper()
    if any(h.code == value and h.category == value for h in hfacs()):
        return value.rstrip("0")
    return value


def _matches(search: str | None, *texts: str | None) -> bool:
    if search is None:
        return True
    needle = search.casefold()
    return any(needle in t.casefold() for t in texts if t)


def find_cictt(search: str | None = None) -> list[CicttCategory]:
    """CICTT categories whose code, name or definition contains ``search`` (any case)."""
    return [c for c in cictt() if _matches(search, c.code, c.name, c.definition)]


def find_mechanisms(search: str | None = None) -> list[Mechanism]:
    """Mechanisms whose code, name, definition or example contains ``search`` (any case)."""
    return [m for m in mechanisms() if _matches(search, m.code, m.name, m.definition, m.example)]


def find_hfacs(search: str | None = None) -> list[HfacsCode]:
    """HFACS entries whose code, title, category or tier contains ``search`` (any case)."""
    categories = {h.code: h.title for h in hfacs() if h.code == h.category}
    return [
        h
        for h in hfacs()
        if _matches(search, h.code, h.title, h.category, categories.get(h.category), h.tier)
    ]
