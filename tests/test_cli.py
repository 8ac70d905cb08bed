"""The command line on the real seed data, through a real SQLite database."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import yaml

from mishaps import mds
from mishaps.nations import service_parts
from mishaps.queries import STATS_BY
from tests.conftest import SEED_FILES, seed_cases

SHELL_77 = "2013-05-03-shell-77"
IRAQ_2026 = "2026-03-12-kc-135-western-iraq"
KC46_BOOM = {
    "2022-10-15-kc-46a-f-15e-north-atlantic",
    "2022-11-07-kc-46a-f-22a-nozzle",
    "2024-08-21-kc-46a-f-15e-california",
}


def ids_of(runner, *args: str) -> list[str]:
    result = runner("list", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return [row["id"] for row in json.loads(result.stdout)]


def ids_in(runner, db) -> list[str]:
    result = runner("--db", db, "list", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return [row["id"] for row in json.loads(result.stdout)]


def history_json(runner, *args: str) -> list[dict]:
    result = runner(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def seed_ids_where(predicate) -> set[str]:
    """Expected results computed from the seed files themselves, not typed in by hand."""
    return {c["id"] for c in seed_cases() if predicate(c)}


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name)
def test_every_seed_file_validates(runner, path: Path) -> None:
    result = runner("validate", path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "OK: 1 case in 1 file are valid.\n"


def test_every_seed_case_cites_a_source_and_the_seed_cases_are_there() -> None:
    cases = {c["id"]: c for c in seed_cases()}
    assert {SHELL_77, IRAQ_2026} | KC46_BOOM <= set(cases)
    for case in cases.values():
        assert case["sources"] and all(s["url"].startswith("http") for s in case["sources"])
    assert cases[IRAQ_2026]["status"] != "final"  # still under investigation


def test_list_json_has_the_contract_fields(runner, seeded_db) -> None:
    rows = json.loads(runner("list", "--format", "json").stdout)
    assert len(rows) == len(SEED_FILES)
    assert {"id", "title", "occurred_on", "mishap_class"} <= set(rows[0])
    dates = [r["occurred_on"] for r in rows]
    assert dates == sorted(dates)


def test_aircraft_kc46_returns_the_boom_mishaps_and_no_kc135(runner, seeded_db) -> None:
    found = set(ids_of(runner, "--aircraft", "KC-46"))
    assert found >= KC46_BOOM
    assert SHELL_77 not in found and IRAQ_2026 not in found
    assert found == seed_ids_where(
        lambda c: any(a["type"].startswith("KC-46") for a in c["aircraft"])
    )


def test_aircraft_kc135_returns_2013_and_2026_but_no_kc46(runner, seeded_db) -> None:
    found = set(ids_of(runner, "--aircraft", "KC-135"))
    assert {SHELL_77, IRAQ_2026} <= found
    assert not found & KC46_BOOM
    # The family takes in the aliases of data/aircraft_families.yaml (the French C-135F/FR).
    assert found == seed_ids_where(
        lambda c: any(mds.family(a["type"]) == "KC-135" for a in c["aircraft"])
    )


def test_series_letter_narrows_the_match(runner, seeded_db) -> None:
    found = set(ids_of(runner, "--aircraft", "KC-135R"))
    assert SHELL_77 in found
    assert IRAQ_2026 not in found  # sources say only "KC-135"


def test_aircraft_and_role_must_hold_for_the_same_aircraft(runner, seeded_db) -> None:
    as_receiver = set(ids_of(runner, "--aircraft", "F-15", "--role", "receiver"))
    assert as_receiver == seed_ids_where(
        lambda c: any(
            a["type"].startswith("F-15") and a["role"] == "receiver" for a in c["aircraft"]
        )
    )
    assert as_receiver
    assert ids_of(runner, "--aircraft", "F-15", "--role", "tanker") == []


@pytest.mark.parametrize(
    ("option", "value", "predicate"),
    [
        ("--class", "C", lambda c: c.get("mishap_class") == "C"),
        ("--status", "final", lambda c: c["status"] == "final"),
        (
            "--service",
            "usaf",  # a joint case (USAF/USN, RAF/USAF) too
            lambda c: "usaf" in [p.casefold() for p in service_parts(c["service"])],
        ),
        ("--method", "boom", lambda c: (c.get("refueling") or {}).get("method") == "boom"),
        (
            "--phase",
            "not-refueling",
            lambda c: (c.get("refueling") or {}).get("phase") == "not-refueling",
        ),
        (
            "--category",
            "SCF",
            lambda c: any(x.startswith("SCF") for x in c.get("occurrence_categories") or []),
        ),
        ("--category", "LOC-I", lambda c: "LOC-I" in (c.get("occurrence_categories") or [])),
        ("--role", "receiver", lambda c: any(a["role"] == "receiver" for a in c["aircraft"])),
    ],
)
def test_each_filter_on_seed_data(runner, seeded_db, option, value, predicate) -> None:
    expected = seed_ids_where(predicate)
    assert expected, "the seed data should exercise this filter"
    assert set(ids_of(runner, option, value)) == expected


def test_date_range_filters_use_the_whole_period_of_partial_dates(runner, seeded_db) -> None:
    found = ids_of(runner, "--since", "2022", "--until", "2024-08")
    assert set(found) >= KC46_BOOM
    assert all("2022" <= i[:4] <= "2024" for i in found)
    assert IRAQ_2026 not in found
    assert ids_of(runner, "--since", "2026-03-12") == ids_of(runner, "--since", "2026-03")


def test_cause_matches_finding_text_and_categories(runner, seeded_db) -> None:
    by_text = set(ids_of(runner, "--cause", "Dutch roll"))
    assert by_text == {SHELL_77}
    by_code = set(ids_of(runner, "--cause", "LOC-I"))
    assert by_code == seed_ids_where(lambda c: "LOC-I" in (c.get("occurrence_categories") or []))


def test_full_text_search(runner, seeded_db) -> None:
    assert set(ids_of(runner, "--search", "Chaldovar")) == {SHELL_77}
    assert set(ids_of(runner, "--search", "nozzle")) >= KC46_BOOM
    assert ids_of(runner, "--search", "zeppelin") == []
    # Text that looks like FTS syntax is searched for, not executed.
    result = runner("list", "--search", 'boom" OR NEAR(', "--format", "json")
    assert result.exit_code == 0, result.stderr


def test_limit(runner, seeded_db) -> None:
    assert len(ids_of(runner, "--limit", "2")) == 2


def test_filters_are_spelled_the_same_on_every_query_command(runner) -> None:
    options = [
        "--aircraft",
        "--role",
        "--cause",
        "--category",
        "--hfacs",
        "--class",
        "--fy",
        "--since",
        "--until",
        "--service",
        "--method",
        "--phase",
        "--mechanism",
        "--status",
        "--search",
        "--limit",
    ]
    for command in ("list", "export", "stats", "rates"):
        help_text = runner(command, "--help").stdout
        for option in options:
            assert option in help_text, (command, option)


def test_export_import_export_round_trip_is_identical(runner, seeded_db, new_db, tmp_path) -> None:
    for fmt in ("yaml", "json"):
        first = runner("export", "--format", fmt).stdout
        out = tmp_path / f"all.{fmt}"
        out.write_text(first, encoding="utf-8")
        fresh = new_db()
        assert runner("--db", fresh, "init", "--empty").exit_code == 0
        assert runner("--db", fresh, "import", out).exit_code == 0
        assert runner("--db", fresh, "export", "--format", fmt).stdout == first


def test_export_csv_is_one_row_a_mishap(runner, seeded_db) -> None:
    rows = list(csv.DictReader(io.StringIO(runner("export", "--format", "csv").stdout)))
    assert len(rows) == len(SEED_FILES)
    shell = next(r for r in rows if r["id"] == SHELL_77)
    assert shell["fatalities"] == "3"
    assert "KC-135R" in shell["aircraft"]


def test_export_to_file(runner, seeded_db, tmp_path) -> None:
    out = tmp_path / "kc46.json"
    result = runner("export", "--aircraft", "KC-46", "--format", "json", "-o", out)
    assert result.exit_code == 0
    assert {c["id"] for c in json.loads(out.read_text())["mishaps"]} >= KC46_BOOM


def test_show_text_says_unknown_not_zero(runner, seeded_db) -> None:
    result = runner("show", IRAQ_2026)
    assert result.exit_code == 0
    assert "Air refueling:" in result.stdout and "unknown" in result.stdout
    assert "Fatalities:           6" in result.stdout


def test_show_yaml_is_the_interchange_format(runner, seeded_db) -> None:
    doc = yaml.safe_load(runner("show", SHELL_77, "--format", "yaml").stdout)
    assert doc["id"] == SHELL_77 and doc["aircraft"][0]["type"] == "KC-135R"


def test_show_unknown_id_is_one_clear_line(runner, seeded_db) -> None:
    result = runner("show", "no-such-case")
    assert result.exit_code == 1
    assert (
        result.stderr == "Error: no mishap with id 'no-such-case' (list them with: mishaps list)\n"
    )


def test_stats_counts_unknown_fatalities_apart(runner, fresh_db, tmp_path) -> None:
    base = yaml.safe_load((Path(SEED_FILES[0])).read_text())
    base.pop("cites", None)  # the template's citations name its own facts, replaced below
    known = {
        **base,
        "id": "known-case",
        "occurred_on": "2001-05-05",
        "fatalities": 2,
        "aircraft": [{"role": "tanker", "type": "KC-10A"}],
    }
    unknown = {
        **base,
        "id": "unknown-case",
        "occurred_on": "2001-06-06",
        "fatalities": None,
        "mishap_class": None,
        "aircraft": [{"role": "tanker", "type": "KC-10A"}],
    }
    zero = {
        **base,
        "id": "zero-case",
        "occurred_on": "2002-01-01",
        "fatalities": 0,
        "aircraft": [{"role": "receiver", "type": "F-16C"}],
    }
    f = tmp_path / "cases.json"
    f.write_text(json.dumps({"mishaps": [known, unknown, zero]}, default=str))
    assert runner("init", "--empty").exit_code == 0
    assert runner("import", f).exit_code == 0, runner("import", f).stderr
    data = json.loads(runner("stats", "--by", "year", "--format", "json").stdout)
    by_year = {r["key"]: r for r in data["rows"]}
    assert by_year["2001"] == {
        "key": "2001",
        "mishaps": 2,
        "aircraft": None,
        "fatalities": 2,
        "fatalities_unknown": 1,
    }
    assert by_year["2002"]["fatalities"] == 0 and by_year["2002"]["fatalities_unknown"] == 0
    assert data["total"]["fatalities_unknown"] == 1
    table = runner("stats", "--by", "aircraft").stdout
    assert "KC-10A" in table and "aircraft with killed unknown" in table


@pytest.mark.parametrize(
    "by",
    STATS_BY,
)
def test_stats_every_grouping_adds_up(runner, seeded_db, by) -> None:
    data = json.loads(runner("stats", "--by", by, "--format", "json").stdout)
    assert data["total"]["mishaps"] == len(SEED_FILES)
    if by in ("year", "fy", "class", "phase"):  # each mishap in exactly one group
        assert sum(r["mishaps"] for r in data["rows"]) == len(SEED_FILES)
        assert sum(r["fatalities"] for r in data["rows"]) == data["total"]["fatalities"]


def test_first_run_creates_and_seeds_the_default_database(runner, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("MISHAPS_DB")
    result = runner("list", "--format", "json")
    assert result.exit_code == 0
    default = tmp_path / "xdg-data" / "mishaps" / "mishaps.db"
    assert default.exists()
    assert (
        result.stderr
        == f"Created the database {default} with {len(SEED_FILES)} seed cases (mishaps init).\n"
    )
    assert len(json.loads(result.stdout)) == len(SEED_FILES)
    again = runner("list", "--format", "json")
    assert again.stderr == ""


def test_explicit_missing_database_is_an_error_not_a_new_file(runner, tmp_path) -> None:
    missing = tmp_path / "nope.db"
    result = runner("--db", missing, "list")
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"Error: no database at {missing}; create it with: mishaps --db {missing} init\n"
    )
    assert not missing.exists()


def test_init_twice_is_harmless(runner, new_db) -> None:
    db = new_db()
    first = runner("--db", db, "init")
    assert first.stdout == f"Created the database {db} with {len(SEED_FILES)} seed cases.\n"
    second = runner("--db", db, "init")
    assert second.exit_code == 0
    assert second.stdout == (
        f"{db} already holds a mishaps database ({len(SEED_FILES)} cases); nothing changed."
        " Seed cases are loaded only into a new database; to add them:"
        " mishaps import seed_data/*.yaml --on-conflict skip\n"
    )
    assert len(json.loads(runner("--db", db, "list", "--format", "json").stdout)) == len(SEED_FILES)


def test_init_never_brings_back_a_deleted_seed_case(runner, new_db) -> None:
    """Defect 1 (issue 10): on a shared database, init must not undo a colleague's delete."""
    db = new_db()
    assert runner("--db", db, "init").exit_code == 0
    assert runner("--db", db, "delete", SHELL_77, "--yes").exit_code == 0
    again = runner("--db", db, "init")
    assert again.exit_code == 0, again.stderr
    assert SHELL_77 not in ids_in(runner, db)
    actions = [r["action"] for r in history_json(runner, "--db", db, "history", SHELL_77)]
    assert actions == ["insert", "delete"]
    assert f"({len(SEED_FILES) - 1} cases); nothing changed." in again.stdout


def test_init_on_a_fresh_default_database_says_what_it_did_once(runner, monkeypatch) -> None:
    """Defect 1: it used to print "Created ... with 16 seed cases" and then "0 seed cases added"."""
    monkeypatch.delenv("MISHAPS_DB")
    result = runner("init")
    assert result.exit_code == 0, result.stderr
    text = result.stdout + result.stderr
    assert text.count("seed cases") == 1
    assert f"with {len(SEED_FILES)} seed cases" in text


def test_init_empty_on_a_fresh_default_database_loads_no_seed_case(runner, monkeypatch) -> None:
    monkeypatch.delenv("MISHAPS_DB")
    result = runner("init", "--empty")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith(" with 0 seed cases.\n") and result.stderr == ""
    assert runner("list", "--format", "json").stdout == "[]\n"


def test_init_empty_then_init_loads_the_seed_cases(runner, new_db) -> None:
    db = new_db()
    assert (
        runner("--db", db, "init", "--empty").stdout
        == f"Created the database {db} with 0 seed cases.\n"
    )
    # never held a case: nothing to undo, so the seeds go in
    assert runner("--db", db, "init").exit_code == 0
    assert len(ids_in(runner, db)) == len(SEED_FILES)


def test_bad_date_filter_is_a_usage_error(runner, seeded_db) -> None:
    result = runner("list", "--since", "2013-02-30")
    assert result.exit_code == 2
    assert "2013-02-30" in result.stderr


def all_commands(app) -> list[list[str]]:
    import typer.main

    group = typer.main.get_command(app)
    out = []

    def walk(cmd, path):
        out.append(path)
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, [*path, name])

    walk(group, [])
    return out


def test_the_command_registry_is_what_each_command_says_of_itself() -> None:
    """`mishaps --help` lists commands from ``mishaps.cli.COMMANDS`` without importing their
    modules (issue 16): each entry must name the module that registers the command and give the
    help the command itself would show, at every terminal width."""
    import typer.main

    from mishaps.cli import COMMANDS, app

    group = typer.main.get_command(app)
    ctx = group.make_context("mishaps", [], resilient_parsing=True)
    listed = group.list_commands(ctx)
    assert listed == [name for name, _, _ in COMMANDS]
    stubs = {name: group.commands.stub(name) for name in listed}  # type: ignore[attr-defined]
    for name, module, text in COMMANDS:
        real = group.get_command(ctx, name)
        assert real is not stubs[name] and module in app.loaded, name
        assert real.hidden == stubs[name].hidden, name
        for width in range(10, 200):
            assert real.get_short_help_str(width) == stubs[name].get_short_help_str(width), name
        assert text == real.get_short_help_str(10_000), f"{name}: the help's first sentence"
    # Every module's commands are in the registry: none is reachable only once its module loads.
    registered = {info.name for _, info in app.deferred if getattr(info, "name", None)}
    assert registered <= set(listed)
    assert len(app.deferred) == len(COMMANDS)


def test_top_level_help_is_the_same_with_every_command_built() -> None:
    """The stubs' help is byte for byte what the built commands' own help gives."""
    import typer.main

    from mishaps.cli import COMMANDS, app

    group = typer.main.get_command(app)
    ctx = group.make_context("mishaps", [], resilient_parsing=True)
    lazy = group.get_help(ctx)
    assert group.commands.built == {}  # type: ignore[attr-defined]
    for name, _, _ in COMMANDS:
        group.get_command(ctx, name)
    assert list(group.commands.built) == [name for name, _, _ in COMMANDS]  # type: ignore[attr-defined]
    assert group.get_help(ctx) == lazy  # now listed from the built commands


def test_every_command_has_help_that_teaches(runner) -> None:
    from mishaps.cli import app

    commands = all_commands(app)
    assert len(commands) > 5
    for path in commands:
        result = runner(*path, "--help")
        assert result.exit_code == 0, path
        assert "Usage:" in result.stdout
        if path:
            assert "Example:" in result.stdout, f"`mishaps {' '.join(path)} --help` has no example"
