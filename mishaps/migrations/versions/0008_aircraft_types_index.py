"""A covering index for the aircraft types every listing shows.

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-27

`mishaps list` shows each case's aircraft types in their order: a lookup per case by
``(mishap_pk, position)``. The primary key's index gives the order but not the type, so every
aircraft cost a second lookup in the table; ``ix_aircraft_types`` holds the type beside the key
and answers from the index alone (issue 16, bench/NOTES.md).
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_aircraft_types", "aircraft", ["mishap_pk", "position", "type"], if_not_exists=True
    )


def downgrade() -> None:
    op.drop_index("ix_aircraft_types", "aircraft")
