"""Each aircraft says whether it is the first of its type in its case.

Revision ID: 0011
Revises: 0007
Create Date: 2026-11-28

`mishaps list` shows each case's aircraft types once each, in their order. Finding the repeats
took a probe of the index per aircraft on every listing (is there an earlier aircraft of this
type?): an eighth of a large listing's statement (issue 16). ``aircraft.first_of_type`` records
the answer when the case is written; ``ix_aircraft_types`` leads with it after the case's key, so
a listing reads exactly the types it shows, in order, from the index alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The column may already be there: a database whose revision was not recorded is stamped
    # from its mishap columns alone (0005), and may have been made with today's tables.
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("aircraft")}
    if "first_of_type" not in columns:
        op.add_column(
            "aircraft",
            sa.Column("first_of_type", sa.Boolean(), nullable=False, server_default=sa.true()),
        )
    op.execute(
        "UPDATE aircraft SET first_of_type = false WHERE EXISTS (SELECT 1 FROM aircraft b"
        " WHERE b.mishap_pk = aircraft.mishap_pk AND b.position < aircraft.position"
        " AND b.type = aircraft.type)"
    )
    op.drop_index("ix_aircraft_types", "aircraft")
    op.create_index(
        "ix_aircraft_types", "aircraft", ["mishap_pk", "first_of_type", "position", "type"]
    )


def downgrade() -> None:
    op.drop_index("ix_aircraft_types", "aircraft")
    op.create_index("ix_aircraft_types", "aircraft", ["mishap_pk", "position", "type"])
    with op.batch_alter_table("aircraft") as batch:
        batch.drop_column("first_of_type")
