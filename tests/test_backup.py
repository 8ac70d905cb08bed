"""Backups: a consistent copy, refused overwrites, restores that bring back cases and history."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import SEED_FILES

IRAQ = "2026-03-12-kc-135-western-iraq"


@pytest.fixture
def backend() -> str:
    """Backups of an SQLite file are these tests' subject (a PostgreSQL database is always backed
    up logically); test_backups_move_a_database_to_postgresql_and_back covers PostgreSQL."""
    return "sqlite"


def snapshot(runner, db: Path | str | None = None) -> tuple[str, list[str]]:
    """Everything a restore must bring back: the export and every case's history."""
    prefix = ["--db", str(db)] if db else []
    export = runner(*prefix, "export", "--format", "json")
    assert export.exit_code == 0, export.stderr
    ids = [c["id"] for c in json.loads(export.stdout)["mishaps"]]
    histories = [runner(*prefix, "history", i, "--format", "json").stdout for i in [*ids, IRAQ]]
    return export.stdout, histories


def change_everything(runner, tmp_path: Path) -> None:
    assert runner("delete", IRAQ, "--yes").exit_code == 0
    assert runner("import", SEED_FILES[0], "--on-conflict", "replace").exit_code == 0


@pytest.mark.parametrize("logical", [False, True], ids=["sqlite", "logical"])
def test_backup_then_restore_brings_back_cases_and_history(
    runner, seeded_db, tmp_path, logical
) -> None:
    before = snapshot(runner)
    dest = tmp_path / ("backup.json" if logical else "backup.db")
    result = runner("backup", dest, *(["--logical"] if logical else []))
    assert result.exit_code == 0, result.stderr
    n = len(SEED_FILES)
    kind = "logical JSON export" if logical else "SQLite copy"
    assert result.stdout == (
        f"Backed up {n} cases and {n} revisions to {dest} ({kind});"
        f" bring it back with: mishaps restore {dest}\n"
    )
    change_everything(runner, tmp_path)
    assert snapshot(runner) != before
    restored = runner("restore", dest, "--yes")
    assert restored.exit_code == 0, restored.stderr
    assert restored.stdout == (
        f"Restored {n} cases and {n} revisions from {dest};"
        f" replaced {n - 1} cases and {n + 2} revisions.\n"
    )
    assert snapshot(runner) == before


@pytest.mark.parametrize("logical", [False, True], ids=["sqlite", "logical"])
def test_restore_into_a_new_database(runner, seeded_db, tmp_path, logical) -> None:
    dest = tmp_path / "backup.bak"
    assert runner("backup", dest, *(["--logical"] if logical else [])).exit_code == 0
    fresh = tmp_path / "fresh" / "restored.db"
    result = runner("--db", fresh, "restore", dest)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith("replaced 0 cases and 0 revisions.\n")
    assert snapshot(runner, fresh) == snapshot(runner)


def test_a_sqlite_backup_is_one_intact_file(runner, seeded_db, tmp_path) -> None:
    dest = tmp_path / "backup.db"
    assert runner("backup", dest).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("backup")) == [
        "backup.db"
    ]
    conn = sqlite3.connect(f"{dest.as_uri()}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    finally:
        conn.close()


def test_backup_refuses_to_overwrite_unless_forced(runner, seeded_db, tmp_path) -> None:
    dest = tmp_path / "backup.db"
    dest.write_bytes(b"precious")
    result = runner("backup", dest)
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"Error: {dest} already exists; choose another name or pass --force to overwrite it\n"
    )
    assert dest.read_bytes() == b"precious"
    assert runner("backup", dest, "--force").exit_code == 0
    assert dest.read_bytes().startswith(b"SQLite format 3\x00")


def test_backup_refuses_the_database_itself(runner, seeded_db) -> None:
    result = runner("backup", seeded_db, "--force")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {seeded_db} is the database in use (or its main file); choose another file\n"
    )


def _not_mishaps_sqlite(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda p: p.write_text("hello\n") and p,
            "is not a mishaps backup (neither an SQLite database nor a JSON export)",
        ),
        (
            lambda p: p.write_text('{"a": 1}') and p,
            'is not a mishaps backup (no "format": "mishaps-backup")',
        ),
        (
            lambda p: p.write_text('{"format": "mishaps-backup", "version": 9}') and p,
            "is a backup of version 9; this mishaps reads version 1",
        ),
        (
            lambda p: p.write_text("{ nope") and p,
            "is not a mishaps backup: Expecting property name",
        ),
        (
            _not_mishaps_sqlite,
            "is an SQLite database but not a mishaps database (no table 'mishap')",
        ),
        (
            lambda p: p.write_bytes(b"SQLite format 3\x00" + b"\xff" * 200) and p,
            "is not a usable SQLite database",
        ),
    ],
    ids=["text", "json", "version", "broken-json", "other-sqlite", "truncated-sqlite"],
)
def test_restore_refuses_what_is_not_a_mishaps_backup(
    runner, seeded_db, tmp_path, make, message
) -> None:
    before = snapshot(runner)
    bad = tmp_path / "bad.bak"
    make(bad)
    result = runner("restore", bad, "--yes")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {bad} {message}")
    assert snapshot(runner) == before


def test_restore_refuses_a_logical_backup_with_an_invalid_case(runner, seeded_db, tmp_path) -> None:
    dest = tmp_path / "backup.json"
    assert runner("backup", dest, "--logical").exit_code == 0
    data = json.loads(dest.read_text())
    data["mishaps"][0]["aircraft"][0]["role"] = "boomer"
    dest.write_text(json.dumps(data))
    before = snapshot(runner)
    result = runner("restore", dest, "--yes")
    assert result.exit_code == 1
    assert (
        f"{dest}: {data['mishaps'][0]['id']}: aircraft[0].role: 'boomer' is not one of"
        in result.stderr
    )
    assert snapshot(runner) == before


def test_restore_asks_before_replacing_and_aborts_without_an_answer(
    runner, seeded_db, tmp_path
) -> None:
    dest = tmp_path / "backup.db"
    assert runner("backup", dest).exit_code == 0
    change_everything(runner, tmp_path)
    before = snapshot(runner)
    result = runner("restore", dest)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "Error: no answer to the confirmation; nothing restored"
        " (pass --yes to restore without asking)"
    )
    assert runner("restore", dest, input="n\n").exit_code == 1
    assert snapshot(runner) == before


@pytest.mark.postgres
def test_backups_move_a_database_to_postgresql_and_back(
    runner, seeded_db, make_db, tmp_path
) -> None:
    url = make_db("postgres")  # an empty schema of its own; skips without a server
    before = snapshot(runner)
    assert runner("backup", tmp_path / "sqlite.db").exit_code == 0
    result = runner("--db", url, "restore", tmp_path / "sqlite.db", "--yes")
    assert result.exit_code == 0, result.stderr
    assert snapshot(runner, url) == before
    assert runner("--db", url, "delete", IRAQ, "--yes").exit_code == 0  # new revisions follow
    changed = snapshot(runner, url)
    dest = tmp_path / "pg.json"
    assert runner("--db", url, "backup", dest).stdout.endswith(f"mishaps restore {dest}\n")
    fresh = tmp_path / "from-pg.db"
    assert runner("--db", fresh, "restore", dest).exit_code == 0
    assert snapshot(runner, fresh) == changed


def test_restore_never_replaces_a_database_that_is_not_ours(runner, seeded_db, tmp_path) -> None:
    dest = tmp_path / "backup.db"
    assert runner("backup", dest).exit_code == 0
    other = _not_mishaps_sqlite(tmp_path / "someone-elses.db")
    result = runner("--db", other, "restore", dest, "--yes")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {other} holds other tables (t), not a mishaps database; refusing to replace it\n"
    )
    conn = sqlite3.connect(other)
    try:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["t"]
    finally:
        conn.close()


# --- restore checks the whole backup before it replaces anything (issue 11, item 1) ----------


def _sql(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    try:
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


def _backup_then(runner, tmp_path: Path, *statements: str) -> Path:
    dest = tmp_path / "backup.db"
    assert runner("backup", dest).exit_code == 0
    _sql(dest, *statements)
    return dest


def test_restore_refuses_a_file_that_only_names_our_tables(runner, seeded_db, tmp_path) -> None:
    fake = tmp_path / "fake.db"
    _sql(fake, "CREATE TABLE mishap(x)", "CREATE TABLE revision(y)")
    before = snapshot(runner)
    result = runner("restore", fake, "--yes")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {fake} is not a mishaps backup: ")
    assert snapshot(runner) == before


@pytest.mark.parametrize(
    ("statements", "message"),
    [
        (
            ["UPDATE alembic_version SET version_num = '9999'"],
            "is at schema revision 9999, newer than this version of mishaps knows",
        ),
        (["DROP TABLE source"], "is not a mishaps backup: it has no table 'source'"),
        (
            ["ALTER TABLE finding DROP COLUMN text"],
            "is not a mishaps backup: its table 'finding' has no column 'text'",
        ),
        (
            [
                f"UPDATE aircraft SET role = 'boomer' WHERE mishap_pk = (SELECT pk FROM mishap WHERE id = '{IRAQ}')"
            ],
            f"case {IRAQ} cannot be read back: aircraft[0].role: 'boomer' is not one of",
        ),
        (
            [f"UPDATE mishap SET occurred_on = 'yesterday' WHERE id = '{IRAQ}'"],
            f"case {IRAQ} cannot be read back: occurred_on:",
        ),
    ],
    ids=["newer", "missing-table", "missing-column", "bad-role", "bad-date"],
)
def test_restore_checks_the_schema_and_reads_every_case_first(
    runner, seeded_db, tmp_path, statements, message
) -> None:
    dest = _backup_then(runner, tmp_path, *statements)
    before = snapshot(runner)
    result = runner("restore", dest, "--yes")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {dest} {message}"), result.stderr
    assert snapshot(runner) == before


# The upgrade reflects the mishap table, whose expression index SQLAlchemy cannot reflect on
# SQLite (as in tests/test_db.py).
@pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index ix_mishap_service_lower"
)
def test_restore_upgrades_an_older_backup_in_its_copy(runner, seeded_db, tmp_path) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    from mishaps.db import _alembic_config
    from mishaps.migrations import REVISIONS

    dest = tmp_path / "backup.db"
    assert runner("backup", dest).exit_code == 0
    # Foreign keys off, as SQLite has them by default: a downgrade that rebuilds a table must not
    # cascade into its children.
    old = create_engine(f"sqlite:///{dest}")
    with old.begin() as conn:
        command.downgrade(_alembic_config(conn), REVISIONS[-2])
    old.dispose()
    _sql(dest, "PRAGMA journal_mode=DELETE")
    kept = dest.read_bytes()
    # What the older backup holds, brought up to date the usual way: the restore must match it.
    upgraded = tmp_path / "upgraded.db"
    upgraded.write_bytes(kept)
    assert runner("--db", upgraded, "db", "upgrade").exit_code == 0
    expected = snapshot(runner, upgraded)
    change_everything(runner, tmp_path)
    result = runner("restore", dest, "--yes")
    assert result.exit_code == 0, result.stderr
    assert snapshot(runner) == expected  # every command works: the database is current
    assert dest.read_bytes() == kept  # the upgrade happened in a copy


def test_restore_shows_a_screenful_of_problems_then_where_it_stopped(
    runner, seeded_db, tmp_path
) -> None:
    from mishaps.errors import MAX_PROBLEMS_PER_FILE

    dest = tmp_path / "backup.json"
    assert runner("backup", dest, "--logical").exit_code == 0
    data = json.loads(dest.read_text())
    data["mishaps"] = [{}] * 10_000  # each with many problems: not 100,000 lines of them
    dest.write_text(json.dumps(data))
    before = snapshot(runner)
    result = runner("restore", dest, "--yes")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == MAX_PROBLEMS_PER_FILE + 2
    assert re.fullmatch(
        f"{re.escape(str(dest))}: {MAX_PROBLEMS_PER_FILE} problems shown; checking stopped at"
        r" case \d+ of 10,000, so there are more",
        lines[-2],
    )
    assert snapshot(runner) == before
