"""A case's services in their own table, so that --service finds joint cases (USAF/USN).

Revision ID: 0010
Revises: 0006
Create Date: 2026-11-28

``mishap_service`` holds one row per service a case's ``service`` field names ("USAF/USN" is two;
"USAF (New Hampshire Air National Guard)" is USAF), keyed like the other child tables and indexed
by (key, mishap_pk) for --service. Every case's rows are filled here by
``derived.refresh_services`` (plain SQL by column name, so it works on this revision's schema).
The expression index on lower(service) served only the old exact match: it goes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel import Session

revision = "0010"
down_revision = "0006"
branch_labels = None
depends_on = None

# Compared byte by byte on PostgreSQL too (see mishaps.models.BYTES).
BYTES = sa.String().with_variant(sa.String(collation="C"), "postgresql")


def upgrade() -> None:
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
    op.drop_index("ix_mishap_service_lower", "mishap", if_exists=True)

    from mishaps.derived import refresh_services

    with Session(bind=op.get_bind()) as session:
        refresh_services(session)


def downgrade() -> None:
    op.create_index("ix_mishap_service_lower", "mishap", [sa.text("lower(service)")])
    op.drop_table("mishap_service")
