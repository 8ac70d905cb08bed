"""Research queries (issue 13): airframes across cases, recommendations, series of cases."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from mishaps.errors import NotFound
from mishaps.filters import Filters
from mishaps.models import Aircraft, Finding, Mishap, MishapSeries

# A US Air Force serial: two digits of fiscal year, then the number, written with or without
# the hyphen and with or without leading zeros (63-8877, 638877, 63-08877 are one airframe).
_USAF = re.compile(r"^(\d{2})-(\d{3,5})$")
_USAF_QUERY = re.compile(r"^(\d{2})-?(\d{3,5})$")


def _table(model: Any) -> Any:
    return model.__table__


def _columns(model: Any) -> Any:
    """The model's Core columns: typed loosely, as plain SQL columns are."""
    return model.__table__.c


def usaf_key(serial: str) -> tuple[str, int] | None:
    """(fiscal year, number) of a serial written the USAF way, with the hyphen; else None."""
    m = _USAF.match(serial.strip())
    return (m[1], int(m[2])) if m else None


@dataclass(frozen=True)
class AirframeRow:
    id: str
    occurred_on: str
    serial: str
    type: str
    role: str
    damage: str | None
    fatalities: int | None
    unit: str | None
    title: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def airframe(*, session: Session, serial: str) -> list[AirframeRow]:
    """Every case in which the airframe ``serial`` appears, oldest first.

    A USAF fiscal-year serial matches however its hyphen and leading zeros are written; any
    other serial (Navy BuNo, RAF XH618) matches as given, in any case.
    """
    wanted = serial.strip()
    q = _USAF_QUERY.match(wanted)
    key = (q[1], int(q[2])) if q else None
    a, m = _columns(Aircraft), _columns(Mishap)
    stmt = (
        select(
            m.id, m.occurred_on, a.serial, a.type, a.role, a.damage, a.fatalities, a.unit, m.title
        )
        .join(_table(Mishap), m.pk == a.mishap_pk)
        .where(a.serial.isnot(None))
        .order_by(m.date_start, m.id, a.position)
    )
    out = []
    for row in session.execute(stmt):
        stored = row[2]
        same = stored.strip().casefold() == wanted.casefold()
        if not same and key is not None:
            same = usaf_key(stored) == key
        if same:
            out.append(AirframeRow(*row))
    return out


@dataclass(frozen=True)
class RecommendationRow:
    id: str
    occurred_on: str
    status: str | None
    status_as_of: str | None
    text: str
    title: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def recommendations(
    *, session: Session, filters: Filters, status: str | None = None
) -> list[RecommendationRow]:
    """The recommendation findings of the matching cases, with their case, in case order."""
    from mishaps.queries import mishap_conditions

    f, m = _columns(Finding), _columns(Mishap)
    stmt = (
        select(m.id, m.occurred_on, f.status, f.status_as_of, f.text, m.title)
        .join(_table(Mishap), m.pk == f.mishap_pk)
        .where(f.kind == "recommendation", *mishap_conditions(session, filters))
        .order_by(m.date_start, m.id, f.position)
    )
    if status is not None:
        stmt = stmt.where(f.status == status)
    if filters.limit is not None:
        stmt = stmt.limit(filters.limit)
    return [RecommendationRow(*r) for r in session.execute(stmt)]


@dataclass(frozen=True)
class Series:
    id: str
    title: str
    description: str
    sources: list[dict[str, Any]]


@cache
def _series_file() -> tuple[Series, ...]:
    """The shipped series table, ``mishaps/data/series.yaml``."""
    from mishaps.taxonomy import load_document

    doc: Any = load_document("series.yaml") or []
    entries = doc.get("series", []) if isinstance(doc, dict) else doc
    return tuple(
        Series(
            id=e["id"],
            title=e["title"],
            description=" ".join(str(e.get("description") or "").split()),
            # YAML reads an unquoted date as a date; the series keep it as written text.
            sources=[{k: _as_text(v) for k, v in src.items()} for src in e.get("sources") or []],
        )
        for e in entries
    )


def series_titles() -> dict[str, str]:
    """Series id -> title, from the shipped series table."""
    return {s.id: s.title for s in _series_file()}


def _as_text(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def all_series(*, session: Session) -> list[dict[str, Any]]:
    """The series (mishaps/data/series.yaml, and any id a case names that the file lacks), each
    with its number of cases in the database."""
    ms = _columns(MishapSeries)
    counts: dict[str, int] = {
        sid: n
        for sid, n in session.execute(
            select(ms.series_id, func.count()).group_by(ms.series_id).order_by(ms.series_id)
        )
    }
    known = {s.id: s for s in _series_file()}
    out = [{"id": s.id, "title": s.title, "cases": counts.get(s.id, 0)} for s in known.values()]
    out += [{"id": sid, "title": None, "cases": n} for sid, n in counts.items() if sid not in known]
    return out


@dataclass(frozen=True)
class TimelineRow:
    occurred_on: str
    id: str
    status: str
    cause: str | None  # the first cause finding, as the case states it

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def series_timeline(*, session: Session, series_id: str) -> tuple[Series, list[TimelineRow]]:
    """A series and its cases in date order, each with its information status and cause."""
    known = {s.id: s for s in _series_file()}
    m, ms, f = _columns(Mishap), _columns(MishapSeries), _columns(Finding)
    rows = session.execute(
        select(m.pk, m.occurred_on, m.id, m.status)
        .join(_table(MishapSeries), ms.mishap_pk == m.pk)
        .where(ms.series_id == series_id)
        .order_by(m.date_start, m.id)
    ).all()
    if series_id not in known and not rows:
        raise NotFound(f"no series {series_id!r} (list them with: mishaps series)")
    causes: dict[int, str] = {}
    pks = [r[0] for r in rows]
    if pks:
        for pk, text_ in session.execute(
            select(f.mishap_pk, f.text)
            .where(f.mishap_pk.in_(pks), f.kind == "cause")
            .order_by(f.mishap_pk, f.position)
        ):
            causes.setdefault(pk, text_)
    series = known.get(series_id) or Series(series_id, series_id, "", [])
    return series, [TimelineRow(r[1], r[2], r[3], causes.get(r[0])) for r in rows]
