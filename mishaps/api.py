"""The library: ``mishaps.open(...)`` gives a ``Database``, which the CLI and notebooks both use.

One object owns the engine, the schema and revision checks, first-run seeding and the session
scope of every call::

    import mishaps
    db = mishaps.open()                    # the default database, created and seeded on first use
    db.cases(aircraft="KC-135", role="tanker", since="2000")   # list of schema.Case
    db.stats(by="aircraft", fy=2023).rows

Filters are keyword arguments (or one ``Filters`` value) checked when they are made; every error
is a ``MishapsError`` subclass with a message for people (docs/api.md).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlmodel import Session

from mishaps import db as dbmod
from mishaps.config import ACCEPTED_DB, display_db, resolve_db, seed_case_files, sqlite_path
from mishaps.errors import DatabaseError, InvalidFilter
from mishaps.filters import Filters
from mishaps.vocab import OnConflict, OnDuplicate

if TYPE_CHECKING:
    from mishaps.backup import BackupResult, Contents, RestoreResult
    from mishaps.duplicates import Suspect
    from mishaps.history import RevisionInfo
    from mishaps.ingest import ImportResult, Loaded
    from mishaps.queries import Row, Stats
    from mishaps.rates import Rates
    from mishaps.reports.context import Marking
    from mishaps.reports.make import Options, Report
    from mishaps.research import AirframeRow, RecommendationRow, Series, TimelineRow
    from mishaps.schema import Case
    from mishaps.similar import Match
    from mishaps.transfer import CopyResult

SQLITE_MAGIC = b"SQLite format 3\x00"
SEED_COMMAND = "init (seed data)"


@dataclass(frozen=True)
class InitResult:
    """What ``init`` did: made the schema or upgraded it, and how many seed cases it added."""

    name: str
    created: bool  # the schema was made now
    upgraded: tuple[str | None, str | None] | None  # (before, after) when an old one was upgraded
    seeded: int  # seed cases added
    cases: int  # cases in the database afterwards
    seed_skipped: bool = False  # seeds were wanted but the database has cases or history


@dataclass(frozen=True)
class Validated:
    """Files read and validated, nothing written: the cases and any class warnings."""

    loaded: list[Loaded]
    files: int
    warnings: list[str]

    @property
    def cases(self) -> list[Case]:
        return [i.case for i in self.loaded]


@dataclass(frozen=True)
class Imported:
    """What an import added, replaced and skipped (or, in a dry run, would have)."""

    result: ImportResult
    cases: int
    files: int
    warnings: list[str] = field(default_factory=list)

    @property
    def dry_run(self) -> bool:
        return self.result.dry_run


@dataclass(frozen=True)
class SchemaStatus:
    name: str
    revision: str | None
    current: bool
    known: bool
    head: str


def open(
    where: str | PathLike[str] | None = None, *, create: bool = False, readonly: bool = False
) -> Database:
    """Open a mishaps database.

    ``where`` is an SQLite file path or a ``postgresql://`` URL; None means ``$MISHAPS_DB``, else
    ``mishaps.db`` in the user data directory. The default database is created and loaded with
    the seed cases on first use; any other must already hold a mishaps database. With
    ``create`` an empty one is made instead, seeds and all left to the caller (``init``,
    ``restore``, ``db copy``). ``readonly``: for reading only; nothing in the database can
    change, not even an SQLite file's journal mode, and a file the user may not write opens
    (docs/limits.md). Writing through such a Database fails with a DatabaseError.
    """
    url, is_default = resolve_db(None if where is None else str(where))
    path = sqlite_path(url)
    if path is not None:
        _check_sqlite_file(path)
    first_run = is_default and not create and path is not None and not path.exists()
    engine = dbmod.make_engine(url, create=create or first_run, readonly=readonly and not first_run)
    db = Database(engine, url, is_default=is_default)
    try:
        if first_run:
            db.created = db.init()
        elif not create and not db.state().has_tables:
            raise DatabaseError(
                f"{db.name} holds no mishaps database; create one with: {db.hint('init')}"
            )
    except BaseException:
        db.close()
        raise
    return db


def _check_sqlite_file(path: Path) -> None:
    """Refuse, in words, a path that is not an SQLite database (a directory, a CSV file)."""
    if path.is_dir():
        raise DatabaseError(f"{path} is a directory; give {ACCEPTED_DB}")
    if not path.is_file() or path.stat().st_size == 0:
        return
    with path.open("rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    if head != SQLITE_MAGIC:
        raise DatabaseError(f"{path} is not an SQLite database file; give {ACCEPTED_DB}")


def validate_files(
    paths: Sequence[Path | str], *, strict: bool = False, duplicates: bool = True
) -> Validated:
    """Read and validate case files (YAML, JSON, CSV, PDF/A-3); InvalidInput names every problem.

    ``strict`` also wants a cite for every filled fact field and finding (docs/format.md);
    ``duplicates`` warns about cases among the files that may be one event (docs/limits.md)."""
    from mishaps.ingest import class_warnings, duplicate_suspects, load_files, service_warnings

    loaded = load_files([Path(p) for p in paths], strict=strict)
    warnings = class_warnings(loaded) + service_warnings(loaded)
    if duplicates:
        warnings += [str(s) for s in duplicate_suspects(None, loaded)]
    return Validated(loaded, len(paths), warnings)


def seed_files() -> list[Path]:
    return seed_case_files()


def load_seed() -> list[Loaded]:
    """The bundled seed cases, each recorded in history as ``seed_data/NAME``: the same on every
    machine, unlike the absolute path of the installation."""
    from mishaps.ingest import load_files

    return [replace(i, file=f"seed_data/{Path(i.file).name}") for i in load_files(seed_files())]


class Database:
    """One mishaps database: its engine, its schema checks, and every operation on it."""

    def __init__(self, engine: Engine, url: str, *, is_default: bool = False) -> None:
        self.engine = engine
        self.url = url
        self.is_default = is_default
        self.created: InitResult | None = None  # set when opening created the default database
        self._checked = False

    # --- the database itself ------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The database as its user knows it: a file path, or a URL without its password."""
        return display_db(self.url)

    def hint(self, command: str) -> str:
        """``mishaps <command>`` spelled for this database (with --db unless it is the default)."""
        return f"mishaps {command}" if self.is_default else f"mishaps --db {self.name} {command}"

    def close(self) -> None:
        self.engine.dispose()

    def files(self) -> builtins.list[Path]:
        """The SQLite file, which no output may overwrite (none for PostgreSQL)."""
        path = sqlite_path(self.url)
        return [] if path is None else [path]

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<mishaps.Database {self.name}>"

    def state(self) -> dbmod.SchemaState:
        return dbmod.schema_state(self.engine)

    def status(self) -> SchemaStatus:
        from mishaps.migrations import HEAD

        s = self.state()
        return SchemaStatus(self.name, s.revision, s.current, s.known, HEAD)

    def upgrade(self) -> tuple[str | None, str | None]:
        """Apply the migrations the database lacks; returns the revisions (before, after)."""
        return dbmod.migrate(self.engine)

    def init(self, *, seed: bool = True) -> InitResult:
        """Make the schema (or upgrade it) and, into a database that never held a case, load the
        seed cases. A case someone deleted is never brought back: a database with any history
        gets no seeds (import them explicitly: ``mishaps import seed_data/*.yaml``)."""
        state = self.state()
        upgraded = None
        if not state.current:
            before, after = dbmod.migrate(self.engine)
            upgraded = (before, after) if state.has_tables else None
        self._checked = True
        held = self.contents()
        seeded = 0
        skipped = seed and bool(held.cases or held.revisions)
        if seed and not skipped:
            seeded = len(self._import(load_seed(), OnConflict.skip, False, SEED_COMMAND).added)
        return InitResult(
            self.name, not state.has_tables, upgraded, seeded, held.cases + seeded, skipped
        )

    def _ready(self) -> None:
        """Refuse a schema revision this version does not read (checked once per object)."""
        if not self._checked:
            dbmod.require_current(self.engine, upgrade_hint=self.hint("db upgrade"))
            self._checked = True

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read session, one transaction (on PostgreSQL one snapshot) for all its queries."""
        self._ready()
        with dbmod.session_scope(self.engine) as session:
            yield session

    # --- reading ------------------------------------------------------------------------------

    def cases(self, filters: Filters | None = None, /, **where: Any) -> builtins.list[Case]:
        """Whole cases matching the filters, oldest first."""
        from mishaps.queries import find_cases

        f = Filters.of(filters, **where)
        with self.session() as session:
            return find_cases(session=session, filters=f)

    def case(
        self, mishap_id: str, *, as_of: str | None = None, revision: int | None = None
    ) -> Case:
        """One case: as it is now, as the database held it at ``as_of`` (a date or a UTC
        timestamp), or as its ``revision``-th history entry left it."""
        from mishaps.history import case_as_of, case_at_revision, parse_moment
        from mishaps.queries import get_case

        if as_of is not None and revision is not None:
            raise ValueError("give as_of or revision, not both")
        try:
            moment = None if as_of is None else parse_moment(as_of)
        except ValueError as exc:
            raise InvalidFilter("as_of", str(exc)) from None
        with self.session() as session:
            if revision is not None:
                return case_at_revision(session=session, mishap_id=mishap_id, rev=revision)
            if moment is not None:
                return case_as_of(session=session, mishap_id=mishap_id, moment=moment)
            return get_case(session=session, mishap_id=mishap_id)

    def rows(self, filters: Filters | None = None, /, **where: Any) -> builtins.list[Row]:
        """The rows `mishaps list` prints: one line of facts per case, oldest first."""
        from mishaps.queries import list_mishaps

        f = Filters.of(filters, **where)
        with self.session() as session:
            return list_mishaps(session=session, filters=f)

    list = rows  # db.list(...) reads as the command it serves

    def stats(self, filters: Filters | None = None, /, *, by: str = "year", **where: Any) -> Stats:
        """Counts of mishaps and fatalities grouped by ``by`` (see ``queries.STATS_BY``)."""
        from mishaps.queries import stats

        f = Filters.of(filters, **where)
        with self.session() as session:
            return stats(session=session, filters=f, by=by)

    def history(self, mishap_id: str) -> builtins.list[RevisionInfo]:
        """Every change to a case, oldest first, also after it was deleted."""
        from mishaps.history import revisions

        with self.session() as session:
            return revisions(session=session, mishap_id=mishap_id)

    def rates(
        self,
        exposure: Path | str,
        filters: Filters | None = None,
        /,
        *,
        by: str = "fy",
        **where: Any,
    ) -> Rates:
        """Mishap rates per 100,000 flight hours over the hours in the CSV file ``exposure``."""
        from mishaps.rates import compute, read_exposure

        f = Filters.of(filters, **where)
        hours = read_exposure(Path(exposure))
        with self.session() as session:
            return compute(session=session, filters=f, exposure=hours, by=by)

    def export(
        self, filters: Filters | None = None, /, *, format: str = "yaml", **where: Any
    ) -> str:
        """The matching cases as text: ``yaml`` or ``json`` (the interchange format) or ``csv``."""
        from mishaps.output import cases_csv, cases_document

        cases = self.cases(Filters.of(filters, **where))
        if format == "csv":
            return cases_csv(cases)
        if format not in ("yaml", "json"):
            raise ValueError(f"format must be one of: yaml, json, csv (not {format!r})")
        return cases_document(cases, format)

    def aircraft_hint(self, query: str) -> str | None:
        """Why ``--aircraft query`` matched nothing when no aircraft of that type is in the
        database, with near matches; None when the type is there."""
        from mishaps.queries import aircraft_hint

        with self.session() as session:
            return aircraft_hint(session=session, query=query)

    def similar(self, mishap_id: str, *, limit: int = 10) -> builtins.list[Match]:
        """The other cases most like ``mishap_id``, best first, each with its reasons."""
        from mishaps.similar import similar_to_case

        with self.session() as session:
            return similar_to_case(session=session, mishap_id=mishap_id, limit=limit)

    def similar_text(self, text: str, *, limit: int = 10) -> builtins.list[Match]:
        """The cases most like a draft narrative, best first, each with its reasons."""
        from mishaps.similar import similar_to_text

        with self.session() as session:
            return similar_to_text(session=session, text_=text, limit=limit)

    def airframe(self, serial: str) -> builtins.list[AirframeRow]:
        """Every case an airframe appears in (USAF serials however written), oldest first."""
        from mishaps.research import airframe

        with self.session() as session:
            return airframe(session=session, serial=serial)

    def recommendations(
        self,
        filters: Filters | None = None,
        /,
        *,
        recommendation_status: str | None = None,
        **where: Any,
    ) -> builtins.list[RecommendationRow]:
        """The recommendation findings of the matching cases, with their case."""
        from mishaps.research import recommendations

        f = Filters.of(filters, **where)
        with self.session() as session:
            return recommendations(session=session, filters=f, status=recommendation_status)

    def series_list(self) -> builtins.list[dict[str, Any]]:
        """The series of recurring failures, each with its number of cases."""
        from mishaps.research import all_series

        with self.session() as session:
            return all_series(session=session)

    def series(self, series_id: str) -> tuple[Series, builtins.list[TimelineRow]]:
        """A series and its cases in date order, each with its status and cause."""
        from mishaps.research import series_timeline

        with self.session() as session:
            return series_timeline(session=session, series_id=series_id)

    def contents(self) -> Contents:
        """How many cases and history entries the database holds."""
        from mishaps.backup import contents

        with self.session() as session:
            return contents(session)

    # --- writing ------------------------------------------------------------------------------

    def import_files(
        self,
        paths: Sequence[Path | str] | Validated,
        *,
        on_conflict: OnConflict | str = OnConflict.error,
        on_duplicate: OnDuplicate | str = OnDuplicate.warn,
        dry_run: bool = False,
    ) -> Imported:
        """Import cases from files, all or nothing (InvalidInput names every problem); or the
        cases of files already validated (``validate_files(..., duplicates=False)``).

        A case that may be an event already stored (or in the files) under another id is
        warned about, skipped or refused, as ``on_duplicate`` says (docs/limits.md)."""
        from mishaps.errors import Conflict
        from mishaps.ingest import duplicate_suspects

        checked = paths if isinstance(paths, Validated) else validate_files(paths, duplicates=False)
        if not self.state().has_tables:
            dbmod.create_schema(self.engine)
        self._ready()
        found = duplicate_suspects(self.engine, checked.loaded)
        policy = OnDuplicate(on_duplicate)
        if found and policy is OnDuplicate.refuse:
            raise Conflict(
                "; ".join(str(s) for s in found)
                + "; nothing imported (--on-duplicate warn or skip to go on)"
            )
        skip = {s.first for s in found} if policy is OnDuplicate.skip else set()
        loaded = [i for i in checked.loaded if i.case.id not in skip]
        result = self._import(loaded, OnConflict(on_conflict), dry_run, "import")
        result.skipped += sorted(skip)
        said = "; skipped" if skip else ""
        warnings = checked.warnings + [f"{s}{said}" for s in found]
        return Imported(result, len(checked.loaded), checked.files, warnings)

    def duplicates(self) -> builtins.list[Suspect]:
        """Pairs of stored cases that may be one event under two ids (docs/limits.md)."""
        from mishaps.duplicates import in_database

        with self.session() as session:
            return in_database(session)

    def _import(
        self, loaded: Sequence[Loaded], on_conflict: OnConflict, dry_run: bool, command: str
    ) -> ImportResult:
        from mishaps.ingest import import_cases

        self._ready()
        return import_cases(
            self.engine, loaded, on_conflict=on_conflict, dry_run=dry_run, command=command
        )

    def delete(self, *mishap_ids: str) -> builtins.list[str]:
        """Delete cases in one transaction; their history stays (``history`` still lists it)."""
        from mishaps.ingest import delete_cases

        self._ready()
        return delete_cases(self.engine, list(mishap_ids))

    def backup(
        self, path: Path | str, *, force: bool = False, logical: bool = False
    ) -> BackupResult:
        """A consistent copy of the whole database in a file, even while others write."""
        from mishaps.backup import backup

        self._ready()
        return backup(self.engine, Path(path), force=force, logical=logical)

    def backup_json(self) -> str:
        """A logical backup (every case and revision, JSON) as text, from one snapshot."""
        from mishaps.backup import logical_document
        from mishaps.files import dump_json

        with self.session() as session:
            return dump_json(logical_document(session))

    def restore(self, path: Path | str) -> RestoreResult:
        """Replace everything in the database with a backup, in one transaction."""
        from mishaps.backup import restore

        if self.state().has_tables:  # an empty database is filled whole by the restore itself
            self._ready()
        return restore(self.engine, Path(path))

    def copy_to(
        self, target: str | PathLike[str], *, on_conflict: OnConflict | str = OnConflict.error
    ) -> CopyResult:
        """Copy every case and its whole history into another database (made if need be)."""
        from mishaps.transfer import copy_database

        self._ready()  # a source this version cannot read is refused before a target is made
        dest = open(target, create=True)
        try:
            if dest.name == self.name:
                raise DatabaseError(
                    f"{dest.name} is the database being copied; name another with --to"
                )
            if dest.state().has_tables:
                dest._ready()
            else:
                dbmod.create_schema(dest.engine)
            result = copy_database(
                self.engine,
                dest.engine,
                on_conflict=OnConflict(on_conflict),
                source_name=self.name,
            )
            result.target = dest.name
            return result
        finally:
            dest.close()

    # --- the browser ------------------------------------------------------------------------------

    def serve(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 8001,
        marking: Marking | None = None,
        open_browser: bool = False,
        on_event: Callable[[Any], None] | None = None,
    ) -> None:
        """Serve a read-only snapshot of this database in a web browser until stopped (Ctrl+C).

        Datasette over a copy taken now (``mishaps.web``; needs the ``web`` extra); the briefs it
        offers carry ``marking``. ``on_event`` hears ``Snapshotting`` and then ``Serving``."""
        from mishaps.reports.context import Marking
        from mishaps.web.server import serve

        self._ready()
        serve(
            self.url,
            host=host,
            port=port,
            marking=marking or Marking(),
            open_browser=open_browser,
            on_event=on_event,
        )

    # --- reports ------------------------------------------------------------------------------

    def brief(self, mishap_id: str, options: Options) -> Report:
        """A PDF brief on one case (see ``mishaps.reports.make``)."""
        from mishaps.reports import make

        self._ready()
        return make.brief(self.engine, mishap_id, options)

    def summary(
        self,
        filters: Filters | None,
        options: Options,
        *,
        progress: Callable[[Any], None] | None = None,
    ) -> Report:
        """A PDF summary of the cases the filters select."""
        from mishaps.reports import make

        self._ready()
        return make.summary(self.engine, filters or Filters(), options, progress=progress)
