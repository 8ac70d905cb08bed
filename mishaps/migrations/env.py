"""Alembic's environment: always handed an open connection by ``mishaps.db.migrate``."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from mishaps import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from mishaps.migrations import include_name

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    include_name=include_name,
    render_as_batch=True,  # SQLite alters a table by copying it; batch mode does that
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
