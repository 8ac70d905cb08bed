"""Derived and effective mishap class, and fiscal year, on each case (filled from stored facts).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

The three columns are derived when a case is stored (``mishaps.classes``). An older database
gets them filled here by ``derived.refresh_derived``, which reads and writes by column name in
plain SQL, so it works on the schema as it stands after this revision. It applies the class
thresholds of the mishaps that runs the upgrade, as a fresh import would.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel import Session

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mishap") as batch:
        batch.add_column(sa.Column("derived_class", sa.String(), nullable=True))
        batch.add_column(sa.Column("effective_class", sa.String(), nullable=True))
        batch.add_column(sa.Column("fiscal_year", sa.Integer(), nullable=True))
    op.create_index("ix_mishap_effective_class", "mishap", ["effective_class"])
    op.create_index("ix_mishap_fiscal_year", "mishap", ["fiscal_year"])

    from mishaps.derived import refresh_derived

    with Session(bind=op.get_bind()) as session:
        refresh_derived(session)


def downgrade() -> None:
    op.drop_index("ix_mishap_fiscal_year", "mishap")
    op.drop_index("ix_mishap_effective_class", "mishap")
    with op.batch_alter_table("mishap") as batch:
        batch.drop_column("fiscal_year")
        batch.drop_column("effective_class")
        batch.drop_column("derived_class")
