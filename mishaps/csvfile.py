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
from typing import Any

from mishaps.errors import Problem
from mishaps.files import Path_, Record

REQUIRED = [
    "id", "title", "occurred_on", "status", "service", "location", "aircraft", "summary",
    "source_urls",
]  # fmt: skip
OPTIONAL = [
    "time", "operation", "country", "latitude", "longitude", "approximate", "basis",
    "refueling_method", "refueling_phase", "refueling_mechanism", "damage_usd", "mishap_class",
    "fatalities", "injuries", "occurrence_categories", "series", "causes", "notes",
    "aircraft_count",  # written by `export --format csv`; checked against the aircraft column
]  # fmt: skip
# Written by `export --format csv` but derived by the tool from the other fields, never stored:
# accepted so an export imports back, and ignored (docs/format.md says so).
DERIVED = ["derived_class", "class", "fiscal_year"]
COLUMNS = REQUIRED + OPTIONAL + DERIVED

_TEXT = ("id", "title", "occurred_on", "time", "status", "service", "operation", "mishap_class",
         "summary", "notes")  # fmt: skip
_WHOLE = ("fatalities", "injuries")
_AIRCRAFT = re.compile(r"^(?P<role>\S+)\s+(?P<type>[^()]+?)(?:\s*\((?P<serial>[^()]*)\))?$")
_LIST = re.compile(r"\s*;\s*")

# Where a field of a case comes from, for messages that name the column a user can see.
_COLUMN_OF: dict[Path_, str] = {
    ("location", "description"): "location",
    ("location", "country"): "country",
    ("location", "latitude"): "latitude",
    ("location", "longitude"): "longitude",
    ("location", "approximate"): "approximate",
    ("location", "basis"): "basis",
    ("refueling", "method"): "refueling_method",
    ("refueling", "phase"): "refueling_phase",
    ("refueling", "mechanism"): "refueling_mechanism",
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
    problems = _header_problems(columns, name)
    if problems:
        return [], problems
    records: list[Record] = []
    line = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(name, f"not valid CSV: {exc}", line))
            break
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue  # a blank row, as spreadsheets leave at the end
        if len(row) != len(columns):
            problems.append(
                Problem(name, f"row has {len(row)} cells; the header has {len(columns)}", start)
            )
            continue
        cells = {c: v.strip() for c, v in zip(columns, row, strict=True) if v.strip()}
        data, issues = row_to_case(cells)
        record = CsvRecord(name, len(records), data, {(): start})
        if issues:  # a cell that cannot be read: the row is not a case to validate
            problems += [record.problem(path, message) for path, message in issues]
        else:
            records.append(record)
    return records, problems


def _header_problems(columns: list[str], name: str) -> list[Problem]:
    problems = []
    for i, column in enumerate(columns):
        if not column:
            problems.append(Problem(name, f"column {i + 1} has no name", 1))
        elif column not in COLUMNS:
            close = difflib.get_close_matches(column, COLUMNS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(Problem(name, f"unknown column {column!r}{hint}", 1))
        elif columns.index(column) != i:
            problems.append(Problem(name, f"column {column!r} appears twice", 1))
    problems += [Problem(name, f"missing column {c!r}") for c in REQUIRED if c not in columns]
    return problems


def row_to_case(cells: dict[str, str]) -> tuple[dict[str, Any], list[tuple[Path_, str]]]:
    """The mapping a row stands for, and problems only this mapping can see (its encoding)."""
    data: dict[str, Any] = {c: cells[c] for c in _TEXT if c in cells}
    issues: list[tuple[Path_, str]] = []
    for column in _WHOLE:
        if column in cells:
            data[column] = _whole(cells[column])
    location: dict[str, Any] = {}
    if "location" in cells:
        location["description"] = cells["location"]
    if "country" in cells:
        location["country"] = cells["country"]
    for column in ("latitude", "longitude"):
        if column in cells:
            location[column] = _number(cells[column])
    if "approximate" in cells:
        flag = cells["approximate"]
        location["approximate"] = {"true": True, "false": False}.get(flag.lower(), flag)
    if "basis" in cells:
        location["basis"] = cells["basis"]
    data["location"] = location
    refueling: dict[str, Any] = {
        key: cells[f"refueling_{key}"] for key in ("method", "phase") if f"refueling_{key}" in cells
    }
    if "refueling_mechanism" in cells:
        refueling["mechanism"] = _split(cells["refueling_mechanism"])
    if refueling:
        data["refueling"] = refueling
    if "damage_usd" in cells:
        data["damage_usd"] = _number(cells["damage_usd"])
    if "occurrence_categories" in cells:
        data["occurrence_categories"] = _split(cells["occurrence_categories"])
    if "series" in cells:
        data["series"] = _split(cells["series"])
    aircraft = []
    for i, entry in enumerate(_split(cells.get("aircraft", ""))):
        m = _AIRCRAFT.match(entry)
        if m is None:
            example = "'tanker KC-135R (63-8877)'"
            issues.append((("aircraft", i), f"{entry!r} is not ROLE TYPE (SERIAL), e.g. {example}"))
            continue
        plane = {"role": m["role"], "type": m["type"]}
        if m["serial"] and m["serial"].strip():
            plane["serial"] = m["serial"].strip()
        aircraft.append(plane)
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
