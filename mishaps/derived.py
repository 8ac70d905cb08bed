"""Derived columns (class and fiscal year of a case, family of an aircraft), recomputed in place.

Plain SQL by column name, importing neither the models nor ``db``: migration 0002 runs it on the
schema as it stands at that revision, and a migration must not import the code that runs
migrations (``store`` -> ``db`` -> ``migrations``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import text
from sqlmodel import Session

from mishaps import classes, mds


def refresh_derived(session: Session) -> int:
    """Recompute every case's derived columns (derived_class, effective_class, fiscal_year) from
    its stored facts; returns how many cases changed.

    For when the threshold data changes, and for a migration that adds the columns to an older
    database: it reads and writes by column name in plain SQL, not through ``models``, so it
    works on any schema that has these columns.
    """
    severe: dict[int, tuple[bool, bool]] = {}
    for mpk, fatalities, damage in session.execute(
        text("SELECT mishap_pk, fatalities, damage FROM aircraft")
    ):
        fatal, destroyed = severe.get(mpk, (False, False))
        severe[mpk] = (fatal or (fatalities or 0) > 0, destroyed or damage == "destroyed")
    updates = []
    for pk, occurred_on, damage_usd, fatalities, service, stated, *old in session.execute(
        text(
            "SELECT pk, occurred_on, damage_usd, fatalities, service, mishap_class,"
            " derived_class, effective_class, fiscal_year FROM mishap"
        )
    ):
        fatal, destroyed = severe.get(pk, (False, False))
        derived = classes.derive_from(
            occurred_on=occurred_on,
            damage_usd=damage_usd,
            service=service,
            fatal=fatal or (fatalities or 0) > 0,
            destroyed=destroyed,
        ).mishap_class
        new = [derived, stated or derived, classes.fiscal_year(occurred_on)]
        if new != old:
            updates.append({"pk": pk, "d": new[0], "e": new[1], "fy": new[2]})
    if updates:
        session.execute(
            text(
                "UPDATE mishap SET derived_class = :d, effective_class = :e, fiscal_year = :fy"
                " WHERE pk = :pk"
            ),
            updates,
        )
    return len(updates)


def refresh_families(session: Session) -> int:
    """Recompute every aircraft's family from its type (mishaps.mds.family); returns how many
    changed. Plain SQL by column name, so a migration can call it on the schema of its day."""
    updates = [
        {"pk": mpk, "pos": pos, "family": new}
        for mpk, pos, type_, old in session.execute(
            text("SELECT mishap_pk, position, type, family FROM aircraft")
        )
        if (new := mds.family(type_)) != old
    ]
    if updates:
        session.execute(
            text("UPDATE aircraft SET family = :family WHERE mishap_pk = :pk AND position = :pos"),
            updates,
        )
    return len(updates)


# --- the full-text entries, derived from the stored text (mishaps.store writes them) ---------

_NOT_A_TOKEN = re.compile(r"[\W_]+")


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


def index_rows(
    session: Session, items: Sequence[tuple[int, str, str, Sequence[str], Sequence[str]]]
) -> None:
    """Search entries from (pk, title, summary, finding texts, aircraft types)."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    clean = (lambda s: s) if sqlite else plain_words
    rows = [
        {
            "pk": pk,
            # The aircraft types' designators go with the title: a case is about its aircraft.
            "title": clean(with_designators(title, *types)),
            "summary": clean(with_designators(summary)),
            "findings": clean(with_designators("\n".join(findings))),
        }
        for pk, title, summary, findings, types in items
    ]
    if sqlite:
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


def reindex(session: Session) -> int:
    """Rebuild every search entry from the stored text; returns how many cases were indexed.

    Plain SQL by column name, so a migration can call it on the schema of its day."""
    if session.get_bind().dialect.name == "sqlite":
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
    for start in range(0, len(items), 500):
        part = items[start : start + 500]
        index_rows(session, part)
    return len(items)
