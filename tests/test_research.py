"""Research tools (issue 13): designator-aware search, the --aircraft hint, per-aircraft and
pair statistics. Expectations are computed from the seed files, never typed in."""

from __future__ import annotations

import json
import re

import pytest

from mishaps import mds
from tests.conftest import seed_cases


def _text(case: dict) -> str:
    findings = " ".join(f["text"] for f in case.get("findings") or [])
    return " ".join([case["title"], case["summary"], findings])


def _ids(runner, *args: str) -> set[str]:
    result = runner("list", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return {r["id"] for r in json.loads(result.stdout)}


def _expected(family: str, text_pattern: str) -> set[str]:
    """Cases with an aircraft of the family, or whose text names it (checked by a regex
    written here, independent of the indexing code)."""
    return {
        c["id"]
        for c in seed_cases()
        if any(mds.family(a["type"]) == family for a in c["aircraft"])
        or re.search(text_pattern, _text(c), re.IGNORECASE)
    }


@pytest.mark.parametrize("query", ["KC-46", "KC46", "kc-46"])
def test_search_for_a_family_finds_every_series(runner, seeded_db, query) -> None:
    expected = _expected("KC-46", r"(?<![\w/])KC-?46")
    assert len(expected) >= 5
    assert _ids(runner, "--search", query) == expected


@pytest.mark.parametrize("query", ["F/A-18", "FA-18", "F-18"])
def test_search_finds_hornets_however_written(runner, seeded_db, query) -> None:
    expected = _expected("F/A-18", r"(?<![\w/])(?:F/A|FA|F|CF|EF)-?18")
    assert len(expected) >= 6
    assert _ids(runner, "--search", query) == expected


def test_search_with_a_series_letter_keeps_to_it(runner, seeded_db) -> None:
    expected = {
        c["id"]
        for c in seed_cases()
        if any(a["type"] == "F-15E" for a in c["aircraft"]) or "F-15E" in _text(c)
    }
    assert expected and _ids(runner, "--search", "F-15E") == expected
    assert _ids(runner, "--search", "boom KC-46") <= _ids(runner, "--search", "KC-46")


@pytest.mark.parametrize(
    ("query", "suggestion"), [("FA-18", "F/A-18"), ("KC46", "KC-46"), ("KC-46B", "KC-46")]
)
def test_unknown_aircraft_type_says_what_it_looked_for(runner, seeded_db, query, suggestion):
    result = runner("list", "--aircraft", query)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert f"no aircraft type {query} in the database; did you mean " in result.stderr
    assert suggestion in result.stderr.split("did you mean", 1)[1]
    as_json = runner("list", "--aircraft", query, "--format", "json")
    assert json.loads(as_json.stdout) == [] and suggestion in as_json.stderr


def test_no_hint_when_the_type_exists_but_other_filters_exclude_it(runner, seeded_db) -> None:
    result = runner("list", "--aircraft", "KC-46", "--until", "1900")
    assert result.stderr == "No cases match.\n"


def _stats(runner, *args: str) -> dict:
    result = runner("stats", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _aboard(case: dict, a: dict) -> int | None:
    if a.get("fatalities") is not None:
        return a["fatalities"]
    return 0 if case.get("fatalities") == 0 else None


@pytest.mark.parametrize("by", ["aircraft", "role", "family"])
def test_per_aircraft_stats_count_what_happened_aboard(runner, seeded_db, by) -> None:
    key = {
        "aircraft": lambda a: a["type"],
        "role": lambda a: a["role"],
        "family": lambda a: mds.family(a["type"]),
    }[by]
    expected: dict[str, dict] = {}
    for c in seed_cases():
        for a in c["aircraft"]:
            row = expected.setdefault(
                key(a),
                {"mishaps": set(), "aircraft": 0, "fatalities": 0, "unknown": 0, "destroyed": 0},
            )
            row["mishaps"].add(c["id"])
            row["aircraft"] += 1
            aboard = _aboard(c, a)
            row["fatalities"] += aboard or 0
            row["unknown"] += aboard is None
            row["destroyed"] += a.get("damage") == "destroyed"
    data = _stats(runner, "--by", by)
    assert data["counts"] == "aircraft"
    got = {r["key"]: r for r in data["rows"]}
    assert set(got) == set(expected)
    for k, e in expected.items():
        r = got[k]
        assert (r["mishaps"], r["aircraft"], r["fatalities"]) == (
            len(e["mishaps"]),
            e["aircraft"],
            e["fatalities"],
        ), k
        assert (r["fatalities_unknown"], r["destroyed"]) == (e["unknown"], e["destroyed"]), k
    total = data["total"]
    assert total["mishaps"] == len(seed_cases())
    assert total["aircraft"] == sum(len(c["aircraft"]) for c in seed_cases())
    assert total["fatalities"] == sum(e["fatalities"] for e in expected.values())
    table = runner("stats", "--by", by).stdout
    assert "killed aboard (known)" in table
    total_line = table.splitlines()[-1].split()
    assert total_line[:3] == ["total", str(total["mishaps"]), str(total["aircraft"])]


def test_muroto_hornet_is_not_charged_the_tankers_dead(runner, seeded_db) -> None:
    """The issue's example: deaths aboard the KC-130J are not the F/A-18D's."""
    case = next(c for c in seed_cases() if c["id"].startswith("2018-12-06"))
    hornet = next(a for a in case["aircraft"] if a["role"] == "receiver")
    rows = _stats(runner, "--by", "aircraft", "--since", "2018-12-06", "--until", "2018-12-06")
    got = {r["key"]: r for r in rows["rows"]}
    assert got[hornet["type"]]["fatalities"] == hornet["fatalities"] < case["fatalities"]


def test_family_groups_series_together(runner, seeded_db) -> None:
    keys = {r["key"] for r in _stats(runner, "--by", "family")["rows"]}
    assert "KC-135" in keys and "KC-135R" not in keys and "KC-135A" not in keys
    assert "F-22" in keys and "F-22A" not in keys


def _pairs(case: dict) -> set[str]:
    fam = {
        role: sorted({mds.family(a["type"]) for a in case["aircraft"] if a["role"] == role})
        for role in ("tanker", "receiver")
    }
    if not fam["tanker"] and not fam["receiver"]:
        return {"no tanker or receiver recorded"}
    return {
        f"{t} -> {r}"
        for t in fam["tanker"] or ["receiver only"]
        for r in fam["receiver"] or ["tanker only"]
    }


def test_pairs_count_each_mishap_under_its_pairs(runner, seeded_db) -> None:
    expected: dict[str, list[dict]] = {}
    for c in seed_cases():
        for p in _pairs(c):
            expected.setdefault(p, []).append(c)
    data = _stats(runner, "--by", "pair")
    got = {r["key"]: r for r in data["rows"]}
    assert set(got) == set(expected)
    for key, cases in expected.items():
        assert got[key]["mishaps"] == len(cases), key
        assert got[key]["fatalities"] == sum(c.get("fatalities") or 0 for c in cases), key
    assert got["KC-46 -> F-15"]["mishaps"] == len(expected["KC-46 -> F-15"]) >= 2
    assert data["total"]["mishaps"] == len(seed_cases())
    assert "KC-46 -> F-15" in runner("stats", "--by", "pair").stdout


def test_pairs_by_phase_split_each_pair(runner, seeded_db) -> None:
    rows = _stats(runner, "--by", "pair,phase")["rows"]
    expected: dict[tuple[str, str], int] = {}
    for c in seed_cases():
        phase = (c.get("refueling") or {}).get("phase") or "unknown"
        for p in _pairs(c):
            expected[(p, phase)] = expected.get((p, phase), 0) + 1
    assert {(r["key"], r["phase"]): r["mishaps"] for r in rows} == expected
    csv_out = runner("stats", "--by", "pair,phase", "--format", "csv").stdout
    assert csv_out.splitlines()[0].startswith("key,phase,mishaps")
