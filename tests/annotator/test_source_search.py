"""The editorial sources endpoint the annotator searches and adds sources through."""

import pytest

from evidence.models import Source
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/editorial/sources/"


@pytest.fixture
def sources():
    return [
        Source.objects.create(title="Ketamine for depression: a meta-analysis", pmid="12345678"),
        Source.objects.create(title="Esketamine nasal spray trial", doi="10.1000/esk.2019"),
        Source.objects.create(title="Unrelated cohort", pmid="999"),
    ]


def titles(response):
    return [item["title"] for item in response.json()["results"]]


def test_search_by_title_words(client, sources):
    client.force_login(make_user("Editors"))

    response = client.get(URL, {"q": "ketamine"})

    assert response.status_code == 200
    assert titles(response) == [
        "Esketamine nasal spray trial", "Ketamine for depression: a meta-analysis"
    ]


def test_search_by_pmid_in_any_usual_form(client, sources):
    client.force_login(make_user("Reviewers"))

    response = client.get(URL, {"q": "PMID: 12345678"})

    assert titles(response) == ["Ketamine for depression: a meta-analysis"]


def test_search_by_doi_url(client, sources):
    client.force_login(make_user("Editors"))

    response = client.get(URL, {"q": "https://doi.org/10.1000/ESK.2019"})

    assert titles(response) == ["Esketamine nasal spray trial"]


def test_adding_a_known_work_returns_the_existing_source(client, sources):
    client.force_login(make_user("Editors"))

    response = client.post(
        URL, {"pmid": "https://pubmed.ncbi.nlm.nih.gov/12345678/", "title": "Again"},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert response.json()["id"] == sources[0].pk
    assert Source.objects.count() == 3


def test_adding_a_new_work_creates_it(client, db):
    client.force_login(make_user("Reviewers"))

    response = client.post(
        URL, {"doi": "10.5555/new.1", "title": "A new trial"}, content_type="application/json"
    )

    assert response.status_code == 201
    assert Source.objects.get(pk=response.json()["id"]).doi == "10.5555/new.1"


def test_invalid_identifier_is_refused_with_its_field_and_nothing_is_added(client, db):
    client.force_login(make_user("Editors"))

    response = client.post(URL, {"pmid": "PMC12345"}, content_type="application/json")

    assert response.status_code == 400
    assert "PubMed Central" in response.json()["errors"]["pmid"][0]
    assert not Source.objects.exists()


def test_user_without_editorial_rights_may_not_search_or_add(client, sources):
    client.force_login(make_user())

    assert client.get(URL, {"q": "ketamine"}).status_code == 403
    response = client.post(URL, {"pmid": "1"}, content_type="application/json")
    assert response.status_code == 403
    assert Source.objects.count() == 3


def test_anonymous_client_is_not_authenticated(client, sources):
    assert client.get(URL).status_code == 401
