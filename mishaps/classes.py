"""DoD mishap classes by era, and US federal fiscal years.

The threshold tables are data (``data/mishap_classes.yaml``, with their sources and effective
dates); this module only applies them. A case is classed against the table in force on its date:

- any fatality, or any destroyed aircraft, makes Class A in every era;
- otherwise the damage figure is compared with that era's floors (A, then B, ...);
- with no damage figure (and no fatality or destroyed aircraft) the class is unknown, never E.

A partial date (``YYYY-MM`` or ``YYYY``) whose period straddles an era boundary gets a class
only when every era it touches gives the same one. Injury counts alone never derive a class: the
classes turn on the injury's severity (disability, hospitalisation, lost time), which the
interchange format does not record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

import yaml

from mishaps import text
from mishaps.config import data_dir
from mishaps.schema import Case, date_period
from mishaps.taxonomy import SAFE_LOADER
from mishaps.vocab import Damage

CLASSES = ("A", "B", "C", "D", "E")
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Era:
    """One threshold table and the dates it was in force (both inclusive; None = open)."""

    name: str
    effective_from: date | None
    effective_to: date | None
    floors: tuple[tuple[str, int], ...]  # (class, minimum direct cost in USD), A first
    only_for_services: dict[str, frozenset[str]]  # class -> services that use it
    confirmed: bool

    def contains(self, day: date) -> bool:
        return (self.effective_from is None or day >= self.effective_from) and (
            self.effective_to is None or day <= self.effective_to
        )

    def floor(self, mishap_class: str) -> int | None:
        return dict(self.floors).get(mishap_class)


@dataclass(frozen=True)
class Derivation:
    """The class the rules give a case: ``mishap_class`` None means unknown."""

    mishap_class: str | None
    era: str | None  # name of the table used; None when none (or several that disagree)
    reason: str


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


@cache
def eras() -> tuple[Era, ...]:
    """The threshold tables, oldest first, as loaded from ``data/mishap_classes.yaml``."""
    with (data_dir() / "mishap_classes.yaml").open(encoding="utf-8") as fh:
        doc = yaml.load(fh, Loader=SAFE_LOADER)  # libyaml: 0.5 ms, not 4.4
    out = []
    for e in doc["eras"]:
        thresholds = e["thresholds_usd"]
        floors = tuple((c, int(thresholds[c])) for c in CLASSES if thresholds.get(c) is not None)
        services = {c: frozenset(s) for c, s in (e.get("only_for_services") or {}).items()}
        out.append(
            Era(
                e["name"],
                _day(e["effective_from"]),
                _day(e["effective_to"]),
                floors,
                services,
                bool(e.get("confirmed")),
            )
        )
    return tuple(out)


def era_on(day: date) -> Era:
    return next(e for e in eras() if e.contains(day))


def _eras_between(start: date, end: date) -> list[Era]:
    return [
        e
        for e in eras()
        if (e.effective_from is None or e.effective_from <= end)
        and (e.effective_to is None or e.effective_to >= start)
    ]


def _money(value: float) -> str:
    return f"${value:,.2f}" if value % 1 else f"${int(value):,}"


def _services(service: str) -> set[str]:
    """The services a case names, read as --service reads them (a trailing parenthesis is a
    detail: "USN (VX-20)" is USN); a comma separates them too."""
    from mishaps.nations import service_parts

    return {s.upper() for s in service_parts(service.replace(",", "/"))}


def _by_damage(era: Era, damage: float, service: str) -> tuple[str | None, str]:
    """The class ``damage`` falls in under ``era``, and why."""
    for mishap_class, floor in era.floors:
        if damage >= floor:
            users = era.only_for_services.get(mishap_class)
            if users is not None and not users & _services(service):
                return None, (
                    f"{_money(damage)} of damage is below every class floor for {service}"
                    f" (Class {mishap_class} from {_money(floor)} is"
                    f" {'/'.join(sorted(users))} usage only)"
                    f" in the {era.name} table"
                )
            return mishap_class, (
                f"{_money(damage)} of damage is at least the Class {mishap_class} floor of"
                f" {_money(floor)} in the {era.name} table"
            )
    lowest = era.floors[-1] if era.floors else None
    below = f" (Class {lowest[0]} from {_money(lowest[1])})" if lowest else ""
    return (
        None,
        f"{_money(damage)} of damage is below every class floor{below} in the {era.name} table",
    )


def derive(case: Case) -> Derivation:
    """The class the era rules give ``case`` from its damage, fatalities and aircraft."""
    return derive_from(
        occurred_on=case.occurred_on,
        damage_usd=case.damage_usd,
        service=case.service,
        fatal=(case.fatalities or 0) > 0 or any((a.fatalities or 0) > 0 for a in case.aircraft),
        destroyed=any(a.damage == Damage.destroyed for a in case.aircraft),
    )


def derive_from(
    *, occurred_on: str, damage_usd: float | None, service: str, fatal: bool, destroyed: bool
) -> Derivation:
    """``derive`` on the facts it uses, for callers that hold rows rather than a ``Case``."""
    start, end = date_period(occurred_on)
    touched = _eras_between(start, end)
    era_name = touched[0].name if len(touched) == 1 else None
    if fatal or destroyed:
        why = " and ".join(
            x for x, on in (("a fatality", fatal), ("a destroyed aircraft", destroyed)) if on
        )
        verb = "make" if fatal and destroyed else "makes"
        return Derivation("A", era_name, f"{why} {verb} Class A in every era")
    if damage_usd is None:
        return Derivation(
            None, era_name, "no damage figure, no fatality and no destroyed aircraft: class unknown"
        )
    results = [(e, *_by_damage(e, damage_usd, service)) for e in touched]
    if len(results) == 1:
        e, mishap_class, reason = results[0]
        return Derivation(mishap_class, e.name, f"{reason} (in force on {occurred_on})")
    given = {c for _, c, _ in results}
    names = " and ".join(f"{e.name} ({c or UNKNOWN})" for e, c, _ in results)
    if len(given) == 1 and None not in given:
        mishap_class = given.pop()
        return Derivation(
            mishap_class,
            None,
            f"{occurred_on} spans the {names} tables, which agree for"
            f" {_money(damage_usd)} of damage",
        )
    return Derivation(
        None,
        None,
        f"{occurred_on} spans the {names} tables, which disagree for"
        f" {_money(damage_usd)} of damage: class unknown",
    )


label = text.class_label  # ``A``, ``A (derived)`` or ``unknown``


def class_label(case: Case) -> str:
    """How a case's class is shown everywhere: ``A``, ``A (derived)`` or ``unknown``."""
    stated = case.mishap_class.value if case.mishap_class else None
    return label(stated, None if stated else derive(case).mishap_class)


def disagreement(case: Case) -> str | None:
    """Words for a stated class the rules contradict (the stated class is kept), else None."""
    if case.mishap_class is None:
        return None
    d = derive(case)
    if d.mishap_class is None or d.mishap_class == case.mishap_class.value:
        return None
    return (
        f"stated Class {case.mishap_class.value} disagrees with the derived Class"
        f" {d.mishap_class} ({d.reason}); the stated class is kept"
    )


def fiscal_year_of(day: date) -> int:
    """The US federal fiscal year of a day: FY2023 runs 1 Oct 2022 to 30 Sep 2023."""
    return day.year + 1 if day.month >= 10 else day.year


def fiscal_year(occurred_on: str) -> int | None:
    """The fiscal year of a (possibly partial) date; None when its period spans two."""
    start, end = date_period(occurred_on)
    first, last = fiscal_year_of(start), fiscal_year_of(end)
    return first if first == last else None


def fiscal_year_label(fy: int | None) -> str:
    return UNKNOWN if fy is None else f"FY{fy}"
