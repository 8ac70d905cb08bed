"""What every command shares: the database option, error translation, the filter options.

The only place that turns a MishapsError into ``Error: <message>`` on stderr and an exit code.
"""

import functools
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from mishaps.errors import InvalidInput, MishapsError
from mishaps.filters import Filters
from mishaps.text import plural
from mishaps.vocab import Method, MishapClass, Phase, Role, Status

if TYPE_CHECKING:
    from sqlalchemy import Engine

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class State:
    db: str | None = None


def err(message: str) -> None:
    typer.echo(message, err=True)


def handle_errors(func: F) -> F:
    """Turn domain errors into one line each on stderr and exit 1; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
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


def open_db(
    ctx: typer.Context, *, create: bool = False, seed: bool = True, check: bool = True
) -> "Engine":
    """The engine for --db / $MISHAPS_DB / the default file.

    The default database is created and loaded with the seed cases on first use, so a
    newcomer's first command just works; an explicit database must exist unless ``create``.
    A database whose schema revision is not this version's is refused unless not ``check``
    (the `db` commands, which report and upgrade it).
    """
    from mishaps.config import display_db, sqlite_path
    from mishaps.db import create_schema, make_engine, require_current, schema_state
    from mishaps.errors import DatabaseError

    url, is_default = db_url(ctx)
    path = sqlite_path(url)
    first_run = is_default and path is not None and not path.exists()
    engine = make_engine(url, create=create or first_run)
    ctx.call_on_close(engine.dispose)  # close pooled connections when the command ends
    if first_run:
        create_schema(engine)
        added = load_seed(engine) if seed else 0
        err(f"Created the database {path} with {added} seed cases (mishaps init).")
        return engine
    if not create and not schema_state(engine).has_tables:
        shown = display_db(url)
        raise DatabaseError(
            f"{shown} holds no mishaps database; create one with: mishaps --db {shown} init"
        )
    if check:
        require_current(engine, upgrade_hint=command_hint(ctx, "db upgrade"))
    return engine


def db_url(ctx: typer.Context) -> tuple[str, bool]:
    """The database URL from --db / $MISHAPS_DB / the default, and whether it is the default."""
    from mishaps.config import resolve_db

    state: State = ctx.find_root().obj or State()
    return resolve_db(state.db)


def command_hint(ctx: typer.Context, command: str) -> str:
    """`mishaps <command>` spelled for the database in use (with --db unless it is the default)."""
    from mishaps.config import display_db

    url, is_default = db_url(ctx)
    return f"mishaps {command}" if is_default else f"mishaps --db {display_db(url)} {command}"


def load_seed(engine: "Engine") -> int:
    from mishaps.config import seed_case_files
    from mishaps.ingest import import_cases, load_files
    from mishaps.vocab import OnConflict

    files = seed_case_files()
    result = import_cases(
        engine, load_files(files), on_conflict=OnConflict.skip, command="init (seed data)"
    )
    return len(result.added)


def write_text(output: Path | None, text: str) -> None:
    """To stdout, or atomically to a file: a failed write leaves no half-written file."""
    if output is None:
        sys.stdout.write(text)
        return
    from mishaps.files import atomic_write

    atomic_write(output, text.encode("utf-8"))
    err(f"Wrote {output}")


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
                help="Operating service, any case (USAF, USN, ...).",
                rich_help_panel=PANEL,
                metavar="NAME",
            ),
        ],
    ),
    (
        "method",
        Annotated[Method | None, typer.Option(help="Refuelling method.", rich_help_panel=PANEL)],
    ),
    (
        "phase",
        Annotated[Phase | None, typer.Option(help="Refuelling phase.", rich_help_panel=PANEL)],
    ),
    (
        "mechanism",
        Annotated[
            str | None,
            typer.Option(
                help="Refuelling mechanism code: what went wrong (boom-binding, basket-strike,"
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


def filter_options(func: F) -> F:
    """Add the shared filter options to a command and hand it one ``filters: Filters``.

    Every query command spells its filters the same way because they are declared once, here.
    """
    sig = inspect.signature(func)
    kept = [p for p in sig.parameters.values() if p.name != "filters"]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=ann)
        for name, ann in FILTER_OPTIONS
    ]

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        values = {name: kwargs.pop(name, None) for name, _ in FILTER_OPTIONS}
        kwargs["filters"] = make_filters(values)
        return func(*args, **kwargs)

    wrapper.__signature__ = sig.replace(parameters=kept + added)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {
        **{k: v for k, v in func.__annotations__.items() if k != "filters"},
        **dict(FILTER_OPTIONS),
    }
    return wrapper  # type: ignore[return-value]


def make_filters(values: dict[str, Any]) -> Filters:
    from mishaps.schema import date_period

    for name in ("since", "until"):
        if values.get(name) is not None:
            try:
                date_period(values[name])
            except ValueError as exc:
                raise typer.BadParameter(str(exc), param_hint=f"--{name}") from None
    if values.get("hfacs") is not None:
        from mishaps.taxonomy import HFACS_PREFIX

        values["hfacs"] = values["hfacs"].strip().upper()
        if not HFACS_PREFIX.fullmatch(values["hfacs"]):
            raise typer.BadParameter(
                f"{values['hfacs']!r} is not a DoD HFACS code or prefix such as AE1, PC102 or SP",
                param_hint="--hfacs",
            )
    if values.get("mechanism") is not None:
        import difflib

        from mishaps.schema import mechanism_codes

        values["mechanism"] = values["mechanism"].strip().lower()
        if values["mechanism"] not in mechanism_codes():
            close = difflib.get_close_matches(values["mechanism"], mechanism_codes(), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise typer.BadParameter(
                f"{values['mechanism']!r} is not a refuelling mechanism{hint}"
                " (list them with: mishaps taxonomy refueling)",
                param_hint="--mechanism",
            )
    clean = {k: (v.value if isinstance(v, Enum) else v) for k, v in values.items()}
    return Filters(**clean)
