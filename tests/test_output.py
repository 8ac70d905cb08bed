"""Output formats: the fast JSON path for listings is byte-identical to json.dumps."""

from __future__ import annotations

import json
from typing import Any

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
