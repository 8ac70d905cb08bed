"""The closed vocabularies of the domain, as str Enums.

Kept apart from the tables so the command line can offer them as choices without importing
SQLAlchemy (``mishaps --help`` stays fast).
"""

from enum import Enum


class Status(str, Enum):
    press = "press"
    preliminary = "preliminary"
    final = "final"


class Method(str, Enum):
    boom = "boom"
    probe_and_drogue = "probe-and-drogue"
    none = "none"
    unknown = "unknown"


class Phase(str, Enum):
    rendezvous = "rendezvous"
    pre_contact = "pre-contact"
    contact = "contact"
    disconnect = "disconnect"
    breakaway = "breakaway"
    post_refueling = "post-refueling"
    not_refueling = "not-refueling"
    unknown = "unknown"


class MishapClass(str, Enum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"


class Role(str, Enum):
    tanker = "tanker"
    receiver = "receiver"
    other = "other"


class Damage(str, Enum):
    destroyed = "destroyed"
    substantial = "substantial"
    minor = "minor"
    none = "none"
    unknown = "unknown"


class FindingKind(str, Enum):
    cause = "cause"
    contributing = "contributing"
    finding = "finding"
    recommendation = "recommendation"


class RecommendationStatus(str, Enum):
    """Where a recommendation stands, as a source says (on recommendation findings only)."""

    open = "open"
    implemented = "implemented"
    rejected = "rejected"
    unknown = "unknown"


class SourceKind(str, Enum):
    aib_report = "aib-report"
    official_release = "official-release"
    press = "press"
    other = "other"


class OnDuplicate(str, Enum):
    """What an import does with a case that may be an event already stored under another id."""

    warn = "warn"
    skip = "skip"
    refuse = "refuse"


class OnConflict(str, Enum):
    """What an import does with a case whose id is already in the database."""

    error = "error"
    skip = "skip"
    replace = "replace"  # type: ignore[assignment]  # shadows str.replace on members; never called
