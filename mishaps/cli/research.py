"""Research commands (issue 13): similar, series, airframe, recommendations."""

from dataclasses import asdict
from typing import Annotated, Any

import typer

from mishaps.cli.common import ListFormat, emit, filter_options, handle_errors, open_database
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
    shown: list[dict[str, Any]] | None = None,
    document: dict[str, Any] | None = None,
    rows_key: str = "rows",
) -> None:
    """Through the one output path (mishaps.output.render)."""
    from mishaps.output import Listing

    listing = Listing(
        rows,
        columns,
        csv_columns=[k for k, _ in columns],
        shown=shown,
        document=document,
        rows_key=rows_key,
        count=plural(len(rows), what),
        empty=empty,
    )
    emit(listing, format)


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
    if (mishap_id is None) == (text is None):
        raise typer.BadParameter("give a case ID or --text, not both", param_hint="ID / --text")
    db = open_database(ctx)
    if mishap_id is not None:
        matches = db.similar(mishap_id, limit=limit)
    else:
        assert text is not None
        matches = db.similar_text(text, limit=limit)
    rows = [m.as_dict() for m in matches]
    if format is not ListFormat.json:  # one cell for CSV and tables; JSON keeps the list
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
    db = open_database(ctx)
    if series_id is None:
        columns = [("id", "id"), ("cases", "cases"), ("title", "title")]
        _print(db.series_list(), columns, format, empty="No series.", what="series")
        return
    found, timeline = db.series(series_id)
    if format is ListFormat.table:
        typer.echo(f"{found.id}: {found.title}")
    columns = [("occurred_on", "date"), ("id", "id"), ("status", "status"), ("cause", "cause")]
    _print(
        [t.as_dict() for t in timeline],
        columns,
        format,
        empty="No cases in this series.",
        what="case",
        document=asdict(found),  # JSON: the series itself too, its title and sources
        rows_key="cases",
    )


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
    rows = [r.as_dict() for r in open_database(ctx).airframe(serial)]
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
    status = recommendation_status.value if recommendation_status else None
    db = open_database(ctx)
    rows = [r.as_dict() for r in db.recommendations(filters, recommendation_status=status)]
    columns = [
        ("occurred_on", "date"),
        ("id", "id"),
        ("status", "status"),
        ("status_as_of", "as of"),
        ("text", "recommendation"),
    ]
    _print(rows, columns, format, empty="No recommendations match.", what="recommendation")
