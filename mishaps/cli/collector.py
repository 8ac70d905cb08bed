"""Python's cyclic garbage collector in a command's process: kept off the objects that live
until the process ends (issue 16).

Most of a command's start-up is importing SQLAlchemy, sqlmodel, pydantic and our tables: about
100,000 objects the collector tracks, which stay until the process exits and are never garbage.
The collector walks them all the same, again and again while they load and once more when the
interpreter shuts down: about 80 ms of CPU of `mishaps list` on 10,000 cases (373 -> 293 ms,
interleaved runs), more than our own modules, our tables and the query together, and none of it
freed anything.

``mishaps.cli.main`` (the console entry point) calls ``exiting``; ``open_database`` calls
``load``, also under CliRunner, where freezing only exempts the objects of that moment from
later collections.
"""

import gc
import importlib
import sys

from mishaps.collection import paused


def load(module: str) -> None:
    """Import ``module`` with the collector paused, then freeze everything loaded so far.

    Frozen objects (``gc.freeze``) are skipped by every later collection, the last ones at exit
    included. Collection resumes, if it was on, as soon as the import is done: the command's own
    garbage is collected as before.
    """
    if module in sys.modules:
        return
    with paused():
        importlib.import_module(module)
        gc.freeze()  # before collection resumes: else its first pass walks all that was loaded


def exiting() -> None:
    """The process is about to end: spare the interpreter's last collections the walk over
    every object (~10 ms of `mishaps list` after ``load``). The objects are freed as modules are
    torn down, as usual; only the finalizers of objects still in reference cycles at exit,
    which Python does not promise to run, may not run. Files are written and closed, and the
    database's connections closed, before a command returns (``open_database``)."""
    gc.freeze()
