"""Security headers on every kind of page, and the production cookie and HTTPS settings."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from tests.conftest import make_article

ROOT = Path(__file__).resolve().parents[2]


def csp_directives(response):
    header = response.headers.get("Content-Security-Policy", "")
    assert header, "no Content-Security-Policy header"
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def assert_strict_csp(response):
    header = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in header
    assert "unsafe-eval" not in header
    directives = csp_directives(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]


def assert_security_headers(response):
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert_strict_csp(response)


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.org", "pw-for-tests-only")


def test_home_page_has_strict_csp_and_security_headers(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert_security_headers(response)


def test_admin_login_page_has_strict_csp_and_security_headers(client, db):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 200
    assert_security_headers(response)


def test_admin_index_has_strict_csp_when_logged_in(client, superuser):
    client.force_login(superuser)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert_security_headers(response)


@pytest.mark.parametrize(
    "url_name", ["admin:auth_user_changelist", "admin:articles_article_changelist"]
)
def test_admin_changelist_has_strict_csp(client, superuser, url_name):
    make_article(author=superuser)
    client.force_login(superuser)
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert_security_headers(response)


def test_admin_change_form_has_strict_csp(client, superuser):
    client.force_login(superuser)
    response = client.get(reverse("admin:auth_user_change", args=[superuser.pk]))
    assert response.status_code == 200
    assert_security_headers(response)


def test_admin_article_change_form_has_strict_csp(client, superuser):
    article = make_article(author=superuser)
    client.force_login(superuser)
    response = client.get(reverse("admin:articles_article_change", args=[article.pk]))
    assert response.status_code == 200
    assert_security_headers(response)


def test_api_docs_have_strict_csp(client, db):
    response = client.get("/api/docs/")
    if response.status_code == 404:
        pytest.skip("/api/docs/ is not routed yet")
    assert response.status_code == 200
    assert_security_headers(response)


def test_api_answer_has_strict_csp(client, db):
    response = client.get("/api/v1/articles/")
    assert response.status_code == 200
    assert_security_headers(response)


def test_not_found_page_has_strict_csp(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert_security_headers(response)


def test_hsts_is_sent_over_https(client, db):
    response = client.get("/", secure=True)
    hsts = response.headers["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts
    assert "includeSubDomains" in hsts


def test_session_cookie_is_httponly_and_samesite_lax(client, superuser):
    response = client.post(
        reverse("admin:login"), {"username": "root", "password": "pw-for-tests-only"}
    )
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_csrf_cookie_is_samesite_lax(client, db):
    client.get(reverse("admin:login"))
    assert client.cookies["csrftoken"]["samesite"] == "Lax"


def production_settings(**env):
    """Return the security settings as a production start (DEBUG off) would have them."""
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({name: getattr(s, name, None) for name in ["
        "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', "
        "'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', "
        "'SECURE_PROXY_SSL_HEADER', 'X_FRAME_OPTIONS']}))"
    )
    base = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ketasite.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "a-long-random-production-like-key-" + "x7Kq" * 12,
        "DJANGO_ALLOWED_HOSTS": "ketasite.example",
        "KETASITE_TESTING": "false",
        **env,
    }
    base.pop("DJANGO_SECURE_SSL_REDIRECT", None)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=base, capture_output=True, text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_cookies_are_secure_and_https_is_enforced():
    values = production_settings()
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"


def test_proxy_ssl_header_is_trusted_only_when_configured():
    assert production_settings()["SECURE_PROXY_SSL_HEADER"] is None
    configured = production_settings(DJANGO_SECURE_PROXY_SSL_HEADER="true")
    assert configured["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_a_nul_character_in_the_query_string_is_a_plain_400(client, db):
    api = client.get("/api/v1/editorial/sources/?q=a%00b")
    assert api.status_code == 400
    assert api.json()["code"] == "invalid"
    page = client.get("/search/?q=a%00b")
    assert page.status_code == 400
