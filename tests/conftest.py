"""Shared fixtures. No test touches a real user database or cache: MISHAPS_DB and the user
data and cache directories point into each test's tmp_path.

Database fixtures run on every backend: ``seeded_db``, ``fresh_db`` and ``new_db`` depend on
``backend``, which is SQLite always and PostgreSQL too when MISHAPS_TEST_POSTGRES_URL names a
server (each PostgreSQL test gets its own schema, dropped afterwards). A test that is about
SQLite files only pins the backend: ``@pytest.mark.parametrize("backend", ["sqlite"],
indirect=True)``.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, settings
from typer.testing import CliRunner

from mishaps.cli import app
from mishaps.config import seed_case_files

SEED_FILES = seed_case_files()

# Modest by default so the suite stays fast; HYPOTHESIS_PROFILE=thorough for a deeper search.
_HEALTH = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
settings.register_profile("default", deadline=None, max_examples=60, suppress_health_check=_HEALTH)
settings.register_profile(
    "thorough", deadline=None, max_examples=2000, suppress_health_check=_HEALTH
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

PG_ENV = "MISHAPS_TEST_POSTGRES_URL"
PG_SKIP = (
    f"PostgreSQL variant: set {PG_ENV}=postgresql://USER@HOST:5432/DBNAME (a database the user"
    " may create schemas in) to run it; .ci/run sets it"
)
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
_PG_LEFT_OUT = pytest.StashKey[int]()


def _needs_postgres(item: pytest.Item) -> bool:
    if item.get_closest_marker("postgres") is not None:
        return True
    params = getattr(getattr(item, "callspec", None), "params", {})
    return "postgres" in params.values()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without a PostgreSQL server, its variants are left out, and said so in one line at the
    end, instead of a page of SKIPPED lines that hide the ones that matter."""
    if postgres_url() is not None:
        return
    left_out = [i for i in items if _needs_postgres(i)]
    if left_out:
        items[:] = [i for i in items if not _needs_postgres(i)]
        config.hook.pytest_deselected(items=left_out)
        config.stash[_PG_LEFT_OUT] = len(left_out)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    n = config.stash.get(_PG_LEFT_OUT, 0)
    if n:
        terminalreporter.write_line(
            f"{n} PostgreSQL variants not run (deselected): set {PG_ENV}="
            "postgresql://USER@HOST:5432/DBNAME to run them; .ci/run sets it"
        )


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISHAPS_DB", str(tmp_path / "test.db"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))  # compiled templates
    for name in ("MISHAPS_MARKING", "MISHAPS_DISTRIBUTION", "SOURCE_DATE_EPOCH"):
        monkeypatch.delenv(name, raising=False)


class Runner:
    """Runs `mishaps` in-process; stdout and stderr stay apart."""

    def __init__(self) -> None:
        self._runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None):
        return self._runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)


@pytest.fixture
def runner() -> Runner:
    return Runner()


# --- backends ---------------------------------------------------------------------------------


def postgres_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def with_schema(url: str, schema: str) -> str:
    """The URL of one schema of a PostgreSQL database (psycopg passes `options` to the server)."""
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={schema}')}"


class PostgresSchemas:
    """Makes throw-away schemas in the test database and drops them all at the end."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.url = url
        self.conn = psycopg.connect(url, autocommit=True)
        self.made: list[str] = []

    def new(self) -> str:
        name = f"mishaps_test_{secrets.token_hex(6)}"
        self.conn.execute(f'CREATE SCHEMA "{name}"')
        self.made.append(name)
        return with_schema(self.url, name)

    def drop(self, url: str) -> None:
        name = url.rsplit("%3D", 1)[1]
        self.conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        self.made.remove(name)

    def close(self) -> None:
        for name in self.made:
            self.conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        self.conn.close()


@pytest.fixture(scope="session")
def _pg_schemas() -> Iterator[PostgresSchemas | None]:
    url = postgres_url()
    if url is None:
        yield None
        return
    schemas = PostgresSchemas(url)
    yield schemas
    schemas.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend of this test: "sqlite", or "postgres" when a server is configured."""
    if request.param == "postgres" and postgres_url() is None:
        pytest.skip(PG_SKIP)
    return str(request.param)


@pytest.fixture
def make_db(tmp_path: Path, _pg_schemas: PostgresSchemas | None) -> Iterator[Callable[[str], str]]:
    """Makes a fresh, empty database of a kind, "sqlite" (a path; the file does not exist yet)
    or "postgres" (the URL of an empty schema; skips the test without a server). All are
    removed after the test."""
    made: list[str] = []

    def make(kind: str) -> str:
        if kind == "sqlite":
            made.append(str(tmp_path / f"db-{len(made)}.db"))
        elif _pg_schemas is None:
            pytest.skip(PG_SKIP)
        else:
            made.append(_pg_schemas.new())
        return made[-1]

    yield make
    if _pg_schemas is not None:
        for url in made:
            if url.startswith("postgresql"):
                _pg_schemas.drop(url)


@pytest.fixture
def new_db(backend: str, make_db: Callable[[str], str]) -> Callable[[], str]:
    """Makes fresh, empty databases on this test's backend (see ``make_db``)."""
    return lambda: make_db(backend)


@pytest.fixture
def fresh_db(new_db: Callable[[], str], monkeypatch: pytest.MonkeyPatch) -> str:
    """MISHAPS_DB points at a fresh, empty database on this test's backend."""
    where = new_db()
    monkeypatch.setenv("MISHAPS_DB", where)
    return where


@pytest.fixture(scope="session")
def _seed_loaded() -> list[Any]:
    from mishaps.ingest import load_files

    return load_files(SEED_FILES)


def downgrade(engine: Any, revision: str) -> None:
    """Take a database back to ``revision`` through the migrations' own downgrades: how a test
    gets an older schema holding what today's code writes (which an older schema may not take).
    With an engine of ``make_engine`` foreign keys are on: fine for downgrades that rebuild no
    table (SQLite would cascade a rebuilt parent's deletion into its children)."""
    from alembic import command

    from mishaps.db import _alembic_config

    with engine.begin() as conn:
        command.downgrade(_alembic_config(conn), revision)


def fill_with_seed(where: str, loaded: list[Any]) -> None:
    """Create the schema at ``where`` and import the seed cases, as `mishaps init` does."""
    from mishaps.config import to_url
    from mishaps.db import create_schema, make_engine
    from mishaps.ingest import import_cases

    engine = make_engine(to_url(where), create=True)
    try:
        create_schema(engine)
        import_cases(engine, loaded, command="init (seed data)")
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def _seeded_template(tmp_path_factory: pytest.TempPathFactory, _seed_loaded: list[Any]) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "seed.db"
    fill_with_seed(str(path), _seed_loaded)
    return path


@pytest.fixture
def seeded_db(
    backend: str,
    new_db: Callable[[], str],
    _seeded_template: Path,
    _seed_loaded: list[Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Path | str:
    """A database holding the seed cases, private to the test (and MISHAPS_DB points at it):
    an SQLite file's path, or a postgresql:// URL."""
    if backend == "sqlite":
        path = tmp_path / "seeded.db"
        shutil.copyfile(_seeded_template, path)
        monkeypatch.setenv("MISHAPS_DB", str(path))
        return path
    url = new_db()
    fill_with_seed(url, _seed_loaded)
    monkeypatch.setenv("MISHAPS_DB", url)
    return url


@pytest.fixture
def engine(seeded_db: Path | str) -> Iterator[object]:
    from mishaps.config import to_url
    from mishaps.db import make_engine

    eng = make_engine(to_url(str(seeded_db)))
    yield eng
    eng.dispose()


def seed_cases() -> list[dict]:
    import yaml

    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in SEED_FILES]
