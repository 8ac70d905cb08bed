"""Accent-folded full-text search (issue 11, item 8): rebuild every search entry.

Revision ID: 0009
Revises: 0006
Create Date: 2026-11-27

No table changes. Search entries now hold their text folded by ``searchindex.fold`` (case folded,
compatibility forms made plain, accents dropped), and queries are folded the same way, so that
"é" finds "e" on PostgreSQL as it did on SQLite, and both backends agree on every other mark
too ("ß" is "ss", "ﬁ" is "fi"). Entries written before this revision hold unfolded text, which
folded queries would miss (on PostgreSQL, every accented word; on SQLite, the few that its
tokenizer does not fold itself); ``searchindex.reindex`` rebuilds them all. Downgrading keeps
the folded entries (this code cannot write unfolded ones): older code then finds unaccented words
as before, but on PostgreSQL an accented query word finds nothing.
"""

from __future__ import annotations

from alembic import op
from sqlmodel import Session

revision = "0009"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from mishaps.searchindex import reindex

    with Session(bind=op.get_bind()) as session:
        reindex(session)


def downgrade() -> None:
    pass
