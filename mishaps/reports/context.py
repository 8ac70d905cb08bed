"""Stage one of rendering: cases -> a frozen, template-ready context. Pure; no I/O but data files.

Everything a template prints is decided here (labels, unknowns, numbering, figures), so the
templates stay simple and this stage is tested without WeasyPrint.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import yaml

from mishaps import classes
from mishaps.config import data_dir
from mishaps.errors import ReportError
from mishaps.filters import Filters
from mishaps.output import UNKNOWN, money, show_value
from mishaps.schema import Case
from mishaps.taxonomy import SAFE_LOADER, cictt_name, hfacs_title
from mishaps.text import plural
from mishaps.vocab import Damage, FindingKind, Status

AUTHOR = "mishaps"


def generation_time(environ: Mapping[str, str] = os.environ) -> datetime:
    """Now, or SOURCE_DATE_EPOCH when set, so that two renders of the same data are identical."""
    epoch = environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), UTC)
        except ValueError:
            raise ReportError(
                f"SOURCE_DATE_EPOCH must be whole seconds since 1970, got {epoch!r}"
            ) from None
    return datetime.now(UTC).replace(microsecond=0)


def fingerprint(cases: Sequence[Case]) -> str:
    """A short hash of exactly the data a report was made from."""
    blob = json.dumps([c.to_document() for c in cases], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]


# -- markings ---------------------------------------------------------------------------------


@cache
def _distribution_data() -> dict[str, Any]:
    with (data_dir() / "distribution.yaml").open(encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.load(fh, Loader=SAFE_LOADER)
    return data


def distribution_statement(
    letter: str, *, reason: str | None, office: str | None, determined: str
) -> str:
    """The DoDI 5230.24 distribution statement for ``letter``, with its fill-ins."""
    letter = letter.upper()
    entry = _distribution_data()["statements"].get(letter)
    if entry is None:
        raise ReportError(f"distribution statement must be one of A-F, got {letter!r}")
    missing = [
        option
        for option, needed, value in (
            ("--distribution-reason", entry.get("needs_reason"), reason),
            ("--controlling-office", entry.get("needs_office"), office),
        )
        if needed and not value
    ]
    if missing:
        raise ReportError(f"distribution statement {letter} needs {' and '.join(missing)}")
    text: str = entry["text"].format(reason=reason, office=office, date=determined)
    return text


@dataclass(frozen=True)
class Meta:
    """What every page and the PDF metadata carry."""

    title: str
    subject: str
    generated_at: datetime
    version: str
    fingerprint: str
    marking: str | None = None
    distribution: str | None = None
    keywords: tuple[str, ...] = ()
    author: str = AUTHOR
    lang: str = "en"

    @property
    def generated_label(self) -> str:
        return self.generated_at.strftime("%Y-%m-%d %H:%M UTC")

    @property
    def generated_iso(self) -> str:
        return self.generated_at.strftime("%Y-%m-%dT%H:%M:%SZ")


# -- one case, ready to print -----------------------------------------------------------------


@dataclass(frozen=True)
class Labelled:
    code: str
    name: str


@dataclass(frozen=True)
class SourceRef:
    number: int
    title: str
    publisher: str | None
    url: str
    published_on: str | None
    kind: str


@dataclass(frozen=True)
class CaseView:
    case: Case
    class_label: str
    fiscal_year: str
    notice: str | None  # an information-status warning for a case not yet final
    facts: list[tuple[str, str]]
    aircraft: list[dict[str, str]]
    causes: list[str]
    contributing: list[str]
    other_findings: list[tuple[str, str]]  # (kind label, text)
    categories: list[Labelled]
    hfacs: list[Labelled]
    sources: list[SourceRef]

    @property
    def id(self) -> str:
        return self.case.id

    @property
    def anchor(self) -> str:
        return "case-" + self.case.id


NOTICES = {
    Status.press: "PRESS REPORTS ONLY. No official investigation findings are available; "
    "facts rest on news reporting and may change.",
    Status.preliminary: "UNDER INVESTIGATION. Facts are preliminary, from official statements; "
    "no final investigation report has been released.",
}


def case_view(case: Case, *, source_numbers: Mapping[str, int] | None = None) -> CaseView:
    loc = case.location
    where = loc.description + (f" ({loc.country})" if loc.country else "")
    if loc.latitude is not None and loc.longitude is not None:
        where += f", {loc.latitude:.2f}, {loc.longitude:.2f}"
    class_label = classes.class_label(case)  # "A", "A (derived)" or "unknown"
    fiscal_year = classes.fiscal_year_label(classes.fiscal_year(case.occurred_on))
    facts = [
        ("Date", case.occurred_on),
        ("Time", show_value(case.time)),
        ("Fiscal year", fiscal_year),
        ("Location", where),
        ("Service", case.service),
        ("Operation", show_value(case.operation)),
        ("Air refueling method", case.refueling.method.value),
        ("Air refueling phase", case.refueling.phase.value),
        ("Mishap class", class_label),
        ("Damage", money(case.damage_usd)),
        ("Fatalities", show_value(case.fatalities)),
        ("Injuries", show_value(case.injuries)),
        ("Information status", case.status.value),
    ]
    aircraft = [
        {
            "role": a.role.value,
            "type": a.type,
            "serial": show_value(a.serial),
            "unit": show_value(a.unit),
            "callsign": show_value(a.callsign),
            "crew": show_value(a.crew),
            "fatalities": show_value(a.fatalities),
            "damage": a.damage.value if a.damage else UNKNOWN,
        }
        for a in case.aircraft
    ]
    kinds = {FindingKind.finding: "Finding", FindingKind.recommendation: "Recommendation"}
    codes = list(dict.fromkeys(code for f in case.findings for code in f.hfacs))
    numbers = source_numbers or {}
    sources = [
        SourceRef(numbers.get(s.url, i), s.title, s.publisher, s.url, s.published_on, s.kind.value)
        for i, s in enumerate(case.sources, 1)
    ]
    return CaseView(
        case=case,
        class_label=class_label,
        fiscal_year=fiscal_year,
        notice=NOTICES.get(case.status),
        facts=facts,
        aircraft=aircraft,
        causes=[f.text for f in case.findings if f.kind is FindingKind.cause],
        contributing=[f.text for f in case.findings if f.kind is FindingKind.contributing],
        other_findings=[(kinds[f.kind], f.text) for f in case.findings if f.kind in kinds],
        categories=[
            Labelled(c, cictt_name(c) or "name not in the CICTT table")
            for c in case.occurrence_categories
        ],
        hfacs=[Labelled(c, hfacs_title(c) or "code not in the DoD HFACS 8.0 table") for c in codes],
        sources=sources,
    )


# -- the brief ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BriefContext:
    meta: Meta
    view: CaseView


@dataclass(frozen=True)
class Marking:
    marking: str | None = None
    distribution: str | None = None
    reason: str | None = None
    office: str | None = None


def _meta(
    title: str,
    subject: str,
    cases: Sequence[Case],
    *,
    marking: Marking,
    generated_at: datetime,
    version: str,
    keywords: Sequence[str],
) -> Meta:
    statement = None
    if marking.distribution:
        statement = distribution_statement(
            marking.distribution,
            reason=marking.reason,
            office=marking.office,
            determined=generated_at.strftime("%Y-%m-%d"),
        )
    return Meta(
        title=title,
        subject=subject,
        generated_at=generated_at,
        version=version,
        fingerprint=fingerprint(cases),
        marking=marking.marking or None,
        distribution=statement,
        keywords=tuple(keywords),
    )


def build_brief(
    case: Case, *, marking: Marking, generated_at: datetime, version: str
) -> BriefContext:
    types = list(dict.fromkeys(a.type for a in case.aircraft))
    return BriefContext(
        meta=_meta(
            f"Mishap brief: {case.title}",
            f"Air refueling mishap brief, {case.occurred_on}, {', '.join(types)}",
            [case],
            marking=marking,
            generated_at=generated_at,
            version=version,
            keywords=["air refueling", "mishap", *types],
        ),
        view=case_view(case),
    )


# -- the summary -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    unknown: str  # what is unknown about it, in words ("" when nothing is)


@dataclass(frozen=True)
class Bar:
    label: str
    value: int


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    bars: list[Bar]
    note: str = ""
    kind: str = "bars"  # bars (horizontal, for categories) or columns (for time)

    @property
    def alt_text(self) -> str:
        """The chart in words, printed under it (its text alternative)."""
        shown = [b for b in self.bars if b.value or self.kind == "bars"]
        text = "; ".join(f"{b.label}: {b.value}" for b in shown) + "."
        if len(shown) < len(self.bars):
            text += " All other periods: 0."
        return text


@dataclass(frozen=True)
class SummaryContext:
    meta: Meta
    query: list[tuple[str, str]]
    command: str
    date_range: str
    figures: list[Figure]
    charts: list[Chart]
    cases: list[CaseView]
    sources: list[SourceRef]
    toc_cases: bool


def key_figures(cases: Sequence[Case]) -> list[Figure]:
    """Totals with their unknowns said apart: an unknown is never added as 0."""

    def total(values: list[int | float | None], fmt: Any, what: str) -> tuple[str, str]:
        known = [v for v in values if v is not None]
        unknown = len(values) - len(known)
        text = fmt(sum(known)) if known else UNKNOWN
        return text, (f"unknown for {plural(unknown, what)}" if unknown else "")

    all_aircraft = [a for c in cases for a in c.aircraft]
    destroyed = sum(1 for a in all_aircraft if a.damage is Damage.destroyed)
    damage_unknown = sum(1 for a in all_aircraft if a.damage in (None, Damage.unknown))
    fat, fat_u = total([c.fatalities for c in cases], str, "mishap")
    inj, inj_u = total([c.injuries for c in cases], str, "mishap")
    usd, usd_u = total([c.damage_usd for c in cases], money, "mishap")
    return [
        Figure("Mishaps", str(len(cases)), ""),
        Figure("Aircraft involved", str(len(all_aircraft)), ""),
        Figure("Fatalities", fat, fat_u),
        Figure("Injuries", inj, inj_u),
        Figure(
            "Aircraft destroyed",
            str(destroyed),
            f"damage unknown for {plural(damage_unknown, 'aircraft')}".replace(
                "aircrafts", "aircraft"
            )
            if damage_unknown
            else "",
        ),
        Figure("Damage (sum of stated costs)", usd, usd_u),
    ]


def _top(counter: Counter[str], limit: int, other: str) -> list[Bar]:
    ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    bars = [Bar(k, v) for k, v in ranked[:limit]]
    rest = ranked[limit:]
    if rest:
        bars.append(Bar(f"{other} ({len(rest)} more)", sum(v for _, v in rest)))
    return bars


def charts(cases: Sequence[Case]) -> list[Chart]:
    years = Counter(c.occurred_on[:4] for c in cases)
    span = (int(max(years)) - int(min(years))) if years else 0
    if span > 24:  # one bar a year would not fit a page: decades
        decades = Counter(f"{int(y) // 10 * 10}s" for c in cases for y in [c.occurred_on[:4]])
        by_time = Chart(
            "chart-years",
            "Mishaps by decade",
            [Bar(k, decades[k]) for k in sorted(decades)],
            kind="columns",
        )
    else:
        first, last = (int(min(years)), int(max(years))) if years else (0, -1)
        by_time = Chart(
            "chart-years",
            "Mishaps by year",
            [Bar(str(y), years.get(str(y), 0)) for y in range(first, last + 1)],
            kind="columns",
        )
    types: Counter[str] = Counter()
    for c in cases:
        for key in dict.fromkeys(f"{a.type} ({a.role.value})" for a in c.aircraft):
            types[key] += 1
    categories: Counter[str] = Counter()
    for c in cases:
        for code in c.occurrence_categories:
            categories[f"{code} {cictt_name(code) or ''}".strip()] += 1
        if not c.occurrence_categories:
            categories["none recorded"] += 1
    phases = Counter(c.refueling.phase.value for c in cases)
    return [
        by_time,
        Chart(
            "chart-aircraft",
            "Mishaps by aircraft type and role",
            _top(types, 14, "other types"),
            "A mishap counts once under each type and role it involved.",
        ),
        Chart(
            "chart-categories",
            "Mishaps by CICTT occurrence category",
            _top(categories, 12, "other categories"),
            "A mishap may carry several categories.",
        ),
        Chart("chart-phases", "Mishaps by air refueling phase", _top(phases, 10, "other phases")),
    ]


def command_line(filters: Filters) -> str:
    import shlex

    return shlex.join(["mishaps", "report", "summary", *filters.as_options()])


def build_summary(
    cases: Sequence[Case],
    *,
    filters: Filters,
    marking: Marking,
    generated_at: datetime,
    version: str,
) -> SummaryContext:
    if not cases:
        raise ReportError("no cases match the filters; an empty summary would say nothing")
    numbers: dict[str, int] = {}
    annex: list[SourceRef] = []
    for c in cases:
        for s in c.sources:
            if s.url not in numbers:
                numbers[s.url] = len(numbers) + 1
                annex.append(
                    SourceRef(
                        numbers[s.url], s.title, s.publisher, s.url, s.published_on, s.kind.value
                    )
                )
    dates = sorted(c.occurred_on for c in cases)
    query = filters.describe() or [("Filters", "none: every case in the database")]
    return SummaryContext(
        meta=_meta(
            f"Air refueling mishaps: summary of {plural(len(cases), 'case')}",
            "Summary of air refueling mishaps: "
            + ("; ".join(f"{k} {v}" for k, v in filters.describe()) or "all cases"),
            cases,
            marking=marking,
            generated_at=generated_at,
            version=version,
            keywords=["air refueling", "mishap", "summary"],
        ),
        query=query,
        command=command_line(filters),
        date_range=dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1]}",
        figures=key_figures(cases),
        charts=charts(cases),
        cases=[case_view(c, source_numbers=numbers) for c in cases],
        sources=annex,
        toc_cases=len(cases) <= 40,
    )
