"""Engines, connection settings and the schema, for SQLite and PostgreSQL alike.

The engine is made by a function from a URL, never at import time. Full-text search is one
interface over two implementations: SQLite's FTS5 (``mishap_fts``) and PostgreSQL's ``tsvector``
with a GIN index (``mishap_search``). Both are filled by ``mishaps.ingest``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel

from mishaps import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from mishaps.config import sqlite_path
from mishaps.errors import DatabaseError

BUSY_TIMEOUT_MS = 10_000


def make_engine(url: str, *, create: bool = False) -> Engine:
    """An engine for ``url``. An SQLite file that does not exist is an error unless ``create``."""
    path = sqlite_path(url)
    if path is not None:
        if not path.exists():
            if not create:
                raise DatabaseError(
                    f"no database at {path}; create it with: mishaps --db {path} init"
                )
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    try:
        return create_engine(url, pool_pre_ping=True)
    except ModuleNotFoundError as exc:  # psycopg not installed
        raise DatabaseError(
            f"{exc.name} is needed for {url.split(':', 1)[0]}: pip install 'mishaps[postgres]'"
        ) from exc


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # pysqlite's own implicit BEGIN is turned off: _sqlite_begin below emits it, so that a write
    # transaction can take its lock at BEGIN (IMMEDIATE) and wait out a busy database instead of
    # failing half-way when it first writes.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    write = conn.get_execution_options().get("mishaps_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def has_schema(engine: Engine) -> bool:
    try:
        return inspect(engine).has_table("mishap")
    except OperationalError as exc:
        raise DatabaseError(f"cannot open the database: {exc.orig}") from exc


def create_schema(engine: Engine) -> None:
    """Create every table and the search index; harmless on an existing database."""
    SQLModel.metadata.create_all(engine)
    with engine.begin() as conn:
        if is_sqlite(engine):
            conn.execute(
                text(
                    "CREATE VIRTUAL TABLE IF NOT EXISTS mishap_fts USING fts5("
                    "title, summary, findings, tokenize='porter unicode61')"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE TABLE IF NOT EXISTS mishap_search ("
                    " mishap_pk integer PRIMARY KEY REFERENCES mishap(pk) ON DELETE CASCADE,"
                    " doc tsvector NOT NULL, findings tsvector NOT NULL)"
                )
            )
            conn.execute(
                text(
                    "CREATE INDEX IF NOT EXISTS ix_mishap_search_doc"
                    " ON mishap_search USING gin (doc)"
                )
            )
            conn.execute(
                text(
                    "CREATE INDEX IF NOT EXISTS ix_mishap_search_findings"
                    " ON mishap_search USING gin (findings)"
                )
            )


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session for one write transaction, which takes SQLite's write lock at BEGIN."""
    with session_scope(engine.execution_options(mishaps_write=True)) as session:
        try:
            yield session
        except OperationalError as exc:
            if "locked" in str(exc.orig) or "busy" in str(exc.orig):
                raise DatabaseError(
                    f"the database is busy (another process held it for over"
                    f" {BUSY_TIMEOUT_MS // 1000} s); nothing was written, try again"
                ) from exc
            raise


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
