"""Backups and restores: a consistent copy while others use the database, brought back whole.

Two kinds of backup file:

- **SQLite** (for an SQLite database): a copy made with SQLite's online backup API in one step,
  so it is one consistent snapshot even while other processes write (WAL readers never block
  writers). Restoring copies it back through the same API, inside one write transaction of the
  target database: other connections see the old database or the new one, never a mixture.
- **Logical** (for any other backend, or on request): a JSON file holding every case in the
  interchange format and every revision. It is read and written through SQLAlchemy only, so it
  works on any backend; restoring it validates every case as an import does.

Backups are written to a temporary file beside the target and renamed into place, so a failed
backup never leaves a partial file under the requested name.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, delete, func, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col

from mishaps import store
from mishaps.db import busy_timeout_ms, create_schema, is_sqlite, write_session
from mishaps.errors import (
    MAX_PROBLEMS_PER_FILE,
    DatabaseError,
    InvalidInput,
    MishapsError,
    Problem,
    ProblemList,
)
from mishaps.files import dump_json, write_output
from mishaps.models import Mishap, Revision
from mishaps.schema import validate_case
from mishaps.text import plural

SQLITE_MAGIC = b"SQLite format 3\x00"
LOGICAL_FORMAT = "mishaps-backup"
LOGICAL_VERSION = 1
ACTIONS = ("insert", "replace", "delete")


@dataclass(frozen=True)
class Contents:
    cases: int
    revisions: int

    def __str__(self) -> str:
        return f"{plural(self.cases, 'case')} and {plural(self.revisions, 'revision')}"


@dataclass(frozen=True)
class BackupResult:
    path: Path
    kind: str  # sqlite | logical
    contents: Contents


@dataclass(frozen=True)
class RestoreResult:
    kind: str
    restored: Contents
    replaced: Contents


def contents(session: Session) -> Contents:
    cases = session.execute(select(func.count()).select_from(Mishap)).scalar_one()
    revisions = session.execute(select(func.count()).select_from(Revision)).scalar_one()
    return Contents(cases, revisions)


def _sqlite_file(engine: Engine) -> Path | None:
    return (
        Path(engine.url.database).resolve() if is_sqlite(engine) and engine.url.database else None
    )


# --- backup -----------------------------------------------------------------------------------


def backup(
    engine: Engine, dest: Path, *, force: bool = False, logical: bool = False
) -> BackupResult:
    """Write a backup of the database to ``dest``: an SQLite copy, or a logical JSON export
    when the database is not SQLite or ``logical`` is asked for."""
    dest = Path(dest)
    if dest.is_dir():
        raise MishapsError(f"{dest} is a directory; name the backup file")
    if dest.exists() and not force:
        raise MishapsError(
            f"{dest} already exists; choose another name or pass --force to overwrite it"
        )
    source = _sqlite_file(engine)
    protect = [source] if source is not None else []
    if source is None or logical:
        # One transaction, and on PostgreSQL one snapshot for all its statements.
        snapshot = engine if source else engine.execution_options(isolation_level="REPEATABLE READ")
        with Session(snapshot) as session:
            data = logical_document(session)
        write_output(dest, dump_json(data).encode("utf-8"), protect=protect)
        return BackupResult(dest, "logical", Contents(len(data["mishaps"]), len(data["revisions"])))
    found: list[Contents] = []

    def copy_into(tmp: Path) -> None:
        src = sqlite3.connect(source, timeout=busy_timeout_ms() / 1000)
        try:
            dst = sqlite3.connect(tmp)
            try:
                _copy(src, dst)
                # A backup is one self-contained file: no -wal beside it to lose in a copy.
                dst.execute("PRAGMA journal_mode=DELETE")
                found.append(_check_mishaps_db(dst, str(dest)))
            finally:
                dst.close()
        finally:
            src.close()

    # A new backup is as readable as the database, no more.
    write_output(dest, copy_into, protect=protect, max_mode=source.stat().st_mode & 0o777)
    return BackupResult(dest, "sqlite", found[0])


def logical_document(session: Session) -> dict[str, Any]:
    """Every case (interchange format) and every revision, through SQLAlchemy only."""
    pks = list(session.execute(select(col(Mishap.pk)).order_by(Mishap.id)).scalars())
    cases = store.load_cases(session, pks)
    revisions = [
        {
            "seq": r.seq,
            "mishap_id": r.mishap_id,
            "action": r.action,
            "at": r.at,
            "command": r.command,
            "file": r.file,
            "document": json.loads(r.document) if r.document is not None else None,
        }
        for r in session.execute(select(Revision).order_by(col(Revision.seq))).scalars()
    ]
    return {
        "format": LOGICAL_FORMAT,
        "version": LOGICAL_VERSION,
        "made_at": store.now_utc(),
        "mishaps": [c.to_document() for c in cases],
        "revisions": revisions,
    }


@contextmanager
def _temporary_beside(dest: Path) -> Iterator[str]:
    directory = dest.parent if str(dest.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=directory)
    except OSError as exc:
        raise MishapsError(f"cannot write {dest}: {exc.strerror}") from None
    os.close(fd)
    try:
        yield tmp
    except OSError as exc:
        raise MishapsError(f"cannot write {dest}: {exc.strerror}") from None
    finally:
        for leftover in (tmp, tmp + "-journal", tmp + "-wal", tmp + "-shm"):
            Path(leftover).unlink(missing_ok=True)


def _copy(src: sqlite3.Connection, dst: sqlite3.Connection) -> None:
    """The whole database in one backup step (one snapshot), waiting a bounded time for locks."""
    deadline = time.monotonic() + busy_timeout_ms() / 1000

    def progress(status: int, _remaining: int, _total: int) -> None:
        if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) and time.monotonic() > deadline:
            raise DatabaseError(
                f"the database is busy (another process held it for over"
                f" {busy_timeout_ms() // 1000} s); nothing was copied, try again"
            )

    try:
        src.backup(dst, pages=-1, progress=progress)
    except sqlite3.Error as exc:
        raise DatabaseError(f"the copy failed: {exc}") from None


def _check_mishaps_db(conn: sqlite3.Connection, name: str) -> Contents:
    """Raise unless ``conn`` holds an intact mishaps database; return what it holds."""
    try:
        status = conn.execute("PRAGMA quick_check").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{name} is not a usable SQLite database: {exc}") from None
    if status != "ok":
        raise DatabaseError(f"{name} is damaged (integrity check: {status})")
    missing = {"mishap", "revision"} - tables
    if missing:
        raise DatabaseError(
            f"{name} is an SQLite database but not a mishaps database"
            f" (no table {sorted(missing)[0]!r})"
        )
    cases = conn.execute("SELECT count(*) FROM mishap").fetchone()[0]
    revisions = conn.execute("SELECT count(*) FROM revision").fetchone()[0]
    return Contents(cases, revisions)


# --- restore ----------------------------------------------------------------------------------


def backup_kind(path: Path) -> str:
    """``sqlite`` or ``logical``, from the file's first bytes; anything else is refused."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except IsADirectoryError:
        raise MishapsError(f"{path} is a directory, not a backup file") from None
    except OSError as exc:
        raise MishapsError(f"cannot read {path}: {exc.strerror}") from None
    if head == SQLITE_MAGIC:
        return "sqlite"
    if head.lstrip()[:1] == b"{":
        return "logical"
    raise MishapsError(
        f"{path} is not a mishaps backup (neither an SQLite database nor a JSON export)"
    )


def inspect_backup(path: Path) -> Contents:
    """Check a backup file without changing anything; return what it holds."""
    if backup_kind(path) == "sqlite":
        conn = _open_readonly(path)
        try:
            return _check_mishaps_db(conn, str(path))
        finally:
            conn.close()
    cases, revisions = _read_logical(path)
    return Contents(len(cases), len(revisions))


def restore(engine: Engine, path: Path) -> RestoreResult:
    """Replace everything in the database with the backup's contents, in one transaction.

    An SQLite backup is copied first and checked in the copy: its schema revision (an older
    one is upgraded there, a newer one refused), every table and column this version needs, and
    every case read back and validated. Only then is anything replaced.
    """
    path = Path(path)
    kind = backup_kind(path)
    target = _sqlite_file(engine)
    if target is not None and target.exists() and path.resolve() == target:
        raise MishapsError(f"{path} is the database itself")
    if kind == "logical":
        cases, revisions = _read_logical(path)
        return _restore_rows(engine, cases, revisions)
    beside = target if target is not None else path
    with _temporary_beside(beside) as tmp:
        restored = _checked_copy(path, Path(tmp))
        if target is not None:
            return _restore_sqlite(engine, target, Path(tmp), restored)
        # An SQLite backup into another backend: read the checked copy through SQLAlchemy.
        source = create_engine("sqlite://", creator=lambda: _open_readonly(Path(tmp)))
        try:
            with Session(source) as session:
                data = logical_document(session)
        finally:
            source.dispose()
    cases, revisions = _validate_logical(data, str(path))
    return _restore_rows(engine, cases, revisions)


def _open_readonly(path: Path) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path} is not a usable SQLite database: {exc}") from None
    return conn


def _checked_copy(path: Path, tmp: Path) -> Contents:
    """Copy the SQLite backup ``path`` to ``tmp``, bring the copy to the current schema and
    check it whole; raise, naming ``path``, unless it is a mishaps database we can use."""
    from mishaps.db import make_engine
    from mishaps.migrations import HEAD, REVISIONS

    src = _open_readonly(path)
    try:
        dst = sqlite3.connect(tmp)
        try:
            _copy(src, dst)
            found = _check_mishaps_db(dst, str(path))
            revision = _recorded_revision(dst)
            if revision is not None and revision not in REVISIONS:
                raise DatabaseError(
                    f"{path} is at schema revision {revision}, newer than this version of"
                    f" mishaps knows (it knows up to {HEAD}); upgrade mishaps to restore it"
                )
            _check_columns(dst, path, revision or _guess_revision(dst))
        finally:
            dst.close()
    finally:
        src.close()
    copy = make_engine("sqlite:///" + str(tmp))
    try:
        if revision != HEAD:
            from mishaps.db import migrate

            try:
                migrate(copy)
            except DatabaseError as exc:
                raise DatabaseError(f"{path} could not be upgraded: {exc}") from None
        with copy.connect() as conn:
            _check_columns(conn.connection.dbapi_connection, path, HEAD)
        with Session(copy) as session:
            _read_every_case(session, path)
    finally:
        copy.dispose()
    return found


def _recorded_revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return None if row is None else str(row[0])


def _guess_revision(conn: sqlite3.Connection) -> str:
    """A database from before revisions were recorded: told by its columns (as db.migrate)."""
    columns = {r[1] for r in conn.execute("PRAGMA table_info(mishap)")}
    return "0002" if "fiscal_year" in columns else "0001"


def _columns(conn: sqlite3.Connection) -> dict[str, set[str]]:
    tables = [
        r[0]
        for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not r[0].startswith("sqlite_")
    ]
    # A table name cannot be bound as a parameter; these come from sqlite_master, quoted.
    return {
        t: {r[1] for r in conn.execute("PRAGMA table_info(" + _quoted(t) + ")")} for t in tables
    }


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_REFERENCE: dict[str, dict[str, set[str]]] = {}


def _reference_columns(revision: str) -> dict[str, set[str]]:
    """The tables and columns of a new SQLite database at ``revision``, made once per process."""
    if revision not in _REFERENCE:
        from mishaps.db import make_engine, migrate

        with tempfile.TemporaryDirectory() as directory:
            engine = make_engine("sqlite:///" + str(Path(directory) / "ref.db"), create=True)
            try:
                migrate(engine, revision)
                with engine.connect() as conn:
                    _REFERENCE[revision] = _columns(conn.connection.dbapi_connection)
            finally:
                engine.dispose()
    return _REFERENCE[revision]


def _check_columns(conn: sqlite3.Connection, path: Path, revision: str) -> None:
    have = _columns(conn)
    for table, needed in _reference_columns(revision).items():
        if table not in have:
            raise DatabaseError(f"{path} is not a mishaps backup: it has no table {table!r}")
        for column in sorted(needed - have[table]):
            raise DatabaseError(
                f"{path} is not a mishaps backup: its table {table!r} has no column {column!r}"
            )


def _read_every_case(session: Session, path: Path) -> None:
    """Every case of the backup rebuilt from its rows and validated, as an import would."""
    from mishaps.schema import field_path

    pks = list(session.execute(select(col(Mishap.pk)).order_by(Mishap.id)).scalars())
    try:
        for part in store.chunks(pks):
            for doc in store.load_documents(session, part):
                _case, issues = validate_case(doc)
                if issues:
                    where, message = issues[0]
                    shown = field_path(where)
                    raise DatabaseError(
                        f"{path} case {doc.get('id')} cannot be read back:"
                        f" {shown + ': ' if shown else ''}{message}"
                    )
    except (sqlite3.Error, DBAPIError, ValueError, TypeError) as exc:
        raise DatabaseError(
            f"{path} is not a mishaps backup: its cases cannot be read ({exc})"
        ) from None


def _restore_sqlite(
    engine: Engine, target: Path, checked: Path, restored: Contents
) -> RestoreResult:
    src = _open_readonly(checked)
    try:
        engine.dispose()  # our own pooled connections must not hold the file during the copy
        with Session(engine) as session:
            names = _table_names(session)
            if names and not {"mishap", "revision"} <= names:
                shown = ", ".join(sorted(names)[:3])
                raise DatabaseError(
                    f"{target} holds other tables ({shown}), not a mishaps database;"
                    " refusing to replace it"
                )
            replaced = contents(session) if names else Contents(0, 0)
        engine.dispose()
        dst = sqlite3.connect(target, timeout=busy_timeout_ms() / 1000)
        try:
            _copy(src, dst)  # one write transaction on the target: all of it or none
        finally:
            dst.close()
    finally:
        src.close()
    return RestoreResult("sqlite", restored, replaced)


def _table_names(session: Session) -> set[str]:
    from sqlalchemy import inspect

    return set(inspect(session.get_bind()).get_table_names())


def _read_logical(path: Path) -> tuple[list[Any], list[dict[str, Any]]]:
    try:
        data = json.loads(Path(path).read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MishapsError(f"{path} is not a mishaps backup: {exc}") from None
    except OSError as exc:
        raise MishapsError(f"cannot read {path}: {exc.strerror}") from None
    return _validate_logical(data, str(path))


def _validate_logical(data: Any, name: str) -> tuple[list[Any], list[dict[str, Any]]]:
    if not isinstance(data, dict) or data.get("format") != LOGICAL_FORMAT:
        raise MishapsError(f'{name} is not a mishaps backup (no "format": "{LOGICAL_FORMAT}")')
    if data.get("version") != LOGICAL_VERSION:
        raise MishapsError(
            f"{name} is a backup of version {data.get('version')!r};"
            f" this mishaps reads version {LOGICAL_VERSION}"
        )
    if not isinstance(data.get("mishaps"), list) or not isinstance(data.get("revisions"), list):
        raise MishapsError(
            f"{name} is not a mishaps backup: 'mishaps' and 'revisions' must be lists"
        )
    problems = ProblemList(name)  # a screenful, as import shows, then where checking stopped
    stopped: str | None = None
    cases = []
    seen: set[str] = set()
    docs = data["mishaps"]
    for i, doc in enumerate(docs):
        if problems.full:
            stopped = _stopped(i, len(docs), "case")
            break
        case, issues = validate_case(doc)
        label = (
            doc.get("id")
            if isinstance(doc, dict) and isinstance(doc.get("id"), str)
            else f"case {i + 1}"
        )
        for p, msg in issues:
            problems.add(Problem(name, msg, None, label, _path(p)))
        if case is not None:
            if case.id in seen:
                problems.add(Problem(name, "duplicate id", None, case.id, "id"))
            seen.add(case.id)
            cases.append(case)
    revisions = []
    seqs: set[int] = set()
    revs = data["revisions"]
    for i, rev in enumerate(revs if stopped is None else []):
        if problems.full:
            stopped = _stopped(i, len(revs), "revision")
            break
        problem = _revision_problem(rev, seqs)
        if problem:
            problems.add(Problem(name, problem, None, f"revision {i + 1}"))
            continue
        seqs.add(rev["seq"])
        revisions.append(rev)
    if problems.shown:
        # As import says it: a screenful, then where checking stopped or how many more.
        raise InvalidInput(
            [*problems.shown, Problem(name, stopped)] if stopped else problems.result()
        )
    return cases, revisions


def _stopped(index: int, total: int, what: str) -> str:
    return (
        f"{MAX_PROBLEMS_PER_FILE} problems shown; checking stopped at {what} {index + 1}"
        f" of {total:,}, so there are more"
    )


def _path(loc: tuple[str | int, ...]) -> str | None:
    from mishaps.schema import field_path

    return field_path(loc) or None


def _revision_problem(rev: Any, seqs: set[int]) -> str | None:
    if not isinstance(rev, dict):
        return "must be a mapping"
    expected = {"seq", "mishap_id", "action", "at", "command", "file", "document"}
    if set(rev) != expected:
        return f"must have exactly the fields {', '.join(sorted(expected))}"
    if (
        not isinstance(rev["seq"], int)
        or isinstance(rev["seq"], bool)
        or rev["seq"] < 1
        or rev["seq"] in seqs
    ):
        return f"seq {rev['seq']!r} is not a positive whole number used once"
    if not all(isinstance(rev[k], str) for k in ("mishap_id", "at", "command")):
        return "mishap_id, at and command must be text"
    if rev["action"] not in ACTIONS:
        return f"action {rev['action']!r} is not one of {', '.join(ACTIONS)}"
    if rev["file"] is not None and not isinstance(rev["file"], str):
        return "file must be text or null"
    if (rev["document"] is None) != (rev["action"] == "delete"):
        return "document must be null for a delete and a case otherwise"
    if rev["document"] is not None and validate_case(rev["document"])[0] is None:
        return "document is not a valid case"
    return None


def _restore_rows(
    engine: Engine, cases: list[Any], revisions: list[dict[str, Any]]
) -> RestoreResult:
    create_schema(engine)  # harmless on an existing database; a new one needs its tables
    with write_session(engine) as session:
        replaced = contents(session)
        pks = list(session.execute(select(col(Mishap.pk))).scalars())
        store.delete_by_pk(session, pks)
        session.execute(delete(Revision))
        store.insert_cases(session, cases)
        rows = [
            {
                **r,
                "document": json.dumps(r["document"], ensure_ascii=False)
                if r["document"] is not None
                else None,
            }
            for r in revisions
        ]
        for part in store.chunks(rows):
            session.execute(insert(Revision), list(part))
        if session.get_bind().dialect.name == "postgresql":
            # Explicit seq values do not move the sequence; later revisions must follow them.
            session.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('revision', 'seq'),"
                    " coalesce((SELECT max(seq) FROM revision), 0) + 1, false)"
                )
            )
    return RestoreResult("logical", Contents(len(cases), len(revisions)), replaced)
