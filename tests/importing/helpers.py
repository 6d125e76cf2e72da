"""Small helpers shared by the import tests."""

from articles.models import Article, ImportRecord, Revision
from evidence.models import Citation, Source
from tests.conftest import fixture_document, seed_path


def fixture_bytes(name):
    return fixture_document(name).read_bytes()


def seed_bytes(prefix):
    return seed_path(prefix).read_bytes()


def seed_name(prefix):
    return seed_path(prefix).name


def row_counts():
    """Return the number of rows an import can write, by model."""
    return {
        "articles": Article.objects.count(),
        "revisions": Revision.objects.count(),
        "sources": Source.objects.count(),
        "citations": Citation.objects.count(),
        "records": ImportRecord.objects.exclude(result=ImportRecord.Result.FAILED).count(),
    }
