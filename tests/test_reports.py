"""PDF reports, checked by reading them back: text, pages, metadata, attachments."""

from __future__ import annotations

import http.server
import io
import json
import re
import shutil
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


def forbidden_words() -> set[str]:
    """What page 1 must never show: field names of the format, raw vocabulary codes."""
    from enum import Enum

    from mishaps import vocab
    from mishaps.schema import FIELD_NAMES

    fields = {name for names in FIELD_NAMES.values() for name in names if "_" in name}
    codes = {
        member.value
        for kind in vars(vocab).values()
        if isinstance(kind, type) and issubclass(kind, Enum) and kind.__name__[:2] != "On"
        for member in kind
        if "-" in member.value
    }
    return fields | codes | {"cites", "refueling.mechanism"}


def uri_links(path: Path) -> set[str]:
    out = set()
    for page in PdfReader(path).pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A") or {}
            if action.get("/URI"):
                out.add(str(action["/URI"]))
    return out


def test_the_earliest_case_says_no_earlier_case_was_found_and_where_it_looked(
    report, seeded_db
) -> None:
    first = min(seed_cases(), key=lambda c: (str(c["occurred_on"]), c["id"]))
    text = " ".join(pdf_text(report("brief", first["id"]))[0].split())
    said = text[text.index("Previous similar mishaps") : text.index("Where the facts come from")]
    assert "None found among earlier cases in this database" in said, said


@pytest.mark.parametrize("case", seed_cases(), ids=lambda c: c["id"])
def test_page_one_of_each_seed_case_is_the_whole_brief_in_words(report, seeded_db, case) -> None:
    from mishaps.reports.labels import day

    path = report("brief", case["id"])
    pages = pdf_text(path)
    first = pages[0]
    flat = " ".join(first.split())
    status = {
        "press": "Press reports only",
        "preliminary": "Official statements; no report released",
        "final": "Investigation report released",
    }[case["status"]]
    assert status in flat
    assert "Information as of" in flat
    causes = [f for f in case.get("findings", []) if f["kind"] == "cause"]
    if causes:
        assert squash(causes[0]["text"][:60]) in squash(first)
    else:
        from mishaps.reports.context import NO_CAUSE
        from mishaps.vocab import Status

        assert squash(". ".join(NO_CAUSE[Status(case["status"])])) in squash(flat)
    assert "Where the facts come from" in flat, "page 1 runs over onto page 2"
    assert squash(day(str(case["occurred_on"]))) in squash(first)
    for aircraft in case["aircraft"]:
        assert squash(aircraft["type"]) in squash(first)
    # A code that is also a word of the case's own prose ("in the pre-contact position") is
    # the editors' English, not a code the report printed.
    prose = " ".join(
        str(x)
        for x in (
            case["title"],
            case["summary"],
            case.get("time"),
            case["location"]["description"],
            *(f["text"] for f in case.get("findings", [])),
        )
    )
    shown = [w for w in forbidden_words() if w in first and w not in prose]
    assert shown == [], f"page 1 shows field names or codes: {shown}"
    assert "Annex: the full record" in pages[1]
    text = squash(" ".join(pages))
    assert squash(case["title"]) in text
    assert {s["url"] for s in case["sources"]} <= uri_links(path)  # clickable references


def test_page_one_alone_with_no_annex_and_a_tagged_pdf(report, seeded_db) -> None:
    path = report("brief", SHELL_77, "--no-annex")
    reader = PdfReader(path)
    assert len(reader.pages) == 1
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/Lang"] == "en"
    assert reader.metadata.title.startswith("Mishap brief: ")
    assert "Where the facts come from" in pdf_text(path)[0]
    ua = PdfReader(report("brief", SHELL_77, "--pdf-variant", "pdf/ua-1", name="ua.pdf"))
    assert (
        "/StructTreeRoot" in ua.trailer["/Root"]
        and b"pdfuaid" in ua.trailer["/Root"]["/Metadata"].get_object().get_data()
    )


def test_a_final_case_without_the_board_report_says_the_brief_rests_on_summaries(
    report, seeded_db
) -> None:
    case = next(c for c in seed_cases() if c["id"] == SHELL_77)
    assert all(s["kind"] != "aib-report" for s in case["sources"])
    first = " ".join(pdf_text(report("brief", SHELL_77))[0].split())
    assert "rests on official and press summaries of the report" in first


def test_status_line_follows_the_sources_not_just_the_status() -> None:
    from mishaps.reports.context import information_as_of, status_words
    from mishaps.schema import Case

    board = {
        "title": "AIB report",
        "url": "https://example.org/aib",
        "kind": "aib-report",
        "published_on": "2025-08-25",
    }
    press = {
        "title": "Story",
        "url": "https://example.org/p",
        "kind": "press",
        "published_on": "2025-09",
    }
    final = Case.model_validate(yaml_case(sources=[press, board]))
    assert status_words(final) == ("Investigation report released 25 Aug 2025", None)
    assert information_as_of(final) == "Sep 2025"
    only_press = Case.model_validate(yaml_case(sources=[press]))
    line, rests = status_words(only_press)
    assert line == "Investigation report released" and "rests on press reports" in (rests or "")
    for status, words in (
        ("preliminary", "Official statements; no report released"),
        ("press", "Press reports only"),
    ):
        case = Case.model_validate(yaml_case(status=status, sources=[press, board]))
        assert status_words(case) == (words, None)


def test_every_vocabulary_value_has_a_label() -> None:
    from enum import Enum

    from mishaps import vocab
    from mishaps.reports.labels import LABELS

    tables = {
        vocab.Status: "status",
        vocab.Method: "refueling_method",
        vocab.Phase: "refueling_phase",
        vocab.Role: "role",
        vocab.Damage: "damage",
        vocab.FindingKind: "finding_kind",
        vocab.SourceKind: "source_kind",
        vocab.RecommendationStatus: "recommendation_status",
    }
    enums = {
        k
        for k in vars(vocab).values()
        if isinstance(k, type) and issubclass(k, Enum) and k is not Enum
    }
    # Import options and the class letter are never shown as words.
    assert enums - set(tables) <= {vocab.OnConflict, vocab.OnDuplicate, vocab.MishapClass}
    for kind, table in tables.items():
        for member in kind:
            assert LABELS[table][member.value] and LABELS[table][member.value] != member.value
    from mishaps.taxonomy import mechanisms

    for m in mechanisms():
        assert LABELS["refueling_mechanism"][m.code] == m.name != m.code


def test_notes_render_as_topics_and_titles_end_once() -> None:
    from mishaps.reports.labels import fields_as_words, sentence, topics

    assert topics("First topic.\nSecond: damage_usd.\n\nThird.") == [
        "First topic.",
        "Second: damage_usd.",
        "Third.",
    ]
    assert fields_as_words("damage_usd is the loss; mishap_class is left out.") == (
        "The damage figure is the loss; the mishap class is left out."
    )
    assert sentence("What Happened Aboard Shell 77?") == "What Happened Aboard Shell 77?"
    assert sentence("Six factors") == "Six factors."


def test_cui_with_distribution_a_is_refused(runner, seeded_db, tmp_path) -> None:
    out = tmp_path / "x.pdf"
    result = runner(
        "report", "brief", SHELL_77, "--marking", "CUI", "--distribution", "A", "-o", out
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: --marking CUI contradicts --distribution A")
    assert result.stderr.count("\n") == 1
    missing = runner("report", "brief", SHELL_77, "--marking", "CUI", "-o", out)
    assert missing.exit_code == 1
    assert "--cui-controlled-by" in missing.stderr and "--cui-poc" in missing.stderr
    assert not out.exists()


def test_cui_marking_adds_the_designation_indicator(report, seeded_db, monkeypatch) -> None:
    monkeypatch.setenv("MISHAPS_CUI_CONTROLLED_BY", "Department of the Air Force, HQ AMC/SE")
    monkeypatch.setenv("MISHAPS_CUI_CATEGORY", "OPSEC")
    monkeypatch.setenv("MISHAPS_CUI_POC", "Safety office, 555-0100")
    path = report("brief", SHELL_77, "--marking", "CUI", "--cui-dissemination", "FEDCON")
    first = " ".join(pdf_text(path)[0].split())
    for line in (
        "Controlled by: Department of the Air Force, HQ AMC/SE",
        "CUI category: OPSEC",
        "Limited dissemination control: FEDCON",
        "POC: Safety office, 555-0100",
    ):
        assert line in first
    assert "CUI category" not in " ".join(pdf_text(report("brief", SHELL_77, name="u.pdf")))


def test_summary_of_kc46_holds_the_boom_mishaps_and_no_kc135(report, seeded_db) -> None:
    text = squash(" ".join(pdf_text(report("summary", "--aircraft", "KC-46"))))
    for mishap_id in KC46_BOOM:
        assert squash(mishap_id) in text
    for absent in (SHELL_77, IRAQ_2026):
        assert squash(absent) not in text
    assert squash("mishaps report summary --aircraft KC-46") in text  # the query, as a command line


@pytest.mark.slow  # whole summaries or every service: `make test-slow`, in CI
def test_markings_on_every_page_and_page_x_of_y(report, seeded_db) -> None:
    path = report(
        "summary",
        "--marking",
        "CUI",
        "--cui-controlled-by",
        "HQ AMC/SE",
        "--cui-category",
        "OPSEC",
        "--cui-poc",
        "Safety office",
        "--distribution",
        "C",
        "--distribution-reason",
        "Administrative or Operational Use",
        "--controlling-office",
        "HQ AMC/SE",
    )
    pages = pdf_text(path)
    assert len(pages) > 3
    assert "Controlled by: HQ AMC/SE" in pages[0] and "CUI category: OPSEC" in pages[0]
    assert "Limited dissemination control: Distribution Statement C" in pages[0]
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


@pytest.mark.slow  # whole summaries or every service: `make test-slow`, in CI
def test_summary_has_bookmarks_contents_and_key_figures(report, seeded_db) -> None:
    path = report("summary")
    reader = PdfReader(path)
    titles = [item["/Title"] for item in reader.outline if isinstance(item, dict)]
    assert {
        "1. Key figures",
        "2. Charts",
        "3. The cases compared",
        "4. The cases",
        "Annex: sources",
    } <= set(titles)
    text = " ".join(pdf_text(path))
    assert "Contents" in text
    fatalities = [c.get("fatalities") for c in seed_cases()]
    unknown = sum(1 for f in fatalities if f is None)
    known = sum(f for f in fatalities if f is not None)
    assert re.search(rf"Fatalities\s+{known}\s+unknown for {unknown} mishap", text)
    from mishaps.classes import fiscal_year

    years = [fy for c in seed_cases() if (fy := fiscal_year(str(c["occurred_on"]))) is not None]
    by_time = "decade" if max(years) - min(years) > 24 else "year"  # one bar a year must fit
    for figure in (
        "Figure 1. Mishaps by fiscal year" if by_time == "year" else "Figure 1. Mishaps by decade",
        "Figure 2. Mishaps by aircraft family and role",
        "Figure 4. Mishaps by air refueling phase",
    ):
        assert figure in text
    assert "Classification" not in text and "Occurrence categories" in text
    assert "The figures count the cases in this database, not all" in text


@pytest.mark.slow  # whole summaries or every service: `make test-slow`, in CI
def test_summary_groups_families_keeps_designators_whole_and_never_sums_money(
    report, seeded_db
) -> None:
    from mishaps.mds import family
    from mishaps.output import money

    path = report("summary")
    raw = "\n".join(pdf_text(path))
    text = " ".join(raw.split())
    kc135 = sum(
        1
        for c in seed_cases()
        if any(a["role"] == "tanker" and family(a["type"]) == "KC-135" for a in c["aircraft"])
    )
    assert any(a["type"] == "KC-135R" for c in seed_cases() for a in c["aircraft"])
    assert f"KC-135 (tanker): {kc135};" in text  # the chart's data in words
    assert "KC-135R (tanker)" not in text
    split = re.search(r"[A-Z]/\s*\n\s*[A-Z]|\b[A-Z]{1,5}(?:/[A-Z]{1,2})?-\s*\n\s*\d", raw)
    assert split is None, f"a designator breaks across lines: {split and split.group(0)!r}"
    figures = [c["damage_usd"] for c in seed_cases() if c.get("damage_usd") is not None]
    assert len(figures) > 1
    assert money(sum(figures)) not in text
    assert all(money(f) in text for f in figures)
    assert f"Cases with a damage figure {len(figures)} of {len(seed_cases())}" in text
    pages = [squash(p) for p in pdf_text(path)]
    for case in seed_cases():  # each case heading on the page where its section starts
        starts = [i for i, p in enumerate(pages) if squash(f"Case {case['id']} ·") in p]
        assert len(starts) == 1 and squash(case["title"]) in pages[starts[0]], case["id"]
    fiscal = report("summary", "--calendar-years", name="cal.pdf")
    assert "Figure 1. Mishaps by calendar year" in " ".join(
        pdf_text(fiscal)
    ) or "(calendar years)" in " ".join(pdf_text(fiscal))


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


@pytest.mark.slow  # whole summaries or every service: `make test-slow`, in CI
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
        marking=Marking("UNCLASSIFIED"),
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
        marking=Marking("UNCLASSIFIED"),
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
            build_brief(coded, marking=Marking(), generated_at=when, version="test"),
        ).split()
    )
    assert "Mishap class</th><td>A (derived)" in brief
    assert "Derived: no source states the class" in brief
    assert "PC102</td><td>Fixation (Channelized Attention)" in brief
    assert f"LOC-I</td><td>{cictt_name('LOC-I')}" in brief


def test_page_one_lists_the_earlier_cases_most_alike_first(report, seeded_db, runner) -> None:
    # The ranking is `mishaps similar`'s; page 1 keeps the three best that happened earlier.
    case_id = "2024-08-21-kc-46a-f-15e-california"
    cases = {c["id"]: c for c in seed_cases()}
    day = str(cases[case_id]["occurred_on"])
    ranked = json.loads(runner("similar", case_id, "--limit", "30", "--format", "json").stdout)
    ids = [m["id"] for m in (ranked["matches"] if isinstance(ranked, dict) else ranked)]
    earlier = [i for i in ids if str(cases[i]["occurred_on"]) < day]
    assert len(earlier) > 3
    first = squash(pdf_text(report("brief", case_id))[0])
    positions = [first.find(squash(cases[i]["title"])[:60]) for i in earlier[:3]]
    assert -1 not in positions and positions == sorted(positions)
    assert squash(cases[earlier[3]]["title"])[:60] not in first
    # The board-linked nozzle-binding mishaps come first, whatever their order.
    assert set(earlier[:2]) == {
        "2022-10-15-kc-46a-f-15e-north-atlantic",
        "2022-11-07-kc-46a-f-22a-nozzle",
    }


def _cited_case() -> dict:
    return yaml_case(
        id="cited-case",
        occurred_on="2024-08-21",
        damage_usd=14381303,
        fatalities=0,
        refueling={"method": "boom", "phase": "contact", "mechanism": ["boom-binding"]},
        aircraft=[
            {"role": "tanker", "type": "KC-46A", "damage": "substantial"},
            {"role": "receiver", "type": "F-15E", "crew": 2},
        ],
        findings=[{"kind": "cause", "text": "The boom bound in the receptacle.", "cites": [2]}],
        sources=[
            {"title": "Board report", "url": "https://example.org/aib", "kind": "aib-report"},
            {"title": "A story?", "url": "https://example.org/press", "kind": "press"},
        ],
        cites={"occurred_on": [1], "damage_usd": [2], "refueling.mechanism": [1, 2]},
    )


def _links(path: Path, page: int) -> tuple[list[str], int]:
    """The URI links of a page, and how many links go inside the document."""
    uris, internal = [], 0
    for annot in PdfReader(path).pages[page].get("/Annots") or []:
        a = annot.get_object()
        action = a.get("/A") or {}
        if action.get("/URI"):
            uris.append(str(action["/URI"]))
        elif "/Dest" in a or action.get("/S") == "/GoTo":
            internal += 1
    return uris, internal


def test_facts_and_findings_carry_linked_reference_numbers(runner, report, tmp_path) -> None:
    f = tmp_path / "cited.json"
    f.write_text(json.dumps(_cited_case()))
    assert runner("init", "--empty").exit_code == 0
    result = runner("import", f)
    assert result.exit_code == 0, result.stderr
    path = report("brief", "cited-case")
    first = " ".join(pdf_text(path)[0].split())
    assert "$14.4M, press estimate, then-year dollars" in first
    assert "What went wrong: boom nozzle binding" in first
    assert re.search(r"The boom bound in the receptacle\.\s*\[2\]", first)
    assert "[1,2]" in squash(first)  # the mechanism, cited to both sources
    uris, internal = _links(path, 0)
    assert uris == [] and internal >= 4  # date, damage, mechanism (2), cause
    assert "A story? Example" not in first and "A story?." not in " ".join(pdf_text(path))
    alone = report("brief", "cited-case", "--no-annex", name="alone.pdf")
    uris, internal = _links(alone, 0)
    assert internal == 0
    assert set(uris) == {"https://example.org/aib", "https://example.org/press"}


def test_mechanism_chart_replaces_the_category_chart_when_cases_carry_mechanisms() -> None:
    from mishaps.reports.context import charts
    from mishaps.schema import Case

    plain = [Case.model_validate(_doc(c)) for c in seed_cases()]
    plain = [
        c.model_copy(update={"refueling": c.refueling.model_copy(update={"mechanism": []})})
        for c in plain
    ]
    assert [c.id for c in charts(plain)][2] == "chart-categories"
    coded = Case.model_validate(_cited_case())
    chart = charts([*plain, coded])[2]
    assert chart.id == "chart-mechanisms"
    assert [(b.label, b.value) for b in chart.bars] == [("Boom nozzle binding", 1)]
    assert f"Mechanism not recorded for {len(plain)} cases." in chart.note


def test_tanker_receiver_matrix_counts_every_pair_and_keeps_no_receiver() -> None:
    from mishaps.mds import family
    from mishaps.reports.context import tanker_receiver_matrix
    from mishaps.schema import Case

    cases = [Case.model_validate(_doc(c)) for c in seed_cases()]
    matrix = tanker_receiver_matrix(cases)
    assert len(matrix.columns) <= 11 and matrix.columns[-1] == "no receiver"

    def fams(c: Case, role: str) -> set[str]:
        return {family(a.type) for a in c.aircraft if a.role.value == role}

    pairs = sum(max(len(fams(c, "tanker")), 1) * max(len(fams(c, "receiver")), 1) for c in cases)
    assert sum(matrix.counts.values()) == pairs
    alone = sum(1 for c in cases if "KC-135" in fams(c, "tanker") and not fams(c, "receiver"))
    assert alone > 0 and matrix.count("KC-135", "no receiver") == alone


def test_summary_shows_each_case_s_series_and_most_similar_cases(report, seeded_db, runner) -> None:
    import yaml

    from mishaps.config import data_dir

    series = yaml.safe_load((data_dir() / "series.yaml").read_text(encoding="utf-8"))
    member = next(c for c in seed_cases() if c.get("series"))
    title = next(s["title"] for s in series if s["id"] == member["series"][0])
    ranked = json.loads(runner("similar", member["id"], "--limit", "3", "--format", "json").stdout)
    text = squash("".join(pdf_text(report("summary", "--aircraft", member["aircraft"][0]["type"]))))
    section = text[text.index(squash(f"Case {member['id']}")) :]
    assert squash(f"Series: {title}") in section
    assert squash("Most similar cases in this database:") in section
    for match in ranked:  # the three best, with their reasons
        assert squash(match["reasons"][0]) in section


def test_compiled_templates_come_back_from_the_cache_and_a_bad_cache_is_no_error(
    tmp_path, monkeypatch
) -> None:
    from jinja2 import Environment, FileSystemLoader

    from mishaps.reports.render import _CompiledTemplates, _template_cache

    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "x.html").write_text("{{ 6 * 7 }} {{ name }}")
    cache = tmp_path / "cache"
    cache.mkdir()

    def render() -> str:
        env = Environment(
            loader=FileSystemLoader(str(tmp_path / "t")),
            bytecode_cache=_CompiledTemplates(str(cache)),
        )
        return env.get_template("x.html").render(name="ok")

    assert render() == "42 ok"
    [compiled] = list(cache.iterdir())
    env = Environment(loader=FileSystemLoader(str(tmp_path / "t")))
    source, filename, _ = env.loader.get_source(env, "x.html")
    bucket = _CompiledTemplates(str(cache)).get_bucket(env, "x.html", filename, source)
    assert bucket.code is not None  # the next process finds it compiled
    compiled.write_bytes(compiled.read_bytes()[:20] + b"garbage")  # a cut or corrupt file
    assert render() == "42 ok"
    shutil.rmtree(cache)
    cache.write_text("a file where the directory was")  # nothing can be read or written
    assert render() == "42 ok"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))  # no cache directory can be made
    assert _template_cache() is None
