"""Reading and writing interchange files, safely.

Reading refuses hostile input cleanly: files over a size limit, binary data, text that is not
UTF-8, YAML aliases (the "billion laughs" vector), nesting deeper than any case needs, duplicate
keys. It also keeps the line of every value, so a problem can name its line.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, BinaryIO

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


# Characters YAML reads as line breaks besides \n: NEXT LINE, LINE and PARAGRAPH SEPARATOR. In a
# plain, single-quoted or block scalar they are folded or normalised on the way back in; only
# the double-quoted style writes them as escapes (\N, \L, \P) that read back as themselves.
_YAML_BREAKS = ("\x85", "\u2028", "\u2029", "\r")


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if any(c in value for c in _YAML_BREAKS):
        style: str | None = '"'
    else:
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
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > MAX_FILE_BYTES:
                return [], [
                    Problem(name, f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}")
                ]
            # A FIFO or device (/dev/zero) has no size to check first: read one byte past the
            # limit, never more.
            raw = fh.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            del raw
            return [], [
                Problem(
                    name,
                    f"file is more than {MAX_FILE_BYTES:,} bytes; the limit is {MAX_FILE_BYTES:,}",
                )
            ]
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
    """The cases a PDF/A-3 report of ours carries as its ``mishaps.json`` attachment.

    The attachment is inflated here, not by pypdf, so that the file size limit applies to what
    it inflates to, and is checked while inflating (a 60 KB PDF can hold gigabytes of zeros).
    """
    import io

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        stream = _attachment_stream(PdfReader(io.BytesIO(raw)), PDF_ATTACHMENT)
        data = None if stream is None else _inflate(stream, name)
    except _Refused as exc:
        return [], [Problem(name, str(exc))]
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
        return [], [Problem(name, f"cannot read this PDF: {exc}")]
    if not data:
        return [], [
            Problem(
                name,
                f"this PDF carries no {PDF_ATTACHMENT} attachment"
                " (render reports with --pdf-variant pdf/a-3b)",
            )
        ]
    return parse_bytes(data, name=f"{name}!{PDF_ATTACHMENT}", json_format=True)


def _attachment_stream(reader: Any, wanted: str) -> Any:
    """The embedded file stream named ``wanted`` in the EmbeddedFiles name tree, or None."""
    root = reader.trailer["/Root"]
    names = root.get("/Names")
    tree = names.get_object().get("/EmbeddedFiles") if names is not None else None
    pending = [tree.get_object()] if tree is not None else []
    seen = 0
    while pending:
        node = pending.pop()
        seen += 1
        if seen > 10_000:  # a name tree that loops or sprawls
            raise _Refused("the PDF's attachment list is too large to read")
        for kid in node.get("/Kids", []):
            pending.append(kid.get_object())
        pairs = list(node.get("/Names", []))
        for key, spec in zip(pairs[::2], pairs[1::2], strict=False):
            if str(key) == wanted:
                return spec.get_object()["/EF"]["/F"].get_object()
    return None


def _inflate(stream: Any, name: str) -> bytes:
    """The stream's data, inflated at most to MAX_FILE_BYTES (a deflate bomb stops there)."""
    import zlib

    filters = stream.get("/Filter")
    if filters is not None and not isinstance(filters, str):
        filters = list(filters)
        filters = filters[0] if len(filters) == 1 else filters
    encoded = stream._data  # the bytes as stored, before pypdf would inflate them all
    if filters is None:
        data = bytes(encoded)
    elif filters == "/FlateDecode" and not stream.get("/DecodeParms"):
        inflater = zlib.decompressobj()
        try:
            data = inflater.decompress(bytes(encoded), MAX_FILE_BYTES + 1)
        except zlib.error as exc:
            raise _Refused(f"cannot read this PDF's {PDF_ATTACHMENT} attachment: {exc}") from None
        if len(data) > MAX_FILE_BYTES or inflater.unconsumed_tail:
            raise _Refused(
                f"the attachment {PDF_ATTACHMENT} inflates to more than {MAX_FILE_BYTES:,}"
                " bytes, the limit"
            )
    else:
        raise _Refused(
            f"the attachment {PDF_ATTACHMENT} is encoded with {filters}; mishaps reads only"
            " plain or /FlateDecode attachments"
        )
    return data


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
    if json_format or csv_format:  # YAML's nodes are counted by its parser, in _parse_yaml
        from mishaps.valuecount import excess

        too_many = excess(raw, kind="csv" if csv_format else "json")
        if too_many:
            return [], [Problem(name, too_many)]
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
    from mishaps.valuecount import yaml_excess

    too_many = yaml_excess(text, _FastLoader)  # first: it is the cheapest look at a big file
    if too_many:
        raise _Refused(too_many)
    bad = yaml.reader.Reader.NON_PRINTABLE.search(text)
    if bad is not None:  # the message both parsers' readers would give, with its line
        line = text.count("\n", 0, bad.start()) + 1
        message = f"not valid YAML: character #x{ord(bad.group()):04x} is not allowed"
        raise _Refused(message, line)
    # (The regex takes seconds on 64 MiB; most files hold no "&" at all.)
    anchored = "&" in text and _ANCHOR.search(text) is not None
    loader = (_Loader if anchored else _FastLoader)(text)
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
        # (JSON keeps no lines: its records share one empty mapping, never written to.)
        subs: dict[int, dict[Path_, int]] = {}
        for p, line in lines.items():
            if len(p) >= 2 and p[0] == "mishaps" and isinstance(p[1], int):
                subs.setdefault(p[1], {})[p[2:]] = line
        none: dict[Path_, int] = {}
        return [Record(name, i, item, subs.get(i, none)) for i, item in enumerate(items)], []
    if isinstance(data, dict):
        return [Record(name, 0, data, lines)], []
    return [], [
        Problem(name, "must hold one case (a mapping) or 'mishaps:' with a list of cases", 1)
    ]


Producer = Callable[[Path], None]  # writes the whole output into the file at the path given

DATABASE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def write_output(
    target: Path | str,
    data: bytes | Producer,
    *,
    protect: Iterable[Path] = (),
    max_mode: int = 0o666,
) -> None:
    """Write an output file the one safe way; every command that writes a file comes here.

    - ``-`` is standard output.
    - ``protect`` names the database in use: it, its ``-wal``, ``-shm`` and ``-journal`` files
      and anything that resolves to them are refused, so no output can overwrite the database.
    - A symlink is followed: its target is written, the link stays.
    - A FIFO, a device or another non-regular file is opened and written straight through, never
      replaced by a regular file.
    - A regular file is replaced atomically (a temporary file beside it, then a rename) and keeps
      its permission bits (and, when we may, its owner); a new file gets 0666 less the umask (and
      no more than ``max_mode``), as any other program's output would.

    ``data`` is the bytes, or a function that writes the output into a file at a given path
    (a database copy is made in place that way, not in memory).
    """
    from mishaps.errors import MishapsError

    if str(target) == "-":
        _to_stream(sys.stdout.buffer, data)
        sys.stdout.flush()
        return
    path = Path(target)
    real = Path(os.path.realpath(path))
    _refuse_database(path, real, protect)
    try:
        st: os.stat_result | None = os.stat(real)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise MishapsError(f"cannot write {path}: {exc.strerror}") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise MishapsError(f"cannot write {path}: it is a directory")
    try:
        if st is not None and not stat.S_ISREG(st.st_mode):
            with open(real, "wb") as fh:  # a FIFO or device: written, never replaced
                _to_stream(fh, data)
            return
        mode = stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_umask() & max_mode
        _replace_atomically(real, data, mode, st)
    except OSError as exc:
        raise MishapsError(f"cannot write {path}: {exc.strerror or exc}") from None


def _to_stream(fh: BinaryIO, data: bytes | Producer) -> None:
    if isinstance(data, bytes):
        fh.write(data)
        return
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory() as directory:  # a producer needs a file to write into
        made = Path(directory) / "output"
        data(made)
        with open(made, "rb") as src:
            shutil.copyfileobj(src, fh, 1024 * 1024)


def _replace_atomically(
    real: Path, data: bytes | Producer, mode: int, st: os.stat_result | None
) -> None:
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".part", dir=real.parent)
    try:
        if isinstance(data, bytes):
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        else:
            os.close(fd)
            data(Path(tmp))
        os.chmod(tmp, mode)
        if st is not None and (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
            with contextlib.suppress(OSError):  # only root may give a file away; keep trying
                os.chown(tmp, st.st_uid, st.st_gid)
        os.replace(tmp, real)
    finally:
        for leftover in (tmp, tmp + "-journal", tmp + "-wal", tmp + "-shm"):
            Path(leftover).unlink(missing_ok=True)


def _umask() -> int:
    """The process umask (reading it means setting it: at once set back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _refuse_database(path: Path, real: Path, protect: Iterable[Path]) -> None:
    from mishaps.errors import MishapsError

    try:
        target_id: tuple[int, int] | None = (os.stat(real).st_dev, os.stat(real).st_ino)
    except OSError:
        target_id = None
    for db in protect:
        db_real = os.path.realpath(db)
        for suffix in DATABASE_COMPANIONS:
            companion = Path(db_real + suffix)
            same = real == companion
            if not same and target_id is not None:
                try:
                    st = os.stat(companion)
                    same = (st.st_dev, st.st_ino) == target_id  # a hard link to it
                except OSError:
                    pass
            if same:
                raise MishapsError(
                    f"{path} is the database in use (or its {suffix or 'main'} file);"
                    " choose another file"
                )
