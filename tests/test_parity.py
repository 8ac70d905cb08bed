"""PostgreSQL and SQLite give the same answer to the same filters, however odd (issue 11, item 8).

Each odd string runs through every text filter on both backends, holding the same seed cases:
both must print the same ids, or the same one-line error.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import fill_with_seed

ODD = [
    "%",
    "_",
    "%%",
    "KC-%",
    "K_-135",
    "\\",
    "\\%",
    "'",
    '"',
    '""',
    "*",
    "boom*",
    "*boom",
    ":*",
    "&",
    "|",
    "!",
    "<->",
    "()",
    "a:b",
    "boom & !fire",
    "o'neil",
    "NEAR(boom fire)",
    "AND",
    "NOT boom",
    "-",
    "in-flight",
    "\u202e",
    "\x1b[2J",
    "日本",
    " ",
    "x" * 5000,
    "\x00",
    "boom\x00",
    "\udcff",
]
OPTIONS = ["--aircraft", "--search", "--cause", "--category", "--service"]


def _answer(runner, db: str, *args: str) -> tuple[int, list[str] | None, str]:
    result = runner("--db", db, "list", *args, "--format", "json")
    ids = [r["id"] for r in json.loads(result.stdout)] if result.exit_code == 0 else None
    return result.exit_code, ids, result.stderr


@pytest.fixture
def both(make_db, _seeded_template: Path, _seed_loaded, tmp_path: Path) -> tuple[str, str]:
    lite = tmp_path / "parity.db"
    shutil.copyfile(_seeded_template, lite)
    pg = make_db("postgres")
    fill_with_seed(pg, _seed_loaded)
    return str(lite), pg


@pytest.mark.postgres
@pytest.mark.parametrize("option", OPTIONS)
def test_odd_filter_strings_give_the_same_answer_on_both_backends(runner, both, option) -> None:
    lite, pg = both
    for value in ODD:
        sqlite_answer = _answer(runner, lite, option, value)
        assert sqlite_answer[0] in (0, 1, 2), (option, value, sqlite_answer)
        assert "unexpected" not in sqlite_answer[2]
        assert _answer(runner, pg, option, value) == sqlite_answer, (option, value)


@pytest.mark.postgres
@pytest.mark.parametrize("limit", ["99999999999999999999", str(2**63), str(2**63 - 1), "1"])
def test_a_huge_limit_gives_the_same_answer_on_both_backends(runner, both, limit) -> None:
    lite, pg = both
    sqlite_answer = _answer(runner, lite, "--limit", limit)
    assert sqlite_answer[0] == 0, sqlite_answer
    assert _answer(runner, pg, "--limit", limit) == sqlite_answer


@pytest.mark.postgres
@pytest.mark.xfail(
    reason="known gap: SQLite's unicode61 tokenizer folds diacritics (é is e), PostgreSQL's"
    " mishaps_english configuration does not; folding needs a re-index migration",
    strict=True,
)
def test_accented_search_terms_give_the_same_answer_on_both_backends(runner, both) -> None:
    lite, pg = both
    assert _answer(runner, pg, "--search", "é") == _answer(runner, lite, "--search", "é")


def test_a_percent_sign_is_no_wildcard(runner, seeded_db) -> None:
    for value in ("%", "_", "KC-%"):
        result = runner("list", "--aircraft", value, "--format", "json")
        assert (result.exit_code, result.stdout) == (0, "[]\n"), value
