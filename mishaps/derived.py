"""Derived columns (class and fiscal year of a case, family of an aircraft) and the service parts
of a case, recomputed in place.

Plain SQL by column name, importing neither the models nor ``db``: migration 0002 runs it on the
schema as it stands at that revision, and a migration must not import the code that runs
migrations (``store`` -> ``db`` -> ``migrations``).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

from mishaps import classes, mds
from mishaps.nations import service_keys


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


def service_rows(pk: int, service: str) -> list[dict[str, object]]:
    """The mishap_service rows of a case: one per service its ``service`` field names."""
    return [
        {"mishap_pk": pk, "position": i, "service": part, "key": key}
        for i, (part, key) in enumerate(service_keys(service))
    ]


def refresh_services(session: Session) -> int:
    """Rewrite every case's mishap_service rows from its ``service`` field; returns how many rows.
    Plain SQL by column name, so migration 0010 can fill the table it makes."""
    rows = [
        row
        for pk, service in session.execute(text("SELECT pk, service FROM mishap"))
        for row in service_rows(pk, service)
    ]
    session.execute(text("DELETE FROM mishap_service"))
    if rows:
        session.execute(
            text(
                "INSERT INTO mishap_service (mishap_pk, position, service, key)"
                " VALUES (:mishap_pk, :position, :service, :key)"
            ),
            rows,
        )
    return len(rows)
