"""The format extensions of issues 12 and 17: cites, mechanisms, approximate coordinates,
series and recommendation status -- validated with located errors, stored, read back, exported."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from mishaps.schema import STRICT_AIRCRAFT_FIELDS, STRICT_FIELDS, mechanism_codes

# Every new field filled, and every strict field cited: passes `validate --strict`.
FULL = textwrap.dedent(
    """\
    id: 2030-01-02-test-case
    title: Test tanker loses its boom
    occurred_on: 2021-01-02
    time: about 14:00 local
    status: final
    service: USAF
    location:
      description: Over the test range
      country: US
      latitude: 35.5
      longitude: -117.25
      approximate: true
      basis: coordinates of the test range the sources name
    refueling:
      method: boom
      phase: contact
      mechanism: [boom-binding, boom-strike]
    series: [test-boom-series]
    damage_usd: 3000000
    mishap_class: A
    fatalities: 0
    injuries: 0
    aircraft:
      - role: tanker
        type: KC-46A
        serial: 17-46031
        unit: 1st Test Squadron
        callsign: TEST 01
        crew: 4
        fatalities: 0
        injuries: 0
        damage: substantial
      - role: receiver
        type: F-15E
    findings:
      - kind: cause
        text: The nozzle bound in the receptacle.
        cites: [1]
      - kind: recommendation
        text: Change the boom control laws.
        status: open
        status_as_of: 2022-03
        cites: [2, 1]
    summary: A test case.
    sources:
      - title: First source
        url: https://example.org/one
        kind: official-release
      - title: Second source
        url: https://example.org/two
        kind: press
    cites:
      occurred_on: [1]
      time: [2]
      location.description: [1]
      location.country: [1]
      location.latitude: [1]
      location.longitude: [1]
      refueling.method: [1]
      refueling.phase: [1]
      refueling.mechanism: [1, 2]
      damage_usd: [2]
      mishap_class: [2]
      fatalities: [1, 2]
      injuries: [1]
      aircraft[0].serial: [1]
      aircraft[0].unit: [1]
      aircraft[0].callsign: [1]
      aircraft[0].crew: [1]
      aircraft[0].fatalities: [1]
      aircraft[0].injuries: [1]
      aircraft[0].damage: [1]
      aircraft[1].type: [2]
    """
)
CASE = "2030-01-02-test-case"


def write(tmp_path: Path, text: str, name: str = "case.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first line containing ``needle``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def problems(runner, path: Path, *args: str) -> list[str]:
    result = runner("validate", *args, path)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[-1].startswith("Error: ") and lines[-1].endswith("found; nothing was written")
    return lines[:-1]


def test_a_fully_cited_case_passes_strict_validation(runner, tmp_path) -> None:
    result = runner("validate", "--strict", write(tmp_path, FULL))
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "OK: 1 case in 1 file are valid.\n"


def test_a_cite_of_a_source_that_does_not_exist_names_file_line_case_and_path(
    runner, tmp_path
) -> None:
    text = FULL.replace("  damage_usd: [2]", "  damage_usd: [3]")
    path = write(tmp_path, text)
    assert problems(runner, path) == [
        f"{path}:{line_of(text, '  damage_usd: [3]')}: {CASE}: cites.damage_usd[0]:"
        " source 3 does not exist: the case lists 2 sources"
    ]


def test_a_finding_cite_of_a_missing_source_is_an_error(runner, tmp_path) -> None:
    text = FULL.replace("cites: [2, 1]", "cites: [2, 5]")
    path = write(tmp_path, text)
    assert problems(runner, path) == [
        f"{path}:{line_of(text, 'cites: [2, 5]')}: {CASE}: findings[1].cites[1]:"
        " source 5 does not exist: the case lists 2 sources"
    ]


@pytest.mark.parametrize(
    ("edit", "key", "message"),
    [
        (("\ninjuries: 0\n", "\n"), "injuries", "names a field that is not filled"),
        (
            ("aircraft[1].type: [2]", "aircraft[2].type: [2]"),
            "aircraft[2].type",
            "names no aircraft",
        ),
        (("aircraft[1].type: [2]", "aircraft[1].serial: [2]"), "aircraft[1].serial", "not filled"),
        (
            ("  time: [2]", "  tme: [2]"),
            "tme",
            "names no field of the format; did you mean 'time'?",
        ),
        (
            ("  location.country: [1]", "  location.contry: [1]"),
            "location.contry",
            "did you mean 'location.country'?",
        ),
        (("  time: [2]", "  location: [2]"), "location", "is a group of fields"),
        (("  time: [2]", "  id: [2]"), "id", "names no field of the format"),
        (("  time: [2]", "  Time of day: [2]"), "Time of day", "is not a field path"),
    ],
)
def test_a_cite_path_that_names_no_filled_field_is_an_error(
    runner, tmp_path, edit, key, message
) -> None:
    text = FULL.replace(*edit)
    assert text != FULL
    path = write(tmp_path, text)
    (line,) = problems(runner, path)
    where = f"{path}:{line_of(text, f'  {key}: [')}: {CASE}: cites.{key}: "
    assert line.startswith(where), line
    assert message in line


def test_cites_must_be_source_numbers(runner, tmp_path) -> None:
    text = FULL.replace("  fatalities: [1, 2]", "  fatalities: [0, two]")
    path = write(tmp_path, text)
    n = line_of(text, "  fatalities: [0, two]")
    assert problems(runner, path) == [
        f"{path}:{n}: {CASE}: cites.fatalities[0]: must be at least 1, got 0",
        f"{path}:{n}: {CASE}: cites.fatalities[1]: expected a whole number, got 'two'",
    ]


def test_strict_reports_every_uncited_filled_fact_and_finding(runner, tmp_path) -> None:
    doc_start = FULL.index("cites:\n  occurred_on")
    text = FULL[:doc_start].replace("    cites: [1]\n", "").replace("    cites: [2, 1]\n", "")
    path = write(tmp_path, text)
    assert runner("validate", path).exit_code == 0  # cites are optional without --strict
    found = problems(runner, path, "--strict")
    wanted = [*STRICT_FIELDS, *(f"aircraft[0].{n}" for n in STRICT_AIRCRAFT_FIELDS)]
    reported = [line.split(": ")[2] for line in found]
    assert sorted(reported) == sorted([*wanted, "findings[0]", "findings[1]"])
    assert f"{path}:{line_of(text, 'serial: 17-46031')}: {CASE}: aircraft[0].serial: " in "\n".join(
        found
    )


def test_strict_does_not_want_cites_for_unknown_fields(runner, tmp_path) -> None:
    lean = textwrap.dedent(
        """\
        id: lean-case
        title: Little is known
        occurred_on: 1988
        status: press
        service: RAF
        location: {description: Somewhere over the North Sea}
        aircraft: [{role: tanker, type: Victor K2}]
        summary: A short account.
        sources: [{title: A source, url: "https://example.org/a", kind: press}]
        cites: {occurred_on: [1], location.description: [1]}
        """
    )
    assert runner("validate", "--strict", write(tmp_path, lean)).exit_code == 0


def test_an_unknown_mechanism_is_refused_with_a_suggestion(runner, tmp_path) -> None:
    text = FULL.replace("[boom-binding, boom-strike]", "[boom-binding, bom-strike]")
    path = write(tmp_path, text)
    assert problems(runner, path) == [
        f"{path}:{line_of(text, 'bom-strike')}: {CASE}: refueling.mechanism[1]:"
        " 'bom-strike' is not an air refueling mechanism; did you mean boom-strike?"
    ]


def test_a_mishap_outside_refuelling_has_no_mechanism(runner, tmp_path) -> None:
    text = FULL.replace("phase: contact", "phase: not-refueling").replace(
        "  refueling.phase: [1]\n", ""
    )
    path = write(tmp_path, text)
    assert problems(runner, path) == [
        f"{path}:{line_of(text, 'mechanism: [')}: {CASE}: refueling.mechanism:"
        " a mishap outside air refueling (phase not-refueling) has no mechanism"
    ]


def test_the_mechanism_codes_are_the_nine_of_issue_17() -> None:
    assert set(mechanism_codes()) >= {
        "boom-binding", "boom-strike", "boom-failure", "hose-drogue-failure", "basket-strike",
        "probe-failure", "collision", "fuel-leak-fire", "upset",
    }  # fmt: skip


def test_approximate_coordinates_need_a_basis_and_coordinates(runner, tmp_path) -> None:
    text = (
        FULL.replace("  basis: coordinates of the test range the sources name\n", "")
        .replace("  latitude: 35.5\n", "")
        .replace("  location.latitude: [1]\n", "")
    )
    path = write(tmp_path, text)
    found = problems(runner, path)
    assert found == [
        f"{path}:{line_of(text, 'location:')}: {CASE}: location.basis: is required when"
        " approximate is true: name the place whose coordinates these are (the town, base or sea"
        " area the sources name)",
        f"{path}:{line_of(text, 'approximate: true')}: {CASE}: location.approximate:"
        " is true but the location has no latitude and longitude to be approximate",
    ]


def test_approximate_is_true_or_false(runner, tmp_path) -> None:
    path = write(tmp_path, FULL.replace("approximate: true", "approximate: yes"))
    (line,) = problems(runner, path)
    assert line.endswith("location.approximate: expected true or false, got 'yes'")


def test_only_recommendations_have_a_status(runner, tmp_path) -> None:
    text = FULL.replace(
        "text: The nozzle bound in the receptacle.",
        "text: The nozzle bound in the receptacle.\n    status: open",
    )
    path = write(tmp_path, text)
    assert problems(runner, path) == [
        f"{path}:{line_of(text, 'status: open')}: {CASE}: findings[0].status:"
        " only a recommendation has a status, not a cause"
    ]
    bad = write(tmp_path, FULL.replace("status: open", "status: done"), "bad.yaml")
    (line,) = problems(runner, bad)
    assert "findings[1].status: 'done' is not one of open, implemented, rejected, unknown" in line


def test_series_ids_are_checked(runner, tmp_path) -> None:
    path = write(tmp_path, FULL.replace("[test-boom-series]", "[Test Boom Series]"))
    (line,) = problems(runner, path)
    assert "series[0]: 'Test Boom Series' is not an id of lower-case letters" in line


def test_every_new_field_is_stored_read_back_and_exported(runner, fresh_db, tmp_path) -> None:
    assert runner("init", "--empty").exit_code == 0  # only init creates a named database
    path = write(tmp_path, FULL)
    assert runner("init", "--empty").exit_code == 0
    assert runner("import", path).exit_code == 0
    doc = json.loads(runner("show", CASE, "--format", "json").stdout)
    assert doc["location"]["approximate"] is True
    assert doc["location"]["basis"] == "coordinates of the test range the sources name"
    assert doc["refueling"]["mechanism"] == ["boom-binding", "boom-strike"]
    assert doc["series"] == ["test-boom-series"]
    assert [(f["status"], f["status_as_of"], f["cites"]) for f in doc["findings"]] == [
        (None, None, [1]),
        ("open", "2022-03", [2, 1]),
    ]
    import yaml

    assert doc["cites"] == yaml.safe_load(FULL)["cites"]  # every path, in the file's order
    assert list(doc["cites"]) == list(yaml.safe_load(FULL)["cites"])


def test_round_trip_with_new_fields_is_byte_identical(
    runner, new_db, tmp_path, monkeypatch
) -> None:
    first_db, second_db = new_db(), new_db()
    monkeypatch.setenv("MISHAPS_DB", first_db)
    assert runner("init", "--empty").exit_code == 0
    assert runner("import", write(tmp_path, FULL)).exit_code == 0
    for fmt in ("yaml", "json"):
        monkeypatch.setenv("MISHAPS_DB", first_db)
        first = runner("export", "--format", fmt).stdout
        exported = write(tmp_path, first, f"export.{fmt}")
        monkeypatch.setenv("MISHAPS_DB", second_db)
        assert runner("init", "--empty").exit_code == 0
        assert runner("import", exported, "--on-conflict", "replace").exit_code == 0
        assert runner("export", "--format", fmt).stdout == first


def test_csv_carries_mechanism_series_and_approximate_coordinates(runner, tmp_path) -> None:
    from mishaps.csvfile import COLUMNS as CSV_COLUMNS
    from mishaps.ingest import load_files
    from mishaps.output import case_csv_row, to_csv

    (loaded,) = load_files([write(tmp_path, FULL)])
    row = case_csv_row(loaded.case)
    assert (row["approximate"], row["refueling_mechanism"], row["series"]) == (
        "true",
        "boom-binding; boom-strike",
        "test-boom-series",
    )
    csv_path = tmp_path / "case.csv"
    csv_path.write_text(to_csv([row], CSV_COLUMNS), encoding="utf-8")
    (back,) = load_files([csv_path])
    assert back.case.location == loaded.case.location
    assert back.case.refueling == loaded.case.refueling
    assert back.case.series == loaded.case.series


def test_csv_approximate_cell_must_be_true_or_false(runner, tmp_path) -> None:
    from mishaps.csvfile import COLUMNS as CSV_COLUMNS
    from mishaps.ingest import load_files
    from mishaps.output import case_csv_row, to_csv

    (loaded,) = load_files([write(tmp_path, FULL)])
    row = {**case_csv_row(loaded.case), "approximate": "maybe"}
    csv_path = tmp_path / "case.csv"
    csv_path.write_text(to_csv([row], CSV_COLUMNS), encoding="utf-8")
    (line,) = problems(runner, csv_path)
    assert line == f"{csv_path}:2: {CASE}: approximate: expected true or false, got 'maybe'"


def test_the_seed_files_still_validate(runner) -> None:
    from tests.conftest import SEED_FILES

    assert runner("validate", *SEED_FILES).exit_code == 0
