"""Schema migrations and the revision check, `mishaps db status|upgrade`, on both backends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from sqlalchemy import text

from mishaps.config import display_db, to_url
from mishaps.db import create_schema, make_engine, migrate
from mishaps.migrations import HEAD, REVISIONS, include_name
from tests.conftest import SEED_FILES, downgrade

# SQLAlchemy cannot reflect expression indexes on SQLite (ix_mishap_service_lower, on
# lower(service)): reflecting a table warns and Alembic's comparison skips that index.
# PostgreSQL compares it, and tests/test_query_plans.py shows SQLite using it.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index ix_mishap_service_lower",
    "ignore:autogenerate skipping metadata-specified expression-based index"
    " 'ix_mishap_service_lower'",
)


def engine_for(where: str | Path) -> sa.Engine:
    return make_engine(to_url(str(where)), create=True)


def set_revision(where: str | Path, revision: str | None) -> None:
    """Rewrite the recorded revision (None: drop the record, as before migrations existed)."""
    engine = engine_for(where)
    with engine.begin() as conn:
        if revision is None:
            conn.execute(text("DROP TABLE alembic_version"))
        else:
            conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    engine.dispose()


def test_revisions_list_the_migration_scripts_in_order() -> None:
    from alembic.script import ScriptDirectory

    import mishaps.migrations

    scripts = ScriptDirectory(str(Path(mishaps.migrations.__file__).parent))
    assert tuple(s.revision for s in reversed(list(scripts.walk_revisions()))) == REVISIONS
    assert scripts.get_current_head() == HEAD


def test_models_and_migrations_agree(fresh_db) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    engine = engine_for(fresh_db)
    create_schema(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_name": include_name, "compare_type": True}
        )
        diff = compare_metadata(context, SQLModel.metadata)
        tables = set(sa.inspect(conn).get_table_names())
    engine.dispose()
    assert diff == []
    assert tables >= {"alembic_version", "mishap_fts" if "://" not in fresh_db else "mishap_search"}


# --- upgrading keeps every case ---------------------------------------------------------------

CORE_TABLES = (
    "mishap",
    "aircraft",
    "finding",
    "finding_hfacs",
    "mishap_category",
    "source",
    "revision",
)


def table_rows(conn: sa.Connection, name: str, columns: list[str] | None = None) -> list[dict]:
    table = sa.Table(name, sa.MetaData(), autoload_with=conn)
    cols = [table.c[c] for c in columns] if columns else list(table.c)
    stmt = sa.select(*cols).order_by(*table.primary_key.columns)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def column_names(conn: sa.Connection, name: str) -> list[str]:
    return [c["name"] for c in sa.inspect(conn).get_columns(name)]


def copy_rows_at_first_revision(source: sa.Engine, target: sa.Engine) -> None:
    """Fill a database at the first revision with the source's rows, as it would have held them:
    only the columns that revision has, and the full-text index as that revision fills it."""
    with source.connect() as src, target.begin() as dst:
        for name in CORE_TABLES:
            columns = column_names(dst, name)
            rows = table_rows(src, name, columns)
            if rows:
                dst.execute(sa.Table(name, sa.MetaData(), autoload_with=dst).insert(), rows)
        if target.dialect.name == "sqlite":
            rows = src.execute(text("SELECT rowid AS pk, title, summary, findings FROM mishap_fts"))
            dst.execute(
                text(
                    "INSERT INTO mishap_fts(rowid, title, summary, findings)"
                    " VALUES (:pk, :title, :summary, :findings)"
                ),
                [dict(r) for r in rows.mappings()],
            )
        else:
            rows = src.execute(
                text(
                    "SELECT mishap_pk, doc::text AS doc, findings::text AS findings"
                    " FROM mishap_search"
                )
            )
            dst.execute(
                text(
                    "INSERT INTO mishap_search VALUES"
                    " (:mishap_pk, CAST(:doc AS tsvector), CAST(:findings AS tsvector))"
                ),
                [dict(r) for r in rows.mappings()],
            )
            for table, column in (("mishap", "pk"), ("revision", "seq")):  # keys were given
                dst.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"
                        f" (SELECT max({column}) FROM {table}))"
                    )
                )


def as_first_revision_held_it(doc: dict) -> dict:
    """A seed case without the fields later revisions added (citations, mechanisms, series,
    coordinate basis, recommendation status): what a first-revision database could hold."""
    doc = {k: v for k, v in doc.items() if k not in ("cites", "series")}
    for part, keys in (("refueling", ("mechanism",)), ("location", ("approximate", "basis"))):
        if isinstance(doc.get(part), dict):
            doc[part] = {k: v for k, v in doc[part].items() if k not in keys}
    if doc.get("findings"):
        doc["findings"] = [
            {k: v for k, v in f.items() if k not in ("cites", "status", "status_as_of")}
            for f in doc["findings"]
        ]
    return doc


@pytest.fixture
def first_revision_db(runner, seeded_db, new_db, tmp_path) -> str:
    """A database at the first schema revision holding the seed cases and some history."""
    docs = [
        as_first_revision_held_it(yaml.safe_load(p.read_text(encoding="utf-8"))) for p in SEED_FILES
    ]
    docs[0]["summary"] = "Edited. " + docs[0]["summary"]
    held = tmp_path / "as-first-revision.json"
    held.write_text(json.dumps({"mishaps": docs}, default=str), encoding="utf-8")
    assert runner("import", held, "--on-conflict", "replace").exit_code == 0
    old = new_db()
    source, target = engine_for(seeded_db), engine_for(old)
    migrate(target, REVISIONS[0])
    copy_rows_at_first_revision(source, target)
    source.dispose()
    target.dispose()
    return old


def test_upgrade_from_the_first_revision_keeps_every_case(
    runner, seeded_db, first_revision_db, tmp_path
) -> None:
    """Meaningful once a second revision exists: until then the upgrade has nothing to do, and
    the test still checks that the first revision holds what today's code writes."""
    old = first_revision_db
    target = engine_for(old)
    with target.connect() as conn:
        before = {name: table_rows(conn, name) for name in CORE_TABLES}

    if len(REVISIONS) > 1:
        refused = runner("--db", old, "list")
        assert refused.exit_code == 1
        assert f"schema revision {REVISIONS[0]}; run: mishaps --db " in refused.stderr
    result = runner("--db", old, "db", "upgrade")
    assert result.exit_code == 0, result.stderr

    with target.connect() as conn:
        for name, rows in before.items():
            kept = table_rows(conn, name, list(rows[0]) if rows else None)
            assert kept == rows, f"{name} changed in the upgrade"
    # The first revision cannot hold what later revisions added (cites, mechanisms, series,
    # coordinate basis, recommendation status): the cases agree on everything else.
    exported = [
        json.loads(runner("--db", db, "export", "--format", "json").stdout)
        for db in (old, seeded_db)
    ]
    assert _without_later_fields(exported[0]) == _without_later_fields(exported[1])
    for args in (
        ["list", "--search", "boom*"],
        ["stats", "--by", "aircraft"],
        ["list", "--class", "A", "--format", "json"],  # the derived columns were filled
        ["stats", "--by", "class", "--format", "json"],
        ["stats", "--by", "fy", "--format", "json"],
        ["stats", "--by", "family", "--format", "json"],  # 0005 filled aircraft.family
        ["list", "--aircraft", "Voyager KC2", "--format", "json"],  # through the family
        *SERVICE_ANSWERS,  # 0010 filled mishap_service
    ):
        assert runner("--db", old, *args).stdout == runner("--db", seeded_db, *args).stdout, args
    # The upgraded database takes new cases (its key sequences are where they should be).
    new_case = tmp_path / "new.yaml"
    new_case.write_text(SEED_FILES[1].read_text(encoding="utf-8").replace("id: ", "id: zz-", 1))
    assert runner("--db", old, "import", new_case).exit_code == 0
    target.dispose()


SERVICE_ANSWERS = (
    ["list", "--service", "usn", "--format", "json"],
    ["list", "--service", "USAF/USN", "--format", "json"],
    ["list", "--service", "usaf (1st wing)", "--format", "json"],
    ["stats", "--by", "service", "--format", "json"],
)


def test_upgrade_to_0010_fills_the_service_parts_of_every_case(runner, seeded_db) -> None:
    """A database from before mishap_service (the revision before 0010) gets each case's service
    parts from the migration: --service and stats --by service answer as on a new database."""
    before = [runner(*args).stdout for args in SERVICE_ANSWERS]
    engine = engine_for(seeded_db)
    downgrade(engine, REVISIONS[REVISIONS.index("0010") - 1])
    assert not sa.inspect(engine).has_table("mishap_service")
    engine.dispose()
    assert runner("list", "--service", "usn").exit_code == 1  # told to upgrade first
    assert runner("db", "upgrade").exit_code == 0
    assert [runner(*args).stdout for args in SERVICE_ANSWERS] == before
    assert "USAF/USN" in before[0] and "USN/USAF" in before[0]


def test_upgrade_to_0011_marks_the_first_aircraft_of_each_type(runner, seeded_db) -> None:
    """A database from before aircraft.first_of_type gets it from the migration: the listing shows
    each case's types once each, in order, as on a new database (seed cases repeat types)."""
    listing = ["list", "--format", "json"]
    before = runner(*listing).stdout
    engine = engine_for(seeded_db)
    with engine.connect() as conn:
        marks = table_rows(conn, "aircraft", ["mishap_pk", "position", "first_of_type"])
    assert {m["first_of_type"] for m in marks} == {True, False}  # the seeds have repeats
    downgrade(engine, REVISIONS[REVISIONS.index("0011") - 1])
    assert "first_of_type" not in {c["name"] for c in sa.inspect(engine).get_columns("aircraft")}
    engine.dispose()
    assert runner("db", "upgrade").exit_code == 0
    with engine.connect() as conn:
        assert table_rows(conn, "aircraft", ["mishap_pk", "position", "first_of_type"]) == marks
    engine.dispose()
    after = runner(*listing).stdout
    assert after == before
    rows = {r["id"]: r for r in json.loads(after)}
    assert rows["2017-01-05-voyager-f-15-airprox-norfolk"]["aircraft"] == "Voyager, F-15"


# --- the revision check on every command ------------------------------------------------------


def test_status_of_a_current_database(runner, seeded_db) -> None:
    result = runner("db", "status")
    assert result.exit_code == 0
    assert (
        result.stdout
        == f"Database: {display_db(to_url(str(seeded_db)))}\nSchema revision: {HEAD} (current)\n"
    )
    again = runner("db", "upgrade")
    assert (
        again.stdout
        == f"{display_db(to_url(str(seeded_db)))} is already at schema revision {HEAD} (current).\n"
    )


def test_a_newer_database_is_refused_by_every_command(runner, seeded_db) -> None:
    set_revision(seeded_db, "9999")
    shown = display_db(to_url(str(seeded_db)))
    message = (
        f"Error: the database is at schema revision 9999, newer than this version of mishaps"
        f" knows (it knows up to {HEAD}); upgrade mishaps to use it\n"
    )
    for args in (
        ["list"],
        ["show", "2013-05-03-shell-77"],
        ["export"],
        ["stats"],
        ["db", "upgrade"],
        ["import", SEED_FILES[0]],
        ["init"],
        ["db", "copy", "--to", "elsewhere.db"],
    ):
        result = runner(*args)
        assert (result.exit_code, result.stderr) == (1, message), args
    status = runner("db", "status")
    assert status.exit_code == 0
    assert (
        status.stdout.splitlines()[1]
        == f"Schema revision: 9999 (newer than this mishaps knows, {HEAD}: upgrade mishaps)"
    )
    assert shown in status.stdout


def test_an_older_database_is_told_to_upgrade(runner, seeded_db, monkeypatch) -> None:
    if len(REVISIONS) > 1:
        set_revision(seeded_db, REVISIONS[-2])
        older, newest = REVISIONS[-2], HEAD
    else:  # only one revision yet: pretend this mishaps knows a second one
        older, newest = HEAD, "0002"
        monkeypatch.setattr("mishaps.db.REVISIONS", (*REVISIONS, newest))
        monkeypatch.setattr("mishaps.db.HEAD", newest)
        monkeypatch.setattr("mishaps.migrations.HEAD", newest)
    shown = display_db(to_url(str(seeded_db)))
    for args in (["list"], ["show", "2013-05-03-shell-77"], ["import", SEED_FILES[0]]):
        result = runner(*args)
        assert result.exit_code == 1, args
        hint = f"run: mishaps --db {shown} db upgrade"
        assert result.stderr == f"Error: the database is at schema revision {older}; {hint}\n"
    status = runner("db", "status").stdout.splitlines()[1]
    assert (
        status
        == f"Schema revision: {older} (older than {newest}; run: mishaps --db {shown} db upgrade)"
    )


def test_a_database_from_before_migrations_is_stamped_by_upgrade(
    runner, first_revision_db, monkeypatch
) -> None:
    """Databases made before migrations existed hold the first revision's schema, unrecorded."""
    set_revision(first_revision_db, None)
    monkeypatch.setenv("MISHAPS_DB", first_revision_db)
    shown = display_db(to_url(first_revision_db))
    result = runner("list")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: the database was made before schema revisions were recorded;"
        f" run: mishaps --db {shown} db upgrade\n"
    )
    assert runner("db", "status").stdout.splitlines()[1].startswith("Schema revision: unrecorded")
    upgraded = runner("db", "upgrade")
    assert upgraded.stdout == f"Upgraded {shown} from schema revision unrecorded to {HEAD}.\n"
    assert len(json.loads(runner("list", "--format", "json").stdout)) == len(SEED_FILES)


def test_an_unrecorded_database_with_derived_classes_is_stamped_as_such(runner, seeded_db) -> None:
    """Made by create_all after mishaps had classes by era: the second revision's shape."""
    expected = runner("export", "--format", "json").stdout
    set_revision(seeded_db, None)
    shown = display_db(to_url(str(seeded_db)))
    assert runner("list").exit_code == 1
    upgraded = runner("db", "upgrade")
    assert upgraded.stdout == f"Upgraded {shown} from schema revision unrecorded to {HEAD}.\n"
    assert runner("db", "status").stdout.splitlines()[1] == f"Schema revision: {HEAD} (current)"
    assert runner("export", "--format", "json").stdout == expected


def test_upgrade_of_an_empty_database_says_to_init(runner, fresh_db) -> None:
    shown = display_db(to_url(fresh_db))
    if "://" not in fresh_db:
        Path(fresh_db).touch()  # an empty SQLite file
    result = runner("db", "upgrade")
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"Error: {shown} holds no mishaps database; create one with: mishaps --db {shown} init\n"
    )


@pytest.mark.postgres
def test_init_on_postgres_then_every_query_command(runner, make_db) -> None:
    url = make_db("postgres")
    result = runner("--db", url, "init")
    assert result.exit_code == 0, result.stderr
    assert (
        result.stdout
        == f"Created the database {display_db(to_url(url))} with {len(SEED_FILES)} seed cases.\n"
    )
    for args in (
        ["list"],
        ["show", "2013-05-03-shell-77"],
        ["export", "--format", "csv"],
        ["stats", "--by", "category"],
        ["db", "status"],
    ):
        assert runner("--db", url, *args).exit_code == 0, args


def test_an_unreachable_server_is_one_clear_line(runner) -> None:
    pytest.importorskip("psycopg")
    result = runner("--db", "postgresql://nobody@127.0.0.1:9/none?connect_timeout=2", "list")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot open the database: ")
    assert len(result.stderr.splitlines()) == 1


def test_no_migration_is_drafted_while_the_models_and_migrations_agree(capsys) -> None:
    from mishaps.migrations.__main__ import main

    versions = sorted((Path(__file__).parent.parent / "mishaps/migrations/versions").glob("*.py"))
    assert main(["nothing changed"]) == 1
    assert capsys.readouterr().err == "Nothing to migrate: the models and the migrations agree.\n"
    after = sorted((Path(__file__).parent.parent / "mishaps/migrations/versions").glob("*.py"))
    assert after == versions


LATER_FIELDS = {
    "case": ("cites", "series"),
    "location": ("approximate", "basis"),
    "refueling": ("mechanism",),
    "finding": ("cites", "status", "status_as_of"),
}


def _without_later_fields(document: dict) -> dict:
    for case in document["mishaps"]:
        for key in LATER_FIELDS["case"]:
            case.pop(key, None)
        for part in ("location", "refueling"):
            for key in LATER_FIELDS[part]:
                (case.get(part) or {}).pop(key, None)
        for finding in case.get("findings") or []:
            for key in LATER_FIELDS["finding"]:
                finding.pop(key, None)
    return document


def test_upgrade_folds_the_search_entries_written_before_folding(
    runner, seeded_db, tmp_path, monkeypatch
) -> None:
    """Revision 0009 rebuilds the search entries: before it they held unfolded text, which the
    folded queries of today miss on both backends ("strasse" for "Straße")."""
    doc = yaml.safe_load(SEED_FILES[0].read_text(encoding="utf-8"))
    path = tmp_path / "accented.json"
    path.write_text(json.dumps({**doc, "id": "accented", "summary": "Over Straße."}, default=str))

    def found() -> list[str]:
        result = runner("list", "--search", "strasse", "--format", "json")
        assert result.exit_code == 0, result.stderr
        return [r["id"] for r in json.loads(result.stdout)]

    with monkeypatch.context() as unfolded:  # the entries as mishaps wrote them before 0009
        unfolded.setattr("mishaps.searchindex.fold", lambda s: s)
        assert runner("import", path).exit_code == 0
    assert found() == []
    engine = engine_for(seeded_db)
    downgrade(engine, REVISIONS[REVISIONS.index("0009") - 1])  # keeps the unfolded entries
    engine.dispose()
    result = runner("db", "upgrade")
    assert result.exit_code == 0, result.stderr
    assert found() == ["accented"]
