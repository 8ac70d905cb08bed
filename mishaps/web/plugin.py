"""Our Datasette plugin: every case page links to its PDF brief, rendered on request.

Registered through the ``datasette`` entry point and inert unless the metadata has a ``mishaps``
plugin section, which only ``mishaps serve`` writes. The marking options come from there.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from datasette import hookimpl  # banned at module level elsewhere; a plugin is loaded by Datasette
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

BRIEF_ROUTE = r"^/-/mishaps/brief/(?P<mishap_id>[a-z0-9]+(?:-[a-z0-9]+)*)\.pdf$"


def brief_path(mishap_id: str) -> str:
    return f"/-/mishaps/brief/{mishap_id}.pdf"


def _config(datasette: Any) -> dict[str, Any] | None:
    config: dict[str, Any] | None = datasette.plugin_config("mishaps")
    return config or None


@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, Any]]:
    return [(BRIEF_ROUTE, brief)] if _config(datasette) else []


async def brief(datasette: Any, request: Any) -> Response:
    from mishaps.errors import NotFound as CaseNotFound
    from mishaps.reports.context import Marking
    from mishaps.web.briefs import render_brief

    config = _config(datasette)
    assert config is not None  # the route exists only when configured
    snapshot = datasette.get_database(config["database"]).path
    mishap_id = request.url_vars["mishap_id"]
    options = config.get("brief") or {}
    marking = Marking(
        options.get("marking"),
        options.get("distribution"),
        options.get("reason"),
        options.get("office"),
    )
    from pathlib import Path

    try:
        pdf = await asyncio.to_thread(render_brief, Path(snapshot), mishap_id, marking)
    except CaseNotFound:
        raise NotFound(f"No case {mishap_id}") from None
    return Response(
        pdf,
        content_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{mishap_id}.pdf"'},
    )


@hookimpl
def extra_template_vars(view_name: str, table: str | None, request: Any, datasette: Any) -> Any:
    """``mishaps_brief_url`` on the row page of a case (templates/row.html shows it)."""
    config = _config(datasette)
    if config is None or view_name != "row" or table not in ("cases", "mishap"):
        return {}
    database = config["database"]
    if request.url_vars.get("database") != database:
        return {}

    async def inner() -> dict[str, Any]:
        from datasette.utils import urlsafe_components

        (key,) = urlsafe_components(request.url_vars["pks"])
        if table == "cases":
            mishap_id: str | None = key
        else:
            db = datasette.get_database(database)
            row = (await db.execute("select id from mishap where pk = ?", [key])).first()
            mishap_id = row[0] if row else None
        return {"mishaps_brief_url": brief_path(mishap_id) if mishap_id else None}

    return inner


@hookimpl
def render_cell(value: Any, column: str, table: str | None, datasette: Any) -> Any:
    """The map popup column reads as words, not JSON."""
    if table != "cases" or column != "popup" or not value or _config(datasette) is None:
        return None
    try:
        popup = json.loads(value)
    except (TypeError, ValueError):
        return None
    return Markup(f"<span class='mishaps-popup'>{escape(popup.get('description', ''))}</span>")
