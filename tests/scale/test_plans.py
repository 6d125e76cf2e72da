"""PostgreSQL plans of the reads that must stay flat on a large site (docs/scale.md).

Each test fills a table big enough for the planner to choose as it would at 100,000 articles
(a few thousand rows, ANALYZEd), then asserts that the read walks an index and reads no whole
table: the EXPLAIN kept here is the justification of each index the scale work added.
"""

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from articles.models import NOT_LIVE_STATES
from ketasite import admin_paging
from public.frozen import _live_page_sql
from tests.conftest import make_user
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


ADMIN_LISTS = {
    "articles_article": [
        "/admin/articles/article/", "/admin/articles/article/?state__exact=draft",
        "/admin/articles/article/?tag=adhd", "/admin/articles/article/?o=5",
    ],
    "evidence_annotation": [
        "/admin/evidence/annotation/", "/admin/evidence/annotation/?verdict__exact=mixed",
        "/admin/evidence/annotation/?status__exact=open",
        "/admin/evidence/annotation/?certainty__exact=high",
    ],
    "evidence_source": [
        "/admin/evidence/source/", "/admin/evidence/source/?design__exact=rct",
        "/admin/evidence/source/?year=2001",
    ],
    "articles_workflowevent": [
        "/admin/articles/workflowevent/", "/admin/articles/workflowevent/?action=publish",
    ],
}


def test_admin_lists_read_their_pages_and_filters_by_index(db, monkeypatch):
    """The admin changelists (ketasite/admin_paging.py and each ModelAdmin): every query a
    list or a filter makes on a large table reads an index, never the whole table."""
    bulk_site(2000, annotations_per_article=5, events_per_article=3)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO evidence_source (pmid, doi, url, url_key, title, authors, journal, year,
                design, citation_text, created_at, updated_at)
            SELECT '', '', '', '', 'Source ' || g, '', '', 1990 + g % 35,
                (ARRAY['rct', 'cohort', 'meta_analysis', 'case_report'])[1 + g % 4], '',
                now(), now()
            FROM generate_series(1, 5000) g
            """
        )
        cursor.execute("ANALYZE evidence_source")
    monkeypatch.setattr(admin_paging, "EXACT_BELOW", 1000)
    client = Client()
    client.force_login(make_user(is_staff=True, is_superuser=True))
    for table, urls in ADMIN_LISTS.items():
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200, url
            reads = [q["sql"] for q in queries.captured_queries
                     if q["sql"].startswith(("SELECT", "WITH")) and f'"{table}"' in q["sql"]]
            assert reads, url
            for sql in reads:
                plan = explain(sql)
                assert f"Seq Scan on {table}" not in plan, (url, sql, plan)
