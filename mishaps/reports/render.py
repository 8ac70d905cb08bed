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
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.bccache import Bucket, FileSystemBytecodeCache
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


class _CompiledTemplates(FileSystemBytecodeCache):
    """Templates compiled once, then read back from the user's cache directory: compiling the
    brief's three templates took 23 ms of CPU, a tenth of what a brief adds to its layout. Jinja
    recompiles a template whose source changed. A cache that cannot be read or written is no
    cache, never an error."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # unreadable, cut or corrupt (pickle, marshal): compile instead
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with suppress(OSError):
            super().dump_bytecode(bucket)


def _template_cache() -> _CompiledTemplates | None:
    from platformdirs import user_cache_path

    directory = user_cache_path("mishaps", appauthor=False) / "templates"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _CompiledTemplates(str(directory))


@cache
def environment(directory: Path | None = None) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(directory or templates_dir())),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=_template_cache(),
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


def check_variant(variant: str | None) -> None:
    if variant is not None and variant not in PDF_VARIANTS:
        raise ReportError(
            f"unknown PDF variant {variant!r}; choose one of {', '.join(PDF_VARIANTS)}"
        )


@dataclass(frozen=True)
class Laid:
    """One laid-out document and what WeasyPrint warned while laying it out."""

    document: Any
    warnings: list[str]

    @property
    def pages(self) -> int:
        return len(self.document.pages)


class Renderer:
    """WeasyPrint for one report: layouts that share fonts and the URL fetcher, then the PDF of
    the one kept (``pdf_renderer``)."""

    def __init__(self, variant: str | None, progress: ProgressCallback | None) -> None:
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration
        from weasyprint.urls import FatalURLFetchingError, URLFetcher

        self.weasyprint = weasyprint
        self.fatal = FatalURLFetchingError
        self.root = templates_dir().resolve()
        root = self.root

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

        self.fetcher = TemplatesOnly(allowed_protocols={"file"})
        # Fonts found and loaded once for every layout of the report, not once per layout.
        self.fonts = FontConfiguration()
        self.variant = variant
        self.progress = progress

    @contextmanager
    def _listening(self, warnings: list[str]) -> Iterator[None]:
        def on_warning(record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                warnings.append(record.getMessage())

        def on_progress(record: logging.LogRecord) -> None:
            event = from_weasyprint(record.getMessage())
            if self.progress is not None and event is not None:
                self.progress(event)

        try:
            with (
                _listening("weasyprint", logging.WARNING, on_warning),
                _listening("weasyprint.progress", logging.INFO, on_progress),
            ):
                yield
        except self.fatal as exc:
            raise ReportError(str(exc)) from None

    def layout(self, html: str) -> Laid:
        warnings: list[str] = []
        with self._listening(warnings):
            document = self.weasyprint.HTML(
                string=html, base_url=str(self.root) + "/", url_fetcher=self.fetcher
            ).render(font_config=self.fonts)
        return Laid(document, warnings)

    def write(
        self,
        laid: Laid,
        *,
        generated_at: Any,
        fingerprint: str,
        attachment_json: str | None = None,
    ) -> Rendered:
        """The PDF of a laid-out document; its warnings are the layout's and the writing's."""
        attachments = []
        if attachment_json is not None and self.variant in ATTACHING_VARIANTS:
            attachments.append(
                self.weasyprint.Attachment(
                    string=attachment_json,
                    name=ATTACHMENT_NAME,
                    url_fetcher=self.fetcher,
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
        warnings = list(laid.warnings)
        with self._listening(warnings):
            pdf = laid.document.write_pdf(
                pdf_variant=self.variant,
                attachments=attachments or None,
                pdf_identifier=identifier,
                # Tagged by default: structure for screen readers (Section 508) costs nothing
                # measurable; the PDF/UA variants tag anyway.
                pdf_tags=True,
                uncompressed_pdf=False,
            )
        assert pdf is not None
        return Rendered(pdf=pdf, pages=laid.pages, warnings=warnings)


def pdf_renderer(
    *, variant: str | None = None, progress: ProgressCallback | None = None
) -> Renderer:
    """A Renderer; an unknown ``variant`` is refused before anything is laid out. WeasyPrint's
    warnings are returned with the PDF, never lost."""
    check_variant(variant)
    return Renderer(variant, progress)


def render_pdf(
    html: str,
    *,
    generated_at: Any,
    fingerprint: str,
    variant: str | None = None,
    attachment_json: str | None = None,
    progress: ProgressCallback | None = None,
) -> Rendered:
    """Lay out and write the PDF of one HTML document."""
    renderer = pdf_renderer(variant=variant, progress=progress)
    return renderer.write(
        renderer.layout(html),
        generated_at=generated_at,
        fingerprint=fingerprint,
        attachment_json=attachment_json,
    )


def ends_on_page_one(laid: Laid, anchor: str = "brief-end") -> bool:
    """Whether the element with id ``anchor`` was laid out on the first page."""
    pages = laid.document.pages
    return bool(pages) and anchor in pages[0].anchors
