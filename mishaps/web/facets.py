"""Count mishaps by the values of a list column (aircraft types, HFACS codes ...) from an index.

Datasette's array facet (``?_facet_array=COL``) deduplicates with ``SELECT DISTINCT j.value,
inner.*``: a temporary B-tree over every column of every filtered row, 0.7-3.6 s at 100,000
cases by the machine's load, at worst past ``facet_time_limit_ms`` so the page showed no counts.
The list facet (``?_facet_list=COL``) gives the same results (counts, order, size, truncation,
links) from the snapshot's ``case_value`` table, keyed (list, value, case): 10 ms unfiltered,
about 0.1 s filtered, at that size. For any other table or column it runs Datasette's statement.

``index_filters`` answers Datasette's ``COL__arraycontains=VALUE`` filter (where a facet value
links to) from the same table as well, so the page after a click does not scan every row's JSON.
"""

from __future__ import annotations

from typing import Any

from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.filters import FilterArguments
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

from mishaps.web.snapshot import ARRAY_COLUMNS

TABLE = "cases"  # the one table case_value indexes

# Datasette's ArrayFacet statement (datasette/facets.py, 0.65), for what case_value does not hold.
_ARRAY_SQL = """
    with inner as ({sql}),
    deduped_array_items as (
        select distinct j.value, inner.* from json_each([inner].{col}) j join inner
    )
    select value as value, count(*) as count from deduped_array_items
    group by value order by count(*) desc, value limit {limit}
"""
# The column name is inlined as a literal: it is one of ARRAY_COLUMNS, never the request's text.
_ALL_SQL = """
    select value, count(*) as count from case_value where list = '{col}'
    group by value order by count desc, value limit {limit}
"""
_FILTERED_SQL = """
    select value, count(*) as count from case_value
    where list = '{col}' and case_id in (select id from ({sql}))
    group by value order by count desc, value limit {limit}
"""


async def indexed(datasette: Any, database: str, table: str | None, column: str) -> bool:
    """Whether case_value holds ``column`` of ``table``: a list column of the snapshot's cases."""
    config = datasette.plugin_config("mishaps") or {}
    if database != config.get("database") or table != TABLE or column not in ARRAY_COLUMNS:
        return False
    # A snapshot of an older database may lack a list (mechanisms): Datasette's error, then.
    return column in await datasette.get_database(database).table_columns(TABLE)


class ListFacet(Facet):
    """``?_facet_list=COL``: mishaps per value of a JSON-array column, as ``_facet_array``."""

    type = "list"

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        facet_results: list[dict[str, Any]] = []
        facets_timed_out: list[str] = []
        facet_size = self.get_facet_size()
        pairs = self.get_querystring_pairs()
        for source_and_config in self.get_configs():
            config = source_and_config["config"]
            column = config.get("column") or config["simple"]
            try:
                rows = await self._count(column, facet_size + 1)
            except QueryInterrupted:
                facets_timed_out.append(column)
                continue
            results = []
            for row in rows[:facet_size]:
                value = str(row["value"])
                arg = {f"{column}__arraycontains": value}
                selected = (f"{column}__arraycontains", value) in pairs
                toggle = (path_with_removed_args if selected else path_with_added_args)(
                    self.request, arg
                )
                results.append(
                    {
                        "value": value,
                        "label": value,
                        "count": row["count"],
                        "toggle_url": self.ds.absolute_url(self.request, toggle),
                        "selected": selected,
                    }
                )
            facet_results.append(
                {
                    "name": column,
                    "type": self.type,
                    "results": results,
                    "hideable": source_and_config["source"] != "metadata",
                    "toggle_url": self.ds.urls.path(
                        path_with_removed_args(self.request, {"_facet_list": column})
                    ),
                    "truncated": len(rows) > facet_size,
                }
            )
        return facet_results, facets_timed_out

    async def _count(self, column: str, limit: int) -> list[Any]:
        if not await indexed(self.ds, self.database, self.table, column):
            sql = _ARRAY_SQL.format(sql=self.sql, col=escape_sqlite(column), limit=limit)
        elif await self._every_case():
            sql = _ALL_SQL.format(col=column, limit=limit)  # 10 ms where the IN costs 80
        else:
            sql = _FILTERED_SQL.format(col=column, sql=self.sql, limit=limit)
        result = await self.ds.execute(
            self.database,
            sql,
            self.params,
            truncate=False,
            custom_time_limit=self.ds.setting("facet_time_limit_ms"),
        )
        return list(result.rows)

    async def _every_case(self) -> bool:
        """Whether the page's filters leave every case (then no need to restrict the count)."""
        total = await self.ds.execute(self.database, f"select count(*) from [{TABLE}]")
        return bool(await self.get_row_count() == total.rows[0][0])


async def index_filters(datasette: Any, database: str, table: str, request: Any) -> FilterArguments:
    """For each ``COL__arraycontains=VALUE`` on the cases, the same condition from case_value.

    Datasette's own clause (``VALUE in (select value from json_each(COL))``) stays: this one only
    gives SQLite an index to find the rows by, so the rows are the same, and the page after a
    click no longer reads every case's JSON once for its count and once for each facet.
    """
    clauses: list[str] = []
    params: dict[str, str] = {}
    suffix = "__arraycontains"
    for key in request.args:
        column = key.removesuffix(suffix)
        if column == key or not await indexed(datasette, database, table, column):
            continue
        for value in request.args.getlist(key):
            n = len(clauses)
            clauses.append(
                f"[id] in (select case_id from case_value"
                f" where list = :mishaps_list_{n} and value = :mishaps_value_{n})"
            )
            params |= {f"mishaps_list_{n}": column, f"mishaps_value_{n}": value}
    return FilterArguments(clauses, params)
