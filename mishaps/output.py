"""Rendering query results for people (tables, text) and for pipes (JSON, CSV, YAML)."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mishaps.schema import Case

# What only a whole case needs (classes, csvfile, files, schema, taxonomy: pydantic and PyYAML)
# is imported in the functions below: `mishaps list` never loads it (issue 16).

UNKNOWN = "unknown"


def show_value(value: Any) -> str:
    """A value for people: unknown stays "unknown", never blank or 0."""
    if value is None:
        return UNKNOWN
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


# What a terminal would act on rather than show: C0 and C1 controls (ESC starts the sequences
# that clear the screen or retitle the window; 0x9B is a one-byte CSI), DEL, and the bidi and
# line-separator formatting characters that reorder or break what is shown ("Trojan Source").
_TERMINAL_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_TERMINAL_UNSAFE_LINE = re.compile("[\n" + _TERMINAL_UNSAFE.pattern[1:])


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str, *, keep_newlines: bool = True) -> str:
    """Text for a terminal: control characters shown escaped (ESC as ``\\x1b``), never sent.
    Only the people formats (tables, `show` text) pass through here; JSON, YAML and CSV keep the
    data as it is, each escaping in its own way where it must."""
    pattern = _TERMINAL_UNSAFE if keep_newlines else _TERMINAL_UNSAFE_LINE
    return pattern.sub(_escape, text)


def money(value: float | None) -> str:
    if value is None:
        return UNKNOWN
    return f"${value:,.2f}" if value % 1 else f"${int(value):,}"


def table(
    rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]], *, max_width: int = 60
) -> str:
    """A plain fixed-width table; long cells are cut with an ellipsis."""

    def cell(row: dict[str, Any], key: str) -> str:
        text = terminal_safe(show_value(row.get(key)), keep_newlines=False)
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    cells = [[cell(r, k) for k, _ in columns] for r in rows]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, (_, h) in enumerate(columns)]
    lines = ["  ".join(h.ljust(w) for (_, h), w in zip(columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    return "\n".join(lines) + "\n"


# A spreadsheet evaluates a cell that begins with one of these as a formula (OWASP, "CSV
# Injection"); the apostrophe is added to such text, and to text that begins with an apostrophe
# itself, so that the reader (csvfile.unneutralise) can take exactly one off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISER = "'"


def neutralise(value: Any) -> Any:
    """A text cell a spreadsheet will show as text; numbers (-90.25) stay numbers."""
    if isinstance(value, str) and value.startswith((*FORMULA_STARTS, NEUTRALISER)):
        return NEUTRALISER + value
    return value


def to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """CSV with a header row; an empty cell means unknown; text that a spreadsheet would run as
    a formula is neutralised (``neutralise``)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([neutralise(c) for c in columns])
    for r in rows:
        writer.writerow(["" if r.get(c) is None else neutralise(r.get(c)) for c in columns])
    return buf.getvalue()


def to_json(data: Any) -> str:
    chunks = json_chunks(data)
    if chunks is None:
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return "".join(chunks)


class Records(Sequence[dict[str, Any]]):
    """Rows as tuples beside their keys, read as dicts where a dict is needed: how a large
    listing travels to the JSON writer (a dict per row was a sixth of `mishaps list`'s time on
    46,000 rows, issue 16)."""

    __slots__ = ("keys", "tuples")

    def __init__(self, keys: Sequence[str], tuples: Sequence[Sequence[Any]]) -> None:
        self.keys = tuple(keys)
        self.tuples = tuples

    def __len__(self) -> int:
        return len(self.tuples)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [dict(zip(self.keys, t, strict=True)) for t in self.tuples[i]]
        return dict(zip(self.keys, self.tuples[i], strict=True))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        keys = self.keys
        return (dict(zip(keys, t, strict=True)) for t in self.tuples)


CHUNK_ROWS = 2_000  # rows per piece of streamed JSON: few writes, little text held at once


def json_chunks(data: Any) -> Iterator[str] | None:
    """``json.dumps(data, indent=2, ensure_ascii=False) + "\\n"``, byte for byte, in pieces,
    for a list of mappings (the rows commands print) or ``Records``; None for anything else.

    With ``indent`` the json module falls back to its pure-Python encoder: 45,000 rows took
    0.45 s, more than the query. Here the rows' scalars are written directly, strings through
    json's C encoder; any other value is ``json.dumps``'d and indented to its depth.
    """
    if type(data) is Records:
        keys, tuples = data.keys, data.tuples
    elif type(data) is list and data and all(type(row) is dict for row in data):
        keys, tuples = None, data
    else:
        return None
    return _json_pieces(keys, tuples)


def _json_pieces(keys: tuple[str, ...] | None, rows: Sequence[Any]) -> Iterator[str]:
    if not rows:
        yield "[]\n"
        return
    enc = json.encoder.encode_basestring  # the C version when the interpreter has it
    names: dict[Any, str] = {}

    def name(k: Any) -> str:
        text = names.get(k)
        if text is None:  # json.dumps turns non-text keys into text, or refuses them
            quoted = enc(k) if type(k) is str else json.dumps({k: 0}, ensure_ascii=False)[1:-4]
            text = names[k] = f"    {quoted}: "
        return text

    def value(v: Any) -> str:
        t = type(v)
        if t is str:
            return enc(v)
        if v is None:
            return "null"
        if t is bool:
            return "true" if v else "false"
        if t is int or (t is float and math.isfinite(v)):
            return repr(v)
        # Nested or unusual: the encoder's own text, its inner lines indented to this depth.
        return json.dumps(v, indent=2, ensure_ascii=False).replace("\n", "\n    ")

    prefixes = None if keys is None else [name(k) for k in keys]
    opening = "[\n"
    for start in range(0, len(rows), CHUNK_ROWS):
        chunk = rows[start : start + CHUNK_ROWS]
        if prefixes:
            yield opening + _json_columns(prefixes, chunk, value)
        else:
            out = []
            for row in chunk:
                pairs = zip(prefixes, row, strict=True) if prefixes is not None else row.items()
                items = [(p if prefixes is not None else name(p)) + value(v) for p, v in pairs]
                out.append("  {\n" + ",\n".join(items) + "\n  }" if items else "  {}")
            yield opening + ",\n".join(out)
        opening = ",\n"
    yield "\n]\n"


def _json_columns(prefixes: list[str], rows: Sequence[Any], value: Callable[[Any], str]) -> str:
    """Rows of one shape as indented JSON objects, encoded a column at a time: a column of text
    or of integers goes through json's C string encoder or ``int.__repr__`` by ``map``, and each
    row is one ``%`` of a template, so that no line of Python runs per value (46,000 rows: the
    per-value encoding was most of `mishaps list --format json` beyond the query, issue 16)."""
    enc = json.encoder.encode_basestring
    columns = list(zip(*rows, strict=True))  # ValueError for a row of another length
    if len(columns) != len(prefixes):
        raise ValueError(f"rows of {len(columns)} values for {len(prefixes)} keys")
    encoded = []
    for column in columns:
        kinds = set(map(type, column))
        if kinds <= {str}:
            encoded.append(list(map(enc, column)))
        elif kinds <= {int}:
            encoded.append(list(map(int.__repr__, column)))
        elif kinds <= {str, type(None)}:
            encoded.append(["null" if v is None else enc(v) for v in column])
        elif kinds <= {int, type(None)}:
            encoded.append(["null" if v is None else repr(v) for v in column])
        else:
            encoded.append(list(map(value, column)))
    template = "  {\n" + ",\n".join(p.replace("%", "%%") + "%s" for p in prefixes) + "\n  }"
    return ",\n".join(map(template.__mod__, zip(*encoded, strict=True)))


@dataclass(frozen=True)
class Listing:
    """Rows for output, and how each format shows them: every command that prints rows makes
    one and hands it to ``render`` (JSON and CSV for pipes carry ``rows``; a table for people
    shows ``shown``, which may spell values out)."""

    rows: Sequence[dict[str, Any]]
    columns: Sequence[tuple[str, str]]  # the table's (key, header) pairs
    csv_columns: Sequence[str] | None = None  # default: every key of the rows
    shown: Sequence[dict[str, Any]] | None = None  # the table's rows; default: ``rows``
    document: dict[str, Any] | None = None  # JSON: the rows inside this object, at ``rows_key``
    rows_key: str = "rows"
    after: dict[str, Any] | None = None  # JSON: keys after the rows
    count: str | None = None  # after a table, on stderr ("16 cases")
    empty: str | None = None  # instead of an empty table, on stderr ("No cases match.")
    footer: str | None = None  # after a table, on stdout
    notes: Sequence[str] = field(default_factory=tuple)  # on stderr, whatever the format
    max_width: int = 60


@dataclass(frozen=True)
class Rendered:
    stdout: str
    stderr: list[str]


FORMATS = ("table", "json", "csv")


def render(listing: Listing, fmt: str) -> Rendered:
    """The one output path: a listing as a table, JSON or CSV."""
    pieces: list[str] = []
    stderr = write(listing, fmt, pieces.append)
    return Rendered("".join(pieces), stderr)


def write(listing: Listing, fmt: str, out: Callable[[str], Any]) -> list[str]:
    """``render``, handing stdout's text to ``out`` piece by piece as it is made (a large JSON
    listing is never one string); returns the lines for stderr."""
    rows = listing.rows
    if fmt == "json":
        doc: Any = rows
        if listing.document is not None or listing.after is not None:
            whole = list(rows) if isinstance(rows, Records) else rows
            doc = {**(listing.document or {}), listing.rows_key: whole, **(listing.after or {})}
        chunks = json_chunks(doc)
        if chunks is None:
            out(to_json(doc))
        else:
            for chunk in chunks:
                out(chunk)
        return list(listing.notes)
    if fmt == "csv":
        keys = listing.csv_columns or (list(rows[0]) if rows else [k for k, _ in listing.columns])
        flat = [
            {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in r.items()} for r in rows
        ]
        out(to_csv(flat, keys))
        return list(listing.notes)
    if fmt != "table":
        raise ValueError(f"format must be one of: {', '.join(FORMATS)} (not {fmt!r})")
    shown = rows if listing.shown is None else listing.shown
    if not shown and listing.empty is not None:
        return [listing.empty, *listing.notes]
    text = table(shown, listing.columns, max_width=listing.max_width)
    if listing.footer:
        text += listing.footer + "\n"
    out(text)
    return [*([listing.count] if listing.count else []), *listing.notes]


def cases_document(cases: Sequence[Case], fmt: str) -> str:
    """Cases in the interchange format (``yaml`` or ``json``), as `import` reads them."""
    from mishaps.files import dump_json, dump_yaml

    doc = {"mishaps": [c.to_document() for c in cases]}
    return dump_yaml(doc) if fmt == "yaml" else dump_json(doc)


def cases_csv(cases: Sequence[Case]) -> str:
    """Cases one row each, as `export --format csv` writes and `import` reads back."""
    from mishaps.csvfile import COLUMNS

    return to_csv([case_csv_row(c) for c in cases], COLUMNS)


def case_csv_row(case: Case) -> dict[str, Any]:
    """One spreadsheet row per mishap (``csvfile.case_cells``: the reader's own field table)."""
    from mishaps.csvfile import case_cells

    return case_cells(case)


def class_text(case: Case) -> str:
    """The class with where it comes from: stated, derived (and why), or unknown (and why)."""
    from mishaps import classes

    derivation = classes.derive(case)
    if case.mishap_class is None:
        return f"{classes.label(None, derivation.mishap_class)}: {derivation.reason}"
    conflict = classes.disagreement(case)
    return f"{case.mishap_class.value} (stated)" + (f"; WARNING: {conflict}" if conflict else "")


def cite_marks(numbers: Sequence[int]) -> str:
    """Source numbers as `show` prints them beside a fact: `` [1,2]``; nothing when none."""
    return f" [{','.join(str(n) for n in numbers)}]" if numbers else ""


def case_text(case: Case) -> str:
    """The whole case for a person reading a terminal; ``[1,2]`` after a fact or finding are
    the numbers of the sources that state it (the list at the end)."""
    from mishaps import classes
    from mishaps.taxonomy import cictt_name, hfacs_title, mechanism_name

    title = terminal_safe(case.title, keep_newlines=False)
    out = [title, "=" * min(len(title), 100)]

    def cited(*paths: str) -> str:
        numbers: list[int] = []
        for path in paths:
            numbers += [n for n in case.cites.get(path, []) if n not in numbers]
        return cite_marks(numbers)

    def line(label: str, value: Any, *paths: str) -> None:
        out.append(f"{label + ':':<21} {show_value(value)}{cited(*paths)}")

    line("id", case.id)
    line("Date", case.occurred_on, "occurred_on")
    line("Fiscal year", classes.fiscal_year_label(classes.fiscal_year(case.occurred_on)))
    if case.time:
        line("Time", case.time, "time")
    line("Information status", case.status.value, "status")
    line("Service", case.service, "service")
    line("Operation", case.operation, "operation")
    loc = case.location
    line("Location", loc.description, "location.description")
    if loc.country:
        line("Country", loc.country, "location.country")
    if loc.latitude is not None and loc.longitude is not None:
        where = f"{loc.latitude}, {loc.longitude}"
        if loc.approximate:
            where += f" (approximate: {loc.basis})"
        elif loc.approximate is False:
            where += " (as a source gives them)" if loc.basis is None else f" ({loc.basis})"
        line("Coordinates", where, "location.latitude", "location.longitude")
    r = case.refueling
    line(
        "Air refueling",
        f"{r.method.value}{cited('refueling.method')},"
        f" phase {r.phase.value}{cited('refueling.phase')}",
    )
    mechanisms = ", ".join(_named(c, mechanism_name(c)) for c in r.mechanism)
    line("Mechanism", mechanisms or None, "refueling.mechanism")
    line("Damage", money(case.damage_usd), "damage_usd")
    line("Mishap class", class_text(case), "mishap_class")
    line("Fatalities", case.fatalities, "fatalities")
    line("Injuries", case.injuries, "injuries")
    categories = [_named(c, cictt_name(c)) for c in case.occurrence_categories]
    line("Occurrence categories", ", ".join(categories) or None, "occurrence_categories")
    if case.series:
        line("Series", ", ".join(case.series), "series")
    out.append("")
    out.append("Aircraft:")
    for i, a in enumerate(case.aircraft):
        details = ", ".join(
            f"{k} {show_value(v)}{cited(f'aircraft[{i}].{k}')}"
            for k, v in (
                ("serial", a.serial),
                ("unit", a.unit),
                ("callsign", a.callsign),
                ("crew", a.crew),
                ("fatalities", a.fatalities),
                ("damage", a.damage.value if a.damage else None),
            )
        )
        kind = f"{a.type}{cited(f'aircraft[{i}].type')}"
        out.append(f"  - {a.role.value} {kind}: {details}")
    out += ["", "Summary:", _indent(case.summary)]
    if case.findings:
        out += ["", "Findings:"]
        for f in case.findings:
            codes = f" [{'; '.join(_named(c, hfacs_title(c)) for c in f.hfacs)}]" if f.hfacs else ""
            status = ""
            if f.status is not None:
                as_of = f" as of {f.status_as_of}" if f.status_as_of else ""
                status = f" (status: {f.status.value}{as_of})"
            out.append(f"  - ({f.kind.value}) {f.text}{codes}{status}{cite_marks(f.cites)}")
    if case.notes:
        out += ["", "Notes:", _indent(case.notes)]
    out += ["", "Sources:"]
    for i, s in enumerate(case.sources, 1):
        meta = ", ".join(x for x in (s.publisher, s.published_on, s.kind.value) if x)
        out.append(f"  [{i}] {s.title} ({meta})\n      {s.url}")
    return terminal_safe("\n".join(out)) + "\n"


def _named(code: str, name: str | None) -> str:
    return f"{code} ({name})" if name else code


def _indent(text: str) -> str:
    import textwrap

    return "\n".join(
        textwrap.fill(p, 98, initial_indent="  ", subsequent_indent="  ") for p in text.split("\n")
    )
