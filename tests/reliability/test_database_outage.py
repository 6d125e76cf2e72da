"""The database going away mid-request answers 503 (never a traceback), and the site recovers."""

import logging
from unittest import mock
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.db import InterfaceError, OperationalError, connection
from django.http import JsonResponse
from django.test import Client
from django.urls import path

from articles.models import Article
from tests.conftest import make_article, publish_now


def lose_the_database(execute, sql, params, many, context):
    raise OperationalError("server closed the connection unexpectedly")


def count_articles(request):
    return JsonResponse({"articles": Article.objects.count()})


# A small URLconf for the API-shaped answer, independent of the real API's views.
urlpatterns = [path("api/v1/probe/", count_articles), path("probe/", count_articles)]


def test_home_page_answers_503_while_the_database_is_down(client, db):
    with connection.execute_wrapper(lose_the_database):
        response = client.get("/")
    assert response.status_code == 503
    text = response.content.decode()
    assert "We will be back in a moment" in text
    assert "Traceback" not in text and "OperationalError" not in text
    assert response.headers["Retry-After"] == "30"
    assert response.headers["Cache-Control"] == "no-store"


def test_503_page_keeps_the_security_headers(client, db):
    with connection.execute_wrapper(lose_the_database):
        response = client.get("/")
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_site_recovers_when_the_database_returns(client, db):
    article = make_article(title="Still here after the outage")
    publish_now(article)
    with connection.execute_wrapper(lose_the_database):
        assert client.get(f"/articles/{article.slug}/").status_code == 503
    response = client.get(f"/articles/{article.slug}/")
    assert response.status_code == 200
    assert "Still here after the outage" in response.content.decode()


def test_outage_is_logged_as_an_error(client, db, caplog):
    with (
        caplog.at_level(logging.ERROR, logger="ketasite.faults"),
        connection.execute_wrapper(lose_the_database),
    ):
        client.get("/")
    assert any("Database unavailable" in record.getMessage() for record in caplog.records)


@pytest.mark.urls("tests.reliability.test_database_outage")
def test_api_paths_answer_503_in_the_error_shape(client, db):
    with connection.execute_wrapper(lose_the_database):
        response = client.get("/api/v1/probe/")
    assert response.status_code == 503
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "service_unavailable"
    assert "try again" in body["detail"]
    assert response.headers["Retry-After"] == "30"


@pytest.mark.urls("tests.reliability.test_database_outage")
def test_a_closed_connection_also_answers_503(client, db):
    def closed(execute, sql, params, many, context):
        raise InterfaceError("connection already closed")

    with connection.execute_wrapper(closed):
        assert client.get("/probe/").status_code == 503
    assert client.get("/probe/").json() == {"articles": 0}


def test_real_api_list_answers_503_in_the_error_shape(client, db):
    with connection.execute_wrapper(lose_the_database):
        response = client.get("/api/v1/articles/")
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"


def wsgi_get(path):
    """GET `path` through Django's real WSGI handler, as gunicorn would: unlike the test
    client, this runs the request_started/finished signals that close broken connections."""
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path}
    setup_testing_defaults(environ)
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"] = int(status.split()[0])

    response = WSGIHandler()(environ, start_response)
    try:
        body = b"".join(response).decode()
    finally:
        response.close()
    return answer["status"], body


@pytest.mark.postgres
def test_terminated_postgres_connection_recovers(transactional_db):
    """Kill the site's PostgreSQL session from outside, as a restart or failover would; the
    next request either reconnects (health checks) or answers 503, and the one after it
    succeeds."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    import psycopg

    article = make_article(title="Survives a database restart")
    publish_now(article)
    url = f"/articles/{article.slug}/"
    cache.clear()
    assert wsgi_get(url)[0] == 200
    victim = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    dsn = {key: params[key] for key in ("host", "port", "user", "password", "dbname")
           if params.get(key)}
    with psycopg.connect(**dsn, autocommit=True) as killer:
        killed = killer.execute("SELECT pg_terminate_backend(%s)", [victim]).fetchone()[0]
    assert killed

    cache.clear()  # the anonymous page cache would answer without the database
    status, text = wsgi_get(url)
    assert status in (200, 503)
    assert "Traceback" not in text
    cache.clear()
    status, text = wsgi_get(url)
    assert status == 200
    assert "Survives a database restart" in text
    assert connection.connection.info.backend_pid != victim


def test_outage_met_in_a_middleware_answers_503(db):
    from django.contrib.sessions.middleware import SessionMiddleware

    client = Client(raise_request_exception=False)
    failing = mock.patch.object(
        SessionMiddleware, "process_response",
        side_effect=OperationalError("server closed the connection unexpectedly"),
    )
    with failing:
        response = client.get("/")
    assert response.status_code == 503
    assert "We will be back in a moment" in response.content.decode()
    assert client.get("/").status_code == 200


def test_other_errors_met_in_a_middleware_stay_500(db):
    from django.contrib.sessions.middleware import SessionMiddleware

    client = Client(raise_request_exception=False)
    with mock.patch.object(SessionMiddleware, "process_response", side_effect=ValueError("bug")):
        response = client.get("/api/v1/articles/")
    assert response.status_code == 500
    assert response.json()["code"] != "service_unavailable"
