"""Fixtures for the API tests: published articles built with the shared helpers."""

import pytest
from rest_framework.test import APIClient

from articles.models import Article
from evidence.models import Source
from tests.conftest import make_annotation, make_article, make_blocks, make_user, publish_now


@pytest.fixture
def api():
    return APIClient()


def publish_article(*, title="Ketamine and ADHD", tags=("adhd",), verdict="unsupported",
                    certainty="very_low", note="No trial supports this.", slug=None,
                    annotations=1, source=None):
    """Create and publish an article whose paragraph carries `annotations` rated claims."""
    text = "Ketamine may help some adults with ADHD. " * max(1, annotations)
    article = make_article(title=title, tags=tags, blocks=make_blocks(text), slug=slug)
    made = []
    for index in range(annotations):
        start = index * 41
        made.append(
            make_annotation(
                article, block_id="p1", start=start, end=start + 40, verdict=verdict,
                certainty=certainty, note=note, sources=[source] if source else (),
            )
        )
    publication = publish_now(article)
    article.refresh_from_db()
    return article, publication, made


@pytest.fixture
def published(db):
    source = Source.objects.create(title="A trial of ketamine", pmid="12345", year=2020,
                                   design=Source.Design.RCT)
    article, publication, annotations = publish_article(source=source)
    return {"article": article, "publication": publication, "annotations": annotations,
            "source": source}


@pytest.fixture
def token_client(db):
    """Return a function giving an APIClient authenticated by token as a new user of a group."""
    from rest_framework.authtoken.models import Token

    def _client(group=None, **kwargs):
        user = make_user(group, **kwargs)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        client.user = user
        return client

    return _client


__all__ = ["Article", "publish_article"]
