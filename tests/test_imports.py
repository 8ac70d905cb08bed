"""Heavy imports stay lazy: `mishaps --help` and `mishaps list` never load WeasyPrint or
Datasette."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import sys
from mishaps.cli import app
try:
    app({args!r}, standalone_mode=False)
except SystemExit:
    pass
HEAVY = ("weasyprint", "sqlalchemy", "sqlmodel", "pydantic", "alembic", "datasette", "uvicorn")
print("LOADED:" + ",".join(sorted(m for m in HEAVY if m in sys.modules)))
"""


def loaded_after(args: list[str]) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args)], capture_output=True, text=True, check=True
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("LOADED:"))
    return set(filter(None, line[len("LOADED:") :].split(",")))


def test_help_imports_no_database_or_pdf_library() -> None:
    assert loaded_after(["--help"]) == set()


@pytest.mark.usefixtures("seeded_db")
def test_list_does_not_import_weasyprint() -> None:
    loaded = loaded_after(["list", "--aircraft", "KC-135", "--format", "json"])
    assert "sqlalchemy" in loaded  # the probe really ran the query
    assert "weasyprint" not in loaded
    assert "alembic" not in loaded  # checking the schema revision is one SELECT, no Alembic
    assert "datasette" not in loaded and "uvicorn" not in loaded


def test_serve_help_imports_no_web_server() -> None:
    loaded = loaded_after(["serve", "--help"])
    assert not loaded & {"datasette", "uvicorn", "weasyprint", "sqlalchemy"}
