from io import StringIO

from django.core.management import call_command

from articles.models import Article
from evidence.models import Annotation


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


def test_load_demo_twice_changes_nothing(db):
    call_command("load_demo", stdout=StringIO())
    counts = (Article.objects.count(), Annotation.objects.count())
    call_command("load_demo", stdout=StringIO())
    assert (Article.objects.count(), Annotation.objects.count()) == counts
