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


# A screenful: a file with more problems than this shows these and a count, and is checked no
# further (a file of a million empty records would otherwise print nine million lines).
MAX_PROBLEMS_PER_FILE = 50


class ProblemList:
    """One file's problems as they are found: the first MAX_PROBLEMS_PER_FILE kept, the rest
    only counted (a CSV file of two million ragged rows would otherwise hold two million)."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.shown: list[Problem] = []
        self.unshown = 0

    def add(self, problem: Problem) -> None:
        if len(self.shown) < MAX_PROBLEMS_PER_FILE:
            self.shown.append(problem)
        else:
            self.unshown += 1

    @property
    def full(self) -> bool:
        return len(self.shown) >= MAX_PROBLEMS_PER_FILE

    def result(self) -> list[Problem]:
        """The problems shown, then one line with the count of the others."""
        if not self.unshown:
            return list(self.shown)
        more = f"and {self.unshown:,} more problem{'s' if self.unshown != 1 else ''}"
        return [*self.shown, Problem(self.file, more)]


class InvalidInput(MishapsError):
    """One or more problems in input files; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class Conflict(MishapsError):
    pass


class Cancelled(MishapsError):
    """The user did not confirm a destructive command (or could not be asked)."""
