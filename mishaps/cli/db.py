"""`mishaps db ...`: the database itself: its schema revision, upgrades, and copies."""

from typing import Annotated

import typer

from mishaps.cli.common import command_hint, db_url, handle_errors, open_db
from mishaps.text import plural
from mishaps.vocab import OnConflict

app = typer.Typer(
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
    from mishaps.config import display_db
    from mishaps.db import schema_state
    from mishaps.migrations import HEAD

    engine = open_db(ctx, check=False, readonly=True)
    state = schema_state(engine)
    typer.echo(f"Database: {display_db(db_url(ctx)[0])}")
    if state.revision is None:
        note = f"unrecorded (made before schema revisions; run: {command_hint(ctx, 'db upgrade')})"
    elif state.current:
        note = f"{state.revision} (current)"
    elif state.known:
        note = f"{state.revision} (older than {HEAD}; run: {command_hint(ctx, 'db upgrade')})"
    else:
        note = f"{state.revision} (newer than this mishaps knows, {HEAD}: upgrade mishaps)"
    typer.echo(f"Schema revision: {note}")


@app.command()
@handle_errors
def upgrade(ctx: typer.Context) -> None:
    """Apply the schema migrations this mishaps has and the database lacks; cases are kept.

    Example: mishaps --db office.db db upgrade
    """
    from mishaps.config import display_db
    from mishaps.db import migrate

    engine = open_db(ctx, check=False)
    before, after = migrate(engine)
    shown = display_db(db_url(ctx)[0])
    if before == after:
        typer.echo(f"{shown} is already at schema revision {after} (current).")
    else:
        typer.echo(f"Upgraded {shown} from schema revision {before or 'unrecorded'} to {after}.")


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
    from mishaps.config import display_db, to_url
    from mishaps.db import create_schema, make_engine, require_current, schema_state
    from mishaps.errors import DatabaseError
    from mishaps.transfer import copy_database

    source_url = db_url(ctx)[0]
    target_url = to_url(to)
    source_name, target_name = display_db(source_url), display_db(target_url)
    if source_name == target_name:
        raise DatabaseError(f"{target_name} is the database being copied; name another with --to")
    source = open_db(ctx, readonly=True)
    target = make_engine(target_url, create=True)
    ctx.call_on_close(target.dispose)
    if schema_state(target).has_tables:
        require_current(target, upgrade_hint=f"mishaps --db {target_name} db upgrade")
    else:
        create_schema(target)
    result = copy_database(source, target, on_conflict=on_conflict, source_name=source_name)
    n = len(result.added) + len(result.replaced)
    counts = plural(n, "case")
    if result.replaced or result.skipped:
        counts += (
            f" ({len(result.added)} added, {len(result.replaced)} replaced,"
            f" {len(result.skipped)} skipped)"
        )
    entries = f"{result.revisions} history entr{'ies' if result.revisions != 1 else 'y'}"
    typer.echo(f"Copied {counts} and {entries} from {source_name} to {target_name}.")
