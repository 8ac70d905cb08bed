"""The garbage collector in a command's process (mishaps.cli.collector): the libraries load
without collections, are frozen, and collection is back on for the command's own work.

Each probe runs in its own interpreter: freezing and importing change the whole process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

COUNT_COLLECTIONS = """
import gc, json, sys
starts = []
gc.callbacks.append(lambda phase, info: phase == "start" and starts.append(info["generation"]))
"""

LOAD = (
    COUNT_COLLECTIONS
    + """
from mishaps.cli import collector
{setup}
before = len(starts)
collector.load("mishaps.api")
during = len(starts) - before
enabled = gc.isenabled()
frozen = gc.get_freeze_count()
import sqlalchemy
walked = {{id(o) for o in gc.get_objects()}}
gc.collect()
print(json.dumps({{
    "during": during, "enabled": enabled, "frozen": frozen,
    "sqlalchemy_walked": id(sqlalchemy.__dict__) in walked,
    "counted_after": len(starts) - before - during,
}}))
"""
)

PLAIN_IMPORT = (
    COUNT_COLLECTIONS + "import mishaps.cli\nstarts.clear()\nimport mishaps.api\nprint(len(starts))"
)


def run(code: str, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    ).stdout


def test_the_library_loads_without_collections_then_collection_resumes() -> None:
    assert int(run(PLAIN_IMPORT)) > 0  # a plain import of the same modules does collect
    out = json.loads(run(LOAD.format(setup="")))
    assert out["during"] == 0
    assert out["enabled"] is True  # the command's own garbage is collected as usual
    assert out["counted_after"] == 1  # (the probe sees collections when there are some)
    # What was loaded is frozen: later collections, and the last ones at exit, skip it.
    assert out["frozen"] > 0
    assert out["sqlalchemy_walked"] is False


def test_load_leaves_a_disabled_collector_disabled() -> None:
    out = json.loads(run(LOAD.format(setup="gc.disable()")))
    assert out["during"] == 0 and out["enabled"] is False


MAIN = """
import atexit, gc, json, sys
from mishaps.cli import main
# Runs after main() returns: what the interpreter's last collections would still walk.
atexit.register(lambda: print(json.dumps({"frozen": gc.get_freeze_count(),
                                          "walked": len(gc.get_objects())}), file=sys.stderr))
sys.argv = ["mishaps", *sys.argv[1:]]
main()
"""


@pytest.mark.usefixtures("seeded_db")
def test_a_listing_process_prints_everything_and_leaves_the_collector_nothing_to_walk(
    runner,
) -> None:
    args = ["list", "--aircraft", "KC-135", "--format", "json"]
    proc = subprocess.run(
        [sys.executable, "-c", MAIN, *args], capture_output=True, text=True, check=True
    )
    assert proc.stdout == runner(*args).stdout  # the whole output, as in-process
    assert len(json.loads(proc.stdout)) > 1
    state = json.loads(proc.stderr.splitlines()[-1])
    assert state["walked"] * 100 < state["frozen"]


def test_a_write_command_process_closes_its_database_before_exit(tmp_path: Path, runner) -> None:
    """Frozen at exit, a connection left in a reference cycle would never be closed: SQLite's
    -wal file would stay beside the database. The command closes its connections itself."""
    db = tmp_path / "office.db"
    runner("--db", str(db), "init", "--empty")
    case = Path(__file__).parent / "good_case.yaml"
    proc = subprocess.run(
        [sys.executable, "-c", MAIN, "--db", str(db), "import", str(case)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "1 added" in proc.stdout
    assert not db.with_name(db.name + "-wal").exists()
    listed = json.loads(runner("--db", str(db), "list", "--format", "json").stdout)
    assert len(listed) == 1
