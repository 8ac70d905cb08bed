"""Commands over the history of cases: history, delete."""

from enum import StrEnum
from typing import Annotated

import typer

from mishaps.cli.common import handle_errors, open_db

IdArg = Annotated[
    str, typer.Argument(metavar="ID", help="The case id, as `mishaps list` shows it.")
]


class HistoryFormat(StrEnum):
    table = "table"
    json = "json"


def register(app: typer.Typer) -> None:
    app.command("history")(history)
    app.command("delete")(delete)


@handle_errors
def history(
    ctx: typer.Context,
    mishap_id: IdArg,
    format: Annotated[
        HistoryFormat, typer.Option("--format", "-f", help="table for people; json for pipes.")
    ] = HistoryFormat.table,
) -> None:
    """List every change to a case: when, which action, by which command, from which file.

    Example: mishaps history 2026-03-12-kc-135-western-iraq
    """
    from mishaps.db import session_scope
    from mishaps.history import revisions
    from mishaps.output import table, to_json

    with session_scope(open_db(ctx, readonly=True)) as session:
        rows = [r.as_dict() for r in revisions(session=session, mishap_id=mishap_id)]
    if format is HistoryFormat.json:
        typer.echo(to_json(rows), nl=False)
        return
    rows = [{**r, "file": r["file"] or "-"} for r in rows]  # no file (a delete) is not "unknown"
    columns = [
        ("seq", "seq"),
        ("at", "when (UTC)"),
        ("action", "action"),
        ("command", "command"),
        ("file", "file"),
    ]
    typer.echo(table(rows, columns, max_width=80), nl=False)


@handle_errors
def delete(
    ctx: typer.Context,
    mishap_id: IdArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Delete without asking.")] = False,
) -> None:
    """Delete a case after asking for confirmation; its history is kept.

    Example: mishaps delete 2013-05-03-shell-77 --yes
    """
    from mishaps.db import session_scope
    from mishaps.errors import Cancelled
    from mishaps.ingest import delete_cases
    from mishaps.queries import get_case

    engine = open_db(ctx)
    with session_scope(engine) as session:
        case = get_case(session=session, mishap_id=mishap_id)
    if not yes:
        try:
            confirmed = typer.confirm(
                f"Delete {case.id} ({case.title})? Its history is kept.", err=True
            )
        except typer.Abort:  # end of input: nobody there to answer
            typer.echo(err=True)
            raise Cancelled(
                "no answer to the confirmation; nothing deleted"
                " (pass --yes to delete without asking)"
            ) from None
        if not confirmed:
            raise Cancelled("not confirmed; nothing deleted")
    delete_cases(engine, [case.id])
    typer.echo(f"Deleted {case.id}; `mishaps history {case.id}` still lists its revisions.")
