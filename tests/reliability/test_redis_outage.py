"""Redis going away leaves the site working, uncached, with the failure logged."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from tests.conftest import make_article, publish_now

ROOT = Path(__file__).resolve().parents[2]

# django-redis pointed at a port where nothing listens: every cache call fails fast.
UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "KEY_PREFIX": "ketasite-test",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 0.5,
            "SOCKET_TIMEOUT": 0.5,
            "IGNORE_EXCEPTIONS": True,
        },
    }
}


@pytest.fixture
def redis_down():
    with override_settings(
        CACHES=UNREACHABLE_REDIS,
        DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS=True,
        DJANGO_REDIS_LOGGER="ketasite.cache",
    ):
        yield


def test_home_page_answers_while_redis_is_down(client, db, redis_down, caplog):
    article = make_article(title="Readable without Redis")
    publish_now(article)
    with caplog.at_level(logging.WARNING, logger="ketasite.cache"):
        response = client.get("/")
    assert response.status_code == 200
    assert "Readable without Redis" in response.content.decode()
    assert any(record.name == "ketasite.cache" for record in caplog.records)


def test_article_page_answers_while_redis_is_down(client, db, redis_down):
    article = make_article(title="Still served uncached")
    publish_now(article)
    for _ in range(2):
        response = client.get(f"/articles/{article.slug}/")
        assert response.status_code == 200
        assert "Still served uncached" in response.content.decode()


def test_api_answers_while_redis_is_down(client, db, redis_down):
    article = make_article(title="Listed without Redis")
    publish_now(article)
    response = client.get("/api/v1/articles/")
    assert response.status_code == 200
    assert [item["title"] for item in response.json()["results"]] == ["Listed without Redis"]


def test_settings_ignore_and_log_redis_failures():
    """With REDIS_URL set, the project's cache settings are the ones exercised above."""
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "c = s.CACHES['default']; print(json.dumps([c['BACKEND'], c['OPTIONS'], "
        "s.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS, s.DJANGO_REDIS_LOGGER]))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ketasite.settings",
           "REDIS_URL": "redis://127.0.0.1:1/0"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    backend, options, log_ignored, logger = json.loads(result.stdout.strip().splitlines()[-1])
    assert backend == "django_redis.cache.RedisCache"
    assert options["IGNORE_EXCEPTIONS"] is True
    assert log_ignored is True
    assert logger == "ketasite.cache"
