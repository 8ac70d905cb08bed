"""The terms ``mishaps similar`` compares, kept in the database whenever a case is written.

A case's terms are the words of its title, summary and findings (with the designator tokens of
its title and aircraft types, see mishaps.mds) and its structured features, each written
``kind:value`` (``tanker:KC-46``, ``mechanism:boom-binding``): words never hold a colon. Three
tables hold them (see ``models``): ``similar_term`` the posting lists (term, case, count, and
the case's word count, so a posting alone scores), ``similar_case`` each case's own terms (to
find and remove its postings, and to rank from it), ``similar_df`` how many cases hold each term.
All are exact counts of what is stored, so a ranking never depends on the order cases were
written in.

Plain SQL by column name, importing neither the models nor ``db``, so that a migration can
rebuild the entries on the schema of its day (as ``searchindex``).
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from mishaps import mds
from mishaps.searchindex import chunks

_WORD = re.compile(r"[a-z0-9]{3,}")
_STOP_WORDS = (
    "a about after all also an and any are as at be been before but by during for from had has"
    " have he his in into is it its not of on or over that the their them then there these they"
    " this to under was were when which while who will with would"
)
_STOP = frozenset(_STOP_WORDS.split())
ROLES = ("tanker", "receiver")  # aircraft roles whose family is a feature


def word_counts(text_: str, *, designators: bool = True) -> Counter[str]:
    """Lower-case words of three letters or more without stop words, a crude plural folded,
    counted; with ``designators``, plus the designator tokens of the text (mishaps.mds).

    Counted first and cleaned per distinct word: the per-word work of a 2 kB text in Python
    was most of the time of indexing 100,000 cases (every import now pays it)."""
    out = Counter(_WORD.findall(text_.casefold()))
    for w in out.keys() & _STOP:
        del out[w]
    # Set and list operations run in C; the few plurals are then folded one by one.
    for w in [w for w in out if w[-1] == "s" and len(w) > 4 and w[-2] != "s"]:
        out[w[:-1]] += out.pop(w)
    if designators:
        out.update(mds.designator_tokens(text_))
    return out


@dataclass(frozen=True)
class CaseText:
    """What of a case is compared, as plain values (from a ``schema.Case`` or from rows)."""

    title: str
    summary: str
    findings: Sequence[str]
    aircraft: Sequence[tuple[str, str]]  # (role, type)
    method: str | None  # None, "unknown" and "none" are no feature
    phase: str | None
    mechanisms: Sequence[str]
    categories: Sequence[str]
    hfacs: Sequence[str]


def feature(kind: str, value: str) -> str:
    return f"{kind}:{value}"


def terms_of(case: CaseText) -> tuple[dict[str, int], int]:
    """A case's terms with their counts, sorted, and its length (the count of its words).

    Designators come from the title and the aircraft types only: scanning every finding for
    them cost a third of the indexing time, and the types say which aircraft a case is about.
    """
    words = word_counts("\n".join([case.title, case.summary, *case.findings]), designators=False)
    words.update(mds.designator_tokens(" ".join([case.title, *(t for _, t in case.aircraft)])))
    out: dict[str, int] = dict(words)
    length = sum(words.values())
    for role, type_ in case.aircraft:
        if role in ROLES:
            out[feature(role, mds.family(type_))] = 1
    if case.method and case.method not in ("unknown", "none"):
        out[feature("method", case.method)] = 1
    if case.phase and case.phase != "unknown":
        out[feature("phase", case.phase)] = 1
    for kind, codes in (
        ("mechanism", case.mechanisms),
        ("category", case.categories),
        ("hfacs", case.hfacs),
    ):
        for code in codes:
            out[feature(kind, code)] = 1
    # Sorted by term alone: comparing (term, count) tuples cost three times as much.
    return {t: out[t] for t in sorted(out)}, length


def _executemany(session: Session, sql: str, rows: list[tuple[Any, ...]]) -> None:
    """A plain driver executemany of positional rows (``?`` in ``sql``): SQLAlchemy's per-row
    parameter processing cost more than SQLite's own inserting of a hundred postings a case."""
    if rows:
        if session.get_bind().dialect.paramstyle != "qmark":
            sql = sql.replace("?", "%s")
        session.connection().exec_driver_sql(sql, rows)


def index_rows(session: Session, items: Sequence[tuple[int, CaseText]]) -> None:
    """Write the terms of new cases (keys not yet indexed), in bulk."""
    index_terms(session, [(pk, *terms_of(case)) for pk, case in items])


def index_terms(session: Session, items: Sequence[tuple[int, dict[str, int], int]]) -> None:
    """Write new cases' terms as ``terms_of`` made them (key, terms, length), in bulk."""
    postings: list[tuple[str, int, int, int]] = []
    cases: list[tuple[int, int, str]] = []
    df: Counter[str] = Counter()
    for pk, terms, length in items:
        postings.extend((t, pk, n, length) for t, n in terms.items())
        cases.append((pk, length, json.dumps(terms, ensure_ascii=False)))
        df.update(terms.keys())
    # In key order: each b-tree page is then filled once, not revisited per case. By term alone
    # (a stable sort keeps the keys' order within a term): comparing whole tuples cost twice.
    postings.sort(key=itemgetter(0))
    _executemany(
        session,
        "INSERT INTO similar_term (term, mishap_pk, count, words) VALUES (?, ?, ?, ?)",
        postings,
    )
    _executemany(
        session, "INSERT INTO similar_case (mishap_pk, words, terms) VALUES (?, ?, ?)", cases
    )
    # Sorted, so concurrent writers (PostgreSQL) take the rows' locks in one order.
    _executemany(
        session,
        "INSERT INTO similar_df (term, cases) VALUES (?, ?)"
        " ON CONFLICT (term) DO UPDATE SET cases = similar_df.cases + excluded.cases",
        sorted(df.items()),
    )


def unindex(session: Session, pks: Sequence[int]) -> None:
    """Remove the terms of cases about to be deleted (before their rows go)."""
    df: Counter[str] = Counter()
    postings: list[tuple[str, int]] = []
    for part in chunks(pks):
        rows = session.execute(
            text(
                "SELECT mishap_pk, terms FROM similar_case"
                f" WHERE mishap_pk IN ({','.join(str(int(p)) for p in part)})"
            )
        )
        for pk, terms in rows:
            for t in json.loads(terms):
                postings.append((t, pk))
                df[t] += 1
        session.execute(
            text(
                "DELETE FROM similar_case"
                f" WHERE mishap_pk IN ({','.join(str(int(p)) for p in part)})"
            )
        )
    postings.sort()
    _executemany(session, "DELETE FROM similar_term WHERE term = ? AND mishap_pk = ?", postings)
    counts = [(n, t) for t, n in sorted(df.items())]
    _executemany(session, "UPDATE similar_df SET cases = cases - ? WHERE term = ?", counts)
    _executemany(
        session, "DELETE FROM similar_df WHERE cases <= 0 AND term = ?", [(t,) for _, t in counts]
    )


def reindex(session: Session) -> int:
    """Rebuild every case's terms from the stored rows; returns how many cases were indexed."""
    for table in ("similar_term", "similar_case", "similar_df"):
        session.execute(text(f"DELETE FROM {table}"))

    def grouped(sql: str) -> dict[int, list[Any]]:
        out: dict[int, list[Any]] = defaultdict(list)
        for pk, *value in session.execute(text(sql)):
            out[pk].append(value[0] if len(value) == 1 else tuple(value))
        return out

    findings = grouped("SELECT mishap_pk, text FROM finding ORDER BY mishap_pk, position")
    aircraft = grouped("SELECT mishap_pk, role, type FROM aircraft ORDER BY mishap_pk, position")
    mechanisms = grouped("SELECT mishap_pk, code FROM mishap_mechanism")
    categories = grouped("SELECT mishap_pk, code FROM mishap_category")
    hfacs = grouped("SELECT mishap_pk, code FROM finding_hfacs")
    rows = session.execute(
        text("SELECT pk, title, summary, refueling_method, refueling_phase FROM mishap")
    ).all()
    items = [
        (
            pk,
            CaseText(
                title=title,
                summary=summary,
                findings=findings[pk],
                aircraft=aircraft[pk],
                method=method,
                phase=phase,
                mechanisms=mechanisms[pk],
                categories=categories[pk],
                hfacs=hfacs[pk],
            ),
        )
        for pk, title, summary, method, phase in rows
    ]
    # The document frequencies of a part are added to those before: one pass, exact counts.
    for part in chunks(items, 2_000):
        index_rows(session, part)
    return len(items)


def case_texts(cases: Iterable[Any]) -> list[CaseText]:
    """``CaseText`` of ``schema.Case`` objects (duck-typed: this module imports no schema)."""
    return [
        CaseText(
            title=c.title,
            summary=c.summary,
            findings=[f.text for f in c.findings],
            aircraft=[(a.role.value, a.type) for a in c.aircraft],
            method=c.refueling.method.value,
            phase=c.refueling.phase.value,
            mechanisms=c.refueling.mechanism,
            categories=c.occurrence_categories,
            hfacs=[code for f in c.findings for code in f.hfacs],
        )
        for c in cases
    ]
