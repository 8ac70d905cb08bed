"""Reading and writing interchange files, safely.

Reading refuses hostile input cleanly: files over a size limit, binary data, text that is not
UTF-8, YAML aliases (the "billion laughs" vector), nesting deeper than any case needs, duplicate
keys. It also keeps the line of every value, so a problem can name its line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from mishaps.errors import Problem
from mishaps.records import Path_, Record

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 32


class _Refused(Exception):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


_BOOL = "tag:yaml.org,2002:bool"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


_RESOLVERS = {  # SafeLoader's implicit resolvers without timestamps and YAML 1.1 booleans
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, _TIMESTAMP)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Loader(yaml.SafeLoader):
    """SafeLoader without aliases, without date parsing, with only true/false as booleans."""

    # A copy for this loader alone (PyYAML keeps resolvers on the class).
    yaml_implicit_resolvers = _RESOLVERS
    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise _Refused(
                "YAML aliases (*name) are not allowed", self.peek_event().start_mark.line + 1
            )
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(
                f"nested deeper than {MAX_DEPTH} levels", self.peek_event().start_mark.line + 1
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# libyaml's parser and composer (C) resolve tags through the same Python resolver table; they are
# ~4x faster than the pure-Python ones and their nodes carry line marks too. A file with an anchor
# (&name: the only way an alias can mean anything) is read by the Python loader above, which
# refuses the alias at its own line; the C one still refuses an alias (a node met twice) and deep
# nesting while the node graph is converted, before anything is expanded.
_FastLoader: Any
if getattr(yaml, "__with_libyaml__", False):

    class _CLoader(yaml.CSafeLoader):
        yaml_implicit_resolvers = _RESOLVERS

    _FastLoader = _CLoader
else:  # PyYAML built without libyaml: the same checks, at Python speed
    _FastLoader = _Loader

# One table shared by both loaders and the dumper, so the booleans are added once for all.
_Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class _Dumper(yaml.SafeDumper):
    """Writes what _Loader reads back unchanged: dates and yes/no need no quotes."""

    yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_presenter)


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def dump_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def read_records(path: Path, *, display: str | None = None) -> tuple[list[Record], list[Problem]]:
    """Parse a YAML or JSON file into its case records; never raises for bad content."""
    name = display or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return [], [Problem(name, f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}")]
        raw = path.read_bytes()
    except IsADirectoryError:
        return [], [Problem(name, "is a directory, not a file")]
    except OSError as exc:
        return [], [Problem(name, f"cannot read: {exc.strerror}")]
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return _from_pdf(raw, name)
    return parse_bytes(raw, name=name, json_format=suffix == ".json", csv_format=suffix == ".csv")


PDF_ATTACHMENT = "mishaps.json"


def _from_pdf(raw: bytes, name: str) -> tuple[list[Record], list[Problem]]:
    """The cases a PDF/A-3 report of ours carries as its ``mishaps.json`` attachment."""
    import io

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        attachments = PdfReader(io.BytesIO(raw)).attachments
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        return [], [Problem(name, f"cannot read this PDF: {exc}")]
    data = attachments.get(PDF_ATTACHMENT)
    if not data:
        return [], [
            Problem(
                name,
                f"this PDF carries no {PDF_ATTACHMENT} attachment"
                " (render reports with --pdf-variant pdf/a-3b)",
            )
        ]
    return parse_bytes(data[0], name=f"{name}!{PDF_ATTACHMENT}", json_format=True)


def parse_bytes(
    raw: bytes, *, name: str, json_format: bool = False, csv_format: bool = False
) -> tuple[list[Record], list[Problem]]:
    if not raw.strip():
        return [], [Problem(name, "file is empty")]
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return [], [Problem(name, "is UTF-16 text; save it as UTF-8")]
    if b"\x00" in raw:
        kind = "CSV" if csv_format else "YAML or JSON"
        return [], [Problem(name, f"is a binary file, not {kind} text")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [
            Problem(name, f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})")
        ]
    if csv_format:
        from mishaps.csvfile import parse_csv

        return parse_csv(text, name=name)
    try:
        data, lines = _parse_json(text) if json_format else _parse_yaml(text)
    except _Refused as exc:
        return [], [Problem(name, str(exc), exc.line)]
    return _split(data, lines, name)


def _parse_yaml(text: str) -> tuple[Any, dict[Path_, int]]:
    bad = yaml.reader.Reader.NON_PRINTABLE.search(text)
    if bad is not None:  # the message both parsers' readers would give, with its line
        line = text.count("\n", 0, bad.start()) + 1
        message = f"not valid YAML: character #x{ord(bad.group()):04x} is not allowed"
        raise _Refused(message, line)
    loader = (_Loader if _ANCHOR.search(text) else _FastLoader)(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = mark.line + 1 if mark else None
        raise _Refused(f"not valid YAML: {exc.problem or exc.context}", where) from None
    except yaml.YAMLError as exc:
        raise _Refused(f"not valid YAML: {exc}") from None
    except RecursionError:
        raise _Refused(f"nested deeper than {MAX_DEPTH} levels") from None
    finally:
        loader.dispose()
    if node is None:
        raise _Refused("file holds no data")
    lines: dict[Path_, int] = {}
    return _Converter(loader, lines).convert(node, ()), lines


_STR_TAG = "tag:yaml.org,2002:str"
# An anchor token starts a node: at a line's start, after white space or a flow indicator. "R&D"
# and "Air & Space" are not anchors.
_ANCHOR = re.compile(r"(?:^|[\s\[{,])&[^\s\[\]{},]", re.MULTILINE)


class _Converter:
    """Turns a composed node graph into plain data, noting each value's line.

    Aliases are refused here: an alias is the same node object met a second time. Depth is the
    length of the path. Plain text, most of a case, is taken as it is; other scalars go through
    the loader's constructor (numbers, null, true/false).
    """

    def __init__(self, loader: Any, lines: dict[Path_, int]) -> None:
        self.loader = loader
        self.lines = lines
        self.seen: set[int] = set()

    def convert(self, node: yaml.Node, path: Path_) -> Any:
        line = node.start_mark.line + 1
        self.lines[path] = line
        if id(node) in self.seen:
            raise _Refused("YAML aliases (*name) are not allowed", line)
        self.seen.add(id(node))
        if len(path) >= MAX_DEPTH:  # depth counts every node, keys too, as the Python loader does
            raise _Refused(f"nested deeper than {MAX_DEPTH} levels", line)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
        if node.tag == _STR_TAG:
            return node.value
        try:
            return self.loader.construct_object(node)
        except yaml.YAMLError as exc:
            raise _Refused(f"bad value: {exc}", line) from None

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if len(path) + 2 > MAX_DEPTH:
                raise _Refused(f"nested deeper than {MAX_DEPTH} levels", key_line)
            if id(key_node) in self.seen:
                raise _Refused("YAML aliases (*name) are not allowed", key_line)
            self.seen.add(id(key_node))
            key = key_node.value if key_node.tag == _STR_TAG else None
            if not isinstance(key, str):
                raise _Refused("mapping keys must be text", key_line)
            if key in out:
                raise _Refused(f"key {key!r} appears twice in one mapping", key_line)
            out[key] = self.convert(value_node, (*path, key))
            self.lines[(*path, key)] = key_line
        return out


def _parse_json(text: str) -> tuple[Any, dict[Path_, int]]:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(items)
        if len(out) != len(items):  # rare: find the first repeated key, for the message
            seen: set[str] = set()
            for key, _ in items:
                if key in seen:
                    raise _Refused(f"key {key!r} appears twice in one object")
                seen.add(key)
        return out

    try:
        data = json.loads(text, object_pairs_hook=pairs, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise _Refused(f"not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from None
    except RecursionError:
        raise _Refused(f"nested deeper than {MAX_DEPTH} levels") from None
    if _too_deep(data):
        raise _Refused(f"nested deeper than {MAX_DEPTH} levels")
    return data, {}


def _no_constant(name: str) -> Any:
    raise _Refused(f"not valid JSON: {name} is not a number JSON allows")


def _too_deep(value: Any) -> bool:
    """Whether containers nest deeper than MAX_DEPTH (a loop over containers only: a recursive
    walk over every value was a third of the time to read a large file)."""
    stack = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, level = stack.pop()
        if level > MAX_DEPTH:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, level + 1) for c in children if isinstance(c, dict | list))
    return False


def _split(data: Any, lines: dict[Path_, int], name: str) -> tuple[list[Record], list[Problem]]:
    if isinstance(data, dict) and "mishaps" in data:
        extra = sorted(k for k in data if k != "mishaps")
        if extra:
            return [], [
                Problem(
                    name,
                    f"unknown top-level key {extra[0]!r} beside 'mishaps'",
                    lines.get((extra[0],)),
                )
            ]
        items = data["mishaps"]
        if not isinstance(items, list):
            return [], [
                Problem(name, "'mishaps' must hold a list of cases", lines.get(("mishaps",)))
            ]
        # The lines of each record, in one pass (a pass per record was quadratic in big files).
        subs: list[dict[Path_, int]] = [{} for _ in items]
        for p, line in lines.items():
            if len(p) >= 2 and p[0] == "mishaps" and isinstance(p[1], int):
                subs[p[1]][p[2:]] = line
        return [Record(name, i, item, subs[i]) for i, item in enumerate(items)], []
    if isinstance(data, dict):
        return [Record(name, 0, data, lines)], []
    return [], [
        Problem(name, "must hold one case (a mapping) or 'mishaps:' with a list of cases", 1)
    ]


def atomic_write(path: Path, data: bytes) -> None:
    """Write a file whole or not at all: a temporary file beside it, then a rename."""
    import os
    import tempfile

    from mishaps.errors import MishapsError

    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=directory)
    except OSError as exc:
        raise MishapsError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise MishapsError(f"cannot write {path}: {exc.strerror}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
