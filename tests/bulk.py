"""Many plausible cases, fast: interchange JSON files for the load tests (tests/test_load.py).

Far simpler than bench/synth.py (which shapes text and dates like the real cases for timing):
each case here is small (about 1 kB), valid, and varies only where a load test looks. Every case
of a batch has its own exact day and the batch's own tanker and receiver, so no two cases of
different batches share a day and an aircraft family: importing them raises no suspected
duplicates (mishaps.duplicates), whatever the batches' sizes.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

# (tanker, receiver) pairs of distinct aircraft families, one per batch.
PAIRS = [
    ("KC-135R", "F-16C"),
    ("KC-10A", "F-15E"),
    ("KC-46A", "B-52H"),
    ("KC-130J", "MV-22B"),
    ("A330 MRTT", "F-35A"),
    ("KC-97G", "B-47E"),
    ("Voyager KC2", "Typhoon FGR4"),
    ("KC-767", "F-2A"),
]
FIRST_DAY = date(1960, 1, 1)


def case(batch: int, n: int, day: date) -> dict[str, Any]:
    tanker, receiver = PAIRS[batch % len(PAIRS)]
    return {
        "id": f"load-{batch}-{n:06d}",
        "title": f"{tanker} and {receiver}: boom strike {n} of batch {batch}",
        "occurred_on": day.isoformat(),
        "status": "final",
        "service": "USAF",
        "location": {"description": f"Refuelling track AR-{100 + n % 600}"},
        "refueling": {"method": "boom", "phase": "contact"},
        "mishap_class": "C",
        "fatalities": 0,
        "occurrence_categories": ["MAC"],
        "aircraft": [
            {"role": "tanker", "type": tanker, "crew": 3, "damage": "minor"},
            {"role": "receiver", "type": receiver, "damage": "minor"},
        ],
        "findings": [
            {
                "kind": "cause",
                "text": f"The receiver pilot misjudged the closure rate in contact {n}.",
            }
        ],
        "summary": (
            f"Case {n} of load batch {batch}. The {receiver} moved forward during contact with"
            f" the {tanker}; the boom struck the canopy and the crews broke away. Both aircraft"
            " landed safely with minor damage."
        ),
        "sources": [
            {
                "title": f"Load test case {n}",
                "publisher": "Example Publisher",
                "url": f"https://example.invalid/load/{batch}/{n}",
                "kind": "other",
            }
        ],
    }


def write_batch(path: Path, batch: int, count: int, *, first_day: date = FIRST_DAY) -> list[str]:
    """``count`` cases of ``batch`` as one ``{"mishaps": [...]}`` JSON file; returns their ids.

    The cases take consecutive days from ``first_day``: keep ``count`` under about 24,000 so
    that the last day is not in the future."""
    cases = [case(batch, n, first_day + timedelta(days=n)) for n in range(count)]
    path.write_text(json.dumps({"mishaps": cases}), encoding="utf-8")
    return [c["id"] for c in cases]
