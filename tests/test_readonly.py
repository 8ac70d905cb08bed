"""Read commands open the database read-only and change nothing (issue 11, item 13)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import SEED_FILES

IRAQ = "2026-03-12-kc-135-western-iraq"
EXPOSURE = "aircraft,fiscal_year,flight_hours\nKC-135,2026,1000\n"
READS = [
    ["list"],
    ["list", "--search", "boom*", "--format", "json"],
    ["show", IRAQ],
    ["export", "--format", "json"],
    ["stats", "--by", "aircraft"],
    ["history", IRAQ],
    ["db", "status"],
]


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def backup_file(runner, seeded_db, tmp_path) -> Path:
    dest = tmp_path / "backup.db"
    assert runner("backup", dest).exit_code == 0
    return dest


def test_reading_a_backup_leaves_it_byte_identical(runner, backup_file, tmp_path) -> None:
    kept = backup_file.read_bytes()
    exposure = tmp_path / "hours.csv"
    exposure.write_text(EXPOSURE)
    for args in [
        *READS,
        ["rates", "--exposure", exposure],
        ["report", "brief", IRAQ, "--html", tmp_path / "b.html"],
    ]:
        result = runner("--db", backup_file, *args)
        assert result.exit_code == 0, (args, result.stderr)
        assert backup_file.read_bytes() == kept, args
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("backup")) == [
            "backup.db"
        ], args


def _unwritable(place: Path, db: Path) -> list[Path]:
    """Make ``db`` and its folder unwritable, even to root (the immutable flag); returns what
    to make writable again."""
    db.chmod(0o444)
    place.chmod(0o555)
    if os.geteuid() != 0:
        return []
    made = subprocess.run(["chattr", "+i", str(db), str(place)], capture_output=True, check=False)
    if made.returncode != 0:
        pytest.skip("root ignores permissions and chattr +i is not available here")
    return [db, place]


def _mishaps(place: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(place), "XDG_DATA_HOME": str(place / "xdg")}
    env.pop("MISHAPS_DB", None)
    return subprocess.run(
        [sys.executable, "-m", "mishaps", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=place,
        check=False,
        timeout=60,
    )


def test_read_commands_work_on_a_file_the_user_may_not_write(backup_file) -> None:
    place = Path(tempfile.mkdtemp(prefix="mishaps-ro-"))
    db = place / "office.db"
    shutil.copyfile(backup_file, db)
    kept = db.read_bytes()
    flagged = _unwritable(place, db)
    try:
        for args in READS:
            proc = _mishaps(place, "--db", str(db), *args)
            assert proc.returncode == 0, (args, proc.stderr)
        assert db.read_bytes() == kept
        assert sorted(p.name for p in place.iterdir()) == ["office.db"]
        proc = _mishaps(place, "--db", str(db), "import", str(SEED_FILES[0]))
        assert proc.returncode == 1
        assert proc.stderr.startswith("Error: ") and "Traceback" not in proc.stderr
    finally:
        if flagged:
            subprocess.run(["chattr", "-i", *map(str, flagged)], check=True)
        place.chmod(0o755)
        shutil.rmtree(place)


# --- only `init` creates a database at an explicit path (issue 11, item 4) ---------------------


@pytest.mark.parametrize("how", ["--db", "MISHAPS_DB"])
def test_a_mistyped_db_path_is_never_created_by_import(runner, tmp_path, monkeypatch, how) -> None:
    missing = tmp_path / "typo" / "offfice.db"
    if how == "--db":
        args = ["--db", missing]
    else:
        monkeypatch.setenv("MISHAPS_DB", str(missing))
        args = []
    for command in (["import", SEED_FILES[0]], ["import", "--dry-run", SEED_FILES[0]]):
        result = runner(*args, *command)
        assert result.exit_code == 1, command
        assert result.stderr == (
            f"Error: no database at {missing}; create it with: mishaps --db {missing} init\n"
        )
    assert not missing.parent.exists()
    assert runner(*args, "init", "--empty").exit_code == 0
    assert runner(*args, "import", SEED_FILES[0]).exit_code == 0


def test_import_still_creates_the_default_database_on_first_use(
    runner, tmp_path, monkeypatch
) -> None:
    monkeypatch.delenv("MISHAPS_DB")
    edited = tmp_path / "new.yaml"
    edited.write_text(SEED_FILES[0].read_text(encoding="utf-8").replace("id: ", "id: zz-", 1))
    result = runner("import", edited)
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "xdg-data" / "mishaps" / "mishaps.db").exists()
    assert result.stdout.startswith("Imported 1 case from 1 file: 1 added")
