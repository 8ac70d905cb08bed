"""Python's cyclic garbage collector held off during bulk work (issue 16).

Rows, tuples and dicts of text and numbers make no reference cycles, but every 700 new container
objects start a collection, and the older generations' collections walk every object made so
far: a listing of 350,000 rows, or an import of 100,000 cases (ten million postings), spent a
fifth or more of its time in collections that freed nothing. ``paused`` holds them off for a
block and lets collection resume, if it was on, on the way out.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
