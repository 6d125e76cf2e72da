"""Full-text search on PostgreSQL: stemming, ranking, highlighted snippets."""

import pytest
from django.db import connection

from articles.search import search_publications
from tests.conftest import make_article, make_blocks, publish_now

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search"),
]


def test_search_matches_other_forms_of_a_word():
    article = make_article(
        title="Infusion clinics", blocks=make_blocks("Several treatments were compared.")
    )
    publish_now(article)
    assert [p.article.slug for p in search_publications("treatment")] == [article.slug]


def test_a_match_in_the_title_ranks_above_one_in_the_text():
    in_text = make_article(
        title="Side effects", blocks=make_blocks("Some patients mention insomnia afterwards.")
    )
    in_title = make_article(
        title="Insomnia after ketamine", blocks=make_blocks("Sleep may change for a night.")
    )
    publish_now(in_text)
    publish_now(in_title)
    slugs = [p.article.slug for p in search_publications("insomnia")]
    assert slugs == [in_title.slug, in_text.slug]


def test_the_snippet_marks_the_match_and_escapes_the_text(client):
    article = make_article(
        title="Dosing",
        blocks=make_blocks("<b>Dissociation</b> & nausea are common during dosing."),
    )
    publish_now(article)
    html = client.get("/search/?q=dissociation").content.decode()
    assert "<mark>Dissociation</mark>" in html
    assert "&amp; nausea" in html
    assert "<b>Dissociation" not in html
