"""export_site / import_site carry the claim registry: claims, their rating history, their
appearances (links to annotations, with the reviewers' confirmations), what publications
froze, open re-reviews and merges. A restored registry serves its claim pages and matches
passages (its search vectors rebuilt), and notes from the file are sanitised again."""

import json

import pytest
from django.core.management import call_command

from articles.backup import export_document
from articles.models import Article
from claims import services
from claims.matching import similar_claims
from claims.models import (
    Claim,
    ClaimLink,
    ClaimMerge,
    ClaimRating,
    PublishedAppearance,
    ReReview,
)
from jobs.models import Job
from spotting.models import SpottedRevision
from tests.claims.helpers import (
    STATEMENT,
    article_blocks,
    linked_article,
    rated_claim,
    unrated_passage,
)
from tests.conftest import make_article, make_user
from tests.reliability.test_backup_restore import flush_site, write_export

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
HANDLER = '<img src="x" onerror="alert(2)">'


def build_registry():
    editor = make_user("Editors", username="claims-editor")
    reviewer = make_user("Reviewers", username="claims-reviewer")
    claim = rated_claim(editor=editor, reviewer=reviewer)
    article, _annotations = linked_article(claim, editor=editor, reviewer=reviewer, passages=2)
    # A new rating: the live article is listed for re-review, and the history has two rows.
    claim = services.rate_claim(claim, actor=reviewer, expected_version=claim.version,
                                verdict="supported", certainty="high",
                                note="The label and the agency's list agree.")
    # A linked passage on a draft, not yet confirmed.
    draft = make_article(title="A draft that says it too",
                         blocks=article_blocks(1))
    services.link_annotation(unrated_passage(draft), claim=claim, actor=editor)
    # Two claims that turned out to be one.
    kept = rated_claim("Esketamine is approved for treatment-resistant depression.",
                       editor=editor, reviewer=reviewer)
    merged = rated_claim("The FDA approved esketamine for treatment-resistant depression.",
                         editor=editor, reviewer=reviewer)
    services.merge_claims(merged, into=kept, actor=reviewer)
    return claim, article


def counts():
    return {model.__name__: model.objects.count() for model in (
        Claim, ClaimRating, ClaimLink, PublishedAppearance, ReReview, ClaimMerge)}


def test_the_claim_registry_survives_a_round_trip(client, tmp_path,
                                                   django_capture_on_commit_callbacks):
    claim, article = build_registry()
    before_counts = counts()
    assert before_counts == {"Claim": 3, "ClaimRating": 4, "ClaimLink": 3,
                             "PublishedAppearance": 2, "ReReview": 1, "ClaimMerge": 1}
    before = export_document(with_passwords=True)["models"]
    path = write_export(tmp_path, "--with-passwords")
    flush_site()
    assert not Claim.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_site", str(path), "--trust-accounts")

    assert counts() == before_counts
    # Suggestions are derived, never in the file: a job spotted the restored drafts again.
    assert Job.objects.filter(kind="spotting").exists()
    drafts = Article.objects.exclude(draft=None).values_list("draft_id", flat=True)
    assert set(SpottedRevision.objects.values_list("revision_id", flat=True)) == set(drafts)
    after = export_document(with_passwords=True)["models"]
    for label in ("claims.claim", "claims.claimrating", "claims.claimlink",
                  "claims.publishedappearance", "claims.rereview", "claims.claimmerge"):
        assert json.dumps(after[label], sort_keys=True, default=str) == json.dumps(
            before[label], sort_keys=True, default=str), label
    link = ClaimLink.objects.filter(annotation__revision__article=article).first()
    assert link.confirmed_by.username == "claims-reviewer" and link.decision == "accepted"
    # The restored registry still matches a passage in other words (its vectors rebuilt).
    matches = similar_claims("The Food and Drug Administration has not approved ketamine "
                             "for ADHD.")
    assert matches and matches[0].key == claim.pk and matches[0].comparison.suggested
    page = client.get(f"/claims/{claim.slug}/")
    assert page.status_code == 200
    assert STATEMENT in page.content.decode()
    assert article.title in page.content.decode()


def test_a_script_in_a_claim_note_from_the_file_is_sanitised(client, tmp_path):
    claim, _article = build_registry()
    document = export_document()
    row = next(r for r in document["models"]["claims.claim"] if r["pk"] == claim.pk)
    row["fields"]["note_html"] = f"<p>Checked.</p>{SCRIPT}{HANDLER}"
    # A crafted match key cannot hide the claim from matching: it is derived again.
    row["fields"]["match_key"] = "nothing"
    flush_site()
    path = tmp_path / "crafted.json"
    path.write_text(json.dumps(document, default=str))

    call_command("import_site", str(path))

    restored = Claim.objects.get(pk=claim.pk)
    assert "<p>Checked.</p>" in restored.note_html
    assert "<script" not in restored.note_html and "onerror" not in restored.note_html
    assert restored.match_key != "nothing"
    page = client.get(f"/claims/{claim.slug}/").content.decode()
    assert "alert(1)" not in page and "onerror" not in page
