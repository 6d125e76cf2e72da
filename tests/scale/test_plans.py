"""PostgreSQL plans of the reads that must stay flat on a large site (docs/scale.md).

Each test fills a table big enough for the planner to choose as it would at 100,000 articles
(a few thousand rows, ANALYZEd), then asserts that the read walks an index and reads no whole
table: the EXPLAIN kept here is the justification of each index the scale work added.
"""

import datetime
import re

import pytest

from articles.models import NOT_LIVE_STATES
from public.frozen import _live_page_sql
from tests.scale.bulk import bulk_site, explain

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

ARTICLES = 5000


@pytest.fixture
def big_site(db):
    return bulk_site(ARTICLES)


def uses_index(plan, index, *, only=False):
    kind = "Index Only Scan" if only else r"(?:Index|Index Only|Bitmap Index) Scan"
    return re.search(rf"{kind}(?: Backward)? (?:using|on) {index}\b", plan) is not None


def test_the_public_list_pages_walk_the_live_index_from_either_end(big_site):
    """public/frozen.py `live_page`: a page of the public API list (and its count) reads its
    own rows, by offset from either end or after a cursor, whatever the size of the site."""
    for newest_first in (True, False):
        sql, bindings = _live_page_sql(("api_item_json",), newest_first=newest_first,
                                       keyset=False, with_count=True, using="default")
        plan = explain(sql, [*list(NOT_LIVE_STATES) * 0, 20, 2000])
        assert "Seq Scan" not in plan, plan
        assert uses_index(plan, "searchentry_newest", only=True), plan
        assert uses_index(plan, "articles_publication_pkey"), plan
        sql, _ = _live_page_sql(("api_item_json",), newest_first=newest_first, keyset=True,
                                with_count=False, using="default")
        plan = explain(sql, [datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC), 10, 21, 0])
        assert "Seq Scan" not in plan, plan
        assert uses_index(plan, "searchentry_newest", only=True), plan
