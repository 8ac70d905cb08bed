"""History: every insert, replace and delete is kept; `show --as-of` reads it back."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from mishaps.config import seed_dir

IRAQ = "2026-03-12-kc-135-western-iraq"


def seed_doc(mishap_id: str) -> dict:
    return yaml.safe_load((seed_dir() / f"{mishap_id}.yaml").read_text(encoding="utf-8"))


def breaking_news(doc: dict) -> dict:
    """The case as a first press report would have it: status press, casualties unknown."""
    early = {**doc, "status": "press", "fatalities": None, "injuries": None}
    early["aircraft"] = [{**a, "fatalities": None, "injuries": None} for a in doc["aircraft"]]
    # A citation names a filled fact: the casualties now unknown cite nothing.
    early["cites"] = {
        path: nums
        for path, nums in (doc.get("cites") or {}).items()
        if not path.endswith(("fatalities", "injuries"))
    }
    return early


def write_yaml(path: Path, doc: dict) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def backdate(db: Path | str, mishap_id: str, at: str) -> None:
    """Pretend the case's revisions so far were made at ``at`` (an SQLite path or a URL)."""
    from sqlalchemy import text

    from mishaps.config import to_url
    from mishaps.db import make_engine

    engine = make_engine(to_url(str(db)))
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE revision SET at = :at WHERE mishap_id = :id"), {"at": at, "id": mishap_id}
        )
    engine.dispose()


def test_show_as_of_gives_the_case_as_it_stood_then(runner, tmp_path) -> None:
    db = tmp_path / "history.db"
    assert runner("--db", db, "init", "--empty").exit_code == 0
    final = seed_doc(IRAQ)
    early = breaking_news(final)
    assert runner("--db", db, "import", write_yaml(tmp_path / "early.yaml", early)).exit_code == 0
    backdate(db, IRAQ, "2026-03-12T20:00:00Z")
    later = write_yaml(tmp_path / "official.yaml", final)
    assert runner("--db", db, "import", later, "--on-conflict", "replace").exit_code == 0

    def shown(*args: str) -> dict:
        result = runner("--db", db, "show", IRAQ, "--format", "json", *args)
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    now = shown()
    assert now["fatalities"] == final["fatalities"] is not None
    then = shown("--as-of", "2026-03-12")
    assert then["status"] == "press" and then["fatalities"] is None
    assert shown("--as-of", "2026-03-12T20:00:00Z") == then
    assert runner("--db", db, "show", IRAQ, "--as-of", "2026-03-12T19:59:59Z").exit_code == 1
    assert shown("--as-of", "2999-01-01") == now


def test_as_of_before_the_first_revision_is_not_found(runner, seeded_db) -> None:
    backdate(seeded_db, IRAQ, "2026-03-13T08:00:00Z")
    result = runner("show", IRAQ, "--as-of", "2026-03-12")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {IRAQ!r} did not exist yet at 2026-03-12T23:59:59Z;"
        " its first revision is from 2026-03-13T08:00:00Z\n"
    )


def test_as_of_must_be_a_date_or_a_timestamp(runner, seeded_db) -> None:
    result = runner("show", IRAQ, "--as-of", "last tuesday")
    assert result.exit_code == 2
    assert "Invalid value for --as-of" in result.stderr


def test_delete_keeps_the_history_and_as_of_still_works(runner, seeded_db) -> None:
    backdate(seeded_db, IRAQ, "2026-03-13T08:00:00Z")  # imported before today's delete
    before = json.loads(runner("show", IRAQ, "--format", "json").stdout)
    result = runner("delete", IRAQ, "--yes")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"Deleted {IRAQ}; `mishaps history {IRAQ}` still lists its revisions.\n"
    assert runner("show", IRAQ).exit_code == 1
    assert IRAQ not in runner("list").stdout
    rows = json.loads(runner("history", IRAQ, "--format", "json").stdout)
    assert [r["action"] for r in rows] == ["insert", "delete"]
    assert rows[1]["command"] == "delete" and rows[1]["file"] is None
    assert [r["seq"] for r in rows] == sorted(r["seq"] for r in rows)
    deleted = runner("show", IRAQ, "--as-of", "2999-01-01")
    assert deleted.exit_code == 1
    assert (
        f"Error: {IRAQ!r} was deleted by 2999-01-01T23:59:59Z (revision {rows[1]['seq']}"
        in deleted.stderr
    )
    first = runner("show", IRAQ, "--format", "json", "--as-of", rows[0]["at"])
    assert json.loads(first.stdout) == before


def test_history_table_lists_every_revision(runner, seeded_db, tmp_path) -> None:
    path = write_yaml(tmp_path / "iraq.yaml", seed_doc(IRAQ))
    assert runner("import", path, "--on-conflict", "replace").exit_code == 0
    lines = runner("history", IRAQ).stdout.splitlines()
    assert lines[0].split() == ["rev", "seq", "when", "(UTC)", "action", "command", "file"]
    assert [line.split()[3] for line in lines[2:]] == ["insert", "replace"]
    command, shown = lines[3].split()[4:]
    assert command == "import"
    # A long file name is cut to the column's width, with an ellipsis: the head is the path's.
    assert shown == str(path) or (shown.endswith("…") and str(path).startswith(shown[:-1]))


def test_history_of_an_unknown_id_is_an_error(runner, seeded_db) -> None:
    result = runner("history", "no-such-case")
    assert result.exit_code == 1
    assert (
        result.stderr
        == "Error: no history for 'no-such-case': no case with that id was ever imported\n"
    )


def test_delete_asks_first_and_a_no_deletes_nothing(runner, seeded_db) -> None:
    result = runner("delete", IRAQ, input="n\n")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Delete {IRAQ} (")
    assert result.stderr.endswith("Error: not confirmed; nothing deleted\n")
    assert runner("show", IRAQ).exit_code == 0
    assert runner("delete", IRAQ, input="y\n").exit_code == 0
    assert runner("show", IRAQ).exit_code == 1


def test_delete_without_a_terminal_and_without_yes_aborts_cleanly(runner, seeded_db) -> None:
    result = runner("delete", IRAQ)  # empty stdin: nobody to answer
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "Error: no answer to the confirmation; nothing deleted"
        " (pass --yes to delete without asking)"
    )
    assert runner("show", IRAQ).exit_code == 0


def test_delete_of_an_unknown_id_is_not_found(runner, seeded_db) -> None:
    result = runner("delete", "no-such-case", "--yes")
    assert result.exit_code == 1
    assert (
        result.stderr
        == "Error: no mishap with id 'no-such-case' (list them with: mishaps list); nothing deleted\n"
    )


def test_show_revision_gives_a_deleted_case_as_its_first_entry_recorded_it(
    runner, seeded_db
) -> None:
    before = runner("show", IRAQ, "--format", "json").stdout
    assert runner("delete", IRAQ, "--yes").exit_code == 0
    assert runner("show", IRAQ, "--revision", "1", "--format", "json").stdout == before
    gone = runner("show", IRAQ, "--revision", "2")
    assert gone.exit_code == 1
    assert gone.stderr.startswith(f"Error: revision 2 of {IRAQ!r} is its deletion (")
    beyond = runner("show", IRAQ, "--revision", "3")
    assert beyond.stderr == f"Error: {IRAQ!r} has revisions 1 to 2, not 3\n"
    rows = json.loads(runner("history", IRAQ, "--format", "json").stdout)
    assert [r["rev"] for r in rows] == [1, 2]


def test_a_bad_as_of_is_a_usage_error(runner, seeded_db) -> None:
    result = runner("show", IRAQ, "--as-of", "yesterday")
    assert result.exit_code == 2
    assert "Invalid value for --as-of: 'yesterday' is neither a date" in result.stderr
