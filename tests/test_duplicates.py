"""The same event under two ids is noticed (issue 11, item 7)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from mishaps.duplicates import entry, suspects
from mishaps.ingest import load_files
from tests.conftest import SEED_FILES

SAME = "the same event as"


def _copy(tmp_path: Path, source: Path, new_id: str, **changes: object) -> Path:
    doc = yaml.safe_load(source.read_text(encoding="utf-8"))
    doc["id"] = new_id
    doc.update(changes)
    path = tmp_path / f"{new_id}.json"
    path.write_text(json.dumps(doc, default=str), encoding="utf-8")
    return path


def _exact_seed() -> tuple[Path, dict]:
    """A seed case dated to the day."""
    for path in SEED_FILES:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        if len(str(doc["occurred_on"])) == 10:
            return path, doc
    raise AssertionError("no seed case has an exact date")


def test_the_seed_data_holds_no_suspected_duplicates(runner) -> None:
    loaded = load_files(SEED_FILES)
    assert suspects([entry(i.case) for i in loaded]) == []
    result = runner("validate", *SEED_FILES)
    assert result.exit_code == 0 and SAME not in result.stderr


def test_the_seeded_database_lists_no_pairs(runner, seeded_db) -> None:
    result = runner("duplicates")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "No suspected duplicates.\n")


def test_importing_a_known_event_under_another_id_warns_naming_both(
    runner, seeded_db, tmp_path
) -> None:
    path, doc = _exact_seed()
    copy = _copy(tmp_path, path, "2099-01-01-same-event-again")
    result = runner("import", copy)
    assert result.exit_code == 0, result.stderr
    assert (
        f"Warning: 2099-01-01-same-event-again may be the same event as {doc['id']}"
        in result.stderr
    )
    listed = runner("duplicates", "--format", "json")
    pairs = json.loads(listed.stdout)
    assert [(p["first"], p["second"]) for p in pairs] in (
        [(doc["id"], "2099-01-01-same-event-again")],
        [("2099-01-01-same-event-again", doc["id"])],
    )
    assert runner("validate", path, copy).stderr.count(SAME) == 1


def test_on_duplicate_skip_and_refuse(runner, seeded_db, tmp_path) -> None:
    path, doc = _exact_seed()
    copy = _copy(tmp_path, path, "2099-01-01-same-event-again")
    before = runner("export", "--format", "json").stdout
    refused = runner("import", copy, "--on-duplicate", "refuse")
    assert refused.exit_code == 1
    assert re.fullmatch(
        re.escape(f"Error: 2099-01-01-same-event-again may be the same event as {doc['id']}")
        + r" \(.+ on \d{4}-\d{2}-\d{2}\); nothing imported \(--on-duplicate warn or skip to go on\)",
        refused.stderr.splitlines()[-1],
    )
    assert runner("export", "--format", "json").stdout == before
    skipped = runner("import", copy, "--on-duplicate", "skip")
    assert skipped.exit_code == 0
    assert "0 added" in skipped.stdout and "1 skipped" in skipped.stdout
    assert runner("export", "--format", "json").stdout == before


def test_dates_known_to_the_month_pair_only_with_an_exact_day(runner, seeded_db, tmp_path) -> None:
    path, doc = _exact_seed()
    month = str(doc["occurred_on"])[:7]
    a = _copy(tmp_path, path, "2099-01-01-month-a", occurred_on=month)
    b = _copy(tmp_path, path, "2099-01-01-month-b", occurred_on=month)
    result = runner("validate", a, b)
    assert SAME not in result.stderr  # two months: no pair
    result = runner("import", a)
    assert f"2099-01-01-month-a may be the same event as {doc['id']}" in result.stderr
