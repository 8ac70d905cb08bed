"""The interchange format as pydantic models: the one place a case is validated.

A case has this one shape in memory from import to report; the SQL tables are how it is stored.
``docs/format.md`` documents every field. ``validate_case`` turns a parsed mapping into a
``Case`` or a list of ``(field path, message)`` problems, in words a user can act on.
"""

from __future__ import annotations

import difflib
import math
import re
from datetime import date
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from mishaps.dates import date_period
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

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
HFACS_PATTERN = re.compile(r"^[AOPS][A-Z]\d{3}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def _partial_date(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # a bare year in YAML
    if isinstance(value, str):
        start, _ = date_period(value)
        if start > date.today():
            raise ValueError(f"{value!r} is in the future")
    return value


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {_show(value)}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"expected a finite number, got {value}")
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
    return value


def _text(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {_show(value)}")
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


Text = Annotated[str, BeforeValidator(_text)]
PartialDate = Annotated[str, BeforeValidator(_partial_date)]
Count = Annotated[int, Field(strict=True, ge=0)]
Money = Annotated[float | int, BeforeValidator(_number), Field(ge=0)]
# A source's number: its position in the case's `sources`, from 1.
SourceNumber = Annotated[int, Field(strict=True, ge=1)]
Flag = Annotated[bool, Field(strict=True)]


def _enum(kind: Any) -> Any:
    # Computed once: iterating an Enum on every call was a fifth of an import's validation time.
    allowed = tuple(m.value for m in kind)
    accepted = frozenset(allowed)

    def check(value: Any) -> Any:
        if value is None:
            raise ValueError("is required (null given)")
        if not isinstance(value, str) or value not in accepted:
            raise ValueError(f"{_show(value)} is not one of {', '.join(allowed)}")
        return value

    return BeforeValidator(check)


def _pattern(rx: re.Pattern[str], what: str) -> Any:
    def check(value: Any) -> Any:
        value = _text(value)
        if not rx.match(value):
            raise ValueError(f"{_show(value)} is not {what}")
        return value

    return BeforeValidator(check)


def _coordinate(limit: int) -> Any:
    def check(value: Any) -> Any:
        value = _number(value)
        if not -limit <= value <= limit:
            raise ValueError(f"{value} is outside -{limit}..{limit}")
        return value

    return BeforeValidator(check)


@cache
def cictt_codes() -> frozenset[str]:
    from mishaps.taxonomy import cictt

    return frozenset(c.code for c in cictt())


def _category(value: Any) -> Any:
    value = _text(value)
    if value not in cictt_codes():
        close = difflib.get_close_matches(value.upper(), sorted(cictt_codes()), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise ValueError(f"{value!r} is not a CICTT occurrence category{hint}")
    return value


@cache
def mechanism_codes() -> tuple[str, ...]:
    from mishaps.taxonomy import mechanisms

    return tuple(m.code for m in mechanisms())


def _mechanism(value: Any) -> Any:
    value = _text(value)
    if value not in mechanism_codes():
        close = difflib.get_close_matches(value.lower(), mechanism_codes(), n=1)
        hint = (
            f"; did you mean {close[0]}?" if close else f"; known: {', '.join(mechanism_codes())}"
        )
        raise ValueError(f"{value!r} is not an air refueling mechanism{hint}")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Location(_Model):
    description: Text
    country: (
        Annotated[str, _pattern(_COUNTRY, "an ISO 3166 two-letter country code such as KG")] | None
    ) = None
    latitude: Annotated[float, _coordinate(90)] | None = None
    longitude: Annotated[float, _coordinate(180)] | None = None
    # True: the coordinates are a named place's (town, base, sea area), not the mishap's own.
    approximate: Flag | None = None
    basis: Text | None = None  # where the coordinates come from; required when approximate


class Refueling(_Model):
    method: Annotated[Method, _enum(Method)] = Method.unknown
    phase: Annotated[Phase, _enum(Phase)] = Phase.unknown
    mechanism: list[Annotated[str, BeforeValidator(_mechanism)]] = []


class AircraftIn(_Model):
    role: Annotated[Role, _enum(Role)]
    type: Text
    serial: Text | None = None
    unit: Text | None = None
    callsign: Text | None = None
    crew: Count | None = None
    fatalities: Count | None = None
    injuries: Count | None = None
    damage: Annotated[Damage, _enum(Damage)] | None = None


class FindingIn(_Model):
    kind: Annotated[FindingKind, _enum(FindingKind)]
    text: Text
    hfacs: list[
        Annotated[str, _pattern(HFACS_PATTERN, "a DoD HFACS code such as AE104 or PC102")]
    ] = []
    status: Annotated[RecommendationStatus, _enum(RecommendationStatus)] | None = None
    status_as_of: PartialDate | None = None
    cites: list[SourceNumber] = []


class SourceIn(_Model):
    title: Text
    publisher: Text | None = None
    url: Annotated[str, _pattern(re.compile(r"^https?://[^\s/$.?#][^\s]*$"), "an http(s) URL")]
    published_on: PartialDate | None = None
    kind: Annotated[SourceKind, _enum(SourceKind)]


CaseId = Annotated[
    str, _pattern(ID_PATTERN, "an id of lower-case letters, digits and single hyphens")
]


class Case(_Model):
    id: CaseId
    title: Text
    occurred_on: PartialDate
    time: Text | None = None
    status: Annotated[Status, _enum(Status)]
    service: Text
    operation: Text | None = None
    location: Location
    refueling: Refueling = Refueling()
    damage_usd: Money | None = None
    mishap_class: Annotated[MishapClass, _enum(MishapClass)] | None = None
    fatalities: Count | None = None
    injuries: Count | None = None
    occurrence_categories: list[Annotated[str, BeforeValidator(_category)]] = []
    series: list[CaseId] = []  # ids of the series the case belongs to (mishaps/data/series.yaml)
    aircraft: Annotated[list[AircraftIn], Field(min_length=1)]
    findings: list[FindingIn] = []
    summary: Text
    notes: Text | None = None
    sources: Annotated[list[SourceIn], Field(min_length=1)]
    # field path -> the numbers of the sources that state it (1 = the first of `sources`)
    cites: dict[str, Annotated[list[SourceNumber], Field(min_length=1)]] = {}

    def to_document(self) -> dict[str, Any]:
        """The case in the interchange format, every field present (null = unknown) but an
        unknown air refueling method or phase, which is left out (the format's one spelling)."""
        doc = self.model_dump(mode="json")
        doc["refueling"] = {k: v for k, v in doc["refueling"].items() if v != "unknown"}
        return doc


FIELD_NAMES: dict[type[BaseModel], list[str]] = {
    m: list(m.model_fields) for m in (Case, Location, Refueling, AircraftIn, FindingIn, SourceIn)
}

Issue = tuple[tuple[str | int, ...], str]


def validate_case(data: Any) -> tuple[Case | None, list[Issue]]:
    """Validate one parsed case; the problems come as (path, message), all of them."""
    if not isinstance(data, dict):
        return None, [((), f"a case must be a mapping of fields, got {_show(data)}")]
    not_text = list(_not_text(data, ()))
    if not_text:
        return None, not_text
    try:
        case = Case.model_validate(data)
    except ValidationError as exc:
        return None, [_issue(e, data) for e in exc.errors()]
    issues = consistency(case)
    return (None if issues else case), issues


# NUL breaks CSV and PostgreSQL text; a lone surrogate (half of a UTF-16 pair, which JSON's
# "\ud800" escape and YAML's can make) is not a character and cannot be written as UTF-8.
_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")


def _not_text(value: Any, path: tuple[str | int, ...]) -> Any:
    """Issues for every string (key or value) holding a character no text may hold."""
    if isinstance(value, str):
        bad = _NOT_TEXT.search(value)
        if bad:
            code = ord(bad.group())
            what = (
                "U+0000 (NUL), which text may not hold"
                if code == 0
                else f"U+{code:04X}, half of a UTF-16 pair, which is not a character"
            )
            yield path, f"holds {what}"
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and _NOT_TEXT.search(key):
                yield (
                    path,
                    f"a field name {_NOT_TEXT.sub('?', key)!r} holds a character no text may hold",
                )
            else:
                yield from _not_text(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _not_text(item, (*path, i))


def consistency(case: Case) -> list[Issue]:
    """Rules across fields that no single field can check."""
    issues: list[Issue] = []
    known = [a.fatalities for a in case.aircraft if a.fatalities is not None]
    if case.fatalities is not None and sum(known) > case.fatalities:
        issues.append(
            (
                ("fatalities",),
                f"{case.fatalities} is fewer than the aircraft's fatalities ({sum(known)})",
            )
        )
    known_inj = [a.injuries for a in case.aircraft if a.injuries is not None]
    if case.injuries is not None and sum(known_inj) > case.injuries:
        issues.append(
            (
                ("injuries",),
                f"{case.injuries} is fewer than the aircraft's injuries ({sum(known_inj)})",
            )
        )
    severe = []
    if (case.fatalities or 0) > 0 or any((a.fatalities or 0) > 0 for a in case.aircraft):
        severe.append("a fatality")
    if any(a.damage == Damage.destroyed for a in case.aircraft):
        severe.append("a destroyed aircraft")
    if case.mishap_class not in (None, MishapClass.A) and severe:
        issues.append(
            (
                ("mishap_class",),
                f"{case.mishap_class.value!r} contradicts {' and '.join(severe)},"
                f" which make{'s' if len(severe) == 1 else ''} a Class A mishap",
            )
        )
    if len(set(case.occurrence_categories)) != len(case.occurrence_categories):
        issues.append((("occurrence_categories",), "lists a category twice"))
    issues += _location_rules(case.location)
    issues += _refueling_rules(case.refueling)
    if len(set(case.series)) != len(case.series):
        issues.append((("series",), "lists a series twice"))
    for i, f in enumerate(case.findings):
        if f.kind is not FindingKind.recommendation:
            for name in ("status", "status_as_of"):
                if getattr(f, name) is not None:
                    issues.append(
                        (
                            ("findings", i, name),
                            f"only a recommendation has a {name}, not a {f.kind.value}",
                        )
                    )
        elif f.status_as_of is not None and f.status is None:
            issues.append((("findings", i, "status_as_of"), "is given without a status"))
        issues += _numbers(("findings", i, "cites"), f.cites, len(case.sources))
    issues += cite_problems(case)
    return issues


def _location_rules(loc: Location) -> list[Issue]:
    issues: list[Issue] = []
    if loc.approximate:
        if loc.basis is None:
            issues.append(
                (
                    ("location", "basis"),
                    "is required when approximate is true: name the place whose coordinates"
                    " these are (the town, base or sea area the sources name)",
                )
            )
        if loc.latitude is None or loc.longitude is None:
            issues.append(
                (
                    ("location", "approximate"),
                    "is true but the location has no latitude and longitude to be approximate",
                )
            )
    return issues


def _refueling_rules(r: Refueling) -> list[Issue]:
    issues: list[Issue] = []
    if r.mechanism and r.phase is Phase.not_refueling:
        issues.append(
            (
                ("refueling", "mechanism"),
                "a mishap outside air refueling (phase not-refueling) has no mechanism",
            )
        )
    if len(set(r.mechanism)) != len(r.mechanism):
        issues.append((("refueling", "mechanism"), "lists a mechanism twice"))
    return issues


# --- citations --------------------------------------------------------------------------------

# The fields `validate --strict` wants a cite for whenever they are filled (docs/format.md).
STRICT_FIELDS = (
    "occurred_on", "time", "location.description", "location.country", "location.latitude",
    "location.longitude", "fatalities", "injuries", "damage_usd", "mishap_class",
    "refueling.method", "refueling.phase", "refueling.mechanism",
)  # fmt: skip
STRICT_AIRCRAFT_FIELDS = ("serial", "unit", "callsign", "crew", "fatalities", "injuries", "damage")
# Not facts a source states, or cited elsewhere: a case's id, its cites and sources, findings.
_UNCITABLE = frozenset({"id", "cites", "sources", "findings"})
_GROUPS: dict[str, type[BaseModel]] = {"location": Location, "refueling": Refueling}
_CITE_PATH = re.compile(
    r"^(?:(?P<group>location|refueling)\.|aircraft\[(?P<index>\d{1,4})\]\.)?(?P<name>[a-z_]+)$"
)


def _filled(value: Any) -> bool:
    if value is None or value == []:
        return False
    return value not in (Method.unknown, Phase.unknown, Damage.unknown)


def cite_target(case: Case, path: str) -> tuple[tuple[str | int, ...] | None, str | None]:
    """The location of the field a cite path names, or None and why it names none."""
    m = _CITE_PATH.match(path)
    if m is None:
        return None, (
            "is not a field path; write a field as in the format: fatalities,"
            " location.country, refueling.phase, aircraft[0].serial"
        )
    name = m["name"]
    if m["group"] is not None:
        model: type[BaseModel] = _GROUPS[m["group"]]
        loc: tuple[str | int, ...] = (m["group"], name)
        holder: Any = getattr(case, m["group"])
    elif m["index"] is not None:
        index = int(m["index"])
        if index >= len(case.aircraft):
            return None, f"names no aircraft: the case lists {len(case.aircraft)} (from 0)"
        model, loc, holder = AircraftIn, ("aircraft", index, name), case.aircraft[index]
    else:
        model, loc, holder = Case, (name,), case
    fields = [f for f in FIELD_NAMES[model] if model is not Case or f not in _UNCITABLE]
    if name in ("location", "refueling", "aircraft") and model is Case:
        example = {"location": "location.country", "refueling": "refueling.phase"}.get(
            name, "aircraft[0].serial"
        )
        return None, f"is a group of fields; cite its fields, e.g. {example}"
    if name not in fields:
        close = difflib.get_close_matches(name, fields, n=1)
        hint = f"; did you mean {path[: -len(name)] + close[0]!r}?" if close else ""
        return None, f"names no field of the format{hint}"
    if not _filled(getattr(holder, name)):
        return None, "names a field that is not filled (unknown); cite only what the case states"
    return loc, None


def _numbers(where: tuple[str | int, ...], numbers: list[int], sources: int) -> list[Issue]:
    issues: list[Issue] = []
    for j, n in enumerate(numbers):
        if n > sources:
            listed = f"the case lists {sources} source{'s' if sources != 1 else ''}"
            issues.append(((*where, j), f"source {n} does not exist: {listed}"))
        elif n in numbers[:j]:
            issues.append(((*where, j), f"cites source {n} twice"))
    return issues


def cite_problems(case: Case) -> list[Issue]:
    """Cites that name no filled field, or a source the case does not list."""
    issues: list[Issue] = []
    for path, numbers in case.cites.items():
        _, why = cite_target(case, path)
        if why is not None:
            issues.append((("cites", path), why))
        issues += _numbers(("cites", path), numbers, len(case.sources))
    return issues


def uncited(case: Case) -> list[Issue]:
    """What `validate --strict` adds: filled fact fields and findings that cite no source."""
    issues: list[Issue] = []
    wanted = [(p, cite_target(case, p)[0]) for p in STRICT_FIELDS]
    for i, a in enumerate(case.aircraft):
        wanted += [
            (f"aircraft[{i}].{n}", ("aircraft", i, n))
            for n in STRICT_AIRCRAFT_FIELDS
            if _filled(getattr(a, n))
        ]
    for path, loc in wanted:
        if loc is not None and not case.cites.get(path):
            issues.append((loc, f"no source is cited for it (add {path}: [N] under cites)"))
    for i, f in enumerate(case.findings):
        if not f.cites:
            issues.append((("findings", i), "the finding cites no source (add cites: [N])"))
    return issues


def _issue(error: Any, data: dict[str, Any]) -> Issue:
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "missing":
        return loc, "is required"
    if kind == "extra_forbidden":
        name = str(loc[-1])
        fields = _fields_at(loc[:-1])
        close = difflib.get_close_matches(name, fields, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known fields: {', '.join(fields)}"
        return loc, f"unknown field {name!r}{hint}"
    if kind == "value_error":
        return loc, str(error["ctx"]["error"])
    if kind in ("int_type", "int_from_float", "int_parsing"):
        return loc, f"expected a whole number, got {_show(error['input'])}"
    if kind == "bool_type":
        return loc, f"expected true or false, got {_show(error['input'])}"
    if kind in ("greater_than_equal",):
        return loc, f"must be at least {error['ctx']['ge']}, got {_show(error['input'])}"
    if kind == "too_short":
        return loc, "must list at least one"
    if kind in ("list_type", "model_type", "dict_type"):
        want = "a list" if kind == "list_type" else "a mapping of fields"
        return loc, f"expected {want}, got {_show(error['input'])}"
    return loc, error["msg"]


NESTED: dict[str, type[BaseModel]] = {
    "location": Location,
    "refueling": Refueling,
    "aircraft": AircraftIn,
    "findings": FindingIn,
    "sources": SourceIn,
}


def _fields_at(loc: tuple[Any, ...]) -> list[str]:
    model: type[BaseModel] = Case
    for part in loc:
        if isinstance(part, int):
            continue
        annotation = model.model_fields[part].annotation
        nested = NESTED.get(str(part))
        if nested is None or annotation is None:
            break
        model = nested
    return FIELD_NAMES[model]


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def field_path(loc: tuple[str | int, ...]) -> str:
    """``('aircraft', 0, 'role')`` -> ``aircraft[0].role``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
