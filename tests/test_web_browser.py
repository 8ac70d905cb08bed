"""`mishaps serve` in a real browser: Debian's chromium, headless, driven by Playwright.

One server for the module, started as a user starts it (`mishaps --db X serve --port N`) on
127.0.0.1. Every request a page makes is recorded, and any to another host fails the test: the
casebook must work air-gapped. Skipped only when chromium is not installed (`make install`
installs it when run as root, as CI does).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (Debian: apt-get install chromium; `make install` does it"
    " when run as root)",
)
# A case with coordinates, so the map has a marker whatever the seed data holds. It is the
# tests' own sample case (not evidence), in this test's private database only.
SAMPLE_WITH_COORDINATES = Path(__file__).parent / "good_case.yaml"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    base: str
    db: Path
    origin: str = field(init=False)

    def __post_init__(self) -> None:
        self.origin = urlsplit(self.base).netloc

    def cli_ids(self, *args: str) -> list[str]:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "mishaps",
                "--db",
                str(self.db),
                "list",
                "--format",
                "json",
                *args,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return [c["id"] for c in json.loads(out)]

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(f"{self.db.as_uri()}?mode=ro", uri=True) as conn:
            return conn.execute(sql).fetchall()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, _seeded_template: Path) -> Iterator[Server]:
    from mishaps.config import to_url
    from mishaps.db import make_engine
    from mishaps.ingest import import_cases, load_files

    work = tmp_path_factory.mktemp("web")
    db = work / "live.db"
    snapshots = work / "tmp"  # the server's TMPDIR: its snapshot must be gone when it stops
    snapshots.mkdir()
    shutil.copyfile(_seeded_template, db)
    engine = make_engine(to_url(str(db)))
    import_cases(engine, load_files([SAMPLE_WITH_COORDINATES]), command="test")
    engine.dispose()
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mishaps",
            "--db",
            str(db),
            "serve",
            "--port",
            str(port),
            "--marking",
            "CUI",
            "--distribution",
            "C",
            "--distribution-reason",
            "Administrative or Operational Use",
            "--controlling-office",
            "HQ AMC/SE",
            "--cui-controlled-by",
            "HQ AMC/SE",
            "--cui-category",
            "OPSEC",
            "--cui-poc",
            "Safety office",
        ],
        env={**os.environ, "TMPDIR": str(snapshots)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"mishaps serve exited {proc.returncode}: {proc.stderr.read()}")
            try:
                with urllib.request.urlopen(base + "/-/versions.json", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("mishaps serve did not answer within 60 s")
                time.sleep(0.2)
        yield Server(base, db)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()
    assert list(snapshots.iterdir()) == [], "the snapshot outlived the server"


@dataclass
class Browser:
    page: Any
    requests: list[str]


@pytest.fixture(scope="module")
def _chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()


@pytest.fixture
def browser(_chromium: Any, server: Server) -> Iterator[Browser]:
    """A fresh page that records every request; any to another host is blocked and fails."""
    context = _chromium.new_context(accept_downloads=True, viewport={"width": 1400, "height": 900})
    requests: list[str] = []

    def route(r: Any) -> None:
        requests.append(r.request.url)
        if urlsplit(r.request.url).netloc == server.origin:
            r.continue_()
        else:
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield Browser(page, requests)
    context.close()
    # datasette-cluster-map fits the map to no markers when a page has no case with coordinates
    # (its own script, harmless: the map stays empty); any other script error fails.
    assert [e for e in errors if "Bounds are not valid" not in e] == []
    assert requests, "the page made no request at all"
    foreign = [u for u in requests if urlsplit(u).netloc != server.origin]
    assert foreign == [], "requests to hosts other than the server"


def test_table_page_facet_and_search(browser: Browser, server: Server) -> None:
    page = browser.page
    page.goto(server.base + "/mishaps/cases")
    assert page.locator("h1").inner_text().strip() == "Mishaps"
    (total,) = server.query("SELECT count(*) FROM mishap")[0]
    assert f"{total} rows" in page.locator("h3").first.inner_text()

    # A facet: the boom link under refueling_method narrows the table to those mishaps.
    (boom,) = server.query("SELECT count(*) FROM mishap WHERE refueling_method = 'boom'")[0]
    page.locator('[data-column="refueling_method"] a', has_text="boom").first.click()
    page.wait_for_url("**refueling_method=boom**")
    assert page.locator("table.rows-and-columns tbody tr").count() == boom

    # Search, from the page's own search box: exactly what `mishaps list --search` finds.
    page.goto(server.base + "/mishaps/cases")
    page.fill("#_search", "boom")
    page.press("#_search", "Enter")
    page.wait_for_url("**_search=boom**")
    shown = page.locator("table.rows-and-columns tbody td.col-id").all_inner_texts()
    expected = server.cli_ids("--search", "boom")
    assert expected and sorted(s.strip() for s in shown) == sorted(expected)


def test_count_mishaps_by_aircraft_type_and_pick_one(browser: Browser, server: Server) -> None:
    page = browser.page
    page.goto(server.base + "/mishaps/cases")
    page.get_by_role("link", name="aircraft type", exact=True).click()
    page.wait_for_url("**_facet_list=aircraft_types")
    # The facet's list: the mishaps (not the aircraft) of each type, most first, 30 shown.
    facet = page.locator('[data-column="aircraft_types"]')
    shown = [
        (value, int(count.replace(",", "")))
        for value, count in (
            li.strip().rsplit(" ", 1)
            for li in facet.locator("li:not(.facet-truncated)").all_inner_texts()
        )
    ]
    expected = server.query(
        "SELECT type, count(DISTINCT mishap_pk) AS n FROM aircraft GROUP BY type"
        " ORDER BY n DESC, type LIMIT 30"
    )
    assert shown == expected
    # Clicking a type shows its mishaps, and the facet marks it as chosen.
    value, count = shown[0]
    facet.get_by_role("link", name=value, exact=True).click()
    page.wait_for_url("**aircraft_types__arraycontains=**")
    assert f"{count} row" in page.locator("h3").first.inner_text()
    chosen = page.locator('[data-column="aircraft_types"] li', has=page.locator("a.cross"))
    assert chosen.inner_text().startswith(f"{value} · {count}")


def test_case_page_and_its_pdf_brief(browser: Browser, server: Server) -> None:
    from pypdf import PdfReader

    page = browser.page
    page.goto(server.base + "/mishaps/cases")
    first = page.locator("table.rows-and-columns tbody td.col-id a").first
    mishap_id = first.inner_text().strip()
    first.click()
    page.wait_for_url(f"**/mishaps/cases/{mishap_id}")
    ((title,),) = server.query(f"SELECT title FROM mishap WHERE id = '{mishap_id}'")
    assert page.locator("h1").inner_text().strip() == title
    assert page.get_by_text("Summary", exact=True).count() == 1
    with page.expect_download() as info:
        page.get_by_text("Download the PDF brief").click()
    pdf = Path(info.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages).split())
    assert f"Case {mishap_id}" in text
    assert "CUI" in text  # the marking given to `mishaps serve`


def test_map_shows_a_marker_for_every_case_with_coordinates(
    browser: Browser, server: Server
) -> None:
    page = browser.page
    page.goto(server.base + "/mishaps/cases")
    markers = page.locator(".leaflet-marker-icon")
    markers.first.wait_for()
    page.wait_for_load_state("networkidle")
    (located,) = server.query("SELECT count(*) FROM mishap WHERE latitude IS NOT NULL")[0]
    clusters = page.locator(".marker-cluster").all_inner_texts()
    singles = markers.count() - len(clusters)
    assert singles + sum(int(c) for c in clusters) == located
    tiles = page.locator("img.leaflet-tile-loaded")
    assert tiles.count() > 0
    assert all(
        urlsplit(src).netloc == server.origin
        for src in tiles.evaluate_all("els => els.map(e => e.src)")
    )
