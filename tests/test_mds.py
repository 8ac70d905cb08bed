"""Mission Design Series parsing, and matching through the real query path."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mishaps import mds

TYPES = [
    "KC-135A",
    "KC-135E",
    "KC-135R",
    "KC-135T",
    "KC-135RT",
    "NKC-135A",
    "EC-135C",
    "C-135B",
    "RC-135V",
    "F-15E",
    "F-15C",
    "F-15EX",
    "F/A-18D",
    "F/A-18F",
    "KC-46A",
    "A330 MRTT",
    "Victor K1A",
    "X-15A",
    "YF-22",
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("KC-135R", mds.Mds(None, "KC", "135", "R")),
        ("NKC-135A", mds.Mds("N", "KC", "135", "A")),
        ("kc-135r", mds.Mds(None, "KC", "135", "R")),
        ("F/A-18D", mds.Mds(None, "F/A", "18", "D")),
        ("X-15A", mds.Mds(None, "X", "15", "A")),
        ("YF-22", mds.Mds("Y", "F", "22", None)),
        ("C-135B", mds.Mds(None, "C", "135", "B")),
        ("A330 MRTT", None),
        ("Victor K1A", None),
    ],
)
def test_parse(text, expected) -> None:
    assert mds.parse(text) == expected


@pytest.fixture
def typed_db(runner, fresh_db, tmp_path):
    cases = [
        {
            "id": f"case-{i}",
            "title": t,
            "occurred_on": "2000-01-01",
            "status": "final",
            "service": "USAF",
            "location": {"description": "somewhere"},
            "summary": "s",
            "aircraft": [{"role": "tanker", "type": t}],
            "sources": [{"title": "t", "url": "https://example.org/", "kind": "other"}],
        }
        for i, t in enumerate(TYPES)
    ]
    f = tmp_path / "types.json"
    f.write_text(json.dumps({"mishaps": cases}))
    assert runner("init", "--empty").exit_code == 0
    assert runner("import", f).exit_code == 0
    return runner


def matched(runner, query: str) -> set[str]:
    rows = json.loads(runner("list", "--aircraft", query, "--format", "json").stdout)
    return {r["title"] for r in rows}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("KC-135", {"KC-135A", "KC-135E", "KC-135R", "KC-135T", "KC-135RT", "NKC-135A"}),
        ("KC-135R", {"KC-135R"}),
        ("kc-135r", {"KC-135R"}),
        ("NKC-135", {"NKC-135A"}),
        ("C-135", {"C-135B"}),
        ("EC-135", {"EC-135C"}),
        ("F-15", {"F-15E", "F-15C", "F-15EX"}),
        ("F-15E", {"F-15E"}),
        ("F/A-18", {"F/A-18D", "F/A-18F"}),
        ("F-18", {"F/A-18D", "F/A-18F"}),  # an alias of the family (data/aircraft_families.yaml)
        ("KC-30A", {"A330 MRTT"}),
        ("Voyager KC2", {"A330 MRTT"}),
        ("A330", {"A330 MRTT"}),
        ("a330 mrtt", {"A330 MRTT"}),
        ("A33", set()),
        ("Victor", {"Victor K1A"}),
        ("F-22", {"YF-22"}),
    ],
)
def test_aircraft_filter_matching(typed_db, query, expected) -> None:
    assert matched(typed_db, query) == expected


def test_the_alias_table_is_the_families_of_the_yaml() -> None:
    """`--aircraft` reads the aliases from a JSON copy (no PyYAML at start-up, issue 16)."""
    from mishaps.config import data_dir

    copy = json.loads((data_dir() / mds.ALIAS_TABLE).read_text(encoding="utf-8"))
    assert copy == mds.alias_table(), (
        "data/aircraft_families.yaml changed: write the JSON again with"
        ' python -c "from mishaps import mds; mds.write_alias_table()"'
    )
    assert list(copy) == list(mds.alias_table())  # and in the same order


def test_a_listing_by_aircraft_reads_no_yaml() -> None:
    import subprocess
    import sys

    probe = (
        "import sys; from mishaps import mds; mds.family_names('KC-30A');"
        " print('yaml' in sys.modules, mds.family_names('KC-30A'))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "['A330", "MRTT']"]


# The designator scan takes the mission's letters possessively (a speed-up, issue 16): it must
# find exactly what the same pattern finds with backtracking, in any text.
_BACKTRACKING = re.compile(mds.LOOSE_PATTERN.replace("}+", "}").replace(")?+", ")?"))


@settings(max_examples=400)
@given(st.text(alphabet="AKCFRTbcdx/-*0123456789 .\n", max_size=40))
def test_designator_scan_finds_what_backtracking_finds(text: str) -> None:
    assert "+" not in _BACKTRACKING.pattern.replace("\\d", "")
    assert mds._LOOSE.findall(text) == _BACKTRACKING.findall(text)


@pytest.mark.parametrize(
    "text",
    ["KC-46A and kc46 met an F/A-18F; FA-18 and F-16000 and ABCDE-1", "KC-135R/KC-46", "x-1*"],
)
def test_designator_scan_on_prose(text: str) -> None:
    assert mds._LOOSE.findall(text) == _BACKTRACKING.findall(text)


def test_designator_scan_reads_each_spelling() -> None:
    found = mds._LOOSE.findall("KC-46A and kc46 met an F/A-18F; FA-18, F-16000 and ABCDE-1")
    assert found == [("KC", "46", "A"), ("kc", "46", ""), ("F/A", "18", "F"), ("FA", "18", "")]
