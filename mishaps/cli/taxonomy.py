"""The reference taxonomies: `mishaps taxonomy cictt|hfacs|refueling`."""

from dataclasses import asdict
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer

from mishaps.cli.common import ListFormat, emit, handle_errors, open_database

if TYPE_CHECKING:
    from mishaps.output import Listing
    from mishaps.queries import Stats


class Taxonomy(str, Enum):
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
            metavar="TAXONOMY",
            help="cictt: CICTT occurrence categories; hfacs: DoD HFACS 8.0; refueling: the"
            " air refueling mechanism codes, with how many cases in the database have each.",
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
    if which is Taxonomy.refueling:
        emit(
            refueling_listing(open_database(ctx, readonly=True).stats(by="mechanism"), search),
            format,
        )
    else:
        emit(taxonomy_listing(which, search), format)


CICTT_COLUMNS = [
    ("code", "code"),
    ("name", "name"),
    ("confirmed", "confirmed"),
    ("definition", "definition"),
]
HFACS_COLUMNS = [
    ("code", "code"),
    ("title", "title"),
    ("confirmed", "confirmed"),
    ("category", "category"),
    ("tier", "tier"),
]


def taxonomy_listing(which: Taxonomy, search: str | None) -> "Listing":
    """One taxonomy's entries: rows with their provenance for pipes, a marked table for people."""
    from mishaps import taxonomy as tx
    from mishaps.output import Listing

    if which is Taxonomy.cictt:
        doc, columns = tx.cictt_document(), CICTT_COLUMNS
        rows = [asdict(c) for c in tx.find_cictt(search)]
    else:
        doc, columns = tx.hfacs_document(), HFACS_COLUMNS
        names = {h.code: h.title for h in tx.hfacs() if h.code == h.category}
        order = ("code", "title", "category", "category_name", "tier", "confirmed", "note")
        rows = [
            {k: {**asdict(h), "category_name": names[h.category]}[k] for k in order}
            for h in tx.find_hfacs(search)
        ]
    shown = [
        {
            **r,
            "confirmed": "yes" if r["confirmed"] else UNCONFIRMED,
            "definition": r.get("definition") or "(none found in the sources consulted)",
        }
        for r in rows
    ]
    unconfirmed = sum(1 for r in rows if not r["confirmed"])
    n = len(rows)
    footer = FOOTNOTE.format(n=unconfirmed, total=n, which=which.value) if unconfirmed else None
    return Listing(
        rows,
        columns,
        shown=shown,
        document={k: doc[k] for k in ("taxonomy", "version", "provenance", "sources")},
        rows_key="entries",
        empty="No entries match.",
        footer=footer,
        count=f"{doc['taxonomy']} {doc['version']}: {n} entr{'ies' if n != 1 else 'y'}",
    )


def refueling_listing(result: "Stats", search: str | None) -> "Listing":
    """The mechanism codes with their definitions and how many cases have each."""
    from mishaps import taxonomy as tx
    from mishaps.output import Listing

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
    known = {m.code for m in tx.mechanisms()}
    shown = {r["code"] for r in rows}
    uncoded = ", ".join(f"{k} {v}" for k, v in counts.items() if k not in shown)
    n = len(rows)
    count = (
        f"{doc['taxonomy']} {doc['version']}: {n} entr{'ies' if n != 1 else 'y'};"
        f" {result.total.mishaps} cases in the database"
        + (f" (without a code: {uncoded})" if uncoded and search is None else "")
        + ". A case with several mechanisms counts under each."
    )
    return Listing(
        rows,
        [("code", "code"), ("cases", "cases"), ("definition", "definition")],
        csv_columns=["code", "name", "cases", "definition", "example"],
        document={k: doc[k] for k in ("taxonomy", "version", "provenance", "sources")},
        rows_key="entries",
        after={
            "cases": result.total.mishaps,
            "uncoded": {k: v for k, v in counts.items() if k not in known},
        },
        empty="No entries match.",
        count=count,
        max_width=100,
    )
