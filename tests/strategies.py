"""Hypothesis strategies: valid cases in the interchange format, built field by field."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import strategies as st

from mishaps.schema import (
    FIELD_NAMES,
    ID_PATTERN,
    AircraftIn,
    Case,
    Location,
    Refueling,
    cictt_codes,
    cite_target,
    mechanism_codes,
)
from mishaps.vocab import (
    Damage,
    FindingKind,
    Method,
    MishapClass,
    Phase,
    RecommendationStatus,
    Role,
    SourceKind,
    Status,
)


def _values(kind: Any) -> st.SearchStrategy[str]:
    return st.sampled_from([m.value for m in kind])


# Printable text in many scripts; the tool strips surrounding space, so generate it stripped.
_CHARS = st.characters(categories=("L", "N", "P", "S", "Zs"), exclude_characters="\x85\u2028\u2029")
text = st.text(_CHARS, min_size=1, max_size=40).map(str.strip).filter(bool)
long_text = st.lists(text, min_size=1, max_size=3).map("\n".join)
optional_text = st.none() | text
count = st.integers(min_value=0, max_value=500)
optional_count = st.none() | count


def partial_date(max_value: date | None = None) -> st.SearchStrategy[str]:
    day = st.dates(min_value=date(1900, 1, 1), max_value=max_value or date.today())
    return st.one_of(
        day.map(date.isoformat),
        day.map(lambda d: d.isoformat()[:7]),
        day.map(lambda d: str(d.year)),
    )


coordinate = st.floats(min_value=-90, max_value=90, allow_nan=False) | st.integers(-90, 90)
longitude = st.floats(min_value=-180, max_value=180, allow_nan=False) | st.integers(-180, 180)
money = st.floats(min_value=0, max_value=1e12, allow_nan=False) | st.integers(0, 10**12)
hfacs = st.from_regex(r"[AOPS][A-Z][0-9]{3}", fullmatch=True)
url = st.from_regex(
    r"https?://[a-z]{1,10}\.(org|mil|com)(/[A-Za-z0-9._~-]{1,12}){0,3}", fullmatch=True
)
case_id = st.from_regex(ID_PATTERN, fullmatch=True).filter(lambda s: len(s) <= 60)

aircraft = st.fixed_dictionaries(
    {"role": _values(Role), "type": text},
    optional={
        "serial": optional_text, "unit": optional_text, "callsign": optional_text,
        "crew": optional_count, "fatalities": optional_count, "injuries": optional_count,
        "damage": st.none() | _values(Damage),
    },
)  # fmt: skip
finding = st.fixed_dictionaries(
    {"kind": _values(FindingKind), "text": long_text},
    optional={"hfacs": st.lists(hfacs, max_size=3)},
)
source = st.fixed_dictionaries(
    {"title": text, "url": url, "kind": _values(SourceKind)},
    optional={"publisher": optional_text, "published_on": st.none() | partial_date()},
)


@st.composite
def case_doc(draw: st.DrawFn, mishap_id: st.SearchStrategy[str] = case_id) -> dict[str, Any]:
    """A mapping that is a valid case: the cross-field rules are made to hold."""
    doc: dict[str, Any] = draw(
        st.fixed_dictionaries(
            {
                "id": mishap_id, "title": text, "occurred_on": partial_date(),
                "status": _values(Status), "service": text,
                "location": st.fixed_dictionaries(
                    {"description": text},
                    optional={
                        "country": st.none() | st.from_regex(r"[A-Z]{2}", fullmatch=True),
                        "latitude": st.none() | coordinate, "longitude": st.none() | longitude,
                    },
                ),
                "aircraft": st.lists(aircraft, min_size=1, max_size=3),
                "summary": long_text,
                "sources": st.lists(source, min_size=1, max_size=2),
            },
            optional={
                "time": optional_text, "operation": optional_text, "notes": optional_text,
                "refueling": st.fixed_dictionaries(
                    {}, optional={"method": _values(Method), "phase": _values(Phase)}
                ),
                "damage_usd": st.none() | money,
                "mishap_class": st.none() | _values(MishapClass),
                "fatalities": optional_count, "injuries": optional_count,
                "occurrence_categories": st.lists(
                    st.sampled_from(sorted(cictt_codes())), max_size=3, unique=True
                ),
                "findings": st.lists(finding, max_size=2),
            },
        )
    )  # fmt: skip
    for key in ("fatalities", "injuries"):
        known = sum(a.get(key) or 0 for a in doc["aircraft"])
        if doc.get(key) is not None and doc[key] < known:
            doc[key] = known
    severe = (doc.get("fatalities") or 0) > 0 or any(
        (a.get("fatalities") or 0) > 0 or a.get("damage") == "destroyed" for a in doc["aircraft"]
    )
    if severe and doc.get("mishap_class") not in (None, "A"):
        doc["mishap_class"] = "A"
    _format_extensions(draw, doc)
    return doc


def _format_extensions(draw: st.DrawFn, doc: dict[str, Any]) -> None:
    """The fields of issue 12 section 2 and issue 17, drawn so that their rules hold."""
    location = doc["location"]
    approximate = draw(st.none() | st.booleans())
    if approximate is not None:
        location["approximate"] = approximate
    if approximate:
        location["latitude"] = (
            draw(coordinate) if location.get("latitude") is None else location["latitude"]
        )
        location["longitude"] = (
            draw(longitude) if location.get("longitude") is None else location["longitude"]
        )
        location["basis"] = draw(text)
    elif draw(st.booleans()):
        location["basis"] = draw(optional_text)
    refueling = doc.get("refueling")
    if refueling is not None and refueling.get("phase") != Phase.not_refueling.value:
        codes = draw(st.lists(st.sampled_from(mechanism_codes()), max_size=3, unique=True))
        if codes or draw(st.booleans()):
            refueling["mechanism"] = codes
    if draw(st.booleans()):
        doc["series"] = draw(st.lists(case_id, max_size=2, unique=True))
    numbers = st.integers(min_value=1, max_value=len(doc["sources"]))
    for f in doc.get("findings", []):
        if f["kind"] == FindingKind.recommendation.value and draw(st.booleans()):
            f["status"] = draw(_values(RecommendationStatus))
            if draw(st.booleans()):
                f["status_as_of"] = draw(partial_date())
        if draw(st.booleans()):
            f["cites"] = draw(st.lists(numbers, max_size=3, unique=True))
    case = Case.model_validate(doc)
    candidates = [
        path
        for path in [
            *(n for n in FIELD_NAMES[Case]),
            *(f"location.{n}" for n in FIELD_NAMES[Location]),
            *(f"refueling.{n}" for n in FIELD_NAMES[Refueling]),
            *(
                f"aircraft[{i}].{n}"
                for i in range(len(doc["aircraft"]))
                for n in FIELD_NAMES[AircraftIn]
            ),
        ]
        if cite_target(case, path)[0] is not None
    ]
    if candidates and draw(st.booleans()):
        paths = draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=6, unique=True))
        doc["cites"] = {
            p: draw(st.lists(numbers, min_size=1, max_size=3, unique=True)) for p in paths
        }
