"""Page 1 of a brief: at the usual size when it fits on page 1, else tighter, whichever way the
layouts are ordered (mishaps.reports.fit); --html writes the HTML the PDF was laid out from."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from mishaps.reports.context import BriefContext, Marking, build_brief, page_one_alone
from mishaps.reports.fit import Fitted, fit_brief
from mishaps.reports.render import Laid, Renderer, ends_on_page_one, pdf_renderer, render_html
from tests.test_reports import SHELL_77

FITS = "2018-12-06-kc-130j-f-a-18d-japan"  # the longest seed page 1 that fits at the usual size
WHEN = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def backend() -> str:
    return "sqlite"  # layout does not depend on the backend (tests/test_reports.py)


def brief_context(mishap_id: str) -> BriefContext:
    import mishaps
    from mishaps.reports.similar import previous_similar

    db = mishaps.open()
    with db.session() as session:
        case = db.case(mishap_id)
        similar, basis = previous_similar(session=session, case=case)
    db.close()
    return build_brief(
        case,
        marking=Marking(),
        generated_at=WHEN,
        version="test",
        similar=similar,
        similar_basis=basis,
    )


class Recording:
    """The real layout, remembering what it laid out: the whole brief or page 1 alone."""

    def __init__(self, renderer: Renderer) -> None:
        self.renderer = renderer
        self.laid: list[str] = []  # what was laid out, in order

    def __call__(self, html: str) -> Laid:
        alone = 'id="annex"' not in html
        tight = 'class="page-one tight"' in html
        self.laid.append(("page 1 alone" if alone else "whole") + (", tighter" if tight else ""))
        return self.renderer.layout(html)


def text_of(renderer: Renderer, fitted: Fitted) -> str:
    assert fitted.laid is not None
    pdf = renderer.write(fitted.laid, generated_at=WHEN, fingerprint="x").pdf
    return "\f".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize(
    ("mishap_id", "guessed_over", "layouts"),
    [
        (SHELL_77, ["page 1 alone", "whole, tighter"], ["whole", "whole, tighter"]),
        (FITS, ["page 1 alone", "whole"], ["whole"]),
    ],
    ids=["runs-over", "fits"],
)
def test_the_guess_orders_the_layouts_never_the_brief(
    seeded_db, mishap_id, guessed_over, layouts
) -> None:
    ctx = brief_context(mishap_id)
    renderer = pdf_renderer()
    over, fits = Recording(renderer), Recording(renderer)
    a = fit_brief(ctx, over, likely_over=0)  # guessed to run over: page 1 alone first
    b = fit_brief(ctx, fits, likely_over=10**6)  # guessed to fit: the whole brief first
    assert over.laid == guessed_over and fits.laid == layouts
    assert a.ctx == b.ctx and a.html == b.html
    assert a.ctx.tight == (mishap_id == SHELL_77)
    text = text_of(renderer, a)
    assert text == text_of(renderer, b)
    first = text.split("\f")[0]
    assert "Where the facts come from" in first  # page 1 ends on page 1
    # The guess the briefs get: Shell 77's page 1 laid out alone first, the other's not.
    recorded = Recording(renderer)
    fit_brief(ctx, recorded)
    assert recorded.laid == (guessed_over if mishap_id == SHELL_77 else layouts)


def test_page_one_alone_runs_over_exactly_when_it_does_in_the_whole_brief(seeded_db) -> None:
    """Page 1 alone decides for the whole brief: the annex starts on a page of its own, so it
    cannot change where page 1 ends. Checked a character either side of where a longer "What
    happened" first pushes page 1 over."""
    base = brief_context(FITS)
    text = " ".join(base.view.case.summary.split() * 5)

    def runs_over(renderer: Renderer, n: int, *, alone: bool) -> bool:
        ctx = replace(base, happened=text[:n])
        html = render_html("brief.html", page_one_alone(ctx) if alone else ctx)
        return not ends_on_page_one(renderer.layout(html))

    renderer = pdf_renderer()
    fits, over = len(base.happened), len(text)
    assert not runs_over(renderer, fits, alone=True) and runs_over(renderer, over, alone=True)
    while over - fits > 1:
        mid = (fits + over) // 2
        if runs_over(renderer, mid, alone=True):
            over = mid
        else:
            fits = mid
    for n in (fits - 1, fits, over, over + 1):
        assert runs_over(renderer, n, alone=False) == (n >= over), n


def test_html_is_the_html_the_pdf_was_laid_out_from(
    runner, seeded_db, tmp_path, monkeypatch
) -> None:
    from mishaps.reports.render import render_pdf

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # the same footer in every run
    html, pdf = tmp_path / "b.html", tmp_path / "b.pdf"
    result = runner("report", "brief", SHELL_77, "--html", html, "-o", pdf)
    assert result.exit_code == 0, result.stderr
    alone = tmp_path / "alone.html"
    assert runner("report", "brief", SHELL_77, "--html", alone).exit_code == 0
    assert alone.read_text() == html.read_text()
    assert 'class="page-one tight"' in html.read_text()  # Shell 77's page 1 runs over
    again = render_pdf(html.read_text(), generated_at=WHEN, fingerprint="x").pdf
    laid_out = [p.extract_text() for p in PdfReader(io.BytesIO(again)).pages]
    assert laid_out == [p.extract_text() for p in PdfReader(pdf).pages]
    fits = tmp_path / "fits.html"
    assert runner("report", "brief", FITS, "--html", fits).exit_code == 0
    assert 'class="page-one"' in fits.read_text()
