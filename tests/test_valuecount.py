"""The count of values made before parsing (mishaps.valuecount): a file is refused exactly when
it holds more values than the limit, whatever its text hides in strings and quoted cells.

Each sample is checked with the limit set at its true count (accepted) and one below (refused),
the true count coming from the real parsers.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
import yaml

from mishaps import valuecount
from mishaps.files import _FastLoader


def _nodes(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + sum(1 + _nodes(v) for v in value.values())
    if isinstance(value, list):
        return 1 + sum(_nodes(v) for v in value)
    return 1


JSON = [
    '{"a": "x, y: [z] {w}", "b": [1, 2, [], {}], "c": {}, "d": "\\"q,\\\\", "e": null}',
    '[[], [[]], {"k": []}, "]", "[", ",,,:::", 1.5e3, true]',
    '{ "mishaps" : [ { } , { "id" : "a-b" } , [ ] ] }',
    '"just text, with: commas"',
    "[" + ",".join(['"ab"'] * 50) + "]",
    "[" + ",".join(["{}"] * 50) + "]",
]
YAML = [
    "a: b\nc:\n  - d\n  - e: f\n    g: [h, i, {j: k}]\n",
    "{a, b, c: d}\n",
    "? x\n: y\n? z\n",
    "[a: b, c]\n",
    "title: 'a - b: c, d'\nsummary: |\n  text - with: colons, and [brackets]\nn: -3\n",
    "- - - a\n- []\n- {}\n- \n",
    "[" + ",".join(["a"] * 50) + "]\n",
    "--- \n- -1\n- 2-3\n- 1950-11-16\n-\n- - x\n",
    "{a}\n",
    "[x, a: b, {c}, [d, e]]\n",
    "a: &x 1\nb: *x\nc: [*x, *x]\n",
    "key:\n- a\n- b:\n  c: d\n? e\n",
    "- a\x85-\x85- c\n",
    "x:\u2028- a\u2028-\u2028",
    "- a\n-",
]
CSV = [
    'id,title\na,"b, c"\nd,"e ""f"", g\nh"\n',
    "id,title\r\na,b\r\n\r\nc,d",
    'x,y,z\n"",,""\n',
    "a\n" * 50,
]


def _json_true(text: str) -> int:
    return _nodes(json.loads(text))


def _yaml_true(text: str) -> int:
    def count(node: yaml.Node) -> int:
        if isinstance(node, yaml.MappingNode):
            return 1 + sum(count(k) + count(v) for k, v in node.value)
        if isinstance(node, yaml.SequenceNode):
            return 1 + sum(count(v) for v in node.value)
        return 1

    return count(yaml.compose(text, Loader=yaml.CSafeLoader))


def _csv_true(text: str) -> int:
    return sum(max(len(row), 1) for row in csv.reader(io.StringIO(text, newline="")))


def _refused(kind: str, text: str) -> bool:
    if kind == "yaml":
        return valuecount.yaml_excess(text, _FastLoader) is not None
    return valuecount.excess(text.encode(), kind=kind) is not None


@pytest.mark.parametrize(
    ("kind", "text"),
    [("json", t) for t in JSON] + [("yaml", t) for t in YAML] + [("csv", t) for t in CSV],
)
def test_a_file_is_refused_exactly_when_it_holds_more_than_the_limit(monkeypatch, kind, text):
    true = {"json": _json_true, "yaml": _yaml_true, "csv": _csv_true}[kind](text)
    limit = {"json": "MAX_VALUES", "yaml": "MAX_YAML_VALUES", "csv": "MAX_CSV_CELLS"}[kind]
    monkeypatch.setattr(valuecount, limit, true)
    assert not _refused(kind, text)
    monkeypatch.setattr(valuecount, limit, true - 1)
    assert _refused(kind, text)


def test_the_message_names_the_limit(monkeypatch) -> None:
    monkeypatch.setattr(valuecount, "MAX_VALUES", 3)
    assert valuecount.excess(b"[1, 2, 3]", kind="json") == (
        "holds more than 3 values; the limit is 3"
    )
    monkeypatch.setattr(valuecount, "MAX_CSV_CELLS", 1_000)
    assert valuecount.excess(b"a,b\n" * 600, kind="csv") == (
        "holds more than 1,000 cells; the limit is 1,000"
    )


def test_real_cases_are_far_under_the_limits() -> None:
    """~25 bytes a value: 64 MiB of real cases is ~2.7 million values, under the JSON limit."""
    from mishaps.api import seed_files
    from mishaps.files import MAX_FILE_BYTES

    texts = [p.read_text() for p in seed_files()]
    per_value = sum(len(t.encode()) for t in texts) / sum(_yaml_true(t) for t in texts)
    assert per_value > 20
    assert MAX_FILE_BYTES / per_value < 0.85 * valuecount.MAX_VALUES


def test_a_large_real_casebook_passes_the_count() -> None:
    """20,000 realistic cases in one JSON file (~54 MB) and 10,000 in one YAML file (~27 MB)
    are read, not refused (bench/synth.py's cases, 200 of them repeated: the count looks
    only at the text)."""
    import importlib.util
    from pathlib import Path

    from mishaps.files import MAX_FILE_BYTES, dump_yaml

    spec = importlib.util.spec_from_file_location(
        "synth", Path(__file__).parent.parent / "bench" / "synth.py"
    )
    assert spec is not None and spec.loader is not None
    synth = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(synth)
    cases = list(synth.Generator(1958).cases(200))
    raw = json.dumps({"mishaps": cases * 100}).encode()
    assert 50 * 2**20 < len(raw) < MAX_FILE_BYTES
    assert valuecount.excess(raw, kind="json") is None
    items = dump_yaml({"mishaps": cases}).removeprefix("mishaps:\n")  # (no aliases)
    text = "mishaps:\n" + items * 50
    assert len(text) > 25 * 2**20
    assert valuecount.yaml_excess(text, _FastLoader) is None
