from io import StringIO

from django.core.management import call_command

from articles.models import Article
from claims.models import Claim, ClaimLink, ClaimRating, PublishedAppearance
from evidence.models import Annotation

BLOOD_PRESSURE = "Ketamine and esketamine raise blood pressure for a short time after a dose."
MONITORING = ("Patients are monitored for at least two hours after each esketamine nasal "
              "spray dose.")
BLADDER = "Frequent, unsupervised ketamine use can damage the bladder."


def test_load_demo_publishes_rated_demo_articles_and_leaves_one_in_review(db, client):
    call_command("load_demo", stdout=StringIO())
    published = Article.objects.published()
    assert published.count() == 3
    assert Article.objects.filter(state=Article.State.IN_REVIEW).count() == 1
    article = published.get(original_filename="esketamine-nasal-spray.md")
    assert article.live.annotations, "the published demo article carries its rated claims"
    page = client.get(article.get_absolute_url())
    assert page.status_code == 200
    assert "A nurse watches the patient for at least two hours" in page.content.decode()
    assert "Supported" in page.content.decode()
    # The claim registry has something to show: a few claims rated once, linked and
    # confirmed on passages of the published demo articles, one of them in two articles.
    listing = client.get("/claims/")
    assert listing.status_code == 200
    page = listing.content.decode()
    for statement in (BLOOD_PRESSURE, MONITORING, BLADDER):
        assert statement in page

    claim = Claim.objects.get(statement=BLOOD_PRESSURE)
    detail = client.get(f"/claims/{claim.slug}/").content.decode()
    # The claim appears in two published demo articles, each listed on its page.
    shown = PublishedAppearance.objects.filter(claim=claim)
    assert shown.values("publication__article").distinct().count() == 2
    for appearance in shown.select_related("publication__article"):
        assert appearance.publication.article.get_absolute_url() in detail
    # Every link was confirmed by the reviewer; each article page links to its claim page.
    links = ClaimLink.objects.select_related("confirmed_by")
    assert links.count() == 4
    assert {link.confirmed_by.username for link in links} == {"reviewer"}
    article = shown.first().publication.article
    assert f"/claims/{claim.slug}/" in client.get(article.get_absolute_url()).content.decode()

    api = client.get("/api/v1/claims/").json()
    listed = {item["statement"]: item for item in api["results"]}
    assert set(listed) == {BLOOD_PRESSURE, MONITORING, BLADDER}
    assert (listed[BLOOD_PRESSURE]["verdict"], listed[BLOOD_PRESSURE]["certainty"]) == (
        "supported", "high")


def counts():
    return (Article.objects.count(), Annotation.objects.count(), Claim.objects.count(),
            ClaimRating.objects.count(), ClaimLink.objects.count())


def test_load_demo_twice_changes_nothing(db):
    call_command("load_demo", stdout=StringIO())
    first = counts()
    call_command("load_demo", stdout=StringIO())
    assert counts() == first
    # The demo registry claims are rated once and linked once (tests/demo/test_demo_claims.py).
    assert first[2:] == (3, 3, 4)
