"""An unknown air refueling method or phase is NULL, like every other unknown.

Revision ID: 0004
Revises: 0005
Create Date: 2026-11-27

Before this revision the two columns held the string ``unknown``; a SQL user had to know that
these two, alone, spell unknown as a word (`WHERE refueling_phase IS NULL` missed them). History
documents are left as they were written: they are the record of what was stored then.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0005"
branch_labels = None
depends_on = None

COLUMNS = ("refueling_method", "refueling_phase")


def upgrade() -> None:
    for column in COLUMNS:
        op.execute(f"UPDATE mishap SET {column} = NULL WHERE {column} = 'unknown'")


def downgrade() -> None:
    for column in COLUMNS:
        op.execute(f"UPDATE mishap SET {column} = 'unknown' WHERE {column} IS NULL")
