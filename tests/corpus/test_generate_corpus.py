"""generate_corpus: every row is one the real code could have made (issue 15).

A corpus of 14 articles (one in each draft-side state, then published ones) with a few
annotations each, checked against the real functions: the publications against
`freeze_publication` run again on the same revision, the annotations against the anchoring,
the workflow log against the transitions' rules, the approvals against `approval_fingerprint`
and the gates, the public site against its own reads.
"""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from articles import corpus, workflow
from articles.approval import approval_fingerprint
from articles.blocks import block_text
from articles.models import Article, Publication, SearchEntry, WorkflowEvent
from evidence.anchoring import anchor_of, reanchor
from evidence.annotations import compute_anchor
from evidence.models import Annotation, RatingChange
from pagecache.generation import public_generation

ARTICLES = 14
PER_ARTICLE = 4
S = Article.State

# The log each final state must show, in order (the transitions' own actions).
EXPECTED_ACTIONS = {
    S.DRAFT: [["create"]],
    S.IN_REVIEW: [["create", "assign_reviewers", "submit"]],
    S.CHANGES_REQUESTED: [["create", "assign_reviewers", "submit", "request_changes"]],
    S.APPROVED: [["create", "assign_reviewers", "submit", "approve"]],
    S.PUBLISHED: [["create", "assign_reviewers", "submit", "approve", "publish"]],
    S.UNPUBLISHED: [["create", "assign_reviewers", "submit", "approve", "publish",
                     "unpublish"]],
    S.ARCHIVED: [["create", "archive"],
                 ["create", "assign_reviewers", "submit", "approve", "publish", "archive"]],
}


@pytest.fixture
def generated(db):
    before = public_generation()
    counts = corpus.generate(articles=ARTICLES, annotations_per_article=PER_ARTICLE, seed=7,
                             batch_size=5, sources=12)
    return counts, before


def test_every_state_is_there_with_the_log_its_transitions_write(generated):
    counts, _ = generated
    articles = list(Article.objects.order_by("pk"))
    assert len(articles) == ARTICLES == counts["article"]
    assert {a.state for a in articles} == set(S.values)
    for article in articles:
        events = list(WorkflowEvent.objects.filter(article=article).order_by("created_at", "pk"))
        actions = [e.action for e in events]
        assert actions in EXPECTED_ACTIONS[article.state], (article.state, actions)
        # A chain: each event starts where the last one ended, and ends in the article's state.
        assert events[0].from_state == "" and events[0].revision_id is None
        for before, after in zip(events, events[1:], strict=False):
            assert after.from_state == before.to_state
            assert after.created_at >= before.created_at
            assert after.revision_id == article.draft_id
        assert events[-1].to_state == article.state
        submitted = "submit" in actions
        assert article.review_assignments.exists() == submitted
        if submitted:
            # The submit gate held when it was submitted: reviewer, title, summary.
            assert workflow.submit_gate(article) == []
        published = "publish" in actions
        assert article.publications.exists() == published
        # Only a published article is live; an unpublished or archived one is taken down.
        assert (article.live_id is not None) == (article.state == S.PUBLISHED)
        if "approve" in actions:
            # What the approval pinned is what the real fingerprint reads now, and the
            # approve gate (every open passage rated, no orphan) is met.
            assert article.approval_fingerprint == approval_fingerprint(article)
            assert article.approved_by_id and article.approved_revision_id == article.draft_id
            assert workflow.approve_gate(article) == []
            # Four eyes: the approver wrote no revision of it.
            assert not article.revisions.filter(author_id=article.approved_by_id).exists()


def test_an_approved_draft_publishes_through_the_real_workflow(generated):
    article = Article.objects.get(state=S.APPROVED)
    publisher = next(e.actor for e in WorkflowEvent.objects.filter(action="publish")
                     .select_related("actor"))
    workflow.publish(article, actor=publisher)
    article.refresh_from_db()
    assert article.state == S.PUBLISHED and article.live_id


def test_publications_hold_what_the_real_publish_freezes(generated):
    """Each generated publication equals, field by field (the page and API bytes and, on
    PostgreSQL, the search vectors included), the one `freeze_publication` makes of the same
    revision at the same moment."""
    live = Publication.objects.live().count()
    assert live == Article.objects.filter(state=S.PUBLISHED).count() >= 5
    assert corpus.verify_sample(live) == []


def test_annotations_anchor_where_they_say_and_reanchor_to_themselves(generated):
    annotations = list(Annotation.objects.select_related("revision").order_by("pk"))
    assert len(annotations) == ARTICLES * PER_ARTICLE
    for annotation in annotations:
        blocks = annotation.revision.blocks
        block = next(b for b in blocks if b["id"] == annotation.block_id)
        assert block_text(block)[annotation.start:annotation.end] == annotation.exact
        assert compute_anchor(blocks, block_id=annotation.block_id, start=annotation.start,
                              end=annotation.end) == (
            annotation.block_id, annotation.start, annotation.end, annotation.exact,
            annotation.prefix, annotation.suffix)
        [placement] = reanchor(blocks, blocks, [anchor_of(annotation)])
        assert (placement.block_id, placement.start, placement.end, placement.exact) == (
            annotation.block_id, annotation.start, annotation.end, annotation.exact)
        # Each rating field set has its RatingChange row, as the service writes it.
        changes = dict(RatingChange.objects.filter(annotation=annotation)
                       .values_list("field", "new_value"))
        assert changes == {name: getattr(annotation, name)
                           for name in ("certainty", "verdict", "note")
                           if getattr(annotation, name)}


def test_texts_are_1_to_20_kb_and_the_site_shows_only_what_is_live(generated, client):
    counts, generation_before = generated
    for article in Article.objects.select_related("draft"):
        size = len("\n\n".join(block_text(b) for b in article.draft.blocks))
        assert 1_000 <= size <= 20_000, size
        response = client.get(f"/articles/{article.slug}/")
        if article.state == S.PUBLISHED:
            assert response.status_code == 200
            assert article.draft.title.split(" (")[0].encode()[:20] in response.content
        elif article.publications.exists():
            assert response.status_code == 410  # taken down
        else:
            assert response.status_code == 404  # never published: no page at all
    listed = client.get("/api/v1/articles/?page_size=100").json()
    assert listed["count"] == Article.objects.filter(state=S.PUBLISHED).count()
    # The public cache was purged at the end.
    assert public_generation() != generation_before
    if connection.vendor == "postgresql":
        assert set(SearchEntry.objects.values_list("article_id", flat=True)) == set(
            Article.objects.filter(state=S.PUBLISHED).values_list("pk", flat=True))
        assert not Publication.objects.filter(search_vector__isnull=True).exists()


@override_settings(DEBUG=False)
def test_refused_outside_debug_without_the_flag(db):
    with pytest.raises(CommandError) as refusal:
        call_command("generate_corpus", "--articles", "3", stdout=io.StringIO(),
                     stderr=io.StringIO())
    assert "--yes-this-is-a-test-database" in str(refusal.value)
    assert "\n" not in str(refusal.value)
    assert not Article.objects.exists()
    out = io.StringIO()
    call_command("generate_corpus", "--articles", "3", "--annotations-per-article", "2",
                 "--yes-this-is-a-test-database", stdout=out, stderr=io.StringIO())
    assert Article.objects.count() == 3
    assert "3 article" in out.getvalue()



def _vacuum_counts(tables):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT relname, vacuum_count FROM pg_stat_user_tables "
                       "WHERE relname = ANY(%s)", [list(tables)])
        return dict(cursor.fetchall())


@pytest.mark.postgres
def test_a_corpus_made_outside_a_transaction_is_vacuumed_as_autovacuum_would(transactional_db):
    """A bulk load leaves dead rows (publications and annotations are updated after their
    insert) and unmerged GIN pending lists that every search and tag read would scan, on a
    server whose autovacuum is off or behind: the command vacuums what it wrote."""
    tables = ("articles_publication", "evidence_annotation", "articles_searchentry",
              "articles_livetag")
    before = _vacuum_counts(tables)
    corpus.generate(articles=6, annotations_per_article=2, seed=3, batch_size=3, sources=4)
    after = _vacuum_counts(tables)
    for table in tables:
        assert after.get(table, 0) > before.get(table, 0), table
