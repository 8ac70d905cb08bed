"""Citations, air refueling mechanisms, series, approximate coordinates, recommendation status and
aircraft families (issue 12 section 2, issue 17).

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-27

New child tables keyed like the others (mishap_pk, position): the case's ``cites`` as (path,
source number) pairs, each finding's cites, the mechanism codes and the series ids. New columns:
the location's ``approximate``/``basis`` on mishap, a recommendation's ``status``/``status_as_of``
on finding, and each aircraft's ``family``, which an older database gets filled here by
``derived.refresh_families`` (plain SQL by column name, so it works on this revision's schema).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlmodel import Session

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None

# Compared byte by byte on PostgreSQL too (see mishaps.models.BYTES).
BYTES = sa.String().with_variant(sa.String(collation="C"), "postgresql")


def _child(name: str, *columns: sa.Column[Any], key: tuple[str, ...]) -> None:
    op.create_table(
        name,
        sa.Column("mishap_pk", sa.Integer(), nullable=False),
        *columns,
        sa.ForeignKeyConstraint(["mishap_pk"], ["mishap.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint(*key),
    )


def upgrade() -> None:
    with op.batch_alter_table("mishap") as batch:
        batch.add_column(sa.Column("location_approximate", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("location_basis", sa.String(), nullable=True))
    with op.batch_alter_table("finding") as batch:
        batch.add_column(sa.Column("status", sa.String(), nullable=True))
        batch.add_column(sa.Column("status_as_of", sa.String(), nullable=True))
    with op.batch_alter_table("aircraft") as batch:
        batch.add_column(sa.Column("family", BYTES, nullable=True))
    op.create_index("ix_aircraft_family", "aircraft", ["family", "mishap_pk"])

    _child(
        "finding_cite",
        sa.Column("finding_position", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source", sa.Integer(), nullable=False),
        key=("mishap_pk", "finding_position", "position"),
    )
    _child(
        "mishap_cite",
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(), nullable=False),
        sa.Column("source", sa.Integer(), nullable=False),
        key=("mishap_pk", "position"),
    )
    for table, column in (("mishap_mechanism", "code"), ("mishap_series", "series_id")):
        op.create_table(
            table,
            sa.Column("mishap_pk", sa.Integer(), nullable=False),
            sa.Column("position", sa.Integer(), nullable=False),
            sa.Column(column, BYTES, nullable=False),
            sa.ForeignKeyConstraint(["mishap_pk"], ["mishap.pk"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("mishap_pk", "position"),
            sa.UniqueConstraint("mishap_pk", column),
        )
    op.create_index("ix_mishap_mechanism_code", "mishap_mechanism", ["code", "mishap_pk"])
    op.create_index("ix_mishap_series_id", "mishap_series", ["series_id", "mishap_pk"])

    from mishaps.derived import refresh_families

    with Session(bind=op.get_bind()) as session:
        refresh_families(session)


def downgrade() -> None:
    for table in ("mishap_series", "mishap_mechanism", "mishap_cite", "finding_cite"):
        op.drop_table(table)
    op.drop_index("ix_aircraft_family", "aircraft")
    with op.batch_alter_table("aircraft") as batch:
        batch.drop_column("family")
    with op.batch_alter_table("finding") as batch:
        batch.drop_column("status_as_of")
        batch.drop_column("status")
    with op.batch_alter_table("mishap") as batch:
        batch.drop_column("location_basis")
        batch.drop_column("location_approximate")
