"""Output formats: the fast JSON path for listings is byte-identical to json.dumps."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mishaps.output import CHUNK_ROWS, Records, to_json

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(),
)
rows = st.lists(st.dictionaries(st.text(), scalars, max_size=6), max_size=5)
anything = st.recursive(
    scalars, lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=8
)


@given(rows)
def test_rows_json_is_what_json_dumps_writes(data: list[dict[str, Any]]) -> None:
    assert to_json(data) == json.dumps(data, indent=2, ensure_ascii=False) + "\n"


@given(anything)
def test_other_json_is_what_json_dumps_writes(data: Any) -> None:
    assert to_json(data) == json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def test_non_ascii_and_control_characters() -> None:
    data = [
        {"title": 'Manas \u2013 KC-135R "Shell 77"\n\ttab\x1f', "n": 1.5, "u": None, "ok": True}
    ]
    assert to_json(data) == json.dumps(data, indent=2, ensure_ascii=False) + "\n"


@given(st.lists(st.tuples(scalars, scalars, scalars), max_size=5))
def test_records_json_is_what_json_dumps_writes_of_their_dicts(tuples: list[tuple]) -> None:
    records = Records(("id", "n", "x"), tuples)
    data = [dict(zip(("id", "n", "x"), t, strict=True)) for t in tuples]
    assert list(records) == data
    assert to_json(records) == json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def test_json_of_many_rows_in_pieces_is_one_document() -> None:
    data = [
        {"i": i, "nested": {"a": [i, None]} if i % 7 == 0 else i} for i in range(2 * CHUNK_ROWS + 3)
    ]
    assert to_json(data) == json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def test_records_of_many_rows_in_pieces_are_one_document() -> None:
    """Columns of text, integers, either with nulls, and anything else, over several pieces."""
    keys = ("text", "n", "maybe_text", "maybe_n", "other", "50%")
    tuples = [
        (f"r{i}\n\u2013", i, None if i % 3 else "x", None if i % 2 else i, [i, 1.5, True], i > 9)
        for i in range(2 * CHUNK_ROWS + 3)
    ]
    data = [dict(zip(keys, t, strict=True)) for t in tuples]
    assert to_json(Records(keys, tuples)) == json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def test_records_of_the_wrong_length_are_refused() -> None:
    with pytest.raises(ValueError):
        to_json(Records(("a", "b"), [(1, 2), (3,)]))
    with pytest.raises(ValueError):
        to_json(Records(("a", "b"), [(1, 2, 3)]))


# --- terminal output shows control characters escaped (issue 11, item 10) ----------------------

HOSTILE_TITLE = "\x1b]0;pwned\x07Boom\x1b[2J strike\x9b31m\u202eevil"
ESCAPED_TITLE = "\\x1b]0;pwned\\x07Boom\\x1b[2J strike\\x9b31m\\u202eevil"


def _hostile_case(tmp_path, runner) -> str:
    import yaml

    from tests.conftest import SEED_FILES

    doc = yaml.safe_load(SEED_FILES[0].read_text(encoding="utf-8"))
    doc["title"] = HOSTILE_TITLE
    doc["summary"] = "First\x1b[1A line.\nSecond line\x08\x08."
    doc["aircraft"][0]["unit"] = "\x1bP+q\x1b\\unit"
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(doc, default=str), encoding="utf-8")
    result = runner("import", path, "--on-conflict", "replace")
    assert result.exit_code == 0, result.stderr
    return doc["id"]


def _no_controls(text: str) -> None:
    bad = [c for c in text if (ord(c) < 32 and c != "\n") or 0x7F <= ord(c) <= 0x9F]
    assert bad == [] and "\u202e" not in text


def test_list_and_show_print_control_characters_escaped(runner, seeded_db, tmp_path) -> None:
    mishap_id = _hostile_case(tmp_path, runner)
    listed = runner("list")
    assert listed.exit_code == 0
    _no_controls(listed.stdout)
    row = next(line for line in listed.stdout.splitlines() if mishap_id in line)
    assert row.endswith(ESCAPED_TITLE[:40]) or ESCAPED_TITLE[:40] in row
    shown = runner("show", mishap_id)
    assert shown.exit_code == 0
    _no_controls(shown.stdout)
    assert shown.stdout.splitlines()[0] == ESCAPED_TITLE
    assert "First\\x1b[1A line." in shown.stdout and "Second line\\x08\\x08." in shown.stdout
    assert (
        "unit \\x1bP+q\\x1b\\\\unit" in shown.stdout or "unit \\x1bP+q\\x1b\\unit" in shown.stdout
    )
    # The interchange formats keep the data: JSON escapes them its own way, and reads them back.
    doc = json.loads(runner("show", mishap_id, "--format", "json").stdout)
    assert doc["title"] == HOSTILE_TITLE
