"""Files -> validated cases -> one transaction: conflicts, dry runs and history.

Everything is checked before anything is written, and an import is one transaction: a file with
one bad record imports nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from mishaps import store
from mishaps.collection import paused
from mishaps.db import is_sqlite, retrying, write_session
from mishaps.errors import MAX_PROBLEMS_PER_FILE, Conflict, InvalidInput, NotFound, Problem
from mishaps.files import Record, read_records
from mishaps.schema import Case, uncited, validate_case
from mishaps.vocab import OnConflict


@dataclass(frozen=True)
class Loaded:
    case: Case
    file: str


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    dry_run: bool = False


def validate_records(
    records: Iterable[Record], *, strict: bool = False
) -> tuple[list[Loaded], list[Problem]]:
    """Validate parsed records; ``strict`` also wants a cite for every filled fact field and
    every finding (docs/format.md, "Citations"). A file stops being checked once it has shown
    MAX_PROBLEMS_PER_FILE problems."""
    loaded: list[Loaded] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    shown: dict[str, int] = {}
    given_up: set[str] = set()
    records = list(records)
    per_file: dict[str, int] = {}
    for record in records:
        per_file[record.file] = per_file.get(record.file, 0) + 1
    for record in records:
        if record.file in given_up:
            continue
        case, issues = validate_case(record.data)
        if case is not None and strict:
            issues = uncited(case)
        found = [record.problem(path, message) for path, message in issues]
        if case is not None and case.id in seen:
            found.append(record.problem(("id",), f"duplicate id; first seen in {seen[case.id]}"))
        if found:
            found.sort(key=lambda p: p.line if p.line is not None else 1 << 30)
            room = MAX_PROBLEMS_PER_FILE - shown.get(record.file, 0)
            problems.extend(found[:room])
            shown[record.file] = shown.get(record.file, 0) + min(len(found), room)
            if len(found) > room:
                given_up.add(record.file)
                problems.append(
                    Problem(
                        record.file,
                        f"{MAX_PROBLEMS_PER_FILE} problems shown; checking stopped at record"
                        f" {record.index + 1} of {per_file[record.file]:,}, so there are more",
                    )
                )
        if case is None or (case.id in seen):
            continue
        seen[case.id] = (
            record.file
            if record.lines.get(("id",)) is None
            else f"{record.file}:{record.lines[('id',)]}"
        )
        loaded.append(Loaded(case, record.file))
    return loaded, problems


def load_files(paths: Sequence[Path], *, strict: bool = False) -> list[Loaded]:
    """Read and validate every file; raise InvalidInput naming the problems in all of them
    (at most a screenful of each file's)."""
    records: list[Record] = []
    problems: list[Problem] = []
    with paused():  # a hundred thousand cases are millions of objects, none of them garbage
        for path in paths:
            recs, probs = read_records(path)
            records.extend(recs)
            problems.extend(probs)  # at most a screenful: the readers cap them
        loaded, more = validate_records(records, strict=strict)
    problems.extend(more)
    if problems:
        raise InvalidInput(problems)
    return loaded


def class_warnings(items: Sequence[Loaded]) -> list[str]:
    """One line per case whose stated class the era rules contradict (the case stays valid)."""
    from mishaps.classes import disagreement

    return [
        f"{i.file}: {i.case.id}: mishap_class: {message}"
        for i in items
        if (message := disagreement(i.case)) is not None
    ]


def service_warnings(items: Sequence[Loaded]) -> list[str]:
    """One line per service name that mishaps/data/nations.yaml does not know: such a case
    counts as "unknown" in `stats --by nation` (the case stays valid)."""
    from mishaps.nations import nations_of

    return [
        f"{i.file}: {i.case.id}: service: {part!r} is not in mishaps/data/nations.yaml;"
        " stats --by nation counts it as unknown"
        for i in items
        for part in nations_of(i.case.service).unmapped
    ]


def import_cases(
    engine: Engine,
    items: Sequence[Loaded],
    *,
    on_conflict: OnConflict = OnConflict.error,
    dry_run: bool = False,
    command: str = "import",
) -> ImportResult:
    """Write validated cases in one transaction (or, with dry_run, only say what would happen);
    run again if another writer's transaction interrupted it (db.retrying)."""
    # Every row and history document is built before the write transaction, so that the writer
    # lock, which every other writer waits for, is held only for the SQL (issue 11, item 12).
    ready: list[tuple[store.Prepared, str]] = []
    with paused():  # millions of rows, postings and documents, none of them garbage
        if not dry_run:
            cases = [i.case for i in items]
            prepared = store.prepare(cases, sqlite=is_sqlite(engine))
            ready = list(zip(prepared, map(store.document, cases), strict=True))
        return retrying(
            lambda: _import_once(
                engine, items, ready, on_conflict=on_conflict, dry_run=dry_run, command=command
            )
        )


def _import_once(
    engine: Engine,
    items: Sequence[Loaded],
    ready: Sequence[tuple[store.Prepared, str]],
    *,
    on_conflict: OnConflict,
    dry_run: bool,
    command: str,
) -> ImportResult:
    result = ImportResult(dry_run=dry_run)
    with write_session(engine) as session:
        existing = store.pks_by_id(session, [i.case.id for i in items])
        if existing and on_conflict is OnConflict.error:
            ids = sorted(existing)
            shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
            raise Conflict(
                f"already in the database: {shown}; nothing imported"
                " (use --on-conflict skip or --on-conflict replace)"
            )
        new = [k for k, i in enumerate(items) if i.case.id not in existing]
        old = [k for k, i in enumerate(items) if i.case.id in existing]
        result.added = [items[k].case.id for k in new]
        if on_conflict is OnConflict.replace:
            result.replaced = [items[k].case.id for k in old]
        else:
            result.skipped = [items[k].case.id for k in old]
        if dry_run:
            session.rollback()
            return result
        to_write = new + (old if on_conflict is OnConflict.replace else [])
        if on_conflict is OnConflict.replace and old:
            store.delete_by_pk(session, [existing[items[k].case.id] for k in old])
        store.insert_prepared(session, [ready[k][0] for k in to_write])
        by_file: dict[str, list[tuple[str, str, str | Case | None]]] = {}
        for k in to_write:
            mishap_id = items[k].case.id
            action = "replace" if mishap_id in existing else "insert"
            by_file.setdefault(items[k].file, []).append((mishap_id, action, ready[k][1]))
        for file, entries in by_file.items():
            store.record_revisions(session, entries, command=command, file=file)
    return result


def delete_cases(engine: Engine, ids: Sequence[str], *, command: str = "delete") -> list[str]:
    """Delete cases in one transaction, recording a ``delete`` revision each; history stays."""
    with write_session(engine) as session:
        found = store.pks_by_id(session, list(ids))
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound(
                f"no mishap with id {missing[0]!r} (list them with: mishaps list); nothing deleted"
            )
        store.delete_by_pk(session, [found[i] for i in ids])
        store.record_revisions(session, [(i, "delete", None) for i in ids], command=command)
    return list(ids)


def duplicate_suspects(engine: Engine | None, items: Sequence[Loaded]) -> list[Any]:
    """Suspected duplicates (mishaps.duplicates) among ``items`` and, given a database, between
    them and its cases."""
    from mishaps.db import session_scope
    from mishaps.duplicates import entry, stored_entries, suspects

    new = [entry(i.case) for i in items]
    if engine is None:
        return suspects(new)
    with session_scope(engine) as session:
        return suspects(new, stored_entries(session))
