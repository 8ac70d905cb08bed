"""Commands that copy the whole database: backup, restore."""

from pathlib import Path
from typing import Annotated

import typer

from mishaps.cli.common import confirm, handle_errors, open_database, write_text

FileArg = Annotated[Path, typer.Argument(metavar="FILE", help="The backup file.", dir_okay=False)]
BackupFileArg = Annotated[
    Path,
    typer.Argument(
        metavar="FILE",
        help="The backup file (- is stdout: a logical JSON backup).",
        dir_okay=False,
    ),
]


def register(app: typer.Typer) -> None:
    app.command("backup")(backup)
    app.command("restore")(restore)


@handle_errors
def backup(
    ctx: typer.Context,
    file: BackupFileArg,
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
    if str(file) == "-":
        write_text(None, open_database(ctx, readonly=True).backup_json())
        return
    result = open_database(ctx, readonly=True).backup(file, force=force, logical=logical)
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
    from mishaps.backup import inspect_backup

    found = inspect_backup(file)  # refuse a bad file before asking anything
    db = open_database(ctx, create=True)
    if not yes and db.state().has_tables:
        current = db.contents()
        if current.cases or current.revisions:
            question = f"Replace the {current} in the database with the {found} in {file}?"
            confirm(question, verb="restore")
    result = db.restore(file)
    typer.echo(f"Restored {result.restored} from {file}; replaced {result.replaced}.")
