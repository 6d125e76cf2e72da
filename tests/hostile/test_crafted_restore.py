"""import_site with a crafted export: restoring a file never grants a right (issue 10, item 8).

Each test starts from a real export of a small site (`build_site`, written by export_site
with password hashes), empties the database as a fresh one would be, adds the operator's own
accounts, tampers with the file the way an attacker would, and restores it.
"""

import base64
import copy
import gzip
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from articles.models import Article, NotificationPreference, Publication, ShareLink
from articles.preview import token_hash
from evidence.models import Annotation
from tests.reliability.test_backup_restore import build_site, flush_site

KNOWN_PASSWORD = "attackers-known-password"
SHARE_TOKEN = "attackers-known-share-token"
SCRIPT = '<script>alert("restored")</script>'
HANDLER = '<img src="x" onerror="alert(\'handler\')">'


@pytest.fixture
def exported(db, tmp_path):
    """Return (document, article slug): a real export of build_site, with password hashes,
    the database emptied afterwards and the operator's own account `eddie` created (the
    file has an `eddie` too)."""
    article = build_site()
    path = tmp_path / "real.json"
    call_command("export_site", str(path), "--with-passwords", stderr=StringIO())
    document = json.loads(path.read_text(encoding="utf-8"))
    flush_site()
    operator = User.objects.create_user(
        "eddie", email="eddie@operator.example", password="operators-own-password",
        first_name="Operator", is_staff=True,
    )
    operator.groups.add(Group.objects.get(name="Reviewers"))
    return document, article.slug


def restore(tmp_path, document, *options):
    """Run import_site on `document`; return the lines it wrote to standard error."""
    path = tmp_path / "crafted.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    stdout, stderr = StringIO(), StringIO()
    call_command("import_site", str(path), *options, stdout=stdout, stderr=stderr)
    assert stdout.getvalue().startswith("Restored ")
    return stderr.getvalue().splitlines()


def rows(document, label):
    return document["models"][label]


def user_row(document, username):
    return next(row for row in rows(document, "auth.user") if row["fields"]["username"] == username)


def account(username):
    """Everything about an account that grants or identifies: to compare before and after."""
    user = User.objects.get(username=username)
    return {
        "email": user.email, "first_name": user.first_name, "password": user.password,
        "is_superuser": user.is_superuser, "is_staff": user.is_staff, "is_active": user.is_active,
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "permissions": sorted(user.user_permissions.values_list("codename", flat=True)),
        "notification_preference": NotificationPreference.objects.filter(user=user).exists(),
    }


def group_permissions():
    return {
        group.name: sorted(group.permissions.values_list("codename", flat=True))
        for group in Group.objects.all()
    }


def signs_in(client, username, password):
    """Sign in through the admin's login form, as a person would; True when it worked."""
    client.post("/admin/login/", {"username": username, "password": password})
    return "_auth_user_id" in client.session


def with_mallory(document):
    """The file with a new account that asks for every right, with a known password."""
    crafted = copy.deepcopy(document)
    mallory = copy.deepcopy(user_row(crafted, "rita"))
    mallory["fields"].update(
        username="mallory", email="mallory@attacker.example", is_superuser=True,
        is_staff=True, password=make_password(KNOWN_PASSWORD),
        groups=[["Publishers"], ["Editors"]],
        user_permissions=[["delete_article", "articles", "article"],
                          ["change_user", "auth", "user"]],
    )
    rows(crafted, "auth.user").append(mallory)
    return crafted


@pytest.mark.parametrize("options", [(), ("--trust-accounts",)], ids=["default", "trusted"])
def test_a_file_cannot_change_an_existing_account(exported, tmp_path, options):
    document, _ = exported
    crafted = copy.deepcopy(document)
    user_row(crafted, "eddie")["fields"].update(
        email="eddie@attacker.example", first_name="Attacker", is_superuser=True,
        is_staff=True, password=make_password(KNOWN_PASSWORD), groups=[["Publishers"]],
        user_permissions=[["change_user", "auth", "user"]],
    )
    # A row naming the operator's account by id, under a new name, changes nothing either.
    renamed = copy.deepcopy(user_row(crafted, "rita"))
    renamed["pk"] = User.objects.get(username="eddie").pk
    renamed["fields"].update(username="eddie-renamed", is_superuser=True)
    rows(crafted, "auth.user").append(renamed)
    # The operator's notification preference is not the file's to set.
    rows(crafted, "articles.notificationpreference")[0]["fields"]["user"] = ["eddie"]
    before = account("eddie")

    lines = restore(tmp_path, crafted, *options)

    assert account("eddie") == before
    assert User.objects.get(username="eddie").check_password("operators-own-password")
    assert User.objects.filter(username="eddie-renamed").exists()
    assert any("existing account 'eddie'" in line for line in lines)
    assert any("notification preference" in line and "'eddie'" in line for line in lines)
    # The file's content that names eddie points to the operator's account.
    assert Article.objects.filter(created_by__username="eddie").exists()


def test_a_file_cannot_add_a_superuser_with_a_known_password(exported, tmp_path, client):
    document, _ = exported

    lines = restore(tmp_path, with_mallory(document))

    mallory = User.objects.get(username="mallory")
    assert not mallory.is_superuser
    assert not mallory.is_staff
    assert not mallory.user_permissions.exists()
    assert not mallory.groups.exists()
    assert not mallory.has_usable_password()
    assert not signs_in(client, "mallory", KNOWN_PASSWORD)
    [line] = [line for line in lines if "'mallory'" in line]
    for refused in ("superuser", "staff", "2 permission(s)", "'Publishers'", "'Editors'",
                    "password hash", "--trust-accounts"):
        assert refused in line


def test_trust_accounts_restores_flags_and_hashes_of_new_accounts(exported, tmp_path, client):
    document, _ = exported

    restore(tmp_path, with_mallory(document), "--trust-accounts")

    mallory = User.objects.get(username="mallory")
    assert mallory.is_superuser and mallory.is_staff
    assert mallory.check_password(KNOWN_PASSWORD)
    assert sorted(mallory.groups.values_list("name", flat=True)) == ["Editors", "Publishers"]
    assert sorted(mallory.user_permissions.values_list("codename", flat=True)) == [
        "change_user", "delete_article",
    ]
    rita = User.objects.get(username="rita")
    assert rita.check_password("pw-for-tests-only")
    assert signs_in(client, "mallory", KNOWN_PASSWORD)


@pytest.mark.parametrize("options", [(), ("--trust-accounts",)], ids=["default", "trusted"])
def test_a_file_cannot_rewrite_a_groups_permissions(exported, tmp_path, options):
    document, _ = exported
    crafted = copy.deepcopy(document)
    editors = next(row for row in rows(crafted, "auth.group") if row["fields"]["name"] == "Editors")
    editors["fields"]["permissions"] = [
        ["publish_article", "articles", "article"], ["change_user", "auth", "user"],
        ["delete_user", "auth", "user"],
    ]
    before = group_permissions()

    lines = restore(tmp_path, crafted, *options)

    assert group_permissions() == before
    assert any("group 'Editors'" in line and "permissions" in line for line in lines)


def test_a_group_the_database_lacks_is_created_only_with_trust(exported, tmp_path):
    document, _ = exported
    crafted = copy.deepcopy(document)
    rows(crafted, "auth.group").append({
        "model": "auth.group",
        "fields": {"name": "Backdoor", "permissions": [["change_user", "auth", "user"]]},
    })
    user_row(crafted, "rita")["fields"]["groups"].append(["Backdoor"])

    lines = restore(tmp_path, crafted)

    assert not Group.objects.filter(name="Backdoor").exists()
    assert not User.objects.get(username="rita").groups.exists()
    assert any("group 'Backdoor'" in line for line in lines)


@pytest.mark.parametrize("options", [(), ("--trust-accounts",)], ids=["default", "trusted"])
def test_share_links_from_the_file_need_trust(exported, tmp_path, client, options):
    document, slug = exported
    crafted = copy.deepcopy(document)
    link = rows(crafted, "articles.sharelink")[0]
    link["fields"].update(
        token_hash=token_hash(SHARE_TOKEN),
        expires_at=(timezone.now() + timedelta(days=30)).isoformat(),
    )

    lines = restore(tmp_path, crafted, *options)

    response = client.get(f"/shared/{SHARE_TOKEN}/")
    if options:
        assert ShareLink.objects.count() == 1
        assert response.status_code == 200
    else:
        assert not ShareLink.objects.exists()
        assert response.status_code == 404
        [line] = [line for line in lines if "share link" in line]
        assert repr(slug) in line and "--trust-accounts" in line


def _crafted_notes(document):
    crafted = copy.deepcopy(document)
    note_html = f"<p>Checked.</p>{SCRIPT}{HANDLER}"
    rows(crafted, "evidence.annotation")[0]["fields"]["note_html"] = note_html
    publication = rows(crafted, "articles.publication")[0]["fields"]
    for frozen in (publication["annotations"], publication["public_json"]["annotations"]):
        frozen[0]["note_html"] = note_html
    return crafted


def _crafted_stored_page(document):
    crafted = copy.deepcopy(document)
    publication = rows(crafted, "articles.publication")[0]["fields"]
    publication["body_html"] = f"<p>Served as stored</p>{SCRIPT}"
    publication["public_json"]["body_html"] = publication["body_html"]
    for name in ("page_head_html", "page_main_html", "api_detail_json", "api_item_json"):
        stored = base64.b64decode(publication[name])
        publication[name] = base64.b64encode(stored.replace(b"</", SCRIPT.encode() + b"</", 1)
                                             ).decode()
    return crafted


def public_responses(client, slug):
    """The article page (plain and gzip), its API detail and its annotation, as text."""
    page = client.get(f"/articles/{slug}/")
    assert page.status_code == 200
    zipped = client.get(f"/articles/{slug}/", headers={"accept-encoding": "gzip"})
    assert zipped.status_code == 200 and zipped["Content-Encoding"] == "gzip"
    api = client.get(f"/api/v1/articles/{slug}/")
    assert api.status_code == 200
    annotation = client.get(f"/api/v1/annotations/{Annotation.objects.get().pk}/")
    assert annotation.status_code == 200
    return [page.content.decode(), gzip.decompress(zipped.content).decode(),
            api.content.decode(), annotation.content.decode()]


def test_a_script_in_a_note_does_not_reach_the_page(exported, tmp_path, client):
    document, slug = exported

    restore(tmp_path, _crafted_notes(document))

    for text in public_responses(client, slug):
        assert "Checked." in text
        assert "alert(" not in text
        assert "onerror" not in text
    assert "<script" not in Annotation.objects.get().note_html
    assert "onerror" not in Annotation.objects.get().note_html


def test_stored_html_from_the_file_is_not_served(exported, tmp_path, client):
    document, slug = exported

    lines = restore(tmp_path, _crafted_stored_page(document))

    for text in public_responses(client, slug):
        assert "alert(" not in text
        assert "Served as stored" not in text
    assert "Ketamine and ADHD" in public_responses(client, slug)[0]
    assert any("frozen content" in line for line in lines)


@pytest.mark.parametrize("trick", ["changed values", "duplicate keys"])
def test_api_documents_from_the_file_are_not_served(exported, tmp_path, client, trick):
    document, slug = exported
    crafted = copy.deepcopy(document)
    publication = rows(crafted, "articles.publication")[0]["fields"]
    for name in ("api_detail_json", "api_item_json"):
        stored = base64.b64decode(publication[name])
        if trick == "changed values":
            data = json.loads(stored)
            data["title"] = "Injected title"
            data.setdefault("body_html", "")
            data["body_html"] += SCRIPT
            stored = json.dumps(data).encode()
        else:
            # Python's parser keeps the last "title", other readers the first.
            stored = b'{"title":"Injected title",' + stored[1:]
        publication[name] = base64.b64encode(stored).decode()

    lines = restore(tmp_path, crafted)

    for url in (f"/api/v1/articles/{slug}/", "/api/v1/articles/"):
        for headers in ({}, {"accept-encoding": "gzip"}):
            response = client.get(url, headers=headers)
            assert response.status_code == 200
            body = response.content
            if response.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            assert b"Injected title" not in body
            assert b"alert(" not in body
    assert any("frozen content" in line for line in lines)


def test_a_genuine_export_restores_its_pages_without_a_warning(exported, tmp_path, client):
    document, slug = exported
    lines = restore(tmp_path, document, "--trust-accounts")
    assert not [line for line in lines if "frozen content" in line]
    assert "Ketamine and ADHD" in public_responses(client, slug)[0]


def test_each_refusal_is_one_line_and_the_restore_succeeds(exported, tmp_path):
    document, _ = exported
    crafted = with_mallory(_crafted_stored_page(document))
    user_row(crafted, "mallory")["fields"]["username"] = "mallory\nRestored everything."

    lines = restore(tmp_path, crafted)

    assert Article.objects.count() == 2
    assert len([line for line in lines if "mallory" in line]) == 1
    assert "Restored everything." not in [line.strip() for line in lines]


def test_a_failed_restore_leaves_the_database_as_it_was(exported, tmp_path):
    document, _ = exported
    crafted = with_mallory(document)
    # Breaks only when the publication is rendered again, after every row is in.
    rows(crafted, "articles.publication")[0]["fields"]["sources"] = [{"no": "number"}]
    before = account("eddie"), group_permissions(), User.objects.count()

    with pytest.raises(CommandError, match="nothing was changed"):
        restore(tmp_path, crafted)

    assert (account("eddie"), group_permissions(), User.objects.count()) == before
    assert not User.objects.filter(username="mallory").exists()
    assert not Article.objects.exists()
    assert not Publication.objects.exists()


def test_a_script_in_a_dual_review_note_is_sanitised_on_restore(exported, tmp_path):
    from evidence.models import ConsensusRating, ReviewerRating

    document, _ = exported
    crafted = copy.deepcopy(document)
    annotation = rows(crafted, "evidence.annotation")[0]
    reviewer = next(row for row in rows(crafted, "auth.user"))["fields"]["username"]
    note = {"note": "Checked.", "note_html": f"<p>Checked.</p>{SCRIPT}{HANDLER}"}
    crafted["models"]["evidence.reviewerrating"] = [{
        "model": "evidence.reviewerrating", "pk": 1, "fields": {
            "annotation": annotation["pk"], "reviewer": [reviewer], "certainty": "low",
            "verdict": "mixed", "created_at": "2026-03-01T00:00:00Z", **note,
        },
    }]
    crafted["models"]["evidence.consensusrating"] = [{
        "model": "evidence.consensusrating", "pk": 1, "fields": {
            "annotation": annotation["pk"], "settled_by": [reviewer], "certainty": "low",
            "verdict": "mixed", "resolution": "raters", "created_at": "2026-03-01T00:00:00Z",
            **note,
        },
    }]

    restore(tmp_path, crafted)

    for model in (ReviewerRating, ConsensusRating):
        restored = model.objects.get().note_html
        assert "Checked." in restored
        assert "<script" not in restored and "onerror" not in restored
