"""Wording shared by messages and reports. Imports nothing, so the CLI may use it freely."""


def plural(n: int, word: str) -> str:
    """``1 case``, ``2 cases``; a word that does not change (aircraft) stays as it is."""
    return f"{n} {word}" if n == 1 or word == "aircraft" else f"{n} {word}s"


def class_label(stated: str | None, derived: str | None) -> str:
    """``A`` for a stated class, ``A (derived)`` for a derived one, else ``unknown``. Here, not
    in ``classes`` (which loads the schema), because every row of a listing shows one."""
    if stated is not None:
        return stated
    if derived is not None:
        return f"{derived} (derived)"
    return "unknown"
