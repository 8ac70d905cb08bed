"""Stages two and three: context -> HTML (Jinja2), HTML -> PDF (WeasyPrint, imported lazily).

The renderer may fetch nothing but files under the templates directory: text from the database
is autoescaped into the HTML, and even a template mistake cannot make it read /etc/passwd or
reach the network.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from mishaps.config import templates_dir
from mishaps.errors import ReportError
from mishaps.files import PDF_ATTACHMENT as ATTACHMENT_NAME
from mishaps.output import money, show_value
from mishaps.progress import ProgressCallback, from_weasyprint
from mishaps.reports import charts, labels

PDF_VARIANTS = (
    "pdf/a-1b",
    "pdf/a-2b",
    "pdf/a-3b",
    "pdf/a-2u",
    "pdf/a-3u",
    "pdf/a-4b",
    "pdf/ua-1",
    "pdf/ua-2",
)
ATTACHING_VARIANTS = ("pdf/a-3b", "pdf/a-3u")  # the variants that may embed mishaps.json


# An MDS-like designator (F/A-18F, KC-135R, NKC-135A): a line must never break inside one.
_DESIGNATOR = re.compile(r"(?<![\w/-])[A-Z]{1,5}(?:/[A-Z]{1,2})?-\d{1,4}[A-Z]{0,3}(?![\w-])")


def designators(text: object) -> Markup:
    """Escaped text with every aircraft designator kept on one line."""
    return Markup(
        _DESIGNATOR.sub(lambda m: f'<span class="nowrap">{m.group(0)}</span>', str(escape(text)))
    )


@cache
def environment(directory: Path | None = None) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(directory or templates_dir())),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["unknown"] = show_value
    env.filters["money"] = money
    env.filters["designators"] = designators
    env.filters["lower_first"] = labels.lower_first
    env.globals["chart_layout"] = charts.layout
    env.globals["column_layout"] = charts.columns
    return env


def render_html(template: str, ctx: Any) -> str:
    return environment().get_template(template).render(ctx=ctx)


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int
    warnings: list[str]


class _Collect(logging.Handler):
    def __init__(self, sink: Callable[[logging.LogRecord], None]) -> None:
        super().__init__(logging.DEBUG)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink(record)


@contextmanager
def _listening(name: str, level: int, sink: Callable[[logging.LogRecord], None]) -> Iterator[None]:
    logger = logging.getLogger(name)
    handler = _Collect(sink)
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_propagate


def render_pdf(
    html: str,
    *,
    generated_at: Any,
    fingerprint: str,
    variant: str | None = None,
    attachment_json: str | None = None,
    progress: ProgressCallback | None = None,
    refit: Callable[[Any], str | None] | None = None,
) -> Rendered:
    """Lay out and write the PDF. WeasyPrint's warnings are returned, never lost.

    ``refit`` looks at the laid-out document and may return other HTML to lay out instead
    (the brief's tighter page 1 when the first does not fit); None keeps the first.
    """
    import weasyprint
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    root = templates_dir().resolve()

    class TemplatesOnly(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            from urllib.parse import unquote, urlparse

            parsed = urlparse(url)
            path = Path(unquote(parsed.path)).resolve() if parsed.scheme == "file" else None
            if path is None or not path.is_relative_to(root):
                raise FatalURLFetchingError(
                    f"the report tried to fetch {url!r}; only template files may be read"
                )
            return super().fetch(url, headers)

    if variant is not None and variant not in PDF_VARIANTS:
        raise ReportError(
            f"unknown PDF variant {variant!r}; choose one of {', '.join(PDF_VARIANTS)}"
        )
    warnings: list[str] = []
    fetcher = TemplatesOnly(allowed_protocols={"file"})

    def on_warning(record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            warnings.append(record.getMessage())

    def on_progress(record: logging.LogRecord) -> None:
        event = from_weasyprint(record.getMessage())
        if progress is not None and event is not None:
            progress(event)

    attachments = []
    if attachment_json is not None and variant in ATTACHING_VARIANTS:
        attachments.append(
            weasyprint.Attachment(
                string=attachment_json,
                name=ATTACHMENT_NAME,
                url_fetcher=fetcher,
                description="The report's cases in the mishaps interchange format"
                " (mishaps import reads it)",
                created=generated_at,
                modified=generated_at,
                relationship="Data",
            )
        )
    identifier = (
        hashlib.sha256(f"{fingerprint}{generated_at.isoformat()}".encode())
        .hexdigest()[:32]
        .encode()
    )
    try:
        with (
            _listening("weasyprint", logging.WARNING, on_warning),
            _listening("weasyprint.progress", logging.INFO, on_progress),
        ):
            document = weasyprint.HTML(
                string=html, base_url=str(root) + "/", url_fetcher=fetcher
            ).render()
            again = refit(document) if refit is not None else None
            if again is not None:
                warnings.clear()
                document = weasyprint.HTML(
                    string=again, base_url=str(root) + "/", url_fetcher=fetcher
                ).render()
            pdf = document.write_pdf(
                pdf_variant=variant,
                attachments=attachments or None,
                pdf_identifier=identifier,
                # Tagged by default: structure for screen readers (Section 508) costs nothing
                # measurable; the PDF/UA variants tag anyway.
                pdf_tags=True,
                uncompressed_pdf=False,
            )
    except FatalURLFetchingError as exc:
        raise ReportError(str(exc)) from None
    assert pdf is not None
    return Rendered(pdf=pdf, pages=len(document.pages), warnings=warnings)


def ends_on_page_one(document: Any, anchor: str = "brief-end") -> bool:
    """Whether the element with id ``anchor`` was laid out on the first page."""
    return bool(document.pages) and anchor in document.pages[0].anchors
