"""The README's tour runs as written: every `mishaps` command in it, in order, in a fresh HOME
from a fresh database, as a new user would type them (answering the confirmation prompts)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def tour_commands() -> list[list[str]]:
    """The `mishaps` lines of the first ```sh block under "## A tour", comments removed."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## A tour\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block, "the tour has no ```sh block"
    commands = []
    for line in block[1].splitlines():
        words = shlex.split(line, comments=True)
        if words:
            assert words[0] == "mishaps", f"a tour line that is not a mishaps command: {line}"
            commands.append(words[1:])
    return commands


def test_the_tour_block_is_found() -> None:
    commands = tour_commands()
    assert len(commands) >= 15
    assert commands[0] == ["list"]


@pytest.mark.slow
def test_the_readme_tour_runs_as_written(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MISHAPS_") and k not in ("XDG_DATA_HOME", "SOURCE_DATE_EPOCH")
    }
    env["HOME"] = str(home)
    for args in tour_commands():
        done = subprocess.run(
            [sys.executable, "-m", "mishaps", *args],
            cwd=tmp_path,
            env=env,
            input="y\n",  # the tour's confirmation prompts (delete, restore)
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"mishaps {shlex.join(args)}:\n{done.stderr}"
    assert (home / ".local" / "share" / "mishaps" / "mishaps.db").is_file()  # the default place
    for made in ("kc46.csv", "office-2026-03-13.db", "brief.pdf", "kc46.pdf"):
        assert (tmp_path / made).is_file(), made
