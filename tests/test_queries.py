"""Filters at their edges: the index-friendly forms must select exactly what the plain ones did."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import Engine

from mishaps.db import session_scope, write_session
from mishaps.filters import Filters
from mishaps.queries import list_mishaps
from mishaps.schema import validate_case
from mishaps.store import insert_cases
from tests.conftest import seed_cases

DATES = {
    "y2019": "2019",
    "m2019-12": "2019-12",
    "d2019-12-31": "2019-12-31",
    "d2018-06-01": "2018-06-01",
    "y2016": "2016",
}
TYPES = {
    "t-a330-mrtt": "A330 MRTT",
    "t-a330": "A330",
    "t-a3300": "A3300",
    "t-a330x": "A330-X",
    "t-a330-spaces": "a330   mrtt tanker",
}


@pytest.fixture
def edge_engine(engine: Engine) -> Engine:
    base = seed_cases()[0]
    base.pop("cites", None)  # the template's citations name its own aircraft, replaced below
    base["service"] = "USAF / USN"  # a joint service, whichever seed file sorts first
    cases = []
    for name, when in DATES.items():
        doc: dict[str, Any] = copy.deepcopy(base)
        doc.update(id=f"edge-{name}", occurred_on=when)
        cases.append(doc)
    for name, typ in TYPES.items():
        doc = copy.deepcopy(base)
        doc.update(id=f"edge-{name}")
        doc["aircraft"] = [{"role": "tanker", "type": typ}]
        cases.append(doc)
    validated = []
    for doc in cases:
        case, issues = validate_case(doc)
        assert case is not None, issues
        validated.append(case)
    with write_session(engine) as session:
        insert_cases(session, validated)
    return engine


def edge_ids(engine: Engine, **filters: str) -> set[str]:
    with session_scope(engine) as session:
        rows = list_mishaps(session=session, filters=Filters(**filters))
    return {r.id for r in rows if r.id.startswith("edge-")}


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        ("2019-12-31", {"y2019", "m2019-12", "d2019-12-31"}),
        ("2019-01-01", {"y2019", "m2019-12", "d2019-12-31"}),
        ("2018-06-02", {"y2019", "m2019-12", "d2019-12-31"}),
        ("2018", {"y2019", "m2019-12", "d2019-12-31", "d2018-06-01"}),
        ("2016-12-31", {"y2019", "m2019-12", "d2019-12-31", "d2018-06-01", "y2016"}),
    ],
)
def test_since_keeps_partial_dates_that_reach_it(
    edge_engine: Engine, since: str, expected: set[str]
) -> None:
    dated = {f"edge-{n}" for n in DATES}
    assert edge_ids(edge_engine, since=since) & dated == {f"edge-{n}" for n in expected}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("A330", {"t-a330-mrtt", "t-a330", "t-a330-spaces"}),
        ("a330 mrtt", {"t-a330-mrtt", "t-a330-spaces"}),
        ("A330 MRTT TANKER", {"t-a330-spaces"}),
        ("A3300", {"t-a3300"}),
    ],
)
def test_non_mds_types_match_by_leading_words(
    edge_engine: Engine, query: str, expected: set[str]
) -> None:
    typed = {f"edge-{n}" for n in TYPES}
    assert edge_ids(edge_engine, aircraft=query) & typed == {f"edge-{n}" for n in expected}


def test_service_matches_in_any_case(edge_engine: Engine) -> None:
    assert (
        edge_ids(edge_engine, service="usaf / usn")
        == edge_ids(edge_engine, service="USAF / USN")
        != set()
    )


def test_listing_keeps_aircraft_types_in_order_without_repeats(engine: Engine) -> None:
    base = seed_cases()[0]
    base.pop("cites", None)  # the template's citations name its own aircraft, replaced below
    doc: dict[str, Any] = copy.deepcopy(base)
    doc.update(id="edge-order")
    doc["aircraft"] = [
        {"role": "receiver", "type": t} for t in ("F-16C", "KC-135R", "F-16C", "A-10C")
    ]
    doc["aircraft"][1]["role"] = "tanker"
    case, issues = validate_case(doc)
    assert case is not None, issues
    with write_session(engine) as session:
        insert_cases(session, [case])
    with session_scope(engine) as session:
        (row,) = list_mishaps(session=session, filters=Filters(aircraft="A-10C"))
    assert row.aircraft == "F-16C, KC-135R, A-10C"


def test_with_aircraft_beside_an_aircraft_filter(engine: Engine) -> None:
    from mishaps.queries import with_aircraft

    with session_scope(engine) as session:
        both = with_aircraft(session=session, filters=Filters(aircraft="KC-135"), aircraft="A330")
        kc135 = {r.id for r in list_mishaps(session=session, filters=Filters(aircraft="KC-135"))}
        a330 = {r.id for r in list_mishaps(session=session, filters=Filters(aircraft="A330"))}
    assert {r[0] for r in both} == kc135 & a330


def test_listing_class_label_is_text_class_label(engine: Engine) -> None:
    """The statement makes the label people read; it must say what text.class_label says."""
    from mishaps.text import class_label

    with session_scope(engine) as session:
        rows = list_mishaps(session=session, filters=Filters())
    assert [r.class_label for r in rows] == [
        class_label(r.mishap_class, r.derived_class) for r in rows
    ]
    kinds = {
        "stated" if r.mishap_class else "derived" if r.derived_class else "unknown" for r in rows
    }
    assert kinds == {"stated", "derived", "unknown"}  # every branch was compared
    assert all(
        r.as_dict()["class"] == r.class_label and "class_label" not in r.as_dict() for r in rows
    )
