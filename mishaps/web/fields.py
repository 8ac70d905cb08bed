"""The format's field documentation, read from ``docs/format.md``: one description, two readers.

The web metadata describes each stored column with the words the format documents for its field,
so the browser and the docs cannot drift apart: a field documented in the format is described in
the browser the day it is added, and a column that maps to no documented field (and is not one the
tool derives, see ``mishaps.web.metadata``) fails ``tests/test_web.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from mishaps.config import docs_dir


@dataclass(frozen=True)
class FieldDoc:
    path: str  # e.g. "location.latitude", "aircraft.type", "findings.hfacs"
    type: str  # the type or values column, markdown stripped
    required: str | None
    meaning: str


# Section headings that name a list of records: the field path uses the key of the list.
_LIST_SECTIONS = {"aircraft": "aircraft", "finding": "findings", "source": "sources"}
_HEADING = re.compile(r"^(#{2,3})\s+(.*\S)\s*$")
_CODE = re.compile(r"`([^`]*)`")


def format_doc() -> Path:
    return docs_dir() / "format.md"


def _plain(cell: str) -> str:
    """A markdown cell as plain text: code spans unwrapped, emphasis and escapes removed."""
    text = _CODE.sub(r"\1", cell.strip())
    return text.replace("**", "").replace("\\|", "|").strip()


def _cells(line: str) -> list[str]:
    # Split on pipes that are not escaped (`a \| b` is one cell).
    inner = line.strip().strip("|")
    return [c.replace("\\|", "|") for c in re.split(r"(?<!\\)\|", inner)]


def _prefix(heading: str) -> str | None:
    """The field path prefix a section's table documents, or None for sections of no fields."""
    name = _CODE.sub(r"\1", heading).split("(")[0].strip()
    if name.lower().startswith("case"):
        return ""
    if name.lower() in _LIST_SECTIONS:
        return _LIST_SECTIONS[name.lower()] + "."
    if re.fullmatch(r"[a-z_]+", name):  # a `mapping` section such as `location`
        return name + "."
    return None


def parse(text: str) -> dict[str, FieldDoc]:
    """Every field row of every ``| field | ... |`` table, by its dotted path."""
    docs: dict[str, FieldDoc] = {}
    prefix: str | None = None
    header: list[str] | None = None
    for line in text.splitlines():
        heading = _HEADING.match(line)
        if heading:
            prefix, header = _prefix(heading[2]), None
            continue
        if not line.startswith("|"):
            header = None
            continue
        cells = [_plain(c) for c in _cells(line)]
        if header is None:
            header = [c.lower() for c in cells]
            continue
        if set("".join(cells)) <= set("-: ") or prefix is None or header[0] != "field":
            continue
        row = dict(zip(header, cells, strict=False))
        path = prefix + row["field"]
        docs[path] = FieldDoc(
            path=path,
            type=row.get("type") or row.get("values") or "",
            required=row.get("required"),
            meaning=row.get("meaning", ""),
        )
    return docs


@cache
def field_docs() -> dict[str, FieldDoc]:
    return parse(format_doc().read_text(encoding="utf-8"))
