"""Page 1 of a brief is handed over alone, so it should end on page 1: at the usual type size
when it fits there, else tighter (``context.tighter``). This module decides which, laying out as
little as it can: the whole brief takes two to three times as long to lay out as page 1 alone
(Shell 77: 180 ms against 68, with the fonts loaded).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from mishaps.reports.context import BriefContext, page_one_alone, tighter
from mishaps.reports.render import Laid, ends_on_page_one, render_html

# Characters of text on page 1 above which page 1 probably runs over at the usual size. Only
# the order of the layouts depends on it, never the brief: see fit_brief. Page 1 of the seed
# cases fits with up to 3,117 characters (200 synthetic cases: up to 2,808); Shell 77's 3,701
# run over. A wrong guess costs a layout: of page 1 alone, or of the whole brief once more.
LIKELY_OVER = 3400

_PAGE_ONE = re.compile(r'<section class="page-one.*?(?=<div id="brief-end")', re.S)
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Fitted:
    ctx: BriefContext  # the brief as laid out: tighter than built when page 1 ran over
    html: str
    laid: Laid | None  # the whole brief laid out (None when only the HTML was asked for)


def fit_brief(
    ctx: BriefContext,
    layout: Callable[[str], Laid],
    *,
    whole: bool = True,
    likely_over: int = LIKELY_OVER,
) -> Fitted:
    """The brief at the usual size if its page 1 ends on page 1, else the tighter one; with
    ``whole``, laid out by ``layout``.

    The answer never depends on how it was found. A brief that probably fits (page 1 holds at
    most ``likely_over`` characters) is laid out whole at once, and again tighter only if page
    1 runs over after all; one that probably runs over has its page 1 laid out alone first, then
    the whole brief once, at the size that page 1 chose. Without ``whole`` (the HTML alone)
    page 1 alone is laid out, and nothing more."""
    html = render_html("brief.html", ctx)
    if whole and page_one_chars(html) <= likely_over:
        laid = layout(html)
        if ends_on_page_one(laid):
            return Fitted(ctx, html, laid)
        return _whole(tighter(ctx), layout)
    alone_html = render_html("brief.html", page_one_alone(ctx))
    alone = layout(alone_html)
    if not ends_on_page_one(alone):
        return _whole(tighter(ctx), layout) if whole else _html(tighter(ctx))
    if not whole:
        return Fitted(ctx, html, None)
    # Without the annex, page 1 alone is the whole brief: its layout is the one to keep.
    return Fitted(ctx, html, alone if alone_html == html else layout(html))


def page_one_chars(html: str) -> int:
    """The characters of text on page 1 of a brief's HTML, white space runs counted as one."""
    m = _PAGE_ONE.search(html)
    return len(" ".join(_TAG.sub(" ", m[0] if m else html).split()))


def _whole(ctx: BriefContext, layout: Callable[[str], Laid]) -> Fitted:
    html = render_html("brief.html", ctx)
    return Fitted(ctx, html, layout(html))


def _html(ctx: BriefContext) -> Fitted:
    return Fitted(ctx, render_html("brief.html", ctx), None)
