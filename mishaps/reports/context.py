"""Stage one of rendering: cases -> a frozen, template-ready context. Pure; no I/O but data files.

Everything a template prints is decided here (labels, unknowns, numbering, figures), so the
templates stay simple and this stage is tested without WeasyPrint.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cache
from typing import Any

import yaml

from mishaps import classes
from mishaps.config import data_dir
from mishaps.errors import ReportError
from mishaps.filters import Filters
from mishaps.mds import family
from mishaps.output import UNKNOWN, money, show_value
from mishaps.reports import labels
from mishaps.schema import Case, FindingIn, date_period
from mishaps.taxonomy import SAFE_LOADER, cictt_name, hfacs_title
from mishaps.text import plural
from mishaps.vocab import Damage, FindingKind, Method, Phase, Role, SourceKind, Status

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
    cui: tuple[tuple[str, str], ...] = ()  # the CUI designation indicator, page 1

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
class Cite:
    """A reference number as printed, and where it links: the reference list entry, or the
    source itself when the reference list is not in the document (``--no-annex``)."""

    number: int
    href: str


Cites = tuple[Cite, ...]


@dataclass(frozen=True)
class Fact:
    label: str
    value: str
    cites: Cites = ()
    unknown: bool = False


@dataclass(frozen=True)
class Item:
    text: str
    cites: Cites = ()
    kind: str = ""  # a label for findings listed together (Finding, Recommendation)


@dataclass(frozen=True)
class SourceRef:
    number: int
    title: str
    publisher: str | None
    url: str
    published_on: str | None
    kind: str

    @property
    def kind_label(self) -> str:
        return labels.label("source_kind", self.kind)

    @property
    def title_sentence(self) -> str:
        return labels.sentence(self.title)

    @property
    def date_label(self) -> str | None:
        return labels.day(self.published_on) if self.published_on else None


@dataclass(frozen=True)
class RelatedCase:
    mishap_id: str
    title: str
    reasons: str  # why it is alike, in words


@dataclass(frozen=True)
class Related:
    """What a summary shows beside a case: its series (titles) and its most similar cases."""

    series: list[str]
    similar: list[RelatedCase]


@dataclass(frozen=True)
class CaseView:
    case: Case
    class_label: str
    fiscal_year: str
    facts: list[Fact]
    aircraft: list[dict[str, str]]
    causes: list[Item]
    contributing: list[Item]
    other_findings: list[Item]
    no_cause: str  # what page 1 says when no cause is stated (NO_CAUSE, by status)
    no_cause_note: str  # the sentence after it
    categories: list[Labelled]
    hfacs: list[Labelled]
    sources: list[SourceRef]
    notes: list[str]
    status_line: str
    status_short: str
    as_of: str
    rests_on: str | None  # a final case whose sources do not include the board's report
    tanker_receiver: str
    phase: str
    cause_line: str
    class_note: str | None  # one line explaining "(derived)"
    related: Related | None = None  # the summary's series and most similar cases

    @property
    def id(self) -> str:
        return self.case.id

    @property
    def anchor(self) -> str:
        return "case-" + self.case.id


def case_cites(case: Case) -> dict[str, list[int]]:
    """The case's field -> source numbers table (PLAN.md ``cites``)."""
    return dict(case.cites)


class _Citer:
    """Turns a case's own source numbers into printed, linked references."""

    def __init__(self, case: Case, numbers: Mapping[str, int] | None, *, links: str) -> None:
        self.case = case
        self.table = case_cites(case)
        self.urls = [s.url for s in case.sources]
        self.numbers = numbers or {}
        self.links = links  # "annex": to the reference list; "urls": to the source itself

    def __call__(self, numbers: Iterable[int]) -> Cites:
        out: dict[int, Cite] = {}
        for n in numbers:
            if not isinstance(n, int) or not 1 <= n <= len(self.urls):
                continue
            url = self.urls[n - 1]
            printed = self.numbers.get(url, n)
            out[printed] = Cite(printed, f"#src-{printed}" if self.links == "annex" else url)
        return tuple(out[k] for k in sorted(out))

    def paths(self, *paths: str, aircraft: Sequence[str] = ()) -> Cites:
        """Cites for the fields named, and for each aircraft's fields named in ``aircraft``."""
        wanted = set(paths) | {
            f"aircraft[{i}].{name}" for i in range(len(self.case.aircraft)) for name in aircraft
        }
        return self(n for path, nums in self.table.items() if path in wanted for n in nums)

    def finding(self, finding: FindingIn) -> Cites:
        return self(finding.cites)


STATUS_SHORT = {
    Status.final: "Report released",
    Status.preliminary: "Official statements only",
    Status.press: "Press reports only",
}


def status_words(case: Case) -> tuple[str, str | None]:
    """The status line, worded from what the sources are; and, for a final case whose sources
    do not include the board's report, the sentence saying the brief rests on summaries."""
    if case.status is Status.preliminary:
        return "Official statements; no report released", None
    if case.status is Status.press:
        return "Press reports only", None
    board = [s for s in case.sources if s.kind is SourceKind.aib_report]
    official = [s for s in case.sources if s.kind is SourceKind.official_release]
    # The board report's own date; else the latest official release (the one announcing the
    # findings; an earlier one is usually the first statement on the day).
    dated = sorted(s.published_on for s in (board or official) if s.published_on)
    when = (dated[0] if board else dated[-1]) if dated else None
    line = "Investigation report released" + (f" {labels.day(when)}" if when else "")
    if board:
        return line, None
    by = "official and press summaries" if official else "press reports"
    return line, (
        f"No source here is the board's report itself: this brief rests on {by} of the report."
    )


def information_as_of(case: Case) -> str:
    dated = [s.published_on for s in case.sources if s.published_on]
    if not dated:
        return "an unknown date (no source is dated)"
    return labels.day(max(dated, key=lambda d: date_period(d)[1]))


def tanker_receiver(case: Case) -> str:
    """KC-46A → F-15E, in words when there is no receiver (or other aircraft took part)."""

    def names(role: Role) -> list[str]:
        return list(dict.fromkeys(a.type for a in case.aircraft if a.role is role))

    tankers, receivers, others = names(Role.tanker), names(Role.receiver), names(Role.other)
    left = ", ".join(tankers) or "no tanker"
    text = f"{left} → {', '.join(receivers)}" if receivers else f"{left} (no receiver)"
    if others:
        text += f"; also {', '.join(others)}"
    return text


def _aircraft_words(case: Case) -> str:
    """Tanker → receiver, then what identifies each aircraft (call sign, serial)."""
    ids = []
    for name, a in zip(aircraft_names(case), case.aircraft, strict=True):
        extra = ", ".join(x for x in (a.callsign and f"call sign {a.callsign}", a.serial) if x)
        if extra:
            ids.append(extra if len(case.aircraft) == 1 else f"{name} {extra}")
    return tanker_receiver(case) + (f"; {'; '.join(ids)}" if ids else "")


_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth")


def aircraft_names(case: Case) -> list[str]:
    """Each aircraft by type, told apart when a type repeats (the second KC-135)."""
    counts = Counter(a.type for a in case.aircraft)
    seen: Counter[str] = Counter()
    out = []
    for a in case.aircraft:
        seen[a.type] += 1
        n = seen[a.type]
        if counts[a.type] > 1:
            out.append(f"{_ORDINALS[n - 1] if n <= len(_ORDINALS) else f'#{n}'} {a.type}")
        else:
            out.append(a.type)
    return out


def _people_aboard(case: Case) -> tuple[str, bool]:
    crews = list(zip(aircraft_names(case), (a.crew for a in case.aircraft), strict=True))
    known = [(t, c) for t, c in crews if c is not None]
    if not known:
        return labels.UNKNOWN, True
    if len(crews) == 1:
        return str(known[0][1]), False
    parts = [f"{c} on the {t}" if c is not None else f"unknown on the {t}" for t, c in crews]
    if len(known) == len(crews):
        return f"{sum(c for _, c in known)} ({'; '.join(parts)})", False
    return "; ".join(parts), False


def _casualties(case: Case) -> tuple[str, bool]:
    killed = show_value(case.fatalities)
    injured = show_value(case.injuries)
    return f"{killed} killed; {injured} injured".replace(
        "unknown killed", "Killed: unknown"
    ).replace("; unknown injured", "; injured: unknown"), case.fatalities is None


def damage_basis(case: Case, citer: _Citer) -> str:
    """What a damage figure rests on, from the kinds of source cited for it."""
    numbers = citer.table.get("damage_usd") or []
    kinds = [
        case.sources[n - 1].kind.value
        for n in numbers
        if isinstance(n, int) and 1 <= n <= len(case.sources)
    ]
    if not kinds:
        return "basis not recorded"
    return " and ".join(dict.fromkeys(labels.DAMAGE_BASIS[k] for k in kinds))


def _damage(case: Case, citer: _Citer) -> tuple[str, bool]:
    parts = []
    if case.damage_usd is not None:
        parts.append(
            f"{labels.short_money(case.damage_usd)}, {damage_basis(case, citer)}, then-year dollars"
        )
    hit = [
        f"{name} {labels.lower_first(labels.label('damage', a.damage))}"
        for name, a in zip(aircraft_names(case), case.aircraft, strict=True)
        if a.damage not in (None, Damage.unknown)
    ]
    parts.extend(hit)
    if not parts:
        return "Cost and aircraft damage unknown", True
    if case.damage_usd is None:
        parts.insert(0, "cost unknown")
    return "; ".join(parts), False


def _refuelling(case: Case) -> tuple[str, bool]:
    r = case.refueling
    method, phase = r.method, r.phase
    mechanism = list(r.mechanism)
    if method is Method.unknown and phase is Phase.unknown and not mechanism:
        return "Method and phase unknown", True
    text = labels.label("refueling_method", method)
    if phase is Phase.not_refueling and method is Method.none:
        text = "No air refueling under way"
    else:
        text += "; " + labels.lower_first(labels.label("refueling_phase", phase))
    if mechanism:
        text += ". What went wrong: " + ", then ".join(
            labels.lower_first(labels.label("refueling_mechanism", m)) for m in mechanism
        )
    return text, False


def class_note(case: Case, class_label: str) -> str | None:
    if not class_label.endswith("(derived)"):
        return None
    reason = classes.derive(case).reason
    return (
        "Derived: no source states the class; the DoD thresholds in force on the date give it"
        f" ({reason})."
    )


# What a case without a stated cause says instead, by its information status: a final report
# that names none has not determined one; a case with official statements but no report is
# still open; a case known from the press alone may never have had a public investigation.
NO_CAUSE: dict[Status, tuple[str, str]] = {
    Status.final: ("Not determined", "The sources state no cause."),
    Status.preliminary: (
        "Not yet public",
        "No report has been released; no source in this database gives an investigation's cause.",
    ),
    Status.press: (
        "Not in the public sources",
        "Known from press reports only; no source in this database gives an investigation's cause.",
    ),
}


def cause_line(view_causes: Sequence[Item], no_cause: str, *, words: int = 16) -> str:
    if not view_causes:
        return no_cause
    first = labels.first_sentences(view_causes[0].text, words=words)
    cut = first.split()
    if len(cut) > words:
        first = " ".join(cut[:words]).rstrip(",;:") + " …"
    return first + (" (and more)" if len(view_causes) > 1 else "")


def case_view(
    case: Case, *, source_numbers: Mapping[str, int] | None = None, links: str = "annex"
) -> CaseView:
    cite = _Citer(case, source_numbers, links=links)
    loc = case.location
    where = loc.description
    class_label = classes.class_label(case)
    fy = classes.fiscal_year(case.occurred_on)
    fiscal_year = classes.fiscal_year_label(fy) if fy else "fiscal year unknown"
    when = labels.day(case.occurred_on) + (f", {case.time}" if case.time else "")
    refuelling, refuelling_unknown = _refuelling(case)
    aboard, aboard_unknown = _people_aboard(case)
    casualties, casualties_unknown = _casualties(case)
    damage, damage_unknown = _damage(case, cite)
    crew_paths = ("crew",)
    facts = [
        Fact("When", when, cite.paths("occurred_on", "time")),
        Fact(
            "Where",
            where,
            cite.paths(
                *(f"location.{k}" for k in ("description", "country", "latitude", "longitude"))
            ),
        ),
        Fact("Service", case.service + (f"; {case.operation}" if case.operation else "")),
        Fact(
            "Tanker → receiver",
            _aircraft_words(case),
            cite.paths(aircraft=("type", "serial", "callsign", "unit")),
        ),
        Fact(
            "Air refueling",
            refuelling,
            cite.paths("refueling.method", "refueling.phase", "refueling.mechanism"),
            refuelling_unknown,
        ),
        Fact("People aboard", aboard, cite.paths(aircraft=crew_paths), aboard_unknown),
        Fact(
            "Killed and injured",
            casualties,
            cite.paths("fatalities", "injuries", aircraft=("fatalities", "injuries")),
            casualties_unknown,
        ),
        Fact("Damage", damage, cite.paths("damage_usd", aircraft=("damage",)), damage_unknown),
        Fact(
            "Mishap class",
            class_label if class_label != "unknown" else "unknown",
            cite.paths("mishap_class"),
            class_label == "unknown",
        ),
    ]
    aircraft = [
        {
            "role": labels.label("role", a.role),
            "type": a.type,
            "serial": show_value(a.serial),
            "unit": show_value(a.unit),
            "callsign": show_value(a.callsign),
            "crew": show_value(a.crew),
            "fatalities": show_value(a.fatalities),
            "damage": labels.label("damage", a.damage) if a.damage else UNKNOWN,
        }
        for a in case.aircraft
    ]
    codes = list(dict.fromkeys(code for f in case.findings for code in f.hfacs))
    numbers = source_numbers or {}
    sources = [
        SourceRef(numbers.get(s.url, i), s.title, s.publisher, s.url, s.published_on, s.kind.value)
        for i, s in enumerate(case.sources, 1)
    ]

    def kind_words(f: FindingIn) -> str:
        words = labels.label("finding_kind", f.kind)
        if f.status is not None:
            status = labels.lower_first(labels.label("recommendation_status", f.status))
            words += f" ({status}" + (
                f", as of {labels.day(f.status_as_of)})" if f.status_as_of else ")"
            )
        return words

    def items(*kinds: FindingKind) -> list[Item]:
        return [
            Item(f.text, cite.finding(f), kind_words(f)) for f in case.findings if f.kind in kinds
        ]

    causes = items(FindingKind.cause)
    no_cause, no_cause_note = NO_CAUSE[case.status]
    line, rests_on = status_words(case)
    return CaseView(
        case=case,
        class_label=class_label,
        fiscal_year=fiscal_year,
        facts=facts,
        aircraft=aircraft,
        causes=causes,
        contributing=items(FindingKind.contributing),
        other_findings=items(FindingKind.finding, FindingKind.recommendation),
        no_cause=no_cause,
        no_cause_note=no_cause_note,
        categories=[
            Labelled(c, cictt_name(c) or "name not in the CICTT table")
            for c in case.occurrence_categories
        ],
        hfacs=[Labelled(c, hfacs_title(c) or "code not in the DoD HFACS 8.0 table") for c in codes],
        sources=sources,
        notes=[labels.fields_as_words(t) for t in labels.topics(case.notes)],
        status_line=line,
        status_short=STATUS_SHORT[case.status],
        as_of=information_as_of(case),
        rests_on=rests_on,
        tanker_receiver=tanker_receiver(case),
        phase=labels.label("refueling_phase", case.refueling.phase),
        cause_line=cause_line(causes, no_cause),
        class_note=class_note(case, class_label),
    )


def position(loc: Any) -> str:
    """Coordinates with what they are: the mishap's own, or a named place's."""
    if loc.latitude is None or loc.longitude is None:
        return "not recorded"
    text = f"{loc.latitude:.2f}, {loc.longitude:.2f}"
    if loc.approximate:
        text += " (approximate: " + (loc.basis or "a named place's coordinates") + ")"
    return text


def annex_facts(view: CaseView) -> list[Fact]:
    """The full record's facts: page 1's, with the date parts and position spelled out."""
    case = view.case
    loc = case.location
    extra = [
        Fact("Fiscal year", view.fiscal_year),
        Fact("Country (ISO code)", show_value(loc.country), unknown=loc.country is None),
        Fact(
            "Position",
            position(loc),
            unknown=loc.latitude is None,
        ),
        Fact("Information status", labels.label("status", case.status)),
    ]
    return view.facts[:2] + extra + view.facts[2:]


# -- the brief ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Similar:
    occurred_on: str
    title: str
    class_label: str
    mishap_id: str

    @property
    def date_label(self) -> str:
        return labels.day(self.occurred_on)


@dataclass(frozen=True)
class BriefContext:
    meta: Meta
    view: CaseView
    happened: str
    similar: list[Similar]
    similar_basis: str
    sources_line: str
    annex: bool
    facts_annex: list[Fact]
    tight: bool = False  # a smaller page 1, for a case whose brief runs over at the usual size
    # Page 1 without the annex after it: laid out to see whether page 1 fits (page_one_alone).
    alone: bool = False


@dataclass(frozen=True)
class Marking:
    marking: str | None = None
    distribution: str | None = None
    reason: str | None = None
    office: str | None = None
    cui_controlled_by: str | None = None
    cui_category: str | None = None
    cui_dissemination: str | None = None
    cui_poc: str | None = None

    @property
    def is_cui(self) -> bool:
        return (
            bool(self.marking)
            and re.match(r"CUI\b", (self.marking or "").strip().upper()) is not None
        )


CUI_OPTIONS = {
    "cui_controlled_by": "--cui-controlled-by (MISHAPS_CUI_CONTROLLED_BY)",
    "cui_category": "--cui-category (MISHAPS_CUI_CATEGORY)",
    "cui_dissemination": "--cui-dissemination (MISHAPS_CUI_DISSEMINATION)",
    "cui_poc": "--cui-poc (MISHAPS_CUI_POC)",
}


def cui_block(marking: Marking) -> tuple[tuple[str, str], ...]:
    """The DoDI 5200.48 CUI designation indicator, or () for a marking that is not CUI.

    Refuses what cannot be right: CUI with distribution A (public release), or an indicator
    with a line missing. A distribution statement B-F stands in for the dissemination control.
    """
    if not marking.is_cui:
        return ()
    letter = (marking.distribution or "").strip().upper()
    if letter == "A":
        raise ReportError(
            "--marking CUI contradicts --distribution A: statement A approves public release,"
            " CUI may not be released publicly (use B-F, or no CUI marking)"
        )
    missing = [
        option
        for field, option in CUI_OPTIONS.items()
        if not getattr(marking, field) and not (field == "cui_dissemination" and letter)
    ]
    if missing:
        raise ReportError(
            "a CUI marking needs its designation indicator on page 1: give " + ", ".join(missing)
        )
    control = marking.cui_dissemination or f"Distribution Statement {letter}"
    return (
        ("Controlled by", str(marking.cui_controlled_by)),
        ("CUI category", str(marking.cui_category)),
        ("Limited dissemination control", control),
        ("POC", str(marking.cui_poc)),
    )


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
    block = cui_block(marking)
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
        cui=block,
    )


def sources_line(case: Case) -> str:
    kinds = Counter(labels.label("source_kind", s.kind).lower() for s in case.sources)
    parts = [plural(n, k) for k, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))]
    dated = sorted(s.published_on for s in case.sources if s.published_on)
    span = ""
    if dated:
        first, last = labels.day(dated[0]), labels.day(dated[-1])
        span = f", published {first}" if first == last else f", published {first} to {last}"
    if len(parts) == 1:  # one kind: "3 press reports", not "3 public sources (3 press reports)"
        return f"{parts[0]}{span}."
    return f"{plural(len(case.sources), 'public source')} ({labels.join_words(parts)}{span})."


def tighter(ctx: BriefContext) -> BriefContext:
    """The same brief with a smaller page 1, for a case whose page 1 runs over."""
    return replace(
        ctx, tight=True, happened=labels.first_sentences(ctx.view.case.summary, words=80)
    )


def page_one_alone(ctx: BriefContext) -> BriefContext:
    """The same page 1, with the same text and links, and no annex after it.

    The annex starts on a page of its own, so page 1 lays out the same without it: whether
    page 1 fits is known from a layout of page 1 alone, much cheaper than the whole brief."""
    return replace(ctx, alone=True)


def build_brief(
    case: Case,
    *,
    marking: Marking,
    generated_at: datetime,
    version: str,
    similar: Sequence[Similar] = (),
    similar_basis: str = "",
    annex: bool = True,
) -> BriefContext:
    types = list(dict.fromkeys(a.type for a in case.aircraft))
    view = case_view(case, links="annex" if annex else "urls")
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
        view=view,
        happened=labels.first_sentences(case.summary, words=85),
        similar=list(similar),
        similar_basis=similar_basis,
        sources_line=sources_line(case),
        annex=annex,
        facts_annex=annex_facts(view),
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
class DamageRow:
    """One case's damage figure, as stated: figures differ in year and basis, so the summary
    lists them and never adds them up."""

    occurred_on: str
    title: str
    anchor: str
    amount: str
    basis: str


@dataclass(frozen=True)
class Matrix:
    """Cases counted by tanker family (rows) and receiver family (columns)."""

    rows: list[str]
    columns: list[str]
    counts: dict[tuple[str, str], int]

    def count(self, row: str, column: str) -> int:
        return self.counts.get((row, column), 0)


@dataclass(frozen=True)
class SummaryContext:
    meta: Meta
    query: list[tuple[str, str]]
    command: str
    date_range: str
    figures: list[Figure]
    damage: list[DamageRow]
    charts: list[Chart]
    matrix: Matrix
    cases: list[CaseView]
    sources: list[SourceRef]
    toc_cases: bool
    years: str  # which years the counts use, in words

    @property
    def anchors(self) -> set[str]:
        """Ids of the cases in this summary (a similar case outside it is named, not linked)."""
        return {v.case.id for v in self.cases}


def key_figures(cases: Sequence[Case]) -> list[Figure]:
    """Totals with their unknowns said apart: an unknown is never added as 0, and damage
    figures (of different years and bases) are counted, never summed."""

    def total(values: list[int | None], what: str) -> tuple[str, str]:
        known = [v for v in values if v is not None]
        unknown = len(values) - len(known)
        text = str(sum(known)) if known else UNKNOWN
        return text, (f"unknown for {plural(unknown, what)}" if unknown else "")

    all_aircraft = [a for c in cases for a in c.aircraft]
    destroyed = sum(1 for a in all_aircraft if a.damage is Damage.destroyed)
    damage_unknown = sum(1 for a in all_aircraft if a.damage in (None, Damage.unknown))
    fat, fat_u = total([c.fatalities for c in cases], "mishap")
    inj, inj_u = total([c.injuries for c in cases], "mishap")
    costed = sum(1 for c in cases if c.damage_usd is not None)
    return [
        Figure("Mishaps", str(len(cases)), ""),
        Figure("Aircraft involved", str(len(all_aircraft)), ""),
        Figure("Fatalities", fat, fat_u),
        Figure("Injuries", inj, inj_u),
        Figure(
            "Aircraft destroyed",
            str(destroyed),
            f"damage unknown for {plural(damage_unknown, 'aircraft')}" if damage_unknown else "",
        ),
        Figure(
            "Cases with a damage figure",
            f"{costed} of {len(cases)}",
            "figures differ in year and basis and are not added up: see the list below"
            if costed
            else "",
        ),
    ]


def damage_rows(cases: Sequence[Case]) -> list[DamageRow]:
    out = []
    for c in cases:
        if c.damage_usd is None:
            continue
        basis = damage_basis(c, _Citer(c, None, links="annex"))
        out.append(
            DamageRow(
                c.occurred_on,
                c.title,
                "case-" + c.id,
                money(c.damage_usd),
                f"{basis}, then-year dollars",
            )
        )
    return out


def _top(counter: Counter[str], limit: int, other: str) -> list[Bar]:
    ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    bars = [Bar(k, v) for k, v in ranked[:limit]]
    rest = ranked[limit:]
    if rest:
        bars.append(Bar(f"{other} ({len(rest)} more)", sum(v for _, v in rest)))
    return bars


def _by_time(cases: Sequence[Case], *, calendar_years: bool) -> Chart:
    if calendar_years:
        years: Counter[int] = Counter(int(c.occurred_on[:4]) for c in cases)
        unplaced = 0
        unit, prefix = "calendar year", ""
    else:
        fys = [classes.fiscal_year(c.occurred_on) for c in cases]
        years = Counter(fy for fy in fys if fy is not None)
        unplaced = sum(1 for fy in fys if fy is None)
        unit, prefix = "fiscal year", "FY"
    note = (
        f"{plural(unplaced, 'case')} dated only by a period that spans two fiscal years not shown."
        if unplaced
        else ""
    )
    if not years:
        return Chart("chart-years", f"Mishaps by {unit}", [], note, kind="columns")
    first, last = min(years), max(years)
    if last - first > 24:  # one column a year would not fit a page: decades
        decades = Counter(f"{prefix}{y // 10 * 10}s" for y in years.elements())
        return Chart(
            "chart-years",
            f"Mishaps by decade ({unit}s)",
            [Bar(k, decades[k]) for k in sorted(decades)],
            note,
            kind="columns",
        )
    return Chart(
        "chart-years",
        f"Mishaps by {unit}",
        [Bar(f"{prefix}{y}", years.get(y, 0)) for y in range(first, last + 1)],
        note,
        kind="columns",
    )


def charts(cases: Sequence[Case], *, calendar_years: bool = False) -> list[Chart]:
    types: Counter[str] = Counter()
    for c in cases:
        for key in dict.fromkeys(
            f"{family(a.type)} ({labels.lower_first(labels.label('role', a.role))})"
            for a in c.aircraft
        ):
            types[key] += 1
    mechanisms: Counter[str] = Counter()
    for c in cases:
        for code in dict.fromkeys(c.refueling.mechanism):
            mechanisms[labels.label("refueling_mechanism", code)] += 1
    if mechanisms:
        without = sum(1 for c in cases if not c.refueling.mechanism)
        third = Chart(
            "chart-mechanisms",
            "Mishaps by air refueling mechanism",
            _top(mechanisms, 12, "other mechanisms"),
            "What went wrong in the air refueling system; a mishap may have several."
            + (f" Mechanism not recorded for {plural(without, 'case')}." if without else ""),
        )
    else:
        categories: Counter[str] = Counter()
        for c in cases:
            for code in c.occurrence_categories:
                categories[f"{code} {cictt_name(code) or ''}".strip()] += 1
            if not c.occurrence_categories:
                categories["none recorded"] += 1
        third = Chart(
            "chart-categories",
            "Mishaps by occurrence category (CICTT)",
            _top(categories, 12, "other categories"),
            "A mishap may carry several categories; the editors of this database assign them.",
        )
    phases = Counter(labels.label("refueling_phase", c.refueling.phase) for c in cases)
    return [
        _by_time(cases, calendar_years=calendar_years),
        Chart(
            "chart-aircraft",
            "Mishaps by aircraft family and role",
            _top(types, 14, "other families"),
            "Series count with their family (KC-135R as KC-135, F/A-18F as F/A-18); a mishap"
            " counts once under each family and role it involved.",
        ),
        third,
        Chart("chart-phases", "Mishaps by air refueling phase", _top(phases, 10, "other phases")),
    ]


def tanker_receiver_matrix(cases: Sequence[Case]) -> Matrix:
    counts: Counter[tuple[str, str]] = Counter()
    for c in cases:
        tankers = list(dict.fromkeys(family(a.type) for a in c.aircraft if a.role is Role.tanker))
        receivers = list(
            dict.fromkeys(family(a.type) for a in c.aircraft if a.role is Role.receiver)
        )
        for t in tankers or ["no tanker"]:
            for r in receivers or ["no receiver"]:
                counts[(t, r)] += 1

    def ranked(index: int, none: str, limit: int, other: str) -> tuple[list[str], dict[str, str]]:
        """The ``limit`` most frequent names, the rest pooled as ``other``, ``none`` (no tanker,
        no receiver) always kept and last; and where each name is counted."""
        totals: Counter[str] = Counter()
        for pair, n in counts.items():
            totals[pair[index]] += n
        names = sorted((k for k in totals if k != none), key=lambda k: (-totals[k], k))
        tail = [none] if none in totals else []
        if len(names) <= limit:
            keep, pooled = sorted(names), []
        else:
            keep, pooled = sorted(names[: limit - 1]), [other]
        where = {k: (k if k in keep or k == none else other) for k in totals}
        return [*keep, *pooled, *tail], where

    # A page holds about ten columns: the rest of the receivers (tankers) pool in "other".
    rows, row_of = ranked(0, "no tanker", 16, "other tankers")
    columns, column_of = ranked(1, "no receiver", 10, "other receivers")
    pooled: Counter[tuple[str, str]] = Counter()
    for (t, r), n in counts.items():
        pooled[(row_of[t], column_of[r])] += n
    return Matrix(rows, columns, dict(pooled))


def command_line(filters: Filters, *, calendar_years: bool = False) -> str:
    import shlex

    extra = ["--calendar-years"] if calendar_years else []
    return shlex.join(["mishaps", "report", "summary", *filters.as_options(), *extra])


def build_summary(
    cases: Sequence[Case],
    *,
    filters: Filters,
    marking: Marking,
    generated_at: datetime,
    version: str,
    calendar_years: bool = False,
    related: Mapping[str, Related] | None = None,
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
        command=command_line(filters, calendar_years=calendar_years),
        date_range=dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1]}",
        figures=key_figures(cases),
        damage=damage_rows(cases),
        charts=charts(cases, calendar_years=calendar_years),
        matrix=tanker_receiver_matrix(cases),
        cases=[
            replace(case_view(c, source_numbers=numbers), related=(related or {}).get(c.id))
            for c in cases
        ],
        sources=annex,
        toc_cases=len(cases) <= 40,
        years="calendar years"
        if calendar_years
        else "US federal fiscal years (FY2023 = 1 Oct 2022 to 30 Sep 2023)",
    )
