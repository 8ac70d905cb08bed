"""Writers wait for a busy database longer, and as long as configured (issue 11, item 12)."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from sqlalchemy import text

from mishaps.config import to_url
from mishaps.db import WRITE_LOCK_SQL, busy_timeout_ms, make_engine
from tests.conftest import SEED_FILES

HOLD = 12.0  # s: longer than the old fixed 10 s wait, far below the new default


def _new_case(tmp_path):
    path = tmp_path / "new.yaml"
    path.write_text(SEED_FILES[0].read_text(encoding="utf-8").replace("id: ", "id: zz-", 1))
    return path


def _hold_lock(where: str, seconds: float, held: threading.Event) -> None:
    if not where.startswith("postgresql"):
        conn = sqlite3.connect(where, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        held.set()
        time.sleep(seconds)
        conn.execute("ROLLBACK")
        conn.close()
        return
    engine = make_engine(to_url(where))
    with engine.begin() as conn:
        conn.execute(text(WRITE_LOCK_SQL))
        held.set()
        time.sleep(seconds)
    engine.dispose()


def test_the_default_wait_is_at_least_a_minute(monkeypatch) -> None:
    monkeypatch.delenv("MISHAPS_BUSY_TIMEOUT", raising=False)
    assert busy_timeout_ms() >= 60_000
    monkeypatch.setenv("MISHAPS_BUSY_TIMEOUT", "2.5")
    assert busy_timeout_ms() == 2_500


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "0"])
def test_a_bad_busy_timeout_is_one_clear_line(runner, seeded_db, monkeypatch, value) -> None:
    monkeypatch.setenv("MISHAPS_BUSY_TIMEOUT", value)
    result = runner("list")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: MISHAPS_BUSY_TIMEOUT is {value!r}; give the seconds a writer waits for a busy"
        " database, such as 60\n"
    )


@pytest.mark.slow
def test_a_writer_outwaits_a_lock_held_longer_than_the_old_ten_seconds(
    runner, seeded_db, tmp_path, monkeypatch
) -> None:
    monkeypatch.delenv("MISHAPS_BUSY_TIMEOUT", raising=False)
    held = threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(str(seeded_db), HOLD, held))
    holder.start()
    assert held.wait(30)
    start = time.monotonic()
    result = runner("import", _new_case(tmp_path))
    waited = time.monotonic() - start
    holder.join()
    assert result.exit_code == 0, result.stderr
    assert waited > HOLD - 2


@pytest.mark.slow
def test_a_short_configured_wait_gives_up_with_its_length(
    runner, seeded_db, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("MISHAPS_BUSY_TIMEOUT", "1")
    held = threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(str(seeded_db), 5, held))
    holder.start()
    assert held.wait(30)
    result = runner("import", _new_case(tmp_path))
    holder.join()
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: the database is busy (another process held it for over 1 s); nothing was"
        " written, try again (MISHAPS_BUSY_TIMEOUT sets the wait)\n"
    )
