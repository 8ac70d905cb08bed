"""Alembic's environment: always handed an open connection by ``mishaps.db.migrate``."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlmodel import AutoString, SQLModel

from mishaps import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from mishaps.migrations import include_name


def render_item(type_: str, obj: Any, _context: Any) -> str | Literal[False]:
    """Drafts spell sqlmodel's AutoString as plain sa.String(): a migration imports no models."""
    if type_ == "type" and isinstance(obj, AutoString):
        variants = getattr(obj, "_variant_mapping", {})
        text = "sa.String()"
        for dialect, variant in variants.items():
            text += f".with_variant(sa.{variant!r}, {dialect!r})"
        return text
    return False


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    include_name=include_name,
    render_item=render_item,
    render_as_batch=True,  # SQLite alters a table by copying it; batch mode does that
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
