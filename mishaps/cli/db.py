"""`mishaps db ...`: the database itself: its schema revision, upgrades, and copies."""

from typing import Annotated

import typer

from mishaps.cli.app import App
from mishaps.cli.common import handle_errors, open_database
from mishaps.text import plural
from mishaps.vocab import OnConflict

app = App(
    name="db",
    help=(
        "Look after the database itself: its schema revision, migrations and copies.\n\n"
        "Example: mishaps --db postgresql://mishaps@dbhost/mishaps db status"
    ),
    no_args_is_help=True,
)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="db")


@app.command()
@handle_errors
def status(ctx: typer.Context) -> None:
    """Print the database's schema revision and whether it is the one this mishaps uses.

    Example: mishaps --db postgresql://mishaps@dbhost/mishaps db status
    """
    db = open_database(ctx, readonly=True)
    s = db.status()
    upgrade = db.hint("db upgrade")
    if s.revision is None:
        note = f"unrecorded (made before schema revisions; run: {upgrade})"
    elif s.current:
        note = f"{s.revision} (current)"
    elif s.known:
        note = f"{s.revision} (older than {s.head}; run: {upgrade})"
    else:
        note = f"{s.revision} (newer than this mishaps knows, {s.head}: upgrade mishaps)"
    typer.echo(f"Database: {s.name}\nSchema revision: {note}")


@app.command()
@handle_errors
def upgrade(ctx: typer.Context) -> None:
    """Apply the schema migrations this mishaps has and the database lacks; cases are kept.

    Example: mishaps --db office.db db upgrade
    """
    db = open_database(ctx)
    before, after = db.upgrade()
    if before == after:
        typer.echo(f"{db.name} is already at schema revision {after} (current).")
    else:
        typer.echo(f"Upgraded {db.name} from schema revision {before or 'unrecorded'} to {after}.")


@app.command()
@handle_errors
def copy(
    ctx: typer.Context,
    to: Annotated[
        str,
        typer.Option(
            "--to",
            metavar="PATH_OR_URL",
            show_default=False,
            help="The target: an SQLite file or a postgresql:// URL; made if it holds no database.",
        ),
    ],
    on_conflict: Annotated[
        OnConflict,
        typer.Option(
            help="Into a target that already holds cases or history: stop (error), keep the"
            " target's case (skip) or take this database's (replace; history keeps both)."
        ),
    ] = OnConflict.error,
) -> None:
    """Copy every case with its whole history from this database to another.

    Example: mishaps --db ~/mishaps.db db copy --to postgresql://mishaps@dbhost/mishaps
    """
    db = open_database(ctx, readonly=True)
    result = db.copy_to(to, on_conflict=on_conflict)
    n = len(result.added) + len(result.replaced)
    counts = plural(n, "case")
    if result.replaced or result.skipped:
        counts += (
            f" ({len(result.added)} added, {len(result.replaced)} replaced,"
            f" {len(result.skipped)} skipped)"
        )
    entries = f"{result.revisions} history entr{'ies' if result.revisions != 1 else 'y'}"
    typer.echo(f"Copied {counts} and {entries} from {db.name} to {result.target}.")
