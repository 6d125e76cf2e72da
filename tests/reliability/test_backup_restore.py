"""export_site / import_site: the whole site survives a round trip through one JSON file."""

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from articles.backup import CONTENT_APPS, export_document
from articles.models import (
    Article,
    ImportRecord,
    NotificationPreference,
    ReviewAssignment,
    ShareLink,
    WorkflowEvent,
)
from evidence.models import Annotation, Citation, RatingChange, ReviewComment, Source
from spotting.models import Dismissal
from tests.conftest import (
    make_annotation,
    make_article,
    make_blocks,
    make_user,
    publish_now,
    seed_path,
)

CLAIM = "Ketamine may help some adults with ADHD."


def build_site():
    """Create one of everything the export must carry, through the conftest helpers."""
    editor = make_user("Editors", username="eddie")
    reviewer = make_user("Reviewers", username="rita", first_name="Rita")
    publisher = make_user("Publishers", username="pat")
    source = Source.objects.create(
        pmid="12345678", title="A trial of ketamine", journal="J Trials", year=2021,
        design=Source.Design.RCT,
    )
    web_source = Source.objects.create(url="https://example.org/blog", title="A blog post")

    article = make_article(
        title="Ketamine and ADHD", author=editor, tags=["adhd", "ketamine"],
        blocks=make_blocks(CLAIM, "Nothing here is medical advice: ask a clinician."),
    )
    Citation.objects.create(revision=article.draft, source=source, number=1)
    annotation = make_annotation(
        article, block_id="p1", start=0, end=8, verdict="unsupported", certainty="very_low",
        note="No *trial* in adults with ADHD.", sources=[source, web_source],
    )
    RatingChange.objects.create(
        annotation=annotation, actor=reviewer, field="verdict", old_value="",
        new_value="unsupported",
    )
    ReviewComment.objects.create(annotation=annotation, author=reviewer, body="Source is thin.")
    ReviewAssignment.objects.create(
        article=article, reviewer=reviewer, assigned_by=editor, due=timezone.localdate(),
    )
    WorkflowEvent.objects.create(
        article=article, actor=editor, action="submit", from_state="draft",
        to_state="in_review", revision=article.draft, comment="Ready for review.",
    )
    publish_now(article, actor=publisher, change_note="First publication.")
    ImportRecord.objects.create(
        article=article, filename="adhd.txt", raw="Caf\u00e9 \u2013 ok".encode("cp1252")
        + b"\x00\xff", size=12, sha256="ab" * 32, encoding="cp1252", format="text",
        result=ImportRecord.Result.CREATED, report={"dropped": [{"text": "Call us", "reason":
        "promotional"}]}, created_by=editor,
    )
    ShareLink.objects.create(
        article=article, token_hash="cd" * 32, note="Dr. Expert", created_by=editor,
        expires_at=timezone.now() + timedelta(days=7),
    )
    NotificationPreference.objects.create(user=reviewer, email_enabled=False)
    # An editor's word that a sentence is not a claim is content; suggestions are derived.
    Dismissal.objects.create(article=article, sentence_hash="ef" * 32,
                             sentence="Nothing here is medical advice.", dismissed_by=editor)
    make_article(title="A second draft", author=editor)
    return article


def flush_site():
    """Empty every exported table (content, users) as a fresh database would be; groups stay,
    as `migrate` creates them."""
    models = [User]
    for app_label in CONTENT_APPS:
        models.extend(apps.get_app_config(app_label).get_models())
    tables = {model._meta.db_table for model in models}
    for model in models:
        tables.update(f.remote_field.through._meta.db_table for f in model._meta.local_many_to_many)
    # Plain DELETEs: foreign keys are checked at commit, and TRUNCATE is refused on PostgreSQL
    # while the test's transaction has pending constraint checks.
    with connection.cursor() as cursor:
        for table in sorted(tables):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")  # noqa: S608
    assert not Article.objects.exists() and not User.objects.exists()


def write_export(tmp_path, *options):
    path = tmp_path / "site.json"
    call_command("export_site", str(path), *options)
    return path


def write_export_without_frozen_addresses(tmp_path):
    """An export as made before publications froze their addresses: no `slug`, no
    `tag_slugs`."""
    path = write_export(tmp_path)
    document = json.loads(path.read_text())
    for row in document["models"]["articles.publication"]:
        del row["fields"]["slug"], row["fields"]["tag_slugs"]
    path.write_text(json.dumps(document))
    return path


def test_round_trip_restores_every_row_identically(db, tmp_path):
    build_site()
    before = export_document(with_passwords=True)["models"]
    path = write_export(tmp_path, "--with-passwords")
    flush_site()

    call_command("import_site", str(path), "--trust-accounts")

    after = export_document(with_passwords=True)["models"]
    assert json.dumps(after, sort_keys=True, default=str) == json.dumps(
        before, sort_keys=True, default=str
    )
    assert sum(len(rows) for rows in after.values()) > 20


def test_restored_site_serves_the_published_article(client, db, tmp_path):
    article = build_site()
    path = write_export(tmp_path)
    flush_site()

    call_command("import_site", str(path))

    response = client.get(f"/articles/{article.slug}/")
    assert response.status_code == 200
    assert "Ketamine and ADHD" in response.content.decode()


def test_export_has_the_documented_envelope(db, tmp_path):
    build_site()
    document = json.loads(write_export(tmp_path).read_text(encoding="utf-8"))
    assert document["format"] == "ketasite-export"
    assert document["version"] == 1
    assert document["exported_at"]
    for label in ["auth.user", "auth.group", "articles.article", "articles.revision",
                  "articles.publication", "articles.workflowevent", "articles.importrecord",
                  "articles.reviewassignment", "evidence.source", "evidence.citation",
                  "evidence.annotation", "evidence.ratingchange", "evidence.reviewcomment",
                  "taggit.tag", "taggit.taggeditem"]:
        assert document["models"][label], f"{label} is missing or empty"


def test_export_leaves_out_password_hashes_by_default(db, tmp_path):
    build_site()
    text = write_export(tmp_path).read_text(encoding="utf-8")
    users = json.loads(text)["models"]["auth.user"]
    assert users and all("password" not in row["fields"] for row in users)
    assert "md5$" not in text and "pbkdf2" not in text


def test_export_carries_the_w3c_form_of_annotations(db, tmp_path):
    build_site()
    document = json.loads(write_export(tmp_path).read_text(encoding="utf-8"))
    w3c = document["models"]["evidence.annotation"][0]["w3c"]
    assert w3c["type"] == "Annotation"
    quote, position = w3c["target"]["selector"]
    assert quote == {"type": "TextQuoteSelector", "exact": "Ketamine", "prefix": "",
                     "suffix": CLAIM[8:40]}
    # The position counts characters of the article's plain text: "Overview\n\n" comes first.
    assert (position["start"], position["end"]) == (10, 18)
    assert {"type": "TextualBody", "purpose": "classifying",
            "value": "verdict:unsupported"} in w3c["body"]


def test_import_record_bytes_survive_the_round_trip(db, tmp_path):
    build_site()
    raw = bytes(ImportRecord.objects.get().raw)
    path = write_export(tmp_path)
    flush_site()
    call_command("import_site", str(path))
    assert bytes(ImportRecord.objects.get().raw) == raw


def test_users_exported_without_passwords_get_unusable_ones(db, tmp_path):
    build_site()
    path = write_export(tmp_path)
    flush_site()
    call_command("import_site", str(path), "--trust-accounts")
    rita = User.objects.get(username="rita")
    assert not rita.has_usable_password()
    assert list(rita.groups.values_list("name", flat=True)) == ["Reviewers"]


def test_an_account_already_there_keeps_its_password(db, tmp_path):
    build_site()
    path = write_export(tmp_path)
    flush_site()
    operator = User.objects.create_user("eddie", password="operators-own-password")
    call_command("import_site", str(path), "--trust-accounts")
    operator.refresh_from_db()
    assert operator.check_password("operators-own-password")
    # A restore never changes an account that is already there, not even its groups
    # (issue 10, item 8): the file's "eddie" was in Editors, the operator's is not.
    assert not operator.groups.exists()
    assert User.objects.filter(username="eddie").count() == 1
    assert Article.objects.filter(created_by=operator).exists()


def test_new_rows_can_be_added_after_a_restore(db, tmp_path):
    build_site()
    highest = Article.objects.order_by("-pk").first().pk
    path = write_export(tmp_path)
    flush_site()
    call_command("import_site", str(path))
    assert make_article(title="After the restore").pk > highest
    assert Source.objects.create(title="New source").pk > 0


def test_import_refuses_a_database_that_has_articles(db, tmp_path):
    build_site()
    path = write_export(tmp_path)
    with pytest.raises(CommandError, match="already has content") as refused:
        call_command("import_site", str(path))
    assert "\n" not in str(refused.value)
    assert Article.objects.count() == 2


def test_import_refuses_a_file_that_is_not_an_export(db, tmp_path):
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"format": "something-else"}), encoding="utf-8")
    with pytest.raises(CommandError, match="not a ketasite export"):
        call_command("import_site", str(path))


def test_import_refuses_a_file_that_is_not_json(db, tmp_path):
    path = tmp_path / "broken.json"
    path.write_bytes(b"\xff\xfe not json")
    with pytest.raises(CommandError, match="not a JSON export"):
        call_command("import_site", str(path))


def test_import_refuses_a_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_site", str(tmp_path / "missing.json"))


def test_a_broken_row_restores_nothing(db, tmp_path):
    build_site()
    path = write_export(tmp_path)
    document = json.loads(path.read_text(encoding="utf-8"))
    # An annotation pointing at a revision that is not in the file.
    document["models"]["evidence.annotation"][0]["fields"]["revision"] = 999999
    path.write_text(json.dumps(document), encoding="utf-8")
    flush_site()
    groups_before = Group.objects.count()

    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("import_site", str(path))

    assert not Article.objects.exists()
    assert not Annotation.objects.exists()
    assert not User.objects.exists()
    assert Group.objects.count() == groups_before


def round_trip(tmp_path):
    """Export with passwords, empty the database, restore; return (before, after) rows."""
    before = export_document(with_passwords=True)["models"]
    path = write_export(tmp_path, "--with-passwords")
    flush_site()
    call_command("import_site", str(path), "--trust-accounts")
    return before, export_document(with_passwords=True)["models"]


@pytest.mark.seeds
def test_round_trip_of_the_five_imported_seeds(db, tmp_path):
    from articles.importing import import_paths

    editor = make_user("Editors", username="seed-editor")
    outcomes = import_paths(
        [seed_path(prefix) for prefix in ("000", "001", "002", "003", "004")],
        tags=["seed"], actor=editor,
    )
    assert [outcome.result for outcome in outcomes] == ["created"] * 5
    article = outcomes[0].article
    block = next(b for b in article.draft.blocks if len(b.get("text", "")) > 20)
    make_annotation(article, block_id=block["id"], start=0, end=20, verdict="mixed",
                    certainty="low", note="Checked against the cited sources.")
    publish_now(article, actor=editor)

    before, after = round_trip(tmp_path)

    assert len(after["articles.article"]) == 5
    assert len(after["articles.importrecord"]) == 5
    assert after == before


def test_round_trip_of_the_demo_content(db, tmp_path):
    from articles.importing import import_paths

    demo = Path(settings.BASE_DIR) / "demo"
    if not any(demo.glob("*.*")):
        pytest.skip("demo/ has no articles yet")
    outcomes = import_paths([demo], tags=["demo"])
    assert outcomes and all(outcome.result == "created" for outcome in outcomes)

    before, after = round_trip(tmp_path)

    assert len(after["articles.article"]) == len(outcomes)
    assert after == before


def test_a_restore_purges_the_public_pages_cached_before_it(
    client, db, tmp_path, django_capture_on_commit_callbacks
):
    build_site()
    path = write_export(tmp_path)
    flush_site()
    assert "Ketamine and ADHD" not in client.get("/").content.decode()  # cached, empty

    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_site", str(path))

    assert "Ketamine and ADHD" in client.get("/").content.decode()


def test_an_export_from_before_frozen_addresses_restores_them(client, db, tmp_path):
    """Publications in an older export have no `slug` or `tag_slugs`: they get the address
    they were served at, their article's slug, and their tags' pages."""
    article = build_site()
    path = write_export_without_frozen_addresses(tmp_path)
    flush_site()

    call_command("import_site", str(path))

    assert client.get(f"/articles/{article.slug}/").status_code == 200
    assert "Ketamine and ADHD" in client.get("/tags/adhd/").content.decode()
