"""mishaps: an air refueling mishap database and PDF report generator.

``mishaps.open()`` is the library's entry point (docs/api.md). Importing this package is cheap:
the API and its database libraries load on first use of a name below.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mishaps.api import Database, open
    from mishaps.errors import (
        Cancelled,
        Conflict,
        DatabaseError,
        InvalidFilter,
        InvalidInput,
        MishapsError,
        NotFound,
    )
    from mishaps.filters import Filters

__all__ = [
    "Cancelled",
    "Conflict",
    "Database",
    "DatabaseError",
    "Filters",
    "InvalidFilter",
    "InvalidInput",
    "MishapsError",
    "NotFound",
    "open",
]

# name -> module it lives in; imported on first access (PEP 562), so `import mishaps` loads
# neither SQLAlchemy nor pydantic.
_LAZY = {
    "open": "mishaps.api",
    "Database": "mishaps.api",
    "Filters": "mishaps.filters",
    **{
        name: "mishaps.errors"
        for name in (
            "Cancelled",
            "Conflict",
            "DatabaseError",
            "InvalidFilter",
            "InvalidInput",
            "MishapsError",
            "NotFound",
        )
    },
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    # The version is looked up on first use: importlib.metadata costs ~35 ms at start-up, a
    # third of `mishaps --help`.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("mishaps")
        except PackageNotFoundError:  # running from a source tree that was never installed
            value = "0+unknown"
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
