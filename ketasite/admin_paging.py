"""Admin changelists over large tables without a full COUNT(*).

Django's changelist counts the rows it pages through, and by default counts the whole table a
second time to show "N results (M total)". On a table of millions of rows either count reads
the whole table (PostgreSQL keeps no row count). `LargeTableAdmin` turns the second count off
(`show_full_result_count = False`) and pages with `EstimatedCountPaginator`: the unfiltered
list takes its size from the planner's statistics (`pg_class.reltuples`, kept current by
autovacuum's ANALYZE), a filtered or searched list, or any list on SQLite or on a small table,
is counted exactly. The pages themselves are read by index (docs/scale.md lists the indexes).
"""

from django.contrib import admin
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


class EstimatedCountPaginator(Paginator):
    """A paginator whose count of an unfiltered queryset is PostgreSQL's estimate once the
    table is large; exact otherwise."""

    @cached_property
    def count(self):
        queryset = self.object_list
        query = getattr(queryset, "query", None)
        if query is not None and not query.where and not query.distinct:
            estimate = estimated_rows(queryset.model, queryset.db)
            if estimate is not None and estimate >= EXACT_BELOW:
                return estimate
        return super().count


class LargeTableAdmin(admin.ModelAdmin):
    """A ModelAdmin for a table that grows with the site: no full count on the changelist."""

    show_full_result_count = False
    paginator = EstimatedCountPaginator
