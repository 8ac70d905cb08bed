"""Property-based tests: round trips keep every valid case, and no mutation breaks the reader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mishaps import store
from mishaps.errors import InvalidInput, Problem
from mishaps.files import dump_json, dump_yaml, parse_bytes
from mishaps.ingest import import_cases, validate_records
from mishaps.output import cases_document
from mishaps.schema import validate_case
from mishaps.vocab import OnConflict
from tests.strategies import case_doc

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def db_engine(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from mishaps.config import to_url
    from mishaps.db import create_schema, make_engine

    eng = make_engine(to_url(str(tmp_path_factory.mktemp("prop") / "prop.db")), create=True)
    create_schema(eng)
    yield eng
    eng.dispose()


def load_text(text: str, *, json_format: bool) -> list[Any]:
    records, problems = parse_bytes(text.encode("utf-8"), name="cases", json_format=json_format)
    loaded, more = validate_records(records)
    assert not problems + more, [str(p) for p in problems + more]
    return loaded


@given(doc=case_doc(), fmt=st.sampled_from(["yaml", "json"]))
def test_any_valid_case_survives_export_import_export(db_engine, doc, fmt) -> None:
    case, issues = validate_case(doc)
    assert case is not None, issues
    first = cases_document([case], fmt)
    loaded = load_text(first, json_format=fmt == "json")
    import_cases(db_engine, loaded, on_conflict=OnConflict.replace, command="property test")
    with db_engine.connect() as conn:
        from sqlmodel import Session

        with Session(bind=conn) as session:
            pks = store.pks_by_id(session, [case.id])
            back = store.load_cases(session, [pks[case.id]])
    assert back == [case]
    assert cases_document(back, fmt) == first


# --- mutations -----------------------------------------------------------------------------

WRONG_VALUES = [
    None,
    0,
    -1,
    1.5,
    10**30,
    True,
    "",
    " ",
    "x",
    [],
    {},
    [None],
    {"a": 1},
    "2013-02-30",
]


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += paths(v, (*prefix, i))
    return out


def mutate_structure(doc: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    doc = json.loads(json.dumps(doc))
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        if not paths(doc):
            break
        where = data.draw(st.sampled_from(paths(doc)), label="path")
        parent: Any = doc
        for part in where[:-1]:
            parent = parent[part]
        action = data.draw(st.sampled_from(["delete", "replace"]), label="action")
        if action == "delete":
            del parent[where[-1]]
        else:
            value = data.draw(st.sampled_from(WRONG_VALUES), label="value")
            parent[where[-1]] = json.loads(json.dumps(value))  # a copy: later edits stay local
    return doc


def assert_only_own_errors(raw: bytes, **fmt: bool) -> None:
    """Reading and validating either succeeds or names problems; nothing else may escape."""
    records, problems = parse_bytes(raw, name="mutated", **fmt)
    loaded, more = validate_records(records)
    all_problems = problems + more
    assert all(isinstance(p, Problem) and str(p).startswith("mutated") for p in all_problems)
    if all_problems:
        assert str(InvalidInput(all_problems))
    for item in loaded:
        assert validate_case(item.case.to_document())[0] == item.case


@given(doc=case_doc(), fmt=st.sampled_from(["yaml", "json"]), data=st.data())
def test_structural_mutations_give_only_validation_errors(doc, fmt, data) -> None:
    mutated = mutate_structure({"mishaps": [doc]}, data)
    text = dump_json(mutated) if fmt == "json" else dump_yaml(mutated)
    assert_only_own_errors(text.encode("utf-8"), json_format=fmt == "json")


@given(doc=case_doc(), fmt=st.sampled_from(["yaml", "json"]), data=st.data())
def test_byte_flips_give_only_validation_errors(doc, fmt, data) -> None:
    raw = bytearray((dump_json(doc) if fmt == "json" else dump_yaml(doc)).encode("utf-8"))
    for _ in range(data.draw(st.integers(1, 8), label="flips")):
        i = data.draw(st.integers(0, len(raw) - 1), label="offset")
        raw[i] = data.draw(st.integers(0, 255), label="byte")
    assert_only_own_errors(bytes(raw), json_format=fmt == "json")


@given(data=st.data())
def test_mutations_of_a_real_file_give_only_validation_errors(data) -> None:
    raw = bytearray((HERE / "good_case.yaml").read_bytes())
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        i = data.draw(st.integers(0, len(raw) - 1), label="offset")
        edit = data.draw(st.sampled_from(["flip", "delete", "insert"]), label="edit")
        if edit == "delete":
            del raw[i : i + data.draw(st.integers(1, 20), label="length")]
        else:
            byte = data.draw(st.sampled_from(b":-[]{}&*!|>'\"#%@`,?\n\t \x00\xff"), label="byte")
            raw[i : i + (edit == "flip")] = bytes([byte])
        if not raw:
            break
    assert_only_own_errors(bytes(raw), json_format=False)


# --- CSV -----------------------------------------------------------------------------------

# What the CSV encoding reserves: ";" separates list items, "(...)" holds an aircraft's serial.
_CSV_SAFE = st.characters(
    categories=("L", "N", "P", "S", "Zs"), exclude_characters="\x85\u2028\u2029;()"
)
_csv_text = st.text(_CSV_SAFE, min_size=1, max_size=30).map(str.strip).filter(bool)


def csv_safe(doc: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """The case with the cells CSV splits on (aircraft, causes) drawn without separators."""
    doc = json.loads(json.dumps(doc))
    for plane in doc["aircraft"]:
        plane["type"] = data.draw(_csv_text, label="type")
        if plane.get("serial") is not None:
            plane["serial"] = data.draw(_csv_text, label="serial")
    for finding in doc.get("findings", []):
        if finding["kind"] == "cause":
            finding["text"] = data.draw(_csv_text, label="cause")
    return doc


@given(doc=case_doc(), data=st.data())
def test_any_valid_case_keeps_its_csv_row_through_csv_import(doc, data) -> None:
    from mishaps.csvfile import COLUMNS as CSV_COLUMNS
    from mishaps.csvfile import DERIVED
    from mishaps.output import case_csv_row, to_csv

    case, issues = validate_case(csv_safe(doc, data))
    assert case is not None, issues
    columns = [c for c in CSV_COLUMNS if c not in DERIVED]  # recomputed, not carried
    first = to_csv([case_csv_row(case)], columns)
    records, problems = parse_bytes(first.encode("utf-8"), name="row.csv", csv_format=True)
    loaded, more = validate_records(records)
    assert not problems + more, [str(p) for p in problems + more]
    assert to_csv([case_csv_row(i.case) for i in loaded], columns) == first


@given(doc=case_doc(), data=st.data())
def test_byte_flips_in_csv_give_only_validation_errors(doc, data) -> None:
    from mishaps.csvfile import COLUMNS as CSV_COLUMNS
    from mishaps.output import case_csv_row, to_csv

    case, _ = validate_case(doc)
    assert case is not None
    raw = bytearray(to_csv([case_csv_row(case)], CSV_COLUMNS).encode("utf-8"))
    for _ in range(data.draw(st.integers(1, 8), label="flips")):
        i = data.draw(st.integers(0, len(raw) - 1), label="offset")
        raw[i] = data.draw(st.sampled_from(b',;"()\n\r\x00\xff ab1'), label="byte")
    assert_only_own_errors(bytes(raw), csv_format=True)
