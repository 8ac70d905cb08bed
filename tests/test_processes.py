"""Real processes against one SQLite file: a killed import, concurrent imports, a live backup.

These spawn `python -m mishaps` and take a few seconds each, so they are marked slow; CI runs them.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

WAIT = 120  # seconds: a bound for a hung process, never an expectation of speed


@pytest.fixture
def backend() -> str:
    """SQLite files only (WAL, file locks); tests/test_concurrency.py covers PostgreSQL."""
    return "sqlite"


def generated_file(runner, path: Path, n: int, prefix: str) -> Path:
    """``n`` valid cases with fresh ids, made from the seed cases as exported."""
    seeds = json.loads(runner("export", "--format", "json").stdout)["mishaps"]
    docs = [{**seeds[i % len(seeds)], "id": f"{prefix}-{i:05d}"} for i in range(n)]
    path.write_text(json.dumps({"mishaps": docs}), encoding="utf-8")
    return path


def spawn(*args: str | Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mishaps", *map(str, args)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy(),
    )  # fmt: skip


def wal_size(db: Path) -> int:
    wal = db.with_name(db.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def wait_until_writing(proc: subprocess.Popen[str], db: Path, start: int) -> None:
    """Return once the import's transaction is writing pages into the WAL.

    A megabyte of WAL is far more than anything but a big transaction spills before it commits
    (a few thousand cases write tens of megabytes), so the import is then mid-transaction.
    """
    deadline = time.monotonic() + WAIT
    while wal_size(db) <= start + 1_000_000:
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the import ended before it wrote anything: {proc.returncode} {out} {err}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the import never began to write")
        time.sleep(0.01)


def integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def test_an_import_killed_mid_write_leaves_the_database_as_before(
    runner, seeded_db, tmp_path
) -> None:
    big = generated_file(runner, tmp_path / "big.json", 4000, "killed")
    before = runner("export", "--format", "json").stdout
    start = wal_size(seeded_db)
    proc = spawn("import", big)
    wait_until_writing(proc, seeded_db, start)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=WAIT)
    assert proc.returncode == -signal.SIGKILL
    assert integrity(seeded_db) == "ok"
    assert runner("export", "--format", "json").stdout == before
    assert runner("history", "killed-00000").exit_code == 1  # no revision leaked either


def test_concurrent_imports_both_land_or_one_is_told_the_database_is_busy(
    runner, seeded_db, tmp_path
) -> None:
    n = 1500
    files = [generated_file(runner, tmp_path / f"{p}.json", n, p) for p in ("first", "second")]
    seed_ids = {r["id"] for r in json.loads(runner("list", "--format", "json").stdout)}
    procs = [spawn("import", f) for f in files]
    results = [(*p.communicate(timeout=WAIT), p.returncode) for p in procs]
    landed = set(seed_ids)
    for (out, err, code), prefix in zip(results, ("first", "second"), strict=True):
        if code == 0:
            assert out == f"Imported {n} cases from 1 file: {n} added, 0 replaced, 0 skipped.\n"
            landed |= {f"{prefix}-{i:05d}" for i in range(n)}
        else:
            assert code == 1 and err.startswith("Error: the database is busy"), (code, err)
    assert any(code == 0 for _, _, code in results)
    ids = [r["id"] for r in json.loads(runner("list", "--format", "json").stdout)]
    assert len(ids) == len(set(ids)) and set(ids) == landed
    assert integrity(seeded_db) == "ok"


def test_a_backup_taken_during_an_import_is_one_consistent_state(
    runner, seeded_db, tmp_path
) -> None:
    big = generated_file(runner, tmp_path / "big.json", 3000, "during")
    before = runner("export", "--format", "json").stdout
    proc = spawn("import", big)
    wait_until_writing(proc, seeded_db, wal_size(seeded_db))
    backup = tmp_path / "during.db"
    result = runner("backup", backup)
    assert result.exit_code == 0, result.stderr
    out, err = proc.communicate(timeout=WAIT)
    assert proc.returncode == 0, (out, err)
    after = runner("export", "--format", "json").stdout
    assert integrity(backup) == "ok"
    copied = runner("--db", backup, "export", "--format", "json").stdout
    assert copied in (before, after)  # all of the import or none of it, never a part
