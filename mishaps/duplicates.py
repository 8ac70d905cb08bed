"""One event under two ids: cases that share a day and an aircraft family (issue 11, item 7).

Two cases are suspected duplicates when an aircraft family (mishaps.mds.family: KC-135R and
KC-135T are both KC-135) appears in both, and their dates can only mean the same day: both are
the same exact day, or one is an exact day inside the other's month or year. Two dates known
only to the month or year are never paired: a month holds many mishaps of one family, and
flagging them all would bury a real duplicate.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from mishaps import mds
from mishaps.schema import date_period

if TYPE_CHECKING:
    from sqlmodel import Session

    from mishaps.schema import Case


@dataclass(frozen=True)
class Entry:
    id: str
    start: date
    end: date
    families: frozenset[str]


@dataclass(frozen=True)
class Suspect:
    """Two ids that may be one event: the first is the one being checked (new), the second
    the one it resembles."""

    first: str
    second: str
    family: str
    day: date

    def __str__(self) -> str:
        return (
            f"{self.first} may be the same event as {self.second}"
            f" ({self.family} on {self.day.isoformat()})"
        )


def entry(case: Case) -> Entry:
    start, end = date_period(case.occurred_on)
    return Entry(case.id, start, end, frozenset(mds.family(a.type) for a in case.aircraft))


def stored_entries(session: Session) -> list[Entry]:
    """Every stored case's id, period and aircraft families, in one query."""
    from sqlalchemy import select

    from mishaps.models import Aircraft, Mishap

    rows = session.execute(
        select(Mishap.id, Mishap.date_start, Mishap.date_end, Aircraft.family).join(
            Aircraft, Aircraft.mishap_pk == Mishap.pk
        )
    )
    found: dict[str, tuple[str, str, set[str]]] = {}
    for mid, start, end, family in rows:
        found.setdefault(mid, (start, end, set()))[2].add(family)
    return [
        Entry(mid, date.fromisoformat(s), date.fromisoformat(e), frozenset(f))
        for mid, (s, e, f) in found.items()
    ]


def suspects(new: Sequence[Entry], existing: Iterable[Entry] = ()) -> list[Suspect]:
    """Pairs of ``new`` with each other and with ``existing`` (never two ``existing``; never a
    case with itself, so replacing a case by its id is no duplicate)."""
    new_ids = {e.id for e in new}
    pool = [*new, *(e for e in existing if e.id not in new_ids)]
    exact: dict[tuple[str, date], list[Entry]] = defaultdict(list)
    for e in pool:
        if e.start == e.end:
            for family in e.families:
                exact[(family, e.start)].append(e)
    found: dict[tuple[str, str], Suspect] = {}
    order = {e.id: i for i, e in enumerate(pool)}
    for e in new:
        for family in sorted(e.families):
            if e.start == e.end:
                days = [e.start]
            else:  # a month or year: only exact days inside it can pair with it
                days = sorted(d for (f, d) in exact if f == family and e.start <= d <= e.end)
            for day in days:
                for other in exact.get((family, day), []):
                    if other.id == e.id:
                        continue
                    key = tuple(sorted((e.id, other.id), key=lambda i: order[i]))
                    if key not in found:
                        found[key] = Suspect(e.id, other.id, family, day)  # type: ignore[index]
    return sorted(found.values(), key=lambda s: (s.day, s.first, s.second))


def in_database(session: Session) -> list[Suspect]:
    """Every suspected pair among the stored cases."""
    entries = stored_entries(session)
    return suspects(entries)
