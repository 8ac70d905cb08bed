"""Similar cases: rank the others by likeness to one case or to a draft narrative, with reasons.

Deterministic and explainable, computed here in Python from exact counts the database keeps
(``mishaps.similarindex``), so SQLite and PostgreSQL rank alike (their full-text ranks differ)
and nothing is downloaded. A case is a bag of terms: its tanker and receiver families, refueling
method, phase and mechanisms, occurrence categories, HFACS codes, and the words of its title,
summary and findings (with its designators as single tokens, see mishaps.mds). The score adds
fixed weights for the shared structured features and ``TEXT_WEIGHT`` times a BM25 score of the
words, divided by the query's own score against itself and capped at 1 (so 1 means "as alike as
the query is to itself", as the TF-IDF cosine it replaces).

BM25 needs only exact aggregates (the number of cases, their mean word count, each term's
document frequency), where a cosine needs every case's vector norm under the current idf, which
changes with every insert. A query sums, in SQL, the postings of its rarest terms (up to
``POSTINGS``), and scores its best ``CANDIDATES`` cases exactly from their stored terms; a first
call in a process costs what any call does. Every count is exact and every cut is by value,
never by the order rows come in, so a ranking does not depend on the order cases were written.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, text
from sqlmodel import Session

from mishaps.searchindex import chunks
from mishaps.similarindex import word_counts

# Weights of a shared feature. A mechanism says most about "the same thing happened"; a family
# pair next; method and phase are shared by many cases and so weigh little.
WEIGHTS = {
    "tanker": 2.0,
    "receiver": 2.0,
    "method": 0.5,
    "phase": 1.0,
    "mechanism": 3.0,
    "category": 1.0,
    "hfacs": 1.0,
}
TEXT_WEIGHT = 6.0  # the words' score (0..1), times this
# Words in more than this share of cases tell cases apart too little to be worth the walk.
COMMON = 0.25
QUERY_TERMS = 30  # the query's heaviest words that are compared
K1, B = 1.2, 0.75  # BM25's usual term saturation and length normalisation
# Float sums in another order (SQL's, another backend's) differ in the last bits: compared with
# this slack, so that both backends cut at the same place.
EPS = 1e-6
# A query sums the postings of its rarest terms up to this many (always its rarest term), and
# scores exactly the best this many cases of that sum; ~0.2 s at 100,000 synthetic cases. On a
# database where fewer cases share the query's terms, this is every case that shares any.
POSTINGS = 80_000
CANDIDATES = 1_000

LABELS = {
    "tanker": "same tanker family",
    "receiver": "same receiver family",
    "method": "same method",
    "phase": "same phase",
    "mechanism": "same mechanism",
    "category": "shared occurrence category",
    "hfacs": "shared HFACS code",
}


@dataclass(frozen=True)
class Match:
    id: str
    title: str
    score: float
    reasons: list[str]
    shared: dict[str, list[str]] = field(default_factory=dict)  # kind -> codes

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "score": self.score,
            "reasons": self.reasons,
            "shared": self.shared,
            "title": self.title,
        }


@dataclass(frozen=True)
class _Query:
    features: dict[str, float]  # "kind:value" -> its weight
    words: dict[str, float]  # word -> its query weight times idf
    self_score: float  # the words' BM25 score of the query against itself
    mean_words: float  # the mean word count of a case
    df: dict[str, int]

    def text_part(self, word: str, count: int, words: int) -> float:
        """One word's share of the text score (before the cap), ``TEXT_WEIGHT`` included."""
        tf = count * (K1 + 1) / (count + K1 * (1 - B + B * words / self.mean_words))
        return TEXT_WEIGHT * self.words[word] * tf / self.self_score

    def text_unit(self, word: str) -> float:
        """``text_part`` without its count and length: ``TEXT_WEIGHT`` * weight * (k1 + 1) / the
        query's own score (0 for a feature)."""
        if word not in self.words:
            return 0.0
        return TEXT_WEIGHT * self.words[word] * (K1 + 1) / self.self_score


def _query(session: Session, terms: dict[str, int], words: int) -> _Query:
    """The query's features and its heaviest words, weighed by the database as it stands."""
    n, total = session.execute(
        text("SELECT count(*), coalesce(sum(words), 0) FROM similar_case")
    ).one()
    df: dict[str, int] = {}
    for part in chunks(sorted(terms)):
        df.update(
            session.execute(
                text("SELECT term, cases FROM similar_df WHERE term IN :terms").bindparams(
                    bindparam("terms", expanding=True)
                ),
                {"terms": list(part)},
            ).all()
        )
    mean = total / n if n and total else 1.0
    features = {t: WEIGHTS[t.partition(":")[0]] for t in terms if ":" in t and df.get(t)}
    weights = {
        t: (1 + math.log(c)) * math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
        for t, c in terms.items()
        # The common words are left out only where "common" means something (not in 20 cases).
        if ":" not in t and df.get(t) and (n <= 20 or df[t] <= COMMON * n)
    }
    heaviest = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:QUERY_TERMS]
    q = _Query(features, dict(sorted(heaviest)), 1.0, mean, df)
    own = sum(q.text_part(t, terms[t], words) for t in q.words) / TEXT_WEIGHT
    return _Query(features, q.words, own or 1.0, mean, df)


def _candidates(session: Session, q: _Query, *, exclude: int | None, limit: int) -> list[int]:
    """The cases worth scoring exactly: the best ``CANDIDATES`` by their score over the query's
    rarest terms, rarest first until ``POSTINGS`` postings (always the rarest one).

    Summed in SQL, where it costs a third of reading the postings into Python. Cases tied at
    the cut are all left out, so the set does not depend on the order the rows come in."""
    read: list[str] = []
    postings = 0
    for df, term in sorted((q.df[t], t) for t in [*q.features, *q.words]):
        if read and postings + df > POSTINGS:
            break
        read.append(term)
        postings += df
    if not read:
        return []
    values = ", ".join(f"(:t{i}, :s{i}, :w{i})" for i in range(len(read)))
    params: dict[str, Any] = {"exclude": -1 if exclude is None else exclude, "m": CANDIDATES}
    for i, t in enumerate(read):
        params |= {f"t{i}": t, f"s{i}": q.features.get(t, 0.0), f"w{i}": q.text_unit(t)}
    params |= {"k1": K1, "b": B, "avg": q.mean_words, "cap": TEXT_WEIGHT}
    sql = (
        f"WITH q(term, s, w) AS (VALUES {values}),"
        " partial AS (SELECT p.mishap_pk AS pk, sum(q.s) AS s,"
        " sum(q.w * p.count / (p.count + :k1 * (1 - :b + :b * p.words / :avg))) AS w"
        " FROM q JOIN similar_term p ON p.term = q.term WHERE p.mishap_pk <> :exclude"
        " GROUP BY p.mishap_pk),"
        " scored AS (SELECT pk, s + CASE WHEN w > :cap THEN :cap ELSE w END AS score"
        " FROM partial)"
    )
    rows = session.execute(
        text(sql + " SELECT pk, score FROM scored ORDER BY score DESC LIMIT :m"), params
    ).all()
    if len(rows) == CANDIDATES:
        cut = rows[-1][1]
        rows = [r for r in rows if r[1] > cut + EPS]
        if len(rows) < limit:  # too many tied at the cut: all of them, however many
            rows = session.execute(
                text(sql + " SELECT pk, score FROM scored WHERE score > :cut"),
                params | {"cut": cut - EPS},
            ).all()
    return sorted(pk for pk, _ in rows)


def _rank(session: Session, q: _Query, *, exclude: int | None, limit: int) -> list[Match]:
    scored = []
    candidates = _candidates(session, q, exclude=exclude, limit=limit)
    for _, mid, title, words, terms_json in _forward(session, candidates):
        terms = json.loads(terms_json)
        shared = sorted(t for t in q.features if t in terms)
        parts = {t: q.text_part(t, terms[t], words) for t in q.words if t in terms}
        text_score = min(sum(parts[t] for t in sorted(parts)), TEXT_WEIGHT) / TEXT_WEIGHT
        structured = sum(q.features[t] for t in shared)
        if shared or text_score > 0:
            total = structured + TEXT_WEIGHT * text_score
            scored.append((-total, mid, title, shared, parts, text_score))
    scored.sort(key=lambda s: (s[0], s[1]))
    return [
        Match(mid, title, round(-neg, 3), _reasons(shared, parts, text_score), _codes(shared))
        for neg, mid, title, shared, parts, text_score in scored[:limit]
    ]


def _forward(session: Session, pks: Sequence[int]) -> Iterable[Any]:
    """Each case's id, title, word count and terms."""
    for part in chunks(pks):
        yield from session.execute(
            text(
                "SELECT c.mishap_pk, m.id, m.title, c.words, c.terms FROM similar_case c"
                " JOIN mishap m ON m.pk = c.mishap_pk WHERE c.mishap_pk IN :pks"
            ).bindparams(bindparam("pks", expanding=True)),
            {"pks": list(part)},
        )


def _codes(shared: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for t in shared:
        kind, _, value = t.partition(":")
        out.setdefault(kind, []).append(value)
    return {kind: out[kind] for kind in WEIGHTS if kind in out}


def _reasons(shared: list[str], parts: dict[str, float], text_score: float) -> list[str]:
    """Why, in words: the shared features by their names (codes where none exists), then the
    words that weighed most."""
    reasons = [
        f"{LABELS[kind]}: {', '.join(sorted(_label(kind, v) for v in values))}"
        for kind, values in _codes(shared).items()
    ]
    if parts:
        shown = ", ".join(t for t, _ in sorted(parts.items(), key=lambda kv: (-kv[1], kv[0]))[:6])
        reasons.append(f"shared words ({text_score:.2f}): {shown}")
    return reasons


def _label(kind: str, value: str) -> str:
    from mishaps import taxonomy
    from mishaps.reports.labels import label

    if kind == "method":
        return label("refueling_method", value).lower()
    if kind == "phase":
        return label("refueling_phase", value).lower()
    named = {
        "mechanism": taxonomy.mechanism_name,
        "category": taxonomy.cictt_name,
        "hfacs": taxonomy.hfacs_title,
    }.get(kind)
    return (named(value) if named else None) or value


def similar_to_case(*, session: Session, mishap_id: str, limit: int = 10) -> list[Match]:
    """The other cases most like ``mishap_id``, best first, each with why."""
    return similar_to_cases(session=session, mishap_ids=[mishap_id], limit=limit)[mishap_id]


def similar_to_cases(
    *, session: Session, mishap_ids: list[str], limit: int = 10
) -> dict[str, list[Match]]:
    """``similar_to_case`` for several cases."""
    from mishaps.errors import NotFound

    out: dict[str, list[Match]] = {}
    for mishap_id in mishap_ids:
        row = session.execute(
            text(
                "SELECT c.mishap_pk, c.words, c.terms FROM similar_case c"
                " JOIN mishap m ON m.pk = c.mishap_pk WHERE m.id = :id"
            ),
            {"id": mishap_id},
        ).one_or_none()
        if row is None:
            raise NotFound(f"no mishap with id {mishap_id!r} (list them with: mishaps list)")
        q = _query(session, json.loads(row[2]), row[1])
        out[mishap_id] = _rank(session, q, exclude=row[0], limit=limit)
    return out


def similar_to_text(*, session: Session, text_: str, limit: int = 10) -> list[Match]:
    """The cases most like a draft narrative, by its words (designators included: "KC-46"
    in the text shares the token of every KC-46A case's)."""
    from mishaps.errors import MishapsError

    counts = word_counts(text_)
    if not counts:
        raise MishapsError(f"nothing to compare in {text_!r}")
    q = _query(session, dict(counts), sum(counts.values()))
    return _rank(session, q, exclude=None, limit=limit)
