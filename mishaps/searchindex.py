"""The full-text search entries: what is indexed for a case, and rebuilding them all.

Plain SQL by column name, importing neither the models nor ``db``, so that a migration can
rebuild the entries on the schema of its day (a migration must not import the code that runs
migrations: ``store`` -> ``db`` -> ``migrations``). SQLite keeps them in FTS5 (``mishap_fts``),
PostgreSQL in a tsvector table (``mishap_search``).

Both backends are given the same text, folded here (``fold``): FTS5's unicode61 tokenizer drops
some accents by itself and PostgreSQL's parser none, so folding in Python is what makes "é" find
"e" on both, with no server extension (``unaccent`` needs a superuser to install).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from mishaps import mds

CHUNK = 500  # ids per IN (...) list: well under every driver's parameter limit


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


_NOT_A_TOKEN = re.compile(r"[\W_]+")


def fold(text_: str) -> str:
    """Text as both search indexes hold it, and as queries are read: case folded, compatibility
    forms made plain, accents and other combining marks dropped ("Straße", "ＣＡＦÉ" and
    "café" are "strasse", "cafe", "cafe"). ASCII text is left as it is: both backends fold its
    case themselves, and the check is most of the cost of indexing it."""
    if text_.isascii():
        return text_
    decomposed = unicodedata.normalize("NFKD", text_.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def plain_words(text_: str) -> str:
    """Text as FTS5's unicode61 tokenizer sees it: runs of letters and digits, nothing else.

    Given to PostgreSQL's parser instead of the raw text, so that "KC-135" is the words "kc" and
    "135" on both backends (PostgreSQL alone would read "-135" as a signed number).
    """
    return _NOT_A_TOKEN.sub(" ", text_)


def with_designators(text_: str, *more: str) -> str:
    """Text as indexed: followed by the search tokens of the designators in it and in ``more``
    (mishaps.mds.designator_tokens), so that "KC-46" finds "KC-46A" on both backends."""
    tokens = mds.designator_tokens(" ".join([text_, *more]))
    return f"{text_}\n{' '.join(tokens)}" if tokens else text_


def search_texts(
    title: str, summary: str, findings: Sequence[str], types: Sequence[str], *, sqlite: bool
) -> dict[str, str]:
    """A case's text as its search entry holds it, by column (title, summary, findings).

    Pure, so that an import builds it before its write transaction and holds the writer lock
    only for the SQL (store.prepare)."""
    clean = (lambda s: s) if sqlite else plain_words
    return {
        # The aircraft types' designators go with the title: a case is about its aircraft.
        "title": clean(with_designators(fold(title), *map(fold, types))),
        "summary": clean(with_designators(fold(summary))),
        "findings": clean(with_designators(fold("\n".join(findings)))),
    }


def insert_entries(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Search entries from ``search_texts`` rows, each with the case's key as ``pk``."""
    if _is_sqlite(session):
        session.execute(
            text(
                "INSERT INTO mishap_fts(rowid, title, summary, findings)"
                " VALUES (:pk, :title, :summary, :findings)"
            ),
            rows,
        )
    else:
        session.execute(
            text(
                "INSERT INTO mishap_search(mishap_pk, doc, findings) VALUES (:pk,"
                " to_tsvector('mishaps_english', :title || ' ' || :summary || ' ' || :findings),"
                " to_tsvector('mishaps_english', :findings))"
            ),
            rows,
        )


def index_rows(
    session: Session, items: Sequence[tuple[int, str, str, Sequence[str], Sequence[str]]]
) -> None:
    """Search entries from (pk, title, summary, finding texts, aircraft types)."""
    sqlite = _is_sqlite(session)
    insert_entries(
        session,
        [
            {"pk": pk, **search_texts(title, summary, findings, types, sqlite=sqlite)}
            for pk, title, summary, findings, types in items
        ],
    )


def reindex(session: Session) -> int:
    """Rebuild every search entry from the stored text; returns how many cases were indexed.

    Plain SQL by column name, so a migration can call it on the schema of its day."""
    if _is_sqlite(session):
        session.execute(text("DELETE FROM mishap_fts"))
    else:
        session.execute(text("DELETE FROM mishap_search"))
    findings: dict[int, list[str]] = defaultdict(list)
    for pk, t in session.execute(
        text("SELECT mishap_pk, text FROM finding ORDER BY mishap_pk, position")
    ):
        findings[pk].append(t)
    types: dict[int, list[str]] = defaultdict(list)
    for pk, t in session.execute(
        text("SELECT mishap_pk, type FROM aircraft ORDER BY mishap_pk, position")
    ):
        types[pk].append(t)
    items = [
        (pk, title, summary, findings[pk], types[pk])
        for pk, title, summary in session.execute(text("SELECT pk, title, summary FROM mishap"))
    ]
    for part in chunks(items):
        index_rows(session, part)
    return len(items)
