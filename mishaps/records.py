"""A case as parsed from a file, before validation: its data and where each value was.

Its own module so that the readers of each format (``files`` for YAML/JSON/PDF, ``csvfile`` for
spreadsheets) share it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mishaps.errors import Problem

Path_ = tuple[str | int, ...]


@dataclass(slots=True)  # a file can hold a million records: no __dict__ each
class Record:
    """One case as parsed from a file: its data and the line of each value inside it."""

    file: str
    index: int
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        if isinstance(self.data, dict) and isinstance(self.data.get("id"), str):
            return self.data["id"]
        return f"record {self.index + 1}"

    def line_of(self, path: Path_) -> int | None:
        for cut in range(len(path), -1, -1):
            line = self.lines.get(path[:cut])
            if line is not None:
                return line
        return None

    def problem(self, path: Path_, message: str) -> Problem:
        from mishaps.schema import field_path

        return Problem(self.file, message, self.line_of(path), self.label, field_path(path) or None)
