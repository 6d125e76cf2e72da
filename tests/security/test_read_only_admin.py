"""Records that change only through the apps' services (the audit log, publications, share
links, dual-review ratings, re-reviews, merges, API tokens) are shown by the admin but never
added or deleted there, not even by a superuser."""

import pytest
from django.test import Client

from articles.models import Publication, WorkflowEvent
from tests.conftest import make_article, make_user, publish_now

READ_ONLY = [
    "articles/publication",
    "articles/workflowevent",
    "articles/sharelink",
    "evidence/consensusrating",
    "evidence/reviewerrating",
    "claims/rereview",
    "claims/claimmerge",
    "accounts/apitokenholder",
]


@pytest.fixture
def superuser_client(db):
    client = Client()
    client.force_login(make_user(is_staff=True, is_superuser=True))
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("model", READ_ONLY)
def test_the_admin_lists_but_never_adds_or_deletes(superuser_client, model):
    listing = superuser_client.get(f"/admin/{model}/")
    assert listing.status_code == 200
    assert f'href="/admin/{model}/add/"' not in listing.content.decode()
    assert 'value="delete_selected"' not in listing.content.decode()
    assert superuser_client.get(f"/admin/{model}/add/").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("model", [Publication, WorkflowEvent], ids=["publication", "event"])
def test_a_published_articles_records_cannot_be_deleted_in_the_admin(superuser_client, model):
    article = make_article()
    publish_now(article)
    WorkflowEvent.objects.create(article=article, action="publish", from_state="approved",
                                 to_state="published", comment="Published.")
    row = model.objects.first()
    path = f"/admin/articles/{model._meta.model_name}/"
    listing = superuser_client.get(path)
    assert listing.status_code == 200 and str(row.pk) in listing.content.decode()
    assert 'value="delete_selected"' not in listing.content.decode()
    assert superuser_client.get(f"{path}{row.pk}/delete/").status_code == 403
    assert superuser_client.post(f"{path}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=row.pk).exists()
