"""Commands that copy the whole database: backup, restore."""

from pathlib import Path
from typing import Annotated

import typer

from mishaps.cli.common import handle_errors, open_db

FileArg = Annotated[Path, typer.Argument(metavar="FILE", help="The backup file.", dir_okay=False)]


def register(app: typer.Typer) -> None:
    app.command("backup")(backup)
    app.command("restore")(restore)


@handle_errors
def backup(
    ctx: typer.Context,
    file: FileArg,
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
    logical: Annotated[
        bool,
        typer.Option(
            "--logical",
            help="Write a JSON export of every case and revision, not an SQLite copy"
            " (always so for PostgreSQL).",
        ),
    ] = False,
) -> None:
    """Copy the whole database to a file, consistently, even while others are using it.

    Example: mishaps backup mishaps-2026-03-13.db
    """
    from mishaps.backup import backup as make_backup

    result = make_backup(open_db(ctx, readonly=True), file, force=force, logical=logical)
    kind = "SQLite copy" if result.kind == "sqlite" else "logical JSON export"
    typer.echo(
        f"Backed up {result.contents} to {result.path} ({kind});"
        f" bring it back with: mishaps restore {result.path}"
    )


@handle_errors
def restore(
    ctx: typer.Context,
    file: FileArg,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Replace the database's contents without asking.")
    ] = False,
) -> None:
    """Replace everything in the database with a backup made by `mishaps backup`.

    Example: mishaps restore mishaps-2026-03-13.db --yes
    """
    from mishaps.backup import contents, inspect_backup
    from mishaps.backup import restore as bring_back
    from mishaps.db import has_schema, session_scope
    from mishaps.errors import Cancelled

    found = inspect_backup(file)  # refuse a bad file before asking anything
    engine = open_db(ctx, create=True, seed=False)
    if has_schema(engine) and not yes:
        with session_scope(engine) as session:
            current = contents(session)
        if current.cases or current.revisions:
            question = f"Replace the {current} in the database with the {found} in {file}?"
            try:
                confirmed = typer.confirm(question, err=True)
            except typer.Abort:  # end of input: nobody there to answer
                typer.echo(err=True)
                raise Cancelled(
                    "no answer to the confirmation; nothing restored"
                    " (pass --yes to restore without asking)"
                ) from None
            if not confirmed:
                raise Cancelled("not confirmed; nothing restored")
    result = bring_back(engine, file)
    typer.echo(f"Restored {result.restored} from {file}; replaced {result.replaced}.")
