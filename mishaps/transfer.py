"""Copy every case, with its history, from one database to another (SQLite <-> PostgreSQL).

Cases travel in their one in-memory shape (``schema.Case``), so the target rebuilds its own keys,
child rows and full-text index exactly as an import would; history rows travel verbatim, in
order. The source is read in one transaction (one snapshot) and the target is written in one:
a failed copy leaves the target as it was.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlmodel import Session, col

from mishaps import store
from mishaps.db import session_scope, write_session
from mishaps.errors import Conflict
from mishaps.models import Mishap, Revision
from mishaps.schema import Case
from mishaps.text import plural
from mishaps.vocab import OnConflict

REVISION_CHUNK = 1000


@dataclass
class CopyResult:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    revisions: int = 0
    target: str | None = None  # the target database as its user knows it


def _counts(session: Session) -> tuple[int, int]:
    cases = session.execute(select(func.count()).select_from(Mishap)).scalar_one()
    revisions = session.execute(select(func.count()).select_from(Revision)).scalar_one()
    return int(cases), int(revisions)


def copy_database(
    source: Engine,
    target: Engine,
    *,
    on_conflict: OnConflict = OnConflict.error,
    command: str = "db copy",
    source_name: str | None = None,
) -> CopyResult:
    """Copy every case and every history entry from ``source`` into ``target``.

    Into an empty target the copy is exact: the same cases and the same history, in order. A
    target that holds anything is refused unless ``on_conflict`` says what to do with a case
    already there: ``skip`` keeps the target's case, ``replace`` takes the source's. Either way
    only the history of the cases copied is appended, and a replaced case gets one more entry
    saying that the copy replaced it, so the target's history keeps both versions.
    """
    result = CopyResult()
    with session_scope(source) as src, write_session(target) as dst:
        cases, revisions = _counts(dst)
        merging = bool(cases or revisions)
        if merging and on_conflict is OnConflict.error:
            raise Conflict(
                f"the target already holds {plural(cases, 'case')} and"
                f" {revisions} history entr{'ies' if revisions != 1 else 'y'}; nothing copied"
                " (use --on-conflict skip or --on-conflict replace to copy into it)"
            )
        pks = list(src.execute(select(col(Mishap.pk)).order_by(col(Mishap.pk))).scalars())
        for part in store.chunks(pks):
            _copy_cases(dst, store.load_cases(src, part), on_conflict, result)
        if merging:
            wanted: set[str] | None = set(result.added) | set(result.replaced)
        else:
            wanted = None  # everything, deleted cases' history included
        result.revisions = _copy_revisions(src, dst, wanted)
        if result.replaced:
            by_id = {
                c.id: c
                for c in store.load_cases(dst, list(store.pks_by_id(dst, result.replaced).values()))
            }
            store.record_revisions(
                dst,
                [(mid, "replace", by_id[mid]) for mid in result.replaced],
                command=command,
                file=source_name,
            )
    return result


def _copy_cases(
    dst: Session, cases: list[Case], on_conflict: OnConflict, result: CopyResult
) -> None:
    existing = store.pks_by_id(dst, [c.id for c in cases])
    if existing:
        if on_conflict is OnConflict.replace:
            store.delete_by_pk(dst, list(existing.values()))
            result.replaced.extend(c.id for c in cases if c.id in existing)
        else:
            result.skipped.extend(c.id for c in cases if c.id in existing)
            cases = [c for c in cases if c.id not in existing]
    result.added.extend(c.id for c in cases if c.id not in existing)
    store.insert_cases(dst, cases)


def _copy_revisions(src: Session, dst: Session, wanted: set[str] | None) -> int:
    """Append the source's history rows in their order; the target numbers them anew."""
    copied = 0
    last = 0
    columns = [c for c in Revision.__table__.columns if c.name != "seq"]
    while True:
        stmt = (
            select(Revision.seq, *columns)
            .where(Revision.seq > last)  # type: ignore[operator]
            .order_by(Revision.seq)
            .limit(REVISION_CHUNK)
        )
        rows = src.execute(stmt).all()
        if not rows:
            return copied
        last = rows[-1][0]
        batch: list[dict[str, Any]] = [
            {c.name: value for c, value in zip(columns, row[1:], strict=True)} for row in rows
        ]
        if wanted is not None:
            batch = [r for r in batch if r["mishap_id"] in wanted]
        if batch:
            dst.execute(insert(Revision), batch)
            copied += len(batch)


def history(session: Session) -> list[dict[str, Any]]:
    """Every history entry in order, without its number: what a copy must keep identical."""
    rows = session.execute(select(Revision).order_by(Revision.seq)).scalars()
    return [
        {
            "mishap_id": r.mishap_id,
            "action": r.action,
            "at": r.at,
            "command": r.command,
            "file": r.file,
            "document": json.loads(r.document) if r.document else None,
        }
        for r in rows
    ]
