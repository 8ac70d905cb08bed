"""`mishaps similar` from the terms kept in the database (issue 16): kept right through every
write, exact under its pruning, the same on SQLite and PostgreSQL, and there after an upgrade."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

import mishaps
from mishaps.config import to_url
from mishaps.db import make_engine
from mishaps.reports.labels import label
from mishaps.taxonomy import mechanism_name
from tests.conftest import SEED_FILES, fill_with_seed, seed_cases

NOZZLE = "2024-08-21-kc-46a-f-15e-california"
PARAGRAPH = (
    "During contact with an F-15E the KC-46A boom nozzle bound in the receptacle and would not"
    " disconnect. When it released, the boom struck the receiver and was damaged."
)


def rankings(where: str | Path, ids: list[str], *, limit: int = 5) -> dict[str, Any]:
    """Every ranking a test compares: of each case, and of a paragraph."""
    with mishaps.open(str(where)) as db:
        out: dict[str, Any] = {i: [m.as_dict() for m in db.similar(i, limit=limit)] for i in ids}
        out["--text"] = [m.as_dict() for m in db.similar_text(PARAGRAPH, limit=limit)]
    return out


def stored_terms(where: str | Path) -> dict[str, Any]:
    """The similar tables by case id (keys differ between databases; ids do not)."""
    engine = make_engine(to_url(str(where)))
    try:
        with engine.connect() as conn:
            ids = dict(conn.execute(text("SELECT pk, id FROM mishap")).all())
            postings = sorted(
                (t, ids[pk], n, w)
                for t, pk, n, w in conn.execute(text("SELECT * FROM similar_term"))
            )
            cases = sorted(
                (ids[pk], w, t)
                for pk, w, t in conn.execute(
                    text("SELECT mishap_pk, words, terms FROM similar_case")
                )
            )
            df = sorted(conn.execute(text("SELECT term, cases FROM similar_df")).all())
    finally:
        engine.dispose()
    return {"postings": postings, "cases": cases, "df": df}


def write_cases(path: Path, cases: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"mishaps": cases}, default=str), encoding="utf-8")
    return path


def test_the_terms_follow_every_write(seeded_db, new_db: Callable[[], str], tmp_path: Path) -> None:
    """After a replace, a delete, an insert and a restore, the tables and every ranking are
    those of a new database loaded with the same final cases in another order."""
    seed = {c["id"]: c for c in seed_cases()}
    edited = dict(seed[NOZZLE], summary="The drogue basket struck the canopy at night.")
    edited["refueling"] = dict(seed[NOZZLE]["refueling"], mechanism=["basket-strike"])
    gone = "1959-10-15-b-52f-kc-135a-hardinsburg"
    extra = dict(seed[NOZZLE], id="2025-01-02-kc-46a-f-15e-copy", title="A copy of the nozzle case")
    before = rankings(seeded_db, [NOZZLE])
    with mishaps.open(str(seeded_db)) as db:
        db.import_files([write_cases(tmp_path / "edit.json", [edited])], on_conflict="replace")
        db.delete(gone)
        db.import_files([write_cases(tmp_path / "new.json", [extra])], on_duplicate="warn")
        final = json.loads(db.export(format="json"))["mishaps"]
    assert rankings(seeded_db, [NOZZLE])[NOZZLE] != before[NOZZLE]
    fresh = new_db()
    fill_with_seed(fresh, [])
    with mishaps.open(fresh) as db:
        db.import_files([write_cases(tmp_path / "final.json", final[::-1])], on_duplicate="warn")
    ids = sorted(c["id"] for c in final)
    expected = rankings(fresh, ids)
    assert rankings(seeded_db, ids) == expected
    assert stored_terms(seeded_db) == stored_terms(fresh)
    # A restore writes the tables too: the fresh database restored from the edited one's backup.
    (tmp_path / "edited.json").write_text(_backup_json(seeded_db), encoding="utf-8")
    with mishaps.open(fresh) as db:
        db.restore(tmp_path / "edited.json")
    assert rankings(fresh, ids) == expected
    assert stored_terms(fresh) == stored_terms(seeded_db)


def _backup_json(where: str | Path) -> str:
    with mishaps.open(str(where)) as db:
        return db.backup_json()


@pytest.mark.parametrize("case_id", [NOZZLE, "1959-10-15-b-52f-kc-135a-hardinsburg"])
def test_a_short_ranking_is_the_head_of_the_full_one(seeded_db, case_id: str) -> None:
    """The cut to the best candidates never changes the order: the best k are the first k of
    the ranking of every case."""
    everything = len(SEED_FILES)
    with mishaps.open(str(seeded_db)) as db:
        full = [m.as_dict() for m in db.similar(case_id, limit=everything)]
        text_full = [m.as_dict() for m in db.similar_text(PARAGRAPH, limit=everything)]
        for k in (1, 2, 3, 5, 10):
            assert [m.as_dict() for m in db.similar(case_id, limit=k)] == full[:k]
            assert [m.as_dict() for m in db.similar_text(PARAGRAPH, limit=k)] == text_full[:k]


def test_reasons_name_features_in_words_and_json_keeps_the_codes(runner, seeded_db) -> None:
    ranked = json.loads(runner("similar", NOZZLE, "--limit", "2", "-f", "json").stdout)
    for r in ranked:
        assert "boom-binding" in r["shared"]["mechanism"]
        assert r["shared"]["tanker"] == ["KC-46"]
        assert any(
            reason.startswith("same mechanism:") and mechanism_name("boom-binding") in reason
            for reason in r["reasons"]
        )
        assert not any("boom-binding" in reason for reason in r["reasons"])
        assert "same method: flying boom" in r["reasons"]
    phases = [(r, code) for r in ranked for code in r["shared"].get("phase", [])]
    for r, code in phases:
        assert f"same phase: {label('refueling_phase', code).lower()}" in r["reasons"]


@pytest.mark.postgres
def test_sqlite_and_postgresql_rank_alike(make_db: Callable[[str], str], _seed_loaded) -> None:
    ids = [c["id"] for c in seed_cases()]
    made = []
    for kind in ("sqlite", "postgres"):
        made.append(make_db(kind))
        fill_with_seed(made[-1], _seed_loaded)
    assert rankings(made[0], ids, limit=10) == rankings(made[1], ids, limit=10)
    assert stored_terms(made[0]) == stored_terms(made[1])


def test_similar_works_on_a_database_upgraded_from_0006(runner, seeded_db) -> None:
    """The migration fills the tables from the rows: the same rankings as a database that
    wrote them case by case."""
    from alembic import command

    from mishaps.db import _alembic_config

    ids = [c["id"] for c in seed_cases()]
    expected = rankings(seeded_db, ids)
    engine = make_engine(to_url(str(seeded_db)))
    with engine.begin() as conn:
        command.downgrade(_alembic_config(conn), "0006")
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0006"
    engine.dispose()
    assert runner("similar", NOZZLE).exit_code == 1  # refused until upgraded
    assert runner("db", "upgrade").exit_code == 0
    result = runner("similar", NOZZLE, "--limit", "5", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == expected[NOZZLE]
    assert rankings(seeded_db, ids) == expected
