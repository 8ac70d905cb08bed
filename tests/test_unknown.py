"""Unknown is NULL in SQL for the air refueling method and phase too (issue 10, defect 7).

The format still reads the literal ``unknown`` from old files, and writes an unknown method or
phase by leaving it out.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
import yaml
from sqlalchemy import text

from mishaps.config import to_url
from mishaps.db import make_engine, migrate
from mishaps.migrations import REVISIONS
from tests.conftest import downgrade, seed_cases

IRAQ_2026 = "2026-03-12-kc-135-western-iraq"
COLUMNS = {"method": "refueling_method", "phase": "refueling_phase"}


def unknown_in_seed(key: str) -> set[str]:
    """Seed cases whose method (or phase) is unknown: written `unknown`, or left out."""
    return {
        c["id"] for c in seed_cases() if c.get("refueling", {}).get(key, "unknown") == "unknown"
    }


def column_values(where, column: str) -> dict[str, str | None]:
    engine = make_engine(to_url(str(where)))
    try:
        with engine.connect() as conn:
            return dict(conn.execute(text(f"SELECT id, {column} FROM mishap")).all())
    finally:
        engine.dispose()


@pytest.mark.parametrize("key", ["method", "phase"])
def test_an_unknown_method_or_phase_is_null_in_sql(seeded_db, key: str) -> None:
    assert unknown_in_seed(key)  # the seed data has some, so this test can fail
    values = column_values(seeded_db, COLUMNS[key])
    assert "unknown" not in values.values()
    assert {mid for mid, v in values.items() if v is None} == unknown_in_seed(key)


@pytest.mark.parametrize("key", ["method", "phase"])
def test_the_unknown_filter_still_finds_them(runner, seeded_db, key: str) -> None:
    result = runner("list", f"--{key}", "unknown", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert {r["id"] for r in json.loads(result.stdout)} == unknown_in_seed(key)


def test_stats_by_phase_counts_null_as_unknown(runner, seeded_db) -> None:
    rows = json.loads(runner("stats", "--by", "phase", "--format", "json").stdout)["rows"]
    assert {r["key"]: r["mishaps"] for r in rows}["unknown"] == len(unknown_in_seed("phase"))


def test_migration_0004_turns_stored_unknown_into_null(new_db, _seed_loaded) -> None:
    from mishaps.ingest import import_cases

    where = new_db()
    engine = make_engine(to_url(str(where)), create=True)
    try:
        migrate(engine)
        import_cases(engine, _seed_loaded)
        downgrade(engine, REVISIONS[REVISIONS.index("0004") - 1])  # the revision before 0004
        with engine.begin() as conn:  # as mishaps wrote them before revision 0004
            for column in COLUMNS.values():
                conn.execute(text(f"UPDATE mishap SET {column} = 'unknown' WHERE {column} IS NULL"))
        assert "unknown" in column_values(where, "refueling_phase").values()
        migrate(engine)
    finally:
        engine.dispose()
    for key, column in COLUMNS.items():
        values = column_values(where, column)
        assert "unknown" not in values.values()
        assert {mid for mid, v in values.items() if v is None} == unknown_in_seed(key)


def test_export_leaves_an_unknown_method_and_phase_out(runner, seeded_db) -> None:
    doc = yaml.safe_load(runner("export").stdout)
    by_id = {c["id"]: c for c in doc["mishaps"]}
    assert not {"method", "phase"} & set(by_id[IRAQ_2026]["refueling"])
    for case in by_id.values():
        assert "unknown" not in case["refueling"].values()
    rows = list(csv.DictReader(io.StringIO(runner("export", "--format", "csv").stdout)))
    iraq = next(r for r in rows if r["id"] == IRAQ_2026)
    assert (iraq["refueling_method"], iraq["refueling_phase"]) == ("", "")


def test_an_old_file_with_the_literal_unknown_still_imports(runner, tmp_path) -> None:
    # Files written before unknown meant "left out" spelled it out: the Iraq case as such a file.
    case = next(c for c in seed_cases() if c["id"] == IRAQ_2026)
    assert not {"method", "phase"} & set(case.get("refueling") or {})
    case["refueling"] = {**(case.get("refueling") or {}), "method": "unknown", "phase": "unknown"}
    path = tmp_path / "old.yaml"
    path.write_text(yaml.safe_dump(case), encoding="utf-8")
    assert runner("init", "--empty").exit_code == 0
    assert runner("import", path).exit_code == 0
    shown = json.loads(runner("show", IRAQ_2026, "--format", "json").stdout)
    assert not {"method", "phase"} & set(shown["refueling"])
    again = tmp_path / "again.json"
    again.write_text(json.dumps(shown), encoding="utf-8")
    assert runner("import", again, "--on-conflict", "replace").exit_code == 0
    assert json.loads(runner("show", IRAQ_2026, "--format", "json").stdout) == shown
