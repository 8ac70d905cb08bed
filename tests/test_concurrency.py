"""Many processes on one PostgreSQL database: nothing lost, nothing duplicated, nothing crashes,
and conflicting edits follow the documented rule (the later transaction wins, history keeps
both: docs/postgres.md)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml

from mishaps.config import to_url
from mishaps.db import WRITE_LOCK_SQL, make_engine, session_scope
from mishaps.transfer import history
from tests.conftest import SEED_FILES

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

WORKER = Path(__file__).with_name("concurrency_worker.py")
SHELL_77 = "2013-05-03-shell-77"
WAIT = 300  # s; only a guard against a hang, never a measure of speed


def start(commands: Sequence[Sequence[str]], rounds: int = 1) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            str(WORKER),
            json.dumps([list(map(str, c)) for c in commands]),
            str(rounds),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(procs: list[subprocess.Popen[str]]) -> None:
    failures = []
    for p in procs:
        _, stderr = p.communicate(timeout=WAIT)
        if p.returncode != 0:
            failures.append(f"exit {p.returncode}:\n{stderr}")
    assert not failures, "\n".join(failures)


def case_file(path: Path, mishap_id: str, summary: str) -> Path:
    doc = yaml.safe_load(next(p for p in SEED_FILES if SHELL_77 in p.name).read_text())
    path.write_text(json.dumps({**doc, "id": mishap_id, "summary": summary}, default=str))
    return path


def listed(runner, url: str) -> list[str]:
    result = runner("--db", url, "list", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return [r["id"] for r in json.loads(result.stdout)]


def history_of(url: str) -> list[dict]:
    engine = make_engine(to_url(url))
    with session_scope(engine) as session:
        rows = history(session)
    engine.dispose()
    return rows


def test_eight_importers_and_two_readers_at_once(runner, make_db, tmp_path) -> None:
    url = make_db("postgres")
    assert runner("--db", url, "init").exit_code == 0
    importers = []
    for w in range(8):
        files = [
            case_file(tmp_path / f"w{w}-{i}.json", f"w{w}-case-{i}", f"Case {i} of {w}.")
            for i in range(4)
        ]
        importers.append([["--db", url, "import", f] for f in files])
    readers = [
        ["--db", url, "list", "--format", "json"],
        ["--db", url, "show", SHELL_77],
        ["--db", url, "list", "--search", "boom*", "--format", "csv"],
        ["--db", url, "stats", "--by", "aircraft"],
        ["--db", url, "export", "--format", "json"],
    ]
    procs = [start(c) for c in importers] + [start(readers, rounds=3) for _ in range(2)]
    finish(procs)

    ids = listed(runner, url)
    expected = {f"w{w}-case-{i}" for w in range(8) for i in range(4)}
    assert len(ids) == len(set(ids)) == len(SEED_FILES) + len(expected)
    assert expected <= set(ids)
    inserts = [r["mishap_id"] for r in history_of(url) if r["action"] == "insert"]
    assert sorted(inserts) == sorted(ids)
    assert runner("--db", url, "show", "w7-case-3").stdout.count("Case 3 of 7.") == 1


def test_conflicting_replaces_all_land_and_the_last_wins(runner, make_db, tmp_path) -> None:
    url = make_db("postgres")
    assert runner("--db", url, "init").exit_code == 0
    versions = [case_file(tmp_path / f"v{k}.json", SHELL_77, f"Version {k}.") for k in range(4)]
    procs = [
        start([["--db", url, "import", v, "--on-conflict", "replace"]], rounds=5) for v in versions
    ]
    finish(procs)

    shell = [r for r in history_of(url) if r["mishap_id"] == SHELL_77]
    assert [r["action"] for r in shell] == ["insert"] + ["replace"] * 20  # none lost
    assert {r["document"]["summary"] for r in shell[1:]} == {f"Version {k}." for k in range(4)}
    shown = json.loads(runner("--db", url, "show", SHELL_77, "--format", "json").stdout)
    assert shown == shell[-1]["document"]  # the case is the last transaction's version
    assert listed(runner, url).count(SHELL_77) == 1


def waiting_for_lock(conn) -> int:
    return conn.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
    ).fetchone()[0]


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def test_the_later_of_two_conflicting_edits_wins_and_history_keeps_both(
    runner, make_db, tmp_path
) -> None:
    """Two replaces of one case, queued behind a held writer lock in a known order."""
    import psycopg

    url = make_db("postgres")
    assert runner("--db", url, "init").exit_code == 0
    first = case_file(tmp_path / "first.json", SHELL_77, "The earlier edit.")
    second = case_file(tmp_path / "second.json", SHELL_77, "The later edit.")
    schema = url.rsplit("%3D", 1)[1]
    with psycopg.connect(url.split("?")[0], options=f"-csearch_path={schema}") as holder:
        holder.execute(WRITE_LOCK_SQL)  # in a transaction until the `with` commits it
        with psycopg.connect(url.split("?")[0], autocommit=True) as watcher:
            a = start([["--db", url, "import", first, "--on-conflict", "replace"]])
            wait_until(lambda: waiting_for_lock(watcher) == 1, "the first edit to queue")
            b = start([["--db", url, "import", second, "--on-conflict", "replace"]])
            wait_until(lambda: waiting_for_lock(watcher) == 2, "the second edit to queue")
    finish([a, b])

    shell = [r for r in history_of(url) if r["mishap_id"] == SHELL_77]
    assert [(r["action"], r["document"]["summary"]) for r in shell[1:]] == [
        ("replace", "The earlier edit."),
        ("replace", "The later edit."),
    ]
    assert "The later edit." in runner("--db", url, "show", SHELL_77).stdout


def test_a_writer_that_waits_too_long_is_told_the_database_is_busy(
    runner, make_db, tmp_path, monkeypatch
) -> None:
    import psycopg

    url = make_db("postgres")
    assert runner("--db", url, "init", "--empty").exit_code == 0
    monkeypatch.setenv("MISHAPS_BUSY_TIMEOUT", "0.1")
    schema = url.rsplit("%3D", 1)[1]
    with psycopg.connect(url.split("?")[0], options=f"-csearch_path={schema}") as holder:
        holder.execute(WRITE_LOCK_SQL)
        result = runner("--db", url, "import", case_file(tmp_path / "c.json", "new-case", "New."))
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: the database is busy (another process held it for over 0.1 s);"
        " nothing was written, try again (MISHAPS_BUSY_TIMEOUT sets the wait)\n"
    )
    assert listed(runner, url) == []
