"""Querying by what went wrong, who flew and which airframe: --mechanism, stats --by
mechanism|nation|family, taxonomy refueling, the family aliases, and cites in `show`.

Expected values are computed from the cases in the database (read back with `export`), never
typed: the seed data grows while these tests stay true.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from mishaps import mds
from mishaps.nations import NO_NATION, UNKNOWN, nation_keys, nations_of, service_parts
from mishaps.schema import mechanism_codes
from mishaps.taxonomy import load_document
from tests.test_citations import FULL

BASE = yaml.safe_load(FULL.replace("2021-01-02", "'2021-01-02'"))  # dates stay text


def extra_cases() -> list[dict[str, Any]]:
    """Cases that exercise the new queries: several mechanisms, one outside refuelling, none
    coded, joint and unknown services, and the names of one airframe family."""
    out = []

    def case(n: str, **fields: Any) -> None:
        doc = copy.deepcopy(BASE)
        doc["id"] = f"mech-{n}"
        doc.update(fields)
        out.append(doc)

    refueling = BASE["refueling"]
    case("two", refueling={**refueling, "mechanism": ["boom-binding", "boom-strike"]})
    case("collision", refueling={"method": "probe-and-drogue", "phase": "post-refueling",
                                 "mechanism": ["collision"]})  # fmt: skip
    outside = {k: v for k, v in BASE["cites"].items() if not k.startswith("refueling.")}
    case("outside", refueling={"method": "none", "phase": "not-refueling"}, cites=outside)
    case("uncoded", refueling={"method": "boom"}, cites=outside)
    case("joint", service="RAF / USAF (Air National Guard)")
    case("unmapped", service="Ruritanian Air Arm")
    for i, name in enumerate(["KC-30A", "Voyager KC2", "A330 MRTT", "CF-18A", "EF-18M"]):
        aircraft = copy.deepcopy(BASE["aircraft"])
        aircraft[1]["type"] = name
        case(f"type-{i}", aircraft=aircraft)
    return out


@pytest.fixture
def db_with_extras(runner, seeded_db, tmp_path: Path) -> list[dict[str, Any]]:
    """The seed cases plus extra_cases(); returns every case as exported."""
    path = tmp_path / "extras.json"
    path.write_text(json.dumps({"mishaps": extra_cases()}, default=str), encoding="utf-8")
    result = runner("import", path)
    assert result.exit_code == 0, result.stderr
    return json.loads(runner("export", "--format", "json").stdout)["mishaps"]


def ids(runner, *args: str) -> set[str]:
    result = runner("list", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return {r["id"] for r in json.loads(result.stdout)}


def test_mechanism_filter_returns_exactly_the_cases_coded_with_it(runner, db_with_extras) -> None:
    for code in mechanism_codes():
        expected = {c["id"] for c in db_with_extras if code in c["refueling"]["mechanism"]}
        assert ids(runner, "--mechanism", code) == expected, code
    assert {"mech-two"} <= ids(runner, "--mechanism", "boom-strike")
    assert "mech-collision" in ids(runner, "--mechanism", "collision")


def test_every_command_with_filters_takes_mechanism(runner, db_with_extras, tmp_path) -> None:
    expected = {c["id"] for c in db_with_extras if "collision" in c["refueling"]["mechanism"]}
    exported = runner("export", "--mechanism", "collision", "--format", "json").stdout
    assert {c["id"] for c in json.loads(exported)["mishaps"]} == expected
    stats = json.loads(runner("stats", "--mechanism", "collision", "--format", "json").stdout)
    assert stats["total"]["mishaps"] == len(expected)
    assert runner("rates", "--help").stdout.count("--mechanism") == 1
    assert runner("report", "summary", "--help").stdout.count("--mechanism") == 1


def test_an_unknown_mechanism_is_a_usage_error_with_a_suggestion(runner, seeded_db) -> None:
    result = runner("list", "--mechanism", "colision")
    assert result.exit_code == 2
    assert "'colision' is not an air refueling mechanism; did you mean collision?" in result.stderr


def test_stats_by_mechanism_counts_each_code_and_the_total_once(runner, db_with_extras) -> None:
    data = json.loads(runner("stats", "--by", "mechanism", "--format", "json").stdout)
    rows = {r["key"]: r["mishaps"] for r in data["rows"]}
    expected: Counter[str] = Counter()
    for c in db_with_extras:
        codes = c["refueling"].get("mechanism") or []
        if codes:
            expected.update(codes)
        elif c["refueling"].get("phase") == "not-refueling":
            expected["not refueling"] += 1
        else:
            expected["unknown"] += 1
    assert rows == dict(expected)
    assert data["total"]["mishaps"] == len(db_with_extras)
    several = sum(1 for c in db_with_extras if len(c["refueling"].get("mechanism") or []) > 1)
    assert several >= 1
    assert sum(rows.values()) > data["total"]["mishaps"]  # a case with two counts under each


def test_stats_by_nation_counts_a_joint_case_under_each_nation(runner, db_with_extras) -> None:
    data = json.loads(runner("stats", "--by", "nation", "--format", "json").stdout)
    rows = {r["key"]: r["mishaps"] for r in data["rows"]}
    expected: Counter[str] = Counter()
    for c in db_with_extras:
        expected.update(nation_keys(c["service"]))
    assert rows == dict(expected)
    assert data["total"]["mishaps"] == len(db_with_extras)
    assert rows[UNKNOWN] >= 1  # the Ruritanian case
    assert nation_keys("RAF / USAF (Air National Guard)") == ["GB", "US"]
    names = {r["key"]: r["name"] for r in data["rows"]}
    assert names["US"] == "United States" and names["GB"] == "United Kingdom"
    assert names[UNKNOWN] == UNKNOWN
    table = runner("stats", "--by", "nation").stdout
    assert re.search(r"^GB +United Kingdom +\d", table, re.M), table


def test_coded_groupings_name_their_keys_and_others_do_not(runner, seeded_db) -> None:
    from mishaps.taxonomy import cictt_name, mechanism_name

    def rows(by: str) -> list[dict]:
        return json.loads(runner("stats", "--by", by, "--format", "json").stdout)["rows"]

    for row in rows("category"):
        assert row["name"] == (cictt_name(row["key"]) or row["key"])
    for row in rows("mechanism"):
        assert row["name"] == (mechanism_name(row["key"]) or row["key"])
    assert any(r["name"] != r["key"] for r in rows("mechanism"))
    assert all("name" not in r for r in rows("year") + rows("family"))


def test_nations_are_read_from_the_service_field() -> None:
    assert service_parts("USAF (New Hampshire Air National Guard)") == ["USAF"]
    assert service_parts("Airbus Military/Portuguese Air Force") == [
        "Airbus Military",
        "Portuguese Air Force",
    ]
    assert nation_keys("usaf / usn") == ["US"]  # any case; one nation counted once
    assert nation_keys("Airbus Military") == [NO_NATION]
    assert nation_keys("Airbus Military / Portuguese Air Force") == ["PT"]
    assert nation_keys("USN/Ruritanian Air Arm") == ["US", UNKNOWN]
    assert nations_of("Ruritanian Air Arm").unmapped == ("Ruritanian Air Arm",)


def test_the_named_services_all_have_a_nation() -> None:
    for service, nation in [
        ("USAF", "US"), ("USN", "US"), ("USMC", "US"), ("US Army", "US"), ("RAF", "GB"),
        ("Royal Navy", "GB"), ("RAAF", "AU"), ("French Air and Space Force", "FR"),
        ("French Air Force", "FR"), ("French Navy", "FR"), ("JASDF", "JP"),
        ("Israeli Air Force", "IL"), ("Portuguese Air Force", "PT"), ("Finnish Air Force", "FI"),
        ("Spanish Air and Space Force", "ES"), ("Indian Air Force", "IN"),
        ("Royal Canadian Air Force", "CA"), ("Italian Air Force", "IT"),
        ("German Air Force", "DE"), ("Luftwaffe", "DE"), ("Royal Netherlands Air Force", "NL"),
    ]:  # fmt: skip
        assert nation_keys(service) == [nation], service


def test_every_nation_entry_is_an_iso_code_with_a_source() -> None:
    doc = load_document("nations.yaml")
    assert doc["provenance"] and doc["sources"]
    for entry in doc["services"]:
        assert entry["nation"] is None or (
            len(entry["nation"]) == 2 and entry["nation"].isupper()
        ), entry
        assert entry.get("source") or entry.get("note"), entry
        if entry["nation"] is None:
            assert entry.get("note"), entry  # why it is no nation's service
        else:
            assert doc["names"].get(entry["nation"]), entry  # the words people read for it


def test_validate_warns_about_a_service_without_a_nation(runner, tmp_path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(FULL.replace("service: USAF", "service: USAF/Ruritanian Air Arm"))
    result = runner("validate", path)
    assert result.exit_code == 0
    assert result.stderr == (
        f"Warning: {path}: 2030-01-02-test-case: service: 'Ruritanian Air Arm' is not in"
        " mishaps/data/nations.yaml; stats --by nation counts it as unknown\n"
    )


def test_the_seed_services_all_have_a_nation(runner) -> None:
    from tests.conftest import SEED_FILES

    result = runner("validate", *SEED_FILES)
    assert "nations.yaml" not in result.stderr


@pytest.mark.parametrize(
    ("type_", "family"),
    [
        ("KC-135R", "KC-135"),
        ("NKC-135A", "KC-135"),
        ("C-135FR", "KC-135"),
        ("C-135B", "C-135"),  # a transport, not the tanker family
        ("F-22A", "F-22"),
        ("F/A-18D", "F/A-18"),
        ("F-18", "F/A-18"),
        ("CF-18A", "F/A-18"),
        ("EF-18M", "F/A-18"),
        ("Voyager KC2", "A330 MRTT"),
        ("KC-30A", "A330 MRTT"),
        ("a330  mrtt", "A330 MRTT"),
        ("KC-767J", "KC-767"),
        ("KC-46A", "KC-46"),  # derived from the 767 but its own design
        ("Victor K1A", "Victor"),
        ("Tu-154", "Tu-154"),
        ("Some Unlisted Type", "Some Unlisted Type"),
    ],
)
def test_family(type_: str, family: str) -> None:
    assert mds.family(type_) == family


def test_every_family_entry_has_a_basis_and_a_source() -> None:
    doc = load_document("aircraft_families.yaml")
    names: list[str] = []
    for entry in doc["families"]:
        assert entry["basis"].strip() and entry["source"].startswith("https://"), entry
        names += [mds.normalize_type(n) for n in entry["names"]]
    assert len(names) == len(set(names)), "a name ties to two families"


def test_aircraft_finds_every_name_of_the_family(runner, db_with_extras) -> None:
    def family_ids(family: str) -> set[str]:
        return {
            c["id"]
            for c in db_with_extras
            if any(mds.family(a["type"]) == family for a in c["aircraft"])
        }

    a330 = family_ids("A330 MRTT")
    assert {"mech-type-0", "mech-type-1", "mech-type-2"} <= a330
    for query in ("A330 MRTT", "Voyager KC2", "KC-30A"):
        assert ids(runner, "--aircraft", query) == a330, query
    assert ids(runner, "--aircraft", "F-18") == family_ids("F/A-18")
    # A series still narrows to that series alone.
    assert ids(runner, "--aircraft", "CF-18A") == {"mech-type-3"}


def test_stats_by_family(runner, db_with_extras) -> None:
    data = json.loads(runner("stats", "--by", "family", "--format", "json").stdout)
    rows = {r["key"]: (r["mishaps"], r["aircraft"]) for r in data["rows"]}
    mishaps: Counter[str] = Counter()
    aircraft: Counter[str] = Counter()
    for c in db_with_extras:
        families = [mds.family(a["type"]) for a in c["aircraft"]]
        aircraft.update(families)
        mishaps.update(set(families))
    assert rows == {k: (mishaps[k], aircraft[k]) for k in mishaps}


def test_taxonomy_refueling_lists_every_code_with_its_count(runner, db_with_extras) -> None:
    data = json.loads(runner("taxonomy", "refueling", "--format", "json").stdout)
    counts = Counter(code for c in db_with_extras for code in c["refueling"]["mechanism"])
    assert [e["code"] for e in data["entries"]] == list(mechanism_codes())
    assert {e["code"]: e["cases"] for e in data["entries"]} == {
        code: counts[code] for code in mechanism_codes()
    }
    assert all(e["definition"] and e["example"] for e in data["entries"])
    assert data["cases"] == len(db_with_extras)
    table = runner("taxonomy", "refueling")
    assert table.exit_code == 0
    assert table.stdout.splitlines()[0].split() == ["code", "cases", "definition"]


def test_show_prints_the_cite_numbers_beside_each_fact_and_finding(runner, fresh_db, tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text(FULL, encoding="utf-8")
    assert runner("init", "--empty").exit_code == 0
    assert runner("import", path).exit_code == 0
    lines = runner("show", "2030-01-02-test-case").stdout.splitlines()
    for wanted in [
        "Date:                 2021-01-02 [1]",
        "Time:                 about 14:00 local [2]",
        "Fatalities:           0 [1,2]",
        "Damage:               $3,000,000 [2]",
        "Air refueling:        boom [1], phase contact [1]",
        "Mechanism:            boom-binding (Boom nozzle binding), boom-strike (Boom strike) [1,2]",
        "Coordinates:          35.5, -117.25 (approximate: coordinates of the test range the"
        " sources name) [1]",
        "  - receiver F-15E [2]: serial unknown, unit unknown, callsign unknown, crew unknown,"
        " fatalities unknown, damage unknown",
        "  - (cause) The nozzle bound in the receptacle. [1]",
        "  - (recommendation) Change the boom control laws. (status: open as of 2022-03) [2,1]",
    ]:
        assert wanted in lines, wanted
    tanker = next(line for line in lines if line.startswith("  - tanker"))
    assert "serial 17-46031 [1], unit 1st Test Squadron [1], callsign TEST 01 [1]" in tanker
    # A case without cites prints no brackets after its facts.
    shown = runner("show", "2030-01-02-test-case").stdout
    assert "Service:              USAF\n" in shown


def test_pairs_by_mechanism_count_each_case_once_per_pair_and_mechanism(runner, seeded_db) -> None:
    from collections import Counter

    from mishaps.mds import family

    data = json.loads(runner("stats", "--by", "pair,mechanism", "--format", "json").stdout)
    got: Counter[str] = Counter()
    for row in data["rows"]:
        got[row["mechanism"]] += row["mishaps"]
    expected: Counter[str] = Counter()
    for case in json.loads(runner("export", "--format", "json").stdout)["mishaps"]:
        tankers = {family(a["type"]) for a in case["aircraft"] if a["role"] == "tanker"}
        receivers = {family(a["type"]) for a in case["aircraft"] if a["role"] == "receiver"}
        pairs = max(len(tankers), 1) * max(len(receivers), 1) if tankers or receivers else 1
        refueling = case.get("refueling") or {}
        codes = refueling.get("mechanism") or [
            "not refueling" if refueling.get("phase") == "not-refueling" else "unknown"
        ]
        for code in codes:
            expected[code] += pairs
    assert got == expected
    assert data["total"]["mishaps"] == len(json.loads(runner("list", "--format", "json").stdout))
