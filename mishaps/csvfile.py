"""Cases from a spreadsheet exported to CSV: one row a mishap (see docs/format.md, "CSV import").

A row becomes a mapping in the interchange format and is validated by ``schema.validate_case``
like any YAML or JSON case, so validation lives in one place. This module only maps columns to
fields and says which column and line a problem is in.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from mishaps.errors import Problem, ProblemList
from mishaps.records import Path_, Record

if TYPE_CHECKING:
    from mishaps.schema import Case


@dataclass(frozen=True)
class CsvField:
    """One column: the field of the case it holds and how it is spelt in a cell. The one list
    below drives the reader, the writer (`export --format csv`), the required columns, their
    order and the column named in an error, so a new field is added in one place."""

    column: str
    path: str | None = None  # the case field; None: a column with its own code (below)
    kind: str = "text"  # text | whole | number | flag | list | derived | special
    required: bool = False


def _fields(kind: str, *columns: str) -> list[CsvField]:
    return [CsvField(c, c, kind) for c in columns]


CSV_FIELDS = [
    *(CsvField(c, c, required=True) for c in ("id", "title", "occurred_on")),
    CsvField("time", "time"),
    *(CsvField(c, c, required=True) for c in ("status", "service")),
    CsvField("operation", "operation"),
    CsvField("location", "location.description", required=True),
    CsvField("country", "location.country"),
    CsvField("latitude", "location.latitude", "number"),
    CsvField("longitude", "location.longitude", "number"),
    CsvField("approximate", "location.approximate", "flag"),
    CsvField("basis", "location.basis"),
    CsvField("refueling_method", "refueling.method"),
    CsvField("refueling_phase", "refueling.phase"),
    CsvField("refueling_mechanism", "refueling.mechanism", "list"),
    CsvField("damage_usd", "damage_usd", "number"),
    CsvField("mishap_class", "mishap_class"),
    # Derived by the tool from the other fields, never stored: written by `export` and accepted
    # so an export imports back, but ignored (docs/format.md says so).
    *(CsvField(c, kind="derived") for c in ("derived_class", "class", "fiscal_year")),
    *_fields("whole", "fatalities", "injuries"),
    *_fields("list", "occurrence_categories", "series"),
    CsvField("aircraft_count", kind="special"),  # written by export; checked against aircraft
    CsvField("aircraft", kind="special", required=True),  # ROLE TYPE (SERIAL); ...
    CsvField("causes", kind="special"),  # findings of kind cause
    CsvField("summary", "summary", required=True),
    CsvField("notes", "notes"),
    CsvField("source_urls", kind="special", required=True),
]
COLUMNS = [f.column for f in CSV_FIELDS]
REQUIRED = [f.column for f in CSV_FIELDS if f.required]
DERIVED = [f.column for f in CSV_FIELDS if f.kind == "derived"]

_AIRCRAFT = re.compile(r"^(?P<role>\S+)\s+(?P<type>[^()]+?)(?:\s*\((?P<serial>[^()]*)\))?$")
_LIST = re.compile(r"\s*;\s*")

# Where a field of a case comes from, for messages that name the column a user can see.
_COLUMN_OF: dict[Path_, str] = {
    **{tuple(f.path.split(".")): f.column for f in CSV_FIELDS if f.path and "." in f.path},
    ("location",): "location",
    ("refueling",): "refueling_method",
}


class CsvRecord(Record):
    """A row: every problem in it is on its line, named by the column it came from."""

    def problem(self, path: Path_, message: str) -> Problem:
        column = _COLUMN_OF.get(tuple(path))
        if column is None and path and path[0] == "series":
            column = "series"
        if column is None and path and path[0] in ("sources", "findings"):
            column = "source_urls" if path[0] == "sources" else "causes"
            if len(path) > 1 and isinstance(path[1], int):
                column += f"[{path[1]}]"
        if column is None:
            return super().problem(path, message)
        return Problem(self.file, message, self.line_of(()), self.label, column)


def parse_csv(text: str, *, name: str) -> tuple[list[Record], list[Problem]]:
    """Parse CSV text into case records; never raises for bad content."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return [], [Problem(name, "file is empty")]
    except csv.Error as exc:
        return [], [Problem(name, f"not valid CSV: {exc}", reader.line_num)]
    columns = [c.strip() for c in header]
    problems = ProblemList(name)
    _header_problems(columns, problems)
    if problems.shown:
        return [], problems.result()
    records: list[Record] = []
    line = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.add(Problem(name, f"not valid CSV: {exc}", line))
            break
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue  # a blank row, as spreadsheets leave at the end
        if len(row) != len(columns):
            problems.add(
                Problem(name, f"row has {len(row)} cells; the header has {len(columns)}", start)
            )
            continue
        cells = {c: unneutralise(v.strip()) for c, v in zip(columns, row, strict=True) if v.strip()}
        data, issues = row_to_case(cells)
        record = CsvRecord(name, len(records), data, {(): start})
        if issues:  # a cell that cannot be read: the row is not a case to validate
            for path, message in issues:
                problems.add(record.problem(path, message))
        else:
            records.append(record)
    return records, problems.result()


def unneutralise(cell: str) -> str:
    """Undo exactly what ``output.neutralise`` did: one leading apostrophe comes off.

    (So a cell that truly begins with an apostrophe is written with two.)
    """
    return cell[1:] if cell.startswith("'") else cell


def _header_problems(columns: list[str], problems: ProblemList) -> None:
    name = problems.file
    seen: set[str] = set()
    for i, column in enumerate(columns):
        if not column:
            problems.add(Problem(name, f"column {i + 1} has no name", 1))
        elif column not in COLUMNS:
            # (A header of a million columns: no hints once they are no longer shown.)
            close = [] if problems.full else difflib.get_close_matches(column, COLUMNS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.add(Problem(name, f"unknown column {column!r}{hint}", 1))
        elif column in seen:
            problems.add(Problem(name, f"column {column!r} appears twice", 1))
        seen.add(column)
    for c in REQUIRED:
        if c not in seen:
            problems.add(Problem(name, f"missing column {c!r}"))


def row_to_case(cells: dict[str, str]) -> tuple[dict[str, Any], list[tuple[Path_, str]]]:
    """The mapping a row stands for, and problems only this mapping can see (its encoding)."""
    data: dict[str, Any] = {"location": {}}
    for f in CSV_FIELDS:
        if f.path is not None and f.column in cells:
            _put(data, f.path, _READ[f.kind](cells[f.column]))
    aircraft, issues = _read_aircraft(cells.get("aircraft", ""))
    data["aircraft"] = aircraft
    if "aircraft_count" in cells:
        count = _whole(cells["aircraft_count"])
        if count != len(aircraft) and not issues:
            listed = f"{len(aircraft)} aircraft {'is' if len(aircraft) == 1 else 'are'} listed"
            issues.append(
                (("aircraft",), f"aircraft_count is {cells['aircraft_count']} but {listed}")
            )
    if "causes" in cells:
        data["findings"] = [{"kind": "cause", "text": t} for t in _split(cells["causes"])]
    data["sources"] = [
        {"title": url, "url": url, "kind": "other"} for url in cells.get("source_urls", "").split()
    ]
    return data, issues


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    data[last] = value


def _read_aircraft(cell: str) -> tuple[list[dict[str, Any]], list[tuple[Path_, str]]]:
    aircraft: list[dict[str, Any]] = []
    issues: list[tuple[Path_, str]] = []
    for i, entry in enumerate(_split(cell)):
        m = _AIRCRAFT.match(entry)
        if m is None:
            example = "'tanker KC-135R (63-8877)'"
            issues.append((("aircraft", i), f"{entry!r} is not ROLE TYPE (SERIAL), e.g. {example}"))
            continue
        plane = {"role": m["role"], "type": m["type"]}
        if m["serial"] and m["serial"].strip():
            plane["serial"] = m["serial"].strip()
        aircraft.append(plane)
    return aircraft, issues


def case_cells(case: Case) -> dict[str, Any]:
    """One spreadsheet row per mishap, as `row_to_case` reads it back (docs/format.md, "CSV
    import"): lists joined with "; ", an aircraft as "ROLE TYPE (SERIAL)", unknown empty."""
    from mishaps import classes

    out = {f.column: _WRITE[f.kind](_get(case, f.path)) for f in CSV_FIELDS if f.path}
    return {
        **out,
        "derived_class": classes.derive(case).mishap_class,
        "class": classes.class_label(case),
        "fiscal_year": classes.fiscal_year(case.occurred_on),
        "aircraft_count": len(case.aircraft),
        "aircraft": "; ".join(
            f"{a.role.value} {a.type}" + (f" ({a.serial})" if a.serial else "")
            for a in case.aircraft
        ),
        "causes": "; ".join(f.text for f in case.findings if f.kind.value == "cause"),
        "source_urls": " ".join(s.url for s in case.sources),
    }


def _get(case: Any, path: str) -> Any:
    value = case
    for part in path.split("."):
        value = getattr(value, part)
    if isinstance(value, Enum):
        value = value.value
    return None if value == "unknown" else value  # an unknown method or phase: an empty cell


def _split(cell: str) -> list[str]:
    return [part for part in _LIST.split(cell.strip()) if part]


def _whole(cell: str) -> Any:
    """A whole number, or the text unchanged for validation to name."""
    return int(cell) if re.fullmatch(r"[+-]?\d{1,18}", cell) else cell


def _number(cell: str) -> Any:
    try:
        return _whole(cell) if re.fullmatch(r"[+-]?\d{1,18}", cell) else float(cell)
    except ValueError:
        return cell


def _flag(cell: str) -> Any:
    return {"true": True, "false": False}.get(cell.lower(), cell)


_READ = {
    "text": lambda cell: cell,
    "whole": _whole,
    "number": _number,
    "flag": _flag,
    "list": _split,
}
_WRITE = {
    "text": lambda value: value,
    "whole": lambda value: value,
    "number": lambda value: value,
    "flag": lambda value: None if value is None else ("true" if value else "false"),
    "list": lambda value: "; ".join(value),
}
