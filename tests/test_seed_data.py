"""The seed casebook keeps the coding rules that seed_data/README.md writes down."""

from __future__ import annotations

import yaml

from mishaps.config import data_dir, seed_dir
from tests.conftest import SEED_FILES, seed_cases


def load_series() -> list[dict]:
    return yaml.safe_load((data_dir() / "series.yaml").read_text(encoding="utf-8"))


def test_every_seed_case_passes_strict_validation(runner) -> None:
    result = runner("validate", "--strict", *SEED_FILES)
    assert result.exit_code == 0, result.stderr


def test_series_file_is_a_list_of_sourced_series() -> None:
    series = load_series()
    assert isinstance(series, list) and series
    ids = [s["id"] for s in series]
    assert len(ids) == len(set(ids))
    for s in series:
        assert set(s) == {"id", "title", "description", "sources"}, s["id"]
        assert s["title"] and s["description"] and s["sources"], s["id"]
        for source in s["sources"]:
            assert source["url"].startswith(("http://", "https://")), s["id"]
            assert source["kind"] in {"aib-report", "official-release", "press", "other"}


def test_cases_name_only_known_series_and_every_series_has_members() -> None:
    known = {s["id"] for s in load_series()}
    named = [sid for case in seed_cases() for sid in case.get("series") or []]
    assert set(named) <= known
    assert set(named) == known, "a series without a member case"


def test_series_descriptions_name_their_members() -> None:
    # The description says which cases belong (and why): every member is named there.
    descriptions = {s["id"]: s["description"] for s in load_series()}
    for case in seed_cases():
        for sid in case.get("series") or []:
            assert case["id"] in descriptions[sid], (sid, case["id"])


def test_not_refueling_means_method_none_and_no_mechanism() -> None:
    cases = [c for c in seed_cases() if (c.get("refueling") or {}).get("phase") == "not-refueling"]
    assert cases
    for case in cases:
        assert case["refueling"]["method"] == "none", case["id"]
        assert not case["refueling"].get("mechanism"), case["id"]


def test_seed_files_leave_unknown_out_rather_than_write_it() -> None:
    for case in seed_cases():
        refueling = case.get("refueling") or {}
        assert "unknown" not in (refueling.get("method"), refueling.get("phase")), case["id"]


def test_categories_are_marked_as_the_editors_coding() -> None:
    for case in seed_cases():
        if case.get("occurrence_categories"):
            assert "editors" in case.get("notes", ""), case["id"]


def test_othr_stands_alone() -> None:
    # OTHR only when nothing else fits, so never beside another category.
    for case in seed_cases():
        categories = case.get("occurrence_categories") or []
        assert "OTHR" not in categories or categories == ["OTHR"], case["id"]


def test_readme_keeps_the_generated_cases_section() -> None:
    text = (seed_dir() / "README.md").read_text(encoding="utf-8")
    start = text.index("<!-- cases table: generated -->")
    assert text.index("<!-- end -->", start) > start


def test_readme_lists_the_cases_the_data_holds() -> None:
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "scripts" / "seed_readme.py"
    done = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_casebook_coverage_is_computed_from_the_data(runner, seeded_db) -> None:
    import json

    cases = json.loads(runner("list", "--format", "json").stdout)
    assert len(cases) >= 40
    assert sum(c["occurred_on"] < "2000" for c in cases) >= 12
    nations = json.loads(runner("stats", "--by", "nation", "--format", "json").stdout)["rows"]
    assert len({r["key"] for r in nations if len(r["key"]) == 2}) >= 5
