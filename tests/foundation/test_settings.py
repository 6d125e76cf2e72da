import os
import subprocess
import sys
from pathlib import Path

import pytest

from articles.models import Article
from tests.conftest import make_article

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, env_overrides, unset=()):
    env = {**os.environ, **env_overrides}
    for name in unset:
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )


def test_refuses_to_start_without_secret_key_when_debug_is_off():
    result = run_manage(
        "check", env_overrides={"DJANGO_DEBUG": "false"}, unset=["DJANGO_SECRET_KEY"]
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_deploy_check_is_clean_outside_debug():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        env_overrides={
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "a-long-random-production-like-key-" + "x7Kq" * 12,
            "DJANGO_ALLOWED_HOSTS": "ketasite.example",
            "KETASITE_TESTING": "false",
        },
        unset=["DJANGO_SECURE_SSL_REDIRECT"],
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_whitenoise_sits_right_after_security_middleware(settings):
    assert settings.MIDDLEWARE[:2] == [
        "django.middleware.security.SecurityMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
    ]


def test_published_queryset_excludes_drafts(db):
    draft = make_article()
    assert draft not in Article.objects.published()


@pytest.mark.postgres
def test_postgres_connections_run_without_jit(db):
    """A web query on a large table passes JIT's cost threshold and paid 0.5 s of compiling
    for 11 ms of work (the approval mail at 100,000 articles): connections turn it off."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


@pytest.mark.postgres
def test_jit_can_be_turned_back_on():
    code = ("import django; django.setup(); from django.conf import settings; "
            "print(settings.DATABASES['default'].get('OPTIONS', {}).get('options', ''))")
    on = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                        env={**os.environ, "KETASITE_POSTGRES_JIT": "true"}, timeout=60)
    off = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "KETASITE_POSTGRES_JIT": "false"}, timeout=60)
    assert "jit=off" not in on.stdout and on.returncode == 0, on.stderr
    assert "jit=off" in off.stdout, off.stderr
