"""The reference taxonomies: `mishaps taxonomy cictt|hfacs|refueling`."""

from enum import StrEnum
from typing import Annotated, Any

import typer

from mishaps.cli.common import ListFormat, err, handle_errors, open_db


class Taxonomy(StrEnum):
    cictt = "cictt"
    hfacs = "hfacs"
    refueling = "refueling"


UNCONFIRMED = "no *"
FOOTNOTE = (
    "* not confirmed against an official source: {n} of {total} entries shown. Where each entry"
    " comes from: mishaps taxonomy {which} --format json (provenance)."
)


def register(app: typer.Typer) -> None:
    app.command("taxonomy")(taxonomy)


@handle_errors
def taxonomy(
    ctx: typer.Context,
    which: Annotated[
        Taxonomy,
        typer.Argument(
            help="cictt: CICTT occurrence categories; hfacs: DoD HFACS 8.0; refueling: the"
            " refuelling mechanism codes, with how many cases in the database have each."
        ),
    ],
    search: Annotated[
        str | None,
        typer.Option(
            help="Only entries whose code, name, definition, category or tier contains this text.",
            metavar="TEXT",
        ),
    ] = None,
    format: Annotated[
        ListFormat,
        typer.Option(
            "--format", "-f", help="table for people; json (with provenance) or csv for pipes."
        ),
    ] = ListFormat.table,
) -> None:
    """List the codes of a reference taxonomy with their names, and which are unconfirmed.

    Example: mishaps taxonomy hfacs --search fatigue
    """
    from mishaps import taxonomy as tx
    from mishaps.output import table, to_csv, to_json

    if which is Taxonomy.refueling:
        _refueling(ctx, search, format)
        return
    rows: list[dict[str, Any]]
    if which is Taxonomy.cictt:
        doc = tx.cictt_document()
        rows = [
            {
                "code": c.code,
                "name": c.name,
                "definition": c.definition,
                "definition_source": c.definition_source,
                "confirmed": c.confirmed,
                "note": c.note,
            }
            for c in tx.find_cictt(search)
        ]
        columns = [
            ("code", "code"),
            ("name", "name"),
            ("confirmed", "confirmed"),
            ("definition", "definition"),
        ]
    else:
        doc = tx.hfacs_document()
        names = {h.code: h.title for h in tx.hfacs() if h.code == h.category}
        rows = [
            {
                "code": h.code,
                "title": h.title,
                "category": h.category,
                "category_name": names[h.category],
                "tier": h.tier,
                "confirmed": h.confirmed,
                "note": h.note,
            }
            for h in tx.find_hfacs(search)
        ]
        columns = [
            ("code", "code"),
            ("title", "title"),
            ("confirmed", "confirmed"),
            ("category", "category"),
            ("tier", "tier"),
        ]
    if format is ListFormat.json:
        typer.echo(
            to_json(
                {
                    "taxonomy": doc["taxonomy"],
                    "version": doc["version"],
                    "provenance": doc["provenance"],
                    "sources": doc["sources"],
                    "entries": rows,
                }
            ),
            nl=False,
        )
        return
    if format is ListFormat.csv:
        flat = [
            {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in r.items()} for r in rows
        ]
        typer.echo(to_csv(flat, list(rows[0]) if rows else [k for k, _ in columns]), nl=False)
        return
    if not rows:
        err("No entries match.")
        return
    shown = [
        {
            **r,
            "confirmed": "yes" if r["confirmed"] else UNCONFIRMED,
            "definition": r.get("definition") or "(none found in the sources consulted)",
        }
        for r in rows
    ]
    typer.echo(table(shown, columns), nl=False)
    unconfirmed = sum(1 for r in rows if not r["confirmed"])
    if unconfirmed:
        typer.echo(FOOTNOTE.format(n=unconfirmed, total=len(rows), which=which.value))
    err(f"{doc['taxonomy']} {doc['version']}: {len(rows)} entr{'ies' if len(rows) != 1 else 'y'}")


def _refueling(ctx: typer.Context, search: str | None, format: ListFormat) -> None:
    """The mechanism codes with their definitions and how many cases have each."""
    from mishaps import taxonomy as tx
    from mishaps.db import session_scope
    from mishaps.filters import Filters
    from mishaps.output import table, to_csv, to_json
    from mishaps.queries import stats

    with session_scope(open_db(ctx)) as session:
        result = stats(session=session, filters=Filters(), by="mechanism")
    counts = {r.key: r.mishaps for r in result.rows}
    rows = [
        {
            "code": m.code,
            "name": m.name,
            "definition": m.definition,
            "example": m.example,
            "cases": counts.get(m.code, 0),
        }
        for m in tx.find_mechanisms(search)
    ]
    doc = tx.mechanisms_document()
    if format is ListFormat.json:
        others = {k: v for k, v in counts.items() if k not in {m.code for m in tx.mechanisms()}}
        typer.echo(
            to_json(
                {
                    "taxonomy": doc["taxonomy"],
                    "version": doc["version"],
                    "provenance": doc["provenance"],
                    "sources": doc["sources"],
                    "entries": rows,
                    "cases": result.total.mishaps,
                    "uncoded": others,
                }
            ),
            nl=False,
        )
        return
    if format is ListFormat.csv:
        typer.echo(to_csv(rows, ["code", "name", "cases", "definition", "example"]), nl=False)
        return
    if not rows:
        err("No entries match.")
        return
    columns = [("code", "code"), ("cases", "cases"), ("definition", "definition")]
    typer.echo(table(rows, columns, max_width=100), nl=False)
    uncoded = ", ".join(f"{k} {v}" for k, v in counts.items() if k not in {r["code"] for r in rows})
    err(
        f"{doc['taxonomy']} {doc['version']}: {len(rows)} entr{'ies' if len(rows) != 1 else 'y'};"
        f" {result.total.mishaps} cases in the database"
        + (f" (without a code: {uncoded})" if uncoded and search is None else "")
        + ". A case with several mechanisms counts under each."
    )
