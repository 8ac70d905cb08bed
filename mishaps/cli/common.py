"""What every command shares: the database option, error translation, the filter options.

The only place that turns a MishapsError into ``Error: <message>`` on stderr and an exit code.
"""

import functools
import inspect
import sys
from collections.abc import Callable, Sequence
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from mishaps.cli.app import State
from mishaps.errors import InvalidFilter, InvalidInput, MishapsError
from mishaps.filters import Filters, option_name
from mishaps.text import plural
from mishaps.vocab import Method, MishapClass, Phase, Role, Status

if TYPE_CHECKING:
    from mishaps.api import Database
    from mishaps.output import Listing

F = TypeVar("F", bound=Callable[..., Any])


def err(message: str) -> None:
    typer.echo(message, err=True)


def handle_errors(func: F) -> F:
    """Turn domain errors into one line each on stderr and exit 1; never a traceback.

    A bad filter value is the user's typing, not the data: a usage error of its option (exit 2).
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InvalidFilter as exc:
            raise typer.BadParameter(exc.message, param_hint=option_name(exc.field)) from None
        except InvalidInput as exc:
            for problem in exc.problems:
                err(str(problem))
            n = len(exc.problems)
            err(f"Error: {plural(n, 'problem')} found; nothing was written")
            raise typer.Exit(1) from None
        except MishapsError as exc:
            err(f"Error: {exc}")
            raise typer.Exit(exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


def open_database(
    ctx: typer.Context, *, create: bool = False, readonly: bool = False
) -> "Database":
    """The database of --db / $MISHAPS_DB / the default, closed when the command ends.

    Opening the default database for the first time creates it with the seed cases; that is
    said once, on stderr, so that a pipe's output stays the command's own. Commands that only
    read pass ``readonly``: they change nothing, and work on a file the user may not write.
    """
    import mishaps
    from mishaps.cli import collector

    collector.load("mishaps.api")  # with its database libraries, without collecting garbage
    state: State = ctx.find_root().obj or State()
    db = mishaps.open(state.db, create=create, readonly=readonly)
    ctx.call_on_close(db.close)  # close pooled connections when the command ends
    if db.created is not None:
        err(f"Created the database {db.name} with {db.created.seeded} seed cases (mishaps init).")
    return db


def is_stdout(output: Path | None) -> bool:
    """No file, or ``-``: standard output, as everywhere a command names a file to write."""
    return output is None or str(output) == "-"


def write_text(output: Path | None, text: str, *, protect: Sequence[Path] = ()) -> None:
    """To stdout (no file, or ``-``), or to a file through ``files.write_output``."""
    write_bytes(output, text.encode("utf-8"), protect=protect)


def write_bytes(
    output: Path | None, data: bytes, *, what: str = "", protect: Sequence[Path] = ()
) -> None:
    """To stdout, or to a file the one safe way (``files.write_output``): never over the
    database in ``protect`` or its -wal/-shm, through symlinks, straight into FIFOs and devices,
    atomically over a regular file keeping its mode."""
    if is_stdout(output):
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    from mishaps.files import write_output

    assert output is not None
    write_output(output, data, protect=protect)
    err(f"Wrote {output}{what}")


def emit(listing: "Listing", fmt: "ListFormat | str") -> None:
    """Print rows through the one output path (``mishaps.output.write``), as they are made."""
    from mishaps.output import write

    def out(text: str) -> None:
        if text:
            typer.echo(text, nl=False)

    for line in write(listing, fmt.value if isinstance(fmt, Enum) else fmt, out):
        err(line)


def confirm(question: str, *, verb: str) -> None:
    """Ask; Cancelled unless the answer is yes (and when nobody is there to answer)."""
    from mishaps.errors import Cancelled

    try:
        confirmed = typer.confirm(question, err=True)
    except typer.Abort:  # end of input: nobody there to answer
        typer.echo(err=True)
        raise Cancelled(
            f"no answer to the confirmation; nothing {verb}d (pass --yes to {verb} without asking)"
        ) from None
    if not confirmed:
        raise Cancelled(f"not confirmed; nothing {verb}d")


class ListFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class ExportFormat(str, Enum):
    yaml = "yaml"
    json = "json"
    csv = "csv"


class ShowFormat(str, Enum):
    text = "text"
    json = "json"
    yaml = "yaml"


PANEL = "Filters"
FILTER_OPTIONS: list[tuple[str, Any]] = [
    (
        "aircraft",
        Annotated[
            str | None,
            typer.Option(
                help="Aircraft type. Understands Mission Design Series: KC-135 matches"
                " KC-135A/E/R/T and NKC-135A, not EC-135; KC-135R only the R; F-15 matches F-15E."
                " A family's other names count too: A330 MRTT matches KC-30A and Voyager KC2.",
                rich_help_panel=PANEL,
                metavar="TYPE",
            ),
        ],
    ),
    (
        "role",
        Annotated[
            Role | None,
            typer.Option(
                help="Aircraft role; with --aircraft, the same aircraft must have both.",
                rich_help_panel=PANEL,
            ),
        ],
    ),
    (
        "cause",
        Annotated[
            str | None,
            typer.Option(
                help="Words in a finding's text, or an occurrence category (MAC) or HFACS"
                " code (AE1).",
                rich_help_panel=PANEL,
                metavar="TEXT",
            ),
        ],
    ),
    (
        "category",
        Annotated[
            str | None,
            typer.Option(
                help="CICTT occurrence category code or prefix (SCF matches SCF-NP and SCF-PP).",
                rich_help_panel=PANEL,
                metavar="CODE",
            ),
        ],
    ),
    (
        "hfacs",
        Annotated[
            str | None,
            typer.Option(
                help="DoD HFACS code or prefix in a finding (PC1 matches PC101..;"
                " a category such as PC100 matches its nanocodes).",
                rich_help_panel=PANEL,
                metavar="CODE",
            ),
        ],
    ),
    (
        "mishap_class",
        Annotated[
            MishapClass | None,
            typer.Option(
                "--class",
                help="DoD mishap class: the stated one, else the one derived from damage,"
                " fatalities and the thresholds in force on the date.",
                rich_help_panel=PANEL,
            ),
        ],
    ),
    (
        "fiscal_year",
        Annotated[
            int | None,
            typer.Option(
                "--fy",
                help="US federal fiscal year: --fy 2023 is 1 Oct 2022 to 30 Sep 2023. A partial"
                " date that spans two fiscal years matches neither.",
                rich_help_panel=PANEL,
                metavar="YEAR",
            ),
        ],
    ),
    (
        "since",
        Annotated[
            str | None,
            typer.Option(
                help="On or after this date (YYYY-MM-DD, YYYY-MM or YYYY).",
                rich_help_panel=PANEL,
                metavar="DATE",
            ),
        ],
    ),
    (
        "until",
        Annotated[
            str | None,
            typer.Option(
                help="On or before this date (a month or year means its last day).",
                rich_help_panel=PANEL,
                metavar="DATE",
            ),
        ],
    ),
    (
        "service",
        Annotated[
            str | None,
            typer.Option(
                help="Operating service, any case; a joint case (USAF/USN) is found by each.",
                rich_help_panel=PANEL,
                metavar="NAME",
            ),
        ],
    ),
    (
        "method",
        Annotated[
            Method | None,
            typer.Option(help="Air refueling method (unknown: not stated).", rich_help_panel=PANEL),
        ],
    ),
    (
        "phase",
        Annotated[
            Phase | None,
            typer.Option(help="Air refueling phase (unknown: not stated).", rich_help_panel=PANEL),
        ],
    ),
    (
        "mechanism",
        Annotated[
            str | None,
            typer.Option(
                help="Air refueling mechanism code: what went wrong (boom-binding, basket-strike,"
                " collision, ...; list them with: mishaps taxonomy refueling).",
                rich_help_panel=PANEL,
                metavar="CODE",
            ),
        ],
    ),
    (
        "status",
        Annotated[Status | None, typer.Option(help="Information status.", rich_help_panel=PANEL)],
    ),
    (
        "series",
        Annotated[
            str | None,
            typer.Option(
                help="Cases of this series (a recurring failure; list them with: mishaps series).",
                rich_help_panel=PANEL,
                metavar="ID",
            ),
        ],
    ),
    (
        "search",
        Annotated[
            str | None,
            typer.Option(
                help="Full text over title, summary and findings; every word must occur"
                " (boom* for a prefix).",
                rich_help_panel=PANEL,
                metavar="TEXT",
            ),
        ],
    ),
    (
        "limit",
        Annotated[
            int | None,
            typer.Option(
                min=1, help="At most this many cases.", rich_help_panel=PANEL, metavar="N"
            ),
        ],
    ),
]


def option_group(
    name: str, options: list[tuple[str, Any]], build: Callable[[dict[str, Any]], Any]
) -> Callable[[F], F]:
    """A decorator that declares ``options`` on a command and hands it one value, ``name``,
    made by ``build`` from theirs: a group of options is declared once and read one way."""

    def decorate(func: F) -> F:
        sig = inspect.signature(func)
        kept = [p for p in sig.parameters.values() if p.name != name]
        added = [
            inspect.Parameter(opt, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=ann)
            for opt, ann in options
        ]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            kwargs[name] = build({opt: kwargs.pop(opt, None) for opt, _ in options})
            return func(*args, **kwargs)

        wrapper.__signature__ = sig.replace(parameters=kept + added)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {
            **{k: v for k, v in func.__annotations__.items() if k != name},
            **dict(options),
        }
        return wrapper  # type: ignore[return-value]

    return decorate


def make_filters(values: dict[str, Any]) -> Filters:
    """The options as one Filters value; a bad value is a usage error of its option."""
    try:
        return Filters(**values)
    except InvalidFilter as exc:
        raise typer.BadParameter(exc.message, param_hint=option_name(exc.field)) from None


# Add the shared filter options to a command and hand it one ``filters: Filters``: every query
# command spells its filters the same way because they are declared once, here.
filter_options = option_group("filters", FILTER_OPTIONS, make_filters)
