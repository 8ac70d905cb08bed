"""How a case is stored: ``schema.Case`` <-> rows of the tables in ``models``.

Writes are bulk inserts through SQLAlchemy Core (building ORM objects is ~39x slower); the
mishap rows come back with their keys in parameter order, so children need no second query.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from functools import cached_property
from operator import attrgetter
from typing import Any, NamedTuple

from sqlalchemy import delete, insert, select, text
from sqlmodel import Session

from mishaps import classes, mds, similarindex
from mishaps.db import is_sqlite
from mishaps.derived import service_rows
from mishaps.models import (
    Aircraft,
    Finding,
    FindingCite,
    FindingHfacs,
    Mishap,
    MishapCategory,
    MishapCite,
    MishapMechanism,
    MishapSeries,
    MishapService,
    Revision,
    Source,
)
from mishaps.schema import Case, date_period
from mishaps.searchindex import chunks, insert_entries, search_texts


def _table(model: Any) -> Any:
    """The model's Core table: inserting into it is a plain executemany, without the ORM's bulk
    machinery (about half the cost per row)."""
    return model.__table__


@dataclass(frozen=True)
class Column:
    """One field of the format stored in one column: the one description both directions use.

    ``path`` is the field in the case (``location.country``); an Enum is stored as its value;
    with ``unknown_is_null`` the word ``unknown`` is stored as NULL and a NULL is read back by
    leaving the field out, as the format writes an unknown method or phase.
    """

    path: str
    column: str = ""
    unknown_is_null: bool = False

    @cached_property  # read for every field of every row written
    def name(self) -> str:
        return self.column or self.path.rpartition(".")[2]

    @cached_property
    def _get(self) -> attrgetter[Any]:
        return attrgetter(self.path)  # a dotted path, followed in C

    def stored(self, item: Any) -> Any:
        value = self._get(item)
        if isinstance(value, Enum):
            value = value._value_  # what .value returns, without the descriptor's cost
        return None if self.unknown_is_null and value == "unknown" else value

    def put(self, doc: dict[str, Any], row: Any) -> None:
        value = getattr(row, self.name)
        if value is None and self.unknown_is_null:
            return
        *parents, last = self.path.split(".")
        for part in parents:
            doc = doc.setdefault(part, {})
        doc[last] = value


class Columns(tuple[Column, ...]):
    """The columns of one table, read from an item all at once: an import builds a row for
    every aircraft, finding and source, and a Python call per field was a sixth of it."""

    @cached_property
    def _names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self)

    @cached_property
    def _get(self) -> attrgetter[Any]:
        return attrgetter(*(c.path for c in self))  # a tuple of every value, paths followed in C

    @cached_property
    def _unknown_is_null(self) -> tuple[str, ...]:
        return tuple(c.name for c in self if c.unknown_is_null)

    def row(self, item: Any, **extra: Any) -> dict[str, Any]:
        """What ``Column.stored`` gives for each column, by name, after ``extra``."""
        values = self._get(item)
        stored = [v._value_ if isinstance(v, Enum) else v for v in values]
        extra.update(zip(self._names, stored, strict=True))
        for name in self._unknown_is_null:
            if extra[name] == "unknown":
                extra[name] = None
        return extra


def _doc(row: Any, columns: Sequence[Column]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for c in columns:
        c.put(doc, row)
    return doc


# The mishap table: every stored field of a case (derived columns are computed in _mishap_row).
MISHAP_COLUMNS = Columns(
    [
        *map(Column, ["id", "title", "occurred_on", "time", "status", "service", "operation"]),
        Column("location.description", "location_description"),
        Column("location.country"),
        Column("location.latitude"),
        Column("location.longitude"),
        Column("location.approximate", "location_approximate"),
        Column("location.basis", "location_basis"),
        Column("refueling.method", "refueling_method", unknown_is_null=True),
        Column("refueling.phase", "refueling_phase", unknown_is_null=True),
        *map(Column, ["damage_usd", "mishap_class", "fatalities", "injuries", "summary", "notes"]),
    ]
)
AIRCRAFT_COLUMNS = Columns(
    [
        *map(Column, ["role", "type", "serial", "unit", "callsign", "crew", "fatalities"]),
        *map(Column, ["injuries", "damage"]),
    ]
)
FINDING_COLUMNS = Columns(map(Column, ["kind", "text", "status", "status_as_of"]))
SOURCE_COLUMNS = Columns(map(Column, ["title", "publisher", "url", "published_on", "kind"]))
# Lists of codes, one child row per code: (field of the case, table, column of the code).
CODE_LISTS: list[tuple[str, Any, str]] = [
    ("occurrence_categories", MishapCategory, "code"),
    ("series", MishapSeries, "series_id"),
    ("refueling.mechanism", MishapMechanism, "code"),
]


def _mishap_row(case: Case) -> dict[str, Any]:
    start, end = date_period(case.occurred_on)
    stated = case.mishap_class.value if case.mishap_class else None
    derived = classes.derive(case).mishap_class
    return MISHAP_COLUMNS.row(
        case,
        date_start=start.isoformat(),
        date_end=end.isoformat(),
        derived_class=derived,
        effective_class=stated or derived,
        fiscal_year=classes.fiscal_year(case.occurred_on),
    )


class Prepared(NamedTuple):
    """A case's rows, built before its write transaction (``prepare``), so that the writer lock
    is held for the SQL alone: building them was most of a 20,000-case import's transaction,
    which every other writer waited out (issue 11, item 12)."""

    case: Case
    mishap: dict[str, Any]
    children: list[tuple[Any, list[dict[str, Any]]]]  # (model, rows); insert sets mishap_pk
    search: dict[str, str]  # searchindex.search_texts
    similar: tuple[dict[str, int], int]  # similarindex.terms_of: the case's terms and length


def prepare(cases: Sequence[Case], *, sqlite: bool) -> list[Prepared]:
    """Every row of ``cases`` but their keys, which only the insert knows."""
    return [
        Prepared(
            case,
            _mishap_row(case),
            list(_child_rows(0, case)),
            search_texts(
                case.title,
                case.summary,
                [f.text for f in case.findings],
                [a.type for a in case.aircraft],
                sqlite=sqlite,
            ),
            similarindex.terms_of(words),
        )
        for case, words in zip(cases, similarindex.case_texts(cases), strict=True)
    ]


def insert_cases(session: Session, cases: Sequence[Case]) -> list[int]:
    """Insert new cases with all their rows, search and similar entries; returns their keys."""
    return insert_prepared(session, prepare(cases, sqlite=is_sqlite(session.get_bind())))


def insert_prepared(session: Session, cases: Sequence[Prepared]) -> list[int]:
    """Insert prepared cases (``prepare``) with all their rows, search and similar entries;
    returns their keys. The rows are reused as they are (only their keys are set): a retried
    transaction inserts them again."""
    if not cases:
        return []
    # A plain executemany, then the keys by id: INSERT ... RETURNING with many rows makes
    # SQLAlchemy run one statement per row on SQLite and splice the results together, which is
    # quadratic (20,000 cases took 160 s); the id lookup is one indexed query per 500 ids.
    session.execute(insert(_table(Mishap)), [p.mishap for p in cases])
    found = pks_by_id(session, [p.case.id for p in cases])
    pks = [found[p.case.id] for p in cases]
    rows: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for pk, p in zip(pks, cases, strict=True):
        for model, table_rows in p.children:
            for row in table_rows:
                row["mishap_pk"] = pk
            rows[model].extend(table_rows)
    for model, table_rows in rows.items():
        if table_rows:
            session.execute(insert(_table(model)), table_rows)
    insert_entries(session, [{"pk": pk, **p.search} for pk, p in zip(pks, cases, strict=True)])
    similarindex.index_terms(session, [(pk, *p.similar) for pk, p in zip(pks, cases, strict=True)])
    return pks


def _child_rows(pk: int, case: Case) -> Iterable[tuple[Any, list[dict[str, Any]]]]:
    """The rows of a case's child tables, each table with its rows."""
    firsts = _first_of_type([a.type for a in case.aircraft])
    yield (
        Aircraft,
        [_aircraft_row(pk, pos, a, firsts[pos]) for pos, a in enumerate(case.aircraft)],
    )
    yield (
        Finding,
        [FINDING_COLUMNS.row(f, mishap_pk=pk, position=pos) for pos, f in enumerate(case.findings)],
    )
    yield (
        FindingHfacs,
        [
            {"mishap_pk": pk, "finding_position": pos, "position": i, "code": code}
            for pos, f in enumerate(case.findings)
            for i, code in enumerate(f.hfacs)
        ],
    )
    yield (
        FindingCite,
        [
            {"mishap_pk": pk, "finding_position": pos, "position": i, "source": n}
            for pos, f in enumerate(case.findings)
            for i, n in enumerate(f.cites)
        ],
    )
    pairs = [(path, n) for path, numbers in case.cites.items() for n in numbers]
    yield (
        MishapCite,
        [
            {"mishap_pk": pk, "position": i, "path": path, "source": n}
            for i, (path, n) in enumerate(pairs)
        ],
    )
    for path, model, column in CODE_LISTS:
        codes = Column(path).stored(case)
        yield model, [{"mishap_pk": pk, "position": i, column: c} for i, c in enumerate(codes)]
    yield MishapService, service_rows(pk, case.service)
    yield (
        Source,
        [SOURCE_COLUMNS.row(s, mishap_pk=pk, position=pos) for pos, s in enumerate(case.sources)],
    )


def _first_of_type(types: Sequence[str]) -> list[bool]:
    """For each type, whether no earlier one equals it (a listing shows each type once)."""
    seen: set[str] = set()
    out = []
    for t in types:
        out.append(t not in seen)
        seen.add(t)
    return out


def _aircraft_row(pk: int, pos: int, a: Any, first_of_type: bool) -> dict[str, Any]:
    """An aircraft's row, with its type parsed for the Mission Design Series filters."""
    parsed = mds.parse(a.type)
    return AIRCRAFT_COLUMNS.row(
        a,
        mishap_pk=pk,
        position=pos,
        mds_prefix=parsed.prefix if parsed else None,
        mds_mission=parsed.mission if parsed else None,
        mds_design=parsed.design if parsed else None,
        mds_series=parsed.series if parsed else None,
        type_norm=mds.normalize_type(a.type),
        family=mds.family(a.type),
        first_of_type=first_of_type,
    )


def delete_by_pk(session: Session, pks: Sequence[int]) -> None:
    """Delete cases; child rows go by ON DELETE CASCADE, search and similar entries explicitly."""
    similarindex.unindex(session, pks)
    for part in chunks(pks):
        if is_sqlite(session.get_bind()):
            session.execute(
                text(
                    f"DELETE FROM mishap_fts WHERE rowid IN ({','.join(str(int(p)) for p in part)})"
                )
            )
        session.execute(delete(Mishap).where(Mishap.pk.in_(part)))


def pks_by_id(session: Session, ids: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for part in chunks(ids):
        rows = session.execute(select(Mishap.id, Mishap.pk).where(Mishap.id.in_(part)))
        found.update({mid: pk for mid, pk in rows})
    return found


def load_cases(session: Session, pks: Sequence[int]) -> list[Case]:
    """Rebuild whole cases from their rows, in the order of ``pks``."""
    out: dict[int, Case] = {}
    for part in chunks(pks):
        out.update((pk, Case.model_validate(doc)) for pk, doc in _load_chunk(session, part).items())
    return [out[pk] for pk in pks if pk in out]


def load_documents(session: Session, pks: Sequence[int]) -> list[dict[str, Any]]:
    """The cases' rows as interchange documents, not yet validated (a restore checks them)."""
    out: dict[int, dict[str, Any]] = {}
    for part in chunks(pks):
        out.update(_load_chunk(session, part))
    return [out[pk] for pk in pks if pk in out]


# Rows are read as plain Core rows (attribute access, like the models): building ORM objects
# only to copy their fields into a Case was most of the time of loading cases.


def _children(
    session: Session, model: Any, part: Sequence[int], *order: Any
) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    stmt = select(_table(model)).where(model.mishap_pk.in_(part)).order_by(model.mishap_pk, *order)
    for row in session.connection().execute(stmt):
        grouped[row.mishap_pk].append(row)
    return grouped


def _load_chunk(session: Session, part: Sequence[int]) -> dict[int, dict[str, Any]]:
    mishaps = session.connection().execute(select(_table(Mishap)).where(Mishap.pk.in_(part))).all()
    aircraft = _children(session, Aircraft, part, Aircraft.position)
    findings = _children(session, Finding, part, Finding.position)
    hfacs = _children(
        session, FindingHfacs, part, FindingHfacs.finding_position, FindingHfacs.position
    )
    finding_cites = _children(
        session, FindingCite, part, FindingCite.finding_position, FindingCite.position
    )
    sources = _children(session, Source, part, Source.position)
    cites = _children(session, MishapCite, part, MishapCite.position)
    lists = [
        (path, column, _children(session, model, part, model.position))
        for path, model, column in CODE_LISTS
    ]
    out = {}
    for m in mishaps:
        doc = _doc(m, MISHAP_COLUMNS)
        for path, column, children in lists:
            *parents, last = path.split(".")
            target = doc
            for p in parents:
                target = target.setdefault(p, {})
            target[last] = [getattr(x, column) for x in children[m.pk]]
        by_finding = _by_finding(hfacs[m.pk], "code"), _by_finding(finding_cites[m.pk], "source")
        doc["aircraft"] = [_doc(a, AIRCRAFT_COLUMNS) for a in aircraft[m.pk]]
        doc["findings"] = [
            {
                **_doc(f, FINDING_COLUMNS),
                "hfacs": by_finding[0][f.position],
                "cites": by_finding[1][f.position],
            }
            for f in findings[m.pk]
        ]
        doc["sources"] = [_doc(s, SOURCE_COLUMNS) for s in sources[m.pk]]
        doc["cites"] = {}
        for c in cites[m.pk]:
            doc["cites"].setdefault(c.path, []).append(c.source)
        out[m.pk] = doc
    return out


def _by_finding(rows: Sequence[Any], column: str) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for r in rows:
        grouped[r.finding_position].append(getattr(r, column))
    return grouped


def now_utc() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def document(case: Case) -> str:
    """The case as its history entry holds it (JSON text)."""
    return json.dumps(case.to_document(), ensure_ascii=False)


def record_revisions(
    session: Session,
    entries: Iterable[tuple[str, str, Case | str | None]],
    *,
    command: str,
    file: str | None = None,
    at: str | None = None,
) -> None:
    """Append one history entry per (case id, action, case after the change): the case, or its
    ``document`` already made, or None for a delete."""
    when = at or now_utc()
    rows = [
        {
            "mishap_id": mid,
            "action": action,
            "at": when,
            "command": command,
            "file": file,
            "document": case if case is None or isinstance(case, str) else document(case),
        }
        for mid, action, case in entries
    ]
    if rows:
        session.execute(insert(_table(Revision)), rows)
