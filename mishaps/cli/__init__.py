"""The `mishaps` command line: a thin layer over the library.

Commands parse arguments, call one library function and format its result. Heavy modules
(SQLAlchemy, WeasyPrint) are imported inside the commands that use them, so `--help` is fast.
"""

import os
import sys
from typing import Annotated

import typer

from mishaps.cli import backup, cases, db, history, rates, report, research, serve, taxonomy
from mishaps.cli.common import App, State

app = App(
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


cases.register(app)
report.register(app)
taxonomy.register(app)
rates.register(app)
history.register(app)
backup.register(app)
db.register(app)
research.register(app)
serve.register(app)


def main() -> None:
    """Console entry point: nothing a user types may end in a traceback."""
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
