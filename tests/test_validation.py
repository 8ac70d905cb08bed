"""Bad input: one line per problem naming file, line, record and field; nothing written."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

GOOD = textwrap.dedent(
    """\
    mishaps:
      - id: 2013-05-03-shell-77
        title: KC-135R breaks up in flight
        occurred_on: 2013-05-03
        status: final
        service: USAF
        location:
          description: Near Chaldovar
          country: KG
        fatalities: 3
        aircraft:
          - role: tanker
            type: KC-135R
            damage: destroyed
        summary: The tail separated in flight.
        sources:
          - title: What happened aboard Shell 77?
            url: https://www.amc.af.mil/News/Article-Display/Article/786708/what-happened-aboard-shell-77/
            kind: official-release
    """
)


def write(tmp_path: Path, text: str, name: str = "cases.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_file_validates(runner, tmp_path) -> None:
    assert runner("validate", write(tmp_path, GOOD)).exit_code == 0


def test_error_names_file_line_record_and_field(runner, tmp_path) -> None:
    path = write(tmp_path, GOOD.replace("role: tanker", "role: boomer"))
    result = runner("validate", path)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}:12: 2013-05-03-shell-77: aircraft[0].role: 'boomer' is not one of tanker, receiver, other",
        "Error: 1 problem found; nothing was written",
    ]
    assert result.stdout == ""


def test_all_problems_in_a_file_are_reported(runner, tmp_path) -> None:
    text = GOOD.replace("role: tanker", "role: boomer").replace("fatalities: 3", "fatalites: 3")
    text = text.replace("occurred_on: 2013-05-03", "occurred_on: 2013-02-30")
    lines = runner("validate", write(tmp_path, text)).stderr.splitlines()
    assert len(lines) == 4
    assert (
        "occurred_on: '2013-02-30' is not a calendar date (February 2013 has 28 days)" in lines[0]
    )
    assert "fatalites: unknown field 'fatalites'; did you mean 'fatalities'?" in lines[1]


def test_fatal_mishap_cannot_be_class_c(runner, tmp_path) -> None:
    text = GOOD.replace("fatalities: 3", "fatalities: 3\n    mishap_class: C")
    err = runner("validate", write(tmp_path, text)).stderr
    assert (
        "mishap_class: 'C' contradicts a fatality and a destroyed aircraft, which make a Class A mishap"
        in err
    )


def test_norway_is_not_false_and_dates_stay_text(runner, tmp_path) -> None:
    path = write(tmp_path, GOOD.replace("country: KG", "country: NO"))
    assert runner("validate", path).exit_code == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "file is empty"),
        (b"\x00\x01\x02binary", "is a binary file, not YAML or JSON text"),
        ("title: caf\u00e9".encode("latin-1"), "is not UTF-8 text (byte 0xe9 at offset 10)"),
        (b"a: &x [1]\nb: *x\n", "YAML aliases (*name) are not allowed"),
        (
            b"- just\n- a list\n",
            "must hold one case (a mapping) or 'mishaps:' with a list of cases",
        ),
        (b"id: x\nid: y\n", "key 'id' appears twice in one mapping"),
    ],
)
def test_hostile_or_broken_files_are_refused_cleanly(runner, tmp_path, content, message) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    result = runner("validate", path)
    assert result.exit_code == 1
    assert message in result.stderr.splitlines()[0]


def test_import_of_a_bad_file_writes_nothing(runner, seeded_db, tmp_path) -> None:
    before = runner("export").stdout
    bad = GOOD.replace("2013-05-03-shell-77", "new-case") + GOOD.replace("mishaps:\n", "").replace(
        "2013-05-03-shell-77", "other-case"
    ).replace("role: tanker", "role: boomer")
    result = runner("import", write(tmp_path, bad))
    assert result.exit_code == 1
    assert runner("export").stdout == before


def test_existing_id_is_a_conflict_unless_told(runner, seeded_db, tmp_path) -> None:
    path = write(tmp_path, GOOD)
    result = runner("import", path)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: already in the database: 2013-05-03-shell-77; nothing imported"
        " (use --on-conflict skip or --on-conflict replace)\n"
    )
    assert "1 skipped" in runner("import", path, "--on-conflict", "skip").stdout
    dry = runner("import", path, "--on-conflict", "replace", "--dry-run")
    assert dry.stdout.splitlines()[1:] == ["  replace 2013-05-03-shell-77"]
    assert "Dutch roll" in runner("show", "2013-05-03-shell-77").stdout  # dry run changed nothing
    assert "1 replaced" in runner("import", path, "--on-conflict", "replace").stdout
    assert "Dutch roll" not in runner("show", "2013-05-03-shell-77").stdout
