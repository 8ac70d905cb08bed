"""Progress of a long job, as typed events: the layer that shows a bar never parses log text."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# WeasyPrint reports its layout on the `weasyprint.progress` logger as "Step N - what"; these are
# its steps (fetch stylesheets ... write the PDF), after the one step of loading the cases.
LAYOUT_STEPS = 6
TOTAL_STEPS = LAYOUT_STEPS + 1
_STEP = re.compile(r"Step (\d+) - (.*)")


@dataclass(frozen=True)
class Progress:
    done: int  # steps finished, of ``total``
    total: int
    message: str
    cases: int | None = None  # on the first event: how many cases the job holds


ProgressCallback = Callable[[Progress], None]


def loaded(cases: int) -> Progress:
    return Progress(1, TOTAL_STEPS, f"Loaded {cases} cases", cases=cases)


def from_weasyprint(message: str) -> Progress | None:
    """WeasyPrint's progress message as an event (None for a message that is not a step)."""
    m = _STEP.match(message)
    if m is None:
        return None
    return Progress(min(int(m[1]) + 1, TOTAL_STEPS), TOTAL_STEPS, m[0])
