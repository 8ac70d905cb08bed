"""The marking options of everything that prints a brief (`report brief|summary`, `serve`):
declared once, handed to a command as one ``marking: Marking``."""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from mishaps.cli.common import option_group

if TYPE_CHECKING:
    from mishaps.reports.context import Marking

PANEL = "Report"
CUI_PANEL = "CUI designation indicator (DoDI 5200.48; needed with --marking CUI...)"

# Option name -> its declaration; the names are the fields of mishaps.reports.context.Marking.
MARKING_OPTIONS: list[tuple[str, Any]] = [
    (
        "marking",
        Annotated[
            str | None,
            typer.Option(
                "--marking",
                envvar="MISHAPS_MARKING",
                rich_help_panel=PANEL,
                help="Banner at the top and bottom of every page, e.g. CUI or UNCLASSIFIED."
                " No banner when unset.",
            ),
        ],
    ),
    (
        "distribution",
        Annotated[
            str | None,
            typer.Option(
                "--distribution",
                envvar="MISHAPS_DISTRIBUTION",
                metavar="A..F",
                rich_help_panel=PANEL,
                help="Add the DoD distribution statement (DoDI 5230.24) on the first page.",
            ),
        ],
    ),
    (
        "reason",
        Annotated[
            str | None,
            typer.Option(
                "--distribution-reason",
                envvar="MISHAPS_DISTRIBUTION_REASON",
                rich_help_panel=PANEL,
                help="Reason for statements B-E, e.g. 'Administrative or Operational Use'.",
            ),
        ],
    ),
    (
        "office",
        Annotated[
            str | None,
            typer.Option(
                "--controlling-office",
                envvar="MISHAPS_CONTROLLING_OFFICE",
                rich_help_panel=PANEL,
                help="Controlling DoD office for statements B-F.",
            ),
        ],
    ),
    (
        "cui_controlled_by",
        Annotated[
            str | None,
            typer.Option(
                "--cui-controlled-by",
                envvar="MISHAPS_CUI_CONTROLLED_BY",
                rich_help_panel=CUI_PANEL,
                help="Controlled by: the DoD Component and office, e.g. 'Department of the Air"
                " Force, HQ AMC/SE'.",
            ),
        ],
    ),
    (
        "cui_category",
        Annotated[
            str | None,
            typer.Option(
                "--cui-category",
                envvar="MISHAPS_CUI_CATEGORY",
                rich_help_panel=CUI_PANEL,
                help="CUI category, e.g. 'OPSEC' or 'PRVCY'.",
            ),
        ],
    ),
    (
        "cui_dissemination",
        Annotated[
            str | None,
            typer.Option(
                "--cui-dissemination",
                envvar="MISHAPS_CUI_DISSEMINATION",
                rich_help_panel=CUI_PANEL,
                help="Limited dissemination control, e.g. FEDCON or NOFORN. A distribution"
                " statement B-F stands in for it.",
            ),
        ],
    ),
    (
        "cui_poc",
        Annotated[
            str | None,
            typer.Option(
                "--cui-poc",
                envvar="MISHAPS_CUI_POC",
                rich_help_panel=CUI_PANEL,
                help="Point of contact: a name and a phone number or e-mail address.",
            ),
        ],
    ),
]


def make_marking(values: dict[str, Any]) -> "Marking":
    from mishaps.reports.context import Marking

    return Marking(**values)


marking_options = option_group("marking", MARKING_OPTIONS, make_marking)
