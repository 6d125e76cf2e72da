from django.db import migrations, models

# The number of live publications, kept in one row by statement triggers on the search
# entries (one entry per live publication, migration 0007), in the same transaction. A
# statement trigger with its transition table adds a bulk insert's rows in one update. When the
# row is missing (a flush that deletes every table, in any order) the next change counts the
# entries once and starts again from there; a TRUNCATE of the entries removes it.
TRIGGERS = """
CREATE FUNCTION articles_livecount_add() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    delta bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT count(*) INTO delta FROM added;
    ELSE
        SELECT -count(*) INTO delta FROM removed;
    END IF;
    IF delta <> 0 THEN
        UPDATE articles_livecount SET live = live + delta WHERE id = 1;
        IF NOT FOUND THEN
            -- No row (a flush deleted it): count the entries once, this statement's included.
            INSERT INTO articles_livecount (id, live)
            SELECT 1, count(*) FROM articles_searchentry
            ON CONFLICT (id) DO NOTHING;
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION articles_livecount_clear() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM articles_livecount;
    RETURN NULL;
END
$$;

CREATE TRIGGER articles_livecount_insert
AFTER INSERT ON articles_searchentry REFERENCING NEW TABLE AS added
FOR EACH STATEMENT EXECUTE FUNCTION articles_livecount_add();

CREATE TRIGGER articles_livecount_delete
AFTER DELETE ON articles_searchentry REFERENCING OLD TABLE AS removed
FOR EACH STATEMENT EXECUTE FUNCTION articles_livecount_add();

CREATE TRIGGER articles_livecount_truncate
AFTER TRUNCATE ON articles_searchentry
FOR EACH STATEMENT EXECUTE FUNCTION articles_livecount_clear();
"""

DROP = """
DROP TRIGGER IF EXISTS articles_livecount_insert ON articles_searchentry;
DROP TRIGGER IF EXISTS articles_livecount_delete ON articles_searchentry;
DROP TRIGGER IF EXISTS articles_livecount_truncate ON articles_searchentry;
DROP FUNCTION IF EXISTS articles_livecount_add();
DROP FUNCTION IF EXISTS articles_livecount_clear();
"""


def triggers_and_count(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(TRIGGERS)
    schema_editor.execute(
        "INSERT INTO articles_livecount (id, live) SELECT 1, count(*) FROM articles_searchentry"
    )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    """The public list, flat at any size: the index its pages and cursors walk (newest first
    on the live entries), and the count of live publications kept by triggers
    (`LiveCount`). Why and the EXPLAIN: docs/scale.md."""

    dependencies = [
        ('articles', '0010_changelog_and_scheduled_note'),
    ]

    operations = [
        migrations.CreateModel(
            name='LiveCount',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, editable=False, primary_key=True, serialize=False)),
                ('live', models.BigIntegerField(default=0)),
            ],
        ),
        migrations.AddIndex(
            model_name='searchentry',
            index=models.Index(fields=['-published_at', '-publication'], name='searchentry_newest'),
        ),
        migrations.RunPython(triggers_and_count, drop_triggers),
    ]
