"""Similar cases: rank the others by likeness to one case or to a draft narrative, with reasons.

Deterministic and explainable, computed here in Python over what the database holds, so SQLite
and PostgreSQL rank alike (their full-text ranks differ) and nothing is downloaded. A case is a
bag of features: tanker and receiver families, refuelling method, phase and mechanisms,
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

_WORD = re.compile(r"[a-z0-9]+")
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


def words(text_: str) -> list[str]:
    """Lower-case words without stop words, a crude plural folded, plus designator tokens."""
    out = []
    for w in _WORD.findall(text_.casefold()):
        if w in _STOP or len(w) < 3:
            continue
        if len(w) > 4 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        out.append(w)
    return out + mds.designator_tokens(text_)


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
    counts = [Counter(words(t)) for t in texts]
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
    scores: dict[int, float] = defaultdict(float)
    for f in features:
        for i in ix.postings.get(f, ()):
            scores[i] += WEIGHTS[f[0]]
    text_scores: dict[int, float] = defaultdict(float)
    shared_terms: dict[int, list[tuple[float, str]]] = defaultdict(list)
    for t, w in vector.items():
        posting = ix.term_postings.get(t, ())
        if len(posting) > COMMON * n and n > 20:
            continue
        for i in posting:
            contribution = w * ix.vectors[i][t]
            text_scores[i] += contribution
            shared_terms[i].append((contribution, t))
    for i, s in text_scores.items():
        scores[i] += TEXT_WEIGHT * s
    if exclude is not None:
        scores.pop(exclude, None)
    best = sorted(scores.items(), key=lambda kv: (-kv[1], ix.ids[kv[0]]))[:limit]
    out = []
    for i, score in best:
        reasons = []
        for kind in WEIGHTS:
            shared = sorted(v for k, v in features & ix.features[i] if k == kind)
            if shared:
                reasons.append(f"{LABELS[kind]}: {', '.join(shared)}")
        terms = [t for _, t in sorted(shared_terms[i], key=lambda x: (-x[0], x[1]))[:6]]
        if terms:
            reasons.append(f"shared words ({text_scores[i]:.2f}): {', '.join(terms)}")
        out.append(Match(ix.ids[i], ix.titles[i], round(score, 3), reasons))
    return out


def similar_to_case(*, session: Session, mishap_id: str, limit: int = 10) -> list[Match]:
    """The other cases most like ``mishap_id``, best first, each with why."""
    from mishaps.errors import NotFound

    ix = _index(session)
    i = ix.by_id.get(mishap_id)
    if i is None:
        raise NotFound(f"no mishap with id {mishap_id!r} (list them with: mishaps list)")
    return _rank(ix, ix.features[i], ix.vectors[i], exclude=i, limit=limit)


def similar_to_text(*, session: Session, text_: str, limit: int = 10) -> list[Match]:
    """The cases most like a draft narrative, by its words (designators included: "KC-46"
    in the text shares the token of every KC-46A case's)."""
    from mishaps.errors import MishapsError

    ix = _index(session)
    counts = Counter(words(text_))
    if not counts:
        raise MishapsError(f"nothing to compare in {text_!r}")
    features: set[tuple[str, str]] = set()
    return _rank(ix, features, _vector(counts, ix.idf), exclude=None, limit=limit)
