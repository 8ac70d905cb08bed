"""The rough edges a newcomer hit (issue 10), each pinned by a test that failed before the fix."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from mishaps.cli import app
from tests.conftest import SEED_FILES
from tests.test_cli import all_commands

SHELL_77 = "2013-05-03-shell-77"
ACCEPTED = "give an SQLite file path or a postgresql://USER@HOST/DBNAME URL"


# --- 2. `-o -` is standard output ---------------------------------------------------------------


def test_export_to_dash_writes_stdout_and_no_file(runner, seeded_db, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner("export", "--aircraft", "KC-46", "--format", "json", "-o", "-")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["mishaps"]
    assert not (tmp_path / "-").exists()
    assert result.stderr == ""


def test_every_output_option_takes_dash(runner) -> None:
    """Every option or argument that names a file to write says that - is stdout."""
    for path in all_commands(app):
        text = " ".join(runner(*path, "--help").stdout.split())
        if "--output" in text or "--html" in text:
            assert text.count("(- is stdout") >= text.count("--output") + text.count("--html"), path
    assert "(- is stdout: a logical JSON backup)" in runner("backup", "--help").stdout


def test_reports_and_backups_write_to_dash(runner, seeded_db, tmp_path, monkeypatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    pdf = runner("report", "brief", SHELL_77, "-o", "-")
    assert pdf.exit_code == 0, pdf.stderr
    assert pdf.stdout_bytes.startswith(b"%PDF-")
    html = runner("report", "summary", "--aircraft", "KC-46", "--html", "-")
    assert html.exit_code == 0 and html.stdout.lstrip().startswith("<!")
    backup = runner("backup", "-")
    assert backup.exit_code == 0, backup.stderr
    assert json.loads(backup.stdout)["mishaps"]
    assert list(work.iterdir()) == []  # no file named "-", nothing else


# --- 4. a bad --db says what is wrong and which forms are accepted -----------------------------


def _not_a_database(tmp_path: Path) -> dict[str, str]:
    csv = tmp_path / "cases.csv"
    csv.write_text("id,title\nx,y\n", encoding="utf-8")
    folder = tmp_path / "folder"
    folder.mkdir()
    return {
        "mysql://x/y": "mysql://x/y is not a database mishaps can use (mysql://)",
        str(csv): f"{csv} is not an SQLite database file",
        str(folder): f"{folder} is a directory",
        "sqlite://": "sqlite:// names no file",
        "http://example.org/db": "http://example.org/db is not a database mishaps can use (http://)",
    }


@pytest.mark.parametrize("command", [["list"], ["init"], ["import", str(SEED_FILES[0])]])
def test_a_bad_db_gets_one_plain_line(runner, tmp_path, command) -> None:
    for value, what in _not_a_database(tmp_path).items():
        result = runner("--db", value, *command)
        assert result.exit_code == 1, (value, result.stderr)
        assert result.stderr == f"Error: {what}; {ACCEPTED}\n", value


def test_a_bad_db_in_the_environment_too(runner, monkeypatch) -> None:
    monkeypatch.setenv("MISHAPS_DB", "mysql://x/y")
    result = runner("stats")
    assert result.stderr == (
        f"Error: mysql://x/y is not a database mishaps can use (mysql://); {ACCEPTED}\n"
    )


# --- 5. help and errors in the user's words -----------------------------------------------------


def test_help_speaks_the_users_words(runner) -> None:
    assert "Usage: mishaps import [OPTIONS] FILE..." in runner("import", "--help").stdout
    assert "Usage: mishaps validate [OPTIONS] FILE..." in runner("validate", "--help").stdout
    assert "Usage: mishaps show [OPTIONS] ID\n" in runner("show", "--help").stdout
    assert "--by FIELD" in runner("stats", "--help").stdout
    assert "--by FIELD" in runner("rates", "--help").stdout
    for path in all_commands(app):
        text = runner(*path, "--help").stdout
        internals = re.findall(r"<(?:list\[\w+\]|str|int|float|Path)>|\{\w+\}", text)
        assert not internals, (path, internals)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["list", "--format", "xml"], "--format must be one of: table, json, csv (not 'xml')"),
        (["export", "-f", "xml"], "--format must be one of: yaml, json, csv (not 'xml')"),
        (
            ["list", "--role", "pilot"],
            "--role must be one of: tanker, receiver, other (not 'pilot')",
        ),
        (["taxonomy", "icao"], "TAXONOMY must be one of: cictt, hfacs, refueling (not 'icao')"),
        (["stats", "--by", "colour"], "--by must be one of: year, fy, aircraft, role, category,"),
    ],
)
def test_a_bad_choice_names_the_choices(runner, args, message) -> None:
    result = runner(*args)
    assert result.exit_code == 2
    assert f"Error: {message}" in result.stderr
    assert "Value error" not in result.stderr


# --- 6. history records what another machine can use --------------------------------------------


def test_history_records_seed_files_as_seed_data_name(runner, new_db) -> None:
    db = new_db()
    assert runner("--db", db, "init").exit_code == 0
    rows = json.loads(runner("--db", db, "history", SHELL_77, "--format", "json").stdout)
    assert [r["file"] for r in rows] == [f"seed_data/{SHELL_77}.yaml"]


def test_history_records_an_imported_file_as_given(runner, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in").mkdir()
    doc = yaml.safe_load(SEED_FILES[0].read_text(encoding="utf-8"))
    (tmp_path / "in" / "mine.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    assert runner("init", "--empty").exit_code == 0  # only init creates a database at a named path
    assert runner("import", "in/mine.yaml").exit_code == 0
    rows = json.loads(runner("history", doc["id"], "--format", "json").stdout)
    assert [r["file"] for r in rows] == ["in/mine.yaml"]


# --- 8. one spelling: "air refueling", as the US services write it -------------------------------

BRITISH = re.compile(r"refuell|aerial.refuel", re.IGNORECASE)
ROOT = Path(__file__).resolve().parent.parent


def test_help_and_output_spell_air_refueling(runner, tmp_path) -> None:
    texts = {
        " ".join(path) or "mishaps": runner(*path, "--help").stdout for path in all_commands(app)
    }
    good = ROOT / "tests" / "good_case.yaml"  # a case whose own text says nothing of refuelling
    assert runner("init", "--empty").exit_code == 0
    assert runner("import", good).exit_code == 0
    case_id = yaml.safe_load(good.read_text(encoding="utf-8"))["id"]
    texts["show"] = runner("show", case_id).stdout
    html = tmp_path / "brief.html"
    assert runner("report", "brief", case_id, "--html", html).exit_code == 0
    texts["report brief"] = html.read_text(encoding="utf-8")
    assert runner("report", "summary", "--html", html).exit_code == 0
    texts["report summary"] = html.read_text(encoding="utf-8")
    for where, text in texts.items():
        assert not BRITISH.findall(text), where
    assert "Air refueling" in texts["mishaps"]


def test_docs_spell_air_refueling() -> None:
    for path in [
        ROOT / "README.md",
        ROOT / "pyproject.toml",
        *sorted((ROOT / "docs").glob("*.md")),
    ]:
        assert not BRITISH.findall(path.read_text(encoding="utf-8")), path.name
