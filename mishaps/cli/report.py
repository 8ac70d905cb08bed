"""`mishaps report brief|summary`: correct, cited, marked PDFs."""

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from mishaps.cli.common import err, filter_options, handle_errors, open_db
from mishaps.errors import ReportError
from mishaps.filters import Filters
from mishaps.text import plural

app = typer.Typer(
    help=(
        "Write PDF reports: a brief on one mishap, or a summary of a set of them.\n\n"
        "Example: mishaps report brief 2013-05-03-shell-77 --marking UNCLASSIFIED -o brief.pdf"
    ),
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help, as the main app (see mishaps/cli/__init__.py)
)

PANEL = "Report"
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="The PDF to write.", dir_okay=False, rich_help_panel=PANEL),
]
HtmlOpt = Annotated[
    Path | None,
    typer.Option(
        "--html",
        help="Write the HTML instead of the PDF (for preview and tests).",
        dir_okay=False,
        rich_help_panel=PANEL,
    ),
]
MarkingOpt = Annotated[
    str | None,
    typer.Option(
        "--marking",
        envvar="MISHAPS_MARKING",
        rich_help_panel=PANEL,
        help="Banner at the top and bottom of every page, e.g. CUI or UNCLASSIFIED."
        " No banner when unset.",
    ),
]
DistributionOpt = Annotated[
    str | None,
    typer.Option(
        "--distribution",
        envvar="MISHAPS_DISTRIBUTION",
        metavar="A..F",
        rich_help_panel=PANEL,
        help="Add the DoD distribution statement (DoDI 5230.24) on the first page.",
    ),
]
ReasonOpt = Annotated[
    str | None,
    typer.Option(
        "--distribution-reason",
        envvar="MISHAPS_DISTRIBUTION_REASON",
        rich_help_panel=PANEL,
        help="Reason for statements B-E, e.g. 'Administrative or Operational Use'.",
    ),
]
OfficeOpt = Annotated[
    str | None,
    typer.Option(
        "--controlling-office",
        envvar="MISHAPS_CONTROLLING_OFFICE",
        rich_help_panel=PANEL,
        help="Controlling DoD office for statements B-F.",
    ),
]
CUI_PANEL = "CUI designation indicator (DoDI 5200.48; needed with --marking CUI...)"
ControlledByOpt = Annotated[
    str | None,
    typer.Option(
        "--cui-controlled-by",
        envvar="MISHAPS_CUI_CONTROLLED_BY",
        rich_help_panel=CUI_PANEL,
        help="Controlled by: the DoD Component and office, e.g. 'Department of the Air Force,"
        " HQ AMC/SE'.",
    ),
]
CategoryOpt = Annotated[
    str | None,
    typer.Option(
        "--cui-category",
        envvar="MISHAPS_CUI_CATEGORY",
        rich_help_panel=CUI_PANEL,
        help="CUI category, e.g. 'OPSEC' or 'PRVCY'.",
    ),
]
DisseminationOpt = Annotated[
    str | None,
    typer.Option(
        "--cui-dissemination",
        envvar="MISHAPS_CUI_DISSEMINATION",
        rich_help_panel=CUI_PANEL,
        help="Limited dissemination control, e.g. FEDCON or NOFORN. A distribution statement"
        " B-F stands in for it.",
    ),
]
PocOpt = Annotated[
    str | None,
    typer.Option(
        "--cui-poc",
        envvar="MISHAPS_CUI_POC",
        rich_help_panel=CUI_PANEL,
        help="Point of contact: a name and a phone number or e-mail address.",
    ),
]
VariantOpt = Annotated[
    str | None,
    typer.Option(
        "--pdf-variant",
        rich_help_panel=PANEL,
        help="A PDF variant: pdf/a-3b (archival; also embeds the cases as mishaps.json) or"
        " pdf/ua-1. Every PDF is tagged for screen readers without it.",
    ),
]


def _options(
    html: Path | None,
    output: Path | None,
    marking: Any,
    variant: str | None,
    **extra: Any,
) -> Any:
    from mishaps.reports.context import Marking, generation_time
    from mishaps.reports.make import Options

    if html is None and output is None:
        raise typer.BadParameter(
            "give --output FILE.pdf (or --html FILE.html)", param_hint="--output"
        )
    for target in (html, output):
        if target is not None:
            parent = target.parent if str(target.parent) else Path(".")
            if not parent.is_dir() or not os.access(parent, os.W_OK):
                raise ReportError(f"cannot write {target}: {parent} is not a writable directory")
    return Options(
        marking=Marking(*marking),
        generated_at=generation_time(),
        variant=variant,
        html_only=output is None,
        **extra,
    )


def _write(report: Any, html: Path | None, output: Path | None) -> None:
    from mishaps.files import atomic_write

    if html is not None:
        atomic_write(html, report.html.encode("utf-8"))
        err(f"Wrote {html}")
    if output is not None and report.rendered is not None:
        for warning in report.rendered.warnings:
            err(f"warning: WeasyPrint: {warning}")
        atomic_write(output, report.rendered.pdf)
        pages = report.rendered.pages
        err(f"Wrote {output} ({plural(pages, 'page')}, {plural(report.cases, 'case')})")


@app.command()
@handle_errors
def brief(
    ctx: typer.Context,
    mishap_id: Annotated[
        str, typer.Argument(metavar="ID", help="The case id, as `mishaps list` shows it.")
    ],
    output: OutputOpt = None,
    html: HtmlOpt = None,
    marking: MarkingOpt = None,
    distribution: DistributionOpt = None,
    distribution_reason: ReasonOpt = None,
    controlling_office: OfficeOpt = None,
    cui_controlled_by: ControlledByOpt = None,
    cui_category: CategoryOpt = None,
    cui_dissemination: DisseminationOpt = None,
    cui_poc: PocOpt = None,
    pdf_variant: VariantOpt = None,
    annex: Annotated[
        bool,
        typer.Option(
            "--annex/--no-annex",
            rich_help_panel=PANEL,
            help="After the one-page brief, the full record and the reference list.",
        ),
    ] = True,
) -> None:
    """Write a one-page brief on one mishap, then an annex with the full record.

    Example: mishaps report brief 2013-05-03-shell-77 --marking UNCLASSIFIED -o shell77.pdf
    """
    from mishaps.reports import make

    marks = (marking, distribution, distribution_reason, controlling_office)
    cui = (cui_controlled_by, cui_category, cui_dissemination, cui_poc)
    options = _options(html, output, (*marks, *cui), pdf_variant, annex=annex)
    report = make.brief(open_db(ctx), mishap_id, options)
    _write(report, html, output)


@app.command()
@handle_errors
@filter_options
def summary(
    ctx: typer.Context,
    filters: Filters,
    output: OutputOpt = None,
    html: HtmlOpt = None,
    marking: MarkingOpt = None,
    distribution: DistributionOpt = None,
    distribution_reason: ReasonOpt = None,
    controlling_office: OfficeOpt = None,
    cui_controlled_by: ControlledByOpt = None,
    cui_category: CategoryOpt = None,
    cui_dissemination: DisseminationOpt = None,
    cui_poc: PocOpt = None,
    pdf_variant: VariantOpt = None,
    calendar_years: Annotated[
        bool,
        typer.Option(
            "--calendar-years",
            rich_help_panel=PANEL,
            help="Count by calendar year; the default is the US federal fiscal year.",
        ),
    ] = False,
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress",
            rich_help_panel=PANEL,
            help="Progress on stderr. Default: shown for 100 cases or more on a terminal.",
        ),
    ] = None,
) -> None:
    """Write a summary report of the cases the filters select: figures, charts, table, sources.

    Example: mishaps report summary --aircraft KC-46 --marking UNCLASSIFIED -o kc46.pdf
    """
    from mishaps.reports import make

    marks = (marking, distribution, distribution_reason, controlling_office)
    cui = (cui_controlled_by, cui_category, cui_dissemination, cui_poc)
    options = _options(html, output, (*marks, *cui), pdf_variant, calendar_years=calendar_years)
    with _Progress(progress) as bar:
        report = make.summary(open_db(ctx), filters, options, progress=bar.update)
    _write(report, html, output)


class _Progress:
    """Stage-by-stage progress on stderr: cases loaded, then each page as WeasyPrint lays it out."""

    def __init__(self, wanted: bool | None) -> None:
        self.wanted = wanted
        self.progress: Any = None
        self.task: Any = None

    def __enter__(self) -> "_Progress":
        return self

    def update(self, message: str) -> None:
        if self.progress is None:
            count = int(message.split()[1]) if message.startswith("Loaded ") else 0
            show = (
                self.wanted if self.wanted is not None else (count >= 100 and sys.stderr.isatty())
            )
            if not show:
                self.update = lambda message: None  # type: ignore[method-assign]
                return
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self.progress.start()
            self.task = self.progress.add_task("Rendering", total=7)
        step = message.split(" - ")[0]
        done = int(step.split()[1]) if step.startswith("Step ") else 0
        self.progress.update(self.task, completed=done, description=message[:60].ljust(60))

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.update(self.task, completed=7)
            self.progress.stop()


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="report")
