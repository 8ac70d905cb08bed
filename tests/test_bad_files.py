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


# Runs `mishaps` as its only child and prints that child's peak memory last: RUSAGE_CHILDREN in
# pytest itself would be the largest of every child the whole session has run.
_MEASURED = """
import resource, subprocess, sys
code = subprocess.run([sys.executable, "-m", "mishaps", *sys.argv[1:]]).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024, file=sys.stderr)
sys.exit(code)
"""


def _run_cli(*args: str, timeout: float = 300) -> tuple[int, str, float, int]:
    """Run `mishaps` in a child process: exit code, stderr, seconds, peak memory (bytes) of it."""
    import subprocess
    import sys
    import time

    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURED, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    seconds = time.monotonic() - start
    *lines, peak = proc.stderr.splitlines()
    return proc.returncode, "".join(f"{line}\n" for line in lines), seconds, int(peak)


def test_a_million_bad_records_get_a_screenful_and_a_count(tmp_path) -> None:
    from mishaps.ingest import MAX_PROBLEMS_PER_FILE

    path = tmp_path / "untitled.json"  # each record lacks its id, date, aircraft ...
    path.write_text('{"mishaps": [' + ", ".join(['{"title": "a title"}'] * 1_000_000) + "]}")
    code, stderr, _, peak = _run_cli("validate", str(path))
    lines = stderr.splitlines()
    assert code == 1
    assert len(lines) <= MAX_PROBLEMS_PER_FILE + 2
    assert re.fullmatch(
        f"{re.escape(str(path))}: {MAX_PROBLEMS_PER_FILE} problems shown; checking stopped at"
        r" record \d+ of 1,000,000, so there are more",
        lines[MAX_PROBLEMS_PER_FILE],
    )
    assert lines[-1].startswith("Error: ")
    assert peak < 50 * path.stat().st_size + 150 * 2**20, peak  # over an interpreter's own


def _pdf_attaching(path: Path, deflated: bytes) -> Path:
    """A one-page PDF whose mishaps.json attachment is ``deflated`` as stored (FlateDecode)."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_attachment("mishaps.json", b"{}")
    names = writer._root_object["/Names"]["/EmbeddedFiles"]["/Names"]
    stream = names[1].get_object()["/EF"]["/F"].get_object()
    stream.set_data(b"")
    stream._data = deflated
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    with open(path, "wb") as fh:
        writer.write(fh)
    return path


def test_a_pdf_attachment_is_limited_by_what_it_inflates_to(tmp_path) -> None:
    import zlib

    packer = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    bomb = b"".join(packer.compress(chunk) for _ in range(MAX_FILE_BYTES // len(chunk) + 8))
    bomb += packer.flush()
    assert len(bomb) < 1 << 20  # a small file whose attachment inflates past the file limit
    path = _pdf_attaching(tmp_path / "bomb.pdf", bomb)
    code, stderr, _, peak = _run_cli("validate", str(path))
    assert code == 1
    assert stderr.splitlines()[0] == (
        f"{path}: the attachment mishaps.json inflates to more than {MAX_FILE_BYTES:,} bytes,"
        " the limit"
    )
    assert peak < 512 * 2**20


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_an_endless_device_is_read_only_up_to_the_limit(device) -> None:
    code, stderr, _, _ = _run_cli("validate", device)
    assert code == 1
    assert stderr.splitlines()[0] == (
        f"{device}: file is more than {MAX_FILE_BYTES:,} bytes; the limit is {MAX_FILE_BYTES:,}"
    )


# Files just under the size limit made of millions of tiny values: each would cost 1-8 GiB of
# memory and minutes once parsed. They are refused from a count of their values, made before
# parsing (mishaps.valuecount), in seconds. A unit and the separator between units fill the file.
_CSV_HEADER = b"id,title,occurred_on,status,service,location,aircraft,summary,source_urls\n"
HOSTILE_SHAPES = {
    "empty-records.json": (b'{"mishaps": [', b"{}", b",", b"]}"),
    "empty-lists.json": (b"[", b"[]", b",", b"]"),
    "short-strings.json": (b"[", b'"ab"', b",", b"]"),
    "numbers.json": (b"[", b"0.5", b",", b"]"),
    "flow-scalars.yaml": (b"[", b"a", b",", b"]"),
    "block-scalars.yaml": (b"", b"- a", b"\n", b"\n"),
    "empty-records.yaml": (b"mishaps:\n", b"- {}", b"\n", b"\n"),
    "tiny-rows.csv": (_CSV_HEADER, b",,,,,,,,x", b"\n", b"\n"),
    "wide-row.csv": (_CSV_HEADER, b"ab", b",", b"\n"),
    "quoted-cells.csv": (_CSV_HEADER, b'"a"', b",", b"\n"),
}


def _fill(head: bytes, unit: bytes, sep: bytes, tail: bytes, size: int) -> bytes:
    n = (size - len(head) - len(tail)) // (len(unit) + len(sep))
    return head + sep.join([unit] * n) + tail


def _bounded(peak: int, size: int) -> bool:
    """Never over 1 GiB, and within 50x the input over an interpreter's own (~150 MiB)."""
    return peak < 2**30 and peak < 50 * size + 150 * 2**20


@pytest.mark.parametrize("name", sorted(HOSTILE_SHAPES))
def test_millions_of_tiny_values_are_refused_in_bounded_memory(tmp_path, name) -> None:
    from mishaps.valuecount import MAX_CSV_CELLS, MAX_VALUES, MAX_YAML_VALUES

    path = tmp_path / name
    path.write_bytes(_fill(*HOSTILE_SHAPES[name], size=MAX_FILE_BYTES - 1024))
    limit, what = {".json": (MAX_VALUES, "values"), ".yaml": (MAX_YAML_VALUES, "values")}.get(
        path.suffix, (MAX_CSV_CELLS, "cells")
    )
    code, stderr, seconds, peak = _run_cli("validate", str(path))
    assert code == 1
    assert stderr.splitlines()[0] == (
        f"{path}: holds more than {limit:,} {what}; the limit is {limit:,}"
    )
    assert _bounded(peak, path.stat().st_size), peak
    print(f"{name}: {seconds:.1f} s, {peak / 2**20:.0f} MiB")  # shown with -s; no timing asserted


@pytest.mark.parametrize("name", [n for n in sorted(HOSTILE_SHAPES) if not n.endswith(".csv")])
def test_a_small_dense_file_is_held_to_its_size_too(tmp_path, name) -> None:
    """A few MiB of tiny values stay within ~50x the file, not just under 1 GiB: a smaller file
    may hold fewer values (one per 6 bytes of JSON, one per 10 characters of YAML)."""
    from mishaps.valuecount import JSON_BYTES_PER_VALUE, YAML_BYTES_PER_VALUE

    path = tmp_path / name
    path.write_bytes(_fill(*HOSTILE_SHAPES[name], size=4 * 2**20))
    size = path.stat().st_size
    per, unit = (
        (JSON_BYTES_PER_VALUE, "bytes")
        if path.suffix == ".json"
        else (YAML_BYTES_PER_VALUE, "characters")
    )
    limit = size // per
    code, stderr, _, peak = _run_cli("validate", str(path))
    assert code == 1
    assert stderr.splitlines()[0] == (
        f"{path}: holds more than {limit:,} values; the limit is {limit:,}"
        f" for a file of {size:,} {unit} (one per {per} {unit})"
    )
    assert peak < 50 * size + 150 * 2**20, peak  # over an interpreter's own


def test_import_refuses_them_the_same_way_and_writes_nothing(runner, seeded_db, tmp_path) -> None:
    from mishaps.valuecount import MAX_VALUES

    path = tmp_path / "empties.json"
    path.write_bytes(_fill(*HOSTILE_SHAPES["empty-records.json"], size=MAX_FILE_BYTES - 1024))
    before = runner("export", "--format", "json").stdout
    code, stderr, _, peak = _run_cli("import", str(path))
    assert code == 1
    lines = stderr.splitlines()
    assert lines[0] == f"{path}: holds more than {MAX_VALUES:,} values; the limit is {MAX_VALUES:,}"
    assert lines[-1].startswith("Error: ") and lines[-1].endswith("; nothing was written")
    assert _bounded(peak, path.stat().st_size), peak
    assert runner("export", "--format", "json").stdout == before


def test_a_pdf_attachment_of_tiny_values_is_refused_by_their_count(tmp_path) -> None:
    import zlib

    from mishaps.valuecount import MAX_VALUES

    attachment = _fill(*HOSTILE_SHAPES["empty-records.json"], size=MAX_FILE_BYTES - 1024)
    path = _pdf_attaching(tmp_path / "tiny-values.pdf", zlib.compress(attachment, 9))
    code, stderr, _, peak = _run_cli("validate", str(path))
    assert code == 1
    assert stderr.splitlines()[0] == (
        f"{path}!mishaps.json: holds more than {MAX_VALUES:,} values; the limit is {MAX_VALUES:,}"
    )
    assert peak < 2**30, peak
