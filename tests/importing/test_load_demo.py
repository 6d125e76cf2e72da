"""`manage.py load_demo`: demo accounts and articles, idempotent, passwords only in DEBUG."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from articles.models import Article
from evidence.models import Citation

pytestmark = pytest.mark.django_db


def load_demo():
    out = io.StringIO()
    call_command("load_demo", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_load_demo_creates_accounts_in_their_groups():
    load_demo()
    assert list(User.objects.get(username="editor").groups.values_list("name", flat=True)) \
        == ["Editors"]
    assert User.objects.get(username="reviewer").groups.filter(name="Reviewers").exists()
    assert User.objects.get(username="publisher").groups.filter(name="Publishers").exists()
    assert User.objects.get(username="admin").is_superuser


def test_load_demo_imports_the_demo_articles_with_sources():
    load_demo()
    assert Article.objects.count() == 4
    assert all(a.draft.blocks for a in Article.objects.select_related("draft"))
    assert Citation.objects.count() >= 8
    assert set(Article.objects.first().tags.names()) == {"demo"}


def test_load_demo_twice_changes_nothing():
    load_demo()
    counts = (User.objects.count(), Article.objects.count(), Citation.objects.count())
    output = load_demo()
    assert (User.objects.count(), Article.objects.count(), Citation.objects.count()) == counts
    assert "already exist" in output
    assert output.count("unchanged") == 4


def test_passwords_are_hidden_when_debug_is_off(settings, monkeypatch):
    settings.DEBUG = False
    monkeypatch.setenv("KETASITE_DEMO_PASSWORD", "demo-password-for-tests")
    output = load_demo()
    assert "demo-password-for-tests" not in output
    assert "not shown" in output
    assert User.objects.get(username="editor").check_password("demo-password-for-tests")


def test_passwords_are_printed_when_debug_is_on(settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.delenv("KETASITE_DEMO_PASSWORD", raising=False)
    output = load_demo()
    line = next(line for line in output.splitlines() if line.strip().startswith("reviewer"))
    password = line.split()[-1]
    assert User.objects.get(username="reviewer").check_password(password)
