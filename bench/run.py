"""The benchmark: every figure beside its floor, measured in the same run, with their ratio.

    python bench/run.py            # full: 100k and 1M cases, writes bench/RESULTS.md
    python bench/run.py --quick    # a smoke run in under a minute: bench/data/RESULTS-quick.md

The machine is shared and noisy, so a figure is only ever compared with a floor taken in the
same run, interleaved with it (A, floor, A, floor, ...), and both are medians. Synthetic data
(bench/synth.py) is cached in bench/data/ (git-ignored) and rebuilt when its VERSION changes.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
sys.path.insert(0, str(HERE))

import synth  # noqa: E402  (bench/ is not a package; its path is added just above)

BIN = Path(sys.executable).parent
BUILDING = [0.0]  # seconds spent generating data in this run
PARTS: dict[str, tuple[float, float]] = {}  # part -> (wall, CPU) seconds in this run
MISHAPS = str(BIN / "mishaps")
PY = sys.executable


@dataclass
class Config:
    quick: bool
    cli_n: int  # cases in the database `mishaps list` runs on
    small_n: int  # the smaller database of the `list` against `import sqlmodel` target
    query_ns: list[int]
    import_n: int
    yaml_n: int  # cases in the one YAML file `mishaps import` reads
    yaml_runs: int
    report_ns: list[int]  # cases in a summary report
    start_runs: int
    query_runs: int
    query_budget_s: float  # per filter and size: stop repeating when spent (at least 3 runs)
    import_runs: int
    brief_runs: int
    summary_runs: dict[int, int]
    pair_runs: int  # `stats --by pair` at the largest size, and its floor
    serve_runs: int  # requests of each page of `mishaps serve`
    bare_summary_ns: list[int]  # sizes whose summary is also rendered by the bare floor


FULL = Config(
    quick=False,
    cli_n=100_000,
    small_n=10_000,
    query_ns=[100_000, 1_000_000],
    import_n=100_000,
    yaml_n=2_000,
    yaml_runs=3,
    report_ns=[100, 500, 1_000],
    start_runs=7,
    query_runs=7,
    query_budget_s=2.0,
    import_runs=1,  # 100k cases take ~45 s a run, ours and the floor: the 10-minute budget
    brief_runs=5,
    summary_runs={100: 2, 500: 1, 1_000: 1},
    pair_runs=1,  # at a million cases ~25 s ours and ~25 s the floor's, on a loaded machine
    serve_runs=5,
    # The 1.2x target is judged at 1,000 cases; the growth target concerns our time alone, so
    # the bare floor's render of 500 cases is skipped for the 10-minute budget. (Growth was judged
    # 1,000 -> 2,000 until the summary grew to 600 pages a thousand cases: a 2,000-case render
    # alone then took 2-4 minutes of the 10; linear growth is judged on one doubling, 500 -> 1,000.)
    bare_summary_ns=[100, 1_000],
)
QUICK = Config(
    quick=True,
    cli_n=2_000,
    small_n=1_000,
    query_ns=[2_000],
    import_n=2_000,
    yaml_n=200,
    yaml_runs=1,
    report_ns=[10, 20],  # each report is a WeasyPrint process: the smoke run's largest cost
    start_runs=3,
    query_runs=3,
    query_budget_s=0.5,
    import_runs=1,
    brief_runs=1,
    summary_runs={10: 1, 20: 1},
    pair_runs=1,
    serve_runs=2,
    bare_summary_ns=[10],
)


# ---------------------------------------------------------------------------------------------
# Measuring


def median(xs: Sequence[float]) -> float:
    return statistics.median(xs)


def p95(xs: Sequence[float]) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(0.95 * len(s) + 0.5) - 1))]


@dataclass
class Proc:
    seconds: float
    max_rss_mib: float


# A child's peak RSS counts the pages it shared with its parent before exec: measured straight
# from this process (which holds a million rows after the import benchmark) every child
# looked 1.7 GiB. So a small launcher starts the command, times it and reads its rusage.
LAUNCHER = """
import os, subprocess, sys, time
t = time.perf_counter()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(p.pid, 0)
print(time.perf_counter() - t, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def run_process(argv: list[str], env: dict[str, str] | None = None) -> Proc:
    """Wall time and peak resident memory of one whole process."""
    p = subprocess.run([PY, "-c", LAUNCHER, *argv], capture_output=True, env=env, check=True)
    seconds, rss_kib, code = p.stdout.split()
    if int(code) != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({code}): {p.stderr.decode()[-2000:]}")
    return Proc(float(seconds), int(rss_kib) / 1024)


def interleaved(pairs: dict[str, Callable[[], Any]], runs: int) -> dict[str, list[Any]]:
    """Run each callable ``runs`` times, round-robin, so drift hits all of them alike."""
    out: dict[str, list[Any]] = {k: [] for k in pairs}
    for _ in range(runs):
        for k, fn in pairs.items():
            out[k].append(fn())
    return out


@dataclass
class Row:
    what: str
    ours: str
    floor: str
    ratio: float | None
    target: str = ""
    note: str = ""

    def met(self) -> str:
        if not self.target or self.ratio is None:
            return ""
        op, limit = self.target[0], float(self.target[1:].rstrip("×"))
        ok = self.ratio <= limit if op == "≤" else self.ratio >= limit
        return "yes" if ok else "**no**"


@dataclass
class Results:
    config: Config
    sections: dict[str, list[Row]] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)
    partial: set[str] = field(default_factory=set)  # sections this run measured in part

    def add(self, section: str, row: Row) -> None:
        self.sections.setdefault(section, []).append(row)
        ratio = "" if row.ratio is None else f"  {row.ratio:.2f}×"
        print(f"  {row.what}: {row.ours} vs {row.floor}{ratio} {row.note}", flush=True)

    def note(self, section: str, text: str) -> None:
        self.notes.setdefault(section, []).append(text)
        print(f"  note: {text}", flush=True)


def ms(x: float) -> str:
    return f"{x * 1000:,.0f} ms" if x >= 0.01 else f"{x * 1000:.2f} ms"


def secs(x: float) -> str:
    return f"{x:,.2f} s"


# ---------------------------------------------------------------------------------------------
# Data


def cached_files(n: int) -> list[Path]:
    d = DATA / f"files-{n}-v{synth.VERSION}"
    done = d / ".complete"
    if not done.exists():
        shutil.rmtree(d, ignore_errors=True)
        t = time.perf_counter()
        synth.write_files(n, d)
        done.touch()
        BUILDING[0] += time.perf_counter() - t
        print(f"  generated {n:,} cases as JSON in {time.perf_counter() - t:.1f} s", flush=True)
    return sorted(d.glob("*.json"))


def schema_tag() -> str:
    """A short hash of the SQLite schema: a cached database is rebuilt when the models change."""
    import hashlib

    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable
    from sqlmodel import SQLModel

    import mishaps.models  # noqa: F401  (registers the tables)

    ddl = []
    for table in SQLModel.metadata.sorted_tables:
        ddl.append(str(CreateTable(table).compile(dialect=sqlite.dialect())))
        ddl += sorted(str(CreateIndex(i).compile(dialect=sqlite.dialect())) for i in table.indexes)
    try:  # databases record their schema revision: a new migration means a new database
        from mishaps.migrations import HEAD
    except ImportError:  # before migrations existed
        HEAD = ""
    ddl.append(HEAD)
    return hashlib.sha256("\n".join(ddl).encode()).hexdigest()[:8]


def cached_path(n: int) -> Path:
    return DATA / f"db-{n}-v{synth.VERSION}-{schema_tag()}.sqlite"


def cached_db(n: int, *, from_import: Path | None = None) -> Path:
    path = cached_path(n)
    if path.exists():
        return path
    t = time.perf_counter()
    # Built beside its name and renamed when whole: an interrupted build leaves no cache entry.
    part = path.with_name(path.name + ".part")
    for suffix in ("", "-wal", "-shm"):
        Path(str(part) + suffix).unlink(missing_ok=True)
    if n >= 1_000_000:
        base = cached_db(100_000)
        synth.replicate(base, part, n // 100_000)
        how = "by copying the 100k database's rows in SQL"
    elif from_import is not None:
        shutil.copyfile(from_import, part)
        how = "from the import benchmark"
    else:
        synth.fill_db(n, part)
        how = "through the project's bulk path"
    checkpoint(part)
    part.rename(path)
    BUILDING[0] += time.perf_counter() - t
    print(f"  built the {n:,}-case database {how} in {time.perf_counter() - t:.1f} s", flush=True)
    return path


@contextmanager
def timed(part: str) -> Iterator[None]:
    """Wall and CPU time of a part (CPU of this process and its children: what the part would
    take alone on an idle machine, where the 10-minute budget is judged)."""

    def cpu() -> float:
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    wall, used = time.perf_counter(), cpu()
    yield
    PARTS[part] = (time.perf_counter() - wall, cpu() - used)
    print(f"  {part}: {PARTS[part][0] / 60:.1f} min, CPU {PARTS[part][1] / 60:.1f} min", flush=True)


def checkpoint(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


# ---------------------------------------------------------------------------------------------
# 1. Start-up: whole processes


LIST_FLOOR = """
import json, sqlite3, sys, sqlmodel
rows = sqlite3.connect(sys.argv[1]).execute(sys.argv[2], json.loads(sys.argv[3])).fetchall()
sys.stdout.write(json.dumps(rows))
"""


def bench_startup(cfg: Config, res: Results) -> None:
    from mishaps.config import to_url
    from mishaps.db import make_engine, session_scope
    from mishaps.filters import Filters

    print("1. start-up", flush=True)
    # Our modules' bytecode, as an installed package has it (pip compiles on install), like the
    # floors' libraries: under PYTHONDONTWRITEBYTECODE an editable install would compile every
    # module of mishaps in every measured process (`mishaps --help` 1.28x `import typer` with
    # bytecode, 1.42x without, before issue 16's command registry; interleaved, same run).
    import compileall

    compileall.compile_dir(ROOT / "mishaps", quiet=1)
    db = cached_db(cfg.cli_n)
    env = {**os.environ, "MISHAPS_DB": str(db)}
    small_env = {**os.environ, "MISHAPS_DB": str(cached_db(cfg.small_n))}
    listing = [MISHAPS, "list", "--aircraft", "KC-135", "--format", "json"]
    engine = make_engine(to_url(str(db)))
    with session_scope(engine) as session:
        sql, params = floor_sql(session, Filters(aircraft="KC-135"))
    engine.dispose()
    runs = interleaved(
        {
            "typer": lambda: run_process([PY, "-c", "import typer"]),
            "help": lambda: run_process([MISHAPS, "--help"]),
            "sqlmodel": lambda: run_process([PY, "-c", "import sqlmodel"]),
            "list": lambda: run_process(listing, env),
            "small": lambda: run_process(listing, small_env),
            "page": lambda: run_process([*listing, "--limit", "50"], env),
            "raw": lambda: run_process([PY, "-c", LIST_FLOOR, str(db), sql, json.dumps(params)]),
        },
        cfg.start_runs,
    )
    t = {k: median([p.seconds for p in v]) for k, v in runs.items()}

    def count(e: dict[str, str]) -> int:
        return len(
            json.loads(subprocess.run(listing, env=e, capture_output=True, check=True).stdout)
        )

    rows, small_rows = count(env), count(small_env)
    sec = "Start-up (whole process)"
    res.add(
        sec,
        Row(
            "`mishaps --help`",
            ms(t["help"]),
            f"`import typer` {ms(t['typer'])}",
            t["help"] / t["typer"],
            "≤1.3×",
            f"{cfg.start_runs} runs",
        ),
    )
    res.add(
        sec,
        Row(
            f"`mishaps list --aircraft KC-135 --format json`, {cfg.small_n:,} cases"
            f" ({small_rows:,} rows)",
            ms(t["small"]),
            f"`import sqlmodel` {ms(t['sqlmodel'])}",
            t["small"] / t["sqlmodel"],
            "≤1.3×",
        ),
    )
    what = f"`mishaps list --aircraft KC-135 --format json`, {cfg.cli_n:,} cases ({rows:,} rows)"
    res.add(
        sec,
        Row(
            what,
            ms(t["list"]),
            f"`import sqlmodel` {ms(t['sqlmodel'])}",
            t["list"] / t["sqlmodel"],
            "",
        ),
    )
    res.add(
        sec,
        Row(
            what.replace("--format json`", "--format json` against a fuller floor"),
            ms(t["list"]),
            f"`import sqlmodel` + the same rows by raw `sqlite3` + `json.dumps` {ms(t['raw'])}",
            t["list"] / t["raw"],
            "≤1.3×",
        ),
    )
    res.add(
        sec,
        Row(
            "the same with `--limit 50`",
            ms(t["page"]),
            f"`import sqlmodel` {ms(t['sqlmodel'])}",
            t["page"] / t["sqlmodel"],
            "",
        ),
    )


# ---------------------------------------------------------------------------------------------
# 2. Query latency: in-process, beside raw sqlite3


QUERIES: list[dict[str, str]] = [
    {"aircraft": "KC-46"},
    {"aircraft": "KC-135"},
    {"aircraft": "A330 MRTT"},
    {"role": "other"},
    {"cause": "rivet"},
    {"category": "SCF"},
    {"mishap_class": "A"},
    {"since": "2020"},
    {"until": "1965"},
    {"service": "usmc"},
    {"method": "unknown"},
    {"phase": "breakaway"},
    {"status": "final"},
    {"hfacs": "PC1"},
    {"fiscal_year": 2015},
    {"search": "rivet"},
    {"search": "squall fracture"},
    {"aircraft": "KC-135", "role": "tanker", "since": "2000", "mishap_class": "A"},
]


def _label(q: dict[str, Any]) -> str:
    names = {"mishap_class": "class", "fiscal_year": "fy"}
    return " ".join(f"--{names.get(k, k)} {v}" for k, v in q.items())


def floor_sql(session: Any, filters: Any) -> tuple[str, list[Any]]:
    """The same rows as list_mishaps in one plain statement: the same WHERE (built by
    mishaps.queries, so the same indexes serve it), the same stored columns (the derived class
    and fiscal year are in every row a user gets), types by a correlated subquery (unordered,
    repeats kept: cheaper than the ordered distinct types users get)."""
    from sqlalchemy import func, select

    from mishaps.models import Aircraft, Mishap
    from mishaps.queries import mishap_conditions

    types = (
        select(func.group_concat(Aircraft.type, ", "))
        .where(Aircraft.mishap_pk == Mishap.pk)
        .scalar_subquery()
    )
    stmt = (
        select(
            Mishap.id,
            Mishap.title,
            Mishap.occurred_on,
            Mishap.mishap_class,
            Mishap.status,
            Mishap.service,
            types,
            Mishap.fatalities,
            Mishap.derived_class,
            Mishap.fiscal_year,
        )
        .where(*mishap_conditions(session, filters))
        .order_by(Mishap.date_start, Mishap.id)
    )
    compiled = stmt.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True}
    )
    params = compiled.construct_params()
    return str(compiled), [params[name] for name in compiled.positiontup or []]


def _query_pair(
    engine: Any, raw: sqlite3.Connection, filters: Any
) -> tuple[Callable[[], Any], Callable[[], Any]]:
    """(ours, floor): each returns (seconds, rows) for one run of the listing."""
    from mishaps.db import session_scope
    from mishaps.queries import list_mishaps

    with session_scope(engine) as session:
        sql, params = floor_sql(session, filters)
    if filters.limit is not None:
        sql += f" LIMIT {int(filters.limit)}"

    def ours() -> tuple[float, int]:
        t = time.perf_counter()
        with session_scope(engine) as session:
            rows = list_mishaps(session=session, filters=filters)
        return time.perf_counter() - t, len(rows)

    def floor() -> tuple[float, int]:
        t = time.perf_counter()
        rows = raw.execute(sql, params).fetchall()
        return time.perf_counter() - t, len(rows)

    return ours, floor


def bench_queries(cfg: Config, res: Results) -> None:
    from mishaps.config import to_url
    from mishaps.db import make_engine
    from mishaps.filters import Filters

    for n in cfg.query_ns:
        print(f"2. queries, {n:,} cases", flush=True)
        db = cached_db(n)
        engine = make_engine(to_url(str(db)))
        raw = sqlite3.connect(db)
        sec = f"Query latency, {n:,} cases (in-process, `list_mishaps` beside raw `sqlite3`)"
        page = {"aircraft": "KC-135", "since": "2000", "limit": 50}  # a script paging through
        for q in [*QUERIES, page]:
            ours, floor = _query_pair(engine, raw, Filters(**q))  # type: ignore[arg-type]
            a, b = [], []
            spent = 0.0
            for i in range(cfg.query_runs):
                (ta, na), (tb, nb) = ours(), floor()
                assert na == nb, f"{q}: {na} rows vs {nb} from the floor"
                a.append(ta)
                b.append(tb)
                spent += ta + tb
                if i >= 2 and spent > cfg.query_budget_s:
                    break
            res.add(
                sec,
                Row(
                    f"`{_label(q)}` ({na:,} rows)",
                    f"{ms(median(a))} (p95 {ms(p95(a))})",
                    f"{ms(median(b))} (p95 {ms(p95(b))})",
                    median(a) / median(b),
                    "≤1.5×",  # issue 16: every listing, at 100k and 1M (issue 6: 2x at 1M)
                    note=f"{len(a)} runs",
                ),
            )
        raw.close()
        engine.dispose()


# ---------------------------------------------------------------------------------------------
# 3. Import throughput


TABLES = [
    *("mishap", "aircraft", "finding", "finding_hfacs", "mishap_category", "source", "revision"),
    *("similar_term", "similar_case", "similar_df"),  # the terms `similar` reads (issue 16)
]


def _fresh_db(directory: Path, name: str) -> tuple[Any, Path]:
    from mishaps.config import to_url
    from mishaps.db import create_schema, make_engine

    path = directory / name
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    engine = make_engine(to_url(str(path)), create=True)
    create_schema(engine)
    return engine, path


def bench_import(cfg: Config, res: Results) -> Path:
    """Returns the database the last import wrote (kept as the query database of its size)."""
    from mishaps.ingest import import_cases, load_files

    n = cfg.import_n
    print(f"3. import, {n:,} cases", flush=True)
    files = cached_files(n)
    work = Path(tempfile.mkdtemp(prefix="import-", dir=DATA))
    read_s, write_s, total_s = [], [], []
    path = work / "none"
    for i in range(cfg.import_runs):
        engine, path = _fresh_db(work, f"import-{i}.sqlite")
        t0 = time.perf_counter()
        loaded = load_files(files)
        t1 = time.perf_counter()
        import_cases(engine, loaded)
        t2 = time.perf_counter()
        engine.dispose()
        read_s.append(t1 - t0)
        write_s.append(t2 - t1)
        total_s.append(t2 - t0)
        del loaded
        if i < cfg.import_runs - 1:
            path.unlink()

    # The floor: the very rows the import wrote, read back, written again by executemany into a
    # fresh database with the same schema (indexes and full-text table included).
    src = sqlite3.connect(path)
    rows = {t: src.execute(f"SELECT * FROM {t}").fetchall() for t in TABLES}
    rows["mishap_fts"] = src.execute(
        "SELECT rowid, title, summary, findings FROM mishap_fts"
    ).fetchall()
    src.close()
    floor_s = []
    for i in range(cfg.import_runs):
        engine, fpath = _fresh_db(work, f"floor-{i}.sqlite")
        engine.dispose()
        con = sqlite3.connect(fpath)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute("PRAGMA foreign_keys=ON")
        t0 = time.perf_counter()
        with con:
            for table, data in rows.items():
                if data:
                    marks = ", ".join("?" * len(data[0]))
                    cols = "(rowid, title, summary, findings) " if table == "mishap_fts" else ""
                    con.executemany(f"INSERT INTO {table} {cols}VALUES ({marks})", data)
        floor_s.append(time.perf_counter() - t0)
        con.close()
        fpath.unlink()
    del rows
    ours, floor = median(total_s), median(floor_s)
    sec = f"Import, {n:,} cases from JSON files (in-process `load_files` + `import_cases`)"
    res.add(
        sec,
        Row(
            "throughput, validation and history included",
            f"{n / ours:,.0f} cases/s ({secs(ours)}: read+validate {secs(median(read_s))},"
            f" write {secs(median(write_s))})",
            f"`executemany` of the same rows {n / floor:,.0f} cases/s ({secs(floor)})",
            (n / ours) / (n / floor),
            "≥0.25×",
            note=f"{cfg.import_runs} runs; ratio = our throughput / the floor's",
        ),
    )
    keep = work / "kept.sqlite"
    path.rename(keep)
    return keep


YAML_FLOOR = """
import sys, time, yaml
t = time.perf_counter()
with open(sys.argv[1], encoding="utf-8") as f:
    yaml.load(f, Loader=yaml.CSafeLoader)
"""


def bench_yaml_import(cfg: Config, res: Results) -> None:
    """`mishaps import cases.yaml` beside libyaml's bare load of the same file + the JSON import
    of the same cases (whole processes, each into a fresh empty database)."""
    import yaml

    from mishaps.files import dump_yaml

    n = cfg.yaml_n
    print(f"3b. YAML import, {n:,} cases", flush=True)
    work = Path(tempfile.mkdtemp(prefix="yaml-", dir=DATA))
    doc = {"mishaps": list(synth.Generator().cases(n))}
    as_yaml, as_json = work / "cases.yaml", work / "cases.json"
    as_yaml.write_text(dump_yaml(doc), encoding="utf-8")
    as_json.write_text(json.dumps(doc), encoding="utf-8")
    assert (
        len(yaml.load(as_yaml.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)["mishaps"]) == n
    )
    empty = work / "empty.sqlite"
    subprocess.run(
        [MISHAPS, "--db", str(empty), "init", "--empty"], check=True, capture_output=True
    )
    checkpoint(empty)

    def importing(path: Path) -> Callable[[], Proc]:
        def run() -> Proc:
            db = work / f"run-{path.suffix[1:]}.sqlite"
            for suffix in ("", "-wal", "-shm"):
                Path(str(db) + suffix).unlink(missing_ok=True)
            shutil.copyfile(empty, db)
            return run_process([MISHAPS, "--db", str(db), "import", str(path)])

        return run

    runs = interleaved(
        {
            "yaml": importing(as_yaml),
            "bare": lambda: run_process([PY, "-c", YAML_FLOOR, str(as_yaml)]),
            "json": importing(as_json),
        },
        cfg.yaml_runs,
    )
    t = {k: median([p.seconds for p in v]) for k, v in runs.items()}
    sec = f"Import, {n:,} cases in one YAML file (whole process, into an empty database)"
    res.add(
        sec,
        Row(
            f"`mishaps import cases.yaml` ({as_yaml.stat().st_size / 2**20:.1f} MiB)",
            secs(t["yaml"]),
            f"libyaml's bare `yaml.load(f, Loader=CSafeLoader)` {secs(t['bare'])}"
            f" + `mishaps import cases.json` {secs(t['json'])}",
            t["yaml"] / (t["bare"] + t["json"]),
            "≤1.3×",
            f"{cfg.yaml_runs} runs",
        ),
    )
    res.add(
        sec,
        Row(
            "the same cases from JSON",
            secs(t["json"]),
            "",
            None,
            note=f"YAML costs {t['yaml'] / t['json']:.2f}× JSON",
        ),
    )
    shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# 4. Reports


# The same PDF as ours: tagged (structure for screen readers; reports.render passes pdf_tags).
# Tags came to the reports after this floor was written, untagged; at 1,000 cases they cost
# WeasyPrint 12 s of a 52 s render and 320 MiB (bench/NOTES.md), which the floor now pays too.
BARE = """
import sys, sqlmodel, weasyprint
html, out, base = sys.argv[1:4]
weasyprint.HTML(filename=html, base_url=base).write_pdf(out, pdf_tags=True)
"""


CITED_CASE = "2013-05-03-shell-77"  # the seed case with the most citations of its sources


def has_reports() -> bool:
    return subprocess.run([MISHAPS, "report", "--help"], capture_output=True).returncode == 0


def bench_briefs(cfg: Config, res: Results) -> None:
    """The brief alone (its rows of the reports section; the summaries' stay from their run)."""
    bench_reports(cfg, res, summaries=False)


def bench_reports(cfg: Config, res: Results, *, summaries: bool = True) -> None:
    from mishaps.config import templates_dir

    print("4. reports", flush=True)
    sec = (
        "Reports (whole process, beside a bare process that imports sqlmodel and weasyprint"
        " and renders the same HTML to a tagged PDF, as ours)"
    )
    if not has_reports():
        res.note(sec, "skipped: this checkout has no `mishaps report` command yet.")
        return
    base = str(templates_dir()) + "/"
    work = Path(tempfile.mkdtemp(prefix="reports-", dir=DATA))
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600"}
    env.pop("MISHAPS_MARKING", None)

    def pair(argv: list[str], db: Path, tag: str) -> tuple[Callable[[], Proc], Callable[[], Proc]]:
        e = {**env, "MISHAPS_DB": str(db)}
        html = work / f"{tag}.html"
        subprocess.run([*argv, "--html", str(html)], env=e, check=True, capture_output=True)
        out = work / f"{tag}.pdf"
        return (
            lambda: run_process([*argv, "-o", str(out)], e),
            lambda: run_process(
                [PY, "-c", BARE, str(html), str(work / f"{tag}-bare.pdf"), base], e
            ),
        )

    # The synthetic cases cite no sources: the brief is also measured on the seed case with the
    # most citations, so the floor's HTML carries the citation marks and the sources' links.
    seeded = work / "seed.sqlite"
    subprocess.run([MISHAPS, "--db", str(seeded), "init"], check=True, capture_output=True)
    checkpoint(seeded)
    briefs = [
        ("", cached_db(min(cfg.report_ns)), "synthetic-0000001"),
        (f" (seed case {CITED_CASE}: citations and links)", seeded, CITED_CASE),
    ][cfg.quick :]  # the smoke run renders the brief that has citations only
    for label, db, case_id in briefs:
        ours, bare = pair([MISHAPS, "report", "brief", case_id], db, f"brief-{case_id}")
        html = (work / f"brief-{case_id}.html").read_text(encoding="utf-8")
        if label:
            assert "<a href=" in html and 'class="cite"' in html, "no citations in the brief"
        r = interleaved({"ours": ours, "bare": bare}, cfg.brief_runs)
        a, b = median([p.seconds for p in r["ours"]]), median([p.seconds for p in r["bare"]])
        ma, mb = max(p.max_rss_mib for p in r["ours"]), max(p.max_rss_mib for p in r["bare"])
        what = f"`mishaps report brief ID`{label}"
        res.add(
            sec,
            Row(f"{what}: time", secs(a), secs(b), a / b, "≤1.3×", f"{cfg.brief_runs} runs"),
        )
        res.add(sec, Row(f"{what}: peak memory", f"{ma:.0f} MiB", f"{mb:.0f} MiB", ma / mb))

    if not summaries:
        res.partial.add(sec)
        shutil.rmtree(work, ignore_errors=True)
        return
    times: dict[int, float] = {}
    bare_times: dict[int, float] = {}
    for n in cfg.report_ns:
        db = cached_db(n)
        ours, bare = pair([MISHAPS, "report", "summary"], db, f"summary-{n}")
        runs = cfg.summary_runs[n]
        with_bare = n in cfg.bare_summary_ns
        r = interleaved({"ours": ours, "bare": bare} if with_bare else {"ours": ours}, runs)
        a = median([p.seconds for p in r["ours"]])
        ma = max(p.max_rss_mib for p in r["ours"])
        times[n] = a
        if not with_bare:
            res.add(
                sec,
                Row(
                    f"`mishaps report summary`, {n:,} cases: time",
                    secs(a),
                    "not run",
                    None,
                    note=f"{runs} run{'s' if runs > 1 else ''}; peak memory {ma:.0f} MiB",
                ),
            )
            continue
        b = median([p.seconds for p in r["bare"]])
        mb = max(p.max_rss_mib for p in r["bare"])
        bare_times[n] = b
        big = n == 1_000
        res.add(
            sec,
            Row(
                f"`mishaps report summary`, {n:,} cases: time",
                secs(a),
                secs(b),
                a / b,
                "≤1.2×" if big else "",
                f"{runs} run{'s' if runs > 1 else ''}",
            ),
        )
        res.add(
            sec,
            Row(
                f"`mishaps report summary`, {n:,} cases: peak memory",
                f"{ma:.0f} MiB",
                f"{mb:.0f} MiB",
                ma / mb,
                "≤1.2×" if big else "",
            ),
        )
    ns = sorted(times)
    for lo, hi in itertools.pairwise(ns):
        limit = 1.1 * hi / lo  # "1,000 costs at most 2.2x of 500"
        res.add(
            sec,
            Row(
                f"summary time growth {lo:,} → {hi:,} cases ({hi / lo:.0f}× the cases)",
                f"{times[hi] / times[lo]:.2f}×",
                f"bare render {bare_times[hi] / bare_times[lo]:.2f}×"
                if hi in bare_times and lo in bare_times
                else "",
                times[hi] / times[lo] / (hi / lo),
                f"≤{limit / (hi / lo):.1f}×" if hi == 2 * lo and hi == max(cfg.report_ns) else "",
                note="ratio = growth / growth in cases; 1.0 is linear",
            ),
        )
    shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# 4b. Features of issues 13-15


FEATURES = "New features (issues 13-15)"


SIMILAR_TIMER = """
import json, sys, time
import mishaps
db = mishaps.open(sys.argv[1])
ids = sys.argv[2:]
out = {"first": 0.0, "later": [], "text": []}
t0 = time.perf_counter()
db.similar(ids[0])
out["first"] = time.perf_counter() - t0
for mid in ids[1:]:
    t0 = time.perf_counter()
    db.similar(mid)
    out["later"].append(time.perf_counter() - t0)
for _ in ids[1:]:
    t0 = time.perf_counter()
    db.similar_text("the boom nozzle bound in the receptacle and would not disconnect")
    out["text"].append(time.perf_counter() - t0)
print(json.dumps(out))
"""


def _similar_in_fresh_process(path: Path, ids: list[str]) -> dict[str, Any]:
    """`similar` timed inside a new process, so its first call pays every cold cost (page cache
    aside) that a command line call would, but not the imports."""
    done = subprocess.run(
        [PY, "-c", SIMILAR_TIMER, str(path), *ids], capture_output=True, check=True, text=True
    )
    return dict(json.loads(done.stdout))


def bench_features(cfg: Config, res: Results) -> None:
    """`similar`, `stats --by pair` beside its raw SQL, and `mishaps serve`'s pages."""
    print("6. new features", flush=True)
    bench_similar(cfg, res)
    bench_pair_stats(cfg, res)
    bench_serve(cfg, res)


def bench_similar(cfg: Config, res: Results) -> None:
    """`similar` timed in a fresh process: its first call pays every cold cost but imports."""
    import mishaps

    n = cfg.query_ns[0]
    db = mishaps.open(str(cached_db(n)))
    try:
        ids = [r.id for r in db.rows(limit=cfg.query_runs + 1)]
    finally:
        db.close()
    timed = _similar_in_fresh_process(cached_db(n), ids)
    for what, t in (
        ("`similar ID`, first call in a fresh process", timed["first"]),
        ("`similar ID`, later calls in that process", median(timed["later"])),
        ("`similar --text` (one sentence), in that process", median(timed["text"])),
    ):
        res.add(
            FEATURES,
            Row(
                f"{what}, {n:,} cases (in-process, imports not counted; ratio = time / 0.5 s)",
                ms(t),
                "0.5 s",
                t / 0.5,
                "≤1×",
            ),
        )


# The floor of `stats --by pair`: the same groups in one statement, through the same indexes.
# Each mishap counts once under each distinct (tanker family, receiver family) of its aircraft,
# with its own fatalities (per case, never per aircraft); destroyed counts the pair's aircraft.
PAIR_FLOOR = """
WITH p AS (
  SELECT DISTINCT t.mishap_pk, t.family AS tf, r.family AS rf
    FROM aircraft t JOIN aircraft r ON r.mishap_pk = t.mishap_pk AND r.role = 'receiver'
   WHERE t.role = 'tanker'
  UNION ALL
  SELECT DISTINCT mishap_pk, family, 'tanker only' FROM aircraft t WHERE role = 'tanker'
     AND NOT EXISTS (SELECT 1 FROM aircraft r WHERE r.mishap_pk = t.mishap_pk
                     AND r.role = 'receiver')
  UNION ALL
  SELECT DISTINCT mishap_pk, 'receiver only', family FROM aircraft r WHERE role = 'receiver'
     AND NOT EXISTS (SELECT 1 FROM aircraft t WHERE t.mishap_pk = r.mishap_pk
                     AND t.role = 'tanker')
  UNION ALL
  SELECT pk, NULL, NULL FROM mishap m WHERE NOT EXISTS (
    SELECT 1 FROM aircraft a WHERE a.mishap_pk = m.pk AND a.role IN ('tanker', 'receiver'))
)
SELECT coalesce(p.tf || ' -> ' || p.rf, 'no tanker or receiver recorded'), count(*),
  coalesce(sum(m.fatalities), 0), sum(m.fatalities IS NULL),
  coalesce(sum((SELECT count(*) FROM aircraft d WHERE d.mishap_pk = p.mishap_pk
    AND d.damage = 'destroyed'
    AND ((d.role = 'tanker' AND d.family = p.tf) OR (d.role = 'receiver' AND d.family = p.rf)))),
    0)
FROM p JOIN mishap m ON m.pk = p.mishap_pk
GROUP BY 1
"""


def bench_pair_stats(cfg: Config, res: Results) -> None:
    import mishaps

    n = max(cfg.query_ns)
    path = cached_db(n)
    db = mishaps.open(str(path))
    raw = sqlite3.connect(path)
    try:

        def ours() -> tuple[float, Any]:
            t0 = time.perf_counter()
            stats = db.stats(by="pair")
            return time.perf_counter() - t0, stats

        def floor() -> tuple[float, Any]:
            t0 = time.perf_counter()
            rows = raw.execute(PAIR_FLOOR).fetchall()
            return time.perf_counter() - t0, rows

        runs = interleaved({"ours": ours, "floor": floor}, cfg.pair_runs)
        killed = raw.execute("SELECT coalesce(sum(fatalities), 0) FROM mishap").fetchone()[0]
    finally:
        raw.close()
        db.close()
    stats, rows = runs["ours"][-1][1], runs["floor"][-1][1]
    got = {(r.key, r.mishaps, r.fatalities, r.fatalities_unknown, r.destroyed) for r in stats.rows}
    assert got == set(rows), f"stats --by pair differs from its floor: {got ^ set(rows)}"
    assert stats.total.fatalities == killed, "the total counts a mishap's fatalities once"
    a = median([t for t, _ in runs["ours"]])
    b = median([t for t, _ in runs["floor"]])
    res.add(
        FEATURES,
        Row(
            f"`stats --by pair`, {n:,} cases ({len(rows)} pairs; in-process)",
            secs(a),
            f"the same counts by one raw `sqlite3` statement {secs(b)}",
            a / b,
            "≤2×",
            f"{cfg.pair_runs} run{'s' if cfg.pair_runs > 1 else ''}; every group's mishaps,"
            " killed, unknown and destroyed equal the floor's",
        ),
    )


def _http_get(url: str) -> tuple[float, bytes]:
    from urllib.request import urlopen

    t0 = time.perf_counter()
    with urlopen(url, timeout=120) as response:
        body = response.read()
    return time.perf_counter() - t0, body


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_serving(proc: subprocess.Popen[bytes], url: str) -> None:
    from urllib.error import URLError

    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"mishaps serve ended ({proc.returncode})")
        try:
            _http_get(url)
            return
        except (URLError, ConnectionError):
            time.sleep(0.2)


# (what, path under the database): the mishaps page computes its six default facets; the list
# facet (the "count mishaps by aircraft type" link: mishaps.web.facets) is the heaviest a click
# away, and clicking its most common value filters every facet of the next page by it; the pairs
# facet is a plain column.
SERVE_PAGES = [
    ("the mishaps table page (its six default facets)", "cases"),
    ("a list facet: mishaps by aircraft type", "cases?_facet_list=aircraft_types"),
    (
        "the same after clicking KC-135R",
        "cases?_facet_list=aircraft_types&aircraft_types__arraycontains=KC-135R",
    ),
    ("a column facet: pairs by tanker type", "case_pair?_facet=tanker_type"),
]


def bench_serve(cfg: Config, res: Results) -> None:
    n = cfg.query_ns[0]
    db = cached_db(n)
    port = _free_port()
    root = f"http://127.0.0.1:{port}/mishaps/"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MISHAPS_")}
    argv = [MISHAPS, "--db", str(db), "serve", "--port", str(port)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_until_serving(proc, root + "cases.json?_size=1")
        started = time.perf_counter() - t0
        first = {path: _http_get(root + path)[0] for _, path in SERVE_PAGES}
        runs = interleaved(
            {path: lambda path=path: _http_get(root + path)[0] for _, path in SERVE_PAGES},
            cfg.serve_runs,
        )
        unshown = _check_serve_counts(db, root)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    res.add(
        FEATURES,
        Row(
            f"`mishaps serve`, {n:,} cases: start-up (snapshot + browse tables) to the first page",
            secs(started),
            "",
            None,
        ),
    )
    if unshown:
        res.note(
            FEATURES,
            f"`mishaps serve`: Datasette gave up on the facet(s) {', '.join(unshown)} (past"
            " `facet_time_limit_ms`) when the counts were checked: the page showed no counts",
        )
    for what, path in SERVE_PAGES:
        t = median(runs[path])
        res.add(
            FEATURES,
            Row(
                f"`mishaps serve`, {n:,} cases: {what} (`/{path}`; HTTP response;"
                " ratio = time / 1 s)",
                ms(t),
                f"1 s; first request {ms(first[path])}",
                t,
                "≤1×",
                f"{cfg.serve_runs} runs",
            ),
        )


def _check_serve_counts(db: Path, root: str) -> list[str]:
    """The pages count what the database holds: every mishap, mishaps (not aircraft) by type,
    and the mishaps of one type. Returns the facets that Datasette gave up on (past
    `facet_time_limit_ms`): a page that shows no counts."""
    con = sqlite3.connect(db)
    cases = con.execute("SELECT count(*) FROM mishap").fetchone()[0]
    by_type = dict(
        con.execute("SELECT type, count(DISTINCT mishap_pk) FROM aircraft GROUP BY type")
    )
    con.close()
    page = json.loads(_http_get(root + "cases.json?_facet_list=aircraft_types&_size=1")[1])
    assert page["filtered_table_rows_count"] == cases, page["filtered_table_rows_count"]
    if "aircraft_types" in page["facet_results"]:
        shown = page["facet_results"]["aircraft_types"]["results"]
        assert shown and all(by_type[f["value"]] == f["count"] for f in shown), shown
    clicked = json.loads(
        _http_get(root + "cases.json?aircraft_types__arraycontains=KC-135R&_size=1")[1]
    )
    assert clicked["filtered_table_rows_count"] == by_type["KC-135R"], clicked
    return list(page.get("facets_timed_out") or [])


# ---------------------------------------------------------------------------------------------
# 5. Size


def bench_size(cfg: Config, res: Results, db: Path) -> None:
    print("5. size", flush=True)
    n = cfg.import_n
    checkpoint(db)
    size = db.stat().st_size
    sec = "Database size"
    per = size / n * 10_000
    res.add(
        sec,
        Row(
            f"file, {n:,} cases, imported (history included)",
            f"{per / 2**20:,.1f} MiB per 10k cases",
            f"{size / 2**20:,.0f} MiB in all",
            None,
        ),
    )
    con = sqlite3.connect(db)
    try:
        parts: dict[str, int] = {}
        for name, pgsize in con.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
            kind = (
                "full-text index"
                if name.startswith("mishap_fts")
                else "history (revision)"
                if name.startswith("revision") or "revision" in name
                else "indexes"
                if name.startswith(("ix_", "sqlite_autoindex"))
                else "tables"
            )
            parts[kind] = parts.get(kind, 0) + pgsize
        for kind, b in sorted(parts.items(), key=lambda kv: -kv[1]):
            res.add(
                sec,
                Row(
                    f"  of which {kind}",
                    f"{b / n * 10_000 / 2**20:,.1f} MiB per 10k cases",
                    f"{100 * b / size:.0f} %",
                    None,
                ),
            )
    except sqlite3.OperationalError:
        res.note(sec, "this SQLite has no dbstat table: no breakdown by table")
    con.close()


# ---------------------------------------------------------------------------------------------
# Report


def versions() -> str:
    from importlib.metadata import version

    libs = ", ".join(
        f"{p} {version(p)}"
        for p in ("typer", "sqlmodel", "sqlalchemy", "pydantic", "jinja2", "weasyprint")
    )
    return f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {libs}"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(
            int(x.split()[1])
            for x in Path("/proc/meminfo").read_text().splitlines()
            if x.startswith("MemTotal")
        )
        memory = f", {mem / 2**20:.0f} GiB RAM"
    except (OSError, StopIteration):
        memory = ""
    return f"{os.cpu_count()} × {cpu}{memory}, {platform.system()} {platform.release()}"


def _query_rows(res: Results) -> dict[str, list[Row]]:
    return {k: v for k, v in res.sections.items() if k.startswith("Query latency")}


def headline(res: Results) -> list[str]:
    """The targeted rows; the many query rows of a size as one line (their range)."""
    out = []
    queries = _query_rows(res)
    for section, rows in res.sections.items():
        if section in queries:
            targeted = [r for r in rows if r.target and r.ratio is not None]
            if targeted:
                lo = min(targeted, key=lambda r: r.ratio or 0)
                hi = max(targeted, key=lambda r: r.ratio or 0)
                met = "yes" if all(r.met() == "yes" for r in targeted) else "**no**"
                size = section.removeprefix("Query latency, ").split(" (")[0]
                out.append(
                    f"| {len(targeted)} listings, each filter, {size} (in-process) | "
                    f"{lo.ratio:.2f}× ({lo.what}) to {hi.ratio:.2f}× ({hi.what}) | raw `sqlite3` |"
                    f" ≤ {hi.ratio:.2f}× | {hi.target} | {met} |"
                )
            continue
        for r in rows:
            if r.target and r.ratio is not None:
                out.append(
                    f"| {r.what} | {r.ours} | {r.floor} | {r.ratio:.2f}× | {r.target} | {r.met()} |"
                )
    return out


def quote(res: Results) -> list[str]:
    """A few sentences for the README, from this run's numbers."""

    def find(prefix: str) -> Row | None:
        return next(
            (r for rows in res.sections.values() for r in rows if r.what.startswith(prefix)), None
        )

    out = []
    if (h := find("`mishaps --help`")) and h.ratio:
        out.append(f"- `mishaps --help` runs in {h.ours}, {h.ratio:.1f}× a bare `import typer`.")
    full = find("`mishaps list --aircraft KC-135 --format json` against")
    small = find("`mishaps list --aircraft KC-135 --format json`,")
    if small and small.ratio and full and full.ratio:
        out.append(
            f"- `mishaps list --aircraft KC-135 --format json` on {small.what.split(', ', 1)[1]}"
            f" takes {small.ours}, {small.ratio:.2f}× a bare `import sqlmodel`; on"
            f" {full.what.split('floor, ', 1)[1]} {full.ours}, {full.ratio:.2f}× a bare process"
            " that imports sqlmodel, runs the same SQL through `sqlite3` and prints it."
        )
    for section, rows in _query_rows(res).items():
        ratios = sorted(r.ratio for r in rows if r.ratio is not None)
        if ratios and "1,000,000" in section:
            out.append(
                f"- At a million cases every filter's listing is within {ratios[0]:.1f}–"
                f"{ratios[-1]:.1f}× of the same query through raw `sqlite3` with the same"
                " indexes, and no filter scans a whole table (`tests/test_query_plans.py`)."
            )
    if (y := find("`mishaps import cases.yaml`")) and y.ratio:
        n = next((k.split()[1] for k in res.sections if "in one YAML file" in k), "")
        out.append(
            f"- `mishaps import cases.yaml` ({n} cases in one file) takes {y.ours}, {y.ratio:.2f}×"
            " libyaml's bare load of the same file plus the JSON import of the same cases."
        )
    if (imp := find("throughput")) and imp.ratio:
        out.append(
            f"- Import validates every field and keeps history at {imp.ours.split(' (')[0]},"
            f" {imp.ratio:.2f}× the throughput of a raw `executemany` of the same rows."
        )
    brief = find("`mishaps report brief ID`: time")
    summary = find("`mishaps report summary`, 1,000 cases: time")
    if brief and brief.ratio and summary and summary.ratio:
        out.append(
            f"- A PDF brief takes {brief.ours} ({brief.ratio:.2f}× a bare WeasyPrint render of"
            f" the same HTML); a 1,000-case summary {summary.ours} ({summary.ratio:.2f}×)."
        )
    if (pairs := find("`stats --by pair`")) and pairs.ratio:
        out.append(
            f"- `stats --by pair` over {pairs.what.split(', ')[1].split(' (')[0]} takes"
            f" {pairs.ours}, {pairs.ratio:.2f}× one raw `sqlite3` statement counting the same"
            " groups (the counts are checked equal)."
        )
    pages = [r for rows in res.sections.values() for r in rows if "HTTP response" in r.what]
    if pages:
        each = "; ".join(f"{r.what.split(': ', 1)[1].split(' (`')[0]} {r.ours}" for r in pages)
        out.append(f"- `mishaps serve` over {pages[0].what.split(', ')[1].split(':')[0]}: {each}.")
    if size := find("file,"):
        out.append(f"- Storage: {size.ours}, history and full-text index included.")
    return out


def write(res: Results, path: Path, doc: dict[str, Any]) -> None:
    cfg = res.config
    lines = [
        "# Benchmark results" + (" (quick smoke run: small N, few repeats)" if cfg.quick else ""),
        "",
        f"Generated by `{_command(doc)}` (bench/run.py) on"
        f" {doc['when']} UTC in {doc['minutes']:.1f} min, of which {doc['building']:.1f} min"
        " building synthetic data (cached in bench/data/ for the next run).",
        *_parts_line(doc),
        f"Machine: {doc['machine']}.  ",
        f"Versions: {doc['versions']}.",
        "",
        "Every figure is a median beside its floor, measured in the same run, interleaved with it;",
        "the ratio is ours / floor (for import: our throughput / the floor's). The machine is",
        "shared, so absolute times drift by ±20 % between runs: compare ratios, not times.",
        "All data is synthetic (bench/synth.py): ids `synthetic-…`, titles `[SYNTHETIC] …`.",
        "",
        "## For the README",
        "",
        *quote(res),
        "",
        "## Headline (against the targets of issues 6 and 16)",
        "",
        "| what | ours | floor | ratio | target | met |",
        "| --- | --- | --- | --- | --- | --- |",
        *headline(res),
        "",
        "Targets not met are explained, with profiles, in the notes at the end.",
        "",
    ]
    for section, rows in res.sections.items():
        lines += [
            f"## {section}",
            "",
            "| what | ours | floor | ratio | target |",
            "| --- | --- | --- | --- | --- |",
        ]
        for r in rows:
            ratio = "" if r.ratio is None else f"{r.ratio:.2f}×"
            note = f" ({r.note})" if r.note else ""
            lines.append(f"| {r.what}{note} | {r.ours} | {r.floor} | {ratio} | {r.target} |")
        lines += [f"- {n}" for n in res.notes.get(section, [])]
        lines.append("")
    for section, notes in res.notes.items():
        if section not in res.sections:
            lines += [f"## {section}", "", *[f"- {n}" for n in notes], ""]
    notes = HERE / "NOTES.md"
    if notes.exists() and not cfg.quick:
        lines += [notes.read_text(encoding="utf-8").rstrip(), ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {path}", flush=True)


def _parts_line(doc: dict[str, Any]) -> list[str]:
    parts = doc.get("parts") or {}
    if not parts:
        return []
    each = ", ".join(f"{k} {w:.1f} ({c:.1f})" for k, (w, c) in parts.items())
    return [
        f"Minutes by part measured in this run, wall (CPU of the run and its children): {each}."
    ]


def _command(doc: dict[str, Any]) -> str:
    if doc.get("only"):  # a partial run: the other sections say which run they come from
        return f"bench/run.py{' --quick' if doc['quick'] else ''} --only {doc['only']}"
    return f"make bench{'-quick' if doc['quick'] else ''}"


def save(res: Results, path: Path, minutes: float, only: str | None = None) -> None:
    """The measurements as JSON, so the Markdown can be rewritten after editing NOTES.md."""
    doc = {
        "quick": res.config.quick,
        "only": only,
        "minutes": minutes,
        "building": BUILDING[0] / 60,
        "parts": {k: [w / 60, c / 60] for k, (w, c) in PARTS.items()},
        "when": f"{datetime.now(UTC):%Y-%m-%d %H:%M}",
        "machine": machine(),
        "versions": versions(),
        "sections": {k: [asdict(r) for r in v] for k, v in res.sections.items()},
        "notes": res.notes,
    }
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")


def load(path: Path) -> tuple[Results, dict[str, Any]]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    res = Results(QUICK if doc["quick"] else FULL)
    res.sections = {k: [Row(**r) for r in v] for k, v in doc["sections"].items()}
    res.notes = doc["notes"]
    return res, doc


STALE = "not measured in this run: from the run of "


def merged(res: Results, saved: Path) -> Results:
    """This run's sections, and the last run's for the parts not measured now (each says so)."""
    last, doc = load(saved)
    out = Results(res.config, notes=dict(res.notes))
    for section, rows in last.sections.items():
        # The run the old rows come from: the oldest note that names one (earlier versions of
        # this function stacked a note per run), else the last run.
        stale = [n for n in last.notes.get(section, []) if n.startswith(STALE)]
        others = [n for n in last.notes.get(section, []) if not n.startswith(STALE)]
        origin = stale[-1] if stale else f"{STALE}{doc['when']} UTC"
        if section in res.sections and section in res.partial:
            fresh = {r.what for r in res.sections[section]}
            old = [r for r in rows if r.what not in fresh]
            out.sections[section] = res.sections[section] + old
            if old:
                out.notes.setdefault(section, []).append(
                    f"{origin.removeprefix(STALE).join(('from the run of ', ':'))} "
                    + "; ".join(r.what for r in old)
                )
        elif section in res.sections:
            out.sections[section] = res.sections[section]
        else:
            out.sections[section] = rows
            out.notes[section] = [origin, *others]
    for section, rows in res.sections.items():
        out.sections.setdefault(section, rows)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="small N and few repeats: a smoke test"
    )
    parser.add_argument(
        "--only",
        help="comma-separated parts to run: startup,queries,import,yaml,reports,features,size"
        " (briefs: the reports' brief rows alone)",
    )
    parser.add_argument("--output", type=Path, help="where to write the results (Markdown)")
    parser.add_argument(
        "--rewrite",
        action="store_true",
        help="measure nothing: rewrite the Markdown from the last run's JSON (after editing notes)",
    )
    args = parser.parse_args()
    cfg = QUICK if args.quick else FULL
    default = DATA / "RESULTS-quick.md" if cfg.quick else HERE / "RESULTS.md"
    # The full run's measurements sit beside RESULTS.md (in git), so --rewrite works anywhere.
    saved = DATA / "results-quick.json" if cfg.quick else HERE / "results.json"
    if args.rewrite:
        res, doc = load(saved)
        write(res, args.output or default, doc)
        return
    parts = set((args.only or "startup,queries,import,yaml,reports,features,size").split(","))
    DATA.mkdir(exist_ok=True)
    started = time.perf_counter()
    res = Results(cfg)
    imported = None
    if "import" in parts or "size" in parts:
        with timed("import"):
            imported = bench_import(cfg, res)
            cached_db(cfg.import_n, from_import=imported)
    for part, bench in (
        ("yaml", bench_yaml_import),
        ("startup", bench_startup),
        ("queries", bench_queries),
        ("reports", bench_reports),
        ("briefs", bench_briefs),
        ("features", bench_features),
    ):
        if part in parts:
            with timed(part):
                bench(cfg, res)
    if "size" in parts and imported is not None:
        bench_size(cfg, res, imported)
    if imported is not None:
        shutil.rmtree(imported.parent, ignore_errors=True)
    if args.only and saved.exists():  # a partial run: the other sections stay from the last one
        res = merged(res, saved)
    save(res, saved, (time.perf_counter() - started) / 60, args.only)
    res, doc = load(saved)
    write(res, args.output or default, doc)


if __name__ == "__main__":
    main()
