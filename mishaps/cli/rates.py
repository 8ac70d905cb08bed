"""`mishaps rates`: mishap rates per 100,000 flight hours over the user's exposure data."""

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from mishaps.cli.common import ListFormat, err, filter_options, handle_errors, open_db
from mishaps.filters import Filters
from mishaps.text import plural


class RatesBy(StrEnum):
    fy = "fy"
    aircraft = "aircraft"


def register(app: typer.Typer) -> None:
    app.command("rates")(rates)


@handle_errors
@filter_options
def rates(
    ctx: typer.Context,
    filters: Filters,
    exposure: Annotated[
        Path,
        typer.Option(
            help="CSV of flight hours: aircraft,fiscal_year,flight_hours (see docs/rates.md). Your"
            " own data: the tool ships none.",
            dir_okay=False,
            show_default=False,
            metavar="FILE",
        ),
    ],
    by: Annotated[
        RatesBy, typer.Option(help="One rate per fiscal year or per aircraft type.")
    ] = RatesBy.fy,
    format: Annotated[
        ListFormat, typer.Option("--format", "-f", help="table for people; json or csv for pipes.")
    ] = ListFormat.table,
) -> None:
    """Compute mishap rates per 100,000 flight hours with exact Poisson 95% intervals.

    Example: mishaps rates --exposure hours.csv --by fy --aircraft KC-46 --since 2018-10
    """
    from mishaps.db import session_scope
    from mishaps.output import table, to_csv, to_json
    from mishaps.rates import CONFIDENCE, PER_HOURS, SMALL_COUNT, compute, read_exposure

    rows_in = read_exposure(exposure)
    with session_scope(open_db(ctx, readonly=True)) as session:
        result = compute(session=session, filters=filters, exposure=rows_in, by=by.value)
    rows = [r.as_dict() for r in result.rows]
    if format is ListFormat.json:
        typer.echo(
            to_json(
                {
                    "by": result.by,
                    "per_flight_hours": PER_HOURS,
                    "confidence": CONFIDENCE,
                    "interval": "exact (Garwood) Poisson",
                    "small_count_below": SMALL_COUNT,
                    "rows": rows,
                    "unknown_fiscal_year": {
                        "mishaps": len(result.unknown_fy),
                        "ids": result.unknown_fy,
                    },
                    "note": result.note,
                }
            ),
            nl=False,
        )
    elif format is ListFormat.csv:
        typer.echo(to_csv(rows, list(rows[0]) if rows else ["key"]), nl=False)
    else:
        shown = [
            {
                "key": f"FY{r.key}" if by is RatesBy.fy else r.key,
                "mishaps": r.mishaps,
                "hours": f"{r.flight_hours:,.0f}",
                "rate": f"{r.rate:.3f}",
                "ci": f"{r.ci_low:.3f} - {r.ci_high:.3f}",
                "flag": "small count" if r.small_count else "",
            }
            for r in result.rows
        ]
        columns = [
            ("key", "fiscal year" if by is RatesBy.fy else "aircraft"),
            ("mishaps", "mishaps"),
            ("hours", "flight hours"),
            ("rate", "per 100,000 h"),
            ("ci", "95% CI (exact Poisson)"),
            ("flag", "note"),
        ]
        typer.echo(table(shown, columns), nl=False)
    small = [r.key for r in result.rows if r.small_count]
    if small:
        named = ", ".join(f"FY{k}" if by is RatesBy.fy else k for k in small)
        err(
            f"Warning: fewer than {SMALL_COUNT} mishaps in {named}: a rate from so few events is"
            " unstable; read the confidence interval, not the rate."
        )
    if result.unknown_fy:
        n = len(result.unknown_fy)
        err(
            f"Note: {plural(n, 'matching mishap')} with a date spanning two fiscal"
            f" years {'are' if n != 1 else 'is'} not counted: {', '.join(result.unknown_fy)}."
        )
    if result.note:
        err(f"Note: {result.note}.")
