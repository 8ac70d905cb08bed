"""Commands over cases: init, import, validate, export, list, show, stats."""

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mishaps.cli.common import (
    ExportFormat,
    ListFormat,
    ShowFormat,
    emit,
    err,
    filter_options,
    handle_errors,
    open_database,
    write_text,
)
from mishaps.filters import Filters
from mishaps.text import plural
from mishaps.vocab import OnConflict, OnDuplicate

if TYPE_CHECKING:
    from mishaps.api import InitResult
    from mishaps.output import Listing
    from mishaps.queries import Stats

FilesArg = Annotated[
    list[Path],
    typer.Argument(
        metavar="FILE",
        help="YAML or JSON files in the interchange format, or CSV files,"
        " one row a mishap (docs/format.md).",
        exists=False,
        dir_okay=False,
        show_default=False,
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write to this file instead of stdout (- is stdout).",
        dir_okay=False,
        metavar="FILE",
    ),
]


IdArg = Annotated[
    str, typer.Argument(metavar="ID", help="The case id, as `mishaps list` shows it.")
]
FormatOpt = Annotated[
    ListFormat, typer.Option("--format", "-f", help="table for people; json or csv for pipes.")
]


class StatsBy(str, Enum):
    """The fields `stats` groups by (queries.STATS_BY; a test checks they agree)."""

    year = "year"
    fy = "fy"
    aircraft = "aircraft"
    role = "role"
    category = "category"
    mishap_class = "class"
    phase = "phase"
    service = "service"
    hfacs_tier = "hfacs-tier"
    hfacs_category = "hfacs-category"
    mechanism = "mechanism"
    nation = "nation"
    family = "family"
    pair = "pair"
    pair_phase = "pair,phase"
    pair_mechanism = "pair,mechanism"


def register(app: typer.Typer) -> None:
    for func in (init, import_, validate, export, list_, show, stats, duplicates):
        name = func.__name__.rstrip("_")
        app.command(name)(func)


@handle_errors
def init(
    ctx: typer.Context,
    empty: Annotated[
        bool, typer.Option("--empty", help="Create the schema only; load no seed cases.")
    ] = False,
) -> None:
    """Create the database and load the seed cases. Running it again changes nothing.

    Seed cases go only into a database that never held a case, so a case someone deleted is
    never brought back.

    Example: mishaps --db office.db init
    """
    db = open_database(ctx, create=True)
    result = db.created or db.init(seed=not empty)
    if db.created is None:  # opening made it and said so already
        typer.echo(init_message(result))


def init_message(r: "InitResult") -> str:
    if r.created:
        return f"Created the database {r.name} with {plural(r.seeded, 'seed case')}."
    done = (
        f"upgraded its schema from revision {r.upgraded[0] or 'unrecorded'} to {r.upgraded[1]}"
        if r.upgraded
        else "nothing changed"
    )
    text = f"{r.name} already holds a mishaps database ({plural(r.cases, 'case')}); {done}."
    if r.seed_skipped:
        text += (
            " Seed cases are loaded only into a new database; to add them:"
            " mishaps import seed_data/*.yaml --on-conflict skip"
        )
    return text


OnConflictOpt = Annotated[
    OnConflict,
    typer.Option(
        help="When a case id is already in the database: stop with an error, skip the"
        " case, or replace it (history keeps the old version)."
    ),
]
DryRunOpt = Annotated[
    bool,
    typer.Option(
        "--dry-run", help="Report what would be added, replaced or skipped; write nothing."
    ),
]
OnDuplicateOpt = Annotated[
    OnDuplicate,
    typer.Option(
        help="When a case shares its day and an aircraft family with another case (maybe"
        " one event under two ids): warn and import it, skip it, or refuse the import."
    ),
]


@handle_errors
def import_(
    ctx: typer.Context,
    files: FilesArg,
    on_conflict: OnConflictOpt = OnConflict.error,
    dry_run: DryRunOpt = False,
    on_duplicate: OnDuplicateOpt = OnDuplicate.warn,
) -> None:
    """Import cases from files, all or nothing: one bad record and nothing is written.

    Example: mishaps import new-cases.yaml --on-conflict replace
    """
    # Only `init` creates a database at a path the user names: a mistyped --db is an error,
    # not a new file (the default database is still made on first use).
    from mishaps.api import validate_files

    checked = validate_files(files, duplicates=False)  # the files' problems first, whatever the db
    done = open_database(ctx).import_files(
        checked, on_conflict=on_conflict, on_duplicate=on_duplicate, dry_run=dry_run
    )
    _print_import(done)


def _print_import(done: Any) -> None:
    for warning in done.warnings:
        err(f"Warning: {warning}")
    r = done.result
    typer.echo(
        f"{'Would import' if done.dry_run else 'Imported'} {plural(done.cases, 'case')} from"
        f" {plural(done.files, 'file')}: {len(r.added)} added, {len(r.replaced)} replaced,"
        f" {len(r.skipped)} skipped."
    )
    if done.dry_run:
        for label, ids in (("add", r.added), ("replace", r.replaced), ("skip", r.skipped)):
            for mid in ids:
                typer.echo(f"  {label} {mid}")


@handle_errors
def validate(
    files: FilesArg,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Also require a cite (a source number) for every filled fact field and"
            " every finding, as the seed data must have.",
        ),
    ] = False,
) -> None:
    """Check YAML, JSON or CSV files of cases; write nothing. Every problem is reported.

    A stated class that the era thresholds contradict is a warning: the file stays valid.

    Example: mishaps validate --strict seed_data/*.yaml
    """
    from mishaps.api import validate_files

    checked = validate_files(files, strict=strict)
    for warning in checked.warnings:
        err(f"Warning: {warning}")
    typer.echo(
        f"OK: {plural(len(checked.loaded), 'case')} in {plural(checked.files, 'file')} are valid."
    )


@handle_errors
@filter_options
def export(
    ctx: typer.Context,
    filters: Filters,
    format: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            "-f",
            help="yaml and json are the interchange format (import reads them back); csv is"
            " one row a mishap, for spreadsheets.",
        ),
    ] = ExportFormat.yaml,
    output: OutputOpt = None,
) -> None:
    """Export cases, whole, in the interchange format or as CSV.

    Example: mishaps export --aircraft KC-46 --format json -o kc46.json
    """
    db = open_database(ctx, readonly=True)
    write_text(output, db.export(filters, format=format.value), protect=db.files())


LIST_COLUMNS = [
    ("occurred_on", "date"),
    ("fiscal_year", "FY"),
    ("id", "id"),
    ("class", "class"),
    ("status", "status"),
    ("aircraft", "aircraft"),
    ("fatalities", "fatal"),
    ("title", "title"),
]
# mishap_class is the stated class, derived_class what the era rules give, class the label shown.
LIST_CSV_COLUMNS = [
    "occurred_on",
    "fiscal_year",
    "id",
    "mishap_class",
    "derived_class",
    "class",
    "status",
    "aircraft",
    "fatalities",
    "title",
    "service",
]


@handle_errors
@filter_options
def list_(ctx: typer.Context, filters: Filters, format: FormatOpt = ListFormat.table) -> None:
    """List cases matching the filters, oldest first.

    Example: mishaps list --aircraft KC-135 --role tanker --since 2000 --format json
    """
    from mishaps.output import Listing, Records

    db = open_database(ctx, readonly=True)
    found = db.rows(filters)
    # The rows as they come, read with Row.as_dict's keys, without a dict per row.
    rows = Records(list(found[0].as_dict()) if found else (), found)
    hint = db.aircraft_hint(filters.aircraft) if not rows and filters.aircraft else None
    count = plural(len(rows), "case")
    empty = f"No cases match: {hint}" if hint else "No cases match."
    notes = [f"Note: {hint}"] if hint and format is not ListFormat.table else []
    listing = Listing(rows, LIST_COLUMNS, LIST_CSV_COLUMNS, count=count, empty=empty, notes=notes)
    emit(listing, format)


ShowFormatOpt = Annotated[
    ShowFormat,
    typer.Option("--format", "-f", help="text for people; json or yaml in the interchange format."),
]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="DATE",
        help="Show the case as this database held it then (its history, not the mishap's"
        " date): a date (its end, UTC) or a timestamp such as 2026-03-13T10:00:00Z.",
    ),
]
RevisionOpt = Annotated[
    int | None,
    typer.Option(
        "--revision",
        metavar="N",
        min=1,
        help="Show the case as its N-th change left it (the rev column of `mishaps history`),"
        " also after it was deleted.",
    ),
]


@handle_errors
def show(
    ctx: typer.Context,
    mishap_id: IdArg,
    format: ShowFormatOpt = ShowFormat.text,
    as_of: AsOfOpt = None,
    revision: RevisionOpt = None,
) -> None:
    """Show one whole case, as it is now or as the database held it at a past moment.

    Example: mishaps show 2002-kc-10-basket-vfa-147 --revision 1
    """
    from mishaps.files import dump_json, dump_yaml
    from mishaps.output import case_text

    if as_of is not None and revision is not None:
        raise typer.BadParameter("give --as-of or --revision, not both", param_hint="--as-of")
    case = open_database(ctx, readonly=True).case(mishap_id, as_of=as_of, revision=revision)
    if format is ShowFormat.text:
        typer.echo(case_text(case), nl=False)
    else:
        doc = case.to_document()
        typer.echo(dump_json(doc) if format is ShowFormat.json else dump_yaml(doc), nl=False)


def stats_columns(result: "Stats") -> list[tuple[str, str]]:
    """The table's columns, named for what they count (per mishap or per aircraft)."""
    by = result.by
    key = {"fy": "fiscal year", "pair,phase": "pair", "pair,mechanism": "pair"}.get(by, by)
    columns = [("key", key)]
    if any(r.name is not None for r in result.rows):
        columns.append(("name", "name"))
    if by == "pair,phase":
        columns.append(("phase", "phase"))
    if by == "pair,mechanism":
        columns.append(("mechanism", "mechanism"))
    columns.append(("mishaps", "mishaps"))
    if result.counts == "aircraft":
        return [
            *columns,
            ("aircraft", "aircraft"),
            ("fatalities", "killed aboard (known)"),
            ("fatalities_unknown", "aircraft with killed unknown"),
            ("destroyed", "aircraft destroyed"),
            ("damage_unknown", "aircraft with damage unknown"),
        ]
    if by == "class":
        columns.append(("derived", "of which derived"))
    columns += [
        ("fatalities", "killed in these mishaps (known)"),
        ("fatalities_unknown", "mishaps with killed unknown"),
    ]
    if by.startswith("pair"):
        columns.append(("destroyed", "aircraft destroyed"))
    return columns


@handle_errors
@filter_options
def stats(
    ctx: typer.Context,
    filters: Filters,
    by: Annotated[
        StatsBy,
        typer.Option(
            "--by",
            metavar="FIELD",
            help="Group by year, fy (fiscal year), category, class (stated, else derived), phase,"
            " mechanism (air refueling mechanism), service, nation, hfacs-tier or hfacs-category"
            " (per mishap); aircraft, role or family (airframe family; per aircraft: what"
            " happened aboard each); pair (tanker family -> receiver family), pair,phase or"
            " pair,mechanism.",
        ),
    ] = StatsBy.year,
    format: FormatOpt = ListFormat.table,
) -> None:
    """Count mishaps and fatalities by a field; unknown fatalities are counted apart, never as 0.

    Per-aircraft groupings (aircraft, role, family) count each aircraft's own fatalities and
    damage; the others count each mishap's totals. The table's headings say which.

    Example: mishaps stats --by family --role receiver
    """
    db = open_database(ctx, readonly=True)
    result = db.stats(filters, by=by.value)
    hint = None
    if result.total.mishaps == 0 and filters.aircraft is not None:
        hint = db.aircraft_hint(filters.aircraft)
    emit(stats_listing(result, hint=hint), format)


def stats_listing(result: "Stats", *, hint: str | None = None) -> "Listing":
    """A stats result for output, its headings naming what it counts (mishaps or aircraft)."""
    from mishaps.output import Listing

    rows = [r.as_dict() for r in result.rows]
    columns = stats_columns(result)
    notes = [f"Note: {hint}"] if hint else []
    if result.note:
        notes.append(f"Note: {result.note}.")
    return Listing(
        rows,
        columns,
        csv_columns=[k for k, _ in columns],
        shown=[*rows, {"name": "", **result.total.as_dict()}],
        document={"by": result.by, "counts": result.counts},
        after={"total": result.total.as_dict(), "note": result.note},
        notes=notes,
    )


@handle_errors
def duplicates(
    ctx: typer.Context,
    format: Annotated[
        ListFormat, typer.Option("--format", "-f", help="table for people; json or csv for pipes.")
    ] = ListFormat.table,
) -> None:
    """List pairs of cases that may be one event under two ids: same day, same aircraft family.

    Example: mishaps duplicates --format json
    """
    from mishaps.output import Listing

    found = open_database(ctx, readonly=True).duplicates()
    rows = [
        {"first": s.first, "second": s.second, "family": s.family, "day": s.day.isoformat()}
        for s in found
    ]
    columns = [("day", "day"), ("family", "family"), ("first", "case"), ("second", "may be")]
    listing = Listing(
        rows,
        columns,
        count=plural(len(rows), "suspected pair"),
        empty="No suspected duplicates.",
        max_width=80,
    )
    emit(listing, format)
