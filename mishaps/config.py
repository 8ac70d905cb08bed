"""Where things are: the database URL and the bundled seed data and templates."""

from __future__ import annotations

import os
import re
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_REPO = _PACKAGE.parent

ENV_DB = "MISHAPS_DB"


def _bundled(name: str, repo_relative: str) -> Path:
    """A data folder: inside an installed wheel, else at the root of the source checkout."""
    inside = _PACKAGE / "_bundled" / name
    return inside if inside.is_dir() else _REPO / repo_relative


def seed_dir() -> Path:
    return _bundled("seed_data", "seed_data")


def seed_case_files() -> list[Path]:
    """The seed cases, one YAML file each, sorted by name."""
    return sorted(seed_dir().glob("*.yaml"))


def templates_dir() -> Path:
    return _bundled("templates", "reports/templates")


def docs_dir() -> Path:
    """The documentation the program reads too (docs/format.md describes the web columns)."""
    return _bundled("docs", "docs")


def data_dir() -> Path:
    """Reference data shipped in the package (taxonomies, class thresholds)."""
    return _PACKAGE / "data"


def default_db_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("mishaps", appauthor=False) / "mishaps.db"


def resolve_db(option: str | None) -> tuple[str, bool]:
    """The database URL, and whether it is the default one (--db > $MISHAPS_DB > data dir)."""
    value = option or os.environ.get(ENV_DB) or None
    if value is None:
        return to_url(str(default_db_path())), True
    return to_url(value), False


ACCEPTED_DB = "an SQLite file path or a postgresql://USER@HOST/DBNAME URL"
_SCHEMES = ("sqlite", "postgres", "postgresql", "postgresql+psycopg")


def to_url(value: str) -> str:
    """A bare path means an SQLite file; ``postgresql://`` a PostgreSQL database; nothing else.

    Any other scheme (mysql://, http://) is refused here, in words, before SQLAlchemy sees it.
    """
    from mishaps.errors import DatabaseError

    if "://" in value:
        scheme = value.split("://", 1)[0].lower()
        if scheme not in _SCHEMES:
            raise DatabaseError(
                f"{value} is not a database mishaps can use ({scheme}://); give {ACCEPTED_DB}"
            )
        if scheme == "sqlite":
            path = value.split("://", 1)[1]
            if not path.startswith("/") or path == "/":  # sqlite:// alone is an in-memory database
                raise DatabaseError(f"{value} names no file; give {ACCEPTED_DB}")
            return "sqlite:///" + str(Path(path[1:]).expanduser().resolve())
        if scheme == "postgres":
            value = "postgresql://" + value.split("://", 1)[1]
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value[len("postgresql://") :]
        return value
    if not value.strip():
        raise DatabaseError(f"the database name is empty; give {ACCEPTED_DB}")
    return "sqlite:///" + str(Path(value).expanduser().resolve())


def sqlite_path(url: str) -> Path | None:
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///") :])
    return None


def display_db(url: str) -> str:
    """A database as its user knows it: an SQLite file by its path, a URL without password."""
    path = sqlite_path(url)
    if path is not None:
        return str(path)
    shown = url.replace("postgresql+psycopg://", "postgresql://", 1)
    return re.sub(r"^([a-z+]+://[^:/@]*):[^@/]*@", r"\1:***@", shown)
