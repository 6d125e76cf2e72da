"""The evidence chart under the article's title: server-rendered SVG, frozen at publish, its
figures in the API as `evidence_summary.by_verdict_and_certainty`."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.evidencechart import evidence_chart
from tests.conftest import make_annotation, make_article, make_blocks, publish_now
from tests.public.helpers import published_article

pytestmark = pytest.mark.django_db

TEXT = "One claim here. Two claim here. Three claim here. Four claim here."


def article_with(ratings):
    """Publish an article whose claims carry `ratings` [(verdict, certainty)] in order."""
    article = make_article(blocks=make_blocks(TEXT), slug="chart")
    ids = []
    for index, (verdict, certainty) in enumerate(ratings):
        start = index * 16
        ids.append(make_annotation(article, block_id="p1", start=start, end=start + 15,
                                   verdict=verdict, certainty=certainty).pk)
    publish_now(article)
    return article, ids


def chart_of(page):
    match = re.search(r'<figure class="evidence-chart".*?</figure>', page, re.S)
    assert match, "no evidence chart on the page"
    return match.group(0)


def test_the_chart_counts_claims_by_verdict_shaded_by_certainty(client):
    article, ids = article_with([
        ("mixed", "low"), ("supported", "high"), ("mixed", "low"), ("mixed", "moderate"),
    ])
    page = client.get(f"/articles/{article.slug}/").content.decode()
    chart = chart_of(page)
    # Under the title, before the body.
    assert page.index("<h1>") < page.index('class="evidence-chart"') < page.index(
        'class="article-body"'
    )
    segments = re.findall(r'<a href="#claim-(\d+)" tabindex="-1"><rect class="chart-segment '
                          r'verdict-(\w+) certainty-(\w+)" x="([\d.]+)" y="0" '
                          r'width="([\d.]+)"', chart)
    # Supported first (scale order), then mixed moderate before mixed low (surer first).
    assert [(v, c) for _, v, c, _, _ in segments] == [
        ("supported", "high"), ("mixed", "moderate"), ("mixed", "low"),
    ]
    # Each segment links to the first claim of its kind on the page.
    assert [int(pk) for pk, *_ in segments] == [ids[1], ids[3], ids[0]]
    # Widths in proportion: 1, 1 and 2 of 4 claims of a 600-wide bar.
    assert [float(w) for *_, w in segments] == [150.0, 150.0, 300.0]
    # The text equivalent says the same in words, with links a keyboard reaches.
    assert "4 rated claims" in chart
    assert f'<a href="#claim-{ids[0]}">3 mixed</a>' in chart
    assert "2 low" in chart and "1 moderate" in chart
    assert 'aria-hidden="true"' in chart
    assert "style=" not in chart


def test_no_chart_without_rated_claims(client):
    article, _ = article_with([("", "")])
    page = client.get(f"/articles/{article.slug}/").content.decode()
    assert 'class="evidence-chart"' not in page


def test_the_api_detail_carries_the_same_figures(client):
    article, _ = article_with([("mixed", "low"), ("supported", "high"), ("mixed", "low")])
    summary = client.get(f"/api/v1/articles/{article.slug}/").json()["evidence_summary"]
    assert summary["by_verdict_and_certainty"]["mixed"] == {
        "high": 0, "moderate": 0, "low": 2, "very_low": 0,
    }
    assert summary["by_verdict_and_certainty"]["supported"]["high"] == 1
    assert summary["by_verdict_and_certainty"]["contradicted"] == {
        "high": 0, "moderate": 0, "low": 0, "very_low": 0,
    }


def test_the_chart_is_in_the_frozen_page_and_costs_no_query(client, settings):
    settings.KETASITE_PUBLIC_CACHE = False
    counts = []
    for number, slug in ((1, "one"), (500, "many")):
        article = published_article(annotations=number, slug=slug)
        assert b'class="evidence-chart"' in bytes(article.live.page_main_html)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/articles/{slug}/")
        assert 'class="evidence-chart"' in response.content.decode()
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1] <= 3


def test_unknown_ratings_are_left_out_of_the_chart():
    chart = evidence_chart([
        {"id": 1, "verdict": "mixed", "certainty": "low"},
        {"id": 2, "verdict": "bogus", "certainty": "low"},
        {"id": 3, "verdict": "mixed", "certainty": ""},
    ])
    assert chart["rated"] == 1
    assert [s["first"] for s in chart["segments"]] == [1]
