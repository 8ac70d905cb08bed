"""PDF reports, checked by reading them back: text, pages, metadata, attachments."""

from __future__ import annotations

import http.server
import io
import json
import re
import threading
from pathlib import Path
from typing import ClassVar

import pytest
from pypdf import PdfReader

from tests.conftest import SEED_FILES, seed_cases

SHELL_77 = "2013-05-03-shell-77"
IRAQ_2026 = "2026-03-12-kc-135-western-iraq"
KC46_BOOM = {
    "2022-10-15-kc-46a-f-15e-north-atlantic",
    "2022-11-07-kc-46a-f-22a-nozzle",
    "2024-08-21-kc-46a-f-15e-california",
}


def squash(text: str) -> str:
    """Text with all white space removed: wrapped lines and URLs compare whole."""
    return re.sub(r"\s+", "", text)


def pdf_text(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(path).pages]


@pytest.fixture
def report(runner, tmp_path):
    def run(*args: str, name: str = "out.pdf"):
        out = tmp_path / name
        result = runner("report", *args, "-o", out)
        assert result.exit_code == 0, result.stderr
        assert "warning" not in result.stderr.lower(), result.stderr
        return out

    return run


@pytest.fixture
def backend() -> str:
    """Rendering does not depend on the backend: these run on SQLite only, and
    tests/test_transfer.py checks that reports from PostgreSQL are the same bytes."""
    return "sqlite"


@pytest.mark.parametrize("case", seed_cases(), ids=lambda c: c["id"])
def test_brief_of_each_seed_case_has_title_date_aircraft_and_every_source(
    report, seeded_db, case
) -> None:
    pages = pdf_text(report("brief", case["id"]))
    assert 1 <= len(pages) <= 3, f"a brief is one to three pages, got {len(pages)}"
    text = squash(" ".join(pages))
    assert squash(case["title"]) in text
    assert squash(str(case["occurred_on"])) in text
    for aircraft in case["aircraft"]:
        assert squash(aircraft["type"]) in text
    for source in case["sources"]:
        assert squash(source["url"]) in text, source["url"]


def test_brief_of_a_case_under_investigation_says_so_and_prints_unknowns(report, seeded_db) -> None:
    first = pdf_text(report("brief", IRAQ_2026))[0]
    assert "UNDER INVESTIGATION" in first
    assert "unknown" in first  # refuelling phase, damage... never 0 or blank
    final = pdf_text(report("brief", SHELL_77))[0]
    assert "UNDER INVESTIGATION" not in final


def test_summary_of_kc46_holds_the_boom_mishaps_and_no_kc135(report, seeded_db) -> None:
    text = squash(" ".join(pdf_text(report("summary", "--aircraft", "KC-46"))))
    for mishap_id in KC46_BOOM:
        assert squash(mishap_id) in text
    for absent in (SHELL_77, IRAQ_2026):
        assert squash(absent) not in text
    assert squash("mishaps report summary --aircraft KC-46") in text  # the query, as a command line


def test_markings_on_every_page_and_page_x_of_y(report, seeded_db) -> None:
    path = report("summary", "--marking", "CUI")
    pages = pdf_text(path)
    assert len(pages) > 3
    for number, page in enumerate(pages, 1):
        assert page.count("CUI") >= 2, f"page {number} lacks its top and bottom banner"
        assert f"Page {number} of {len(pages)}" in page
        assert "Generated" in page and "data " in page  # the footer with time, version, fingerprint


def test_no_marking_means_no_banner(report, seeded_db) -> None:
    pages = pdf_text(report("brief", SHELL_77))
    assert not any("CUI" in p or "UNCLASSIFIED" in p for p in pages)


def test_marking_default_from_the_environment(report, seeded_db, monkeypatch) -> None:
    monkeypatch.setenv("MISHAPS_MARKING", "UNCLASSIFIED")
    assert all(p.count("UNCLASSIFIED") >= 2 for p in pdf_text(report("brief", SHELL_77)))


def test_distribution_statement_on_the_first_page(report, runner, seeded_db, tmp_path) -> None:
    first = pdf_text(report("brief", SHELL_77, "--distribution", "A"))[0]
    assert "DISTRIBUTION STATEMENT A. Approved for public release" in first
    result = runner("report", "brief", SHELL_77, "--distribution", "C", "-o", tmp_path / "c.pdf")
    assert result.exit_code == 1
    assert (
        result.stderr
        == "Error: distribution statement C needs --distribution-reason and --controlling-office\n"
    )
    path = report(
        "brief",
        SHELL_77,
        "--distribution",
        "C",
        "--distribution-reason",
        "Administrative or Operational Use",
        "--controlling-office",
        "HQ AMC/SE",
        name="c2.pdf",
    )
    assert "to U.S. Government agencies and their contractors" in pdf_text(path)[0]


def test_metadata(report, seeded_db, monkeypatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    reader = PdfReader(report("brief", SHELL_77))
    meta = reader.metadata
    case = next(c for c in seed_cases() if c["id"] == SHELL_77)
    assert meta.title == f"Mishap brief: {case['title']}"
    assert meta.author == "mishaps"
    assert meta.creator.startswith("mishaps ")
    assert "Air refueling mishap brief" in meta.subject
    assert meta["/CreationDate"].startswith("D:20260101000000")
    assert reader.trailer["/Root"]["/Lang"] == "en"
    outline_titles = [item["/Title"] for item in reader.outline if isinstance(item, dict)]
    assert any("Shell 77" in t for t in outline_titles)


def test_summary_has_bookmarks_contents_and_key_figures(report, seeded_db) -> None:
    path = report("summary")
    reader = PdfReader(path)
    titles = [item["/Title"] for item in reader.outline if isinstance(item, dict)]
    assert {
        "1. Key figures",
        "2. Charts",
        "3. Table of cases",
        "4. The cases",
        "Annex: sources",
    } <= set(titles)
    text = " ".join(pdf_text(path))
    assert "Contents" in text
    fatalities = [c.get("fatalities") for c in seed_cases()]
    unknown = sum(1 for f in fatalities if f is None)
    known = sum(f for f in fatalities if f is not None)
    assert re.search(rf"Fatalities\s+{known}\s+unknown for {unknown} mishap", text)
    years = [int(str(c["occurred_on"])[:4]) for c in seed_cases()]
    by_time = "decade" if max(years) - min(years) > 24 else "year"  # one bar a year must fit
    for figure in (
        f"Figure 1. Mishaps by {by_time}",
        "Figure 2. Mishaps by aircraft type and role",
        "Figure 3. Mishaps by CICTT occurrence category",
        "Figure 4. Mishaps by air refueling phase",
    ):
        assert figure in text


def test_two_renders_with_source_date_epoch_are_byte_identical(
    report, seeded_db, monkeypatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    first = report(
        "summary", "--aircraft", "KC-46", "--pdf-variant", "pdf/a-3b", name="a.pdf"
    ).read_bytes()
    second = report(
        "summary", "--aircraft", "KC-46", "--pdf-variant", "pdf/a-3b", name="b.pdf"
    ).read_bytes()
    assert first == second


def test_pdf_a3b_carries_its_cases_and_import_reads_them_back(
    report, runner, seeded_db, tmp_path
) -> None:
    path = report("summary", "--aircraft", "KC-46", "--pdf-variant", "pdf/a-3b")
    attached = PdfReader(path).attachments["mishaps.json"][0]
    ids = {c["id"] for c in json.loads(attached)["mishaps"]}
    assert ids >= KC46_BOOM
    fresh = tmp_path / "fresh.db"
    assert runner("--db", fresh, "init", "--empty").exit_code == 0
    result = runner("--db", fresh, "import", path)
    assert result.exit_code == 0, result.stderr
    exported = json.loads(runner("--db", fresh, "export", "--format", "json").stdout)
    assert exported == json.loads(attached)


def test_import_of_a_pdf_without_cases_is_a_clear_error(report, runner, seeded_db) -> None:
    path = report("brief", SHELL_77)
    result = runner("import", path)
    assert result.exit_code == 1
    assert "carries no mishaps.json attachment" in result.stderr


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Recorder.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_hostile_text_prints_literally_and_nothing_is_fetched(runner, report, tmp_path) -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/x.png"
    evil = (
        f'<img src="file:///etc/passwd"> <img src="{url}"> <link rel="stylesheet" href="{url}">'
        f' <style>@import url("{url}");</style> {{{{ ctx }}}} </body>'
    )
    case = yaml_case(summary=evil, title="<b>bold</b> & title")
    f = tmp_path / "evil.json"
    f.write_text(json.dumps(case))
    assert runner("init", "--empty").exit_code == 0
    assert runner("import", f).exit_code == 0
    html_path = tmp_path / "evil.html"
    assert runner("report", "brief", "evil-case", "--html", html_path).exit_code == 0
    html = html_path.read_text()
    assert "&lt;img src=" in html and "<img" not in html and "<b>bold" not in html
    text = squash(" ".join(pdf_text(report("brief", "evil-case"))))
    assert squash('<img src="file:///etc/passwd">') in text
    assert squash("{{ ctx }}") in text
    assert "root:" not in text
    server.shutdown()
    server.server_close()
    assert _Recorder.hits == []


def test_the_url_fetcher_refuses_anything_outside_the_templates(tmp_path) -> None:
    from datetime import UTC, datetime

    from mishaps.errors import ReportError
    from mishaps.reports.render import render_pdf

    html = '<html><body><img src="file:///etc/passwd"></body></html>'
    with pytest.raises(ReportError, match="only template files may be read"):
        render_pdf(html, generated_at=datetime(2026, 1, 1, tzinfo=UTC), fingerprint="x")


def yaml_case(**overrides):
    base = {
        "id": "evil-case",
        "title": "t",
        "occurred_on": "2020-01-01",
        "status": "final",
        "service": "USAF",
        "location": {"description": "somewhere"},
        "summary": "s",
        "aircraft": [{"role": "tanker", "type": "KC-135R"}],
        "sources": [{"title": "t", "url": "https://example.org/", "kind": "other"}],
    }
    return {**base, **overrides}


def test_bad_arguments_give_one_line_and_write_nothing(runner, seeded_db, tmp_path) -> None:
    out = tmp_path / "x.pdf"
    unknown = runner("report", "brief", "no-such-case", "-o", out)
    assert (unknown.exit_code, unknown.stderr) == (
        1,
        "Error: no mishap with id 'no-such-case' (list them with: mishaps list)\n",
    )
    absent = "XB-70"  # a type no seed case lists, so the filter matches nothing
    assert all(a["type"] != absent for c in seed_cases() for a in c["aircraft"])
    empty = runner("report", "summary", "--aircraft", absent, "-o", out)
    assert (empty.exit_code, empty.stderr) == (
        1,
        "Error: no cases match the filters; an empty summary would say nothing\n",
    )
    bad_dir = tmp_path / "missing" / "x.pdf"
    unwritable = runner("report", "brief", SHELL_77, "-o", bad_dir)
    assert unwritable.exit_code == 1
    assert (
        unwritable.stderr
        == f"Error: cannot write {bad_dir}: {bad_dir.parent} is not a writable directory\n"
    )
    no_output = runner("report", "brief", SHELL_77)
    assert no_output.exit_code == 2
    assert not out.exists() and not list(tmp_path.glob("*.part"))


def test_progress_on_request(runner, seeded_db, tmp_path) -> None:
    result = runner("report", "summary", "--progress", "-o", tmp_path / "p.pdf")
    assert result.exit_code == 0
    assert "Step" in result.stderr or "Loaded" in result.stderr


def test_context_and_html_need_no_weasyprint(seeded_db) -> None:
    """Stages one and two are pure: build the context and HTML, and check both."""
    from datetime import UTC, datetime

    from mishaps.filters import Filters
    from mishaps.reports.context import Marking, build_summary
    from mishaps.reports.render import render_html
    from mishaps.schema import Case

    cases = [Case.model_validate(_doc(c)) for c in seed_cases()]
    ctx = build_summary(
        cases,
        filters=Filters(),
        marking=Marking("CUI"),
        generated_at=datetime(2026, 1, 1, tzinfo=UTC),
        version="test",
    )
    assert len(ctx.cases) == len(SEED_FILES)
    html = render_html("summary.html", ctx)
    assert html.count('class="banner ') == 2 and "<svg" in html


def _doc(case: dict) -> dict:
    """Seed YAML read by yaml.safe_load has date objects; the schema takes them as text."""
    return json.loads(json.dumps(case, default=str))


def test_attachment_is_the_interchange_format(report, seeded_db) -> None:
    path = report("brief", SHELL_77, "--pdf-variant", "pdf/a-3b")
    doc = json.loads(PdfReader(io.BytesIO(path.read_bytes())).attachments["mishaps.json"][0])
    assert [c["id"] for c in doc["mishaps"]] == [SHELL_77]


def test_reports_show_derived_classes_fiscal_years_and_named_codes(seeded_db) -> None:
    """Shell 77 states no class: its class A is derived (a fatality, a destroyed aircraft)."""
    from datetime import UTC, datetime

    from mishaps.filters import Filters
    from mishaps.reports.context import Marking, build_brief, build_summary
    from mishaps.reports.render import render_html
    from mishaps.schema import Case
    from mishaps.taxonomy import cictt_name

    cases = [Case.model_validate(_doc(c)) for c in seed_cases()]
    when = datetime(2026, 1, 1, tzinfo=UTC)
    ctx = build_summary(
        cases,
        filters=Filters(fiscal_year=2013),
        marking=Marking("CUI"),
        generated_at=when,
        version="test",
    )
    summary = render_html("summary.html", ctx)
    summary = " ".join(summary.split())
    assert "Case 2013-05-03-shell-77 · FY2013 · USAF · class A (derived)" in summary
    assert "Fiscal year</th><td>FY2013" in summary  # the query, in words
    shell = next(c for c in cases if c.id == SHELL_77)
    coded = shell.model_copy(
        update={
            "findings": [
                shell.findings[0].model_copy(update={"hfacs": ["PC102", "AE104"]}),
            ]
        }
    )
    brief = " ".join(
        render_html(
            "brief.html",
            build_brief(coded, marking=Marking("CUI"), generated_at=when, version="test"),
        ).split()
    )
    assert "2013-05-03 (FY2013) · USAF · class A (derived)" in brief
    assert "PC102</td><td>Fixation (Channelized Attention)" in brief
    assert f"LOC-I</td><td>{cictt_name('LOC-I')}" in brief
