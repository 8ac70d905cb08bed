"""How a case is stored: ``schema.Case`` <-> rows of the tables in ``models``.

Writes are bulk inserts through SQLAlchemy Core (building ORM objects is ~39x slower); the
mishap rows come back with their keys in parameter order, so children need no second query.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, text
from sqlmodel import Session

from mishaps import classes, mds
from mishaps.db import is_sqlite
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
    Revision,
    Source,
)
from mishaps.schema import Case, date_period

CHUNK = 500  # ids per IN (...) list: well under every driver's parameter limit


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _table(model: Any) -> Any:
    """The model's Core table: inserting into it is a plain executemany, without the ORM's bulk
    machinery (about half the cost per row)."""
    return model.__table__


def _mishap_row(case: Case) -> dict[str, Any]:
    start, end = date_period(case.occurred_on)
    stated = case.mishap_class.value if case.mishap_class else None
    derived = classes.derive(case).mishap_class
    return {
        "id": case.id,
        "title": case.title,
        "occurred_on": case.occurred_on,
        "date_start": start.isoformat(),
        "date_end": end.isoformat(),
        "time": case.time,
        "status": case.status.value,
        "service": case.service,
        "operation": case.operation,
        "location_description": case.location.description,
        "country": case.location.country,
        "latitude": case.location.latitude,
        "longitude": case.location.longitude,
        "location_approximate": case.location.approximate,
        "location_basis": case.location.basis,
        "refueling_method": case.refueling.method.value,
        "refueling_phase": case.refueling.phase.value,
        "damage_usd": case.damage_usd,
        "mishap_class": stated,
        "derived_class": derived,
        "effective_class": stated or derived,
        "fiscal_year": classes.fiscal_year(case.occurred_on),
        "fatalities": case.fatalities,
        "injuries": case.injuries,
        "summary": case.summary,
        "notes": case.notes,
    }


def insert_cases(session: Session, cases: Sequence[Case]) -> list[int]:
    """Insert new cases with all their rows and search entries; returns their keys."""
    if not cases:
        return []
    # A plain executemany, then the keys by id: INSERT ... RETURNING with many rows makes
    # SQLAlchemy run one statement per row on SQLite and splice the results together, which is
    # quadratic (20,000 cases took 160 s); the id lookup is one indexed query per 500 ids.
    session.execute(insert(_table(Mishap)), [_mishap_row(c) for c in cases])
    found = pks_by_id(session, [c.id for c in cases])
    pks = [found[c.id] for c in cases]
    aircraft: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    hfacs: list[dict[str, Any]] = []
    categories: list[dict[str, Any]] = []
    sources: list[dict[str, Any]] = []
    finding_cites: list[dict[str, Any]] = []
    cites: list[dict[str, Any]] = []
    mechanisms: list[dict[str, Any]] = []
    series: list[dict[str, Any]] = []
    for pk, case in zip(pks, cases, strict=True):
        for pos, a in enumerate(case.aircraft):
            parsed = mds.parse(a.type)
            aircraft.append(
                {
                    "mishap_pk": pk,
                    "position": pos,
                    "role": a.role.value,
                    "type": a.type,
                    "mds_prefix": parsed.prefix if parsed else None,
                    "mds_mission": parsed.mission if parsed else None,
                    "mds_design": parsed.design if parsed else None,
                    "mds_series": parsed.series if parsed else None,
                    "type_norm": mds.normalize_type(a.type),
                    "family": mds.family(a.type),
                    "serial": a.serial,
                    "unit": a.unit,
                    "callsign": a.callsign,
                    "crew": a.crew,
                    "fatalities": a.fatalities,
                    "injuries": a.injuries,
                    "damage": a.damage.value if a.damage else None,
                }
            )
        for pos, f in enumerate(case.findings):
            findings.append(
                {
                    "mishap_pk": pk,
                    "position": pos,
                    "kind": f.kind.value,
                    "text": f.text,
                    "status": f.status.value if f.status else None,
                    "status_as_of": f.status_as_of,
                }
            )
            hfacs.extend(
                {"mishap_pk": pk, "finding_position": pos, "position": i, "code": code}
                for i, code in enumerate(f.hfacs)
            )
            finding_cites.extend(
                {"mishap_pk": pk, "finding_position": pos, "position": i, "source": n}
                for i, n in enumerate(f.cites)
            )
        pairs = [(path, n) for path, numbers in case.cites.items() for n in numbers]
        cites.extend(
            {"mishap_pk": pk, "position": i, "path": path, "source": n}
            for i, (path, n) in enumerate(pairs)
        )
        mechanisms.extend(
            {"mishap_pk": pk, "position": i, "code": code}
            for i, code in enumerate(case.refueling.mechanism)
        )
        series.extend(
            {"mishap_pk": pk, "position": i, "series_id": sid} for i, sid in enumerate(case.series)
        )
        categories.extend(
            {"mishap_pk": pk, "position": i, "code": code}
            for i, code in enumerate(case.occurrence_categories)
        )
        sources.extend(
            {
                "mishap_pk": pk,
                "position": pos,
                "title": s.title,
                "publisher": s.publisher,
                "url": s.url,
                "published_on": s.published_on,
                "kind": s.kind.value,
            }
            for pos, s in enumerate(case.sources)
        )
    for model, rows in (
        (Aircraft, aircraft),
        (Finding, findings),
        (FindingHfacs, hfacs),
        (FindingCite, finding_cites),
        (MishapCite, cites),
        (MishapMechanism, mechanisms),
        (MishapSeries, series),
        (MishapCategory, categories),
        (Source, sources),
    ):
        if rows:
            session.execute(insert(_table(model)), rows)
    _index(session, list(zip(pks, cases, strict=True)))
    return pks


_NOT_A_TOKEN = re.compile(r"[\W_]+")


def plain_words(text_: str) -> str:
    """Text as FTS5's unicode61 tokenizer sees it: runs of letters and digits, nothing else.

    Given to PostgreSQL's parser instead of the raw text, so that "KC-135" is the words "kc" and
    "135" on both backends (PostgreSQL alone would read "-135" as a signed number).
    """
    return _NOT_A_TOKEN.sub(" ", text_)


def _index(session: Session, items: list[tuple[int, Case]]) -> None:
    sqlite = is_sqlite(session.get_bind())
    clean = (lambda s: s) if sqlite else plain_words
    rows = [
        {
            "pk": pk,
            "title": clean(c.title),
            "summary": clean(c.summary),
            "findings": clean("\n".join(f.text for f in c.findings)),
        }
        for pk, c in items
    ]
    if sqlite:
        session.execute(
            text(
                "INSERT INTO mishap_fts(rowid, title, summary, findings)"
                " VALUES (:pk, :title, :summary, :findings)"
            ),
            rows,
        )
    else:
        session.execute(
            text(
                "INSERT INTO mishap_search(mishap_pk, doc, findings) VALUES (:pk,"
                " to_tsvector('mishaps_english', :title || ' ' || :summary || ' ' || :findings),"
                " to_tsvector('mishaps_english', :findings))"
            ),
            rows,
        )


def delete_by_pk(session: Session, pks: Sequence[int]) -> None:
    """Delete cases; child rows go by ON DELETE CASCADE, search entries explicitly."""
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


def _load_chunk(session: Session, part: Sequence[int]) -> dict[int, Case]:
    mishaps = session.connection().execute(select(_table(Mishap)).where(Mishap.pk.in_(part))).all()
    aircraft = _children(session, Aircraft, part, Aircraft.position)
    findings = _children(session, Finding, part, Finding.position)
    hfacs = _children(
        session, FindingHfacs, part, FindingHfacs.finding_position, FindingHfacs.position
    )
    cats = _children(session, MishapCategory, part, MishapCategory.position)
    sources = _children(session, Source, part, Source.position)
    finding_cites = _children(
        session, FindingCite, part, FindingCite.finding_position, FindingCite.position
    )
    cites = _children(session, MishapCite, part, MishapCite.position)
    mechanisms = _children(session, MishapMechanism, part, MishapMechanism.position)
    series = _children(session, MishapSeries, part, MishapSeries.position)
    out = {}
    for m in mishaps:
        assert m.pk is not None
        codes: dict[int, list[str]] = defaultdict(list)
        for h in hfacs[m.pk]:
            codes[h.finding_position].append(h.code)
        cited: dict[int, list[int]] = defaultdict(list)
        for c in finding_cites[m.pk]:
            cited[c.finding_position].append(c.source)
        by_path: dict[str, list[int]] = {}
        for c in cites[m.pk]:
            by_path.setdefault(c.path, []).append(c.source)
        doc = {
            "id": m.id,
            "title": m.title,
            "occurred_on": m.occurred_on,
            "time": m.time,
            "status": m.status,
            "service": m.service,
            "operation": m.operation,
            "location": {
                "description": m.location_description,
                "country": m.country,
                "latitude": m.latitude,
                "longitude": m.longitude,
                "approximate": m.location_approximate,
                "basis": m.location_basis,
            },
            "refueling": {
                "method": m.refueling_method,
                "phase": m.refueling_phase,
                "mechanism": [x.code for x in mechanisms[m.pk]],
            },
            "damage_usd": m.damage_usd,
            "mishap_class": m.mishap_class,
            "fatalities": m.fatalities,
            "injuries": m.injuries,
            "occurrence_categories": [c.code for c in cats[m.pk]],
            "series": [x.series_id for x in series[m.pk]],
            "aircraft": [
                {
                    "role": a.role,
                    "type": a.type,
                    "serial": a.serial,
                    "unit": a.unit,
                    "callsign": a.callsign,
                    "crew": a.crew,
                    "fatalities": a.fatalities,
                    "injuries": a.injuries,
                    "damage": a.damage,
                }
                for a in aircraft[m.pk]
            ],
            "findings": [
                {
                    "kind": f.kind,
                    "text": f.text,
                    "hfacs": codes[f.position],
                    "status": f.status,
                    "status_as_of": f.status_as_of,
                    "cites": cited[f.position],
                }
                for f in findings[m.pk]
            ],
            "summary": m.summary,
            "notes": m.notes,
            "sources": [
                {
                    "title": s.title,
                    "publisher": s.publisher,
                    "url": s.url,
                    "published_on": s.published_on,
                    "kind": s.kind,
                }
                for s in sources[m.pk]
            ],
            "cites": by_path,
        }
        out[m.pk] = Case.model_validate(doc)
    return out


def now_utc() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def record_revisions(
    session: Session,
    entries: Iterable[tuple[str, str, Case | None]],
    *,
    command: str,
    file: str | None = None,
    at: str | None = None,
) -> None:
    """Append one history entry per (case id, action, case after the change)."""
    when = at or now_utc()
    rows = [
        {
            "mishap_id": mid,
            "action": action,
            "at": when,
            "command": command,
            "file": file,
            "document": json.dumps(case.to_document(), ensure_ascii=False) if case else None,
        }
        for mid, action, case in entries
    ]
    if rows:
        session.execute(insert(_table(Revision)), rows)


def refresh_families(session: Session) -> int:
    """Recompute every aircraft's family from its type (mishaps.mds.family); returns how many
    changed. Plain SQL by column name, so a migration can call it on the schema of its day."""
    updates = [
        {"pk": mpk, "pos": pos, "family": new}
        for mpk, pos, type_, old in session.execute(
            text("SELECT mishap_pk, position, type, family FROM aircraft")
        )
        if (new := mds.family(type_)) != old
    ]
    if updates:
        session.execute(
            text("UPDATE aircraft SET family = :family WHERE mishap_pk = :pk AND position = :pos"),
            updates,
        )
    return len(updates)


def refresh_derived(session: Session) -> int:
    """Recompute every case's derived columns (derived_class, effective_class, fiscal_year) from
    its stored facts; returns how many cases changed.

    For when the threshold data changes, and for a migration that adds the columns to an older
    database: it reads and writes by column name in plain SQL, not through ``models``, so it
    works on any schema that has these columns.
    """
    severe: dict[int, tuple[bool, bool]] = {}
    for mpk, fatalities, damage in session.execute(
        text("SELECT mishap_pk, fatalities, damage FROM aircraft")
    ):
        fatal, destroyed = severe.get(mpk, (False, False))
        severe[mpk] = (fatal or (fatalities or 0) > 0, destroyed or damage == "destroyed")
    updates = []
    for pk, occurred_on, damage_usd, fatalities, service, stated, *old in session.execute(
        text(
            "SELECT pk, occurred_on, damage_usd, fatalities, service, mishap_class,"
            " derived_class, effective_class, fiscal_year FROM mishap"
        )
    ):
        fatal, destroyed = severe.get(pk, (False, False))
        derived = classes.derive_from(
            occurred_on=occurred_on,
            damage_usd=damage_usd,
            service=service,
            fatal=fatal or (fatalities or 0) > 0,
            destroyed=destroyed,
        ).mishap_class
        new = [derived, stated or derived, classes.fiscal_year(occurred_on)]
        if new != old:
            updates.append({"pk": pk, "d": new[0], "e": new[1], "fy": new[2]})
    if updates:
        session.execute(
            text(
                "UPDATE mishap SET derived_class = :d, effective_class = :e, fiscal_year = :fy"
                " WHERE pk = :pk"
            ),
            updates,
        )
    return len(updates)
