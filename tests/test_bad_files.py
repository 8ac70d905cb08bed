"""The bad-file corpus: every kind of bad input gives its own clear message and writes nothing.

Each file in tests/bad_files/ is listed here with the first line `mishaps import` must print
for it (after the file's path). Each is made from tests/good_case.yaml, which imports cleanly,
by one change; so each message is caused by that change alone.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mishaps.files import MAX_FILE_BYTES

HERE = Path(__file__).parent
BAD = HERE / "bad_files"
CASE = "2020-01-01-bad-file-case"

EXPECTED = {
    # hostile or unreadable files
    "alias-bomb.yaml": ":2: YAML aliases (*name) are not allowed",
    "binary-garbage.yaml": ": is a binary file, not YAML or JSON text",
    "utf16.yaml": ": is UTF-16 text; save it as UTF-8",
    "latin1.yaml": ": is not UTF-8 text (byte 0xe8 at offset 181)",
    "empty.yaml": ": file is empty",
    "whitespace-only.yaml": ": file is empty",
    "deep-nesting.json": ": nested deeper than 32 levels",
    "deep-nesting.yaml": ":32: nested deeper than 32 levels",
    # syntax and shape
    "yaml-syntax-error.yaml": ":8: not valid YAML: did not find expected key",
    "trailing-comma.json": ":4: not valid JSON: Expecting property name enclosed in double quotes (column 1)",
    "nan.json": ": not valid JSON: NaN is not a number JSON allows",
    "duplicate-key.yaml": ":5: key 'status' appears twice in one mapping",
    "top-level-list.yaml": ":1: must hold one case (a mapping) or 'mishaps:' with a list of cases",
    "mishaps-not-a-list.yaml": ":1: 'mishaps' must hold a list of cases",
    "list-for-mapping.yaml": f":6: {CASE}: location: expected a mapping of fields, got a list",
    # fields
    "wrong-type-count.yaml": f":12: {CASE}: fatalities: expected a whole number, got 'three'",
    "wrong-type-text.yaml": f":2: {CASE}: title: expected text, got 42",
    "missing-required.yaml": f":1: {CASE}: title: is required",
    "key-typo.yaml": f":13: {CASE}: injures: unknown field 'injures'; did you mean 'injuries'?",
    "invalid-date.yaml": f":3: {CASE}: occurred_on: '2013-02-30' is not a calendar date (February 2013 has 28 days)",
    "future-date.yaml": f":3: {CASE}: occurred_on: '2999-06-01' is in the future",
    "unknown-category.yaml": f":14: {CASE}: occurrence_categories[0]: 'MACC' is not a CICTT occurrence category; did you mean MAC?",
    "unknown-role.yaml": f":16: {CASE}: aircraft[0].role: 'boomer' is not one of tanker, receiver, other",
    "unknown-status.yaml": f":4: {CASE}: status: 'draft' is not one of press, preliminary, final",
    "bad-latitude.yaml": f":9: {CASE}: location.latitude: 97.5 is outside -90..90",
    "bad-longitude.yaml": f":10: {CASE}: location.longitude: -190.25 is outside -180..180",
    "lowercase-country.yaml": f":8: {CASE}: location.country: 'us' is not an ISO 3166 two-letter country code such as KG",
    "negative-count.yaml": f":18: {CASE}: aircraft[0].crew: must be at least 0, got -3",
    "id-with-slash.yaml": ":1: ../../etc/passwd: id: '../../etc/passwd' is not an id of lower-case letters, digits and single hyphens",
    "id-with-dots.yaml": ":1: 2020-01-01-bad..case: id: '2020-01-01-bad..case' is not an id of lower-case letters, digits and single hyphens",
    "bad-url.yaml": f":31: {CASE}: sources[0].url: 'javascript:alert(1)' is not an http(s) URL",
    "bad-hfacs.yaml": f":27: {CASE}: findings[0].hfacs[0]: 'AE1' is not a DoD HFACS code such as AE104 or PC102",
    # text that is not text: refused at validation, with its line and field (issue 11, item 11)
    "nul-in-title.yaml": f":2: {CASE}: title: holds U+0000 (NUL), which text may not hold",
    "lone-surrogate.yaml": ":28: not valid YAML: found invalid Unicode character escape code",
    "nul-in-unit.json": f": {CASE}: aircraft[1].unit: holds U+0000 (NUL), which text may not hold",
    "lone-surrogate.json": f": {CASE}: findings[0].text: holds U+DCE9, half of a UTF-16 pair, which is not a character",
    # consistency
    "duplicate-ids.yaml": f":34: {CASE}: id: duplicate id; first seen in {{path}}:2",
    "aircraft-fatalities-above-total.yaml": f":12: {CASE}: fatalities: 1 is fewer than the aircraft's fatalities (3)",
    "destroyed-in-class-c.yaml": f":11: {CASE}: mishap_class: 'C' contradicts a destroyed aircraft, which makes a Class A mishap",
    # CSV
    "csv-missing-column.csv": ": missing column 'title'",
    "csv-unknown-column.csv": ":1: unknown column 'fatalaties'; did you mean 'fatalities'?",
    "csv-ragged-row.csv": ":3: row has 8 cells; the header has 9",
    "csv-bad-aircraft.csv": ":2: 2020-01-01-csv-case: aircraft[0]: 'KC-46A' is not ROLE TYPE (SERIAL), e.g. 'tanker KC-135R (63-8877)'",
    "csv-bad-values.csv": ":3: 2020-01-02-csv-case: fatalities: expected a whole number, got '1.5'",
}  # fmt: skip


def test_the_corpus_and_the_table_agree() -> None:
    assert sorted(p.name for p in BAD.iterdir()) == sorted(EXPECTED)
    assert len(EXPECTED) >= 25


def test_the_good_case_they_are_made_from_imports(runner, seeded_db) -> None:
    result = runner("import", HERE / "good_case.yaml")
    assert result.exit_code == 0, result.stderr
    assert runner("show", CASE).exit_code == 0


def check_refused(runner, path: Path, first_line: str) -> None:
    before = runner("export", "--format", "json").stdout
    result = runner("import", path)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == f"{path}{first_line}".replace("{path}", str(path))
    assert lines[-1].startswith("Error: ") and lines[-1].endswith("; nothing was written")
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert runner("export", "--format", "json").stdout == before
    again = runner("validate", path)
    assert (again.exit_code, again.stderr) == (1, result.stderr)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_is_refused_with_its_message_and_changes_nothing(runner, seeded_db, name) -> None:
    check_refused(runner, BAD / name, EXPECTED[name])


def test_huge_file_is_refused_before_it_is_read(runner, seeded_db, tmp_path) -> None:
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as fh:  # sparse: costs no disk and no time
        fh.truncate(MAX_FILE_BYTES + 1)
    check_refused(
        runner, path, f": file is {MAX_FILE_BYTES + 1:,} bytes; the limit is {MAX_FILE_BYTES:,}"
    )


# --- bounded time and memory on small hostile inputs (issue 11, item 5) ------------------------


def _run_cli(*args: str, timeout: float = 60) -> tuple[int, str, float, int]:
    """Run `mishaps` in a child process: exit code, stderr, seconds, peak memory (bytes) of it."""
    import resource
    import subprocess
    import sys
    import time

    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "mishaps", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    seconds = time.monotonic() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # the largest child yet
    return proc.returncode, proc.stderr, seconds, peak


def test_a_million_empty_records_get_a_screenful_and_a_count_in_seconds(tmp_path) -> None:
    from mishaps.ingest import MAX_PROBLEMS_PER_FILE

    path = tmp_path / "empties.json"
    path.write_text('{"mishaps": [' + ", ".join(["{}"] * 1_000_000) + "]}")
    code, stderr, seconds, peak = _run_cli("validate", str(path), timeout=120)
    lines = stderr.splitlines()
    assert code == 1
    assert len(lines) <= MAX_PROBLEMS_PER_FILE + 2
    assert re.fullmatch(
        f"{re.escape(str(path))}: {MAX_PROBLEMS_PER_FILE} problems shown; checking stopped at"
        r" record \d+ of 1,000,000, so there are more",
        lines[MAX_PROBLEMS_PER_FILE],
    )
    assert lines[-1].startswith("Error: ")
    assert seconds < 20, seconds
    assert peak < 50 * path.stat().st_size + 150 * 2**20, peak  # over an interpreter's own


def test_a_pdf_attachment_is_limited_by_what_it_inflates_to(tmp_path) -> None:
    import zlib

    from pypdf import PdfWriter
    from pypdf.generic import NameObject

    from mishaps.files import MAX_FILE_BYTES

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_attachment("mishaps.json", b"{}")
    packer = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    bomb = b"".join(packer.compress(chunk) for _ in range(MAX_FILE_BYTES // len(chunk) + 8))
    bomb += packer.flush()
    assert len(bomb) < 1 << 20  # a small file ...
    names = writer._root_object["/Names"]["/EmbeddedFiles"]["/Names"]
    stream = names[1].get_object()["/EF"]["/F"].get_object()
    stream.set_data(b"")
    stream._data = bomb  # ... whose attachment inflates past the file limit
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    path = tmp_path / "bomb.pdf"
    with open(path, "wb") as fh:
        writer.write(fh)
    code, stderr, seconds, peak = _run_cli("validate", str(path))
    assert code == 1
    assert stderr.splitlines()[0] == (
        f"{path}: the attachment mishaps.json inflates to more than {MAX_FILE_BYTES:,} bytes,"
        " the limit"
    )
    assert seconds < 20
    assert peak < 512 * 2**20


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_an_endless_device_is_read_only_up_to_the_limit(device) -> None:
    code, stderr, seconds, _ = _run_cli("validate", device, timeout=60)
    assert code == 1
    assert stderr.splitlines()[0] == (
        f"{device}: file is more than {MAX_FILE_BYTES:,} bytes; the limit is {MAX_FILE_BYTES:,}"
    )
    assert seconds < 30
