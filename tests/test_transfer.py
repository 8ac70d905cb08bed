"""`mishaps db copy` between backends, and the same answers from SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from mishaps.config import display_db, to_url
from mishaps.db import make_engine, session_scope
from mishaps.transfer import history
from tests.conftest import SEED_FILES, fill_with_seed

SHELL_77 = "2013-05-03-shell-77"


@pytest.fixture
def make_seeded(make_db, _seed_loaded, runner, tmp_path):
    """Makes a database of a kind holding the seed cases, one of them edited (more history)."""

    def make(kind: str) -> str:
        where = make_db(kind)
        fill_with_seed(where, _seed_loaded)
        edited = tmp_path / "edited.yaml"
        text = next(p for p in SEED_FILES if SHELL_77 in p.name).read_text(encoding="utf-8")
        edited.write_text(text.replace("summary: ", "summary: Edited. ", 1), encoding="utf-8")
        result = runner("--db", where, "import", edited, "--on-conflict", "replace")
        assert result.exit_code == 0, result.stderr
        return where

    return make


def history_of(where: str) -> list[dict]:
    engine = make_engine(to_url(where))
    with session_scope(engine) as session:
        rows = history(session)
    engine.dispose()
    return rows


def exports(runner, where: str) -> list[str]:
    out = []
    for fmt in ("yaml", "json", "csv"):
        result = runner("--db", where, "export", "--format", fmt)
        assert result.exit_code == 0, result.stderr
        out.append(result.stdout)
    return out


@pytest.mark.parametrize(
    ("source_kind", "target_kind"),
    [("sqlite", "postgres"), ("postgres", "sqlite"), ("sqlite", "sqlite")],
)
def test_copy_keeps_every_case_and_its_history(
    runner, make_seeded, make_db, source_kind, target_kind
) -> None:
    source, target = make_seeded(source_kind), make_db(target_kind)
    result = runner("--db", source, "db", "copy", "--to", target)
    assert result.exit_code == 0, result.stderr
    n = len(SEED_FILES)
    assert result.stdout == (
        f"Copied {n} cases and {n + 1} history entries from {display_db(to_url(source))}"
        f" to {display_db(to_url(target))}.\n"
    )
    assert exports(runner, target) == exports(runner, source)
    assert history_of(target) == history_of(source)
    assert [r["action"] for r in history_of(target) if r["mishap_id"] == SHELL_77] == [
        "insert",
        "replace",
    ]


@pytest.mark.postgres
def test_copy_there_and_back_again_is_identical(runner, make_seeded, make_db) -> None:
    source = make_seeded("sqlite")
    there, back = make_db("postgres"), make_db("sqlite")
    assert runner("--db", source, "db", "copy", "--to", there).exit_code == 0
    assert runner("--db", there, "db", "copy", "--to", back).exit_code == 0
    assert exports(runner, back) == exports(runner, source)
    assert history_of(back) == history_of(source)


def test_copy_into_a_database_that_holds_cases_is_refused_unless_told(
    runner, make_seeded, backend, tmp_path
) -> None:
    source, target = make_seeded(backend), make_seeded(backend)
    before = exports(runner, target)
    result = runner("--db", source, "db", "copy", "--to", target)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: the target already holds {len(SEED_FILES)} cases and {len(SEED_FILES) + 1}"
        " history entries; nothing copied (use --on-conflict skip or --on-conflict replace"
        " to copy into it)\n"
    )
    assert exports(runner, target) == before

    new = tmp_path / "new.yaml"
    new.write_text(SEED_FILES[0].read_text(encoding="utf-8").replace("id: ", "id: zz-", 1))
    assert runner("--db", source, "import", new).exit_code == 0
    skipped = runner("--db", source, "db", "copy", "--to", target, "--on-conflict", "skip")
    assert skipped.exit_code == 0, skipped.stderr
    assert skipped.stdout.startswith(
        f"Copied 1 case (1 added, 0 replaced, {len(SEED_FILES)} skipped)"
    )
    assert exports(runner, target) == exports(runner, source)  # the same cases on both sides

    replaced = runner("--db", source, "db", "copy", "--to", target, "--on-conflict", "replace")
    assert replaced.exit_code == 0, replaced.stderr
    n = len(SEED_FILES) + 1
    assert replaced.stdout.startswith(f"Copied {n} cases (0 added, {n} replaced, 0 skipped)")
    shell = [r for r in history_of(target) if r["mishap_id"] == SHELL_77]
    # The target's own two versions, the source's two, and the copy that replaced them.
    assert [r["action"] for r in shell] == ["insert", "replace", "insert", "replace", "replace"]
    assert shell[-1]["command"] == "db copy" and shell[-1]["document"] == shell[-2]["document"]


def test_copy_to_itself_is_refused(runner, seeded_db) -> None:
    result = runner("db", "copy", "--to", str(seeded_db))
    assert result.exit_code == 1
    shown = display_db(to_url(str(seeded_db)))
    assert result.stderr == f"Error: {shown} is the database being copied; name another with --to\n"


# --- the same answers on both backends --------------------------------------------------------

SEARCHES = [
    "boom*",
    "refuel*",
    "nozzle",
    "Chaldovar",
    "the boom",
    "in-flight",
    "in flight",
    "fuel leak",
    "refuelling",
    "hose drogue",
    "collision",
    "don't",
    'boom" OR NEAR(',
    "F-15E",
    "KC-135",
    "KC-135R",
    "F-1*",
    "kc-1*",
    "crash*",
    "fire",
    "aircrew",
    "Dutch roll",
    "of the",
    "tu-154",
    "mid-air",
    "killed",
    "damage*",
    "receptacle",
    "basket",
    "E/R/T",
    "zeppelin",
]


def answers(runner, where: str) -> dict[str, str]:
    out = {}
    for query in SEARCHES:
        for option in ("--search", "--cause"):
            result = runner("--db", where, "list", option, query, "--format", "json")
            assert result.exit_code == 0, (query, result.stderr)
            out[f"{option} {query}"] = result.stdout
    for by in ("year", "aircraft", "role", "category", "class", "phase", "service"):
        out[f"stats {by}"] = runner("--db", where, "stats", "--by", by, "--format", "json").stdout
    for args in (
        ["--aircraft", "KC-135"],
        ["--category", "SCF"],
        ["--since", "2022", "--until", "2024-08"],
    ):
        out[" ".join(args)] = runner("--db", where, "list", *args, "--format", "json").stdout
    return out


@pytest.mark.postgres
def test_sqlite_and_postgres_give_the_same_answers_on_the_seed_data(runner, make_seeded) -> None:
    sqlite, postgres = make_seeded("sqlite"), make_seeded("postgres")
    on_sqlite, on_postgres = answers(runner, sqlite), answers(runner, postgres)
    assert on_postgres == on_sqlite
    # The searches are not vacuous: most find something, not everything.
    found = [len(json.loads(v)) for k, v in on_sqlite.items() if k.startswith("--search")]
    assert sum(0 < n < len(SEED_FILES) for n in found) >= len(SEARCHES) // 2


@pytest.mark.slow  # whole summaries or every service: `make test-slow`, in CI
@pytest.mark.postgres
def test_reports_from_sqlite_and_postgres_are_the_same_bytes(
    runner, make_seeded, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    sqlite, postgres = make_seeded("sqlite"), make_seeded("postgres")
    for args in (["brief", SHELL_77], ["summary", "--aircraft", "KC-135"]):
        pdfs = []
        for where in (sqlite, postgres):
            out = tmp_path / f"{args[0]}-{len(pdfs)}.pdf"
            result = runner("--db", where, "report", *args, "-o", out)
            assert result.exit_code == 0, result.stderr
            pdfs.append(out.read_bytes())
        assert pdfs[0] == pdfs[1], args


def test_copy_into_a_database_at_an_older_revision_asks_to_upgrade_it(
    runner, seeded_db, new_db
) -> None:
    from mishaps.db import migrate
    from mishaps.migrations import REVISIONS

    target = new_db()
    engine = make_engine(to_url(target), create=True)
    migrate(engine, REVISIONS[0])
    engine.dispose()
    result = runner("db", "copy", "--to", target)
    assert result.exit_code == 1
    shown = display_db(to_url(target))
    assert result.stderr == (
        f"Error: the database is at schema revision {REVISIONS[0]};"
        f" run: mishaps --db {shown} db upgrade\n"
    )
    assert runner("--db", target, "db", "upgrade").exit_code == 0
    assert runner("db", "copy", "--to", target).exit_code == 0
