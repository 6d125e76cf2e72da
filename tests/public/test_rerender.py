from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command

from articles.models import Publication
from tests.conftest import make_annotation, make_article, make_blocks, publish_now

pytestmark = pytest.mark.django_db


def test_rerender_rebuilds_stale_page_parts_from_the_frozen_content(client):
    article = make_article(title="Ketamine and sleep", blocks=make_blocks(
        "Ketamine may disturb sleep for a night."
    ))
    make_annotation(article, block_id="p1", start=0, end=23, verdict="mixed",
                    certainty="low", note="Small studies only.")
    publication = publish_now(article)
    fresh = client.get(article.get_absolute_url()).content
    # As if the page templates had been older when this was published.
    Publication.objects.filter(pk=publication.pk).update(
        page_main_html=b"<main>old template</main>", body_html="old", page_digest="old"
    )
    cache.clear()
    assert b"old template" in client.get(article.get_absolute_url()).content
    call_command("rerender_publications", stdout=StringIO())
    publication.refresh_from_db()
    assert b"old template" not in bytes(publication.page_main_html)
    assert "Small studies only." in publication.body_html
    assert client.get(article.get_absolute_url()).content == fresh


def test_rerender_keeps_the_frozen_text_even_if_the_draft_moved_on(client):
    article = make_article(title="Frozen", blocks=make_blocks("The published sentence."))
    publish_now(article)
    article.draft.blocks = make_blocks("A draft sentence nobody approved.")
    article.draft.save()
    call_command("rerender_publications", stdout=StringIO())
    page = client.get(article.get_absolute_url()).content.decode()
    assert "The published sentence." in page
    assert "nobody approved" not in page
