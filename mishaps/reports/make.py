"""One call per report: query the cases, build the context, render HTML, and (unless only HTML
is wanted) lay out the PDF. A brief's HTML alone needs its page 1 laid out (reports.fit)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from mishaps import __version__
from mishaps.db import session_scope
from mishaps.filters import Filters
from mishaps.output import cases_document
from mishaps.progress import ProgressCallback, loaded
from mishaps.queries import find_cases, get_case
from mishaps.reports.context import (
    BriefContext,
    Marking,
    Related,
    RelatedCase,
    SummaryContext,
    build_brief,
    build_summary,
)
from mishaps.reports.render import (
    ATTACHING_VARIANTS,
    Rendered,
    pdf_renderer,
    render_html,
    render_pdf,
)
from mishaps.schema import Case


@dataclass(frozen=True)
class Options:
    marking: Marking
    generated_at: datetime
    variant: str | None = None
    html_only: bool = False
    annex: bool = True  # the brief's pages after the first
    calendar_years: bool = False  # the summary counts calendar rather than fiscal years


@dataclass(frozen=True)
class Report:
    html: str
    rendered: Rendered | None
    cases: int


def brief(engine: Engine, mishap_id: str, options: Options) -> Report:
    from mishaps.reports.fit import fit_brief
    from mishaps.reports.similar import previous_similar

    with session_scope(engine) as session:
        case = get_case(session=session, mishap_id=mishap_id)
        similar, basis = previous_similar(session=session, case=case)
    ctx = build_brief(
        case,
        marking=options.marking,
        generated_at=options.generated_at,
        version=__version__,
        similar=similar,
        similar_basis=basis,
        annex=options.annex,
    )
    # Even the HTML alone needs page 1 laid out: it is the HTML the PDF would be laid out from,
    # tighter when page 1 runs over at the usual size.
    renderer = pdf_renderer(variant=options.variant)
    fitted = fit_brief(ctx, renderer.layout, whole=not options.html_only)
    if fitted.laid is None:
        return Report(fitted.html, None, 1)
    rendered = renderer.write(
        fitted.laid,
        generated_at=options.generated_at,
        fingerprint=ctx.meta.fingerprint,
        attachment_json=_attached([case], options),
    )
    return Report(fitted.html, rendered, 1)


def summary(
    engine: Engine,
    filters: Filters,
    options: Options,
    *,
    progress: ProgressCallback | None = None,
) -> Report:
    with session_scope(engine) as session:
        cases = find_cases(session=session, filters=filters)
        related = related_cases(session=session, cases=cases)
    if progress is not None:
        progress(loaded(len(cases)))
    ctx = build_summary(
        cases,
        filters=filters,
        marking=options.marking,
        generated_at=options.generated_at,
        version=__version__,
        calendar_years=options.calendar_years,
        related=related,
    )
    return _render("summary.html", ctx, options, cases=cases, progress=progress)


# Similar cases are ranked for each case of a summary up to this many cases: each ranking is a
# walk over the whole casebook's index, so a summary of thousands would pay it thousands of times.
SIMILAR_IN_SUMMARY_MAX = 200


def related_cases(*, session: Any, cases: Sequence[Case]) -> dict[str, Related]:
    """Each case's series (by title) and, for summaries of up to SIMILAR_IN_SUMMARY_MAX cases,
    its three most similar cases in the database with the reasons (mishaps.similar)."""
    from mishaps.research import series_titles
    from mishaps.similar import similar_to_cases

    titles = series_titles()
    ranked = (
        similar_to_cases(session=session, mishap_ids=[c.id for c in cases], limit=3)
        if len(cases) <= SIMILAR_IN_SUMMARY_MAX
        else {}
    )
    out: dict[str, Related] = {}
    for c in cases:
        similar = [RelatedCase(m.id, m.title, "; ".join(m.reasons)) for m in ranked.get(c.id, [])]
        out[c.id] = Related([titles.get(sid, sid) for sid in c.series], similar)
    return out


def _render(
    template: str,
    ctx: BriefContext | SummaryContext,
    options: Options,
    *,
    cases: Sequence[Case],
    progress: ProgressCallback | None = None,
) -> Report:
    html = render_html(template, ctx)
    if options.html_only:
        return Report(html, None, len(cases))
    rendered = render_pdf(
        html,
        generated_at=options.generated_at,
        fingerprint=ctx.meta.fingerprint,
        variant=options.variant,
        attachment_json=_attached(cases, options),
        progress=progress,
    )
    return Report(html, rendered, len(cases))


def _attached(cases: Sequence[Case], options: Options) -> str | None:
    # Only PDF/A-3 carries the cases inside itself: the JSON is built for that variant alone.
    return cases_document(cases, "json") if options.variant in ATTACHING_VARIANTS else None
