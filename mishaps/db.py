"""Engines, connection settings and the schema, for SQLite and PostgreSQL alike.

The engine is made by a function from a URL, never at import time. Full-text search is one
interface over two implementations: SQLite's FTS5 (``mishap_fts``) and PostgreSQL's ``tsvector``
with a GIN index (``mishap_search``). Both are filled by ``mishaps.store``.

The schema is made and changed only by the Alembic migrations in ``mishaps.migrations``, run
here with an open connection (no alembic.ini): ``create_schema`` is "upgrade to the newest
revision", so a new database and an upgraded one are built by the same steps.

Writers take one lock per database for their whole transaction: SQLite's write lock at
``BEGIN IMMEDIATE``, a PostgreSQL advisory lock before their first read. Writes are therefore
serialised, so a write sees every write committed before it and the later of two conflicting
writes wins, with both in the history (docs/postgres.md). Readers on PostgreSQL run in
REPEATABLE READ, so a command's several queries see one snapshot.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

from mishaps import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from mishaps.config import sqlite_path
from mishaps.errors import DatabaseError
from mishaps.migrations import HEAD, REVISIONS

T = TypeVar("T")

# How long a writer waits for a busy database before it gives up (seconds): an office database
# that everyone updates at once needs minutes, not the 10 s it once was. MISHAPS_BUSY_TIMEOUT
# sets it (docs/limits.md).
DEFAULT_BUSY_TIMEOUT_S = 120
ENV_BUSY_TIMEOUT = "MISHAPS_BUSY_TIMEOUT"
# A write that fails on a serialisation failure or deadlock (PostgreSQL 40001, 40P01), or on an
# SQLite lock reported at once rather than waited out, is run again, at most this many times.
WRITE_ATTEMPTS = 5


def busy_timeout_ms() -> int:
    """The wait for a busy database, in milliseconds, from $MISHAPS_BUSY_TIMEOUT (seconds)."""
    import math
    import os

    raw = os.environ.get(ENV_BUSY_TIMEOUT)
    if raw is None or not raw.strip():
        return DEFAULT_BUSY_TIMEOUT_S * 1000
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0 or seconds > 86_400:
        raise DatabaseError(
            f"{ENV_BUSY_TIMEOUT} is {raw!r}; give the seconds a writer waits for a busy"
            " database, such as 60"
        )
    return max(1, round(seconds * 1000))


def retrying(write: Callable[[], T]) -> T:
    """Run one write transaction, again when it failed only because of another writer."""
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            return write()
        except Retryable:
            if attempt == WRITE_ATTEMPTS:
                raise
            time.sleep(0.05 * 2**attempt)
    raise AssertionError("unreachable")


class Retryable(DatabaseError):
    """A write failed only because another transaction got in its way; running it again may
    succeed."""


# The PostgreSQL writer lock is the advisory lock (WRITE_LOCK_KEY, oid of the schema): one per
# mishaps database, also when several live in one PostgreSQL database. "mish" in ASCII, to be
# easy to spot as classid in pg_locks.
WRITE_LOCK_KEY = 0x6D697368
WRITE_LOCK_SQL = (
    f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY}, current_schema()::regnamespace::oid::int)"
)


def make_engine(url: str, *, create: bool = False, readonly: bool = False) -> Engine:
    """An engine for ``url``. An SQLite file that does not exist is an error unless ``create``.

    ``readonly``: for commands that only read. An SQLite file is opened with ``mode=ro`` and
    nothing is changed in it, not even its journal mode, so a backup stays byte-identical and a
    file the user may not write can be read; PostgreSQL transactions are READ ONLY.
    """
    path = sqlite_path(url)
    if path is not None:
        if not path.exists():
            if not create or readonly:
                raise DatabaseError(
                    f"no database at {path}; create it with: mishaps --db {path} init"
                )
            path.parent.mkdir(parents=True, exist_ok=True)
        timeout = busy_timeout_ms() / 1000
        if readonly:
            import sqlite3

            uri = f"{path.resolve().as_uri()}?mode=ro"
            engine = create_engine(  # the URL names the file (for messages); creator opens it
                url,
                creator=lambda: sqlite3.connect(uri, uri=True, timeout=timeout),
            )
            event.listen(engine, "connect", _sqlite_read_pragmas)
        else:
            engine = create_engine(url, connect_args={"timeout": timeout})
            event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    busy_timeout_ms()  # a bad setting is refused at once, by every command
    try:
        engine = create_engine(url, pool_pre_ping=True, isolation_level="REPEATABLE READ")
    except ModuleNotFoundError as exc:  # psycopg not installed
        raise DatabaseError(
            f"{exc.name} is needed for {url.split(':', 1)[0]}: pip install 'mishaps[postgres]'"
        ) from exc
    event.listen(engine, "begin", _postgres_begin)
    if readonly:
        event.listen(engine, "begin", _postgres_read_only)
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # pysqlite's own implicit BEGIN is turned off: _sqlite_begin below emits it, so that a write
    # transaction can take its lock at BEGIN (IMMEDIATE) and wait out a busy database instead of
    # failing half-way when it first writes.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={busy_timeout_ms()}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_read_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Nothing that writes: the journal mode stays whatever the file has (a backup's DELETE).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={busy_timeout_ms()}")
    cur.execute("PRAGMA query_only=ON")
    cur.close()


def _postgres_read_only(conn: Any) -> None:
    conn.exec_driver_sql("SET TRANSACTION READ ONLY")


def _sqlite_begin(conn: Any) -> None:
    write = conn.get_execution_options().get("mishaps_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _postgres_begin(conn: Any) -> None:
    # The lock is taken before anything is read, so that the write sees every write committed
    # before it: with READ COMMITTED each statement reads the newest committed data.
    if conn.get_execution_options().get("mishaps_write", False):
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {busy_timeout_ms()}")
        conn.exec_driver_sql(WRITE_LOCK_SQL)


def _writer(engine: Engine) -> Engine:
    """The engine for write transactions: they take the database's one writer lock first."""
    if is_sqlite(engine):
        return engine.execution_options(mishaps_write=True)
    return engine.execution_options(mishaps_write=True, isolation_level="READ COMMITTED")


def is_sqlite(bind: Engine | Connection) -> bool:
    """Whether an engine, or the connection a session is bound to, speaks SQLite."""
    return bind.dialect.name == "sqlite"


@dataclass(frozen=True)
class SchemaState:
    """What a database holds: mishaps tables or not, and the schema revision it records."""

    has_tables: bool
    revision: str | None  # None: no revision recorded

    @property
    def current(self) -> bool:
        return self.has_tables and self.revision == HEAD

    @property
    def known(self) -> bool:
        return self.revision is None or self.revision in REVISIONS


def schema_state(engine: Engine) -> SchemaState:
    """One look at the catalogue and one SELECT: cheap enough for every command."""
    try:
        with engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
            revision = None
            if "alembic_version" in names:
                revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except OperationalError as exc:
        raise DatabaseError(f"cannot open the database: {_reason(exc)}") from exc
    return SchemaState(has_tables="mishap" in names, revision=revision)


def _reason(exc: DBAPIError) -> str:
    text_ = str(exc.orig).strip()
    return text_.splitlines()[0] if text_ else type(exc.orig).__name__


def has_schema(engine: Engine) -> bool:
    return schema_state(engine).has_tables


def require_current(engine: Engine, *, upgrade_hint: str = "mishaps db upgrade") -> None:
    """Refuse a database whose schema is not the one this version of mishaps writes and reads."""
    state = schema_state(engine)
    if not state.has_tables or state.current:
        return
    if state.revision is None:
        raise DatabaseError(
            f"the database was made before schema revisions were recorded; run: {upgrade_hint}"
        )
    if not state.known:
        raise DatabaseError(_too_new(state.revision))
    raise DatabaseError(f"the database is at schema revision {state.revision}; run: {upgrade_hint}")


def _too_new(revision: str) -> str:
    return (
        f"the database is at schema revision {revision}, newer than this version of mishaps"
        f" knows (it knows up to {HEAD}); upgrade mishaps to use it"
    )


def _alembic_config(conn: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.attributes["connection"] = conn
    return config


def migrate(engine: Engine, target: str = "head") -> tuple[str | None, str | None]:
    """Upgrade the schema to ``target`` in one transaction; returns (revision before, after).

    An empty database gets the whole schema. A database made before revisions were recorded is
    stamped first with the revision its columns show. A newer database is refused.
    """
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    with _writer(engine).begin() as conn:
        before = MigrationContext.configure(conn).get_current_revision()
        if before is not None and before not in REVISIONS:
            raise DatabaseError(_too_new(before))
        config = _alembic_config(conn)
        try:
            if before is None and inspect(conn).has_table("mishap"):
                command.stamp(config, _unrecorded_revision(conn))
            command.upgrade(config, target)
        except DBAPIError as exc:  # e.g. a role that may not change the schema
            raise DatabaseError(
                f"the schema upgrade failed and changed nothing: {_reason(exc)}"
            ) from exc
        after = MigrationContext.configure(conn).get_current_revision()
    return before, after


def _unrecorded_revision(conn: Connection) -> str:
    """The revision of a database made before revisions were recorded, told by its columns.

    Such databases were made by ``create_all`` from the models of their day: without the
    derived columns before mishaps had classes by era (0001), with them after (0002).
    """
    if inspect(conn).has_table("similar_term"):  # tables of 0007, whose record was lost
        return "0007"
    columns = {c["name"] for c in inspect(conn).get_columns("mishap")}
    if "location_approximate" in columns:  # made by create_all from 0005's models or later
        return "0005"
    return "0002" if "fiscal_year" in columns else "0001"


def create_schema(engine: Engine) -> None:
    """Create every table and the search index by running the migrations; harmless when current."""
    if not schema_state(engine).current:
        migrate(engine)


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session for one write transaction, which first takes the database's writer lock."""
    with session_scope(_writer(engine)) as session:
        try:
            yield session
        except DBAPIError as exc:  # e.g. a role without the right to write
            reason = str(exc.orig)
            code = getattr(exc.orig, "sqlstate", None)
            if code in ("40001", "40P01"):  # serialisation failure, deadlock: run it again
                raise Retryable(f"the write was interrupted by another: {_reason(exc)}") from exc
            if "locked" in reason or "busy" in reason or "lock timeout" in reason:
                raise DatabaseError(
                    f"the database is busy (another process held it for over"
                    f" {busy_timeout_ms() / 1000:g} s); nothing was written, try again"
                    f" ({ENV_BUSY_TIMEOUT} sets the wait)"
                ) from exc
            raise DatabaseError(
                f"the database refused the write: {_reason(exc)}; nothing was written"
            ) from exc


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session whose work is one transaction: committed on success, rolled back on error."""
    with Session(engine) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
