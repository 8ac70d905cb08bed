"""Research commands (issue 13): similar, series, airframe, recommendations."""

from dataclasses import asdict
from typing import Annotated, Any

import typer

from mishaps.cli.common import ListFormat, err, filter_options, handle_errors, open_db
from mishaps.filters import Filters
from mishaps.text import plural
from mishaps.vocab import RecommendationStatus

FormatOpt = Annotated[
    ListFormat, typer.Option("--format", "-f", help="table for people; json or csv for pipes.")
]


def register(app: typer.Typer) -> None:
    app.command("similar")(similar)
    app.command("series")(series)
    app.command("airframe")(airframe)
    app.command("recommendations")(recommendations)


def _print(
    rows: list[dict[str, Any]],
    columns: list[tuple[str, str]],
    format: ListFormat,
    *,
    empty: str,
    what: str,
) -> None:
    """One output path for these commands: rows and a format in, text out."""
    from mishaps.output import table, to_csv, to_json

    if format is ListFormat.json:
        typer.echo(to_json(rows), nl=False)
    elif format is ListFormat.csv:
        typer.echo(to_csv(rows, [k for k, _ in columns]), nl=False)
    elif rows:
        typer.echo(table(rows, columns), nl=False)
        err(plural(len(rows), what))
    else:
        err(empty)


@handle_errors
def similar(
    ctx: typer.Context,
    mishap_id: Annotated[
        str | None,
        typer.Argument(metavar="[ID]", help="The case to find precedents for.", show_default=False),
    ] = None,
    text: Annotated[
        str | None,
        typer.Option("--text", metavar="TEXT", help="A draft narrative instead of a case id."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many cases.")] = 10,
    format: FormatOpt = ListFormat.table,
) -> None:
    """Rank the other cases by likeness to a case or a draft narrative, with the reasons.

    Shared tanker/receiver families, method, phase, mechanisms, occurrence categories, HFACS
    codes and words of the findings add up to the score; the same on every backend.

    Example: mishaps similar --text "boom would not disconnect and struck the receiver canopy"
    """
    from mishaps.db import session_scope
    from mishaps.similar import similar_to_case, similar_to_text

    if (mishap_id is None) == (text is None):
        raise typer.BadParameter("give a case ID or --text, not both", param_hint="ID / --text")
    with session_scope(open_db(ctx)) as session:
        if mishap_id is not None:
            matches = similar_to_case(session=session, mishap_id=mishap_id, limit=limit)
        else:
            assert text is not None
            matches = similar_to_text(session=session, text_=text, limit=limit)
    rows = [m.as_dict() for m in matches]
    if format is not ListFormat.json:
        rows = [{**r, "reasons": "; ".join(r["reasons"])} for r in rows]
    columns = [("score", "score"), ("id", "id"), ("reasons", "why")]
    _print(rows, columns, format, empty="No similar cases.", what="case")


@handle_errors
def series(
    ctx: typer.Context,
    series_id: Annotated[
        str | None,
        typer.Argument(metavar="[ID]", help="A series id: print its timeline.", show_default=False),
    ] = None,
    format: FormatOpt = ListFormat.table,
) -> None:
    """List the series of recurring failures, or print one series' cases in date order.

    Example: mishaps series kc-46-boom-nozzle-binding
    """
    from mishaps.db import session_scope
    from mishaps.research import all_series, series_timeline

    with session_scope(open_db(ctx)) as session:
        if series_id is None:
            rows = all_series(session=session)
            columns = [("id", "id"), ("cases", "cases"), ("title", "title")]
            _print(rows, columns, format, empty="No series.", what="series")
            return
        found, timeline = series_timeline(session=session, series_id=series_id)
    rows = [t.as_dict() for t in timeline]
    if format is ListFormat.json:  # the series itself too: a script needs its title and sources
        from mishaps.output import to_json

        typer.echo(to_json({**asdict(found), "cases": rows}), nl=False)
        return
    columns = [("occurred_on", "date"), ("id", "id"), ("status", "status"), ("cause", "cause")]
    if format is ListFormat.table:
        typer.echo(f"{found.id}: {found.title}")
    _print(rows, columns, format, empty="No cases in this series.", what="case")


@handle_errors
def airframe(
    ctx: typer.Context,
    serial: Annotated[str, typer.Argument(help="The airframe's serial number, as written.")],
    format: FormatOpt = ListFormat.table,
) -> None:
    """List every case an airframe appears in, with its role and damage.

    USAF fiscal-year serials match however written (63-8877, 638877 and 63-08877 are one
    airframe); Navy BuNos and other serials match as given.

    Example: mishaps airframe 63-8877
    """
    from mishaps.db import session_scope
    from mishaps.research import airframe as find

    with session_scope(open_db(ctx)) as session:
        rows = [r.as_dict() for r in find(session=session, serial=serial)]
    columns = [
        ("occurred_on", "date"),
        ("id", "id"),
        ("serial", "serial"),
        ("type", "type"),
        ("role", "role"),
        ("damage", "damage"),
        ("fatalities", "killed aboard"),
    ]
    _print(rows, columns, format, empty=f"No case names the airframe {serial}.", what="case")


@handle_errors
@filter_options
def recommendations(
    ctx: typer.Context,
    filters: Filters,
    recommendation_status: Annotated[
        RecommendationStatus | None,
        typer.Option(help="Only recommendations with this status (--status is the case's)."),
    ] = None,
    format: FormatOpt = ListFormat.table,
) -> None:
    """List the recommendation findings of the matching cases, with their case.

    Example: mishaps recommendations --aircraft KC-46 --recommendation-status open
    """
    from mishaps.db import session_scope
    from mishaps.research import recommendations as find

    status = recommendation_status.value if recommendation_status else None
    with session_scope(open_db(ctx)) as session:
        rows = [r.as_dict() for r in find(session=session, filters=filters, status=status)]
    columns = [
        ("occurred_on", "date"),
        ("id", "id"),
        ("status", "status"),
        ("status_as_of", "as of"),
        ("text", "recommendation"),
    ]
    _print(rows, columns, format, empty="No recommendations match.", what="recommendation")
