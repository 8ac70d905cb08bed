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


def test_stats_too_say_what_aircraft_they_looked_for(runner, seeded_db) -> None:
    result = runner("stats", "--aircraft", "FA-18", "--by", "year")
    assert result.exit_code == 0
    assert "no aircraft type FA-18 in the database; did you mean F/A-18?" in result.stderr


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


def test_per_aircraft_stats_with_role_count_only_those_aircraft(runner, seeded_db) -> None:
    receivers: dict[str, int] = {}
    for c in seed_cases():
        for a in c["aircraft"]:
            if a["role"] == "receiver":
                receivers[a["type"]] = receivers.get(a["type"], 0) + 1
    data = _stats(runner, "--by", "aircraft", "--role", "receiver")
    assert {r["key"]: r["aircraft"] for r in data["rows"]} == receivers
    assert data["total"]["aircraft"] == sum(receivers.values())


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


@pytest.mark.parametrize("since", [None, "2000"])
def test_pairs_count_killed_per_mishap_and_destroyed_per_pair(runner, seeded_db, since) -> None:
    """Killed are each mishap's own total, once per pair (never per aircraft); unknown totals
    apart; destroyed are the pair's own aircraft. With a filter, only the matching mishaps."""
    cases = [c for c in seed_cases() if since is None or str(c["occurred_on"])[:4] >= since]
    expected: dict[str, list[int]] = {}
    for c in cases:
        for p in _pairs(c):
            t, _, r = p.partition(" -> ")
            lost = sum(
                1
                for a in c["aircraft"]
                if a.get("damage") == "destroyed"
                and (a["role"], mds.family(a["type"])) in (("tanker", t), ("receiver", r))
            )
            g = expected.setdefault(p, [0, 0, 0, 0])
            killed = c.get("fatalities")
            g[0] += 1
            g[1] += killed or 0
            g[2] += killed is None
            g[3] += lost
    data = _stats(runner, "--by", "pair", *(["--since", since] if since else []))
    got = {
        r["key"]: [r["mishaps"], r["fatalities"], r["fatalities_unknown"], r["destroyed"]]
        for r in data["rows"]
    }
    assert got == expected
    assert data["total"]["fatalities"] == sum(c.get("fatalities") or 0 for c in cases)


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


# --- similar ------------------------------------------------------------------------------


def test_similar_ranks_the_other_nozzle_binding_mishaps_first(runner, seeded_db) -> None:
    result = runner("similar", "2024-08-21-kc-46a-f-15e-california", "--format", "json")
    assert result.exit_code == 0, result.stderr
    ranked = json.loads(result.stdout)
    assert {r["id"] for r in ranked[:2]} == {
        "2022-10-15-kc-46a-f-15e-north-atlantic",
        "2022-11-07-kc-46a-f-22a-nozzle",
    }
    assert "2024-08-21-kc-46a-f-15e-california" not in {r["id"] for r in ranked}
    for r in ranked[:2]:
        assert "same tanker family: KC-46" in r["reasons"]
        assert any(reason.startswith("shared words") for reason in r["reasons"])
    scores = [r["score"] for r in ranked]
    assert scores == sorted(scores, reverse=True)


def test_similar_is_symmetric_in_its_reasons_and_general(runner, seeded_db) -> None:
    """Any case's best match shares something it can name; no seed id is special."""
    for case in seed_cases():
        ranked = json.loads(runner("similar", case["id"], "--limit", "1", "-f", "json").stdout)
        assert len(ranked) <= 1
        if ranked:
            assert ranked[0]["reasons"] and ranked[0]["id"] != case["id"]


def test_similar_text_finds_precedents_for_a_paragraph(runner, seeded_db) -> None:
    paragraph = (
        "During contact with an F-15E the KC-46A boom nozzle bound in the receptacle and would"
        " not disconnect. When it released, the boom struck the receiver and was damaged."
    )
    result = runner("similar", "--text", paragraph, "--limit", "5", "--format", "json")
    assert result.exit_code == 0, result.stderr
    ids = [r["id"] for r in json.loads(result.stdout)]
    kc46 = {c["id"] for c in seed_cases() if any("KC-46" in a["type"] for a in c["aircraft"])}
    assert ids and ids[0] in kc46
    assert len(ids) == 5


def test_similar_needs_exactly_one_of_id_and_text(runner, seeded_db) -> None:
    both = runner("similar", "x", "--text", "boom")
    assert both.exit_code == 2 and "give a case ID or --text" in both.stderr
    missing = runner("similar", "no-such-case")
    assert missing.exit_code == 1
    assert missing.stderr.startswith("Error: no mishap with id 'no-such-case'")


# --- airframes, series, recommendations ----------------------------------------------------


@pytest.mark.parametrize("written", ["63-8877", "638877", "63-08877"])
def test_airframe_usaf_serials_match_however_written(runner, seeded_db, written) -> None:
    expected = [
        (c["id"], a["role"], a.get("damage"))
        for c in sorted(seed_cases(), key=lambda c: str(c["occurred_on"]))
        for a in c["aircraft"]
        if a.get("serial") == "63-8877"
    ]
    assert expected
    rows = json.loads(runner("airframe", written, "--format", "json").stdout)
    assert [(r["id"], r["role"], r["damage"]) for r in rows] == expected


def test_airframe_other_serials_match_as_given(runner, seeded_db) -> None:
    serial = next(
        a["serial"]
        for c in seed_cases()
        for a in c["aircraft"]
        if a.get("serial") and not re.match(r"^\d{2}-\d+$", a["serial"])
    )
    rows = json.loads(runner("airframe", serial.lower(), "--format", "json").stdout)
    assert rows and all(r["serial"] == serial for r in rows)
    assert json.loads(runner("airframe", serial + "9", "--format", "json").stdout) == []


def _case_with(tmp_path, **changes) -> str:
    import yaml

    from tests.conftest import SEED_FILES

    doc = yaml.safe_load(SEED_FILES[-1].read_text(encoding="utf-8"))
    doc.update(changes)
    doc.pop("cites", None)
    for f in doc.get("findings") or []:
        f.pop("cites", None)
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return str(path)


def test_recommendations_list_with_their_case_and_status(runner, seeded_db, tmp_path) -> None:
    findings = [
        {"kind": "recommendation", "text": "Train boom operators.", "status": "open"},
        {"kind": "recommendation", "text": "Change the nozzle.", "status": "implemented"},
        {"kind": "cause", "text": "The nozzle bound."},
    ]
    path = _case_with(tmp_path, id="zz-recommendations", findings=findings)
    assert runner("import", path).exit_code == 0
    rows = json.loads(runner("recommendations", "--format", "json").stdout)
    mine = [r for r in rows if r["id"] == "zz-recommendations"]
    assert [(r["text"], r["status"]) for r in mine] == [
        ("Train boom operators.", "open"),
        ("Change the nozzle.", "implemented"),
    ]
    open_only = runner("recommendations", "--recommendation-status", "open", "-f", "json")
    assert all(r["status"] == "open" for r in json.loads(open_only.stdout))
    assert "Train boom operators." in open_only.stdout
    assert "Change the nozzle." not in open_only.stdout


def test_series_lists_filters_and_prints_a_timeline(runner, seeded_db, tmp_path) -> None:
    path = _case_with(tmp_path, id="zz-series", series=["zz-test-series"])
    assert runner("import", path).exit_code == 0
    listed = json.loads(runner("series", "--format", "json").stdout)
    assert {"id": "zz-test-series", "title": None, "cases": 1} in listed
    members = {
        c["id"] for c in seed_cases() for s in c.get("series") or [] if s == "zz-test-series"
    } | {"zz-series"}
    assert _ids(runner, "--series", "zz-test-series") == members
    doc = json.loads(runner("series", "zz-test-series", "--format", "json").stdout)
    assert doc["id"] == "zz-test-series"
    timeline = doc["cases"]
    assert [t["id"] for t in timeline] == ["zz-series"]
    assert timeline[0]["status"] and "cause" in timeline[0]
    missing = runner("series", "no-such-series")
    assert missing.exit_code == 1 and "no series 'no-such-series'" in missing.stderr


def test_seed_series_members_are_in_the_database(runner, seeded_db) -> None:
    named = {s for c in seed_cases() for s in c.get("series") or []}
    listed = {s["id"]: s["cases"] for s in json.loads(runner("series", "-f", "json").stdout)}
    for sid in named:
        members = {c["id"] for c in seed_cases() if sid in (c.get("series") or [])}
        assert listed[sid] == len(members)
        assert _ids(runner, "--series", sid) == members
        doc = json.loads(runner("series", sid, "--format", "json").stdout)
        assert [c["id"] for c in doc["cases"]] == sorted(
            members, key=lambda m: next(str(c["occurred_on"]) for c in seed_cases() if c["id"] == m)
        )
        assert doc["title"] and doc["sources"]


def test_library_methods_answer_as_the_commands_do(runner, seeded_db) -> None:
    import mishaps

    with mishaps.open(str(seeded_db)) as db:
        best = db.similar("2024-08-21-kc-46a-f-15e-california", limit=2)
        cli = json.loads(
            runner(
                "similar", "2024-08-21-kc-46a-f-15e-california", "--limit", "2", "-f", "json"
            ).stdout
        )
        assert [m.as_dict() for m in best] == cli
        assert [r.id for r in db.airframe("638877")] == [
            r["id"] for r in json.loads(runner("airframe", "63-8877", "-f", "json").stdout)
        ]
        assert db.aircraft_hint("KC-46") is None
        assert "did you mean F/A-18?" in (db.aircraft_hint("FA-18") or "")
        assert db.stats(by="pair").total.mishaps == len(seed_cases())
