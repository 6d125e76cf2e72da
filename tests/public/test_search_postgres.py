"""Full-text search on PostgreSQL: stemming, ranking, highlighted snippets, the stored vector."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles import workflow
from articles.models import Publication, Revision
from public import search
from public.search import search_page, search_publications
from tests.conftest import make_article, make_blocks, publish_now
from tests.scale.bulk import bulk_site

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgres,
]

PAGE_SIZE = 12  # the search page's size, as a reader sees it


def published(title, text, summary="A short summary."):
    article = make_article(title=title, summary=summary, blocks=make_blocks(text))
    publish_now(article)
    return article


def republish(article, *, title, text):
    """A new revision of `article`, published."""
    revision = Revision.objects.create(
        article=article, number=article.draft.number + 1, title=title,
        summary=article.draft.summary, blocks=make_blocks(text),
    )
    article.draft = revision
    article.save(update_fields=["draft"])
    return publish_now(article)


def slugs(query):
    return [p.article.slug for p in search_publications(query)]


def test_search_matches_other_forms_of_a_word():
    article = make_article(
        title="Infusion clinics", blocks=make_blocks("Several treatments were compared.")
    )
    publish_now(article)
    assert [p.article.slug for p in search_publications("treatment")] == [article.slug]


def test_a_match_in_the_title_ranks_above_one_in_the_text():
    in_text = make_article(
        title="Side effects", blocks=make_blocks("Some patients mention insomnia afterwards.")
    )
    in_title = make_article(
        title="Insomnia after ketamine", blocks=make_blocks("Sleep may change for a night.")
    )
    publish_now(in_text)
    publish_now(in_title)
    slugs = [p.article.slug for p in search_publications("insomnia")]
    assert slugs == [in_title.slug, in_text.slug]


def test_the_page_shows_results_ranked_title_then_summary_then_newest(client):
    older_in_text = published("Side effects", "Some patients mention insomnia afterwards.")
    in_summary = published("Sleep", "Sleep may change.", summary="Insomnia after a session.")
    newer_in_text = published("Aftercare", "A few describe insomnia for a night.")
    in_title = published("Insomnia after ketamine", "Sleep may change for a night.")
    html = client.get("/search/?q=insomnia").content.decode()
    positions = [html.index(f"/articles/{a.slug}/") for a in
                 (in_title, in_summary, newer_in_text, older_in_text)]
    assert positions == sorted(positions)


def test_every_page_of_a_capped_search_lists_title_then_summary_then_text_newest_first(
    monkeypatch, django_assert_num_queries
):
    # More matches than the cap: the first pages are read tier by tier in date order, the
    # pages after rank every match; both must give the one order a reader is promised.
    monkeypatch.setattr(search, "COUNT_CAP", 8)
    monkeypatch.setattr(search, "WALKED_RESULTS", 4)
    published_in_order = []  # oldest first, the tiers interleaved in time
    for number in range(3):
        published_in_order += [
            ("text", published(f"Aftercare {number}", "Some describe insomnia for a night.")),
            ("title", published(f"Insomnia {number}", "Sleep may change.")),
            ("summary", published(f"Sleep {number}", "Sleep may change.",
                                  summary="Insomnia after a session.")),
        ]
    newest_first = list(reversed(published_in_order))
    expected = [article.slug for tier in ("title", "summary", "text")
                for where, article in newest_first if where == tier][:8]
    shown = []
    for number in (1, 2, 3, 4):
        with django_assert_num_queries(2):
            page = search_page("insomnia", number=number, per_page=2)
        shown += [publication.article.slug for publication in page.object_list]
    assert page.paginator.capped and page.paginator.count == 8
    assert shown == expected


def test_a_title_that_matches_where_title_and_summary_do_not_is_listed_once(monkeypatch):
    # "okapi or zebra -bison": the title "Zebra" matches (zebra, no bison) but the title and
    # summary together do not (the summary says bison); the text matches through okapi.
    monkeypatch.setattr(search, "COUNT_CAP", 2)
    older = published("Grassland", "An okapi was seen.")
    newer = published("Savanna", "An okapi was seen again.")
    zebra = published("Zebra", "An okapi stood near.", summary="A bison herd.")
    page = search_page("okapi or zebra -bison", number=1, per_page=12)
    assert page.paginator.capped
    assert [p.article.slug for p in page.object_list] == [zebra.slug, newer.slug]
    assert older.slug not in [p.article.slug for p in page.object_list]


@pytest.mark.parametrize("query", [
    "insomnia",
    # A NOT answered by the text: "Zebra" over a summary of bison is in the title's tier
    # ("zebra -bison" in the title) and nowhere else; "Zebra at night" with bison in its
    # text does not match at all.
    "insomnia or zebra -bison",
    # A phrase: "Insomnia and" over "Relief tonight." matches it in the title and summary's
    # vector (the summary follows the title's last word there) and not in the text, where
    # "and" stands between the two words: it is no match.
    '"insomnia relief"',
])
def test_every_page_of_a_capped_search_is_the_whole_ranking_cut_into_pages(
    monkeypatch, django_assert_num_queries, query
):
    # Capped, every page is read tier by tier in date order; the text tier's first results
    # (WALKED_RESULTS) walk the date index and the rest come from the search vector's index.
    # Across that boundary the pages must list what ranking every match in one sort lists.
    monkeypatch.setattr(search, "COUNT_CAP", 12)
    monkeypatch.setattr(search, "WALKED_RESULTS", 4)
    for number in range(4):
        published(f"Aftercare {number}", "Some describe insomnia relief for a night.")
        published(f"Insomnia relief {number}", "Sleep may change.")
        published(f"Sleep {number}", "Sleep may change.", summary="Insomnia relief tonight.")
        published(f"Rest {number}", "Insomnia and relief.", summary="A bison herd.")
    published("Zebra", "An insomnia study.", summary="A bison herd.")
    published("Zebra at night", "A bison herd, and insomnia relief.")
    published("Insomnia and", "Sleep may change.", summary="Relief tonight.")
    whole_ranking = [p.article.slug for p in search_publications(query)][:12]
    shown = []
    for number in range(1, 7):
        with django_assert_num_queries(2):
            page = search_page(query, number=number, per_page=2)
        shown += [publication.article.slug for publication in page.object_list]
    assert page.paginator.capped and page.paginator.count == 12
    assert len(whole_ranking) == 12
    assert shown == whole_ranking


def test_the_snippet_marks_the_match_and_escapes_the_text(client):
    article = make_article(
        title="Dosing",
        blocks=make_blocks("<b>Dissociation</b> & nausea are common during dosing."),
    )
    publish_now(article)
    html = client.get("/search/?q=dissociation").content.decode()
    assert "<mark>Dissociation</mark>" in html
    assert "&amp; nausea" in html
    assert "<b>Dissociation" not in html


def _rows_through_headline(plan):
    """Return the rows that went through every plan node computing ts_headline."""
    rows = []

    def visit(node):
        if any("ts_headline" in output for output in node.get("Output", [])):
            rows.append(node["Actual Rows"] * node["Actual Loops"])
        for child in node.get("Plans", []):
            visit(child)

    visit(plan[0]["Plan"])
    return rows


def test_snippets_are_built_only_for_the_results_on_the_page():
    for number in range(20):
        published(f"Trial {number}", f"Esketamine was given in trial {number}.")
    with CaptureQueriesContext(connection) as queries:
        page = search_page("esketamine", number=2, per_page=PAGE_SIZE)
    assert page.paginator.count == 20 and len(page.object_list) == 8
    assert all("<mark>Esketamine</mark>" in result.snippet for result in page.object_list)
    [headline_sql] = [q["sql"] for q in queries.captured_queries if "ts_headline" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, VERBOSE, FORMAT JSON) {headline_sql}")
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    rows = _rows_through_headline(plan)
    assert rows, "no plan node computes the headline"
    assert max(rows) <= 8


@pytest.mark.parametrize("count", [3, 30])
def test_search_pages_cost_the_same_queries_however_many_match(
    client, django_assert_num_queries, count
):
    for number in range(count):
        published(f"Study {number}", "Ketamine and depression in adults.")
    for page in (1, 2):
        with django_assert_num_queries(2):
            response = client.get(f"/search/?q=ketamine+depression&page={page}")
        assert response.status_code == 200


def test_publishing_stores_the_vector_and_a_republish_replaces_it():
    article = published("Sleep", "Zebrafish sleep was measured.")
    assert slugs("zebrafish") == [article.slug]
    publication = republish(article, title="Sleep", text="Axolotl sleep was measured.")
    stored = Publication.objects.values_list("search_vector", flat=True).get(pk=publication.pk)
    assert "'axolotl'" in stored and "zebrafish" not in stored
    assert slugs("axolotl") == [article.slug]
    assert slugs("zebrafish") == []


def test_text_never_published_is_never_found(publisher):
    draft_only = make_article(title="Okapi draft", blocks=make_blocks("Okapi draft text."))
    unpublished = published("Okapi news", "Okapi study.")
    workflow.unpublish(unpublished, actor=publisher, comment="Taken down.")
    archived = published("Okapi archive", "Okapi archive study.")
    workflow.archive(archived, actor=publisher, comment="Old.")
    live = published("Quokka", "Quokka study.")
    revision = Revision.objects.create(
        article=live, number=2, title="Quokka", blocks=make_blocks("Okapi in a new draft."),
    )
    live.draft = revision
    live.save(update_fields=["draft"])
    assert draft_only.live_id is None
    assert slugs("okapi") == []
    assert slugs("quokka") == [live.slug]


def test_the_search_reads_the_gin_index():
    # A site of a few thousand articles, ANALYZEd as autovacuum would (bulk rows that match
    # nothing), with an index the size of its rows: on a table of a few rows the planner may
    # choose any plan, and the suite's flush (DELETE) leaves the index as big as an earlier
    # test made it (the generated corpus), which would decide the plan instead.
    for number in range(30):
        published(f"Study {number}", "Ketamine and depression in adults.")
    bulk_site(3000)
    with connection.cursor() as cursor:
        cursor.execute("REINDEX TABLE articles_searchentry")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = search_publications("ketamine depression").explain()
    assert "articles_searchentry_search_gin" in plan
    # The search page's two queries (the count, then the page) match through it too.
    with CaptureQueriesContext(connection) as queries:
        search_page("ketamine depression", number=1, per_page=PAGE_SIZE)
    assert len(queries.captured_queries) == 2
    for query in queries.captured_queries:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN {query['sql']}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "articles_searchentry_search_gin" in plan


def test_the_search_vector_has_no_statistics_so_the_index_is_read_even_for_common_words():
    # With statistics the planner sees that nearly every article matches "ketamine" and
    # scans the whole table, unpacking every article's vector; see the migration.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstattarget FROM pg_attribute "
            "WHERE attrelid = 'articles_searchentry'::regclass AND attname = 'search_vector'"
        )
        assert cursor.fetchone()[0] == 0
