"""`mishaps serve` without a browser: the snapshot, its metadata, search, facets and briefs,
through Datasette in-process (its own test client). tests/test_web_browser.py drives a browser."""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import sqlite3
import stat
from collections import Counter
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from mishaps.config import to_url
from mishaps.reports.context import Marking
from mishaps.web import fields
from mishaps.web.metadata import DERIVED, describe, field_path
from mishaps.web.snapshot import Snapshot, make_snapshot
from tests.conftest import seed_cases

pytest.importorskip("datasette", reason="the `web` extra is not installed")

# The snapshot is SQLite whatever it copies: only the copying (search parity, every column
# described) runs on both backends; what the snapshot serves is tested on one.
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def snapshot(seeded_db: Path | str, tmp_path: Path) -> Snapshot:
    out = tmp_path / "snapshot"
    out.mkdir()
    return make_snapshot(to_url(str(seeded_db)), out)


def _get(snapshot: Snapshot, *paths: str, marking: Marking | None = None) -> list[Any]:
    """Responses from a Datasette over ``snapshot``, as `mishaps serve` configures it."""
    from mishaps.web.server import datasette_for

    ds = datasette_for(snapshot, marking=marking or Marking())

    async def fetch() -> list[Any]:
        await ds.invoke_startup()
        return [await ds.client.get(p) for p in paths]

    return asyncio.run(fetch())


def _json(snapshot: Snapshot, path: str) -> Any:
    (response,) = _get(snapshot, path)
    assert response.status_code == 200, response.text
    return response.json()


def _cli_ids(runner, *args: str) -> list[str]:
    result = runner("list", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return [c["id"] for c in json.loads(result.stdout)]


# --- metadata from the one description of the format ----------------------------------------


def test_format_doc_parses_every_section() -> None:
    docs = fields.field_docs()
    # One field of each table in docs/format.md, so a renamed heading cannot drop a section.
    for path in (
        "id",
        "location.latitude",
        "refueling.phase",
        "aircraft.type",
        "findings.hfacs",
        "sources.url",
        "location.approximate",
        "refueling.mechanism",
        "findings.cites",
    ):
        assert docs[path].meaning, path


def test_stored_columns_are_described_in_the_formats_words() -> None:
    docs = fields.field_docs()
    assert field_path("mishap", "latitude") == "location.latitude"
    assert field_path("mishap", "refueling_phase") == "refueling.phase"
    assert field_path("mishap_category", "code") == "occurrence_categories"
    for table, column in (("mishap", "latitude"), ("aircraft", "serial"), ("source", "kind")):
        text = describe(table, column)
        path = field_path(table, column)
        assert path is not None and text is not None
        assert docs[path].meaning.rstrip(".")[1:] in text


def test_every_column_of_every_table_has_a_description(snapshot: Snapshot) -> None:
    meta = _json(snapshot, "/-/metadata.json")
    tables = meta["databases"]["mishaps"]["tables"]
    missing = [
        f"{table}.{column}"
        for table, columns in snapshot.columns.items()
        if not table.startswith("mishap_fts") and not tables[table].get("hidden")
        for column in columns
        if not tables[table]["columns"].get(column)
    ]
    assert missing == []
    # The mishap table: every column is a documented field or one the tool derives.
    for column in snapshot.columns["mishap"]:
        assert field_path("mishap", column) or column in DERIVED["mishap"], column


@SQLITE_ONLY
def test_metadata_titles_facets_sort_and_label(snapshot: Snapshot) -> None:
    meta = _json(snapshot, "/-/metadata.json")
    assert meta["title"] and meta["license"] and meta["source"]
    cases = meta["databases"]["mishaps"]["tables"]["cases"]
    assert cases["label_column"] == "title"
    assert cases["sort_desc"] == "occurred_on"
    plain = [f for f in cases["facets"] if isinstance(f, str)]
    assert set(plain) >= {
        "refueling_method",
        "refueling_phase",
        "class",
        "status",
        "service",
        "fiscal_year",
    }
    page = _json(snapshot, "/mishaps/cases.json?_size=max")
    occurred = [row[page["columns"].index("occurred_on")] for row in page["rows"]]
    assert occurred == sorted(occurred, reverse=True)


# --- search ---------------------------------------------------------------------------------


@pytest.mark.parametrize("words", ["boom", "boom contact", "drogue", "Chaldovar", "zeppelin"])
def test_search_returns_exactly_what_list_search_returns(runner, snapshot, words) -> None:
    expected = _cli_ids(runner, "--search", words)
    for table in ("mishap", "cases"):
        page = _json(snapshot, f"/mishaps/{table}.json?_search={words}&_shape=array&_size=max")
        assert sorted(r["id"] for r in page) == sorted(expected), table
    if words == "boom":
        assert expected  # the seed data has boom cases: the comparison is not of two empties


@SQLITE_ONLY  # a stale FTS5 index is an SQLite matter
def test_search_index_is_rebuilt_from_the_data(seeded_db, tmp_path: Path) -> None:
    # Leave the live index stale, as a hand-made UPDATE would: the snapshot must not be.
    with sqlite3.connect(seeded_db) as conn:
        conn.execute("UPDATE mishap SET title = title || ' zeppelin' WHERE pk = 1")
    out = tmp_path / "snap"
    out.mkdir()
    snap = make_snapshot(to_url(str(seeded_db)), out)
    page = _json(snap, "/mishaps/mishap.json?_search=zeppelin&_shape=array")
    assert [r["pk"] for r in page] == [1]


# --- the browse tables ----------------------------------------------------------------------


@SQLITE_ONLY
def test_array_facets_count_mishaps_not_aircraft(snapshot: Snapshot) -> None:
    with sqlite3.connect(snapshot.path) as conn:
        rows = conn.execute(
            "SELECT type, count(DISTINCT mishap_pk) FROM aircraft"
            " WHERE role = 'tanker' GROUP BY type"
        ).fetchall()
    expected = dict(rows)
    assert expected
    page = _json(snapshot, "/mishaps/cases.json?_facet_array=tanker_types&_facet_size=max")
    counts = {f["value"]: f["count"] for f in page["facet_results"]["tanker_types"]["results"]}
    assert counts == expected


@SQLITE_ONLY
def test_a_joint_case_counts_under_each_service_as_stats_counts_it(runner, snapshot) -> None:
    stats = json.loads(runner("stats", "--by", "service", "--format", "json").stdout)
    expected = {r["key"]: r["mishaps"] for r in stats["rows"]}
    assert expected["USN"] > sum(1 for c in seed_cases() if c["service"] == "USN")
    page = _json(snapshot, "/mishaps/cases.json?_facet_array=services&_facet_size=max")
    facet = {f["value"]: f["count"] for f in page["facet_results"]["services"]["results"]}
    assert facet == expected
    canned: Counter[str] = Counter()
    for row in _json(snapshot, "/mishaps/by_service_and_class.json?_shape=array"):
        canned[row["service"]] += row["mishaps"]
    assert canned == expected


@SQLITE_ONLY
def test_one_row_a_mishap_with_its_lists(snapshot: Snapshot) -> None:
    with sqlite3.connect(snapshot.path) as conn:
        conn.row_factory = sqlite3.Row
        assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == snapshot.cases
        assert snapshot.cases == conn.execute("SELECT count(*) FROM mishap").fetchone()[0]
        for case in conn.execute("SELECT rowid, * FROM cases"):
            types = [
                r[0]
                for r in conn.execute(
                    "SELECT type FROM aircraft WHERE mishap_pk = ? ORDER BY position",
                    [case["rowid"]],
                )
            ]
            assert json.loads(case["aircraft_types"]) == list(dict.fromkeys(types))
            families = [
                r[0]
                for r in conn.execute(
                    "SELECT family FROM aircraft WHERE mishap_pk = ? AND family IS NOT NULL"
                    " ORDER BY position",
                    [case["rowid"]],
                )
            ]
            assert json.loads(case["families"]) == list(dict.fromkeys(families))
            codes = [
                r[0]
                for r in conn.execute(
                    "SELECT code FROM mishap_category WHERE mishap_pk = ? ORDER BY position",
                    [case["rowid"]],
                )
            ]
            assert json.loads(case["categories"]) == codes


@SQLITE_ONLY
def test_pairs_count_the_mishaps_where_two_types_met(snapshot: Snapshot) -> None:
    with sqlite3.connect(snapshot.path) as conn:
        met = Counter(
            conn.execute(
                "SELECT DISTINCT t.mishap_pk, t.type, r.type FROM aircraft t JOIN aircraft r"
                " ON r.mishap_pk = t.mishap_pk AND r.role = 'receiver' WHERE t.role = 'tanker'"
            ).fetchall()
        )
    expected = Counter((t, r) for _, t, r in met)
    page = _json(snapshot, "/mishaps/pairs.json?_shape=array&_size=max")
    assert {(p["tanker_type"], p["receiver_type"]): p["mishaps"] for p in page} == expected
    assert expected


@SQLITE_ONLY
def test_code_tables_hold_the_taxonomies_and_link_to_cases(snapshot: Snapshot) -> None:
    from mishaps import taxonomy

    cictt = _json(snapshot, "/mishaps/cictt.json?_shape=array&_size=max")
    assert [c["code"] for c in cictt] == sorted(c.code for c in taxonomy.cictt())
    assert all(c["name"] for c in cictt)
    hfacs = _json(snapshot, "/mishaps/hfacs.json?_shape=array&_size=max")
    assert len(hfacs) == len(taxonomy.hfacs())
    mechanisms = _json(snapshot, "/mishaps/mechanism.json?_shape=array&_size=max")
    assert {m["code"]: m["name"] for m in mechanisms} == {
        m.code: m.name for m in taxonomy.mechanisms()
    }


@SQLITE_ONLY
def test_canned_queries_run(snapshot: Snapshot) -> None:
    meta = _json(snapshot, "/-/metadata.json")
    queries = meta["databases"]["mishaps"]["queries"]
    with sqlite3.connect(snapshot.path) as conn:
        boom = conn.execute(
            "SELECT fiscal_year, count(*) FROM cases WHERE refueling_method = 'boom'"
            " GROUP BY fiscal_year ORDER BY fiscal_year"
        ).fetchall()
    for name in queries:
        page = _json(snapshot, f"/mishaps/{name}.json?_shape=array&tanker=&receiver=&id=")
        if name == "boom_by_fiscal_year":
            assert [(r["fiscal_year"], r["mishaps"]) for r in page] == boom


# --- list facets: Datasette's array facet, counted from case_value ---------------------------

# Each list column of the cases table, and how to count it from the stored tables instead: the
# mishaps (distinct pks) per value, among the pks a page's filters leave.
STORED_LISTS = {
    "aircraft_types": "SELECT type, mishap_pk FROM aircraft",
    "tanker_types": "SELECT type, mishap_pk FROM aircraft WHERE role = 'tanker'",
    "receiver_types": "SELECT type, mishap_pk FROM aircraft WHERE role = 'receiver'",
    "roles": "SELECT role, mishap_pk FROM aircraft",
    "families": "SELECT family, mishap_pk FROM aircraft WHERE family IS NOT NULL",
    "categories": "SELECT code, mishap_pk FROM mishap_category",
    "hfacs": "SELECT code, mishap_pk FROM finding_hfacs",
    "mechanisms": "SELECT code, mishap_pk FROM mishap_mechanism",
    "series": "SELECT series_id, mishap_pk FROM mishap_series",
    "services": "SELECT service, mishap_pk FROM mishap_service",
}


def test_every_list_column_is_counted_from_the_stored_tables() -> None:
    from mishaps.web.snapshot import ARRAY_COLUMNS

    assert set(STORED_LISTS) == set(ARRAY_COLUMNS)


@pytest.fixture
def casebook(runner, seeded_db: Path, tmp_path: Path) -> Snapshot:
    """The seed cases and the tests' own sample case (it has an HFACS code; the seed has none),
    snapshotted."""
    assert runner("import", str(Path(__file__).parent / "good_case.yaml")).exit_code == 0
    out = tmp_path / "casebook"
    out.mkdir()
    return make_snapshot(to_url(str(seeded_db)), out)


def _stored_counts(db: Path, column: str, pks: set[int]) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        rows = set(conn.execute(STORED_LISTS[column]).fetchall())
    return dict(Counter(value for value, pk in rows if pk in pks))


def _as_array_facet(facet: dict[str, Any]) -> dict[str, Any]:
    """A list facet's results as the array facet's page would show them (its URLs name it)."""
    return json.loads(json.dumps({**facet, "type": "array"}).replace("_facet_list", "_facet_array"))


@SQLITE_ONLY
@pytest.mark.parametrize("page", ["all", "boom", "search", "selected"])
def test_list_facet_counts_as_the_array_facet_and_the_stored_tables(
    runner, seeded_db: Path, casebook: Snapshot, page: str
) -> None:
    with sqlite3.connect(seeded_db) as conn:
        (top,) = conn.execute(
            "SELECT type FROM aircraft GROUP BY type ORDER BY count(DISTINCT mishap_pk) DESC"
        ).fetchone()
        pks_of = {r[0]: r[1] for r in conn.execute("SELECT id, pk FROM mishap")}
        chosen = {
            "all": ("", "SELECT pk FROM mishap"),
            "boom": (
                "refueling_method=boom",
                "SELECT pk FROM mishap WHERE refueling_method = 'boom'",
            ),
            "search": ("_search=boom", None),
            "selected": (
                f"aircraft_types__arraycontains={top}",
                f"SELECT mishap_pk FROM aircraft WHERE type = '{top}'",
            ),
        }
        args, sql = chosen[page]
        pks = (
            {pks_of[i] for i in _cli_ids(runner, "--search", "boom")}
            if sql is None
            else {r[0] for r in conn.execute(sql)}
        )
    assert 0 < len(pks) < len(pks_of) or page == "all"
    columns = [c for c in STORED_LISTS if c in casebook.columns["cases"]]
    paths = [
        f"/mishaps/cases.json?_facet_{kind}={column}&_facet_size=max&_size=1&{args}"
        for column in columns
        for kind in ("list", "array")
    ]
    responses = iter(r.json() for r in _get(casebook, *paths))
    counted = 0
    for column in columns:
        listed, arrayed = next(responses), next(responses)
        ours, datasettes = listed["facet_results"][column], arrayed["facet_results"][column]
        assert ours["type"] == "list"
        assert _as_array_facet(ours) == datasettes, column
        counts = {r["value"]: r["count"] for r in ours["results"]}
        assert counts == _stored_counts(seeded_db, column, pks), column
        counted += len(counts)
        if page == "selected" and column == "aircraft_types":
            assert [r["value"] for r in ours["results"] if r["selected"]] == [top]
    assert counted >= 2 * len(columns)  # values were compared, not empty lists


@SQLITE_ONLY
def test_list_facet_size_truncation_and_toggles_as_the_array_facet(casebook: Snapshot) -> None:
    def facets(path: str) -> tuple[dict[str, Any], dict[str, Any]]:
        ours, theirs = (
            r.json()["facet_results"]["aircraft_types"]
            for r in _get(casebook, path, path.replace("_facet_list", "_facet_array"))
        )
        assert _as_array_facet(ours) == theirs, path
        return ours, theirs

    ours, _ = facets("/mishaps/cases.json?_facet_list=aircraft_types&_facet_size=3&_size=1")
    assert ours["truncated"] and len(ours["results"]) == 3
    assert ours["hideable"] and ours["toggle_url"] == "/mishaps/cases.json?_facet_size=3&_size=1"
    # Clicking a value filters the cases to it and marks it selected; clicking it again undoes it.
    first = ours["results"][0]
    clicked = first["toggle_url"].removeprefix("http://localhost")
    assert clicked.endswith(f"aircraft_types__arraycontains={first['value']}")
    ours, _ = facets(clicked)
    (selected,) = [r for r in ours["results"] if r["selected"]]
    assert (selected["value"], selected["count"]) == (first["value"], first["count"])
    (page,) = _get(casebook, clicked)
    assert page.json()["filtered_table_rows_count"] == first["count"]
    undone = selected["toggle_url"].removeprefix("http://localhost")
    assert "arraycontains" not in undone
    ours, _ = facets(undone)
    assert not any(r["selected"] for r in ours["results"])
    # Asked for from the metadata (the default size), too: 30 of more values, truncated.
    ours, _ = facets("/mishaps/cases.json?_facet_list=aircraft_types")
    assert ours["truncated"] and len(ours["results"]) == 30


@SQLITE_ONLY
def test_list_facet_elsewhere_is_the_array_facet(casebook: Snapshot) -> None:
    # pairs.case_ids is a JSON array that case_value does not index.
    path = "/mishaps/pairs.json?_facet_list=case_ids&_facet_size=max&tanker_type__startswith=KC"
    ours, theirs = (
        r.json()["facet_results"]["case_ids"]
        for r in _get(casebook, path, path.replace("_facet_list", "_facet_array"))
    )
    assert ours["results"] and _as_array_facet(ours) == theirs


@SQLITE_ONLY
def test_a_clicked_value_finds_its_cases_through_the_index(seeded_db, casebook) -> None:
    with sqlite3.connect(seeded_db) as conn:
        expected = {
            row[0]
            for row in conn.execute(
                "SELECT m.id FROM mishap m JOIN finding_hfacs h ON h.mishap_pk = m.pk"
                " WHERE h.code = 'AE103'"
            )
        }
    assert expected
    path = "/mishaps/cases.json?hfacs__arraycontains=AE103&_size=max"
    (page,) = _get(casebook, path)
    found = page.json()
    assert {row[0] for row in found["rows"]} == expected
    # The rows are found by case_value's key, not by reading every case's JSON.
    with sqlite3.connect(f"{casebook.path.as_uri()}?mode=ro", uri=True) as conn:
        plan = [
            r[3]
            for r in conn.execute(
                "EXPLAIN QUERY PLAN " + found["query"]["sql"], found["query"]["params"]
            )
        ]
    assert "SEARCH case_value USING PRIMARY KEY (list=? AND value=?)" in plan, plan
    assert not [p for p in plan if p.startswith("SCAN cases")], plan


@SQLITE_ONLY
def test_the_mishaps_page_links_to_list_facets_that_count(casebook: Snapshot) -> None:
    from html.parser import HTMLParser

    from mishaps.web.metadata import ARRAY_FACET_LINKS

    hrefs: list[str] = []

    class Links(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            href = dict(attrs).get("href") or ""
            if tag == "a" and "_facet_list=" in href:
                hrefs.append(href)

    (page,) = _get(casebook, "/mishaps/cases")
    Links().feed(page.text)
    columns = [href.split("_facet_list=")[1] for href in hrefs]
    assert columns == [c for c, _ in ARRAY_FACET_LINKS if c in casebook.columns["cases"]]
    followed = _get(casebook, *(h.replace("/cases?", "/cases.json?") for h in hrefs))
    for column, response in zip(columns, followed, strict=True):
        assert response.json()["facet_results"][column]["results"], column


# --- read-only ------------------------------------------------------------------------------


@SQLITE_ONLY  # the live file is compared byte for byte
def test_snapshot_is_read_only_and_the_live_database_untouched(seeded_db, tmp_path) -> None:
    live = Path(seeded_db)
    before = hashlib.sha256(live.read_bytes()).hexdigest()
    out = tmp_path / "snap"
    out.mkdir()
    snap = make_snapshot(to_url(str(live)), out)
    assert hashlib.sha256(live.read_bytes()).hexdigest() == before
    assert not snap.path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    with sqlite3.connect(f"{snap.path.as_uri()}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    snapshot_before = hashlib.sha256(snap.path.read_bytes()).hexdigest()
    attempts = [
        "update mishap set title = 'x'",
        "delete from cases",
        "attach database '/etc/passwd' as p",
        "select * from pragma_table_info('mishap'); drop table cases",
    ]
    responses = _get(snap, *(f"/mishaps.json?sql={sql}" for sql in attempts))
    for sql, response in zip(attempts, responses, strict=True):
        assert response.status_code >= 400, sql
    assert hashlib.sha256(snap.path.read_bytes()).hexdigest() == snapshot_before


# --- briefs ---------------------------------------------------------------------------------


@SQLITE_ONLY
def test_case_page_links_to_a_brief_that_is_that_cases_pdf(snapshot: Snapshot) -> None:
    from pypdf import PdfReader

    with sqlite3.connect(snapshot.path) as conn:
        mishap_id, title, pk = conn.execute("SELECT id, title, pk FROM mishap LIMIT 1").fetchone()
    page, stored, pdf, missing = _get(
        snapshot,
        f"/mishaps/cases/{mishap_id}",
        f"/mishaps/mishap/{pk}",
        f"/-/mishaps/brief/{mishap_id}.pdf",
        "/-/mishaps/brief/no-such-case.pdf",
        marking=Marking(
            "CUI",
            "B",
            "Administrative or Operational Use",
            "HQ AMC/SE",
            "HQ AMC/SE",
            "OPSEC",
            None,
            "Safety office",
        ),
    )
    link = f'href="/-/mishaps/brief/{mishap_id}.pdf"'
    assert link in page.text and link in stored.text
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(BytesIO(pdf.content)).pages)
    assert title.split()[0] in text and "CUI" in text
    assert missing.status_code == 404


# --- the command ----------------------------------------------------------------------------


@SQLITE_ONLY
def test_serve_refuses_a_port_in_use_before_any_work(runner, seeded_db) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner("serve", "--port", str(port))
    assert result.exit_code == 1
    assert result.stderr == f"Error: port {port} on 127.0.0.1 is in use; pick another with --port\n"


@SQLITE_ONLY
def test_serve_announces_the_snapshot_and_how_to_refresh(runner, seeded_db, monkeypatch) -> None:
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with sqlite3.connect(seeded_db) as conn:
        (cases,) = conn.execute("SELECT count(*) FROM mishap").fetchone()
    served: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append(kw))
    result = runner("serve", "--port", str(port))
    assert result.exit_code == 0, result.stderr
    assert served == [{"host": "127.0.0.1", "port": port, "log_level": "warning", "lifespan": "on"}]
    taking, first, second = result.stderr.splitlines()
    assert taking == f"Taking a read-only snapshot of {seeded_db} ..."
    assert first.startswith(f"Serving a read-only snapshot of {seeded_db} ({cases} cases, taken ")
    assert first.endswith(f" UTC) at http://127.0.0.1:{port}/mishaps/cases")
    assert second == (
        "Changes made after now do not show: stop with Ctrl+C and run `mishaps serve` again to"
        " refresh."
    )


@SQLITE_ONLY
def test_map_popups_mark_approximate_positions(runner, seeded_db, tmp_path: Path) -> None:
    import yaml

    sample = yaml.safe_load((Path(__file__).parent / "good_case.yaml").read_text())
    exact = {**sample, "id": "2020-01-01-exact-position"}
    approximate = {
        **sample,
        "id": "2020-01-02-approximate-position",
        "location": {
            **sample["location"],
            "approximate": True,
            "basis": "coordinates of the sea area the sources name",
        },
    }
    for case in (exact, approximate):
        path = tmp_path / f"{case['id']}.yaml"
        path.write_text(yaml.safe_dump(case))
        assert runner("import", str(path)).exit_code == 0
    out = tmp_path / "snap"
    out.mkdir()
    snap = make_snapshot(to_url(str(seeded_db)), out)
    page = _json(snap, "/mishaps/cases.json?_shape=array&id__startswith=2020-01-0&_size=max")
    popups = {r["id"]: json.loads(r["popup"]) for r in page}
    where = sample["location"]["description"]
    assert popups["2020-01-01-exact-position"]["description"] == f"2020-01-01. {where}"
    assert popups["2020-01-02-approximate-position"]["description"] == (
        f"2020-01-01. Approximate position (coordinates of the sea area the sources name). {where}"
    )
    assert popups["2020-01-02-approximate-position"]["link"] == (
        "/mishaps/cases/2020-01-02-approximate-position"
    )


def test_serve_refuses_a_cui_marking_without_its_indicator_before_serving(runner) -> None:
    result = runner("serve", "--marking", "CUI", "--port", "1")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: a CUI marking needs its designation indicator")
