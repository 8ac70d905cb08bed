"""Commands over the history of cases: history, delete."""

from enum import Enum
from typing import Annotated

import typer

from mishaps.cli.common import confirm, emit, handle_errors, open_database

IdArg = Annotated[
    str, typer.Argument(metavar="ID", help="The case id, as `mishaps list` shows it.")
]


class HistoryFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


HISTORY_COLUMNS = [
    ("rev", "rev"),
    ("seq", "seq"),
    ("at", "when (UTC)"),
    ("action", "action"),
    ("command", "command"),
    ("file", "file"),
]


def register(app: typer.Typer) -> None:
    app.command("history")(history)
    app.command("delete")(delete)


@handle_errors
def history(
    ctx: typer.Context,
    mishap_id: IdArg,
    format: Annotated[
        HistoryFormat,
        typer.Option("--format", "-f", help="table for people; json or csv for pipes."),
    ] = HistoryFormat.table,
) -> None:
    """List every change to a case: when, which action, by which command, from which file.

    Example: mishaps history 2026-03-12-kc-135-western-iraq
    """
    from mishaps.output import Listing

    rows = [r.as_dict() for r in open_database(ctx, readonly=True).history(mishap_id)]
    shown = [{**r, "file": r["file"] or "-"} for r in rows]  # no file (a delete) is not "unknown"
    emit(Listing(rows, HISTORY_COLUMNS, shown=shown, max_width=80), format)


@handle_errors
def delete(
    ctx: typer.Context,
    mishap_id: IdArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Delete without asking.")] = False,
) -> None:
    """Delete a case after asking for confirmation; its history is kept.

    Example: mishaps delete 2013-05-03-shell-77 --yes
    """
    db = open_database(ctx)
    if not yes:
        case = db.case(mishap_id)
        confirm(f"Delete {case.id} ({case.title})? Its history is kept.", verb="delete")
    db.delete(mishap_id)
    typer.echo(f"Deleted {mishap_id}; `mishaps history {mishap_id}` still lists its revisions.")
