"""Schema migrations (Alembic), shipped in the package and run by ``mishaps.db``: no alembic.ini.

``REVISIONS`` lists every revision this version of mishaps knows, oldest first (a test checks it
against the scripts in ``versions/``). It is kept here rather than read from the scripts so that
checking a database's revision, which every command does, costs one SELECT and no Alembic import.
"""

from __future__ import annotations

from typing import Any

REVISIONS: tuple[str, ...] = (
    *("0001", "0002", "0003", "0005", "0004", "0006", "0009", "0010", "0008", "0007", "0011"),
)
HEAD = REVISIONS[-1]


def is_search_table(name: str | None) -> bool:
    """The full-text tables (FTS5 and its shadow tables, or tsvector): made per dialect."""
    return name is not None and (name == "mishap_search" or name.startswith("mishap_fts"))


def include_name(name: str | None, type_: str, _parent: Any) -> bool:
    """What Alembic compares with the models: every table but the full-text ones."""
    return not (type_ == "table" and is_search_table(name))
