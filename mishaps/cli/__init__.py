"""The `mishaps` command line: a thin layer over the library.

Commands parse arguments, call one library function and format its result. Heavy modules
(SQLAlchemy, WeasyPrint) are imported inside the commands that use them, so `--help` is fast.
"""

import os
import sys
from typing import Annotated

import typer

from mishaps.cli.app import App, State

# Every command: its name, its module (which adds it with ``register(app)``) and the first
# sentence of its help, all that `mishaps --help` shows of it. A module is imported only when one
# of its commands runs: importing them all was a third of `mishaps --help` beyond `import typer`
# (issue 16). tests/test_cli.py keeps these sentences equal to the commands' own help.
# fmt: off
COMMANDS: tuple[tuple[str, str, str], ...] = tuple(
    (name, f"mishaps.cli.{module}", text)
    for name, module, text in (
        ("init", "cases", "Create the database and load the seed cases."),
        ("import", "cases", "Import cases from files, all or nothing: one bad record and nothing is written."),
        ("validate", "cases", "Check YAML, JSON or CSV files of cases; write nothing."),
        ("export", "cases", "Export cases, whole, in the interchange format or as CSV."),
        ("list", "cases", "List cases matching the filters, oldest first."),
        ("show", "cases", "Show one whole case, as it is now or as the database held it at a past moment."),
        ("stats", "cases", "Count mishaps and fatalities by a field; unknown fatalities are counted apart, never as 0."),
        ("duplicates", "cases", "List pairs of cases that may be one event under two ids: same day, same aircraft family."),
        ("taxonomy", "taxonomy", "List the codes of a reference taxonomy with their names, and which are unconfirmed."),
        ("rates", "rates", "Compute mishap rates per 100,000 flight hours with exact Poisson 95% intervals."),
        ("history", "history", "List every change to a case: when, which action, by which command, from which file."),
        ("delete", "history", "Delete a case after asking for confirmation; its history is kept."),
        ("backup", "backup", "Copy the whole database to a file, consistently, even while others are using it."),
        ("restore", "backup", "Replace everything in the database with a backup made by `mishaps backup`."),
        ("similar", "research", "Rank the other cases by likeness to a case or a draft narrative, with the reasons."),
        ("series", "research", "List the series of recurring failures, or print one series' cases in date order."),
        ("airframe", "research", "List every case an airframe appears in, with its role and damage."),
        ("recommendations", "research", "List the recommendation findings of the matching cases, with their case."),
        ("serve", "serve", "Browse the cases in a web browser: facets, search, a map and PDF briefs, all offline."),
        ("report", "report", "Write PDF reports: a brief on one mishap, or a summary of a set of them."),
        ("db", "db", "Look after the database itself: its schema revision, migrations and copies."),
    )
)
# fmt: on

app = App(
    registry=COMMANDS,
    name="mishaps",
    help=(
        "Air refueling mishap database and PDF briefs.\n\n"
        "Start with `mishaps list`: the first run creates a database with the seed cases. "
        "Query with filters (`mishaps list --aircraft KC-46`), read a case (`mishaps show ID`), "
        "count (`mishaps stats --by year`), and export for your own analysis "
        "(`mishaps export --format csv`)."
    ),
    no_args_is_help=True,
    # Plain help and usage errors: Rich's import alone (~90 ms) costs more than Typer's, and
    # `mishaps --help` should cost little more than `import typer` (issue 6, bench/RESULTS.md).
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from mishaps import __version__

        typer.echo(f"mishaps {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="MISHAPS_DB",
            metavar="PATH_OR_URL",
            help="SQLite file or postgresql:// URL."
            " Default: mishaps.db in your user data directory.",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    ctx.obj = State(db=db)


def main() -> None:
    """Console entry point: nothing a user types may end in a traceback."""
    from mishaps.cli import collector

    try:
        app()
    except Exception as exc:  # a bug of ours: say so in one line, keep the trace for debugging
        if os.environ.get("MISHAPS_DEBUG"):
            raise
        print(
            f"Error: unexpected {type(exc).__name__}: {exc} (set MISHAPS_DEBUG=1 for details)",
            file=sys.stderr,
        )
        sys.exit(70)
    finally:
        collector.exiting()
