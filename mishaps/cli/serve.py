"""`mishaps serve`: browse the casebook in a web browser (Datasette over a snapshot)."""

from typing import Annotated

import typer

from mishaps.cli.common import db_url, err, handle_errors, open_db
from mishaps.cli.report import DistributionOpt, MarkingOpt, OfficeOpt, ReasonOpt


@handle_errors
def serve(
    ctx: typer.Context,
    port: Annotated[
        int, typer.Option("--port", "-p", min=1, max=65535, metavar="N", help="Port to listen on.")
    ] = 8001,
    host: Annotated[
        str,
        typer.Option(
            metavar="ADDRESS",
            help="Address to listen on. The default, 127.0.0.1, is this machine only;"
            " anything else shows the casebook to your network.",
        ),
    ] = "127.0.0.1",
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the casebook in your web browser.")
    ] = False,
    marking: MarkingOpt = None,
    distribution: DistributionOpt = None,
    distribution_reason: ReasonOpt = None,
    controlling_office: OfficeOpt = None,
) -> None:
    """Browse the cases in a web browser: facets, search, a map and PDF briefs, all offline.

    Serves a read-only snapshot of the database taken at start; restart to see later changes.
    The briefs carry the marking options given here.

    Example: mishaps serve --open --marking CUI
    """
    from mishaps.reports.context import Marking
    from mishaps.web.server import Serving, Snapshotting
    from mishaps.web.server import serve as run

    open_db(ctx)  # the default database is made on first use; others must be current
    url = db_url(ctx)[0]
    if host not in ("127.0.0.1", "localhost", "::1"):
        err(f"warning: listening on {host}: anyone who can reach this machine can read the cases")

    def announce(event: Snapshotting | Serving) -> None:
        if isinstance(event, Snapshotting):
            err(f"Taking a read-only snapshot of {event.source} ...")
            return
        snap = event.snapshot
        err(
            f"Serving a read-only snapshot of {snap.source} ({snap.cases} cases, taken"
            f" {snap.taken_at:%Y-%m-%d %H:%M} UTC) at {event.url}\n"
            "Changes made after now do not show: stop with Ctrl+C and run `mishaps serve`"
            " again to refresh."
        )

    run(
        url,
        host=host,
        port=port,
        marking=Marking(marking, distribution, distribution_reason, controlling_office),
        open_browser=open_browser,
        on_event=announce,
    )


def register(root: typer.Typer) -> None:
    root.command()(serve)
