"""Domain errors. Raised in the library, turned into one line and an exit code at the CLI edge."""

from __future__ import annotations

from dataclasses import dataclass


class MishapsError(Exception):
    """Base of every error the tool reports to a user as ``Error: <message>``."""

    exit_code = 1


class NotFound(MishapsError):
    pass


class InvalidFilter(MishapsError):
    """A filter value that cannot select anything meaningful (``--fy 23``, ``--since 2023-13``).

    ``field`` is the ``Filters`` field; the command line shows it as a usage error of its option.
    """

    exit_code = 2

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class DatabaseError(MishapsError):
    pass


class ReportError(MishapsError):
    pass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located as precisely as the format allows."""

    file: str
    message: str
    line: int | None = None
    record: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [where]
        if self.record:
            parts.append(self.record)
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)


class InvalidInput(MishapsError):
    """One or more problems in input files; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class Conflict(MishapsError):
    pass


class Cancelled(MishapsError):
    """The user did not confirm a destructive command (or could not be asked)."""
