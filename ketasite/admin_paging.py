"""Admin changelists over large tables without a full COUNT(*).

Django's changelist counts the rows it pages through, and by default counts the whole table a
second time to show "N results (M total)". On a table of millions of rows either count reads
the whole table (PostgreSQL keeps no row count). `LargeTableAdmin` turns the second count off
(`show_full_result_count = False`) and pages with `EstimatedCountPaginator`: a list that
PostgreSQL's statistics put at 20,000 rows or more takes its size from them (the table's
`pg_class.reltuples` for the unfiltered list, the planner's estimate for a filtered one; both
kept current by autovacuum's ANALYZE) and reads no row to count; a smaller list, and any list
on SQLite, is counted exactly. Only orderings an index serves are offered (`sortable_by`, also
enforced on a hand-made `?o=`); docs/scale.md lists the indexes.
"""

import json

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

# Below this many rows (by the estimate) the exact count is cheap: count exactly.
EXACT_BELOW = 20_000


def estimated_rows(model, using):
    """PostgreSQL's estimate of the rows in `model`'s table, or None when it has none."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [connection.ops.quote_name(model._meta.db_table)],
        )
        row = cursor.fetchone()
    if row is None or row[0] is None or row[0] < 0:  # -1: never analysed
        return None
    return int(row[0])


def planned_rows(queryset):
    """PostgreSQL's estimate of the rows `queryset` returns (the planner's, from EXPLAIN: no
    row is read), or None on another database."""
    if connections[queryset.db].vendor != "postgresql":
        return None
    plan = json.loads(queryset.order_by().explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


class EstimatedCountPaginator(Paginator):
    """A paginator that counts exactly only what is cheap to count: on PostgreSQL a list the
    estimate puts at EXACT_BELOW rows or more is given the estimate (the table's for the
    unfiltered list, the planner's for a filtered one), anything smaller is counted."""

    @cached_property
    def count(self):
        queryset = self.object_list
        query = getattr(queryset, "query", None)
        if query is not None:
            if not query.where and not query.distinct:
                estimate = estimated_rows(queryset.model, queryset.db)
            else:
                estimate = planned_rows(queryset)
            if estimate is not None and estimate >= EXACT_BELOW:
                return estimate
        return super().count


class SortableByChangeList(ChangeList):
    """A changelist that orders only by the columns of `sortable_by`, even when `?o=` names
    another: a column without an index would sort the whole table for one page."""

    def get_ordering_field(self, field_name):
        if self.sortable_by is not None and field_name not in self.sortable_by:
            return None
        return super().get_ordering_field(field_name)


class LargeTableAdmin(admin.ModelAdmin):
    """A ModelAdmin for a table that grows with the site: no full count on the changelist,
    and only the orderings it declares in `sortable_by`."""

    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def get_changelist(self, request, **kwargs):
        return SortableByChangeList


def distinct_values(model, field_name, using="default"):
    """The distinct non-null values of a column, in order, read by skipping through its index
    (one index probe per value) instead of reading every row as SELECT DISTINCT does. The
    column needs an index that starts with it."""
    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    column = quote(model._meta.get_field(field_name).column)
    sql = (
        f"WITH RECURSIVE v(x) AS (SELECT MIN({column}) FROM {table}"  # noqa: S608
        f" UNION ALL SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > v.x)"
        f" FROM v WHERE v.x IS NOT NULL) SELECT x FROM v WHERE x IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]


class IndexedValuesFilter(admin.SimpleListFilter):
    """A list filter on a column's values, listed by `distinct_values` (set `title` and
    `parameter_name`, the field's name)."""

    def lookups(self, request, model_admin):
        field = model_admin.model._meta.get_field(self.parameter_name)
        labels = dict(field.flatchoices) if field.choices else {}
        values = distinct_values(model_admin.model, self.parameter_name)
        return [(str(value), labels.get(value, value)) for value in values]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return queryset.filter(**{self.parameter_name: self.value()})


def values_filter(field_name, title=None):
    """An IndexedValuesFilter class for `field_name`."""
    return type(
        f"{field_name.title()}ValuesFilter", (IndexedValuesFilter,),
        {"parameter_name": field_name, "title": title or field_name.replace("_", " ")},
    )
