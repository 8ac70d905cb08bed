"""The initial schema: cases with their child rows, history, and the full-text index.

Revision ID: 0001
Revises:
Create Date: 2026-11-25

A migration is frozen: it spells out its tables instead of importing ``mishaps.models``, which
moves on. The full-text index is made per dialect: FTS5 on SQLite, ``tsvector`` columns with GIN
indexes on PostgreSQL; both are filled by ``mishaps.store``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Compared byte by byte on PostgreSQL too (see mishaps.models.BYTES).
BYTES = sa.String().with_variant(sa.String(collation="C"), "postgresql")


def _col(name: str, type_: sa.types.TypeEngine[Any], *, null: bool = False) -> sa.Column[Any]:
    return sa.Column(name, type_, nullable=null)


def _child(
    name: str, *columns: sa.Column[Any], key: tuple[str, ...] = ("mishap_pk", "position")
) -> None:
    op.create_table(
        name,
        _col("mishap_pk", sa.Integer()),
        *columns,
        sa.ForeignKeyConstraint(["mishap_pk"], ["mishap.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint(*key),
    )


def upgrade() -> None:
    s = sa.String
    op.create_table(
        "mishap",
        _col("pk", sa.Integer()),
        _col("id", BYTES),
        _col("title", s()),
        _col("occurred_on", s()),
        _col("date_start", BYTES),
        _col("date_end", BYTES),
        _col("time", s(), null=True),
        _col("status", s()),
        _col("service", s()),
        _col("operation", s(), null=True),
        _col("location_description", s()),
        _col("country", s(), null=True),
        _col("latitude", sa.Float(), null=True),
        _col("longitude", sa.Float(), null=True),
        _col("refueling_method", s(), null=True),
        _col("refueling_phase", s(), null=True),
        _col("damage_usd", sa.Float(), null=True),
        _col("mishap_class", s(), null=True),
        _col("fatalities", sa.Integer(), null=True),
        _col("injuries", sa.Integer(), null=True),
        _col("summary", s()),
        _col("notes", s(), null=True),
        sa.PrimaryKeyConstraint("pk"),
    )
    op.create_index("ix_mishap_id", "mishap", ["id"], unique=True)
    for column in (
        "country",
        "date_start",
        "mishap_class",
        "refueling_method",
        "refueling_phase",
        "service",
        "status",
    ):
        op.create_index(f"ix_mishap_{column}", "mishap", [column])

    op.create_table(
        "revision",
        _col("seq", sa.Integer()),
        _col("mishap_id", BYTES),
        _col("action", s()),
        _col("at", s()),
        _col("command", s()),
        _col("file", s(), null=True),
        _col("document", s(), null=True),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index("ix_revision_case", "revision", ["mishap_id", "seq"])

    _child(
        "aircraft",
        _col("position", sa.Integer()),
        _col("role", s()),
        _col("type", s()),
        _col("mds_prefix", s(), null=True),
        _col("mds_mission", s(), null=True),
        _col("mds_design", s(), null=True),
        _col("mds_series", s(), null=True),
        _col("type_norm", BYTES),
        _col("serial", s(), null=True),
        _col("unit", s(), null=True),
        _col("callsign", s(), null=True),
        _col("crew", sa.Integer(), null=True),
        _col("fatalities", sa.Integer(), null=True),
        _col("injuries", sa.Integer(), null=True),
        _col("damage", s(), null=True),
    )
    op.create_index("ix_aircraft_mds", "aircraft", ["mds_design", "mds_mission", "mds_series"])
    op.create_index("ix_aircraft_role", "aircraft", ["role", "mishap_pk"])
    op.create_index("ix_aircraft_type_norm", "aircraft", ["type_norm"])

    _child("finding", _col("position", sa.Integer()), _col("kind", s()), _col("text", s()))
    op.create_index("ix_finding_kind", "finding", ["kind"])

    _child(
        "finding_hfacs",
        _col("finding_position", sa.Integer()),
        _col("position", sa.Integer()),
        _col("code", BYTES),
        key=("mishap_pk", "finding_position", "position"),
    )
    op.create_index("ix_finding_hfacs_code", "finding_hfacs", ["code", "mishap_pk"])

    op.create_table(
        "mishap_category",
        _col("mishap_pk", sa.Integer()),
        _col("position", sa.Integer()),
        _col("code", BYTES),
        sa.ForeignKeyConstraint(["mishap_pk"], ["mishap.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("mishap_pk", "position"),
        sa.UniqueConstraint("mishap_pk", "code"),
    )
    op.create_index("ix_mishap_category_code", "mishap_category", ["code", "mishap_pk"])

    _child(
        "source",
        _col("position", sa.Integer()),
        _col("title", s()),
        _col("publisher", s(), null=True),
        _col("url", s()),
        _col("published_on", s(), null=True),
        _col("kind", s()),
    )

    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE mishap_fts USING fts5("
            "title, summary, findings, tokenize='porter unicode61')"
        )
    else:
        # English stemming without stop words, as FTS5's porter tokenizer: "the" is searchable.
        op.execute(
            "CREATE TEXT SEARCH DICTIONARY mishaps_stem (TEMPLATE = snowball, Language = english)"
        )
        op.execute("CREATE TEXT SEARCH CONFIGURATION mishaps_english (COPY = english)")
        op.execute(
            "ALTER TEXT SEARCH CONFIGURATION mishaps_english"
            " ALTER MAPPING REPLACE english_stem WITH mishaps_stem"
        )
        op.execute(
            "CREATE TABLE mishap_search ("
            " mishap_pk integer PRIMARY KEY REFERENCES mishap(pk) ON DELETE CASCADE,"
            " doc tsvector NOT NULL, findings tsvector NOT NULL)"
        )
        op.execute("CREATE INDEX ix_mishap_search_doc ON mishap_search USING gin (doc)")
        op.execute("CREATE INDEX ix_mishap_search_findings ON mishap_search USING gin (findings)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE mishap_fts")
    else:
        op.execute("DROP TABLE mishap_search")
        op.execute("DROP TEXT SEARCH CONFIGURATION mishaps_english")
        op.execute("DROP TEXT SEARCH DICTIONARY mishaps_stem")
    for table in (
        "source",
        "mishap_category",
        "finding_hfacs",
        "finding",
        "aircraft",
        "revision",
        "mishap",
    ):
        op.drop_table(table)
