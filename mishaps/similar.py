"""Similar cases: rank the others by likeness to one case or to a draft narrative, with reasons.

Deterministic and explainable, computed here in Python over what the database holds, so SQLite
and PostgreSQL rank alike (their full-text ranks differ) and nothing is downloaded. A case is a
bag of features: tanker and receiver families, refueling method, phase and mechanisms,
occurrence categories, HFACS codes, and the words of its title, summary and findings (with its
designators as single tokens, see mishaps.mds). The score adds fixed weights for the shared
structured features and a TF-IDF cosine of the words, scaled to the same order.

The features of every case are read once per database state and kept (``_index``): ranking is
then a walk over the posting lists of the query's features, without touching the database.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from mishaps import mds

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
TEXT_WEIGHT = 6.0  # the cosine (0..1) of the words, times this
# Words in more than this share of cases tell cases apart too little to be worth the walk.
COMMON = 0.25
QUERY_TERMS = 30  # the query's heaviest words that are compared
# Cases scored at most (rarest shared features first): bounds a query's time on a large database.
CANDIDATES = 5_000

_WORD = re.compile(r"[a-z0-9]{3,}")
_STOP_WORDS = (
    "a about after all also an and any are as at be been before but by during for from had has"
    " have he his in into is it its not of on or over that the their them then there these they"
    " this to under was were when which while who will with would"
)
_STOP = frozenset(_STOP_WORDS.split())

LABELS = {
    "tanker": "same tanker family",
    "receiver": "same receiver family",
    "method": "same method",
    "phase": "same phase",
    "mechanism": "same mechanism",
    "category": "shared occurrence category",
    "hfacs": "shared HFACS code",
}


def word_counts(text_: str, *, designators: bool = True) -> Counter[str]:
    """Lower-case words of three letters or more without stop words, a crude plural folded,
    counted; with ``designators``, plus the designator tokens of the text (mishaps.mds).

    Counted first and cleaned per distinct word: the per-word work of a 2 kB text in Python
    was most of the time of indexing 100,000 cases."""
    raw = Counter(_WORD.findall(text_.casefold()))
    out: Counter[str] = Counter()
    for w, n in raw.items():
        if w in _STOP:
            continue
        if len(w) > 4 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        out[w] += n
    if designators:
        out.update(mds.designator_tokens(text_))
    return out


@dataclass
class _Index:
    ids: list[str]
    titles: list[str]
    features: list[set[tuple[str, str]]]  # per case: (kind, value)
    postings: dict[tuple[str, str], list[int]]
    vectors: list[dict[str, float]]  # per case: term -> tf-idf weight, unit length
    term_postings: dict[str, list[int]]
    idf: dict[str, float]
    by_id: dict[str, int] = field(default_factory=dict)


_CACHE: dict[tuple[str, Any], _Index] = {}


def _state(session: Session) -> Any:
    """What changes whenever a case does: the history's last entry and the number of cases."""
    return session.execute(
        text("SELECT (SELECT max(seq) FROM revision), (SELECT count(*) FROM mishap)")
    ).one()


def _index(session: Session) -> _Index:
    bind = session.get_bind()
    engine: Any = getattr(bind, "engine", bind)  # a Connection's engine, or the Engine
    key = (str(engine.url), tuple(_state(session)))
    found = _CACHE.get(key)
    if found is None:
        _CACHE.clear()  # one database state at a time: the old one is stale
        found = _CACHE[key] = _build(session)
    return found


def _build(session: Session) -> _Index:
    rows = session.execute(
        text(
            "SELECT pk, id, title, summary, refueling_method, refueling_phase FROM mishap"
            " ORDER BY id"
        )
    ).all()
    position = {r[0]: i for i, r in enumerate(rows)}
    features: list[set[tuple[str, str]]] = [set() for _ in rows]
    texts = [f"{r[2]}\n{r[3]}" for r in rows]
    # Designators from the title and the aircraft types only: scanning every finding for them
    # cost a third of the indexing time, and the types say which aircraft a case is about.
    designators = [r[2] for r in rows]
    for i, r in enumerate(rows):
        if r[4] and r[4] != "none":
            features[i].add(("method", r[4]))
        if r[5]:
            features[i].add(("phase", r[5]))

    def add(sql: str, kind: str | None = None) -> None:
        for pk, a, b in session.execute(text(sql)):
            j = position.get(pk)
            if j is not None and b:
                features[j].add((kind or a, b))

    add("SELECT mishap_pk, role, family FROM aircraft WHERE role IN ('tanker', 'receiver')")
    for pk, type_ in session.execute(text("SELECT mishap_pk, type FROM aircraft")):
        j = position.get(pk)
        if j is not None:
            designators[j] += " " + type_
    add("SELECT mishap_pk, 'mechanism', code FROM mishap_mechanism", "mechanism")
    add("SELECT mishap_pk, 'category', code FROM mishap_category", "category")
    add("SELECT mishap_pk, 'hfacs', code FROM finding_hfacs", "hfacs")
    for pk, t in session.execute(text("SELECT mishap_pk, text FROM finding")):
        j = position.get(pk)
        if j is not None:
            texts[j] += "\n" + t
    postings: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, fs in enumerate(features):
        for f in fs:
            postings[f].append(i)
    counts = [
        word_counts(t, designators=False) + Counter(mds.designator_tokens(d))
        for t, d in zip(texts, designators, strict=True)
    ]
    df: Counter[str] = Counter()
    for c in counts:
        df.update(c.keys())
    n = max(len(rows), 1)
    idf = {t: math.log((n + 1) / (d + 0.5)) for t, d in df.items()}
    vectors = [_vector(c, idf) for c in counts]
    term_postings: dict[str, list[int]] = defaultdict(list)
    for i, v in enumerate(vectors):
        for t in v:
            term_postings[t].append(i)
    ids = [r[1] for r in rows]
    return _Index(
        ids=ids,
        titles=[r[2] for r in rows],
        features=features,
        postings=dict(postings),
        vectors=vectors,
        term_postings=dict(term_postings),
        idf=idf,
        by_id={mid: i for i, mid in enumerate(ids)},
    )


def _vector(counts: Counter[str], idf: dict[str, float]) -> dict[str, float]:
    v = {t: (1 + math.log(c)) * idf.get(t, 0.0) for t, c in counts.items()}
    norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
    return {t: x / norm for t, x in v.items() if x > 0}


@dataclass(frozen=True)
class Match:
    id: str
    title: str
    score: float
    reasons: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "score": self.score,
            "reasons": self.reasons,
            "title": self.title,
        }


def _rank(
    ix: _Index,
    features: set[tuple[str, str]],
    vector: dict[str, float],
    *,
    exclude: int | None,
    limit: int,
) -> list[Match]:
    n = max(len(ix.ids), 1)
    # The query's heaviest words only: the tail of a long narrative changes little but costs.
    terms = dict(sorted(vector.items(), key=lambda kv: (-kv[1], kv[0]))[:QUERY_TERMS])
    if n > 20:
        terms = {t: w for t, w in terms.items() if len(ix.term_postings.get(t, ())) <= COMMON * n}
    candidates = _candidates(ix, features, terms, exclude=exclude, limit=limit)
    scored = []
    for i in candidates:
        shared = features & ix.features[i]
        structured = sum(WEIGHTS[k] for k, _ in shared)
        v = ix.vectors[i]
        text_score = sum(w * v.get(t, 0.0) for t, w in terms.items())
        if shared or text_score > 0:
            scored.append((-(structured + TEXT_WEIGHT * text_score), ix.ids[i], i, text_score))
    scored.sort()
    out = []
    for neg, _, i, text_score in scored[:limit]:
        reasons = []
        for kind in WEIGHTS:
            values = sorted(v for k, v in features & ix.features[i] if k == kind)
            if values:
                reasons.append(f"{LABELS[kind]}: {', '.join(values)}")
        v = ix.vectors[i]
        words_ = sorted(
            ((w * v[t], t) for t, w in terms.items() if t in v), key=lambda x: (-x[0], x[1])
        )
        if words_:
            shown = ", ".join(t for _, t in words_[:6])
            reasons.append(f"shared words ({text_score:.2f}): {shown}")
        out.append(Match(ix.ids[i], ix.titles[i], round(-neg, 3), reasons))
    return out


def _candidates(
    ix: _Index,
    features: set[tuple[str, str]],
    terms: dict[str, float],
    *,
    exclude: int | None,
    limit: int,
) -> set[int]:
    """The cases worth scoring: those sharing the query's rarest features and words, rarest
    first, until ``CANDIDATES`` are found. Below that size (every seed-sized database) this is
    every case that shares anything, and the ranking is exact."""
    lists = [p for f in features if (p := ix.postings.get(f))]
    lists += [p for t in terms if (p := ix.term_postings.get(t))]
    lists.sort(key=len)
    out: set[int] = set()
    for posting in lists:
        if len(out) >= CANDIDATES and len(out) > limit:
            break
        out.update(posting)
    if exclude is not None:
        out.discard(exclude)
    return out


def similar_to_case(*, session: Session, mishap_id: str, limit: int = 10) -> list[Match]:
    """The other cases most like ``mishap_id``, best first, each with why."""
    return similar_to_cases(session=session, mishap_ids=[mishap_id], limit=limit)[mishap_id]


def similar_to_cases(
    *, session: Session, mishap_ids: list[str], limit: int = 10
) -> dict[str, list[Match]]:
    """``similar_to_case`` for several cases, looking the index up once for all of them."""
    from mishaps.errors import NotFound

    ix = _index(session)
    out: dict[str, list[Match]] = {}
    for mishap_id in mishap_ids:
        i = ix.by_id.get(mishap_id)
        if i is None:
            raise NotFound(f"no mishap with id {mishap_id!r} (list them with: mishaps list)")
        out[mishap_id] = _rank(ix, ix.features[i], ix.vectors[i], exclude=i, limit=limit)
    return out


def similar_to_text(*, session: Session, text_: str, limit: int = 10) -> list[Match]:
    """The cases most like a draft narrative, by its words (designators included: "KC-46"
    in the text shares the token of every KC-46A case's)."""
    from mishaps.errors import MishapsError

    ix = _index(session)
    counts = word_counts(text_)
    if not counts:
        raise MishapsError(f"nothing to compare in {text_!r}")
    features: set[tuple[str, str]] = set()
    return _rank(ix, features, _vector(counts, ix.idf), exclude=None, limit=limit)
