"""--service compares lower(service): index that expression instead of the column.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

The plain index on ``service`` served no query (the filter matches in any case), so
`mishaps list --service usaf` read the whole table; the expression index serves it (see
tests/test_query_plans.py and bench/RESULTS.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Either may already be so: a database whose revision was not recorded is stamped 0002 from
    # its columns alone, and may have been made with today's indexes.
    op.drop_index("ix_mishap_service", "mishap", if_exists=True)
    op.create_index(
        "ix_mishap_service_lower", "mishap", [sa.text("lower(service)")], if_not_exists=True
    )


def downgrade() -> None:
    op.drop_index("ix_mishap_service_lower", "mishap")
    op.create_index("ix_mishap_service", "mishap", ["service"])
