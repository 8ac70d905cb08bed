"""Database tables.

A mishap is an event (``Mishap``) with aircraft, findings, sources and occurrence categories in
their own tables, so every statistic can say what it counts. Child rows are keyed by
``(mishap_pk, position)``: the leading column doubles as the foreign-key index (SQLModel does not
index foreign keys by itself) and ``position`` keeps the order of the interchange file.

Nothing of ours is imported here but the vocabularies.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, UniqueConstraint, true
from sqlmodel import AutoString, Field, SQLModel

from mishaps.vocab import (  # noqa: F401  (re-exported: the vocabulary of these tables)
    Damage,
    FindingKind,
    Method,
    MishapClass,
    Phase,
    Role,
    SourceKind,
    Status,
)

# Text that is sorted or matched by prefix (ids, ISO dates, codes) compares byte by byte on
# PostgreSQL too, as it does on SQLite: a database created with a linguistic collation (en_US)
# would otherwise sort ids differently and break the prefix ranges in mishaps.queries.
BYTES = AutoString().with_variant(String(collation="C"), "postgresql")


def _parent() -> Column[int]:
    return Column(Integer, ForeignKey("mishap.pk", ondelete="CASCADE"), primary_key=True)


class Mishap(SQLModel, table=True):
    __tablename__ = "mishap"

    pk: int | None = Field(default=None, primary_key=True)
    id: str = Field(unique=True, index=True, sa_type=BYTES)
    title: str
    occurred_on: str  # YYYY-MM-DD, YYYY-MM or YYYY, as given
    # The period the (possibly partial) date covers, for range filters and sorting.
    date_start: str = Field(index=True, sa_type=BYTES)
    date_end: str = Field(sa_type=BYTES)
    time: str | None = None
    status: str = Field(index=True)
    service: str  # as written; matched through its parts in mishap_service
    operation: str | None = None
    location_description: str
    country: str | None = Field(default=None, index=True)
    latitude: float | None = None
    longitude: float | None = None
    location_approximate: bool | None = None  # the coordinates are a named place's
    location_basis: str | None = None
    refueling_method: str | None = Field(default=None, index=True)
    refueling_phase: str | None = Field(default=None, index=True)
    damage_usd: float | None = None
    mishap_class: str | None = Field(default=None, index=True)  # as a source states it
    # Derived when stored (mishaps.classes), never part of the interchange format: the class the
    # era rules give, the class queries use (stated, else derived) and the US federal fiscal year
    # (null when a partial date spans two).
    derived_class: str | None = None
    effective_class: str | None = Field(default=None, index=True)
    fiscal_year: int | None = Field(default=None, index=True)
    fatalities: int | None = None
    injuries: int | None = None
    summary: str
    notes: str | None = None


class Aircraft(SQLModel, table=True):
    __tablename__ = "aircraft"
    __table_args__ = (
        Index("ix_aircraft_mds", "mds_design", "mds_mission", "mds_series"),
        Index("ix_aircraft_type_norm", "type_norm"),
        Index("ix_aircraft_role", "role", "mishap_pk"),
        Index("ix_aircraft_family", "family", "mishap_pk"),
        # Covering: a listing reads each case's distinct types in order from the index alone
        # (0008, 0011).
        Index("ix_aircraft_types", "mishap_pk", "first_of_type", "position", "type"),
    )

    mishap_pk: int = Field(sa_column=_parent())
    position: int = Field(primary_key=True)
    role: str
    type: str
    # Parsed Mission Design Series, for matching (see mishaps.mds); null for non-MDS types.
    mds_prefix: str | None = None
    mds_mission: str | None = None
    mds_design: str | None = None
    mds_series: str | None = None
    type_norm: str = Field(sa_type=BYTES)  # case-folded, single-spaced type, for non-MDS matching
    # The airframe family (mishaps.mds.family): KC-135R -> KC-135, Voyager KC2 -> A330 MRTT.
    family: str | None = Field(default=None, sa_type=BYTES)
    # No earlier aircraft of the case has this type: the types a listing shows, once each (0011).
    first_of_type: bool = Field(default=True, sa_column_kwargs={"server_default": true()})
    serial: str | None = None
    unit: str | None = None
    callsign: str | None = None
    crew: int | None = None
    fatalities: int | None = None
    injuries: int | None = None
    damage: str | None = None


class Finding(SQLModel, table=True):
    __tablename__ = "finding"

    mishap_pk: int = Field(sa_column=_parent())
    position: int = Field(primary_key=True)
    kind: str = Field(index=True)
    text: str
    status: str | None = None  # recommendations only: open | implemented | rejected | unknown
    status_as_of: str | None = None


class FindingHfacs(SQLModel, table=True):
    __tablename__ = "finding_hfacs"
    __table_args__ = (Index("ix_finding_hfacs_code", "code", "mishap_pk"),)

    mishap_pk: int = Field(sa_column=_parent())
    finding_position: int = Field(primary_key=True)
    position: int = Field(primary_key=True)
    code: str = Field(sa_type=BYTES)


class FindingCite(SQLModel, table=True):
    """A source a finding cites, by its number in the case's sources (1 = the first)."""

    __tablename__ = "finding_cite"

    mishap_pk: int = Field(sa_column=_parent())
    finding_position: int = Field(primary_key=True)
    position: int = Field(primary_key=True)
    source: int


class MishapCite(SQLModel, table=True):
    """One (field path, source number) pair of a case's ``cites``, in the file's order."""

    __tablename__ = "mishap_cite"

    mishap_pk: int = Field(sa_column=_parent())
    position: int = Field(primary_key=True)
    path: str
    source: int


class MishapMechanism(SQLModel, table=True):
    __tablename__ = "mishap_mechanism"
    __table_args__ = (
        Index("ix_mishap_mechanism_code", "code", "mishap_pk"),
        UniqueConstraint("mishap_pk", "code"),
    )

    mishap_pk: int = Field(sa_column=_parent())
    position: int = Field(primary_key=True)
    code: str = Field(sa_type=BYTES)


class MishapSeries(SQLModel, table=True):
    __tablename__ = "mishap_series"
    __table_args__ = (
        Index("ix_mishap_series_id", "series_id", "mishap_pk"),
        UniqueConstraint("mishap_pk", "series_id"),
    )

    mishap_pk: int = Field(sa_column=_parent())
    position: int = Field(primary_key=True)
    series_id: str = Field(sa_type=BYTES)


class MishapService(SQLModel, table=True):
    """One service a case's ``service`` field names (``USAF/USN`` is two), each key once: what
    --service and `stats --by service` match, so a joint case is found by each of its services.
    ``key`` is the part case-folded, spaces collapsed, without a trailing parenthesis
    (mishaps.nations.service_key); ``service`` is the part as the case writes it."""

    __tablename__ = "mishap_service"
    __table_args__ = (
        Index("ix_mishap_service_key", "key", "mishap_pk"),
        UniqueConstraint("mishap_pk", "key"),
    )

    mishap_pk: int = Field(sa_column=_parent())
    position: int = Field(primary_key=True)
    service: str
    key: str = Field(sa_type=BYTES)


class MishapCategory(SQLModel, table=True):
    __tablename__ = "mishap_category"
    __table_args__ = (
        Index("ix_mishap_category_code", "code", "mishap_pk"),
        UniqueConstraint("mishap_pk", "code"),
    )

    mishap_pk: int = Field(sa_column=_parent())
    position: int = Field(primary_key=True)
    code: str = Field(sa_type=BYTES)


class Source(SQLModel, table=True):
    __tablename__ = "source"

    mishap_pk: int = Field(sa_column=_parent())
    position: int = Field(primary_key=True)
    title: str
    publisher: str | None = None
    url: str
    published_on: str | None = None
    kind: str


class SimilarTerm(SQLModel, table=True):
    """A posting of ``mishaps similar``: a term of a case (a word, or a ``kind:value`` feature),
    how often the case has it, and the case's word count (so a posting alone scores).

    Keyed by term first, without a rowid on SQLite: the posting list of a term is one range of
    one b-tree. Written and removed with the case by ``similarindex`` (no foreign key: a
    cascade would need a second index by case, which would double the cost of writing it).
    """

    __tablename__ = "similar_term"
    __table_args__ = {"sqlite_with_rowid": False}

    term: str = Field(primary_key=True, sa_type=BYTES)
    mishap_pk: int = Field(primary_key=True)
    count: int
    words: int


class SimilarCase(SQLModel, table=True):
    """A case's terms for ``mishaps similar`` (JSON, term -> count) and its word count."""

    __tablename__ = "similar_case"
    # Covers the count of cases and their total word count (BM25's mean length) that every
    # query reads: without it they are a scan of every case's terms.
    __table_args__ = (Index("ix_similar_case_words", "words"),)

    mishap_pk: int = Field(sa_column=_parent())
    words: int
    terms: str


class SimilarDf(SQLModel, table=True):
    """How many cases hold a term (its document frequency), kept exact as cases are written."""

    __tablename__ = "similar_df"

    term: str = Field(primary_key=True, sa_type=BYTES)
    cases: int


CHILD_TABLES = (
    Aircraft,
    Finding,
    FindingHfacs,
    FindingCite,
    MishapCite,
    MishapMechanism,
    MishapSeries,
    MishapService,
    MishapCategory,
    Source,
)


class Revision(SQLModel, table=True):
    """One change to a case: the history that `mishaps history` and `show --as-of` read.

    ``document`` is the whole case as it stood after the change, in the interchange format (JSON);
    it is null for a delete. The previous version of a case is the document of its previous
    revision, so every version stays recoverable.
    """

    __tablename__ = "revision"
    __table_args__ = (Index("ix_revision_case", "mishap_id", "seq"),)

    seq: int | None = Field(default=None, primary_key=True)
    mishap_id: str = Field(sa_type=BYTES)
    action: str  # insert | replace | delete
    at: str  # UTC, ISO 8601 with seconds: 2026-03-13T10:00:00Z
    command: str
    file: str | None = None
    document: str | None = None
