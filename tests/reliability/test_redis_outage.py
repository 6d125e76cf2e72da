"""Redis going away leaves the site working, uncached, with the failure logged.

Two kinds of outage: a refused connection (nothing listens; every call fails at once) and a
hung Redis (the socket accepts and never answers), where only the socket timeouts in the
settings stand between a reader and a page that never comes. Both run with the cache
settings the project builds from `REDIS_URL`, not with a copy of them.
"""

import json
import logging
import os
import runpy
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from tests.conftest import make_article, publish_now

ROOT = Path(__file__).resolve().parents[2]

# The requirement: with Redis hung, a page still answers within a few seconds.
HUNG_ANSWER_SECONDS = 3
# A hung connection is held this long at most, so that a build without socket timeouts fails
# the test after a wait instead of hanging the suite.
HUNG_HOLD_SECONDS = 8


def project_redis_settings(monkeypatch, redis_url):
    """Return the cache settings that ketasite.settings builds with REDIS_URL=`redis_url`."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("KETASITE_CACHE_PREFIX", "ketasite-outage-test")
    built = runpy.run_path(str(ROOT / "ketasite" / "settings.py"))
    return {
        "CACHES": built["CACHES"],
        "DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS": built["DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS"],
        "DJANGO_REDIS_LOGGER": built["DJANGO_REDIS_LOGGER"],
    }


@pytest.fixture
def redis_down(monkeypatch):
    # Nothing listens on port 1: every cache call is refused at once.
    with override_settings(**project_redis_settings(monkeypatch, "redis://127.0.0.1:1/0")):
        yield


class HungRedis:
    """A TCP server that accepts every connection and never answers a byte.

    Each connection is held until the server stops or HUNG_HOLD_SECONDS after it started,
    whichever comes first; then it is closed.
    """

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        # accept() wakes up now and then to notice that the server has stopped.
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.release = threading.Event()
        self.deadline = time.monotonic() + HUNG_HOLD_SECONDS
        self.accepted = 0
        self.threads = []

    def start(self):
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self.threads.append(thread)
        return self

    def _accept(self):
        while not self.release.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            thread = threading.Thread(target=self._hold, args=(conn,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _hold(self, conn):
        with conn:
            self.release.wait(max(0.0, self.deadline - time.monotonic()))

    def stop(self):
        self.release.set()
        for thread in self.threads:
            thread.join(timeout=5)
        self.listener.close()


@pytest.fixture
def redis_hung(monkeypatch):
    server = HungRedis().start()
    try:
        with override_settings(
            **project_redis_settings(monkeypatch, f"redis://127.0.0.1:{server.port}/0")
        ):
            yield server
    finally:
        server.stop()


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


def timed_get(client, url, **extra):
    started = time.monotonic()
    response = client.get(url, **extra)
    return response, time.monotonic() - started


def test_home_page_answers_in_time_while_redis_hangs(client, db, redis_hung, caplog):
    article = make_article(title="Readable while Redis hangs")
    publish_now(article)
    with caplog.at_level(logging.WARNING, logger="ketasite.cache"):
        response, seconds = timed_get(client, "/")
    assert redis_hung.accepted >= 1, "the site never tried the hung Redis"
    assert response.status_code == 200
    assert "Readable while Redis hangs" in response.content.decode()
    assert seconds < HUNG_ANSWER_SECONDS, f"the home page took {seconds:.1f}s"
    warnings = [r for r in caplog.records
                if r.name == "ketasite.cache" and r.levelno >= logging.WARNING]
    assert warnings, "the hung cache was not logged"


def test_article_page_and_api_answer_in_time_while_redis_hangs(client, db, redis_hung):
    article = make_article(title="Served although Redis hangs")
    publish_now(article)
    for url in (f"/articles/{article.slug}/", "/api/v1/articles/",
                f"/api/v1/articles/{article.slug}/"):
        response, seconds = timed_get(client, url)
        assert response.status_code == 200, url
        assert "Served although Redis hangs" in response.content.decode(), url
        assert seconds < HUNG_ANSWER_SECONDS, f"{url} took {seconds:.1f}s"
    assert redis_hung.accepted >= 1, "the site never tried the hung Redis"


def test_redis_timeouts_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("KETASITE_REDIS_CONNECT_TIMEOUT", "0.3")
    monkeypatch.setenv("KETASITE_REDIS_TIMEOUT", "1.5")
    options = project_redis_settings(monkeypatch, "redis://127.0.0.1:1/0")["CACHES"]["default"][
        "OPTIONS"]
    assert options["SOCKET_CONNECT_TIMEOUT"] == 0.3
    assert options["SOCKET_TIMEOUT"] == 1.5


@pytest.mark.parametrize("name", ["KETASITE_REDIS_CONNECT_TIMEOUT", "KETASITE_REDIS_TIMEOUT"])
def test_a_redis_timeout_of_zero_is_refused(monkeypatch, name):
    monkeypatch.setenv(name, "0")
    with pytest.raises(ImproperlyConfigured, match=name):
        project_redis_settings(monkeypatch, "redis://127.0.0.1:1/0")
