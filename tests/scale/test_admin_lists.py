"""The admin's lists of articles, annotations, sources, workflow events and jobs on a large
site: no full count, filters that list their values without reading every row, and only the
orderings an index serves (docs/scale.md). Plans: tests/scale/test_plans.py."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from articles.audit import record_event
from evidence.models import Source
from jobs.models import Job
from ketasite import admin_paging
from tests.conftest import make_annotation, make_article, make_blocks, make_user

pytestmark = pytest.mark.django_db

LISTS = [
    "/admin/articles/article/", "/admin/articles/article/?state__exact=draft",
    "/admin/articles/article/?tag=adhd", "/admin/articles/article/?o=-5",
    "/admin/evidence/annotation/", "/admin/evidence/annotation/?verdict__exact=supported",
    "/admin/evidence/annotation/?status__exact=open&certainty__exact=high",
    "/admin/evidence/source/", "/admin/evidence/source/?design__exact=rct",
    "/admin/evidence/source/?year=2001", "/admin/articles/workflowevent/",
    "/admin/articles/workflowevent/?action=publish", "/admin/jobs/job/",
]


@pytest.fixture
def site(db):
    admin = make_user(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    tagged = make_article(title="Tagged one", tags=("adhd",),
                          blocks=make_blocks("Ketamine helps. It is sold."))
    other = make_article(title="Untagged one")
    make_annotation(tagged, block_id="p1", start=0, end=15, verdict="supported",
                    certainty="high")
    Source.objects.create(title="A trial", year=2001, design=Source.Design.RCT)
    Source.objects.create(title="A review", year=2019, design=Source.Design.SYSTEMATIC_REVIEW)
    record_event(tagged, actor=admin, action="publish")
    record_event(other, actor=admin, action="submit")
    Job.objects.create(kind="rerender", title="Re-render every page", created_by=admin)
    return {"client": client, "tagged": tagged, "other": other}


def test_every_list_and_filter_answers_with_its_rows(site):
    client = site["client"]
    for url in LISTS:
        assert client.get(url).status_code == 200, url
    tagged = client.get("/admin/articles/article/?tag=adhd").content.decode()
    assert "Tagged one" in tagged and "Untagged one" not in tagged
    events = client.get("/admin/articles/workflowevent/").content.decode()
    assert "?action=publish" in events and "?action=submit" in events  # the filter's values
    published = client.get("/admin/articles/workflowevent/?action=publish").content.decode()
    assert "1 workflow event" in published
    sources = client.get("/admin/evidence/source/").content.decode()
    assert "?year=2001" in sources and "?year=2019" in sources
    assert "A trial" in client.get("/admin/evidence/source/?year=2001").content.decode()
    assert "A review" not in client.get("/admin/evidence/source/?year=2001").content.decode()


def test_a_column_without_an_index_is_not_sorted_even_by_a_hand_made_address(site):
    client = site["client"]
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/admin/articles/article/?o=1").status_code == 200  # by title
    listing = [q["sql"] for q in queries.captured_queries
               if q["sql"].startswith('SELECT "articles_article"."id"')]
    assert listing and all("ORDER BY" in sql and '"title"' not in sql.split("ORDER BY")[1]
                           for sql in listing)
    page = client.get("/admin/articles/article/").content.decode()
    assert "?o=5" in page or "?o=-5" in page  # updated_at may be sorted
    assert "?o=1." not in page and 'href="?o=1"' not in page


@pytest.mark.postgres
def test_large_lists_are_never_counted_row_by_row(site, monkeypatch):
    """Above the threshold (here 1 row) PostgreSQL's estimate stands for the count: the
    table's for the whole list, the planner's for a filtered one; no COUNT reads the rows."""
    monkeypatch.setattr(admin_paging, "EXACT_BELOW", 1)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    client = site["client"]
    for url in LISTS:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, url
        counts = [q["sql"] for q in queries.captured_queries if re.search(r"COUNT\(", q["sql"])]
        assert counts == [], (url, counts)


def test_small_lists_and_sqlite_are_counted_exactly(site):
    page = site["client"].get("/admin/articles/article/").content.decode()
    assert "2 articles" in page
