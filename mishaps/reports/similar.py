"""Previous similar mishaps for page 1 of a brief.

Earlier cases ranked by likeness (``mishaps.similar``: shared families, mechanisms, phase,
categories, HFACS codes and words), most alike first. Where the ranking finds no earlier case
that shares anything, earlier cases of the same aircraft families, most recent first.
"""

from __future__ import annotations

from sqlalchemy import bindparam, text
from sqlmodel import Session

from mishaps import classes
from mishaps.filters import Filters
from mishaps.mds import family
from mishaps.queries import list_mishaps
from mishaps.reports.context import Similar
from mishaps.reports.labels import join_words
from mishaps.schema import Case

RANKED = 30  # the most alike cases looked at for three earlier ones


def previous_similar(*, session: Session, case: Case, limit: int = 3) -> tuple[list[Similar], str]:
    """Up to ``limit`` earlier cases most like ``case``, and the basis in words."""
    ranked = _earlier_alike(session=session, case=case, limit=limit)
    if ranked:
        return ranked, (
            "Earlier cases in this database ranked by likeness: shared aircraft families,"
            " mechanism, phase, categories and words (mishaps similar)."
        )
    families = list(dict.fromkeys(family(a.type) for a in case.aircraft))
    found: dict[str, Similar] = {}
    for fam in families:
        rows = list_mishaps(session=session, filters=Filters(aircraft=fam, until=case.occurred_on))
        for r in rows:
            if r.id != case.id and r.occurred_on < case.occurred_on:
                found[r.id] = Similar(r.occurred_on, r.title, r.class_label, r.id)
    by_date = sorted(found.values(), key=lambda s: (s.occurred_on, s.mishap_id), reverse=True)
    basis = f"Earlier cases in this database involving the {join_words(families)} families."
    return by_date[:limit], basis


def _earlier_alike(*, session: Session, case: Case, limit: int) -> list[Similar]:
    from mishaps.similar import similar_to_case

    matches = similar_to_case(session=session, mishap_id=case.id, limit=RANKED)
    if not matches:
        return []
    rows = session.execute(
        text(
            "SELECT id, occurred_on, title, mishap_class, derived_class FROM mishap"
            " WHERE id IN :ids"
        ).bindparams(bindparam("ids", expanding=True)),
        {"ids": [m.id for m in matches]},
    ).all()
    by_id = {r[0]: r for r in rows}
    out = []
    for m in matches:  # best first
        r = by_id.get(m.id)
        if r is not None and r[1] < case.occurred_on:
            out.append(Similar(r[1], r[2], classes.label(r[3], r[4]), r[0]))
    return out[:limit]
