"""PDF briefs for the browser, rendered by the report library from the snapshot."""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

from mishaps.reports.context import Marking

_LOCK = threading.Lock()  # one WeasyPrint layout at a time: it is not documented thread-safe


@lru_cache(maxsize=32)  # the snapshot never changes, so neither does a case's brief
def render_brief(snapshot: Path, mishap_id: str, marking: Marking) -> bytes:
    """The brief on one case as PDF bytes; raises mishaps.errors.NotFound for an unknown id."""
    from sqlalchemy import create_engine

    from mishaps.reports import make
    from mishaps.reports.context import generation_time

    # Read-only and immutable: the snapshot is ours, read-only on disk and not in WAL mode.
    engine = create_engine(f"sqlite:///{snapshot.resolve().as_uri()}?mode=ro&immutable=1&uri=true")
    try:
        options = make.Options(marking=marking, generated_at=generation_time())
        with _LOCK:
            report = make.brief(engine, mishap_id, options)
    finally:
        engine.dispose()
    assert report.rendered is not None  # html_only is False
    return report.rendered.pdf
