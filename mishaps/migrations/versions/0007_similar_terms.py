"""Similar cases from stored terms (issue 16): ``similar_term``, ``similar_case``, ``similar_df``.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27

``mishaps similar`` read every case's words into memory on its first call in a process (30 s at
100,000 cases). The terms of each case are now written with it (``mishaps.similarindex``), and a
query reads the posting lists of its own terms only. An older database gets them here from its
rows by ``similarindex.reindex`` (plain SQL by column name, so it works on this revision's schema).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel import Session

revision = "0007"
down_revision = "0008"
branch_labels = None
depends_on = None

# Compared byte by byte on PostgreSQL too (see mishaps.models.BYTES).
BYTES = sa.String().with_variant(sa.String(collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "similar_term",
        sa.Column("term", BYTES, nullable=False),
        sa.Column("mishap_pk", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("words", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("term", "mishap_pk"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "similar_case",
        sa.Column("mishap_pk", sa.Integer(), nullable=False),
        sa.Column("words", sa.Integer(), nullable=False),
        sa.Column("terms", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["mishap_pk"], ["mishap.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("mishap_pk"),
    )
    op.create_index("ix_similar_case_words", "similar_case", ["words"])
    op.create_table(
        "similar_df",
        sa.Column("term", BYTES, nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("term"),
    )
    from mishaps.similarindex import reindex

    with Session(bind=op.get_bind()) as session:
        reindex(session)


def downgrade() -> None:
    for table in ("similar_df", "similar_case", "similar_term"):
        op.drop_table(table)
