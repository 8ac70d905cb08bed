"""Writing output files safely (issue 11, item 2): every writer goes through one function."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

IRAQ = "2026-03-12-kc-135-western-iraq"


@pytest.fixture
def backend() -> str:
    """Output files are the subject; the database is an SQLite file these tests guard."""
    return "sqlite"


@pytest.fixture
def umask():
    """Set the process umask for one test, and put the old one back."""
    saved: list[int] = []

    def set_(mask: int) -> None:
        saved.append(os.umask(mask))

    yield set_
    if saved:
        os.umask(saved[0])


WRITERS = {
    "export": lambda target: ["export", "-o", target],
    "export-csv": lambda target: ["export", "--format", "csv", "-o", target],
    "brief-html": lambda target: ["report", "brief", IRAQ, "--html", target],
    "backup": lambda target: ["backup", target, "--force"],
}


def _before(db: Path) -> dict[str, bytes]:
    """The database and whichever of its companions are there now (a read-only open of a WAL
    database may leave -wal and -shm behind: SQLite's own, unchanged data)."""
    return {
        p.name: p.read_bytes()
        for p in db.parent.iterdir()
        if p.name.startswith(db.name) and p.stat().st_size and not p.name.endswith("-shm")
    }


@pytest.mark.parametrize("writer", sorted(WRITERS))
@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal"])
def test_the_open_database_and_its_companions_are_refused_as_targets(
    runner, seeded_db, writer, suffix
) -> None:
    target = Path(f"{seeded_db}{suffix}")
    kept = _before(seeded_db)
    result = runner(*WRITERS[writer](target))
    assert result.exit_code == 1, result.stdout
    assert result.stderr == (
        f"Error: {target} is the database in use (or its {suffix or 'main'} file);"
        " choose another file\n"
    )
    assert _before(seeded_db) == kept
    assert runner("show", IRAQ).exit_code == 0


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_a_symlink_to_the_database_is_refused(runner, seeded_db, tmp_path, writer) -> None:
    link = tmp_path / "innocent.txt"
    link.symlink_to(seeded_db)
    kept = seeded_db.read_bytes()
    result = runner(*WRITERS[writer](link))
    assert result.exit_code == 1
    assert "is the database in use" in result.stderr
    assert link.is_symlink() and seeded_db.read_bytes() == kept


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_a_regular_file_is_replaced_keeping_its_mode(runner, seeded_db, tmp_path, writer) -> None:
    target = tmp_path / "out.file"
    target.write_bytes(b"old")
    target.chmod(0o600)
    result = runner(*WRITERS[writer](target))
    assert result.exit_code == 0, result.stderr
    assert target.read_bytes() != b"old"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.file")] == []


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_a_symlink_is_written_through_to_its_target(runner, seeded_db, tmp_path, writer) -> None:
    real = tmp_path / "real" / "out.file"
    real.parent.mkdir()
    real.write_bytes(b"old")
    link = tmp_path / "link.file"
    link.symlink_to(real)
    result = runner(*WRITERS[writer](link))
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink() and link.resolve() == real
    assert real.read_bytes() != b"old"


@pytest.mark.parametrize("mask", [0o077, 0o022, 0o027])
@pytest.mark.parametrize("writer", ["export", "brief-html"])
def test_new_files_honour_the_umask(runner, seeded_db, tmp_path, umask, writer, mask) -> None:
    target = tmp_path / "new.file"
    umask(mask)
    result = runner(*WRITERS[writer](target))
    assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask


def test_a_new_backup_is_no_more_readable_than_the_database(
    runner, seeded_db, tmp_path, umask
) -> None:
    umask(0o022)
    seeded_db.chmod(0o600)
    result = runner("backup", tmp_path / "b.db")
    assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE((tmp_path / "b.db").stat().st_mode) == 0o600


@pytest.mark.parametrize("writer", ["export", "export-csv", "brief-html", "backup"])
def test_a_fifo_is_written_straight_through(runner, seeded_db, tmp_path, writer) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = runner(*WRITERS[writer](fifo))
    reader.join(timeout=30)
    if reader.is_alive() and stat.S_ISFIFO(fifo.stat().st_mode):  # nobody wrote: free the reader
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert got and len(got[0]) > 100


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_a_device_stays_a_device(runner, seeded_db, tmp_path) -> None:
    null = tmp_path / "null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # what /dev/null is
    result = runner("export", "-o", null)
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISCHR(null.stat().st_mode)


def test_dash_means_stdout(runner, seeded_db, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner("export", "--format", "json", "-o", "-")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == runner("export", "--format", "json").stdout
    assert not (tmp_path / "-").exists()


# --- YAML keeps every character (issue 11, item 3) ----------------------------------------------

ODD_TEXT = [
    "NEXT\x85LINE",
    "LINE\u2028SEPARATOR",
    "PARAGRAPH\u2029SEPARATOR",
    "two\nlines then\x85next",
    "crlf\r\nline",
    "C1\x9bcontrol",
    "tab\there",
    "\ufeffbom",
    "emoji \U0001f600",
]


@pytest.mark.parametrize("text", ODD_TEXT)
def test_yaml_dump_reads_back_every_character(text) -> None:
    from mishaps.files import dump_yaml, parse_bytes

    dumped = dump_yaml({"title": text})
    records, problems = parse_bytes(dumped.encode("utf-8"), name="x.yaml")
    assert problems == []
    assert records[0].data["title"] == text


def test_yaml_export_of_line_breaking_characters_round_trips_byte_identically(
    runner, seeded_db, tmp_path
) -> None:
    from mishaps.files import dump_yaml
    from tests.conftest import seed_cases

    doc = seed_cases()[0]
    doc["id"] = "2020-01-01-odd-text"
    doc["title"] = "Boom\x85strike\u2028over\u2029the sea"
    doc["summary"] = "First line.\nSecond\x85line."
    source = tmp_path / "odd.yaml"
    source.write_text(dump_yaml(doc), encoding="utf-8")
    assert runner("import", source).exit_code == 0
    first = runner("export", "--format", "yaml").stdout
    exported = tmp_path / "export.yaml"
    exported.write_text(first, encoding="utf-8")
    fresh = tmp_path / "fresh.db"
    assert runner("--db", fresh, "init", "--empty").exit_code == 0
    assert runner("--db", fresh, "import", exported).exit_code == 0
    assert runner("--db", fresh, "export", "--format", "yaml").stdout == first
    shown = json.loads(runner("--db", fresh, "show", doc["id"], "--format", "json").stdout)
    assert (shown["title"], shown["summary"]) == (doc["title"], doc["summary"])
