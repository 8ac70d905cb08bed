"""Words for readers: one label for every vocabulary value, dates as people write them.

Reports print these labels and never a raw code (``not-refueling``) or a field name
(``damage_usd``): the tests read every seed case's brief back and look for both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import Enum

from mishaps.vocab import (
    Damage,
    FindingKind,
    Method,
    Phase,
    RecommendationStatus,
    Role,
    SourceKind,
    Status,
)

UNKNOWN = "unknown"

# One table, keyed by vocabulary name: every value of every closed vocabulary has a label here
# (tests/test_reports.py walks the enums); refuelling mechanisms take their names from
# data/mechanisms.yaml.
LABELS: dict[str, dict[str, str]] = {
    "status": {
        Status.press.value: "Press reports only",
        Status.preliminary.value: "Preliminary: official statements, no report released",
        Status.final.value: "Final: investigation complete",
    },
    "refueling_method": {
        Method.boom.value: "Flying boom",
        Method.probe_and_drogue.value: "Probe and drogue",
        Method.none.value: "No air refueling under way",
        Method.unknown.value: "Air refueling method unknown",
    },
    "refueling_phase": {
        Phase.rendezvous.value: "During the rendezvous",
        Phase.pre_contact.value: "In the precontact position",
        Phase.contact.value: "In contact",
        Phase.disconnect.value: "At disconnect",
        Phase.breakaway.value: "During a breakaway",
        Phase.post_refueling.value: "After refueling",
        Phase.not_refueling.value: "Not refueling at the time",
        Phase.unknown.value: "Phase unknown",
    },
    "role": {
        Role.tanker.value: "Tanker",
        Role.receiver.value: "Receiver",
        Role.other.value: "Other aircraft",
    },
    "damage": {
        Damage.destroyed.value: "Destroyed",
        Damage.substantial.value: "Substantial damage",
        Damage.minor.value: "Minor damage",
        Damage.none.value: "Undamaged",
        Damage.unknown.value: "Damage unknown",
    },
    "finding_kind": {
        FindingKind.cause.value: "Cause",
        FindingKind.contributing.value: "Contributing factor",
        FindingKind.finding.value: "Finding",
        FindingKind.recommendation.value: "Recommendation",
    },
    "source_kind": {
        SourceKind.aib_report.value: "Investigation board report",
        SourceKind.official_release.value: "Official release",
        SourceKind.press.value: "Press report",
        SourceKind.other.value: "Other source",
    },
    "recommendation_status": {
        RecommendationStatus.open.value: "Open",
        RecommendationStatus.implemented.value: "Implemented",
        RecommendationStatus.rejected.value: "Rejected",
        RecommendationStatus.unknown.value: "Status unknown",
    },
}


def _mechanism_names() -> dict[str, str]:
    # The mechanism names live with their definitions in data/mechanisms.yaml: one place.
    from mishaps.taxonomy import mechanisms

    return {m.code: m.name for m in mechanisms()}


LABELS["refueling_mechanism"] = _mechanism_names()

# What a cited source makes of a damage figure.
DAMAGE_BASIS = {
    SourceKind.aib_report.value: "board figure",
    SourceKind.official_release.value: "official figure",
    SourceKind.press.value: "press estimate",
    SourceKind.other.value: "secondary-source figure",
}

# The interchange format's field names, as words: free text (notes) that names a field reads
# as prose in a report.
FIELD_WORDS = {
    "damage_usd": "the damage figure",
    "mishap_class": "the mishap class",
    "occurred_on": "the date",
    "occurrence_categories": "the occurrence categories",
    "published_on": "the publication date",
    "fiscal_year": "the fiscal year",
    "derived_class": "the derived class",
    "refueling.method": "the air refueling method",
    "refueling.phase": "the air refueling phase",
    "refueling.mechanism": "the air refueling mechanism",
    "location.latitude": "the latitude",
    "location.longitude": "the longitude",
}
_FIELD_RX = re.compile(
    r"(?<![\w.])(" + "|".join(re.escape(k) for k in FIELD_WORDS) + r")(?![\w])",
)


def label(vocabulary: str, value: str | Enum | None) -> str:
    """The reader's word for ``value`` of ``vocabulary``; unknown for None."""
    if value is None:
        return UNKNOWN
    code = value.value if isinstance(value, Enum) else str(value)
    return LABELS[vocabulary].get(code, code)


def lower_first(text: str) -> str:
    """``In contact`` -> ``in contact`` for use inside a sentence (acronyms stay)."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def fields_as_words(text: str) -> str:
    """Free text with field names (``damage_usd``) replaced by words (``the damage figure``);
    a sentence that starts with one keeps its capital."""

    def words(m: re.Match[str]) -> str:
        word = FIELD_WORDS[m.group(1)]
        start = m.start() == 0 or text[: m.start()].rstrip().endswith((".", ":", "\n"))
        return word[:1].upper() + word[1:] if start else word

    return _FIELD_RX.sub(words, text)


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day(value: str | None) -> str:
    """A (possibly partial) ISO date as people write it: 25 Aug 2025, Aug 2025, 2025."""
    if not value:
        return UNKNOWN
    parts = str(value).split("-")
    if len(parts) == 3:
        return f"{int(parts[2])} {_MONTHS[int(parts[1]) - 1]} {parts[0]}"
    if len(parts) == 2:
        return f"{_MONTHS[int(parts[1]) - 1]} {parts[0]}"
    return parts[0]


def short_money(value: float) -> str:
    """$66.3M, $8.3M, $103,295: a figure a reader takes in at a glance."""
    if value >= 1_000_000:
        return f"${value / 1_000_000:,.1f}M"
    return f"${value:,.0f}"


def sentence(text: str) -> str:
    """``text`` ended by one full stop: a title ending "?" or "." gets none added."""
    text = text.rstrip()
    return text if text.endswith((".", "?", "!", "…")) else text + "."


_ABBREVIATIONS = frozenset(
    {
        *("capt", "gen", "lt", "col", "maj", "sgt", "tsgt", "ssgt", "msgt", "cdr", "cmdr"),
        *("adm", "brig", "no", "st", "mt", "approx", "vs", "e.g", "i.e", "etc", "mr", "dr"),
        *("jan", "feb", "mar", "apr", "aug", "sep", "sept", "oct", "nov", "dec", "u.s", "u.k"),
    }
)
_SPLIT = re.compile(r"(?<=[.!?])[\"”']?\s+(?=[\"“(]?[A-Z0-9])")


def sentences(text: str) -> list[str]:
    """Split prose into sentences, not at abbreviations (Capt., U.S.) or initials (J.)."""
    out: list[str] = []
    start = 0
    for m in _SPLIT.finditer(text):
        before = text[start : m.start()].split()
        last = before[-1].rstrip(".!?\"”'").lower() if before else ""
        if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
            continue
        out.append(text[start : m.start()].strip())
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def first_sentences(text: str, *, words: int) -> str:
    """The opening sentences of ``text``, about ``words`` words at most (at least one)."""
    chosen: list[str] = []
    count = 0
    for s in sentences(" ".join(text.split())):
        n = len(s.split())
        if chosen and count + n > words:
            break
        chosen.append(s)
        count += n
    return " ".join(chosen)


def topics(text: str | None) -> list[str]:
    """Notes as separate topics: one a line (or paragraph) in the data."""
    if not text:
        return []
    return [t.strip() for t in re.split(r"\n\s*\n|\n", text) if t.strip()]


def join_words(items: Iterable[str]) -> str:
    """a, b and c."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
