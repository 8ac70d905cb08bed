"""`mishaps report brief|summary`: correct, cited, marked PDFs."""

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mishaps.cli.app import App
from mishaps.cli.common import (
    err,
    filter_options,
    handle_errors,
    open_database,
    write_bytes,
)
from mishaps.cli.marking import PANEL, marking_options
from mishaps.errors import ReportError
from mishaps.filters import Filters
from mishaps.text import plural

if TYPE_CHECKING:
    from mishaps.progress import Progress
    from mishaps.reports.context import Marking

app = App(
    help=(
        "Write PDF reports: a brief on one mishap, or a summary of a set of them.\n\n"
        "Example: mishaps report brief 2013-05-03-shell-77 --marking UNCLASSIFIED -o brief.pdf"
    ),
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help, as the main app (see mishaps/cli/__init__.py)
)

OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="The PDF to write (- is stdout).",
        dir_okay=False,
        rich_help_panel=PANEL,
        metavar="FILE",
    ),
]
HtmlOpt = Annotated[
    Path | None,
    typer.Option(
        "--html",
        help="Write the HTML instead of the PDF, for preview and tests (- is stdout).",
        dir_okay=False,
        rich_help_panel=PANEL,
    ),
]
BriefHtmlOpt = Annotated[
    Path | None,
    typer.Option(
        "--html",
        help="Write the HTML instead of the PDF, for preview and tests (- is stdout): the HTML the"
        " PDF is laid out from. Page 1 is laid out even so (about half a second), to know"
        " whether it needs the tighter type that keeps it on one page.",
        dir_okay=False,
        rich_help_panel=PANEL,
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
    marking: "Marking",
    variant: str | None,
    **extra: Any,
) -> Any:
    from mishaps.reports.context import generation_time
    from mishaps.reports.make import Options

    if html is None and output is None:
        raise typer.BadParameter(
            "give --output FILE.pdf (or --html FILE.html)", param_hint="--output"
        )
    if str(html) == str(output) == "-":
        raise typer.BadParameter("--html - and --output - would both write to stdout; pick one")
    for target in (html, output):
        if target is not None and str(target) != "-":
            parent = target.parent if str(target.parent) else Path(".")
            if not parent.is_dir() or not os.access(parent, os.W_OK):
                raise ReportError(f"cannot write {target}: {parent} is not a writable directory")
    return Options(
        marking=marking,
        generated_at=generation_time(),
        variant=variant,
        html_only=output is None,
        **extra,
    )


def _write(report: Any, html: Path | None, output: Path | None, protect: list[Path]) -> None:
    if html is not None:
        write_bytes(html, report.html.encode("utf-8"), protect=protect)
    if output is not None and report.rendered is not None:
        for warning in report.rendered.warnings:
            err(f"warning: WeasyPrint: {warning}")
        pages, cases = plural(report.rendered.pages, "page"), plural(report.cases, "case")
        write_bytes(output, report.rendered.pdf, what=f" ({pages}, {cases})", protect=protect)


@app.command()
@handle_errors
@marking_options
def brief(
    ctx: typer.Context,
    mishap_id: Annotated[
        str, typer.Argument(metavar="ID", help="The case id, as `mishaps list` shows it.")
    ],
    marking: "Marking",
    output: OutputOpt = None,
    html: BriefHtmlOpt = None,
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
    options = _options(html, output, marking, pdf_variant, annex=annex)
    db = open_database(ctx, readonly=True)
    report = db.brief(mishap_id, options)
    _write(report, html, output, db.files())


@app.command()
@handle_errors
@filter_options
@marking_options
def summary(
    ctx: typer.Context,
    filters: Filters,
    marking: "Marking",
    output: OutputOpt = None,
    html: HtmlOpt = None,
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
    options = _options(html, output, marking, pdf_variant, calendar_years=calendar_years)
    db = open_database(ctx, readonly=True)
    with _Progress(progress) as bar:
        report = db.summary(filters, options, progress=bar.update)
    _write(report, html, output, db.files())


class _Progress:
    """A bar on stderr that follows the report's typed progress events (mishaps.progress)."""

    def __init__(self, wanted: bool | None) -> None:
        self.wanted = wanted
        self.bar: Any = None
        self.task: Any = None
        self.off = False

    def __enter__(self) -> "_Progress":
        return self

    def update(self, event: "Progress") -> None:
        if self.off:
            return
        if self.bar is None:
            auto = (event.cases or 0) >= 100 and sys.stderr.isatty()
            if not (self.wanted if self.wanted is not None else auto):
                self.off = True
                return
            self._start(event.total)
        self.bar.update(self.task, completed=event.done, description=event.message[:60].ljust(60))

    def _start(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
        self.bar = Progress(*columns, console=Console(stderr=True), transient=False)
        self.bar.start()
        self.task = self.bar.add_task("Rendering", total=total)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=self.bar.tasks[0].total)
            self.bar.stop()


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="report")
