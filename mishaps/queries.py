"""Filters -> typed results: the one place that builds SQL for filters.

Every filter is an indexed condition: child-table filters are ``pk IN (SELECT mishap_pk ...)``
over an index that leads with the filtered column, and text goes through the full-text index.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import timedelta
from functools import cache, partial
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    true,
)
from sqlmodel import Session

from mishaps import mds
from mishaps.collection import paused
from mishaps.dates import date_period
from mishaps.db import is_sqlite
from mishaps.errors import MishapsError
from mishaps.filters import Filters
from mishaps.models import (
    Aircraft,
    FindingHfacs,
    Mishap,
    MishapCategory,
    MishapMechanism,
    MishapSeries,
    MishapService,
)
from mishaps.searchindex import fold, plain_words

if TYPE_CHECKING:  # a listing needs no pydantic model: schema is imported where a Case is made
    from collections.abc import Sequence

    from mishaps.schema import Case


# Filters and listings are built over the tables' Core columns, not the ORM classes: the first
# statement naming an ORM attribute makes SQLAlchemy configure every mapper as it compiles (20-30
# ms of a `mishaps list` process on a loaded machine; ~1 ms with Core columns; issue 16).
_mishap: Any = Mishap.__table__.c
_aircraft: Any = Aircraft.__table__.c
_hfacs: Any = FindingHfacs.__table__.c
_category: Any = MishapCategory.__table__.c
_mechanism: Any = MishapMechanism.__table__.c
_series: Any = MishapSeries.__table__.c
_service: Any = MishapService.__table__.c


def _aircraft_condition(query: str, *, sqlite: bool) -> ColumnElement[bool]:
    """The aircraft a ``--aircraft`` query names: by MDS or leading words, and through the
    family aliases (``A330 MRTT`` is also every KC-30A and Voyager KC2)."""
    by_name = _type_condition(query, sqlite=sqlite)
    families = mds.family_names(query)
    if not families:
        return by_name
    return or_(by_name, _aircraft.family.in_(families))


def _type_condition(query: str, *, sqlite: bool) -> ColumnElement[bool]:
    parsed = mds.parse(query)
    if parsed is None:
        norm = mds.normalize_type(query)
        # autoescape: a % or _ in the query is a character, not a LIKE wildcard.
        exact = or_(
            _aircraft.type_norm == norm,
            _aircraft.type_norm.startswith(norm + " ", autoescape=True),
        )
        if not sqlite:
            return exact
        # SQLite's LIKE cannot use the index (it folds case); a byte-order range around both
        # alternatives can, and the exact test still decides. Not on PostgreSQL, whose
        # collations need not order by bytes.
        return and_(_prefix(_aircraft.type_norm, norm, upper="\U0010ffff"), exact)
    conds = [_aircraft.mds_design == parsed.design, _aircraft.mds_mission == parsed.mission]
    if parsed.series is not None:
        conds.append(_aircraft.mds_series == parsed.series)
    if parsed.prefix is not None:
        conds.append(_aircraft.mds_prefix == parsed.prefix)
    return and_(*conds)


def _prefix(column: Any, value: str, *, upper: str = "\uffff") -> ColumnElement[bool]:
    """``column`` starts with ``value``, as a range an index can serve."""
    return and_(column >= value, column < value + upper)


_WORD = re.compile(r"[\w][\w'-]*\*?", re.UNICODE)


def _terms(text_: str) -> list[tuple[str, bool]]:
    """User text -> search terms, each with whether it is a prefix (a trailing *).

    Designators become the one token they are indexed under (mishaps.store): ``KC-46`` is the
    token kc46, which every KC-46A's text carries, not the phrase "kc" "46". Words are folded
    as the index holds them (searchindex.fold): "café" is "cafe" on both backends.
    """
    terms = []
    for word in _WORD.findall(mds.designator_query(fold(text_))):
        star = word.endswith("*")
        word = word.rstrip("*").replace('"', "")
        # A term is searched for its letters and digits, as the index holds them; one with
        # none ("_") matches nothing on either backend, so it is no term at all.
        if plain_words(word).split():
            terms.append((word, star))
    if not terms:
        raise MishapsError(f"nothing to search for in {text_!r}")
    return terms


def _searchable(text_: str) -> bool:
    try:
        _terms(text_)
    except MishapsError:
        return False
    return True


def _fts_query(text_: str) -> str:
    """User text -> an FTS5 query of quoted terms (all required; a trailing * keeps a prefix)."""
    return " AND ".join(f'"{word}"' + ("*" if star else "") for word, star in _terms(text_))


def _tsquery(text_: str) -> str:
    """The same terms as a PostgreSQL tsquery, meaning what FTS5 makes of them.

    FTS5 reads a quoted term as a phrase of its tokens ("in-flight" is "in" then "flight"); so
    does this, with ``<->``. Every term is required, ``:*`` keeps a prefix, and the
    ``mishaps_english`` configuration (migration 0001) stems without stop words, as FTS5's
    porter tokenizer does. The stemmers differ in rare words, not in the seed data's.
    """
    phrases = []
    for word, star in _terms(text_):
        tokens = plain_words(word).split()
        if not tokens:
            continue
        quoted = ["'" + t.replace("'", "''") + "'" for t in tokens]
        if star:
            quoted[-1] += ":*"
        phrases.append(" <-> ".join(quoted))
    return " & ".join(phrases) if phrases else "''"


def _search_pks(session: Session, query: str, *, findings_only: bool) -> Any:
    if is_sqlite(session.get_bind()):
        fts = _fts_query(query)
        if findings_only:
            fts = f"findings : ({fts})"
        return (
            select(literal_column("rowid"))
            .select_from(text("mishap_fts"))
            .where(text("mishap_fts MATCH :q").bindparams(q=fts))
        )
    column = "findings" if findings_only else "doc"
    return (
        select(text("mishap_pk"))
        .select_from(text("mishap_search"))
        .where(text(f"{column} @@ to_tsquery('mishaps_english', :q)").bindparams(q=_tsquery(query)))
    )


def mishap_conditions(session: Session, f: Filters) -> list[ColumnElement[bool]]:
    """The WHERE conditions of the filters: on child tables, then on the mishap's own columns."""
    return _child_conditions(session, f) + _column_conditions(session, f)


def _child_conditions(session: Session, f: Filters) -> list[ColumnElement[bool]]:
    """Aircraft and role, category, cause and HFACS: each a ``pk IN (SELECT ...)``."""
    conds: list[ColumnElement[bool]] = []
    pk = _mishap.pk
    if f.aircraft is not None or f.role is not None:
        sub = select(_aircraft.mishap_pk)
        if f.aircraft is not None:
            sqlite = is_sqlite(session.get_bind())
            sub = sub.where(_aircraft_condition(f.aircraft, sqlite=sqlite))
        if f.role is not None:
            sub = sub.where(_aircraft.role == f.role)
        conds.append(pk.in_(sub))
    if f.category is not None:
        conds.append(
            pk.in_(select(_category.mishap_pk).where(_prefix(_category.code, f.category.upper())))
        )
    if f.cause is not None:
        code = f.cause.strip().upper()
        alternatives = [
            pk.in_(select(_category.mishap_pk).where(_category.code == code)),
        ]
        if _searchable(f.cause):  # "--cause _" is no words, but might still be a code
            alternatives.append(pk.in_(_search_pks(session, f.cause, findings_only=True)))
        if re.fullmatch(r"[AOPS][A-Z]\d{0,3}", code):
            alternatives.append(pk.in_(select(_hfacs.mishap_pk).where(_prefix(_hfacs.code, code))))
        conds.append(or_(*alternatives))
    if f.hfacs is not None:
        from mishaps.taxonomy import hfacs_match_prefix

        code = hfacs_match_prefix(f.hfacs)
        conds.append(pk.in_(select(_hfacs.mishap_pk).where(_prefix(_hfacs.code, code))))
    return conds


def _column_conditions(session: Session, f: Filters) -> list[ColumnElement[bool]]:
    """Class, fiscal year, dates, service, method, phase, status and full text."""
    conds: list[ColumnElement[bool]] = []
    pk = _mishap.pk
    if f.mishap_class is not None:
        conds.append(_mishap.effective_class == f.mishap_class)
    if f.fiscal_year is not None:
        conds.append(_mishap.fiscal_year == f.fiscal_year)
    if f.since is not None:
        since = date_period(f.since)[0]
        conds.append(_mishap.date_end >= since.isoformat())
        # Implied, since a partial date spans at most a year: the bound lets the date_start
        # index serve both the range and the ORDER BY (else SQLite scans it in date order).
        conds.append(_mishap.date_start >= (since - timedelta(days=366)).isoformat())
    if f.until is not None:
        conds.append(_mishap.date_start <= date_period(f.until)[1].isoformat())
    if f.service is not None:
        conds.extend(_service_conditions(f.service))
    for value, column in ((f.method, _mishap.refueling_method), (f.phase, _mishap.refueling_phase)):
        if value is not None:  # unknown is NULL (migration 0004)
            conds.append(column.is_(None) if value == "unknown" else column == value)
    if f.mechanism is not None:
        conds.append(pk.in_(select(_mechanism.mishap_pk).where(_mechanism.code == f.mechanism)))
    if f.status is not None:
        conds.append(_mishap.status == f.status)
    if f.series is not None:
        conds.append(pk.in_(select(_series.mishap_pk).where(_series.series_id == f.series)))
    if f.search is not None:
        conds.append(pk.in_(_search_pks(session, f.search, findings_only=False)))
    return conds


def _service_conditions(service: str) -> list[ColumnElement[bool]]:
    """A case matches when it names every service that ``service`` names: ``USN`` finds
    ``USAF/USN``, ``USAF/USN`` only the cases with both; a trailing parenthesis is ignored."""
    from mishaps.nations import service_keys

    return [
        _mishap.pk.in_(select(_service.mishap_pk).where(_service.key == key))
        for _, key in service_keys(service)
    ]


def _select_pks(session: Session, f: Filters) -> Select[Any]:
    stmt = (
        select(_mishap.pk)
        .where(*mishap_conditions(session, f))
        .order_by(_mishap.date_start, _mishap.id)
    )
    if f.limit is not None:
        stmt = stmt.limit(f.limit)
    return stmt


def matching_pks(session: Session, f: Filters) -> list[int]:
    return list(session.execute(_select_pks(session, f)).scalars())


class Row(NamedTuple):
    """One line of `mishaps list`. A named tuple: a listing builds one per case, and a frozen
    dataclass' ``__init__`` (one ``object.__setattr__`` per field) was a fifth of a large
    listing's time (issue 16)."""

    id: str
    title: str
    occurred_on: str
    mishap_class: str | None  # as a source states it
    status: str
    service: str
    aircraft: str
    fatalities: int | None
    derived_class: str | None  # what the era rules give (mishaps.classes)
    fiscal_year: int | None
    # The class people read: ``A``, ``A (derived)`` or ``unknown`` (text.class_label), made by
    # the statement, so that output takes the rows as they come (issue 16).
    class_label: str

    def as_dict(self) -> dict[str, Any]:
        """The row for output; ``class`` is the label people read: ``A`` or ``A (derived)``."""
        out = self._asdict()
        out["class"] = out.pop("class_label")
        return out


def _sql_text(value: str) -> ColumnElement[str]:
    """A constant of ours written into the statement, quoted, rather than bound: a bound
    separator in the correlated types subquery made SQLite run it the slow way, 1.6x the
    statement of a 1,164-row listing (issue 16)."""
    assert "'" not in value  # our own constants only, never a user's text
    return literal_column(f"'{value}'", String)


@cache  # immutable, and building the expression cost more than running a small listing
def _class_label() -> Any:
    """``text.class_label`` in SQL (tests/test_queries.py checks that they agree)."""
    stated, derived = _mishap.mishap_class, _mishap.derived_class
    return case(
        (stated.is_not(None), stated),
        (derived.is_not(None), derived + _sql_text(" (derived)")),
        else_=_sql_text("unknown"),
    )


def _tuples(session: Session, stmt: Any) -> Sequence[Any]:
    """The rows of a statement whose columns are all text or integers, as the DBAPI's own tuples
    (fetched in C): no result processor changes such columns, and SQLAlchemy's Row per row cost
    a tenth of a large listing and a third of `stats --by pair` (issue 16)."""
    result = session.connection().execute(stmt)
    raw = result.cursor.fetchall() if result.cursor is not None else []
    result.close()
    return raw


@cache  # statements are immutable; building this one cost a millisecond per query
def _aircraft_types(*, sqlite: bool) -> Any:
    """A correlated subquery: the case's distinct aircraft types in their order, joined by ", ".

    Done in SQL, from the covering index ``ix_aircraft_types`` (migrations 0008, 0011), which
    holds, after the case's key, whether an aircraft is the first of its type in the case and
    then its position and type: the rows read are exactly the types shown, in order. Splitting,
    deduplicating and joining them again in Python was a third of a large listing, and finding
    the repeats in SQL (a probe of the index per aircraft) an eighth of its statement (issue 16).
    """
    a = Aircraft.__table__.alias("a")
    m = Mishap.__table__
    first = a.c.first_of_type == true()
    if sqlite:  # SQLite before 3.44 has no ORDER BY inside an aggregate: order a subquery
        ordered = (
            select(a.c.type)
            .where(a.c.mishap_pk == m.c.pk, first)
            .order_by(a.c.position)
            .correlate(m)
            .subquery()
        )
        joined = select(func.group_concat(ordered.c.type, _sql_text(", "))).scalar_subquery()
    else:
        joined = (
            select(
                func.aggregate_strings(a.c.type, _sql_text(", ")).aggregate_order_by(a.c.position)
            )
            .where(a.c.mishap_pk == m.c.pk, first)
            .scalar_subquery()
        )
    return func.coalesce(joined, _sql_text(""))


def list_mishaps(*, session: Session, filters: Filters) -> list[Row]:
    """The rows of `mishaps list`, in one statement whatever their number. (Fetching the rows
    by chunks of 500 keys took two round trips per 500 rows, most of a large listing's time.)"""
    sqlite = is_sqlite(session.get_bind())
    stmt = (
        select(
            _mishap.id,
            _mishap.title,
            _mishap.occurred_on,
            _mishap.mishap_class,
            _mishap.status,
            _mishap.service,
            _aircraft_types(sqlite=sqlite),
            _mishap.fatalities,
            _mishap.derived_class,
            _mishap.fiscal_year,
            _class_label(),
        )
        .where(*mishap_conditions(session, filters))
        .order_by(_mishap.date_start, _mishap.id)
    )
    if filters.limit is not None:
        stmt = stmt.limit(filters.limit)
    # Rows without a line of Python per row: every column is final text or an integer.
    with paused():
        return list(map(partial(tuple.__new__, Row), _tuples(session, stmt)))


def find_cases(*, session: Session, filters: Filters) -> list[Case]:
    from mishaps.store import load_cases

    return load_cases(session, matching_pks(session, filters))


def get_case(*, session: Session, mishap_id: str) -> Case:
    from mishaps.errors import NotFound
    from mishaps.store import load_cases, pks_by_id

    pk = pks_by_id(session, [mishap_id]).get(mishap_id)
    if pk is None:
        raise NotFound(f"no mishap with id {mishap_id!r} (list them with: mishaps list)")
    return load_cases(session, [pk])[0]


STATS_BY = (
    "year",
    "fy",
    "aircraft",
    "role",
    "category",
    "class",
    "phase",
    "service",
    "hfacs-tier",
    "hfacs-category",
    "mechanism",
    "nation",
    "family",
    "pair",
    "pair,phase",
    "pair,mechanism",
)
# Groupings that count aircraft, each from its own record, rather than mishaps.
PER_AIRCRAFT = ("aircraft", "role", "family")


@dataclass(frozen=True)
class StatRow:
    """One group. Per mishap (``Stats.counts == "mishaps"``): fatalities are the mishaps' totals,
    fatalities_unknown the mishaps whose total is unknown. Per aircraft (--by aircraft, role,
    family): fatalities are those aboard the group's aircraft, fatalities_unknown the aircraft
    whose own count is unknown, and destroyed/damage_unknown count aircraft."""

    key: str
    mishaps: int
    aircraft: int | None  # aircraft counted, for the per-aircraft groupings
    fatalities: int  # sum of the known counts
    fatalities_unknown: int  # mishaps (or aircraft) whose count is unknown
    derived: int | None = None  # for --by class: mishaps whose class is derived, not stated
    destroyed: int | None = None  # aircraft destroyed, for per-aircraft and pair groupings
    damage_unknown: int | None = None  # aircraft whose damage is not recorded
    phase: str | None = None  # for --by pair,phase
    mechanism: str | None = None  # for --by pair,mechanism
    name: str | None = None  # the words for a coded key (category, mechanism, nation)

    def as_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        for optional in ("derived", "destroyed", "damage_unknown", "phase", "mechanism", "name"):
            if out[optional] is None:
                del out[optional]
        return out


@dataclass(frozen=True)
class Stats:
    by: str
    rows: list[StatRow]
    total: StatRow
    note: str | None
    counts: str = "mishaps"  # what fatalities count: "mishaps" (their totals) or "aircraft"


# Groupings whose keys are codes, and the words for a key (None where there are none: unknown).
def _code_names(by: str) -> Callable[[str], str | None] | None:
    from mishaps import nations, taxonomy

    return {
        "category": taxonomy.cictt_name,
        "mechanism": taxonomy.mechanism_name,
        "nation": nations.nation_name,
    }.get(by)


def stats(*, session: Session, filters: Filters, by: str) -> Stats:
    """Counts of mishaps and fatalities grouped by ``by``; unknown fatalities counted apart.

    ``class`` groups by the stated class, else the derived one, and counts the derived ones;
    ``fy`` by US federal fiscal year (unknown when a partial date spans two). Where the keys are
    codes (category, mechanism, nation), each row carries their ``name`` too.
    """
    result = _stats(session=session, filters=filters, by=by)
    if (name_of := _code_names(by)) is None:
        return result
    from dataclasses import replace

    rows = [replace(r, name=name_of(r.key) or r.key) for r in result.rows]
    return replace(result, rows=rows)


def _stats(*, session: Session, filters: Filters, by: str) -> Stats:
    if by not in STATS_BY:
        raise MishapsError(f"cannot group by {by!r}; choose one of {', '.join(STATS_BY)}")
    base = _matching_mishaps(session, filters)
    fat, unknown, derived = _sums(base)
    t = session.execute(select(func.count(), fat, unknown, derived).select_from(base)).one()
    total = StatRow("total", int(t[0]), None, int(t[1] or 0), int(t[2] or 0), _derived(by, t[3]))
    if by.startswith("hfacs-"):
        return _hfacs_stats(session, base, by, total)
    if by == "mechanism":
        return _mechanism_stats(session, base, total)
    if by == "nation":
        return _nation_stats(session, base, total)
    if by == "service":
        return _service_stats(session, base, total)
    if by in PER_AIRCRAFT:
        return _aircraft_stats(session, base, by, filters)
    if by.startswith("pair"):
        with paused():  # a set of families per mishap: a million containers at 1M cases
            return _pair_stats(session, base, by, total)
    stmt, note = _grouped(base, by)
    rows = [
        StatRow(
            str(k),
            int(n),
            None if ac is None else int(ac),
            int(f or 0),
            int(u or 0),
            _derived(by, d),
        )
        for k, n, ac, f, u, d in session.execute(stmt)
    ]
    rows.sort(key=(lambda r: r.key) if by in ("year", "fy") else (lambda r: (-r.mishaps, r.key)))
    return Stats(by=by, rows=rows, total=total, note=note)


def _matching_mishaps(session: Session, filters: Filters) -> Any:
    """The mishap rows the filters select, as a subquery to count and group. Unordered unless
    --limit picks the first ones: ordering a million keys only to test membership cost a second
    per statement at 100,000 cases, and without filters there is no membership to test."""
    m = Mishap.__table__.alias("m")
    if filters.limit is not None:
        matching = _select_pks(session, filters).subquery()
        return select(m).where(m.c.pk.in_(select(matching.c.pk))).subquery()
    conditions = mishap_conditions(session, filters)
    if not conditions:
        return select(m).subquery()
    return select(m).where(m.c.pk.in_(select(Mishap.pk).where(*conditions))).subquery()


def _sums(base: Any) -> tuple[Any, Any, Any]:
    """Known fatalities, mishaps with fatalities unknown, mishaps whose class is derived."""
    fat = func.coalesce(func.sum(base.c.fatalities), 0)
    unknown = func.sum(case((base.c.fatalities.is_(None), 1), else_=0))
    is_derived = and_(base.c.mishap_class.is_(None), base.c.derived_class.isnot(None))
    return fat, unknown, func.sum(case((is_derived, 1), else_=0))


def _derived(by: str, count: Any) -> int | None:
    return int(count or 0) if by == "class" else None


def _grouped(base: Any, by: str) -> tuple[Any, str | None]:
    """The statement of (key, mishaps, aircraft, fatalities, unknown, derived) rows for ``by``,
    a per-mishap grouping (the per-aircraft ones are ``_aircraft_stats``)."""
    fat, unknown, derived = _sums(base)
    if by == "category":
        c = MishapCategory.__table__
        key = func.coalesce(c.c.code, "none")
        mishaps = func.count(func.distinct(base.c.pk))
        stmt = (
            select(key, mishaps, literal(None), fat, unknown, literal(None))
            .select_from(base.outerjoin(c, c.c.mishap_pk == base.c.pk))
            .group_by(key)
        )
        return stmt, "a mishap with several categories counts once under each"
    column = {
        "year": func.substr(base.c.date_start, 1, 4),
        "fy": func.coalesce(cast(base.c.fiscal_year, String), "unknown"),
        "class": func.coalesce(base.c.effective_class, "unknown"),
        "phase": func.coalesce(base.c.refueling_phase, "unknown"),
    }[by]
    extra = derived if by == "class" else literal(None)
    stmt = (
        select(column, func.count(), literal(None), fat, unknown, extra)
        .select_from(base)
        .group_by(column)
    )
    note = (
        "a class is the stated one, else the one derived from the thresholds in force on the date"
        if by == "class"
        else None
    )
    return stmt, note


def _aircraft_rows(session: Session, base: Any, filters: Filters | None = None) -> list[Any]:
    """The aircraft of the matching mishaps, with what happened aboard each. With --aircraft or
    --role, only the aircraft that match them: `--by aircraft --role receiver` counts receivers.

    An aircraft's own fatality count is taken as 0 when its mishap killed nobody; otherwise an
    unrecorded count stays unknown (never the mishap's total, which may be another aircraft's).
    """
    a = Aircraft.__table__
    stmt = select(
        a.c.mishap_pk,
        a.c.role,
        a.c.type,
        a.c.family,
        case((base.c.fatalities == 0, func.coalesce(a.c.fatalities, 0)), else_=a.c.fatalities),
        a.c.damage,
        base.c.fatalities,
        base.c.refueling_phase,
    ).select_from(base.join(a, a.c.mishap_pk == base.c.pk))
    if filters is not None and filters.aircraft is not None:
        sqlite = is_sqlite(session.get_bind())
        stmt = stmt.where(_aircraft_condition(filters.aircraft, sqlite=sqlite))
    if filters is not None and filters.role is not None:
        stmt = stmt.where(a.c.role == filters.role)
    return list(session.execute(stmt.order_by(a.c.mishap_pk, a.c.position)))


def _aircraft_group(key: str, rows: list[Any]) -> StatRow:
    return StatRow(
        key,
        mishaps=len({r[0] for r in rows}),
        aircraft=len(rows),
        fatalities=sum(r[4] or 0 for r in rows),
        fatalities_unknown=sum(1 for r in rows if r[4] is None),
        destroyed=sum(1 for r in rows if r[5] == "destroyed"),
        damage_unknown=sum(1 for r in rows if r[5] is None),
    )


def _aircraft_stats(session: Session, base: Any, by: str, filters: Filters) -> Stats:
    """Per-aircraft counts: each aircraft's own fatalities and damage, unknowns apart."""
    rows = _aircraft_rows(session, base, filters)
    column = {"role": 1, "aircraft": 2, "family": 3}[by]
    groups: dict[str, list[Any]] = {}
    for r in rows:
        groups.setdefault(r[column] or "unknown", []).append(r)
    out = [_aircraft_group(k, g) for k, g in groups.items()]
    out.sort(key=lambda r: (-r.mishaps, r.key))
    total = _aircraft_group("total", rows)
    total = StatRow(
        "total",
        mishaps=int(session.execute(select(func.count()).select_from(base)).scalar_one()),
        aircraft=total.aircraft,
        fatalities=total.fatalities,
        fatalities_unknown=total.fatalities_unknown,
        destroyed=total.destroyed,
        damage_unknown=total.damage_unknown,
    )
    kind = {"aircraft": "types", "role": "roles", "family": "families"}[by]
    note = (
        "per aircraft: killed and destroyed count what happened aboard the group's aircraft,"
        " from each aircraft's own record (unknown counts apart); a mishap with aircraft of"
        f" several {kind} counts once under each; the total counts it once"
    )
    if by == "family":
        note += "; a family is the type without series letter or status prefix, or its alias"
    return Stats(by=by, rows=out, total=total, note=note, counts="aircraft")


TANKER_ONLY = "tanker only"
RECEIVER_ONLY = "receiver only"
ARROW = " -> "


def _pair_stats(session: Session, base: Any, by: str, total: StatRow) -> Stats:
    """Tanker family -> receiver family: a mishap counts once under each pair it involves (and,
    for pair,mechanism, once under each of its mechanisms); killed are the mishaps' totals,
    destroyed the pair's aircraft destroyed.

    Counted in one pass over the mishaps with running sums, never a list of members per group:
    at a million cases the lists were most of the time (issue 16).
    """
    a = Aircraft.__table__
    tankers: dict[int, set[str]] = {}
    receivers: dict[int, set[str]] = {}
    destroyed: dict[tuple[int, str, str], int] = {}  # (mishap, role, family) -> aircraft
    planes = (
        select(a.c.mishap_pk, a.c.role, a.c.family, a.c.damage)
        .select_from(base.join(a, a.c.mishap_pk == base.c.pk))
        .where(a.c.role.in_(("tanker", "receiver")))
    )
    for pk, role, family, damage in _tuples(session, planes):
        (tankers if role == "tanker" else receivers).setdefault(pk, set()).add(family)
        if damage == "destroyed":
            destroyed[pk, role, family] = destroyed.get((pk, role, family), 0) + 1
    mechanisms: dict[int, list[str]] = {}
    if by == "pair,mechanism":
        mm = MishapMechanism.__table__
        found = select(mm.c.mishap_pk, mm.c.code).where(mm.c.mishap_pk.in_(select(base.c.pk)))
        for pk, code in session.execute(found.order_by(mm.c.mishap_pk, mm.c.position)):
            mechanisms.setdefault(pk, []).append(code)

    def seconds(pk: int, phase: str | None) -> list[str | None]:
        if by == "pair,phase":
            return [phase or "unknown"]
        if by == "pair,mechanism":
            none = NOT_REFUELING if phase == "not-refueling" else "unknown"
            return list(dict.fromkeys(mechanisms.get(pk) or [none]))
        return [None]

    # (key, phase or mechanism) -> [mishaps, fatalities, fatalities unknown, destroyed]
    groups: dict[tuple[str, str | None], list[int]] = {}
    mishaps = select(base.c.pk, base.c.refueling_phase, base.c.fatalities)
    for pk, phase, killed in _tuples(session, mishaps):
        ts, rs = tankers.get(pk), receivers.get(pk)
        if ts is None and rs is None:
            keys = [("no tanker or receiver recorded", 0)]
        else:
            keys = [
                (
                    f"{t}{ARROW}{r}",
                    destroyed.get((pk, "tanker", t), 0) + destroyed.get((pk, "receiver", r), 0),
                )
                for t in sorted(ts or [RECEIVER_ONLY])
                for r in sorted(rs or [TANKER_ONLY])
            ]
        for second in seconds(pk, phase):
            for key, lost in keys:
                g = groups.get((key, second))
                if g is None:
                    g = groups[key, second] = [0, 0, 0, 0]
                g[0] += 1
                if killed is None:
                    g[2] += 1
                else:
                    g[1] += killed
                g[3] += lost
    rows = [
        StatRow(
            key,
            mishaps=n,
            aircraft=None,
            fatalities=killed,
            fatalities_unknown=unknown,
            destroyed=lost,
            phase=second if by == "pair,phase" else None,
            mechanism=second if by == "pair,mechanism" else None,
        )
        for (key, second), (n, killed, unknown, lost) in groups.items()
    ]
    rows.sort(key=lambda r: (-r.mishaps, r.key, r.phase or r.mechanism or ""))
    total = StatRow(
        "total",
        total.mishaps,
        None,
        total.fatalities,
        total.fatalities_unknown,
        destroyed=sum(destroyed.values()),
    )
    note = (
        "tanker family -> receiver family; a mishap with several pairs counts once under each;"
        " killed are the mishaps' totals; destroyed counts the pair's aircraft;"
        f" '{TANKER_ONLY}'/'{RECEIVER_ONLY}' = no aircraft of the other role recorded"
    )
    if by == "pair,mechanism":
        note += (
            "; a mishap with several mechanisms counts once under each;"
            f" {NOT_REFUELING} = phase not-refueling, unknown = no mechanism coded"
        )
    return Stats(by=by, rows=rows, total=total, note=note)


def _member_rows(members: dict[str, set[int]], fatalities: dict[int, int | None]) -> list[StatRow]:
    rows = [
        StatRow(
            key,
            len(pks),
            None,
            sum(fatalities[p] or 0 for p in pks),
            sum(1 for p in pks if fatalities[p] is None),
        )
        for key, pks in members.items()
    ]
    rows.sort(key=lambda r: (-r.mishaps, r.key))
    return rows


NOT_REFUELING = "not refueling"


def _mechanism_stats(session: Session, base: Any, total: StatRow) -> Stats:
    """Group by air refueling mechanism: a case with several counts under each; a case with none
    counts as "not refueling" (phase not-refueling) or "unknown"."""
    cases = session.execute(select(base.c.pk, base.c.fatalities, base.c.refueling_phase)).all()
    fatalities = {pk: f for pk, f, _ in cases}
    mm = MishapMechanism.__table__
    members: dict[str, set[int]] = {}
    for pk, code in session.execute(
        select(mm.c.mishap_pk, mm.c.code).where(mm.c.mishap_pk.in_(select(base.c.pk)))
    ):
        members.setdefault(code, set()).add(pk)
    coded = set().union(*members.values()) if members else set()
    for pk, _, phase in cases:
        if pk not in coded:
            key = NOT_REFUELING if phase == "not-refueling" else "unknown"
            members.setdefault(key, set()).add(pk)
    note = (
        "a mishap with several mechanisms counts once under each; the total counts it once;"
        f" {NOT_REFUELING} = phase not-refueling, unknown = no mechanism coded"
    )
    return Stats(by="mechanism", rows=_member_rows(members, fatalities), total=total, note=note)


def _nation_stats(session: Session, base: Any, total: StatRow) -> Stats:
    """Group by the nation of the operating service (data/nations.yaml): a joint case counts
    under each nation; a service the table does not know counts as unknown."""
    from mishaps.nations import nation_keys

    members: dict[str, set[int]] = {}
    fatalities: dict[int, int | None] = {}
    for pk, service, fatal in session.execute(select(base.c.pk, base.c.service, base.c.fatalities)):
        fatalities[pk] = fatal
        for key in nation_keys(service):
            members.setdefault(key, set()).add(pk)
    note = (
        "a nation is the ISO code of the operating service's nation (mishaps/data/nations.yaml),"
        " named beside it;"
        " a mishap of several nations' services counts once under each; the total counts it once"
    )
    return Stats(by="nation", rows=_member_rows(members, fatalities), total=total, note=note)


def _service_stats(session: Session, base: Any, total: StatRow) -> Stats:
    """Group by each service a case names (mishap_service): a joint case counts under each. A
    service is shown as the casebook spells it most often (ties: the first in sort order)."""
    s = MishapService.__table__
    fat, unknown, _ = _sums(base)
    key = func.coalesce(s.c.key, "unknown")
    # One row per (case, key) (a unique pair), so count(*) counts cases. Grouped in SQL: in
    # Python, as --by nation does, it took about 1.6x --by phase at 100,000 cases (bench/NOTES.md).
    stmt = (
        select(key, func.count(), fat, unknown)
        .select_from(base.outerjoin(s, s.c.mishap_pk == base.c.pk))
        .group_by(key)
    )
    spellings = session.execute(
        select(s.c.key, s.c.service, func.count()).group_by(s.c.key, s.c.service)
    ).all()
    spelling: dict[str, str] = {}
    for k, service, _ in sorted(spellings, key=lambda r: (-r[2], r[1])):
        spelling.setdefault(k, service)
    rows = [
        StatRow(spelling.get(k, k), int(n), None, int(f or 0), int(u or 0))
        for k, n, f, u in session.execute(stmt)
    ]
    rows.sort(key=lambda r: (-r.mishaps, r.key))
    note = (
        'a mishap of several services (written "USAF/USN") counts once under each; the total'
        " counts it once; a detail in a trailing parenthesis is not a service of its own"
    )
    return Stats(by="service", rows=rows, total=total, note=note)


def _hfacs_stats(session: Session, base: Any, by: str, total: StatRow) -> Stats:
    """Group by HFACS tier or category through the taxonomy; a mishap counts once per group."""
    from mishaps.taxonomy import hfacs, hfacs_document

    entries = {h.code: h for h in hfacs()}
    tiers = {t["code"]: t["name"] for t in hfacs_document()["tiers"]}
    names = {h.code: h.title for h in hfacs() if h.code == h.category}

    def group(code: str) -> str:
        entry = entries.get(code)
        if by == "hfacs-tier":
            return entry.tier if entry else tiers.get(code[:1], "not in the HFACS 8.0 list")
        if entry is None:
            return "not in the HFACS 8.0 list"
        return f"{entry.category} {names[entry.category]}"

    fatalities = dict(session.execute(select(base.c.pk, base.c.fatalities)).all())
    h = FindingHfacs.__table__
    members: dict[str, set[int]] = {}
    coded: set[int] = set()
    for pk, code in session.execute(
        select(h.c.mishap_pk, h.c.code).distinct().where(h.c.mishap_pk.in_(select(base.c.pk)))
    ):
        members.setdefault(group(code), set()).add(pk)
        coded.add(pk)
    if uncoded := set(fatalities) - coded:
        members["none"] = uncoded
    rows = _member_rows(members, fatalities)
    what = "tiers" if by == "hfacs-tier" else "categories"
    note = f"a mishap with findings in several HFACS {what} counts once under each"
    return Stats(by=by, rows=rows, total=total, note=note)


def with_aircraft(
    *, session: Session, filters: Filters, aircraft: str
) -> list[tuple[str, int | None, str, str]]:
    """(id, fiscal year, first day, last day) of the mishaps matching ``filters`` that involve
    ``aircraft``. With --role and no --aircraft, role and type must hold for the same aircraft."""
    from dataclasses import replace

    if filters.aircraft is None:
        conds = mishap_conditions(session, replace(filters, aircraft=aircraft))
    else:
        conds = mishap_conditions(session, filters)
        sqlite = is_sqlite(session.get_bind())
        matching = select(Aircraft.mishap_pk).where(_aircraft_condition(aircraft, sqlite=sqlite))
        conds.append(Mishap.pk.in_(matching))
    stmt = select(Mishap.id, Mishap.fiscal_year, Mishap.date_start, Mishap.date_end).where(*conds)
    return [(r[0], r[1], r[2], r[3]) for r in session.execute(stmt)]


def aircraft_hint(*, session: Session, query: str) -> str | None:
    """Why ``--aircraft query`` matched nothing, when no aircraft in the database is of that
    type at all: the message names what was looked for and suggests near matches. None when the
    type is there (the other filters excluded its cases)."""
    import difflib

    sqlite = is_sqlite(session.get_bind())
    hit = session.execute(
        select(Aircraft.mishap_pk).where(_aircraft_condition(query, sqlite=sqlite)).limit(1)
    ).first()
    if hit is not None:
        return None
    names: dict[str, str] = {}  # compact form -> the name to suggest (a family before a type)
    for type_, family in session.execute(select(Aircraft.type, Aircraft.family).distinct()):
        names.setdefault(mds.compact(type_), type_)
        if family:
            names[mds.compact(family)] = family
    wanted = mds.compact(query)
    parsed = mds.parse(mds.designator_query(query).upper()) if wanted else None
    same = [names[wanted]] if wanted in names else []
    if not same and parsed is None:
        fam = mds.compact(mds.family(query))
        same = [names[fam]] if fam in names else []
    close = difflib.get_close_matches(wanted, list(names), n=3, cutoff=0.75)
    suggestions = same or list(dict.fromkeys(names[c] for c in close))
    message = f"no aircraft type {query.strip()} in the database"
    if suggestions:
        return message + "; did you mean " + " or ".join(suggestions) + "?"
    return message + "."
