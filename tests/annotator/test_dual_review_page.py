"""Dual review in the annotator and on the dashboard: blind until both rated, then both
ratings side by side with their notes; forms that work without JavaScript."""

import pytest
from django.urls import reverse

from articles.models import Article
from evidence.models import ConsensusRating, DualReviewPolicy, ReviewerRating
from tests.conftest import make_article, make_user
from tests.workflow.conftest import add_annotation, assign

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    first = make_user("Reviewers", username="rita", is_staff=True)
    second = make_user("Reviewers", username="sam", is_staff=True)
    editor = make_user("Editors", username="eve", is_staff=True)
    article = make_article(state=Article.State.IN_REVIEW, author=editor)
    assign(article, first)
    assign(article, second)
    DualReviewPolicy.objects.create(article=article)
    annotation = add_annotation(article, certainty="", verdict="")
    return {"first": first, "second": second, "editor": editor, "article": article,
            "annotation": annotation}


def annotator(client, user, article):
    client.force_login(user)
    return client.get(reverse("admin:evidence_annotation_annotate", args=[article.pk]))


def post_rating(client, user, annotation, verdict, certainty, note):
    client.force_login(user)
    return client.post(
        reverse("admin:evidence_reviewerrating_rate", args=[annotation.pk]),
        {"verdict": verdict, "certainty": certainty, "note": note},
    )


def test_the_annotator_hides_the_other_rating_until_both_have_rated(client, setup):
    response = post_rating(client, setup["first"], setup["annotation"], "mixed", "low",
                           "Rita's reading: small trials.")
    assert response.status_code == 302
    assert ReviewerRating.objects.count() == 1

    own = annotator(client, setup["first"], setup["article"]).content.decode()
    assert "Rita&#x27;s reading: small trials." in own or "Rita's reading" in own
    other = annotator(client, setup["second"], setup["article"]).content.decode()
    assert "Rita" not in other and "small trials" not in other
    assert "Your independent rating" in other
    # The passage's own rating selects are off: the two ratings settle it.
    assert "This article needs two independent ratings" in other
    assert '"canRate": false' in other
    editor = annotator(client, setup["editor"], setup["article"]).content.decode()
    assert "small trials" not in editor

    post_rating(client, setup["second"], setup["annotation"], "supported", "high",
                "Sam: the RCT is positive.")
    both = annotator(client, setup["editor"], setup["article"]).content.decode()
    assert "small trials" in both and "the RCT is positive" in both
    assert "conflict: a consensus is needed" in both


def test_the_consensus_form_records_the_published_rating(client, setup):
    post_rating(client, setup["first"], setup["annotation"], "mixed", "low", "A")
    post_rating(client, setup["second"], setup["annotation"], "supported", "high", "B")
    page = annotator(client, setup["first"], setup["article"]).content.decode()
    assert "Record the consensus" in page
    response = client.post(
        reverse("admin:evidence_reviewerrating_consensus", args=[setup["annotation"].pk]),
        {"verdict": "mixed", "certainty": "moderate", "note": "We settled on mixed."},
    )
    assert response.status_code == 302
    assert ConsensusRating.objects.get().verdict == "mixed"
    setup["annotation"].refresh_from_db()
    assert setup["annotation"].verdict == "mixed"


def test_a_refused_form_says_why_and_saves_nothing(client, setup):
    post_rating(client, setup["first"], setup["annotation"], "mixed", "low", "A")
    response = post_rating(client, setup["first"], setup["annotation"], "supported", "high",
                           "again")
    follow = client.get(response["Location"]).content.decode()
    assert "Nothing was saved" in follow and "already rated" in follow
    assert ReviewerRating.objects.count() == 1


def test_the_dashboard_lists_conflicts_side_by_side(client, setup):
    post_rating(client, setup["first"], setup["annotation"], "mixed", "low", "Rita's note")
    dashboard = client.get(reverse("admin:index")).content.decode()
    assert "Rita" not in dashboard and "Rita&#x27;s note" not in dashboard
    post_rating(client, setup["second"], setup["annotation"], "supported", "high", "Sam's note")
    client.force_login(setup["editor"])
    dashboard = client.get(reverse("admin:index")).content.decode()
    assert "Rating conflicts" in dashboard
    assert "Rita&#x27;s note" in dashboard and "Sam&#x27;s note" in dashboard
