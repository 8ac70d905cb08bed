"""A read-only snapshot of the casebook for the browser, with tables made for browsing.

The live database is never opened by the web server: it runs in WAL mode, and an immutable open
(what lets Datasette count and cache) ignores whatever is still in the WAL. So ``make_snapshot``
copies it, with SQLite's backup API from a read-only connection (a consistent copy while other
processes write), or from PostgreSQL through the library into a fresh SQLite file, then adds:

- ``cases``: one row a mishap, with its services (``USAF/USN`` is two), aircraft types, roles,
  families, categories and HFACS codes as JSON arrays, so Datasette's array facets count mishaps,
  not aircraft or finding rows, and a joint case under each of its services;
- ``case_value``: each value of each of those lists, a row a case, keyed (list, value, case), so
  counting mishaps by a list's values is an indexed group-by (``mishaps.web.facets``) instead of
  Datasette's array facet, which deduplicates whole rows (0.7-3.6 s at 100,000 cases);
- ``case_pair`` and ``pairs``: each tanker type x receiver type of a mishap, and their counts;
- ``cictt``, ``hfacs``, ``mechanism`` and ``case_category``, ``case_hfacs``, ``case_mechanism``:
  the code tables with names, and links from cases to them, so a code's page lists its cases;
- ``mishap_fts`` rebuilt from the data (rowid = ``mishap.pk`` = ``cases.rowid``), so search in the
  browser finds exactly what ``mishaps list --search`` finds and can never be stale.

The file ends in rollback-journal mode and read-only on disk, fit for an immutable open.
"""

from __future__ import annotations

import json
import sqlite3
import stat
from collections import defaultdict
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mishaps.config import display_db, sqlite_path
from mishaps.nations import service_parts

SNAPSHOT_NAME = "mishaps.db"  # Datasette names the database after the file: /mishaps/cases


@dataclass(frozen=True)
class Snapshot:
    path: Path
    source: str  # the database it copies, as its user knows it
    taken_at: datetime
    cases: int
    columns: dict[str, list[str]]  # table -> its columns, for the metadata


def make_snapshot(url: str, directory: Path) -> Snapshot:
    """Copy the database at ``url`` into ``directory`` and add the browse tables."""
    path = directory / SNAPSHOT_NAME
    taken_at = datetime.now(UTC).replace(microsecond=0)
    live = sqlite_path(url)
    if live is not None:
        _backup_sqlite(live, path)
    else:
        _copy_through_library(url, path)
    with closing(sqlite3.connect(path)) as conn:
        # Out of WAL: an immutable reader must find everything in the main file. No journal and
        # no syncs while building: a snapshot cut short is thrown away, never read.
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        with conn:
            build_browse_tables(conn)
        conn.execute("PRAGMA journal_mode=DELETE")
        cases = conn.execute("SELECT count(*) FROM cases").fetchone()[0]
        columns = {
            name: [r[1] for r in conn.execute(f"PRAGMA table_info([{name}])")]
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    return Snapshot(path, display_db(url), taken_at, cases, columns)


def _backup_sqlite(live: Path, path: Path) -> None:
    # mode=ro: the snapshot never writes to (or checkpoints) the live database.
    with (
        closing(sqlite3.connect(f"{live.resolve().as_uri()}?mode=ro", uri=True)) as src,
        closing(sqlite3.connect(path)) as dst,
    ):
        src.backup(dst)


def _copy_through_library(url: str, path: Path) -> None:
    from mishaps.db import create_schema, make_engine
    from mishaps.transfer import copy_database

    source = make_engine(url)
    target = make_engine(f"sqlite:///{path}", create=True)
    try:
        create_schema(target)
        copy_database(source, target, command="serve (snapshot)", source_name=display_db(url))
    finally:
        source.dispose()
        target.dispose()


# -- the browse tables ---------------------------------------------------------------------------

BROWSE_SCHEMA = """
CREATE TABLE cictt (
    code TEXT PRIMARY KEY, name TEXT NOT NULL, definition TEXT, definition_source TEXT,
    confirmed INTEGER NOT NULL, note TEXT
);
CREATE TABLE hfacs (
    code TEXT PRIMARY KEY, title TEXT NOT NULL, tier TEXT NOT NULL,
    category TEXT NOT NULL REFERENCES hfacs(code), confirmed INTEGER NOT NULL, note TEXT
);
CREATE TABLE mechanism (
    code TEXT PRIMARY KEY, name TEXT NOT NULL, definition TEXT NOT NULL, example TEXT
);
CREATE TABLE case_mechanism (
    case_id TEXT NOT NULL REFERENCES cases(id), code TEXT NOT NULL REFERENCES mechanism(code),
    position INTEGER NOT NULL, PRIMARY KEY (case_id, code)
);
CREATE INDEX ix_case_mechanism_code ON case_mechanism(code);
CREATE TABLE case_category (
    case_id TEXT NOT NULL REFERENCES cases(id), code TEXT NOT NULL REFERENCES cictt(code),
    PRIMARY KEY (case_id, code)
);
CREATE INDEX ix_case_category_code ON case_category(code);
CREATE TABLE case_hfacs (
    case_id TEXT NOT NULL REFERENCES cases(id), code TEXT NOT NULL REFERENCES hfacs(code),
    finding_kind TEXT NOT NULL, PRIMARY KEY (case_id, code, finding_kind)
);
CREATE INDEX ix_case_hfacs_code ON case_hfacs(code);
CREATE TABLE case_pair (
    case_id TEXT NOT NULL REFERENCES cases(id), tanker_type TEXT NOT NULL,
    receiver_type TEXT NOT NULL, refueling_method TEXT, refueling_phase TEXT, fiscal_year INTEGER,
    PRIMARY KEY (case_id, tanker_type, receiver_type)
);
CREATE INDEX ix_case_pair_types ON case_pair(tanker_type, receiver_type);
-- value has no type: it keeps what json_each gives, so counts and their order are those of
-- Datasette's array facet over the same JSON. No REFERENCES: machinery, not a link to show.
CREATE TABLE case_value (
    list TEXT NOT NULL, value NOT NULL, case_id TEXT NOT NULL, PRIMARY KEY (list, value, case_id)
) WITHOUT ROWID;
CREATE TABLE pairs (
    tanker_type TEXT NOT NULL, receiver_type TEXT NOT NULL, mishaps INTEGER NOT NULL,
    fatalities INTEGER, first_occurred_on TEXT NOT NULL, last_occurred_on TEXT NOT NULL,
    case_ids TEXT NOT NULL, PRIMARY KEY (tanker_type, receiver_type)
);
"""

# cases: the columns in the order a researcher reads them; optional ones only when the database
# has the field (the format grows; a snapshot of an older database still serves).
_CASE_COLUMNS: list[tuple[str, str, str | None]] = [
    # (column, type, the mishap column it copies; None = built here)
    ("id", "TEXT PRIMARY KEY", "id"),
    ("title", "TEXT NOT NULL", "title"),
    ("occurred_on", "TEXT NOT NULL", "occurred_on"),
    ("fiscal_year", "INTEGER", "fiscal_year"),
    ("service", "TEXT NOT NULL", "service"),
    ("services", "TEXT NOT NULL", None),
    ("refueling_method", "TEXT", "refueling_method"),
    ("refueling_phase", "TEXT", "refueling_phase"),
    ("mechanisms", "TEXT", None),
    ("class", "TEXT", "effective_class"),
    ("class_basis", "TEXT", None),
    ("status", "TEXT NOT NULL", "status"),
    ("fatalities", "INTEGER", "fatalities"),
    ("injuries", "INTEGER", "injuries"),
    ("damage_usd", "REAL", "damage_usd"),
    ("aircraft_types", "TEXT NOT NULL", None),
    ("tanker_types", "TEXT NOT NULL", None),
    ("receiver_types", "TEXT NOT NULL", None),
    ("roles", "TEXT NOT NULL", None),
    ("families", "TEXT", None),
    ("categories", "TEXT NOT NULL", None),
    ("hfacs", "TEXT NOT NULL", None),
    ("series", "TEXT", None),
    ("operation", "TEXT", "operation"),
    ("location_description", "TEXT NOT NULL", "location_description"),
    ("country", "TEXT", "country"),
    ("latitude", "REAL", "latitude"),
    ("longitude", "REAL", "longitude"),
    ("location_approximate", "INTEGER", "location_approximate"),
    ("location_basis", "TEXT", "location_basis"),
    ("popup", "TEXT", None),
]


# Columns of the cases table that hold JSON arrays (each value once): shown as lists, not JSON,
# and counted per mishap from case_value.
ARRAY_COLUMNS = (
    "services",
    "mechanisms",
    "aircraft_types",
    "tanker_types",
    "receiver_types",
    "roles",
    "families",
    "categories",
    "hfacs",
    "series",
)

FACET_INDEXES = (
    "occurred_on",
    "fiscal_year",
    "service",
    "refueling_method",
    "refueling_phase",
    "class",
    "status",
)


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA table_info([{table}])")]


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _distinct(values: Iterable[Any]) -> list[Any]:
    """Values without repeats, in the order they first came (the order of the case file)."""
    return list(dict.fromkeys(v for v in values if v is not None))


def _dump(values: list[Any]) -> str:
    return json.dumps(values, ensure_ascii=False)


def _grouped(conn: sqlite3.Connection, sql: str) -> dict[int, list[tuple[Any, ...]]]:
    out: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in conn.execute(sql):
        out[row[0]].append(tuple(row[1:]))
    return out


def _list_table(conn: sqlite3.Connection, names: tuple[str, ...]) -> str | None:
    """The child table that holds a list field, if this database has one (e.g. mechanisms)."""
    tables = _tables(conn)
    return next((n for n in names if n in tables), None)


def build_browse_tables(conn: sqlite3.Connection) -> None:
    """Add the browse tables to a snapshot (see the module docstring)."""
    conn.executescript(BROWSE_SCHEMA)
    _code_tables(conn)
    mishap_cols = set(_columns(conn, "mishap"))
    aircraft_cols = set(_columns(conn, "aircraft"))
    aircraft = _grouped(
        conn,
        "SELECT mishap_pk, role, type, "
        + ("family" if "family" in aircraft_cols else "NULL")
        + " FROM aircraft ORDER BY mishap_pk, position",
    )
    categories = _grouped(
        conn, "SELECT mishap_pk, code FROM mishap_category ORDER BY mishap_pk, position"
    )
    hfacs = _grouped(
        conn,
        "SELECT h.mishap_pk, h.code, f.kind FROM finding_hfacs h JOIN finding f"
        " ON f.mishap_pk = h.mishap_pk AND f.position = h.finding_position"
        " ORDER BY h.mishap_pk, h.finding_position, h.position",
    )
    lists = {}
    for column, tables in (
        ("mechanisms", ("mishap_mechanism", "refueling_mechanism", "mechanism")),
        ("series", ("mishap_series", "case_series")),
    ):
        table = _list_table(conn, tables)
        if table is not None:
            cols = _columns(conn, table)
            value = next(c for c in cols if c not in ("mishap_pk", "position"))
            order = "mishap_pk, position" if "position" in cols else "mishap_pk"
            lists[column] = _grouped(
                conn, f"SELECT mishap_pk, [{value}] FROM [{table}] ORDER BY {order}"
            )
    has = {
        "families": "family" in aircraft_cols,
        **{c: c in lists for c in ("mechanisms", "series")},
        **{c: c in mishap_cols for c in ("location_approximate", "location_basis")},
    }
    columns = [c for c in _CASE_COLUMNS if has.get(c[0], True)]
    conn.execute(
        "CREATE TABLE cases (" + ", ".join(f"[{name}] {kind}" for name, kind, _ in columns) + ")"
    )
    copied = [(name, source) for name, _, source in columns if source is not None]
    select = ", ".join(f"[{source}]" for _, source in copied)
    rows, case_categories, case_hfacs, case_pairs, case_mechanisms = [], [], [], [], []
    for record in conn.execute(
        f"SELECT pk, mishap_class, {select} FROM mishap ORDER BY pk"
    ).fetchall():
        pk, stated = record[0], record[1]
        row: dict[str, Any] = {
            "rowid": pk,
            **dict(zip([n for n, _ in copied], record[2:], strict=True)),
        }
        planes = aircraft.get(pk, [])
        row["class_basis"] = None if row["class"] is None else ("stated" if stated else "derived")
        row["aircraft_types"] = _dump(_distinct(t for _, t, _ in planes))
        tankers = _distinct(t for r, t, _ in planes if r == "tanker")
        receivers = _distinct(t for r, t, _ in planes if r == "receiver")
        row["tanker_types"], row["receiver_types"] = _dump(tankers), _dump(receivers)
        row["roles"] = _dump(_distinct(r for r, _, _ in planes))
        row["services"] = _dump(_distinct(service_parts(row["service"])))
        if has["families"]:
            row["families"] = _dump(_distinct(f for _, _, f in planes))
        codes = _distinct(c for (c,) in categories.get(pk, []))
        row["categories"] = _dump(codes)
        row["hfacs"] = _dump(_distinct(c for c, _ in hfacs.get(pk, [])))
        for column, by_pk in lists.items():
            row[column] = _dump(_distinct(v for (v,) in by_pk.get(pk, [])))
        if "mechanisms" in lists:
            codes_in_order = _distinct(v for (v,) in lists["mechanisms"].get(pk, []))
            case_mechanisms += [(row["id"], c, i) for i, c in enumerate(codes_in_order)]
        row["popup"] = _popup(row)
        rows.append(row)
        case_id = row["id"]
        case_categories += [(case_id, c) for c in codes]
        case_hfacs += [(case_id, c, k) for c, k in _distinct(hfacs.get(pk, []))]
        case_pairs += [
            (case_id, t, r, row["refueling_method"], row["refueling_phase"], row["fiscal_year"])
            for t in tankers
            for r in receivers
        ]
    names = ["rowid", *(name for name, _, _ in columns)]
    conn.executemany(
        f"INSERT INTO cases ({', '.join(f'[{n}]' for n in names)})"
        f" VALUES ({', '.join(':' + n for n in names)})",
        rows,
    )
    # Every default facet and the sort order is served by an index, not a scan of the table.
    for index in FACET_INDEXES:
        conn.execute(f"CREATE INDEX ix_cases_{index} ON cases([{index}])")
    # From the stored JSON through json_each, as Datasette reads it; OR IGNORE keeps a value
    # once a case, as Datasette's DISTINCT does, and drops a JSON null (_distinct writes neither).
    for column in (c for c in ARRAY_COLUMNS if has.get(c, True)):
        conn.execute(
            f"INSERT OR IGNORE INTO case_value SELECT ?, j.value, c.id"
            f" FROM cases c, json_each(c.[{column}]) j",
            [column],
        )
    # Codes a case uses but the reference tables lack still link (to a page saying so).
    conn.executemany("INSERT INTO case_category VALUES (?, ?)", case_categories)
    conn.executemany("INSERT INTO case_hfacs VALUES (?, ?, ?)", case_hfacs)
    conn.executemany("INSERT INTO case_pair VALUES (?, ?, ?, ?, ?, ?)", case_pairs)
    conn.executemany("INSERT INTO case_mechanism VALUES (?, ?, ?)", case_mechanisms)
    conn.execute(
        "INSERT INTO pairs SELECT p.tanker_type, p.receiver_type, count(*),"
        " sum(c.fatalities), min(c.occurred_on), max(c.occurred_on),"
        " json_group_array(c.id)"
        " FROM (SELECT * FROM case_pair ORDER BY case_id) p JOIN cases c ON c.id = p.case_id"
        " GROUP BY p.tanker_type, p.receiver_type"
    )
    rebuild_search(conn)


def _popup(row: dict[str, Any]) -> str | None:
    """What datasette-cluster-map shows for a marker: title, date and place, link to the case."""
    if row["latitude"] is None or row["longitude"] is None:
        return None
    where = row["location_description"]
    if row.get("location_approximate"):  # said first: the marker is not where it happened
        basis = row.get("location_basis")
        where = "Approximate position" + (f" ({basis})" if basis else "") + f". {where}"
    return json.dumps(
        {
            "title": row["title"],
            "description": f"{row['occurred_on']}. {where}",
            "link": f"/mishaps/cases/{row['id']}",
        },
        ensure_ascii=False,
    )


def _code_tables(conn: sqlite3.Connection) -> None:
    from mishaps import taxonomy

    conn.executemany(
        "INSERT INTO cictt VALUES (?, ?, ?, ?, ?, ?)",
        [
            (c.code, c.name, c.definition, c.definition_source, c.confirmed, c.note)
            for c in taxonomy.cictt()
        ],
    )
    conn.executemany(
        "INSERT INTO hfacs VALUES (?, ?, ?, ?, ?, ?)",
        [(h.code, h.title, h.tier, h.category, h.confirmed, h.note) for h in taxonomy.hfacs()],
    )
    conn.executemany(
        "INSERT INTO mechanism VALUES (?, ?, ?, ?)",
        [(m.code, m.name, m.definition, m.example) for m in taxonomy.mechanisms()],
    )


def rebuild_search(conn: sqlite3.Connection) -> None:
    """The full-text index from the data itself, as ``mishaps.store`` builds it on import."""
    # A new table, not DELETE: emptying an FTS5 index row by row costs as much as filling it.
    conn.execute("DROP TABLE IF EXISTS mishap_fts")
    conn.execute(
        "CREATE VIRTUAL TABLE mishap_fts USING fts5("
        "title, summary, findings, tokenize='porter unicode61')"
    )
    findings = _grouped(conn, "SELECT mishap_pk, text FROM finding ORDER BY mishap_pk, position")
    conn.executemany(
        "INSERT INTO mishap_fts(rowid, title, summary, findings) VALUES (?, ?, ?, ?)",
        [
            (pk, title, summary, "\n".join(t for (t,) in findings.get(pk, [])))
            for pk, title, summary in conn.execute("SELECT pk, title, summary FROM mishap")
        ],
    )
