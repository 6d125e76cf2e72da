"""Many rows at once for the plan tests (PostgreSQL): articles, revisions and live
publications made by SQL in a few statements, so the planner sees a table big enough to
choose as it would on a large site. The rows are what the workflow leaves (a live article has
its draft revision and its live publication; the triggers write its search entry), without
the frozen pages, which no plan test reads.
"""

from django.db import connection

TAGS = ("depression", "adhd", "pain", "anxiety", "ptsd")


def bulk_site(count, *, annotations_per_article=0, events_per_article=0, states_every=10):
    """Add `count` articles, most of them live, every `states_every`-th in another state;
    return the first new article id. Then ANALYZE, as autovacuum would on a real site."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM articles_article")
        base = cursor.fetchone()[0] + 1
        cursor.execute(
            "SELECT COALESCE(MAX(id), 0) + 1 FROM articles_revision"
        )
        revision_base = cursor.fetchone()[0]
        cursor.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM articles_publication")
        publication_base = cursor.fetchone()[0]
        params = {"base": base, "n": count, "rb": revision_base, "pb": publication_base,
                  "every": states_every}
        cursor.execute(
            """
            INSERT INTO articles_article (id, uuid, slug, state, source_url, site_name,
                original_filename, origin_sha256, origin_key, is_promotional,
                approval_fingerprint, created_at, updated_at, scheduled_change_note)
            SELECT g, gen_random_uuid(), 'bulk-' || g,
                CASE WHEN g %% %(every)s = 0 THEN (ARRAY['draft', 'in_review',
                    'changes_requested', 'approved', 'unpublished', 'archived'])
                    [1 + (g / %(every)s) %% 6]
                ELSE 'published' END,
                '', '', '', '', '', false, '', now() - g * interval '1 minute',
                now() - g * interval '1 minute', ''
            FROM generate_series(%(base)s, %(base)s + %(n)s - 1) g
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO articles_revision (id, number, title, title_is_provisional, summary,
                blocks, message, created_at, article_id)
            SELECT %(rb)s + g - %(base)s, 1, 'Bulk article ' || g, false, 'Summary ' || g,
                '[{"id": "p1", "type": "paragraph", "text": "Ketamine and depression."}]',
                '', now() - g * interval '1 minute', g
            FROM generate_series(%(base)s, %(base)s + %(n)s - 1) g
            """,
            params,
        )
        cursor.execute(
            "UPDATE articles_article SET draft_id = %(rb)s + id - %(base)s WHERE id >= %(base)s",
            params,
        )
        cursor.execute(
            """
            INSERT INTO articles_publication (id, number, title, summary, tags, tag_slugs,
                blocks, body_html, annotations, sources, evidence_summary, public_json,
                search_text, change_note, changelog, reviewed_by, published_at,
                first_published_at, article_id, revision_id, api_detail_etag,
                api_detail_gzip, api_detail_json, api_item_json, page_checksums, page_digest,
                page_head_deflate, page_head_html, page_main_deflate, page_main_html, slug,
                shows_overdue_notice, trust, rating_changed)
            SELECT %(pb)s + a.id - %(base)s, 1, 'Bulk article ' || a.id, '',
                jsonb_build_array((ARRAY['depression', 'adhd', 'pain', 'anxiety', 'ptsd'])
                    [1 + a.id %% 5]),
                jsonb_build_array((ARRAY['depression', 'adhd', 'pain', 'anxiety', 'ptsd'])
                    [1 + a.id %% 5]),
                '[]', '', '[]', '[]', '{}', '{}', '', '', '[]', '[]',
                now() - a.id * interval '1 minute', now() - a.id * interval '1 minute', a.id,
                a.draft_id, '', '', '', convert_to('{"slug": "' || a.slug || '"}', 'UTF8'),
                '[0, 0]', '', '', '', '', '', a.slug, false, '{}', false
            FROM articles_article a
            WHERE a.id >= %(base)s AND a.state IN ('published', 'unpublished', 'archived')
            """,
            params,
        )
        # The search entries the triggers would write one article at a time, in one statement
        # (the article trigger is off meanwhile, inside the test's transaction).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks, for ALTER
        cursor.execute(
            "ALTER TABLE articles_article DISABLE TRIGGER articles_searchentry_article_update"
        )
        cursor.execute(
            """
            UPDATE articles_article a SET live_id = p.id, first_published_at = p.published_at,
                last_published_at = p.published_at
            FROM articles_publication p
            WHERE p.article_id = a.id AND a.id >= %(base)s AND a.state = 'published'
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO articles_searchentry (article_id, publication_id, published_at,
                search_vector, rank_vector)
            SELECT a.id, p.id, p.published_at, p.search_vector, p.rank_vector
            FROM articles_article a JOIN articles_publication p ON p.id = a.live_id
            WHERE a.id >= %(base)s AND a.state NOT IN ('unpublished', 'archived')
            """,
            params,
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "ALTER TABLE articles_article ENABLE TRIGGER articles_searchentry_article_update"
        )
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        if annotations_per_article:
            cursor.execute(
                """
                INSERT INTO evidence_annotation (block_id, start, "end", exact, prefix, suffix,
                    certainty, verdict, note, note_html, status, version, created_at,
                    modified_at, article_id, revision_id)
                SELECT 'p1', 0, 8, 'Ketamine', '', ' and', (ARRAY['high', 'moderate', 'low',
                    'very_low'])[1 + (a + k) %% 4], (ARRAY['supported', 'mixed', 'unsupported',
                    'misleading', 'contradicted'])[1 + (a * k) %% 5],
                    '', '', (ARRAY['open', 'resolved'])[1 + (a + k) %% 2], 1,
                    now() - (a * 10 + k) * interval '1 second',
                    now() - (a * 10 + k) * interval '1 second', a, %(rb)s + a - %(base)s
                FROM generate_series(%(base)s, %(base)s + %(n)s - 1) a,
                    generate_series(1, %(k)s) k
                """,
                {**params, "k": annotations_per_article},
            )
        if events_per_article:
            cursor.execute(
                """
                INSERT INTO articles_workflowevent (action, from_state, to_state, comment,
                    created_at, article_id)
                SELECT (ARRAY['import', 'submit', 'approve', 'publish'])[1 + k %% 4], '', '',
                    '', now() - (a * 4 + k) * interval '1 second', a
                FROM generate_series(%(base)s, %(base)s + %(n)s - 1) a,
                    generate_series(1, %(k)s) k
                """,
                {**params, "k": events_per_article},
            )
        cursor.execute(
            "ANALYZE articles_article, articles_revision, articles_publication,"
            " articles_searchentry, articles_livetag, articles_livetagcount,"
            " evidence_annotation, articles_workflowevent"
        )
    return base


def explain(sql, params=()):
    """Return PostgreSQL's plan of `sql` as text."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())
