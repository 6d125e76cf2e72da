"""The tag pages, flat at any size: a row for each tag of each live publication (`LiveTag`)
in the order a tag page reads it, and each tag's live count (`LiveTagCount`), both kept by
triggers in the transaction that adds or removes a search entry. Why and the EXPLAIN:
docs/scale.md ("Home, tag page and feed")."""

import django.db.models.deletion
from django.db import migrations, models

# A search entry is one live publication (migration 0007); its tags are the publication's
# frozen `tag_slugs`. The entry's statement triggers add or remove the tag rows; the tag rows'
# statement triggers move each tag's count by as many rows as the statement added or removed.
# A count row that is missing (a flush that deletes every table, in any order) is started
# again from a count of the tag's rows, which includes this statement's; a concurrent
# transaction that started it first is added to instead (ON CONFLICT ... DO UPDATE), so no
# change is lost. Tags are counted in slug order, after the one LiveCount row every change of
# an entry updates first (its trigger's name sorts first), so concurrent publishes take the
# locks in one order.
TRIGGERS = """
CREATE FUNCTION articles_livetag_add() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO articles_livetag (tag_slug, published_at, publication_id)
    SELECT DISTINCT tag.slug, e.published_at, e.publication_id
    FROM added e
    JOIN articles_publication p ON p.id = e.publication_id
    CROSS JOIN LATERAL jsonb_array_elements_text(
        CASE WHEN jsonb_typeof(p.tag_slugs) = 'array' THEN p.tag_slugs ELSE '[]' END
    ) AS tag(slug);
    RETURN NULL;
END
$$;

CREATE FUNCTION articles_livetag_remove() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM articles_livetag t USING removed e WHERE t.publication_id = e.publication_id;
    RETURN NULL;
END
$$;

CREATE FUNCTION articles_livetag_clear() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM articles_livetag;
    RETURN NULL;
END
$$;

CREATE FUNCTION articles_livetagcount_move(tag text, delta bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE articles_livetagcount SET live = live + delta WHERE tag_slug = tag;
    IF NOT FOUND THEN
        INSERT INTO articles_livetagcount AS c (tag_slug, live)
        SELECT tag, count(*) FROM articles_livetag WHERE tag_slug = tag
        ON CONFLICT (tag_slug) DO UPDATE SET live = c.live + delta;
    END IF;
END
$$;

CREATE FUNCTION articles_livetagcount_add() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed record;
BEGIN
    IF TG_OP = 'INSERT' THEN
        FOR changed IN
            SELECT tag_slug, count(*) AS delta FROM added GROUP BY tag_slug ORDER BY tag_slug
        LOOP
            PERFORM articles_livetagcount_move(changed.tag_slug, changed.delta);
        END LOOP;
    ELSE
        FOR changed IN
            SELECT tag_slug, -count(*) AS delta FROM removed GROUP BY tag_slug ORDER BY tag_slug
        LOOP
            PERFORM articles_livetagcount_move(changed.tag_slug, changed.delta);
        END LOOP;
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION articles_livetagcount_clear() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM articles_livetagcount;
    RETURN NULL;
END
$$;

CREATE TRIGGER articles_livetag_insert
AFTER INSERT ON articles_searchentry REFERENCING NEW TABLE AS added
FOR EACH STATEMENT EXECUTE FUNCTION articles_livetag_add();

CREATE TRIGGER articles_livetag_delete
AFTER DELETE ON articles_searchentry REFERENCING OLD TABLE AS removed
FOR EACH STATEMENT EXECUTE FUNCTION articles_livetag_remove();

CREATE TRIGGER articles_livetag_truncate
AFTER TRUNCATE ON articles_searchentry
FOR EACH STATEMENT EXECUTE FUNCTION articles_livetag_clear();

CREATE TRIGGER articles_livetagcount_insert
AFTER INSERT ON articles_livetag REFERENCING NEW TABLE AS added
FOR EACH STATEMENT EXECUTE FUNCTION articles_livetagcount_add();

CREATE TRIGGER articles_livetagcount_delete
AFTER DELETE ON articles_livetag REFERENCING OLD TABLE AS removed
FOR EACH STATEMENT EXECUTE FUNCTION articles_livetagcount_add();

CREATE TRIGGER articles_livetagcount_truncate
AFTER TRUNCATE ON articles_livetag
FOR EACH STATEMENT EXECUTE FUNCTION articles_livetagcount_clear();
"""

DROP = """
DROP TRIGGER IF EXISTS articles_livetag_insert ON articles_searchentry;
DROP TRIGGER IF EXISTS articles_livetag_delete ON articles_searchentry;
DROP TRIGGER IF EXISTS articles_livetag_truncate ON articles_searchentry;
DROP TRIGGER IF EXISTS articles_livetagcount_insert ON articles_livetag;
DROP TRIGGER IF EXISTS articles_livetagcount_delete ON articles_livetag;
DROP TRIGGER IF EXISTS articles_livetagcount_truncate ON articles_livetag;
DROP FUNCTION IF EXISTS articles_livetag_add();
DROP FUNCTION IF EXISTS articles_livetag_remove();
DROP FUNCTION IF EXISTS articles_livetag_clear();
DROP FUNCTION IF EXISTS articles_livetagcount_add();
DROP FUNCTION IF EXISTS articles_livetagcount_clear();
DROP FUNCTION IF EXISTS articles_livetagcount_move(text, bigint);
"""

# The entry follows its publication's tags too: a live publication's `tag_slugs` are written
# after it is inserted when a restore fills an older export's addresses
# (`articles.publishing.fill_missing_addresses`); the entry is then made again, and its tag
# rows with it. The trigger of migration 0007, with `tag_slugs` added.
FOLLOW_PUBLICATION = """
DROP TRIGGER articles_searchentry_publication_update ON articles_publication;
CREATE TRIGGER articles_searchentry_publication_update
AFTER UPDATE OF search_vector, rank_vector, published_at, article_id{columns}
ON articles_publication
FOR EACH ROW WHEN (
    OLD.search_vector IS DISTINCT FROM NEW.search_vector
    OR OLD.rank_vector IS DISTINCT FROM NEW.rank_vector
    OR OLD.published_at IS DISTINCT FROM NEW.published_at
    OR OLD.article_id IS DISTINCT FROM NEW.article_id{conditions}
)
EXECUTE FUNCTION articles_searchentry_follow_publication();
"""


def triggers_and_rows(apps, schema_editor):
    """On PostgreSQL: the triggers, then the tag rows of today's entries (whose statement
    trigger counts each tag)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(TRIGGERS)
    schema_editor.execute(FOLLOW_PUBLICATION.format(
        columns=", tag_slugs", conditions="\n    OR OLD.tag_slugs IS DISTINCT FROM NEW.tag_slugs",
    ))
    schema_editor.execute(
        """
        INSERT INTO articles_livetag (tag_slug, published_at, publication_id)
        SELECT DISTINCT tag.slug, e.published_at, e.publication_id
        FROM articles_searchentry e
        JOIN articles_publication p ON p.id = e.publication_id
        CROSS JOIN LATERAL jsonb_array_elements_text(
            CASE WHEN jsonb_typeof(p.tag_slugs) = 'array' THEN p.tag_slugs ELSE '[]' END
        ) AS tag(slug)
        ORDER BY 1, 2, 3
        """
    )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(DROP)
    schema_editor.execute(FOLLOW_PUBLICATION.format(columns="", conditions=""))


class Migration(migrations.Migration):

    dependencies = [
        ("articles", "0013_list_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="LiveTagCount",
            fields=[
                ("tag_slug", models.TextField(primary_key=True, serialize=False)),
                ("live", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name="LiveTag",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("tag_slug", models.TextField()),
                ("published_at", models.DateTimeField()),
                ("publication", models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE, related_name="+",
                    to="articles.publication")),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("tag_slug", "published_at", "publication"),
                                            name="livetag_newest"),
                ],
            },
        ),
        migrations.RunPython(triggers_and_rows, drop_triggers),
    ]
