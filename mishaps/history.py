"""The history of a case: its revisions, and the case as it stood at a past moment.

Every insert, replace and delete writes a ``Revision`` (see ``store.record_revisions``) whose
document is the whole case after the change, so any past version is one row away. The history of
a deleted case stays: deleting removes the case, never its revisions.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from mishaps.errors import NotFound
from mishaps.models import Revision
from mishaps.schema import Case, date_period

_DAY = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")


@dataclass(frozen=True)
class RevisionInfo:
    """One change to a case, without its document."""

    rev: int  # this case's revisions, counted from 1: `show --revision N`
    seq: int  # the database's history, across all cases
    at: str
    action: str
    command: str
    file: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def revisions(*, session: Session, mishap_id: str) -> list[RevisionInfo]:
    """Every change to a case, oldest first; NotFound if the id was never in the database."""
    rows = session.exec(
        select(Revision).where(Revision.mishap_id == mishap_id).order_by(col(Revision.seq))
    ).all()
    if not rows:
        raise NotFound(f"no history for {mishap_id!r}: no case with that id was ever imported")
    return [
        RevisionInfo(
            rev=i, seq=r.seq or 0, at=r.at, action=r.action, command=r.command, file=r.file
        )
        for i, r in enumerate(rows, 1)
    ]


def parse_moment(value: str) -> str:
    """A user's DATE or timestamp as the UTC instant it ends at, in the revisions' own format.

    A date (``2026-03-13``, or a month or year) means the end of that period in UTC: "as it
    stood on the 13th" includes the changes made that day. A timestamp without a zone is UTC.
    """
    value = value.strip()
    if _DAY.match(value):
        _, last = date_period(value)
        end = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1, seconds=-1)
        return end.strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        moment = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise ValueError(
            f"{value!r} is neither a date (YYYY-MM-DD) nor a timestamp (2026-03-13T10:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def case_as_of(*, session: Session, mishap_id: str, moment: str) -> Case:
    """The case as it stood at ``moment`` (a value from ``parse_moment``), from its revisions."""
    history = revisions(session=session, mishap_id=mishap_id)  # NotFound if never seen
    row = session.execute(
        select(col(Revision.seq), Revision.at, Revision.action, Revision.document)
        .where(Revision.mishap_id == mishap_id, Revision.at <= moment)
        .order_by(col(Revision.seq).desc())
        .limit(1)
    ).first()
    if row is None:
        raise NotFound(
            f"{mishap_id!r} did not exist yet at {moment};"
            f" its first revision is from {history[0].at}"
        )
    if row.action == "delete" or row.document is None:
        raise NotFound(f"{mishap_id!r} was deleted by {moment} (revision {row.seq} at {row.at})")
    return Case.model_validate(json.loads(row.document))


def case_at_revision(*, session: Session, mishap_id: str, rev: int) -> Case:
    """The case as its ``rev``-th history entry (counted from 1, as `history` shows) left it."""
    history = revisions(session=session, mishap_id=mishap_id)  # NotFound if never seen
    if not 1 <= rev <= len(history):
        raise NotFound(f"{mishap_id!r} has revisions 1 to {len(history)}, not {rev}")
    row = session.execute(
        select(Revision.document).where(Revision.seq == history[rev - 1].seq)
    ).scalar_one()
    if row is None:
        raise NotFound(f"revision {rev} of {mishap_id!r} is its deletion ({history[rev - 1].at})")
    return Case.model_validate(json.loads(row))
