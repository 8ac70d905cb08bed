"""How many values an input file holds, counted before it is parsed (issue 11, item 5).

Parsing costs memory per value, not per byte: 64 MiB of ``[[],[],...]`` is 22 million lists,
over 1.5 GiB once parsed, and a YAML node costs ~10x a JSON value (libyaml's nodes carry two
marks each). So a file may hold at most so many values, counted from its bytes first:

- an upper bound from separators alone (one pass over the text: 0.07 s on 27 MB of JSON, ~3% of
  parsing it), enough for every real file;
- over it, a lower bound from the quotes (millions of tiny strings are refused at once);
- between the two, the exact count: JSON and CSV with their quoted text cut out, YAML by its
  parser's events (stopping one past the limit, so a refusal costs seconds, not minutes).
"""

from __future__ import annotations

import re
from typing import Any

# Every key, value, list and mapping counts once. A real case is ~25 bytes a value (~110 values
# in ~2.7 kB; bench/synth.py's cases and the seed files alike), so 64 MiB of real JSON is ~2.7
# million values; four million leaves room for terse files. At the limit the worst shapes
# (tiny values, empty mappings) cost under 1 GiB to read (tests/test_bad_files.py).
MAX_VALUES = 4_000_000
# YAML is composed into nodes first (~500 bytes each with their marks, against ~60 for a JSON
# value), so it gets fewer: 1.2 million values is ~11,000 real cases, ~30 MB of YAML.
MAX_YAML_VALUES = 1_200_000
# A CSV cell is a value (a blank line counts as one cell).
MAX_CSV_CELLS = MAX_VALUES
# Below those caps, a smaller file may hold fewer: at most one JSON value per 6 bytes and one
# YAML node per 10 (real cases take ~25 and ~15-20), and always FLOOR. So memory stays within
# ~50x a file's size however small and dense it is (`[{},{},...]` is 3 bytes a value), not only
# under 1 GiB.
JSON_BYTES_PER_VALUE = 6
YAML_BYTES_PER_VALUE = 10
FLOOR = 100_000

_NOT_JSON_SEPARATORS = bytes(b for b in range(256) if b not in b",:[{")
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_CSV_QUOTED = re.compile(rb'"[^"]*"')
_YAML_BLANKS = " \t\n\r\x85\u2028\u2029"  # what libyaml takes for a blank or a line break


def excess(raw: bytes, *, kind: str) -> str | None:
    """Why ``raw`` holds too many values to read (``kind``: json, csv), or None."""
    if kind == "csv":
        return _message(_csv_cells(raw), MAX_CSV_CELLS, "cells")
    limit, rule = limit_for(len(raw), MAX_VALUES, JSON_BYTES_PER_VALUE)
    return _message(_json_values(raw, limit), limit, "values", rule)


def yaml_excess(text: str, loader: Any) -> str | None:
    """Why the YAML ``text`` holds too many nodes to compose, or None. ``loader``: a loader
    class, whose parser counts the nodes when the bound is not enough."""
    # Characters, not bytes (no copy of a big text to count them): never more than its bytes.
    limit, rule = limit_for(len(text), MAX_YAML_VALUES, YAML_BYTES_PER_VALUE, "characters")
    return _message(_yaml_values(text, loader, limit), limit, "values", rule)


def limit_for(size: int, cap: int, per_value: int, unit: str = "bytes") -> tuple[int, str]:
    """The most values a file of ``size`` bytes (or characters) may hold, and the rule that set
    it when that is the file's size rather than ``cap``."""
    by_size = max(FLOOR, size // per_value)
    if by_size >= cap:
        return cap, ""
    return by_size, f" for a file of {size:,} {unit} (one per {per_value} {unit})"


def _message(count: int, limit: int, what: str, rule: str = "") -> str | None:
    if count <= limit:
        return None
    return f"holds more than {limit:,} {what}; the limit is {limit:,}{rule}"


def _json_values(raw: bytes, limit: int = MAX_VALUES) -> int:
    """A count that is exact when it is over ``limit`` (at most the limit otherwise).

    Outside strings, each value after a list's or mapping's first follows a comma, each key
    comes before a colon and each first member after its bracket.
    """
    upper = 1 + len(raw.translate(None, _NOT_JSON_SEPARATORS))  # one pass, not four
    if upper <= limit:
        return upper
    strings = (raw.count(b'"') - raw.count(b'\\"')) // 2  # every string is a value or a key
    if strings > limit:
        return strings
    bare = _JSON_STRING.sub(b"", raw).translate(None, b" \t\r\n")
    separators = sum(bare.count(c) for c in (b",", b":", b"[", b"{"))
    return 1 + separators - bare.count(b"[]") - bare.count(b"{}")


def _csv_cells(raw: bytes) -> int:
    """Cells (a blank line is one); exact, outside quoted cells, when over MAX_CSV_CELLS."""
    upper = 1 + sum(raw.count(c) for c in (b",", b"\n", b"\r"))
    if upper <= MAX_CSV_CELLS:
        return upper
    quoted = (raw.count(b'"') - 2 * raw.count(b'""')) // 2  # every quoted cell is a cell
    if quoted > MAX_CSV_CELLS:
        return quoted
    bare = _CSV_QUOTED.sub(b"", raw)
    rows = bare.count(b"\n") + bare.count(b"\r") - bare.count(b"\r\n")
    return bare.count(b",") + rows + (not bare.endswith((b"\n", b"\r")))


def _yaml_values(text: str, loader: Any, limit: int = MAX_YAML_VALUES) -> int:
    """Nodes, keys included; an upper bound from indicators, else the parser's events.

    A ``-`` followed by a blank or a break (an entry) adds one node, a ``[`` one (its first
    entry); a ``:``, ``,``, ``{`` or ``?`` at most two (a key and its value, null when absent).
    So the bound holds for every YAML text; real cases come out ~15% over the true count.
    """
    import yaml

    entries = sum(text.count("-" + c) for c in _YAML_BLANKS) + text.endswith("-")
    upper = 1 + entries + text.count("[") + 2 * sum(text.count(c) for c in ":,{?")
    if upper <= limit:
        return upper
    nodes = (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent, yaml.AliasEvent)
    parser = loader(text)
    count = 0
    try:
        while count <= limit and parser.check_event():
            if isinstance(parser.get_event(), nodes):
                count += 1
    except yaml.YAMLError:
        pass  # the parse that follows reports it, with its line
    finally:
        parser.dispose()
    return count
