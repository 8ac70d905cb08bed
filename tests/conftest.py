"""Shared fixtures. No test touches a real user database: MISHAPS_DB and the user data
directory point into each test's tmp_path."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from typer.testing import CliRunner

from mishaps.cli import app
from mishaps.config import seed_dir

SEED_FILES = sorted(seed_dir().glob("*.yaml"))

# Modest by default so the suite stays fast; HYPOTHESIS_PROFILE=thorough for a deeper search.
_HEALTH = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
settings.register_profile("default", deadline=None, max_examples=60, suppress_health_check=_HEALTH)
settings.register_profile(
    "thorough", deadline=None, max_examples=2000, suppress_health_check=_HEALTH
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISHAPS_DB", str(tmp_path / "test.db"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    for name in ("MISHAPS_MARKING", "MISHAPS_DISTRIBUTION", "SOURCE_DATE_EPOCH"):
        monkeypatch.delenv(name, raising=False)


class Runner:
    """Runs `mishaps` in-process; stdout and stderr stay apart."""

    def __init__(self) -> None:
        self._runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None):  # noqa: ANN204
        return self._runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)


@pytest.fixture
def runner() -> Runner:
    return Runner()


@pytest.fixture(scope="session")
def _seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mishaps.cli.common import load_seed
    from mishaps.config import to_url
    from mishaps.db import create_schema, make_engine

    path = tmp_path_factory.mktemp("seeded") / "seed.db"
    engine = make_engine(to_url(str(path)), create=True)
    create_schema(engine)
    load_seed(engine)
    engine.dispose()
    return path


@pytest.fixture
def seeded_db(_seeded_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database file holding the seed cases, private to the test (and MISHAPS_DB points at it)."""
    path = tmp_path / "seeded.db"
    shutil.copyfile(_seeded_template, path)
    monkeypatch.setenv("MISHAPS_DB", str(path))
    return path


@pytest.fixture
def engine(seeded_db: Path) -> Iterator[object]:
    from mishaps.config import to_url
    from mishaps.db import make_engine

    eng = make_engine(to_url(str(seeded_db)))
    yield eng
    eng.dispose()


def seed_cases() -> list[dict]:
    import yaml

    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in SEED_FILES]
