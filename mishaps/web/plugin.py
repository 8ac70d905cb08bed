"""Our Datasette plugin: every case page links to its PDF brief, rendered on request, and the
mishaps are counted by aircraft type, code ... from an index (``mishaps.web.facets``).

Registered through the ``datasette`` entry point and inert unless the metadata has a ``mishaps``
plugin section, which only ``mishaps serve`` writes. The marking options come from there. (The
list facet is registered everywhere, as Datasette wants every class; elsewhere it counts as
Datasette's array facet does.)
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import fields
from pathlib import Path
from typing import Any

from datasette import hookimpl  # banned at module level elsewhere; a plugin is loaded by Datasette
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup

from mishaps.web.facets import ListFacet, index_filters
from mishaps.web.snapshot import ARRAY_COLUMNS

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
    marking = Marking(**{f.name: options.get(f.name) for f in fields(Marking)})
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
def register_facet_classes() -> list[Any]:
    return [ListFacet]  # ?_facet_list=COL


@hookimpl
def filters_from_request(request: Any, database: str, table: str, datasette: Any) -> Any:
    return index_filters(datasette, database, table, request) if _config(datasette) else None


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

        db = datasette.get_database(database)
        (key,) = urlsafe_components(request.url_vars["pks"])
        if table == "cases":
            mishap_id: str | None = key
        else:
            row = (await db.execute("select id from mishap where pk = ?", [key])).first()
            mishap_id = row[0] if row else None
        if mishap_id is None:
            return {}
        found: dict[str, Any] = {"mishaps_brief_url": brief_path(mishap_id)}
        if table == "cases":
            described = datasette.table_metadata(database, "cases").get("columns", {})
            found["mishaps_case"] = await case_page(db, mishap_id, described)
        return found

    return inner


async def case_page(db: Any, mishap_id: str, described: dict[str, str]) -> dict[str, Any] | None:
    """Everything the case page shows, read from the snapshot: the case, its aircraft, findings
    (with their HFACS titles), categories (with names) and sources."""
    case = (await db.execute("select * from cases where id = ?", [mishap_id])).first()
    if case is None:
        return None
    case = dict(case)
    pk = (await db.execute("select rowid from cases where id = ?", [mishap_id])).first()[0]
    stored = dict((await db.execute("select * from mishap where pk = ?", [pk])).first())

    async def rows(sql: str) -> list[dict[str, Any]]:
        return [dict(r) for r in (await db.execute(sql, [pk])).rows]

    aircraft = await rows("select * from aircraft where mishap_pk = ? order by position")
    findings = await rows("select * from finding where mishap_pk = ? order by position")
    codes = await rows(
        "select h.finding_position, h.code, t.title from finding_hfacs h"
        " left join hfacs t on t.code = h.code where h.mishap_pk = ? order by h.position"
    )
    for f in findings:
        f["hfacs"] = [c for c in codes if c["finding_position"] == f["position"]]
    categories = await rows(
        "select c.code, n.name from mishap_category c left join cictt n on n.code = c.code"
        " where c.mishap_pk = ? order by c.position"
    )
    sources = await rows("select * from source where mishap_pk = ? order by position")

    def field(label: str, column: str, value: Any = None) -> dict[str, Any]:
        shown = case.get(column) if value is None else value
        return {"label": label, "value": shown, "description": described.get(column, "")}

    money = case["damage_usd"]
    place = case["location_description"]
    if case["latitude"] is not None and case["longitude"] is not None:
        place += f" ({case['latitude']:.4f}, {case['longitude']:.4f}"
        if case.get("location_approximate"):
            basis = case.get("location_basis")
            place += "; approximate" + (f": {basis}" if basis else "")
        place += ")"
    cls = case["class"] and f"{case['class']} ({case['class_basis']})"
    mechanisms = await rows(
        "select c.code, m.name from case_mechanism c left join mechanism m on m.code = c.code"
        " where c.case_id = (select id from cases where rowid = ?) order by c.position"
    )
    facts = [
        field("Date", "occurred_on"),
        field("Time", "time", stored.get("time")),
        field("Fiscal year", "fiscal_year"),
        field("Status", "status"),
        field("Service", "service"),
        field("Operation", "operation"),
        field("Refueling method", "refueling_method"),
        field("Refueling phase", "refueling_phase"),
        field("Mishap class", "class", cls),
        field("Fatalities", "fatalities"),
        field("Injuries", "injuries"),
        field("Damage", "damage_usd", None if money is None else f"US${money:,.0f}"),
        field("Location", "location_description", place),
        field("Country", "country"),
    ]
    return {
        "id": mishap_id,
        "title": case["title"],
        "facts": facts,
        "summary": stored["summary"],
        "notes": stored.get("notes"),
        "categories": categories,
        "mechanisms": mechanisms,
        "series": json.loads(case.get("series") or "[]"),
        "aircraft": aircraft,
        "findings": findings,
        "sources": sources,
    }


@hookimpl
def render_cell(value: Any, column: str, table: str | None, datasette: Any) -> Any:
    """Cells of the cases table that read better as words: lists and the map popup."""
    if table != "cases" or not isinstance(value, str) or _config(datasette) is None:
        return None
    if column in ARRAY_COLUMNS or column == "popup":
        try:
            data = json.loads(value)
        except ValueError:
            return None
        if column == "popup":
            return Markup("<span class='mishaps-popup'>on the map</span>")
        return ", ".join(str(v) for v in data) if isinstance(data, list) else None
    return None
