"""Designator-aware full-text search (issue 13): rebuild every search entry.

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-27

No table changes. Search entries now carry, beside the text, one token per designator in it and
per aircraft type (KC-46A -> kc46a and its family kc46; F-18 -> f18 and fa18), so that
``--search KC-46`` finds every KC-46A on both backends. Entries written before this revision have
no such tokens; ``searchindex.reindex`` rebuilds them all (plain SQL by column name, so it works on
this revision's schema). Downgrading keeps the richer entries: older code never reads them.
"""

from __future__ import annotations

from alembic import op
from sqlmodel import Session

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from mishaps.searchindex import reindex

    with Session(bind=op.get_bind()) as session:
        reindex(session)


def downgrade() -> None:
    pass
