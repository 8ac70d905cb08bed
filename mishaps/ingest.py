"""Files -> validated cases -> one transaction: conflicts, dry runs and history.

Everything is checked before anything is written, and an import is one transaction: a file with
one bad record imports nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from mishaps import store
from mishaps.db import write_session
from mishaps.errors import Conflict, InvalidInput, NotFound, Problem
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
    every finding (docs/format.md, "Citations")."""
    loaded: list[Loaded] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for record in records:
        case, issues = validate_case(record.data)
        if case is not None and strict:
            issues = uncited(case)
        found = [record.problem(path, message) for path, message in issues]
        problems.extend(sorted(found, key=lambda p: p.line if p.line is not None else 1 << 30))
        if case is None:
            continue
        if case.id in seen:
            problems.append(record.problem(("id",), f"duplicate id; first seen in {seen[case.id]}"))
            continue
        seen[case.id] = (
            record.file
            if record.lines.get(("id",)) is None
            else f"{record.file}:{record.lines[('id',)]}"
        )
        loaded.append(Loaded(case, record.file))
    return loaded, problems


def load_files(paths: Sequence[Path], *, strict: bool = False) -> list[Loaded]:
    """Read and validate every file; raise InvalidInput naming every problem in all of them."""
    records: list[Record] = []
    problems: list[Problem] = []
    for path in paths:
        recs, probs = read_records(path)
        records.extend(recs)
        problems.extend(probs)
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
    """Write validated cases in one transaction (or, with dry_run, only say what would happen)."""
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
        new = [i for i in items if i.case.id not in existing]
        old = [i for i in items if i.case.id in existing]
        result.added = [i.case.id for i in new]
        if on_conflict is OnConflict.replace:
            result.replaced = [i.case.id for i in old]
        else:
            result.skipped = [i.case.id for i in old]
        if dry_run:
            session.rollback()
            return result
        to_write = new + (old if on_conflict is OnConflict.replace else [])
        if on_conflict is OnConflict.replace and old:
            store.delete_by_pk(session, [existing[i.case.id] for i in old])
        store.insert_cases(session, [i.case for i in to_write])
        by_file: dict[str, list[tuple[str, str, Case | None]]] = {}
        for i in to_write:
            action = "replace" if i.case.id in existing else "insert"
            by_file.setdefault(i.file, []).append((i.case.id, action, i.case))
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
