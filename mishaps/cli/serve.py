"""`mishaps serve`: browse the casebook in a web browser (Datasette over a snapshot)."""

from typing import TYPE_CHECKING, Annotated

import typer

from mishaps.cli.common import err, handle_errors, open_database
from mishaps.cli.marking import marking_options

if TYPE_CHECKING:
    from mishaps.reports.context import Marking
    from mishaps.web.server import Serving, Snapshotting

PortOpt = Annotated[
    int, typer.Option("--port", "-p", min=1, max=65535, metavar="N", help="Port to listen on.")
]
HostOpt = Annotated[
    str,
    typer.Option(
        metavar="ADDRESS",
        help="Address to listen on. The default, 127.0.0.1, is this machine only;"
        " anything else shows the casebook to your network.",
    ),
]
OpenOpt = Annotated[bool, typer.Option("--open", help="Open the casebook in your web browser.")]
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@handle_errors
@marking_options
def serve(
    ctx: typer.Context,
    marking: "Marking",
    port: PortOpt = 8001,
    host: HostOpt = "127.0.0.1",
    open_browser: OpenOpt = False,
) -> None:
    """Browse the cases in a web browser: facets, search, a map and PDF briefs, all offline.

    Serves a read-only snapshot of the database taken at start; restart to see later changes.
    The briefs carry the marking options given here.

    Example: mishaps serve --open --marking UNCLASSIFIED
    """
    from mishaps.reports.context import cui_block

    cui_block(marking)  # a CUI marking without its indicator is refused before serving
    db = open_database(ctx)
    if host not in LOOPBACK:
        err(f"warning: listening on {host}: anyone who can reach this machine can read the cases")
    db.serve(
        host=host,
        port=port,
        marking=marking,
        open_browser=open_browser,
        on_event=announce,
    )


def announce(event: "Snapshotting | Serving") -> None:
    from mishaps.web.server import Snapshotting

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


def register(root: typer.Typer) -> None:
    root.command()(serve)
