"""The dashboard's review panels and the reviews report in the admin."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from taggit.models import Tag

from articles.models import Article
from tests.conftest import make_user
from tests.reviews.conftest import live_article

pytestmark = pytest.mark.django_db

REPORT = "/admin/articles/article/reviews/"


@pytest.fixture
def boss(client, db):
    user = make_user(username="boss", is_superuser=True, is_staff=True)
    client.force_login(user)
    return user


def set_due(article, day):
    Article.objects.filter(pk=article.pk).update(review_due=day)


def test_the_dashboard_lists_overdue_and_due_this_month(clock, client, people, boss):
    overdue = live_article(people, title="Overdue piece")
    this_month = live_article(people, title="Due this month piece")
    later = live_article(people, title="Later piece")
    set_due(overdue, date(2027, 1, 1))
    set_due(this_month, date(2027, 1, 31))
    set_due(later, date(2027, 2, 1))
    html = client.get("/admin/").content.decode()
    overdue_panel = html.split("<caption>Overdue for review (1)</caption>")[1].split("</table>")[0]
    month_panel = html.split("<caption>Due for review this month (1)</caption>")[1].split(
        "</table>")[0]
    assert "Overdue piece" in overdue_panel and "Later piece" not in overdue_panel
    assert "Due this month piece" in month_panel and "Later piece" not in month_panel


def test_the_report_filters_by_tag_reviewer_and_month(clock, client, people, boss):
    adhd = live_article(people, tags=["adhd"], title="ADHD piece")
    depression = live_article(people, tags=["depression"], title="Depression piece")
    set_due(adhd, date(2027, 3, 10))
    set_due(depression, date(2027, 4, 10))
    Article.objects.filter(pk=depression.pk).update(last_reviewed_by=people["reviewer2"])

    def shown(**query):
        html = client.get(REPORT, query).content.decode()
        return {title for title in ("ADHD piece", "Depression piece") if title in html}

    assert shown() == {"ADHD piece", "Depression piece"}
    assert shown(tag=Tag.objects.get(name="adhd").slug) == {"ADHD piece"}
    assert shown(reviewer=people["reviewer2"].pk) == {"Depression piece"}
    assert shown(month="2027-03") == {"ADHD piece"}
    assert shown(month="2027-05") == set()


def test_a_bad_month_is_explained_not_a_crash(clock, client, people, boss):
    live_article(people)
    response = client.get(REPORT, {"month": "March"})
    assert response.status_code == 200
    assert "is not a month: use YYYY-MM." in response.content.decode()


def test_the_report_costs_the_same_queries_for_one_or_many_articles(clock, client, people, boss):
    live_article(people, tags=["adhd"])
    with CaptureQueriesContext(connection) as one:
        client.get(REPORT)
    for index in range(5):
        article = live_article(people, tags=["adhd", f"t{index}"], title=f"Article {index}")
        set_due(article, clock.today() + timedelta(days=index))
    with CaptureQueriesContext(connection) as six:
        html = client.get(REPORT).content.decode()
    assert "Article 4" in html
    assert len(six) == len(one)


def test_the_report_is_not_for_anonymous_or_outside_users(client, db):
    assert client.get(REPORT).status_code == 302
    client.force_login(make_user(username="nobody", is_staff=True))
    assert client.get(REPORT).status_code == 403
