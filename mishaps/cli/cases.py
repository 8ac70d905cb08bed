"""Commands over cases: init, import, validate, export, list, show, stats."""

from pathlib import Path
from typing import Annotated

import typer

from mishaps.cli.common import (
    ExportFormat,
    ListFormat,
    ShowFormat,
    db_url,
    err,
    filter_options,
    handle_errors,
    load_seed,
    open_db,
    write_text,
)
from mishaps.filters import Filters
from mishaps.text import plural
from mishaps.vocab import OnConflict

FilesArg = Annotated[
    list[Path],
    typer.Argument(
        help="YAML or JSON files in the interchange format, or CSV files,"
        " one row a mishap (docs/format.md).",
        exists=False,
        dir_okay=False,
        show_default=False,
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write to this file instead of stdout.", dir_okay=False),
]


def register(app: typer.Typer) -> None:
    for func in (init, import_, validate, export, list_, show, stats):
        name = func.__name__.rstrip("_")
        app.command(name)(func)


@handle_errors
def init(
    ctx: typer.Context,
    empty: Annotated[
        bool, typer.Option("--empty", help="Create the schema only; load no seed cases.")
    ] = False,
) -> None:
    """Create the database and load the seed cases. Running it again is harmless.

    Example: mishaps --db office.db init
    """
    from mishaps.config import display_db
    from mishaps.db import create_schema

    engine = open_db(ctx, create=True, seed=not empty)
    create_schema(engine)
    added = 0 if empty else load_seed(engine)
    typer.echo(f"Database ready at {display_db(db_url(ctx)[0])}: {added} seed cases added.")


@handle_errors
def import_(
    ctx: typer.Context,
    files: FilesArg,
    on_conflict: Annotated[
        OnConflict,
        typer.Option(
            help="When a case id is already in the database: stop with an error, skip the"
            " case, or replace it (history keeps the old version)."
        ),
    ] = OnConflict.error,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Report what would be added, replaced or skipped; write nothing."
        ),
    ] = False,
) -> None:
    """Import cases from files, all or nothing: one bad record and nothing is written.

    Example: mishaps import new-cases.yaml --on-conflict replace
    """
    from mishaps.db import create_schema, has_schema
    from mishaps.ingest import class_warnings, import_cases, load_files

    loaded = load_files(files)
    for warning in class_warnings(loaded):
        err(f"Warning: {warning}")
    engine = open_db(ctx, create=True, seed=False)
    if not has_schema(engine):
        create_schema(engine)
    result = import_cases(engine, loaded, on_conflict=on_conflict, dry_run=dry_run)
    verb = "Would import" if dry_run else "Imported"
    typer.echo(
        f"{verb} {plural(len(loaded), 'case')} from {plural(len(files), 'file')}:"
        f" {len(result.added)} added, {len(result.replaced)} replaced,"
        f" {len(result.skipped)} skipped."
    )
    if dry_run:
        for label, ids in (
            ("add", result.added),
            ("replace", result.replaced),
            ("skip", result.skipped),
        ):
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
    from mishaps.ingest import class_warnings, load_files, service_warnings

    loaded = load_files(files, strict=strict)
    for warning in class_warnings(loaded) + service_warnings(loaded):
        err(f"Warning: {warning}")
    typer.echo(f"OK: {plural(len(loaded), 'case')} in {plural(len(files), 'file')} are valid.")


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
    from mishaps.db import session_scope
    from mishaps.output import CSV_COLUMNS, case_csv_row, cases_document, to_csv
    from mishaps.queries import find_cases

    with session_scope(open_db(ctx)) as session:
        cases = find_cases(session=session, filters=filters)
    if format is ExportFormat.csv:
        text = to_csv([case_csv_row(c) for c in cases], CSV_COLUMNS)
    else:
        text = cases_document(cases, format.value)
    write_text(output, text)


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
def list_(
    ctx: typer.Context,
    filters: Filters,
    format: Annotated[
        ListFormat, typer.Option("--format", "-f", help="table for people; json or csv for pipes.")
    ] = ListFormat.table,
) -> None:
    """List cases matching the filters, oldest first.

    Example: mishaps list --aircraft KC-135 --role tanker --since 2000 --format json
    """
    from mishaps.db import session_scope
    from mishaps.output import table, to_csv, to_json
    from mishaps.queries import list_mishaps

    with session_scope(open_db(ctx)) as session:
        rows = [r.as_dict() for r in list_mishaps(session=session, filters=filters)]
    if format is ListFormat.json:
        typer.echo(to_json(rows), nl=False)
    elif format is ListFormat.csv:
        typer.echo(to_csv(rows, LIST_CSV_COLUMNS), nl=False)
    elif rows:
        typer.echo(table(rows, LIST_COLUMNS), nl=False)
        err(plural(len(rows), "case"))
    else:
        err("No cases match.")


@handle_errors
def show(
    ctx: typer.Context,
    mishap_id: Annotated[
        str, typer.Argument(metavar="ID", help="The case id, as `mishaps list` shows it.")
    ],
    format: Annotated[
        ShowFormat,
        typer.Option(
            "--format", "-f", help="text for people; json or yaml in the interchange format."
        ),
    ] = ShowFormat.text,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="DATE",
            help="Show the case as it stood then, from its history: a date (its end, UTC)"
            " or a timestamp such as 2026-03-13T10:00:00Z.",
        ),
    ] = None,
) -> None:
    """Show one whole case, as it is now or as it stood at a past date.

    Example: mishaps show 2026-03-12-kc-135-western-iraq --as-of 2026-03-13
    """
    from mishaps.db import session_scope
    from mishaps.files import dump_json, dump_yaml
    from mishaps.history import case_as_of, parse_moment
    from mishaps.output import case_text
    from mishaps.queries import get_case

    moment = None
    if as_of is not None:
        try:
            moment = parse_moment(as_of)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--as-of") from None
    with session_scope(open_db(ctx)) as session:
        if moment is None:
            case = get_case(session=session, mishap_id=mishap_id)
        else:
            case = case_as_of(session=session, mishap_id=mishap_id, moment=moment)
    if format is ShowFormat.text:
        typer.echo(case_text(case), nl=False)
    else:
        doc = case.to_document()
        typer.echo(dump_json(doc) if format is ShowFormat.json else dump_yaml(doc), nl=False)


@handle_errors
@filter_options
def stats(
    ctx: typer.Context,
    filters: Filters,
    by: Annotated[
        str,
        typer.Option(
            "--by",
            help=(
                "Group by year, fy (fiscal year), aircraft, family (airframe family), role,"
                " category, class (stated, else derived), phase, mechanism (refuelling"
                " mechanism), service, nation, hfacs-tier or hfacs-category."
            ),
        ),
    ] = "year",
    format: Annotated[
        ListFormat, typer.Option("--format", "-f", help="table for people; json or csv for pipes.")
    ] = ListFormat.table,
) -> None:
    """Count mishaps and fatalities by a field; unknown fatalities are counted apart, never as 0.

    Example: mishaps stats --by aircraft --role receiver
    """
    from mishaps.db import session_scope
    from mishaps.output import table, to_csv, to_json
    from mishaps.queries import STATS_BY
    from mishaps.queries import stats as compute

    if by not in STATS_BY:
        raise typer.BadParameter(f"choose one of {', '.join(STATS_BY)}", param_hint="--by")
    with session_scope(open_db(ctx)) as session:
        result = compute(session=session, filters=filters, by=by)
    rows = [r.as_dict() for r in result.rows]
    columns = [("key", {"fy": "fiscal year"}.get(by, by)), ("mishaps", "mishaps")]
    if by in ("aircraft", "role", "family"):
        columns.append(("aircraft", "aircraft"))
    if by == "class":
        columns.append(("derived", "of which derived"))
    columns += [
        ("fatalities", "fatalities (known)"),
        ("fatalities_unknown", "cases with fatalities unknown"),
    ]
    if format is ListFormat.json:
        typer.echo(
            to_json({"by": by, "rows": rows, "total": result.total.as_dict(), "note": result.note}),
            nl=False,
        )
    elif format is ListFormat.csv:
        typer.echo(to_csv(rows, [k for k, _ in columns]), nl=False)
    else:
        typer.echo(table([*rows, result.total.as_dict()], columns), nl=False)
        if result.note:
            err(f"Note: {result.note}.")
