"""Wording shared by messages and reports. Imports nothing, so the CLI may use it freely."""


def plural(n: int, word: str) -> str:
    """``1 case``, ``2 cases``; a word that does not change (aircraft) stays as it is."""
    return f"{n} {word}" if n == 1 or word == "aircraft" else f"{n} {word}s"
