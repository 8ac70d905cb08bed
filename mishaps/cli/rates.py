"""`mishaps rates`: mishap rates per 100,000 flight hours over the user's exposure data."""

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mishaps.cli.common import (
    ListFormat,
    emit,
    filter_options,
    handle_errors,
    open_database,
)
from mishaps.filters import Filters
from mishaps.text import plural

if TYPE_CHECKING:
    from mishaps.output import Listing
    from mishaps.rates import Rates


class RatesBy(str, Enum):
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
        RatesBy,
        typer.Option(metavar="FIELD", help="One rate per fiscal year (fy) or per aircraft type."),
    ] = RatesBy.fy,
    format: Annotated[
        ListFormat, typer.Option("--format", "-f", help="table for people; json or csv for pipes.")
    ] = ListFormat.table,
) -> None:
    """Compute mishap rates per 100,000 flight hours with exact Poisson 95% intervals.

    Example: mishaps rates --exposure hours.csv --by fy --aircraft KC-46 --since 2019
    """
    emit(
        rates_listing(open_database(ctx, readonly=True).rates(exposure, filters, by=by.value)),
        format,
    )


def rates_listing(result: "Rates") -> "Listing":
    from mishaps.output import Listing
    from mishaps.rates import CONFIDENCE, PER_HOURS, SMALL_COUNT

    fy = result.by == "fy"
    shown = [
        {
            "key": f"FY{r.key}" if fy else r.key,
            "mishaps": r.mishaps,
            "hours": f"{r.flight_hours:,.0f}",
            "rate": f"{r.rate:.3f}",
            "ci": f"{r.ci_low:.3f} - {r.ci_high:.3f}",
            "flag": "small count" if r.small_count else "",
        }
        for r in result.rows
    ]
    columns = [
        ("key", "fiscal year" if fy else "aircraft"),
        ("mishaps", "mishaps"),
        ("hours", "flight hours"),
        ("rate", "per 100,000 h"),
        ("ci", "95% CI (exact Poisson)"),
        ("flag", "note"),
    ]
    document = {
        "by": result.by,
        "per_flight_hours": PER_HOURS,
        "confidence": CONFIDENCE,
        "interval": "exact (Garwood) Poisson",
        "small_count_below": SMALL_COUNT,
    }
    after = {
        "unknown_fiscal_year": {"mishaps": len(result.unknown_fy), "ids": result.unknown_fy},
        "note": result.note,
    }
    rows = [r.as_dict() for r in result.rows]
    return Listing(
        rows,
        columns,
        csv_columns=None if rows else ["key"],
        shown=shown,
        document=document,
        after=after,
        notes=rates_notes(result),
    )


def rates_notes(result: "Rates") -> list[str]:
    from mishaps.rates import SMALL_COUNT

    notes = []
    small = [f"FY{r.key}" if result.by == "fy" else r.key for r in result.rows if r.small_count]
    if small:
        notes.append(
            f"Warning: fewer than {SMALL_COUNT} mishaps in {', '.join(small)}: a rate from so few"
            " events is unstable; read the confidence interval, not the rate."
        )
    if result.unknown_fy:
        n = len(result.unknown_fy)
        notes.append(
            f"Note: {plural(n, 'matching mishap')} with a date spanning two fiscal"
            f" years {'are' if n != 1 else 'is'} not counted: {', '.join(result.unknown_fy)}."
        )
    if result.note:
        notes.append(f"Note: {result.note}.")
    return notes
