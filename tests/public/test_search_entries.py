"""PostgreSQL: the search reads a table holding the live publications and nothing else.

Whatever moves an article's live pointer or state (the workflow, a scheduled change, a
restore, a fixture that sets `live` by hand) changes the search table in the same transaction.
"""

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from articles import workflow
from articles.models import Publication, Revision, SearchEntry
from articles.publishing import rerender_publication
from public.search import search_page, search_publications
from tests.conftest import make_article, make_blocks, publish_now
from tests.reliability.test_backup_restore import build_site, flush_site, write_export

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search"),
]


def published(title, text):
    article = make_article(title=title, blocks=make_blocks(text))
    publish_now(article)
    return article


def new_draft(article, text):
    revision = Revision.objects.create(
        article=article, number=article.draft.number + 1, title=article.draft.title,
        summary=article.draft.summary, blocks=make_blocks(text),
    )
    article.draft = revision
    article.save(update_fields=["draft"])
    return article


def entries():
    return set(SearchEntry.objects.values_list("publication_id", flat=True))


def live_ids():
    return set(Publication.objects.live().values_list("pk", flat=True))


def found(query):
    return [p.article.slug for p in search_page(query, number=1, per_page=12).object_list]


def test_the_entries_are_exactly_the_live_publications_through_every_change(publisher):
    draft_only = make_article(title="Okapi draft", blocks=make_blocks("Okapi draft."))
    staying = published("Staying", "Okapi study one.")
    republished = published("Republished", "Okapi study two.")
    first = republished.live_id
    new_draft(republished, "Okapi study two, revised.")
    publish_now(republished)
    unpublished = published("Taken down", "Okapi study three.")
    workflow.unpublish(unpublished, actor=publisher, comment="Taken down.")
    archived = published("Archived", "Okapi study four.")
    workflow.archive(archived, actor=publisher, comment="Old.")
    restored = published("Restored", "Okapi study five.")
    workflow.archive(restored, actor=publisher, comment="Old.")
    workflow.restore(restored, actor=publisher, comment="Back as a draft.")

    assert draft_only.live_id is None
    assert entries() == live_ids() == {staying.live_id, republished.live_id}
    assert first not in entries()
    assert sorted(found("okapi")) == sorted([staying.slug, republished.slug])


def test_a_take_down_removes_the_entry_in_its_own_transaction(publisher):
    article = published("Axolotl", "Axolotl study.")
    with pytest.raises(RuntimeError), transaction.atomic():
        workflow.unpublish(article, actor=publisher, comment="Taken down.")
        # Inside the take-down's transaction, before it commits: already gone.
        assert not SearchEntry.objects.filter(article=article).exists()
        assert found("axolotl") == []
        raise RuntimeError("roll the take-down back")
    # Rolled back with it: the article is live and found again.
    assert SearchEntry.objects.filter(article=article).exists()
    assert found("axolotl") == [article.slug]

    workflow.unpublish(article, actor=publisher, comment="Taken down.")
    assert entries() == set()
    assert found("axolotl") == []


def test_a_superseded_publication_is_never_matched():
    article = published("Sleep", "Zebrafish sleep was measured.")
    old = article.live_id
    new_draft(article, "Quokka sleep was measured.")
    publish_now(article)
    assert SearchEntry.objects.get(article=article).publication_id == article.live_id != old
    assert found("zebrafish") == []
    assert search_page("zebrafish", number=1, per_page=12).paginator.count == 0
    assert found("quokka") == [article.slug]


def test_a_published_revision_in_a_new_draft_is_not_matched():
    article = published("Sleep", "Zebrafish sleep was measured.")
    new_draft(article, "Narwhal sleep was measured.")
    assert found("narwhal") == []
    assert found("zebrafish") == [article.slug]


def test_a_state_change_without_a_new_pointer_is_followed(publisher):
    # `live()` hides an unpublished or archived article even if `live` still pointed at a
    # publication: the entries follow the state as well as the pointer.
    article = published("Axolotl", "Axolotl study.")
    type(article).objects.filter(pk=article.pk).update(state="unpublished")
    assert entries() == live_ids() == set()
    type(article).objects.filter(pk=article.pk).update(state="published")
    assert entries() == live_ids() == {article.live_id}


def test_a_publication_whose_vector_changes_changes_its_entry():
    # As after a change of `KETASITE_SEARCH_CONFIG`: the stored vector is replaced, then
    # `rerender_publication` stores it again; the entry follows both times.
    article = published("Axolotl", "Axolotl study.")
    Publication.objects.filter(pk=article.live_id).update(search_vector=None)
    assert SearchEntry.objects.get(article=article).search_vector is None
    assert found("axolotl") == []
    rerender_publication(Publication.objects.get(pk=article.live_id))
    assert found("axolotl") == [article.slug]


def test_a_restored_site_is_searchable_and_the_export_carries_no_entries(db, tmp_path):
    article = build_site()
    path = write_export(tmp_path)
    assert '"articles.searchentry"' not in path.read_text()
    flush_site()

    call_command("import_site", str(path))

    assert entries() == live_ids() and len(entries()) == 1
    assert found("adhd") == [article.slug]


def test_the_api_search_reads_the_entries_too(client):
    article = published("Axolotl", "Axolotl study.")
    other = published("Quokka", "Quokka study.")
    response = client.get("/api/v1/articles/?q=axolotl")
    assert [item["slug"] for item in response.json()["results"]] == [article.slug]
    assert [p.article.slug for p in search_publications("quokka")] == [other.slug]
