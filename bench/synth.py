"""Synthetic mishaps for benchmarks: realistic in shape, plainly fake in content.

Every case is marked three ways: its id starts with ``synthetic-``, its title with
``[SYNTHETIC]``, and every source URL is under ``https://example.invalid/`` (a domain that can
never resolve). Nothing here is ever written into ``seed_data/``; files and databases go to
``bench/data/`` (git-ignored).

The shape follows the seed cases: 1-3 aircraft (a tanker, a receiver, sometimes a second
receiver or another aircraft), types drawn from a weighted list of real tankers and receivers,
1-5 findings, dates from 1958 to last year with a share of month-only and year-only dates, and
about 2 kB of text per case. Generation is deterministic for a given seed.

Usage:
    python bench/synth.py files N DIR     # interchange JSON files of at most 10,000 cases each
    python bench/synth.py db N FILE       # a database filled through the project's bulk path
"""

from __future__ import annotations

import json
import random
import sqlite3
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

VERSION = 1  # bump when the shape changes, so cached files and databases are rebuilt
PER_FILE = 10_000  # cases per interchange file: well under the importer's 64 MiB file limit

# (type, weight): weights loosely follow how often each type appears in public mishap reports.
TANKERS = [
    ("KC-135R", 30),
    ("KC-135T", 4),
    ("KC-135E", 3),
    ("KC-135A", 4),
    ("KC-135Q", 2),
    ("KC-10A", 12),
    ("KC-46A", 8),
    ("KC-130J", 8),
    ("KC-130H", 4),
    ("HC-130P", 2),
    ("MC-130J", 2),
    ("A330 MRTT", 5),
    ("Voyager KC2", 2),
    ("KC-767", 1),
    ("Tristar K1", 1),
    ("VC10 K3", 1),
    ("KDC-10", 1),
    ("MQ-25A", 1),
    ("KC-97G", 2),
    ("KB-50J", 1),
]
RECEIVERS = [
    ("F-15E", 8),
    ("F-15C", 5),
    ("F-16C", 12),
    ("F-16CM", 3),
    ("F-22A", 5),
    ("F/A-18E", 5),
    ("F/A-18F", 4),
    ("F/A-18C", 4),
    ("EA-18G", 2),
    ("F-35A", 6),
    ("F-35B", 2),
    ("F-35C", 3),
    ("B-52H", 6),
    ("B-1B", 4),
    ("B-2A", 2),
    ("C-17A", 6),
    ("C-5M", 2),
    ("E-3B", 2),
    ("E-3G", 2),
    ("RC-135V", 2),
    ("A-10C", 3),
    ("AV-8B", 2),
    ("CH-53E", 1),
    ("MV-22B", 2),
    ("HH-60G", 1),
    ("Typhoon FGR4", 2),
    ("Tornado GR4", 1),
    ("F-4E", 3),
    ("F-105D", 2),
    ("F-111F", 1),
    ("SR-71A", 1),
    ("A-7E", 1),
    ("KC-135R", 1),
]
SERVICES = [
    ("USAF", 55),
    ("USN", 12),
    ("USMC", 7),
    ("USAF / USN", 5),
    ("USAF / USMC", 3),
    ("RAF", 5),
    ("RAAF", 3),
    ("RCAF", 2),
    ("French Air and Space Force", 2),
    ("Luftwaffe", 1),
    ("IAF", 1),
    ("JASDF", 1),
    ("ANG", 3),
]
COUNTRIES = [
    "US",
    "US",
    "US",
    "AF",
    "IQ",
    "KW",
    "QA",
    "DE",
    "GB",
    "JP",
    "KR",
    "ES",
    "IT",
    "AU",
    "SA",
    "AE",
    "TR",
    "GU",
    None,
    None,
    None,
]
CATEGORIES = [
    "MAC",
    "SCF-NP",
    "SCF-PP",
    "LOC-I",
    "OTHR",
    "FUEL",
    "TURB",
    "UNK",
    "CFIT",
    "NAV",
    "ICE",
    "MED",
    "LALT",
    "UIMC",
    "ARC",
]
HFACS = [
    "AE101",
    "AE102",
    "AE104",
    "AE105",
    "AE107",
    "AE201",
    "AE202",
    "AE207",
    "AD001",
    "PC101",
    "PC102",
    "PC103",
    "PC106",
    "PC110",
    "PC206",
    "PC209",
    "PC307",
]
FINDING_KINDS = [("cause", 35), ("contributing", 30), ("finding", 25), ("recommendation", 10)]
PHASES = [
    ("contact", 30),
    ("pre-contact", 15),
    ("disconnect", 15),
    ("breakaway", 8),
    ("rendezvous", 8),
    ("post-refueling", 6),
    ("not-refueling", 3),
    ("unknown", 15),
]

CALLSIGNS = ["VIPER", "DUDE", "RAGE", "BONE", "REACH", "SHELL", "TEXACO", "ARCO"]
EVENTS = [
    "boom strike",
    "hose whip",
    "basket separation",
    "mid-air collision",
    "fuel leak",
    "wake encounter",
    "probe failure",
]

# Words for text: a Zipf-like vocabulary, so full-text terms range from common to rare.
_COMMON = [
    "the",
    "tanker",
    "receiver",
    "boom",
    "hose",
    "drogue",
    "basket",
    "probe",
    "contact",
    "position",
    "pilot",
    "crew",
    "aircraft",
    "refuelling",
    "fuel",
    "formation",
    "altitude",
    "speed",
    "turbulence",
    "night",
    "weather",
    "track",
    "orbit",
    "wing",
    "disconnect",
    "closure",
    "rate",
    "observer",
    "operator",
    "nozzle",
    "receptacle",
    "damage",
    "inspection",
    "landing",
]
_RARE = [
    "canopy",
    "windscreen",
    "antenna",
    "pitot",
    "fairing",
    "nacelle",
    "ruddervator",
    "spoiler",
    "slipway",
    "toggle",
    "latch",
    "gimbal",
    "telescope",
    "flapper",
    "valve",
    "servo",
    "actuator",
    "bracket",
    "harness",
    "lanyard",
    "placard",
    "checklist",
    "helmet",
    "goggles",
    "lightning",
    "icing",
    "wake",
    "vortex",
    "sunrise",
    "dusk",
    "haze",
    "cirrus",
    "squall",
    "shear",
    "bulkhead",
    "seam",
    "rivet",
    "fracture",
    "chafing",
    "corrosion",
    "fatigue",
    "leak",
    "spray",
    "vapour",
    "fire",
    "smoke",
]
_SENTENCES = [
    "The {t} was established in the {track} track at {alt} feet when the {r} moved to {phase}.",
    "During the {phase} the {part} of the {t} contacted the {r2} of the {r}, causing {dmg} damage.",
    "The {op} reported an excessive closure rate and called breakaway about {sec} seconds later.",
    "Weather in the area included {wx}, with light to moderate turbulence reported by the crew.",
    "Post-flight inspection found {w1} and {w2} damage to the {r2} and a {w3} in the {part}.",
    "The board found that the {crew} did not follow the {phase} checklist and misjudged the {w1}.",
    "Maintenance records showed a recurring {w1} write-up on the {part}, not yet corrected.",
    "Both aircraft landed safely at {base}; the {r} diverted with {fuel} pounds of fuel remaining.",
    "The investigation noted {w1}, {w2} and {w3} as factors in the loss of situational awareness.",
    "Night vision goggles were in use and the {w1} lighting on the {t} was reported as degraded.",
    "The {crew} had flown {hrs} hours that week; the board considered {w3} as contributing.",
    "Training records and interviews with the {op} and the {crew} were reviewed by the board.",
]
_PARTS = ["boom", "nozzle", "drogue", "hose", "basket", "ruddervator", "receptacle", "probe"]
_RPARTS = [
    "canopy",
    "windscreen",
    "refuelling receptacle",
    "probe",
    "radome",
    "vertical stabiliser",
    "left wing",
    "engine intake",
]
_WX = ["scattered cumulus", "a thin cirrus layer", "haze", "clear skies", "isolated thunderstorms"]
_BASES = ["a forward operating base", "the home station", "an alternate airfield", "a divert field"]
_FINDINGS = [
    "The {who} failed to maintain {what} during the {phase}.",
    "Inadequate {what} by the {who} allowed the closure rate to exceed limits.",
    "The {what} was not briefed before the {phase}, and the {who} was not aware of it.",
    "A {w1} in the {part} was not detected at the last inspection.",
    "Recommend that {who}s receive additional training on {what} and {w1} recognition.",
]
_WHO = [
    "receiver pilot",
    "boom operator",
    "aircraft commander",
    "tanker crew",
    "flight lead",
    "hose drum unit operator",
    "wingman",
]
_WHAT = [
    "proper position",
    "visual references",
    "crew coordination",
    "closure rate control",
    "radio discipline",
    "formation spacing",
    "situational awareness",
]


def _weighted(pairs: list[tuple[Any, int]]) -> tuple[list[Any], list[int]]:
    items, weights = zip(*pairs, strict=True)
    cum, total = [], 0
    for w in weights:
        total += w
        cum.append(total)
    return list(items), cum


class Generator:
    """Cases as interchange-format mappings (what a YAML or JSON file would hold)."""

    def __init__(self, seed: int = 1958) -> None:
        self.rng = random.Random(seed)
        self.tankers = _weighted(TANKERS)
        self.receivers = _weighted(RECEIVERS)
        self.services = _weighted(SERVICES)
        self.kinds = _weighted(FINDING_KINDS)
        self.phases = _weighted(PHASES)
        self.last_year = date.today().year - 1
        self.words = _COMMON * 8 + _RARE

    def _pick(self, table: tuple[list[Any], list[int]]) -> Any:
        return self.rng.choices(table[0], cum_weights=table[1])[0]

    def _sentence(self, t: str, r: str, phase: str) -> str:
        rng = self.rng
        w = self.words
        return rng.choice(_SENTENCES).format(
            t=t,
            r=r,
            phase=phase,
            part=rng.choice(_PARTS),
            r2=rng.choice(_RPARTS),
            track=f"AR-{rng.randint(100, 699)}",
            alt=rng.randrange(14_000, 32_000, 500),
            op=rng.choice(["boom operator", "observer", "hose drum unit operator"]),
            sec=rng.randint(2, 20),
            wx=rng.choice(_WX),
            w1=rng.choice(w),
            w2=rng.choice(w),
            w3=rng.choice(w),
            crew=rng.choice(_WHO),
            base=rng.choice(_BASES),
            fuel=rng.randrange(4_000, 40_000, 100),
            hrs=rng.randint(8, 60),
            dmg=rng.choice(["minor", "substantial", "Class C", "cosmetic"]),
        )

    def case(self, n: int) -> dict[str, Any]:
        rng = self.rng
        tanker = self._pick(self.tankers)
        receiver = self._pick(self.receivers)
        aircraft: list[dict[str, Any]] = [
            {
                "role": "tanker",
                "type": tanker,
                "serial": f"{rng.randint(57, 99)}-{rng.randint(1, 9999):04d}",
                "unit": f"{rng.randint(6, 940)}th Air Refueling Squadron",
                "crew": rng.randint(3, 6),
            },
            {
                "role": "receiver",
                "type": receiver,
                "callsign": f"{rng.choice(CALLSIGNS)} {rng.randint(1, 99):02d}",
            },
        ]
        extra = rng.random()
        if extra < 0.15:
            aircraft.append({"role": "receiver", "type": self._pick(self.receivers)})
        elif extra < 0.2:
            aircraft.append(
                {"role": "other", "type": rng.choice(["E-3G", "RC-135W", "C-17A", "MQ-9A"])}
            )

        year = rng.randint(1958, self.last_year)
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        shape = rng.random()
        occurred = (
            f"{year}-{month:02d}-{day:02d}"
            if shape < 0.8
            else f"{year}-{month:02d}"
            if shape < 0.95
            else str(year)
        )
        mclass = rng.choices(["A", "B", "C", "D", "E", None], weights=[15, 20, 35, 5, 5, 20])[0]
        severe = mclass in ("A", None) and rng.random() < 0.3
        fatalities = (rng.randint(1, 8) if severe else 0) if rng.random() < 0.8 else None
        if fatalities:
            aircraft[-1]["fatalities"] = min(fatalities, 2)
        aircraft[-1]["damage"] = (
            "destroyed" if severe else rng.choice(["substantial", "minor", "none", "unknown"])
        )
        phase = self._pick(self.phases)
        method = (
            "boom"
            if tanker.startswith(("KC-135", "KC-10", "KC-46", "KDC", "KC-767"))
            and rng.random() < 0.85
            else rng.choice(["probe-and-drogue", "probe-and-drogue", "unknown"])
        )

        summary = " ".join(
            self._sentence(tanker, receiver, phase) for _ in range(rng.randint(6, 11))
        )
        findings = []
        for _ in range(rng.randint(1, 5)):
            text = (
                rng.choice(_FINDINGS).format(
                    who=rng.choice(_WHO),
                    what=rng.choice(_WHAT),
                    phase=phase,
                    part=rng.choice(_PARTS),
                    w1=rng.choice(self.words),
                )
                + " "
                + self._sentence(tanker, receiver, phase)
            )
            finding: dict[str, Any] = {"kind": self._pick(self.kinds), "text": text}
            if rng.random() < 0.4:
                finding["hfacs"] = rng.sample(HFACS, rng.randint(1, 2))
            findings.append(finding)
        sid = f"synthetic-{n:07d}"
        doc: dict[str, Any] = {
            "id": sid,
            "title": f"[SYNTHETIC] {tanker} and {receiver}: {rng.choice(EVENTS)} during {phase}",
            "occurred_on": occurred,
            "status": rng.choices(["press", "preliminary", "final"], weights=[40, 25, 35])[0],
            "service": self._pick(self.services),
            "operation": rng.choice([None, "training", "Operation Synthetic Tempo", "exercise"]),
            "location": {
                "description": f"Synthetic refuelling track AR-{rng.randint(100, 699)}",
                "country": rng.choice(COUNTRIES),
                "latitude": round(rng.uniform(-40, 65), 3),
                "longitude": round(rng.uniform(-170, 170), 3),
            },
            "refueling": {"method": method, "phase": phase},
            "damage_usd": rng.choice([None, round(rng.uniform(5e3, 9e7), 2)]),
            "mishap_class": mclass,
            "fatalities": fatalities,
            "injuries": rng.choice([None, 0, 0, 1, 2]),
            "occurrence_categories": rng.sample(CATEGORIES, rng.choice([0, 1, 1, 1, 2, 3])),
            "aircraft": aircraft,
            "findings": findings,
            "summary": summary,
            "notes": (
                f"Synthetic case {n} generated for benchmarks; not a real event. "
                + self._sentence(tanker, receiver, phase)
            )
            if rng.random() < 0.3
            else None,
            "sources": [
                {
                    "title": f"Synthetic source {i + 1} for case {n}",
                    "publisher": "Example Publisher",
                    "url": f"https://example.invalid/synthetic/{sid}/{i + 1}",
                    "kind": rng.choice(["aib-report", "official-release", "press", "other"]),
                }
                for i in range(rng.randint(1, 3))
            ],
        }
        return doc

    def cases(self, n: int, start: int = 1) -> Iterator[dict[str, Any]]:
        for i in range(start, start + n):
            yield self.case(i)


def write_files(n: int, directory: Path, *, seed: int = 1958) -> list[Path]:
    """``n`` cases as ``{"mishaps": [...]}`` JSON files of at most PER_FILE cases each."""
    directory.mkdir(parents=True, exist_ok=True)
    gen = Generator(seed)
    paths = []
    for k, start in enumerate(range(1, n + 1, PER_FILE)):
        count = min(PER_FILE, n + 1 - start)
        path = directory / f"synthetic-{k:03d}.json"
        path.write_text(json.dumps({"mishaps": list(gen.cases(count, start))}), encoding="utf-8")
        paths.append(path)
    return paths


def fill_db(n: int, path: Path, *, seed: int = 1958, batch: int = 5_000) -> None:
    """A new database at ``path`` holding ``n`` validated synthetic cases.

    Goes through the project's own path (``schema.validate_case``, then ``store.insert_cases``
    in one transaction per batch) so the rows are exactly what an import would write.
    """
    from mishaps.config import to_url
    from mishaps.db import create_schema, make_engine, write_session
    from mishaps.schema import validate_case
    from mishaps.store import insert_cases

    path.unlink(missing_ok=True)
    engine = make_engine(to_url(str(path)), create=True)
    create_schema(engine)
    gen = Generator(seed)
    for start in range(1, n + 1, batch):
        cases = []
        for doc in gen.cases(min(batch, n + 1 - start), start):
            case, issues = validate_case(doc)
            if case is None:
                raise ValueError(f"generator made an invalid case {doc['id']}: {issues}")
            cases.append(case)
        with write_session(engine) as session:
            insert_cases(session, cases)
    engine.dispose()


def replicate(src: Path, dst: Path, factor: int) -> None:
    """``dst`` = ``src`` with every case copied ``factor`` times, in SQL (for the 1M database).

    Copy k of case ``synthetic-0000001`` is ``synthetic-0000001-rk``; the rows of every child
    table (``child_tables``), the search entries and the terms of `similar` are copied with their
    keys offset (history rows are not: queries never read them).
    Building a million validated cases one by one would take most of the benchmark's budget, and
    the import path is measured on its own.
    """
    import shutil

    dst.unlink(missing_ok=True)
    shutil.copyfile(src, dst)
    con = sqlite3.connect(dst)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    n = con.execute("SELECT max(pk) FROM mishap").fetchone()[0]
    mcols = [r[1] for r in con.execute("PRAGMA table_info(mishap)") if r[1] not in ("pk", "id")]
    children = child_tables(con)
    with con:
        for k in range(1, factor):
            off = k * n
            con.execute(
                f"INSERT INTO mishap (pk, id, {', '.join(mcols)})"
                f" SELECT pk + {off}, id || '-r{k}', "
                + ", ".join(mcols)
                + f" FROM mishap WHERE pk <= {n}"
            )
            for table in children:
                cols = [
                    r[1] for r in con.execute(f"PRAGMA table_info({table})") if r[1] != "mishap_pk"
                ]
                con.execute(
                    f"INSERT INTO {table} (mishap_pk, {', '.join(cols)}) SELECT mishap_pk + {off}, "
                    + ", ".join(cols)
                    + f" FROM {table} WHERE mishap_pk <= {n}"
                )
            con.execute(
                f"INSERT INTO mishap_fts (rowid, title, summary, findings) SELECT rowid + {off},"
                f" title, summary, findings FROM mishap_fts WHERE rowid <= {n}"
            )
            # similar_term has no foreign key (its key leads with the term), so it is not a child
            con.execute(
                f"INSERT INTO similar_term (term, mishap_pk, count, words) SELECT term,"
                f" mishap_pk + {off}, count, words FROM similar_term WHERE mishap_pk <= {n}"
            )
        # Every term is now in ``factor`` times as many cases.
        con.execute(f"UPDATE similar_df SET cases = cases * {factor}")
    con.execute("PRAGMA journal_mode=WAL")
    con.close()


def child_tables(con: sqlite3.Connection) -> list[str]:
    """Every table whose rows belong to a mishap (a foreign key on ``mishap_pk`` to
    ``mishap.pk``), read from the database itself: a table added later is copied too."""
    tables = [
        name
        for (name,) in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        )
    ]
    return [
        t
        for t in tables
        if any(
            fk[2] == "mishap" and fk[3] == "mishap_pk" and fk[4] == "pk"
            for fk in con.execute(f"PRAGMA foreign_key_list([{t}])")
        )
    ]


def main(argv: list[str]) -> None:
    if len(argv) != 3 or argv[0] not in ("files", "db"):
        raise SystemExit(__doc__)
    what, n, target = argv[0], int(argv[1]), Path(argv[2])
    if what == "files":
        for p in write_files(n, target):
            print(p)
    else:
        fill_db(n, target)
        print(target)


if __name__ == "__main__":
    main(sys.argv[1:])
