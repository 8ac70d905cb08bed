"""Mishap classes by era and fiscal years, against the numbers in the issue and domain.md §5.1.

Expected classes are written out from the published thresholds (A at $1M before FY2010, $2M
from FY2010, $2.5M from FY2020; B at $200K/$500K/$600K; ...), not read back from the data file,
so a wrong edit of the data file fails here.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from typing import Any

import pytest

from mishaps import classes
from mishaps.schema import Case
from tests.conftest import seed_cases


def case(**over: Any) -> Case:
    doc: dict[str, Any] = {
        "id": "x",
        "title": "t",
        "occurred_on": "2015-06-01",
        "status": "final",
        "service": "USAF",
        "location": {"description": "somewhere"},
        "aircraft": [{"role": "tanker", "type": "KC-135R"}],
        "summary": "s",
        "sources": [{"title": "t", "url": "https://example.org/", "kind": "press"}],
    }
    doc.update(over)
    return Case.model_validate(doc)


@pytest.mark.parametrize(
    "day",
    ["1995-03-01", "2009-09-30", "2009-10-01", "2015-06-01", "2019-10-01", "2024-01-01", "2002"],
)
def test_a_fatality_is_class_a_in_every_era(day: str) -> None:
    d = classes.derive(case(occurred_on=day, fatalities=1, damage_usd=0))
    assert d.mishap_class == "A"
    assert "fatality" in d.reason


def test_a_fatality_counted_on_an_aircraft_is_class_a() -> None:
    c = case(aircraft=[{"role": "receiver", "type": "F-16C", "fatalities": 1}])
    assert classes.derive(c).mishap_class == "A"


@pytest.mark.parametrize("day", ["2005-01-01", "2015-06-01", "2022-10"])
def test_a_destroyed_aircraft_is_class_a(day: str) -> None:
    c = case(
        occurred_on=day,
        fatalities=0,
        damage_usd=1000,
        aircraft=[{"role": "tanker", "type": "KC-135R", "damage": "destroyed"}],
    )
    d = classes.derive(c)
    assert d.mishap_class == "A" and "destroyed aircraft" in d.reason


@pytest.mark.parametrize(
    ("day", "damage", "expected", "era"),
    [
        ("2015-06-01", 2_200_000, "A", "FY2010 to FY2019"),  # >= $2M
        ("2021-06-01", 2_200_000, "B", "FY2020 onward"),  # < $2.5M, >= $600K
        ("2022-10", 8_307_257.93, "A", "FY2020 onward"),  # KC-46A/F-15E, Oct 2022
        ("2022-11", 103_295.12, "C", "FY2020 onward"),  # KC-46A/F-22A nozzle, Nov 2022
        ("2022-11-07", 103_295.12, "C", "FY2020 onward"),
        ("2021-06-01", 600_000, "B", "FY2020 onward"),  # a floor belongs to its class
        ("2021-06-01", 599_999.99, "C", "FY2020 onward"),
        ("2021-06-01", 25_000, "D", "FY2020 onward"),
        ("2015-06-01", 20_000, "D", "FY2010 to FY2019"),
        ("2005-06-01", 200_000, "B", "before FY2010"),
        ("2005-06-01", 10_000, "C", "before FY2010"),
    ],
)
def test_damage_is_classed_by_the_table_in_force(
    day: str, damage: float, expected: str, era: str
) -> None:
    d = classes.derive(case(occurred_on=day, damage_usd=damage))
    assert (d.mishap_class, d.era) == (expected, era)
    assert era in d.reason


@pytest.mark.parametrize(
    ("before", "on", "damage", "expected_before", "expected_on"),
    [
        # The $2M table takes effect on 1 Oct 2009 (FY2010): $1.5M is A the day before, B on it.
        ("2009-09-30", "2009-10-01", 1_500_000, "A", "B"),
        ("2009-09-30", "2009-10-01", 300_000, "B", "C"),
        # The $2.5M table takes effect on 1 Oct 2019 (FY2020).
        ("2019-09-30", "2019-10-01", 2_200_000, "A", "B"),
        ("2019-09-30", "2019-10-01", 550_000, "B", "C"),
        ("2019-09-30", "2019-10-01", 55_000, "C", "D"),
    ],
)
def test_era_boundaries(
    before: str, on: str, damage: int, expected_before: str, expected_on: str
) -> None:
    assert (
        classes.derive(case(occurred_on=before, damage_usd=damage)).mishap_class == expected_before
    )
    assert classes.derive(case(occurred_on=on, damage_usd=damage)).mishap_class == expected_on


def test_no_damage_figure_and_no_fatality_is_unknown_not_e() -> None:
    for c in (case(), case(fatalities=0), case(fatalities=None, injuries=2, service="USN")):
        d = classes.derive(c)
        assert d.mishap_class is None
        assert "no damage figure" in d.reason
        assert classes.class_label(c) == "unknown"


def test_damage_below_every_floor_is_unknown() -> None:
    assert classes.derive(case(occurred_on="2021-01-01", damage_usd=0)).mishap_class is None
    # Before FY2010 the table gives Class D no floor ("< $10,000"), so small damage stays unknown.
    assert classes.derive(case(occurred_on="2005-01-01", damage_usd=5_000)).mishap_class is None


def test_class_e_is_navy_and_marine_corps_usage_only() -> None:
    navy = case(occurred_on="2021-01-01", damage_usd=10_000, service="USN")
    assert classes.derive(navy).mishap_class == "E"
    assert (
        classes.derive(
            case(occurred_on="2021-01-01", damage_usd=10_000, service="USAF/USMC")
        ).mishap_class
        == "E"
    )
    detail = case(occurred_on="2021-01-01", damage_usd=10_000, service="USN (VX-20)/USAF")
    assert classes.derive(detail).mishap_class == "E"
    air_force = classes.derive(case(occurred_on="2021-01-01", damage_usd=10_000, service="USAF"))
    assert air_force.mishap_class is None
    assert "USMC/USN usage only" in air_force.reason


def test_a_partial_date_across_a_boundary_needs_both_eras_to_agree() -> None:
    # 2019 runs into FY2020 on 1 Oct: $2.2M is A in the $2M table but B in the $2.5M table.
    split = classes.derive(case(occurred_on="2019", damage_usd=2_200_000))
    assert split.mishap_class is None and split.era is None
    assert "disagree" in split.reason
    agreed = classes.derive(case(occurred_on="2019", damage_usd=3_000_000))
    assert agreed.mishap_class == "A" and "agree" in agreed.reason
    assert classes.derive(case(occurred_on="2009", damage_usd=1_500_000)).mishap_class is None
    # A month inside one era is classed by that era alone.
    assert classes.derive(case(occurred_on="2019-09", damage_usd=2_200_000)).mishap_class == "A"
    assert classes.derive(case(occurred_on="2019-10", damage_usd=2_200_000)).mishap_class == "B"


def test_labels_tell_stated_from_derived() -> None:
    assert classes.class_label(case(mishap_class="C", damage_usd=103_295)) == "C"
    assert (
        classes.class_label(case(occurred_on="2022-10-15", damage_usd=8_307_257.93))
        == "A (derived)"
    )
    assert classes.label(None, None) == "unknown"


def test_a_stated_class_that_disagrees_is_kept_and_explained() -> None:
    c = case(occurred_on="2021-06-01", damage_usd=2_200_000, mishap_class="A")
    assert classes.class_label(c) == "A"
    message = classes.disagreement(c)
    assert message is not None and "derived Class B" in message and "kept" in message
    assert (
        classes.disagreement(case(occurred_on="2021-06-01", damage_usd=2_200_000, mishap_class="B"))
        is None
    )
    assert classes.disagreement(case(mishap_class="B")) is None  # nothing to derive from


@pytest.mark.parametrize(
    ("occurred_on", "fy"),
    [
        ("2022-09-30", 2022),
        ("2022-10-01", 2023),
        ("2023-09-30", 2023),
        ("2023-10-01", 2024),
        ("2022-10", 2023),
        ("2022-09", 2022),
        ("2023-01", 2023),
        ("2022", None),  # Jan-Sep is FY2022, Oct-Dec FY2023
    ],
)
def test_fiscal_year(occurred_on: str, fy: int | None) -> None:
    assert classes.fiscal_year(occurred_on) == fy


def test_the_era_table_is_data_with_sources() -> None:
    eras = classes.eras()
    assert [e.name for e in eras] == ["before FY2010", "FY2010 to FY2019", "FY2020 onward"]
    for older, newer in itertools.pairwise(eras):
        assert older.effective_to is not None and newer.effective_from is not None
        assert (newer.effective_from - older.effective_to).days == 1  # no gap, no overlap


# The command line, on the seed cases and on synthetic ones.

SHELL_77 = "2013-05-03-shell-77"  # 3 fatalities, aircraft destroyed, no class stated
NORTH_ATLANTIC = "2022-10-15-kc-46a-f-15e-north-atlantic"  # $8,307,257.93, Oct 2022, none stated
NOZZLE = "2022-11-07-kc-46a-f-22a-nozzle"  # $103,295.12, Nov 2022, Class C stated


def list_rows(runner, *args: str) -> dict[str, dict[str, Any]]:
    result = runner("list", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return {r["id"]: r for r in json.loads(result.stdout)}


def test_list_shows_stated_and_derived_classes_apart(runner, seeded_db) -> None:
    rows = list_rows(runner)
    assert {
        k: rows[SHELL_77][k] for k in ("mishap_class", "derived_class", "class", "fiscal_year")
    } == {
        "mishap_class": None,
        "derived_class": "A",
        "class": "A (derived)",
        "fiscal_year": 2013,
    }
    assert (
        rows[NORTH_ATLANTIC]["class"] == "A (derived)"
        and rows[NORTH_ATLANTIC]["fiscal_year"] == 2023
    )
    assert rows[NOZZLE]["class"] == "C" and rows[NOZZLE]["derived_class"] == "C"
    table = runner("list", "--fy", "2023").stdout
    assert table.splitlines()[0].split()[:4] == ["date", "FY", "id", "class"]
    assert "A (derived)" in table


def test_class_filter_uses_the_stated_class_else_the_derived_one(runner, seeded_db) -> None:
    def class_a(c: dict[str, Any]) -> bool:  # the rules, on the seed files themselves
        if c.get("mishap_class"):
            return c["mishap_class"] == "A"
        return (
            (c.get("fatalities") or 0) > 0
            or any(a.get("damage") == "destroyed" for a in c["aircraft"])
            or (c.get("damage_usd") or 0) >= 2_500_000  # every seed damage figure is from FY2013 on
        )

    expected = {c["id"] for c in seed_cases() if class_a(c)}
    assert {SHELL_77, NORTH_ATLANTIC} <= expected
    assert set(list_rows(runner, "--class", "A")) == expected
    assert set(list_rows(runner, "--class", "C")) == {NOZZLE}


def test_fy_filter_and_stats_by_fy(runner, seeded_db) -> None:
    in_fy2023 = {
        c["id"]
        for c in seed_cases()
        if "2022-10-01" <= str(c["occurred_on"]) <= "2023-09-30"
        and len(str(c["occurred_on"])) == 10
    }
    assert {NORTH_ATLANTIC, NOZZLE} <= in_fy2023
    assert set(list_rows(runner, "--fy", "2023")) == in_fy2023
    data = json.loads(runner("stats", "--by", "fy", "--format", "json").stdout)
    by_fy = {r["key"]: r["mishaps"] for r in data["rows"]}
    assert by_fy["2023"] == len(in_fy2023)
    assert by_fy["unknown"] == 1  # "2002" spans FY2002 and FY2003
    assert [r["key"] for r in data["rows"]][-1] == "unknown"


def test_stats_by_class_counts_the_derived_ones(runner, seeded_db) -> None:
    data = json.loads(runner("stats", "--by", "class", "--format", "json").stdout)
    a = next(r for r in data["rows"] if r["key"] == "A")
    assert a["mishaps"] == len(list_rows(runner, "--class", "A"))
    stated_a = sum(1 for c in seed_cases() if c.get("mishap_class") == "A")
    assert a["derived"] == a["mishaps"] - stated_a
    assert "of which derived" in runner("stats", "--by", "class").stdout


def test_show_says_where_the_class_comes_from(runner, seeded_db) -> None:
    shell = runner("show", SHELL_77).stdout
    assert "Fiscal year:          FY2013\n" in shell
    assert (
        "Mishap class:         A (derived): a fatality and a destroyed aircraft make Class A"
        in shell
    )
    # The stated class, then the numbers of the sources that state it.
    assert re.search(
        r"^Mishap class: +C \(stated\) \[\d+(,\d+)*\]$", runner("show", NOZZLE).stdout, re.M
    )


def test_export_csv_has_the_class_fields(runner, seeded_db) -> None:
    rows = {
        r["id"]: r for r in csv.DictReader(io.StringIO(runner("export", "--format", "csv").stdout))
    }
    assert (
        rows[SHELL_77]["mishap_class"],
        rows[SHELL_77]["derived_class"],
        rows[SHELL_77]["class"],
    ) == (
        "",
        "A",
        "A (derived)",
    )
    assert rows[SHELL_77]["fiscal_year"] == "2013"


def synthetic(**over: Any) -> dict[str, Any]:
    return case(**over).to_document()


def test_a_disagreeing_stated_class_is_a_warning_and_is_kept(runner, tmp_path) -> None:
    doc = synthetic(
        id="synthetic-disagree", occurred_on="2021-06-01", damage_usd=2_200_000, mishap_class="A"
    )
    path = tmp_path / "case.json"
    path.write_text(json.dumps(doc))
    result = runner("validate", path)
    assert result.exit_code == 0
    assert result.stdout == "OK: 1 case in 1 file are valid.\n"
    assert result.stderr == (
        f"Warning: {path}: synthetic-disagree: mishap_class: stated Class A disagrees with the"
        " derived Class B ($2,200,000 of damage is at least the Class B floor of $600,000 in the"
        " FY2020 onward table (in force on 2021-06-01)); the stated class is kept\n"
    )
    assert runner("init", "--empty").exit_code == 0
    imported = runner("import", path)
    assert imported.exit_code == 0 and imported.stderr.startswith("Warning: ")
    assert list_rows(runner)["synthetic-disagree"]["class"] == "A"
    assert set(list_rows(runner, "--class", "A")) == {"synthetic-disagree"}
    shown = runner("show", "synthetic-disagree").stdout
    assert (
        "Mishap class:         A (stated); WARNING: stated Class A disagrees with the derived"
        " Class B" in shown
    )


def test_unknown_class_is_never_e(runner, tmp_path) -> None:
    path = tmp_path / "cases.json"
    path.write_text(
        json.dumps({"mishaps": [synthetic(id="no-damage", service="USN", fatalities=0)]})
    )
    assert runner("init", "--empty").exit_code == 0
    assert runner("import", path).exit_code == 0
    row = list_rows(runner)["no-damage"]
    assert (row["mishap_class"], row["derived_class"], row["class"]) == (None, None, "unknown")
    assert list_rows(runner, "--class", "E") == {}
    data = json.loads(runner("stats", "--by", "class", "--format", "json").stdout)
    assert [(r["key"], r["mishaps"]) for r in data["rows"]] == [("unknown", 1)]


def test_refresh_derived_refills_the_columns_from_the_stored_facts(runner, engine) -> None:
    from sqlalchemy import text

    from mishaps.db import session_scope
    from mishaps.derived import refresh_derived

    before = runner("list", "--format", "json").stdout
    with session_scope(engine) as session:
        assert refresh_derived(session) == 0  # stored values are already right
        session.execute(
            text(
                "UPDATE mishap SET derived_class = NULL, effective_class = 'E', fiscal_year = NULL"
            )
        )
    assert runner("list", "--format", "json").stdout != before
    with session_scope(engine) as session:
        assert refresh_derived(session) == len(seed_cases())
    assert runner("list", "--format", "json").stdout == before
