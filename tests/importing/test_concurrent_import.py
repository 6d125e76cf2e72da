"""The same file imported twice at the same moment gives one article (PostgreSQL)."""

import threading

import pytest
from django.db import connection

from articles.importing import import_bytes
from articles.models import Article
from tests.importing.helpers import fixture_bytes

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,  # PostgreSQL's concurrency
]


def test_same_file_imported_twice_at_once_gives_one_article():
    data, name = fixture_bytes("related-links.txt"), "related-links.txt"
    barrier = threading.Barrier(2)
    results = []

    def worker():
        try:
            barrier.wait(timeout=10)
            results.append(import_bytes(data, filename=name).result)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == ["created", "unchanged"]
    assert Article.objects.count() == 1
