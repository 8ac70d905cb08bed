"""Mission Design Series (MDS) designations: parsing and matching.

An MDS reads ``[status prefix][modified mission]basic mission[vehicle type]-design number series``
(DoDD 4120.15, AFI 16-401): ``NKC-135A`` is status N, mission KC, design 135, series A. A query
for ``KC-135`` matches every series of that mission and design (KC-135A/E/R/T, and NKC-135A with
a status prefix) but not EC-135 or C-135B, whose mission letters differ; ``KC-135R`` matches only
the R; ``NKC-135`` only N-prefixed aircraft. A type that is not an MDS (``A330 MRTT``,
``Victor K1A``) matches by whole leading words: ``A330`` matches ``A330 MRTT``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Status prefixes (AFI 16-401): G grounded, J/N special test, X experimental, Y prototype,
# Z planning. X alone is also the "research" basic mission, hence the length rule below.
_STATUS = frozenset("GJNXYZ")
_MDS = re.compile(
    r"^(?P<mission>[A-Z]{1,4}(?:/[A-Z]{1,2})?)-(?P<design>\d{1,4})(?P<series>[A-Z]{0,3})$"
)


@dataclass(frozen=True)
class Mds:
    prefix: str | None
    mission: str
    design: str
    series: str | None


def normalize_type(text: str) -> str:
    return " ".join(text.split()).casefold()


def parse(designation: str) -> Mds | None:
    """Parse an MDS designation; None when the text is not one (a non-US type name)."""
    m = _MDS.match(designation.strip().upper())
    if m is None:
        return None
    mission = m["mission"]
    prefix = None
    if len(mission) >= 2 and mission[0] in _STATUS and "/" not in mission[:2]:
        prefix, mission = mission[0], mission[1:]
    return Mds(prefix=prefix, mission=mission, design=m["design"], series=m["series"] or None)


def family(designation: str) -> str:
    """The aircraft family a type belongs to, for grouping in counts and charts.

    An MDS designation's family is its mission and design without status prefix or series
    (``KC-135R`` and ``NKC-135A`` are ``KC-135``; ``F/A-18F`` is ``F/A-18``); a type that is not
    an MDS (``A330 MRTT``) is its own family, white space normalised.
    """
    mds = parse(designation) if designation.isupper() else None  # Tu-154 is not an MDS
    if mds is None:
        return " ".join(designation.split())
    return f"{mds.mission}-{mds.design}"
