"""The public article page."""

import json
import re

import pytest
from django.utils import timezone

from articles.models import Article
from tests.conftest import make_annotation, make_article, make_user, publish_now
from tests.public.helpers import published_article

pytestmark = pytest.mark.django_db


def test_the_article_page_shows_the_title_summary_and_marked_passages(client):
    article = published_article(annotations=2)
    response = client.get(f"/articles/{article.slug}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Ketamine and ADHD</h1>" in html
    assert "What the studies say." in html
    assert html.count('class="claim verdict-') == 2
    assert "Reviewer note 0." in html and "Supported" in html and "High certainty" in html


def test_reviewed_by_and_dates_come_from_the_approval(client):
    reviewer = make_user("Reviewers", first_name="Grace", last_name="Hopper")
    article = make_article(title="Reviewed")
    article.approved_by = reviewer
    article.approved_at = timezone.now()
    article.save()
    publish_now(article)
    html = client.get(f"/articles/{article.slug}/").content.decode()
    assert "Reviewed by Grace Hopper on" in html
    assert "Published <time" in html


def test_a_second_publish_shows_updated_and_the_changelog(client):
    article = published_article()
    publish_now(article, change_note="Added a 2026 trial.")
    html = client.get(f"/articles/{article.slug}/").content.decode()
    assert "Updated <time" in html
    assert "Added a 2026 trial." in html and "First published." in html


def test_the_draft_never_reaches_the_page(client):
    article = published_article()
    article.draft.title = "SECRET DRAFT TITLE"
    article.draft.save()
    make_annotation(article, block_id="p0", start=0, end=9, note="secret draft note")
    html = client.get(f"/articles/{article.slug}/").content.decode()
    assert "SECRET DRAFT TITLE" not in html and "secret draft note" not in html


def test_an_unpublished_article_answers_410_gone(client):
    article = published_article()
    Article.objects.filter(pk=article.pk).update(state=Article.State.UNPUBLISHED)
    response = client.get(f"/articles/{article.slug}/")
    assert response.status_code == 410
    assert "withdrawn" in response.content.decode()


def test_a_never_published_article_answers_404(client):
    article = make_article()
    assert client.get(f"/articles/{article.slug}/").status_code == 404
    assert client.get("/articles/no-such-thing/").status_code == 404


def test_structured_data_has_a_medical_web_page_and_claim_reviews(client):
    article = published_article(annotations=3)
    html = client.get(f"/articles/{article.slug}/").content.decode()
    [script] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = json.loads(script)
    types = [node["@type"] for node in data["@graph"]]
    assert types.count("MedicalWebPage") == 1 and types.count("ClaimReview") == 3
    review = data["@graph"][1]
    assert review["claimReviewed"] == "ketamine"
    assert review["reviewRating"]["alternateName"] == "Supported"
    assert data["@graph"][0]["about"] == [{"@type": "Thing", "name": "adhd"}]


def test_structured_data_cannot_close_its_script_element(client):
    article = published_article(title="</script><script>alert(1)</script>")
    html = client.get(f"/articles/{article.slug}/").content.decode()
    assert "</script><script>alert(1)" not in html
    assert "\\u003C/script\\u003E" in html


def test_canonical_open_graph_and_language(client):
    article = published_article()
    html = client.get(f"/articles/{article.slug}/").content.decode()
    assert '<html lang="en">' in html
    assert '<link rel="canonical" href="http' in html and f"/articles/{article.slug}/" in html
    assert '<meta property="og:title" content="Ketamine and ADHD">' in html


def test_references_link_to_pubmed_and_doi(client):
    from evidence.models import Citation, Source

    article = make_article()
    source = Source.objects.create(title="A trial", pmid="12345", doi="10.1000/xyz")
    Citation.objects.create(revision=article.draft, source=source, number=1)
    publish_now(article)
    html = client.get(f"/articles/{article.slug}/").content.decode()
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/12345/"' in html
    assert 'href="https://doi.org/10.1000/xyz"' in html
    assert 'id="ref-1"' in html


def test_the_page_says_it_is_not_medical_advice(client):
    article = published_article()
    assert "Not medical advice" in client.get(f"/articles/{article.slug}/").content.decode()


@pytest.mark.parametrize("annotations", [1, 120])
def test_the_article_page_costs_a_constant_number_of_queries(
    client, django_assert_max_num_queries, annotations
):
    article = published_article(annotations=annotations)
    with django_assert_max_num_queries(3):
        response = client.get(f"/articles/{article.slug}/")
    assert response.content.decode().count('class="claim verdict-') == annotations


def test_no_inline_styles_or_scripts_on_the_page(client):
    article = published_article(annotations=3)
    html = client.get(f"/articles/{article.slug}/").content.decode()
    assert "style=" not in html and " onclick" not in html
    assert re.findall(r"<script(?![^>]*(src=|application/ld\+json))", html) == []
