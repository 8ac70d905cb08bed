"""Reference taxonomies: the `taxonomy` command, the --hfacs filter and HFACS statistics."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from mishaps import taxonomy
from tests.test_classes import synthetic


def test_the_data_files_hold_what_domain_md_lists() -> None:
    assert len(taxonomy.cictt()) == 36
    nanocodes = [h for h in taxonomy.hfacs() if h.code != h.category]
    categories = [h for h in taxonomy.hfacs() if h.code == h.category]
    assert (len(categories), len(nanocodes)) == (18, 100)
    assert {c.code for c in taxonomy.cictt() if c.confirmed} == {"LOC-I", "RE"}
    assert not any(h.confirmed for h in taxonomy.hfacs())


def test_taxonomy_cictt_table_marks_unconfirmed_entries(runner) -> None:
    result = runner("taxonomy", "cictt", "--search", "loss of control")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["code", "name", "confirmed", "definition"]
    rows = {line.split()[0]: line for line in lines[2:-1]}
    # CFIT by its definition ("... without indication of loss of control").
    assert set(rows) == {"CFIT", "LOC-G", "LOC-I"}
    assert "yes" in rows["LOC-I"] and "no *" in rows["LOC-G"]
    assert lines[-1].startswith("* not confirmed against an official source: 2 of 3 entries shown.")


def test_taxonomy_cictt_shows_a_missing_definition_as_missing(runner) -> None:
    out = runner("taxonomy", "cictt", "--search", "MED").stdout
    assert "Medical" in out and "(none found in the sources consulted)" in out


def test_taxonomy_hfacs_lists_codes_with_titles(runner) -> None:
    out = runner("taxonomy", "hfacs", "--search", "PC1").stdout
    codes = [line.split()[0] for line in out.splitlines()[2:-1]]
    assert codes == [
        "PC100",
        "PC101",
        "PC102",
        "PC103",
        "PC104",
        "PC105",
        "PC106",
        "PC107",
        "PC110",
    ]
    assert "Fixation (Channelized Attention)" in out
    assert out.splitlines()[-1].startswith("* not confirmed against an official source: 9 of 9")


def test_taxonomy_json_carries_the_provenance(runner) -> None:
    data = json.loads(runner("taxonomy", "hfacs", "--format", "json").stdout)
    assert data["version"] == "8.0" and "NOT taken from the official" in data["provenance"]
    assert len(data["entries"]) == 118
    first = data["entries"][0]
    assert first == {
        "code": "AE100",
        "title": "Performance/Skill-Based Errors",
        "category": "AE100",
        "category_name": "Performance/Skill-Based Errors",
        "tier": "Unsafe Acts",
        "confirmed": False,
        "note": None,
    }


def test_taxonomy_csv(runner) -> None:
    rows = list(csv.DictReader(io.StringIO(runner("taxonomy", "cictt", "-f", "csv").stdout)))
    assert len(rows) == 36
    loc_i = next(r for r in rows if r["code"] == "LOC-I")
    assert loc_i["confirmed"] == "true" and loc_i["definition"].startswith(
        "Loss of aircraft control"
    )


def test_taxonomy_search_with_no_match(runner) -> None:
    result = runner("taxonomy", "cictt", "--search", "zeppelin")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "No entries match.\n")


def test_taxonomy_needs_a_known_name(runner) -> None:
    result = runner("taxonomy", "icao")
    assert result.exit_code == 2
    assert "icao" in result.stderr


# --hfacs and stats by HFACS, on synthetic cases with coded findings.

CODED = {
    "hfacs-pc-ae": ["PC102", "AE104"],
    "hfacs-pc2": ["PC202"],
    "hfacs-sp": ["SP010"],
    "hfacs-legacy": ["AE103"],  # an HFACS 7.0 number, absent from 8.0
    "hfacs-none": [],
}


@pytest.fixture
def coded_db(runner, tmp_path) -> None:
    cases: list[dict[str, Any]] = []
    for i, (mid, codes) in enumerate(CODED.items()):
        findings = [{"kind": "cause", "text": "synthetic finding", "hfacs": codes}] if codes else []
        cases.append(
            synthetic(id=mid, occurred_on=f"2021-0{i + 1}-01", findings=findings, fatalities=i)
        )
    path = tmp_path / "coded.json"
    path.write_text(json.dumps({"mishaps": cases}))
    assert runner("init", "--empty").exit_code == 0
    assert runner("import", path).exit_code == 0


def hfacs_ids(runner, value: str) -> set[str]:
    result = runner("list", "--hfacs", value, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return {r["id"] for r in json.loads(result.stdout)}


@pytest.mark.usefixtures("coded_db")
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("PC1", {"hfacs-pc-ae"}),
        ("pc102", {"hfacs-pc-ae"}),
        ("PC100", {"hfacs-pc-ae"}),  # a category code stands for its nanocodes
        ("PC", {"hfacs-pc-ae", "hfacs-pc2"}),
        ("P", {"hfacs-pc-ae", "hfacs-pc2"}),
        ("SP000", {"hfacs-sp"}),
        ("AE", {"hfacs-pc-ae", "hfacs-legacy"}),
        ("PC103", set()),
    ],
)
def test_hfacs_filter_takes_a_code_or_a_prefix(runner, value: str, expected: set[str]) -> None:
    assert hfacs_ids(runner, value) == expected


def test_hfacs_filter_refuses_what_is_not_a_code(runner) -> None:
    result = runner("list", "--hfacs", "XY1")
    assert result.exit_code == 2
    assert "'XY1' is not a DoD HFACS code or prefix" in result.stderr


@pytest.mark.usefixtures("coded_db")
def test_stats_by_hfacs_tier_and_category(runner) -> None:
    tiers = json.loads(runner("stats", "--by", "hfacs-tier", "--format", "json").stdout)
    assert {r["key"]: (r["mishaps"], r["fatalities"]) for r in tiers["rows"]} == {
        "Preconditions": (2, 0 + 1),
        "Unsafe Acts": (2, 0 + 3),  # PC102/AE104 (0 dead) and the legacy AE103 (3 dead)
        "Supervision / Leadership": (1, 2),
        "none": (1, 4),
    }
    assert tiers["total"]["mishaps"] == len(CODED)
    cats = json.loads(runner("stats", "--by", "hfacs-category", "--format", "json").stdout)
    assert {r["key"]: r["mishaps"] for r in cats["rows"]} == {
        "PC100 Mental Awareness Conditions": 1,
        "AE100 Performance/Skill-Based Errors": 1,
        f"PC200 {taxonomy.hfacs_title('PC200')}": 1,
        "SP000 " + taxonomy.hfacs_title("SP000"): 1,
        "not in the HFACS 8.0 list": 1,
        "none": 1,
    }
    assert "counts once under each" in cats["note"]
