"""The library API (`mishaps.open`), and the CLI as its consumer: the same answers both ways."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import mishaps
from mishaps.errors import DatabaseError, InvalidFilter, MishapsError
from mishaps.filters import Filters
from mishaps.schema import Case
from tests.conftest import SEED_FILES

SHELL_77 = "2013-05-03-shell-77"


def cli_json(runner, *args: str):
    result = runner(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_import_mishaps_loads_no_database_library() -> None:
    probe = (
        "import sys, mishaps\n"
        "heavy = ('sqlalchemy', 'sqlmodel', 'pydantic', 'alembic', 'weasyprint')\n"
        "print(','.join(sorted(m for m in heavy if m in sys.modules)))\n"
        "mishaps.open\n"  # the name resolves lazily...
        "print('sqlalchemy' in sys.modules)\n"  # ...and only then loads the database library
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out == "\nTrue\n"


def test_the_default_database_is_created_and_seeded_on_first_use(monkeypatch) -> None:
    monkeypatch.delenv("MISHAPS_DB")
    with mishaps.open() as db:
        assert db.created is not None and db.created.seeded == len(SEED_FILES)
        assert len(db.cases()) == len(SEED_FILES)
    with mishaps.open() as again:
        assert again.created is None  # opened, not made


def test_a_named_database_is_never_created(tmp_path: Path) -> None:
    where = tmp_path / "office.db"
    with pytest.raises(DatabaseError, match=r"no database at .*office\.db; create it with"):
        mishaps.open(where)
    assert not where.exists()


def test_cases_are_the_cases_the_cli_lists(runner, seeded_db) -> None:
    with mishaps.open(seeded_db) as db:
        cases = db.cases(aircraft="KC-135", role="tanker", since="2000")
    assert cases and all(isinstance(c, Case) for c in cases)
    listed = cli_json(runner, "list", "--aircraft", "KC-135", "--role", "tanker", "--since", "2000")
    assert [c.id for c in cases] == [r["id"] for r in listed]


def test_case_rows_and_stats_match_the_cli(runner, seeded_db) -> None:
    with mishaps.open(seeded_db) as db:
        assert db.case(SHELL_77).to_document() == cli_json(runner, "show", SHELL_77)
        assert [r.as_dict() for r in db.list(fy=2013)] == cli_json(runner, "list", "--fy", "2013")
        stats = db.stats(by="aircraft", fy=2023)
    printed = cli_json(runner, "stats", "--by", "aircraft", "--fy", "2023")
    assert [r.as_dict() for r in stats.rows] == printed["rows"]
    assert stats.total.as_dict() == printed["total"]


def test_import_files_dry_run_reports_and_writes_nothing(seeded_db, tmp_path: Path) -> None:
    with mishaps.open(seeded_db) as db:
        before = db.contents()
        done = db.import_files([SEED_FILES[0]], on_conflict="skip", dry_run=True)
        assert done.dry_run and done.cases == 1 and done.files == 1
        assert done.result.skipped == [yaml_id(SEED_FILES[0])] and not done.result.added
        assert db.contents() == before


def yaml_id(path: Path) -> str:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))["id"]


def test_delete_and_history_through_the_library(seeded_db) -> None:
    with mishaps.open(seeded_db) as db:
        db.delete(SHELL_77)
        assert [r.action for r in db.history(SHELL_77)] == ["insert", "delete"]
        with pytest.raises(mishaps.NotFound):
            db.case(SHELL_77)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"fy": 23}, "fiscal_year"),
        ({"fiscal_year": "FY2023"}, "fiscal_year"),
        ({"since": "2023-13"}, "since"),
        ({"until": "March 2023"}, "until"),
        ({"since": "2024", "until": "2023"}, "until"),
        ({"hfacs": "XY9"}, "hfacs"),
        ({"category": "LOC I"}, "category"),
        ({"role": "pilot"}, "role"),
        ({"mishap_class": "Z"}, "mishap_class"),
        ({"limit": 0}, "limit"),
        ({"search": "!!!"}, "search"),
        ({"cause": "  "}, "cause"),
    ],
)
def test_a_bad_filter_is_refused_when_made(values: dict, field: str) -> None:
    with pytest.raises(InvalidFilter) as caught:
        Filters.of(**values)
    assert caught.value.field == field
    assert isinstance(caught.value, MishapsError)


def test_filters_normalise_what_they_accept() -> None:
    f = Filters.of(fy="2023", hfacs=" pc1 ", category="scf", role="tanker", since=2000)
    assert (f.fiscal_year, f.hfacs, f.category, f.since) == (2023, "PC1", "SCF", "2000")
    with pytest.raises(TypeError, match="unknown filter 'aircarft'"):
        Filters.of(aircarft="KC-135")


@pytest.mark.parametrize(
    ("args", "option", "words"),
    [
        (["--fy", "23"], "--fy", "give all four digits"),
        (["--since", "2013-02-30"], "--since", "not a calendar date"),
        (["--hfacs", "ZZ"], "--hfacs", "not a DoD HFACS code"),
        (["--search", "!!!"], "--search", "nothing to search for"),
        (["--category", "'; DROP TABLE mishap"], "--category", "not a CICTT"),
    ],
)
def test_a_bad_filter_is_a_usage_error_on_every_query_command(
    runner, seeded_db, args, option, words
) -> None:
    for command in (["list"], ["export"], ["stats"], ["report", "summary", "--html", "x.html"]):
        result = runner(*command, *args)
        assert result.exit_code == 2, (command, result.stderr)
        assert f"Invalid value for {option}: " in result.stderr
        assert words in result.stderr
        assert "sqlalchemy" not in result.stderr.lower()


def test_fy_23_is_an_error_not_an_empty_answer(runner, seeded_db) -> None:
    """Defect 3 (issue 10): `--fy 23` answered "No cases match"."""
    result = runner("list", "--fy", "23")
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Error: Invalid value for --fy: 23 is not a fiscal year: give all four digits,"
        " e.g. 2023 (1 Oct 2022 to 30 Sep 2023)\n"
    )


def test_stats_by_choices_are_the_querys() -> None:
    from mishaps.cli.cases import StatsBy
    from mishaps.queries import STATS_BY

    assert tuple(m.value for m in StatsBy) == STATS_BY


def test_a_summary_reports_typed_progress_events(seeded_db) -> None:
    from datetime import UTC, datetime

    from mishaps.progress import Progress
    from mishaps.reports.context import Marking
    from mishaps.reports.make import Options

    events: list[Progress] = []
    options = Options(Marking(None, None, None, None), datetime(2026, 1, 1, tzinfo=UTC))
    with mishaps.open(seeded_db) as db:
        report = db.summary(Filters.of(aircraft="KC-46"), options, progress=events.append)
    assert all(isinstance(e, Progress) for e in events)
    assert events[0].cases == report.cases and events[0].done == 1
    assert [e.done for e in events] == sorted(e.done for e in events)  # never backwards
    assert len(events) > 2 and all(e.done <= e.total for e in events)
