"""Previous similar mishaps for page 1 of a brief.

One function, so that the brief can switch to the research feature's similar-cases ranking
when it lands; until then "similar" means: earlier cases involving an aircraft of the same
family (``mishaps.mds.family``), most recent first.
"""

from __future__ import annotations

from sqlmodel import Session

from mishaps.filters import Filters
from mishaps.mds import family
from mishaps.queries import list_mishaps
from mishaps.reports.context import Similar
from mishaps.reports.labels import join_words
from mishaps.schema import Case


def previous_similar(*, session: Session, case: Case, limit: int = 3) -> tuple[list[Similar], str]:
    """Up to ``limit`` earlier cases sharing an aircraft family with ``case``, and the basis."""
    families = list(dict.fromkeys(family(a.type) for a in case.aircraft))
    found: dict[str, Similar] = {}
    for fam in families:
        rows = list_mishaps(session=session, filters=Filters(aircraft=fam, until=case.occurred_on))
        for r in rows:
            if r.id != case.id and r.occurred_on < case.occurred_on:
                found[r.id] = Similar(r.occurred_on, r.title, r.class_label, r.id)
    ranked = sorted(found.values(), key=lambda s: (s.occurred_on, s.mishap_id), reverse=True)
    basis = f"Earlier cases in this database involving the {join_words(families)} families."
    return ranked[:limit], basis
