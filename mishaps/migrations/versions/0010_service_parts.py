"""A case's services in their own table, so that --service finds joint cases (USAF/USN).

Revision ID: 0010
Revises: 0006
Create Date: 2026-11-27

``mishap_service`` holds one row per service a case's ``service`` field names ("USAF/USN" is two;
"USAF (New Hampshire Air National Guard)" is USAF), keyed like the other child tables and indexed
by (key, mishap_pk) for --service. Every case's rows are filled here by
``derived.refresh_services`` (plain SQL by column name, so it works on this revision's schema).
The expression index on lower(service) served only the old exact match: it goes. The derived
classes are recomputed, since a class that only some services use (Class E: USN, USMC) now reads
the service the same way ("USN (VX-20)" is USN).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel import Session

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Compared byte by byte on PostgreSQL too (see mishaps.models.BYTES).
BYTES = sa.String().with_variant(sa.String(collation="C"), "postgresql")


def upgrade() -> None:
    # The table may already be there: a database whose revision was not recorded is stamped from
    # its mishap columns alone (0005), and may have been made with today's tables.
    if not sa.inspect(op.get_bind()).has_table("mishap_service"):
        _create_table()
    op.drop_index("ix_mishap_service_lower", "mishap", if_exists=True)

    from mishaps.derived import refresh_derived, refresh_services

    with Session(bind=op.get_bind()) as session:
        refresh_services(session)
        refresh_derived(session)  # a class used by some services only now reads them as parts


def _create_table() -> None:
    op.create_table(
        "mishap_service",
        sa.Column("mishap_pk", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(), nullable=False),
        sa.Column("key", BYTES, nullable=False),
        sa.ForeignKeyConstraint(["mishap_pk"], ["mishap.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("mishap_pk", "position"),
        sa.UniqueConstraint("mishap_pk", "key"),
    )
    op.create_index("ix_mishap_service_key", "mishap_service", ["key", "mishap_pk"])


def downgrade() -> None:
    op.create_index("ix_mishap_service_lower", "mishap", [sa.text("lower(service)")])
    op.drop_table("mishap_service")
