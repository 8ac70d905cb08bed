"""No filter falls back to a full scan: SQLite's EXPLAIN QUERY PLAN for every query it runs.

The statements are not written here: each filter goes through ``mishaps.queries`` and the test
records every SELECT that SQLAlchemy sends, so the test follows the code. A full scan is a plan
line ``SCAN <table>`` on the mishap table or a child table, whether through an index or not:
``SCAN mishap USING INDEX ix_mishap_date_start`` still reads every row, only in date order.
(The full-text table is a virtual table; its ``SCAN mishap_fts VIRTUAL TABLE INDEX 0:M..`` is a
MATCH lookup.) A plan is the same on 16 rows as on a million: no ANALYZE statistics are kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import fields
from typing import Any

import pytest
from sqlalchemy import Engine, event

from mishaps.db import session_scope
from mishaps.filters import Filters
from mishaps.models import CHILD_TABLES, Mishap
from mishaps.queries import find_cases, list_mishaps

# One or more values per filter; every field of Filters must be here (see the first test).
SAMPLES: dict[str, list[Any]] = {
    "aircraft": ["KC-135", "KC-135R", "NKC-135", "A330", "A330 MRTT"],
    "role": ["receiver"],
    "cause": ["boom", "MAC", "AE1", "AE102"],
    "category": ["SCF", "MAC"],
    "mishap_class": ["A"],
    "since": ["2020", "2011-05", "2011-05-12"],
    "until": ["1990"],
    "service": ["usaf", "USAF/USN", "usaf (1st wing)"],
    "method": ["boom"],
    "phase": ["contact"],
    "mechanism": ["boom-binding", "collision"],
    "status": ["final"],
    "series": ["kc-46-boom-nozzle-binding"],
    "search": ["canopy", "boom*"],
    "hfacs": ["AE1", "AE102", "PC"],
    "fiscal_year": [2013],
}
NOT_FILTERS = {"limit"}  # a cap, not a condition: it needs no index
TABLES = {Mishap.__tablename__, *(t.__tablename__ for t in CHILD_TABLES)}
FULL_SCAN = re.compile(r"\bSCAN (\w+)")

CASES = [(name, value) for name, values in SAMPLES.items() for value in values]
COMBINED = [
    {"aircraft": "KC-135", "role": "tanker", "since": "2000"},
    {"cause": "boom", "mishap_class": "A", "until": "2010"},
    {"service": "USAF", "search": "boom", "status": "final"},
]


def test_every_filter_has_a_sample() -> None:
    missing = {f.name for f in fields(Filters)} - set(SAMPLES) - NOT_FILTERS
    assert not missing, f"add sample values for the new filters {sorted(missing)} to SAMPLES"


def _statements(engine: Engine, run: Any) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def record(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, _many: bool
    ) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        with session_scope(engine) as session:
            run(session)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def full_scans(engine: Engine, filters: Filters) -> Iterator[str]:
    """Each plan line that scans a whole table, for the statements the queries run."""
    if engine.dialect.name != "sqlite":
        # PostgreSQL's planner rightly reads a 16-row table whole: its plans say nothing here.
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL plans depend on table sizes")

    def run(session: Any) -> None:
        list_mishaps(session=session, filters=filters)
        find_cases(session=session, filters=filters)

    statements = _statements(engine, run)
    assert statements, "the queries ran no SELECT"
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        for statement, parameters in statements:
            for row in raw.execute("EXPLAIN QUERY PLAN " + statement, parameters):
                detail = row[3]
                m = FULL_SCAN.search(detail)
                if m and m[1] in TABLES:
                    yield f"{detail}\n    in: {statement}"


@pytest.mark.parametrize(("name", "value"), CASES, ids=[f"{n}={v}" for n, v in CASES])
def test_filter_uses_an_index(engine: Engine, name: str, value: Any) -> None:
    assert list(full_scans(engine, Filters(**{name: value}))) == []


@pytest.mark.parametrize("combo", COMBINED, ids=["+".join(c) for c in COMBINED])
def test_combined_filters_use_an_index(engine: Engine, combo: dict[str, Any]) -> None:
    assert list(full_scans(engine, Filters(**combo))) == []


def test_the_check_sees_a_full_scan(engine: Engine) -> None:
    """The test above would fail on a filter without an index: no filter at all lists all."""
    assert any("SCAN mishap" in s for s in full_scans(engine, Filters()))
