"""Filters at their edges: the index-friendly forms must select exactly what the plain ones did."""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, func, select

from mishaps.db import session_scope, write_session
from mishaps.filters import Filters
from mishaps.models import Mishap, MishapService
from mishaps.nations import service_parts
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


# --- --service through the service parts (mishap_service) --------------------------------------


def service_ids(engine: Engine, service: str) -> set[str]:
    with session_scope(engine) as session:
        return {r.id for r in list_mishaps(session=session, filters=Filters(service=service))}


def seed_ids_naming(*services: str) -> set[str]:
    """The seed cases whose service field names every one of ``services``, read from the files."""
    wanted = {s.casefold() for s in services}
    return {
        c["id"]
        for c in seed_cases()
        if wanted <= {p.casefold() for p in service_parts(c["service"])}
    }


@pytest.mark.slow  # whole summaries or every service: `make test-slow`, in CI
def test_every_seed_service_finds_the_cases_that_name_it(engine: Engine) -> None:
    parts = {p for c in seed_cases() for p in service_parts(c["service"])}
    joint = [c for c in seed_cases() if len(service_parts(c["service"])) > 1]
    assert joint, "the seed data has joint cases (USAF/USN, RAF/USAF, ...)"
    for part in parts:
        assert service_ids(engine, part) == seed_ids_naming(part), part
        assert service_ids(engine, part.lower()) == seed_ids_naming(part), part
    for case in joint:
        for part in service_parts(case["service"]):
            assert case["id"] in service_ids(engine, part), (case["id"], part)


def test_service_query_names_every_service_a_case_must_have(engine: Engine) -> None:
    both = seed_ids_naming("USAF", "USN")
    assert both and both < seed_ids_naming("USN")  # the seed data has USN-only cases too
    assert service_ids(engine, "USAF/USN") == service_ids(engine, "usn / usaf") == both
    # A trailing parenthesis is a detail: "USAF (1st Wing)" is USAF, as the cases write it.
    assert service_ids(engine, "usaf (1st wing)") == seed_ids_naming("USAF")
    assert service_ids(engine, "USN/Luftwaffe") == set()


def test_a_replaced_or_deleted_case_is_found_by_its_services_as_they_now_are(
    seeded_db: Any, tmp_path: Path
) -> None:
    import mishaps

    doc = next(c for c in seed_cases() if c["service"] == "USAF")
    with mishaps.open(seeded_db) as db:
        assert doc["id"] not in {r.id for r in db.rows(service="usn")}
        edited = tmp_path / "edited.yaml"
        edited.write_text(yaml.safe_dump({**doc, "service": "USAF/USN"}), encoding="utf-8")
        db.import_files([edited], on_conflict="replace")
        assert doc["id"] in {r.id for r in db.rows(service="usn")}
        assert doc["id"] in {r.id for r in db.rows(service="USAF")}
        db.delete(doc["id"])
        with db.session() as session:
            orphans = session.execute(
                select(func.count())
                .select_from(MishapService)
                .where(MishapService.mishap_pk.not_in(select(Mishap.pk)))
            ).scalar_one()
        assert orphans == 0
        assert doc["id"] not in {r.id for r in db.rows(service="usaf")}


def test_stats_by_service_counts_a_joint_case_under_each_service(seeded_db: Any) -> None:
    import mishaps

    expected: Counter[str] = Counter()
    for c in seed_cases():
        expected.update({p.casefold() for p in service_parts(c["service"])})
    with mishaps.open(seeded_db) as db:
        stats = db.stats(by="service")
    assert {r.key.casefold(): r.mishaps for r in stats.rows} == dict(expected)
    assert stats.total.mishaps == len(seed_cases()) < sum(expected.values())
    assert stats.note is not None and "counts once under each" in stats.note
    # The key is the service as the cases spell it, not its case-folded key.
    assert "USAF" in {r.key for r in stats.rows}


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
