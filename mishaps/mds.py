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
from functools import cache, lru_cache

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


@lru_cache(maxsize=65_536)  # pure, and every aircraft of every import is parsed (issue 16)
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


def matches(query: str, type_: str) -> bool:
    """Whether ``--aircraft query`` matches an aircraft of type ``type_``: the rule the SQL in
    ``queries._aircraft_condition`` applies, in Python (for exposure rows, which are not rows):
    by MDS or leading words, or through a family alias."""
    if family(type_) in family_names(query):
        return True
    wanted = parse(query)
    if wanted is None:
        norm, have = normalize_type(query), normalize_type(type_)
        return have == norm or have.startswith(norm + " ")
    got = parse(type_)
    if got is None or (got.design, got.mission) != (wanted.design, wanted.mission):
        return False
    if wanted.series is not None and got.series != wanted.series:
        return False
    return wanted.prefix is None or got.prefix == wanted.prefix


def _family_of_mds(type_: str, parsed: Mds) -> str:
    """The designation without its status prefix and series, spelled as written: an NKC-135A
    (special test) is still a KC-135 airframe, and a Tu-154 stays Tu-154."""
    text = type_.strip()
    start = 1 if parsed.prefix else 0
    return text[start : len(text) - len(parsed.series or "")]


@dataclass(frozen=True)
class _Aliases:
    exact: dict[str, str]  # normalized name -> family
    by_mds: dict[tuple[str, str], str]  # (mission, design) -> family, for MDS aliases


ALIAS_TABLE = "aircraft_families.json"  # in mishaps/data, beside the YAML it is made from


def alias_table() -> dict[str, list[str]]:
    """Family -> its names, from ``data/aircraft_families.yaml`` (the reference, with bases and
    sources). ``data/aircraft_families.json`` holds the same table for `--aircraft` to read
    without PyYAML (~10 ms of every listing's start, issue 16); tests/test_mds.py keeps it equal
    and says how to write it again."""
    from mishaps.taxonomy import load_document

    families = load_document("aircraft_families.yaml")["families"]
    return {entry["family"]: list(entry["names"]) for entry in families}


def write_alias_table() -> None:
    """Write ``data/aircraft_families.json`` again from the YAML, a family a line."""
    import json

    from mishaps.config import data_dir

    lines = [
        f"  {json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False)}"
        for k, v in alias_table().items()
    ]
    text = "{\n" + ",\n".join(lines) + "\n}\n"
    (data_dir() / ALIAS_TABLE).write_text(text, encoding="utf-8")


@cache
def _aliases() -> _Aliases:
    import json

    from mishaps.config import data_dir

    table = json.loads((data_dir() / ALIAS_TABLE).read_text(encoding="utf-8"))
    exact: dict[str, str] = {}
    by_mds: dict[tuple[str, str], str] = {}
    for family_, names in table.items():
        for name in [family_, *names]:
            exact[normalize_type(name)] = family_
            parsed = parse(name)
            if parsed is not None and parsed.series is None:
                by_mds[(parsed.mission, parsed.design)] = family_
    return _Aliases(exact, by_mds)


@lru_cache(maxsize=65_536)  # pure (the aliases are read once), asked for every aircraft
def family(type_: str) -> str:
    """The airframe family of an aircraft type, for grouping and matching.

    Aliases in ``data/aircraft_families.yaml`` tie one airframe's names together (``Voyager
    KC2`` and ``KC-30A`` are ``A330 MRTT``; ``F-18`` and ``CF-18`` are ``F/A-18``); otherwise an
    MDS designation's family is its mission and design (``KC-135R`` -> ``KC-135``, ``F-22A`` ->
    ``F-22``), and any other type is its own family, single-spaced.
    """
    aliases = _aliases()
    found = aliases.exact.get(normalize_type(type_))
    if found is not None:
        return found
    parsed = parse(type_)
    if parsed is None:
        return " ".join(type_.split())
    return aliases.by_mds.get((parsed.mission, parsed.design)) or _family_of_mds(type_, parsed)


def family_names(query: str) -> list[str]:
    """Every family a ``--aircraft`` query names through an alias (empty when none does)."""
    aliases = _aliases()
    out = {f for n, f in aliases.exact.items() if n == normalize_type(query)}
    parsed = parse(query)
    # A status prefix or a series letter asks for those aircraft alone (NKC-135, CF-18A).
    if parsed is not None and parsed.series is None and parsed.prefix is None:
        hit = aliases.by_mds.get((parsed.mission, parsed.design))
        if hit is not None:
            out.add(hit)
    return sorted(out)


# --- designators inside free text, for full-text search ---------------------------------------

# A designator as people write it in prose and queries: with or without the hyphen, any case,
# the F/A mission with its slash (KC-46A, kc46, F/A-18D, FA-18, Tu-154). Not inside a longer
# word, and not a prefix query (KC-4*), which stays a word. The mission's letters are taken
# possessively (Python 3.11): fewer letters could only be followed by a letter, which no
# designator allows, so giving them back never finds a match, and not trying is what made
# scanning every import's text for designators three times faster (issue 16).
LOOSE_PATTERN = (
    r"(?<![\w/-])(?P<mission>[A-Za-z]{1,4}+(?:/[A-Za-z]{1,2}+)?+)-?(?P<design>\d{1,4})"
    r"(?P<series>[A-Za-z]{0,3})(?![\w/*-])"
)
_LOOSE = re.compile(LOOSE_PATTERN)


def compact(designation: str) -> str:
    """A designation as one search token: no hyphen, no slash, lower case (F/A-18D -> fa18d)."""
    return re.sub(r"[^0-9a-z]", "", designation.casefold())


def _spelled(mission: str, design: str, series: str) -> str:
    return f"{mission}-{design}{series}".upper()


def designator_tokens(text: str) -> list[str]:
    """The search tokens of the designators in ``text``: each one whole and its family
    (``KC-46A`` -> kc46a, kc46; ``F-18`` -> f18, fa18 through the aliases), in first-seen order.

    Indexed beside the text, so that a query for a family finds every series of it: FTS5 and
    PostgreSQL would otherwise read KC-46A as the words "kc" and "46a", which "KC-46" misses.
    """
    out: dict[str, None] = {}
    # The matches' groups as tuples, repeats dropped, all in C: a long text names a few
    # designators many times, and a Match object per mention was most of the cost of indexing.
    for groups in dict.fromkeys(_LOOSE.findall(text)):
        out.update(dict.fromkeys(_tokens_of(groups)))
    return list(out)


@lru_cache(maxsize=65_536)  # a corpus names few designators, each many times
def _tokens_of(groups: tuple[str, str, str]) -> tuple[str, str]:
    spelled = _spelled(*groups)
    return compact(spelled), compact(family(spelled))


def designator_query(text: str) -> str:
    """``text`` with each designator replaced by the one token it is indexed under: the family
    when no series is given (KC-46, KC46 -> kc46; F-18, FA-18, F/A-18 -> fa18), else the whole
    designation (KC-46A -> kc46a)."""

    def token(m: re.Match[str]) -> str:
        spelled = _spelled(m["mission"], m["design"], m["series"])
        return compact(spelled if m["series"] else family(spelled))

    return _LOOSE.sub(token, text)
