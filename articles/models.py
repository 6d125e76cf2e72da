"""Articles, their immutable revisions, what was published, and the audit log.

Models hold data and invariants. Every change of state goes through the functions in
`articles/workflow.py`; imports go through `articles/importing/`.
"""

import json
import uuid
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.search import SearchVectorField
from django.db import connection, connections, models
from django.db.models import Exists, OuterRef, Q, Subquery
from django.urls import reverse
from taggit.managers import TaggableManager
from taggit.models import TaggedItem

# The review intervals an article or a tag may have, in months (articles.reviewdates).
REVIEW_INTERVAL_MONTHS = (3, 6, 12, 18, 24, 36)
REVIEW_INTERVAL_CHOICES = [(months, f"{months} months") for months in REVIEW_INTERVAL_MONTHS]


def probed_per_row(rows: models.QuerySet) -> Subquery:
    """The first id of `rows` (a queryset correlated to the outer row by OuterRef), or null:
    filter on it `__isnull=False` for "has such a row".

    An EXISTS or IN would say the same, but PostgreSQL may answer it by first reading every
    row that matches the inner filter alone (every revision a user ever wrote, every review
    they were ever assigned: tens of thousands at 100,000 articles) into a hash, to answer
    for a few hundred outer rows. A scalar subquery with LIMIT 1 is evaluated row by row,
    by the index of the correlation, so the cost follows the outer rows (docs/scale.md,
    "Workflow").
    """
    return Subquery(rows.order_by().values("pk")[:1])


class ArticleQuerySet(models.QuerySet):
    def published(self) -> "ArticleQuerySet":
        """Return the articles the public may see: those with a live publication."""
        return self.filter(live__isnull=False).exclude(
            state__in=[Article.State.UNPUBLISHED, Article.State.ARCHIVED]
        )

    def in_state(self, *states: str) -> "ArticleQuerySet":
        return self.filter(state__in=states)

    def awaiting_review_by(self, user: Any) -> "ArticleQuerySet":
        """Return the articles in review to which `user` is assigned as a reviewer.

        Read from the articles in review, each checked for the user's assignment: the
        reviewer's past assignments (one per article they ever reviewed) are never all read.
        """
        assigned = ReviewAssignment.objects.filter(article=OuterRef("pk"), reviewer=user)
        return self.filter(state=Article.State.IN_REVIEW).alias(
            assignment=probed_per_row(assigned)
        ).filter(assignment__isnull=False)

    def edited_by(self, user: Any) -> "ArticleQuerySet":
        """Return the articles `user` created, wrote a revision of, or is assigned to edit.

        Each article is checked for a revision by `user` on its own (its few revisions), so
        the cost follows the articles this filter is applied to: apply it after a filter
        that bounds them (a state, as `changes_requested_for` does), never to the whole table.
        """
        wrote = Revision.objects.filter(article=OuterRef("pk"), author=user)
        return self.alias(revision_by_user=probed_per_row(wrote)).filter(
            Q(created_by=user) | Q(assigned_editor=user) | Q(revision_by_user__isnull=False)
        )

    def changes_requested_for(self, user: Any) -> "ArticleQuerySet":
        """Return the articles of `user` (author or assigned editor) sent back for changes:
        the articles in that state, each checked for the user (not every article the user
        ever wrote, which grows with their whole history)."""
        return self.filter(state=Article.State.CHANGES_REQUESTED).edited_by(user)

    def tagged_with(self, tags: models.QuerySet) -> "ArticleQuerySet":
        """Return the articles carrying any of `tags` (a queryset of taggit Tags).

        The tags' ids are read first (one small query; none match: no article), so the
        database plans with the statistics of those very tags: with the name or slug inside
        the subquery PostgreSQL guessed a few rows per tag and read every article of the tag,
        even with a state filter that leaves a hundred. Each article is then checked for the
        tag on its own by taggit's (content type, object id, tag) index, or the tag's rows
        are read when they are the smaller set.
        """
        tag_ids = list(tags.values_list("pk", flat=True))
        if not tag_ids:
            return self.none()
        tagged = TaggedItem.objects.filter(
            content_type=ContentType.objects.get_for_model(Article),
            object_id=OuterRef("pk"),
            tag_id__in=tag_ids,
        )
        return self.filter(Exists(tagged))

    def ready_to_publish(self) -> "ArticleQuerySet":
        """Return the approved articles that no publisher has scheduled yet."""
        return self.filter(state=Article.State.APPROVED, publish_scheduled_by__isnull=True)

    def overdue(self, today: date | None = None) -> "ArticleQuerySet":
        """Return live articles whose review_due has passed and reviews past their due date."""
        from django.utils import timezone

        today = today or timezone.localdate()
        # Each article in review is checked for a late review of its own (the state first:
        # the database checks the terms in this order), so every assignment ever made with a
        # due date in the past is never read.
        late_review = ReviewAssignment.objects.filter(article=OuterRef("pk"), due__lt=today)
        return self.alias(late_review=probed_per_row(late_review)).filter(
            Q(live__isnull=False, review_due__lt=today)
            | (Q(state=Article.State.IN_REVIEW) & Q(late_review__isnull=False))
        )

    def scheduled(self) -> "ArticleQuerySet":
        """Return the articles with a confirmed publication or take-down still to come."""
        return self.filter(
            Q(state=Article.State.APPROVED, publish_scheduled_by__isnull=False,
              publish_at__isnull=False)
            | Q(live__isnull=False, unpublish_at__isnull=False)
        )

    def due_for_publication(self, now: datetime) -> "ArticleQuerySet":
        return self.filter(
            state=Article.State.APPROVED,
            publish_scheduled_by__isnull=False,
            publish_at__lte=now,
        )

    def due_for_unpublication(self, now: datetime) -> "ArticleQuerySet":
        return self.filter(live__isnull=False, unpublish_at__lte=now)


class Article(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        APPROVED = "approved", "Approved"
        PUBLISHED = "published", "Published"
        UNPUBLISHED = "unpublished", "Unpublished"
        ARCHIVED = "archived", "Archived"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(max_length=120, unique=True, allow_unicode=False)
    state = models.CharField(
        max_length=20, choices=State.choices, default=State.DRAFT, db_index=True, editable=False
    )
    tags = TaggableManager(blank=True, help_text="Topics, e.g. adhd, depression.")

    # Origin of the imported text.
    source_url = models.URLField(max_length=2000, blank=True)
    site_name = models.CharField(max_length=200, blank=True)
    original_filename = models.CharField(max_length=255, blank=True)
    origin_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    # What identifies "the same source" across re-imports: the source URL, else the file name.
    origin_key = models.CharField(max_length=2000, blank=True, editable=False)
    original_published_on = models.DateField(
        null=True, blank=True, help_text="The date the source itself gives for its publication."
    )
    is_promotional = models.BooleanField(
        default=False, help_text="The source reads as marketing (booking calls, phone numbers)."
    )

    draft = models.ForeignKey(
        "Revision",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        help_text="The newest revision.",
    )
    live = models.ForeignKey(
        "Publication",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        help_text="What the public sees now.",
    )

    # Approval: what a reviewer approved, pinned by a fingerprint of content and annotations.
    approved_revision = models.ForeignKey(
        "Revision",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    approval_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)

    assigned_editor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles_edited",
        help_text="The editor responsible for this article; may submit it like its authors.",
    )
    publish_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="Scheduled publication (set through approve or publish).",
    )
    publish_scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        help_text="The publisher who confirmed the scheduled publication.",
    )
    scheduled_change_note = models.CharField(
        max_length=500, blank=True, editable=False,
        help_text="The changelog line of a scheduled republication, written when scheduled.",
    )
    unpublish_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Scheduled take-down."
    )
    unpublish_scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    first_published_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_published_at = models.DateTimeField(null=True, blank=True, editable=False)
    review_due = models.DateField(
        null=True, blank=True, help_text="When the published article must be reviewed again."
    )
    # Review dates (articles.reviewdates): set on each publish and "reviewed, no change".
    review_interval_months = models.PositiveSmallIntegerField(
        "review interval", null=True, blank=True, choices=REVIEW_INTERVAL_CHOICES,
        help_text="Months between reviews. Empty: its tags' rule (the shortest), else the "
                  "site default.",
    )
    last_reviewed_on = models.DateField(null=True, blank=True, editable=False)
    last_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", editable=False,
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles_created",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]
        indexes = [
            # The admin's article list, newest change first (docs/scale.md).
            models.Index(fields=["-updated_at"], name="article_updated"),
            # The editorial list, the admin list and the dashboard filtered by state, in
            # their order: a page reads its rows and stops (docs/scale.md).
            models.Index(fields=["state", "-updated_at", "-id"], name="article_state_updated"),
            # The dashboard's "Due for review this month", "Overdue for review" and the
            # reminders: the live articles by next review date (docs/scale.md).
            models.Index(fields=["review_due"], condition=Q(live__isnull=False),
                         name="article_live_review_due"),
            # The dashboard's "Scheduled": the few take-downs to come.
            models.Index(fields=["unpublish_at"], condition=Q(unpublish_at__isnull=False),
                         name="article_unpublish_at"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["origin_key"], condition=~Q(origin_key=""), name="article_unique_origin"
            ),
            models.CheckConstraint(
                condition=Q(review_interval_months__isnull=True)
                | Q(review_interval_months__in=REVIEW_INTERVAL_MONTHS),
                name="article_review_interval_allowed",
            ),
        ]
        permissions = [
            ("submit_article", "Can submit an article for review"),
            ("review_article", "Can review and approve an article"),
            ("publish_article", "Can publish, unpublish and archive an article"),
        ]

    def __str__(self):
        return self.title or self.slug

    def get_absolute_url(self):
        """The public page: at the live publication's address, which may differ from the
        slug while an edited slug waits for its publish."""
        slug = self.live.slug if self.live_id else self.slug
        return reverse("articles:detail", kwargs={"slug": slug})

    @property
    def title(self):
        return self.draft.title if self.draft_id else ""

    @property
    def has_unpublished_changes(self):
        return bool(self.live_id and self.draft_id and self.live.revision_id != self.draft_id)

    def copy_saved_state(self, source: "Article") -> "Article":
        """Copy the saved fields of `source` (a fresher copy of this row) onto this object,
        so a caller holding it sees a change made through another copy. Return self."""
        for field in Article._meta.concrete_fields:
            setattr(self, field.attname, getattr(source, field.attname))
        for cached in ("draft", "live", "approved_revision"):
            self._state.fields_cache.pop(cached, None)
        return self


class Revision(models.Model):
    """An immutable snapshot of an article's content. Edits add revisions; none is changed."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    title = models.CharField(max_length=300)
    title_is_provisional = models.BooleanField(
        default=False, help_text="The importer guessed this title; an editor must confirm it."
    )
    summary = models.TextField(blank=True)
    blocks = models.JSONField(default=list, help_text="Typed blocks: see articles/blocks.py.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="revisions",
    )
    message = models.CharField(max_length=500, blank=True, help_text="What changed, and why.")
    import_record = models.ForeignKey(
        "ImportRecord", null=True, blank=True, on_delete=models.SET_NULL, related_name="revisions"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["article", "number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="revision_unique_number"),
        ]
        get_latest_by = "number"

    def __str__(self):
        return f"{self.title} (revision {self.number})"


class ImportRecord(models.Model):
    """The bytes as received, how they were read, and what the importer did with them."""

    class Result(models.TextChoices):
        CREATED = "created", "Created"
        NEW_REVISION = "new_revision", "New revision"
        UNCHANGED = "unchanged", "Unchanged"
        FAILED = "failed", "Failed"

    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="import_records"
    )
    filename = models.CharField(max_length=255, blank=True)
    source_url = models.URLField(max_length=2000, blank=True)
    raw = models.BinaryField()
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, db_index=True)
    encoding = models.CharField(max_length=40, blank=True)
    format = models.CharField(max_length=20, blank=True)
    result = models.CharField(max_length=20, choices=Result.choices)
    report = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.filename or self.source_url or self.sha256[:12]} ({self.result})"


# An article in these states has no live page, whatever its `live` pointer says. The public
# app's prepared SQL (`public.frozen.live_rows`) reads the same rule from here.
NOT_LIVE_STATES = (Article.State.UNPUBLISHED.value, Article.State.ARCHIVED.value)


class PublicationQuerySet(models.QuerySet):
    def tagged(self, name: str) -> "PublicationQuerySet":
        """Return the publications whose frozen tags include `name`.

        The tags a publication froze, not the article's current ones: a tag added in a draft
        must not show the article under it before it is published. Tags are a JSON list of
        names; matching the quoted, JSON-escaped name finds a whole element on both databases.
        """
        needle = json.dumps(name, ensure_ascii=connection.vendor != "postgresql")
        return self.filter(tags__icontains=needle)

    def with_tag_slug(self, slug: str) -> "PublicationQuerySet":
        """Return the publications with a frozen tag whose address is /tags/`slug`/.

        Read from `tag_slugs`, frozen with the tags, so a tag renamed or deleted in the admin
        changes no public page until the next publish. On PostgreSQL a containment
        (`tag_slugs @> '["slug"]'`), which the GIN index `publication_tag_slugs_gin`
        (migration 0013) serves; on SQLite, which has no JSON containment, the quoted slug
        as a whole element of the JSON text (slugs are ASCII).
        """
        if connections[self.db].vendor == "postgresql":
            return self.filter(tag_slugs__contains=[slug])
        return self.filter(tag_slugs__icontains=json.dumps(slug))

    def newest_first(self) -> "PublicationQuerySet":
        """Newest publish first; the id makes the order total, so paging is stable."""
        return self.order_by("-published_at", "-pk")

    def live(self) -> "PublicationQuerySet":
        """Return only publications that are an article's current live version: every
        public read starts here."""
        return self.filter(article__live=models.F("pk")).exclude(
            article__state__in=NOT_LIVE_STATES
        )


class Publication(models.Model):
    """What the public sees, frozen at publish time.

    The public site and the public API read only this row (and its article's slug), so a
    draft cannot leak and a page costs the same handful of queries however many annotations
    it has: the annotated body is rendered once, here, at publish.
    """

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="publications")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="publications")
    number = models.PositiveIntegerField(help_text="1 for the first publication, then 2, 3…")
    # The address, frozen like the text: the article's slug may be edited at any time, and
    # the public sees the new one only from the next publish (the old one then redirects).
    slug = models.SlugField(max_length=120, editable=False)
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True)
    tag_slugs = models.JSONField(
        default=list, blank=True, editable=False,
        help_text="The addresses of the tag pages (/tags/<slug>/), one per frozen tag.",
    )
    blocks = models.JSONField(default=list)
    body_html = models.TextField(help_text="The annotated body, rendered and sanitised.")
    annotations = models.JSONField(default=list, help_text="The approved annotations, frozen.")
    sources = models.JSONField(default=list, help_text="The numbered references, frozen.")
    evidence_summary = models.JSONField(default=dict)
    public_json = models.JSONField(default=dict, help_text="The public API detail, serialised.")
    search_text = models.TextField(blank=True)
    # Stored at publish (articles.search.store_search_vectors) so that a search reads an
    # index instead of parsing every article; the GIN index on `search_vector` is made by the
    # migration, on PostgreSQL only. Both stay empty on SQLite, which matches `search_text`.
    search_vector = SearchVectorField(
        null=True, editable=False, serialize=False,
        help_text="PostgreSQL: the title (weight A) and search text (weight B), as lexemes; "
                  "what a search matches.",
    )
    rank_vector = SearchVectorField(
        null=True, editable=False, serialize=False,
        help_text="PostgreSQL: the title (weight A) and summary (weight B), as lexemes; what "
                  "results are ranked by (small, so ranking thousands of matches is cheap).",
    )
    change_note = models.CharField(
        max_length=500, blank=True, help_text="Shown to readers in the article's changelog."
    )
    changelog = models.JSONField(default=list, blank=True)
    rating_changed = models.BooleanField(
        default=False, editable=False,
        help_text="This publication changed the rating of a claim the previous one showed "
                  "(articles.changelog); the feed has an entry for it.",
    )
    reviewed_by = models.JSONField(default=list, blank=True, help_text="Reviewer display names.")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    published_at = models.DateTimeField()
    # Trust signals (articles.reviewdates, reviewers): who reviewed it, when, when next, and
    # where the text came from. `trust` is frozen with the page; the credit and the dates in
    # it are refreshed when a profile is published or an interval changes (not the content).
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", editable=False, help_text="The reviewer credited on the page.",
    )
    trust = models.JSONField(default=dict, blank=True, editable=False)
    overdue_notice_from = models.DateField(
        null=True, blank=True, editable=False,
        help_text="From this day the page says it is due for review (overdue by an interval).",
    )
    shows_overdue_notice = models.BooleanField(default=False, editable=False)
    first_published_at = models.DateTimeField()
    # Served as they are to anonymous readers and API clients (articles.frozen): filled at
    # publish, never edited. Empty on publications made before these fields existed, which
    # are then rendered per request instead.
    page_head_html = models.BinaryField(
        default=b"", blank=True, editable=False,
        help_text="UTF-8: the page's title, description, canonical link and JSON-LD.",
    )
    page_main_html = models.BinaryField(
        default=b"", blank=True, editable=False, help_text="UTF-8: the page's <article>."
    )
    page_head_deflate = models.BinaryField(default=b"", blank=True, editable=False)
    page_main_deflate = models.BinaryField(default=b"", blank=True, editable=False)
    page_checksums = models.JSONField(
        default=list, blank=True, editable=False,
        help_text="[crc32 of page_head_html, crc32 of page_main_html], to build gzip bodies.",
    )
    page_digest = models.CharField(max_length=64, blank=True, editable=False)
    api_detail_json = models.BinaryField(default=b"", blank=True, editable=False)
    api_detail_gzip = models.BinaryField(default=b"", blank=True, editable=False)
    api_detail_etag = models.CharField(max_length=64, blank=True, editable=False)
    api_item_json = models.BinaryField(
        default=b"", blank=True, editable=False, help_text="UTF-8: this article as a list item."
    )

    objects = PublicationQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="publication_unique_number"),
        ]
        indexes = [
            # The feed's rating changes, newest first: few rows, so a small partial index.
            models.Index(fields=["-published_at", "-id"], condition=Q(rating_changed=True),
                         name="publication_rating_changed"),
        ]

    def __str__(self):
        return f"{self.title} (publication {self.number})"


class SearchEntry(models.Model):
    """PostgreSQL: what the search reads, one row for each live publication and no other.

    A narrow copy of the live publication's vectors and date, so that a search matches,
    counts and ranks thousands of articles without reading the wide publication rows or
    checking, row by row, that each one is still live. The rows are written by database
    triggers (migration 0006), in the transaction that moves `Article.live` or the article's
    state, or that stores a publication's vectors: whatever path does it (the workflow, a
    scheduled publish, a restore, a fixture), a take-down removes the entry before anyone
    else can see the take-down. Empty on SQLite, which searches `Publication.search_text`.
    """

    article = models.OneToOneField(
        Article, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    publication = models.OneToOneField(Publication, on_delete=models.CASCADE, related_name="+")
    published_at = models.DateTimeField()
    search_vector = SearchVectorField(null=True)
    rank_vector = SearchVectorField(null=True)

    class Meta:
        indexes = [
            # The public list newest first, a page at a time from either end, and its cursor
            # (public/frozen.py: live_page); the sitemap's files (docs/scale.md).
            models.Index(fields=["-published_at", "-publication"], name="searchentry_newest"),
        ]

    def __str__(self):
        return f"search entry of publication {self.publication_id}"


class LiveCount(models.Model):
    """PostgreSQL: how many live publications there are (the rows of `SearchEntry`), one row.

    Kept by a statement trigger on `SearchEntry` (migration 0011), in the transaction that adds
    or removes an entry, so the public list's `count` is one row read instead of a count of
    every live article. A flush that truncates the entries removes the row; a change with no
    row counts the entries once and starts the row again. Unused on SQLite, which counts.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    live = models.BigIntegerField(default=0)

    def __str__(self):
        return f"{self.live} live publications"


class LiveTag(models.Model):
    """PostgreSQL: the tag pages' list, one row for each tag slug of each live publication.

    Written by statement triggers on `SearchEntry` (migration 0014) from the publication's
    frozen `tag_slugs`, in the transaction that adds or removes the entry: a re-publish with
    other tags, a take-down, an archive, a restore move the rows with the live pointer. Its
    unique index (tag, date, publication) is what a tag page walks, newest first, a page at a
    time from either end; a publication has one date, so it also holds one row per tag and
    publication. Empty on SQLite, whose tag page filters the live join.
    """

    tag_slug = models.TextField()
    published_at = models.DateTimeField()
    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tag_slug", "published_at", "publication"], name="livetag_newest"
            ),
        ]

    def __str__(self):
        return f"publication {self.publication_id} under {self.tag_slug}"


class LiveTagCount(models.Model):
    """PostgreSQL: how many live publications carry each tag (rows of `LiveTag`), a row a tag.

    Kept by statement triggers on `LiveTag` (migration 0014) in the same transaction, so a
    tag page's count is one row read instead of a count of the tag's articles. A tag's row
    stays at 0 when its last article goes; a change to a tag whose row is missing (after a
    flush) counts that tag's rows once and starts the row again. Unused on SQLite.
    """

    tag_slug = models.TextField(primary_key=True)
    live = models.BigIntegerField(default=0)

    def __str__(self):
        return f"{self.live} live publications under {self.tag_slug}"


class WorkflowEvent(models.Model):
    """One row per transition: the audit log. Never edited or deleted."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(max_length=40)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    revision = models.ForeignKey(
        Revision, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            # The admin's event list filtered by action, newest first (docs/scale.md).
            models.Index(fields=["action", "-created_at"], name="workflowevent_action"),
        ]

    def __str__(self):
        return f"{self.action}: {self.from_state} → {self.to_state}"


class ReviewAssignment(models.Model):
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="review_assignments"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_assignments"
    )
    due = models.DateField(null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "reviewer"], name="review_assignment_unique"
            ),
        ]

    def __str__(self):
        return f"{self.reviewer} reviews {self.article}"


class NotificationPreference(models.Model):
    """Whether a user wants the workflow's emails. No row means yes."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_enabled = models.BooleanField(
        "Send me workflow emails",
        default=True,
        help_text="Emails when an article needs your review, your changes or your publication.",
    )

    class Meta:
        verbose_name = "notification preference"

    def __str__(self):
        return f"{self.user}: {'on' if self.email_enabled else 'off'}"


class ShareLinkQuerySet(models.QuerySet):
    def valid(self, now: datetime | None = None) -> "ShareLinkQuerySet":
        """Return the links that are neither revoked nor expired."""
        from django.utils import timezone

        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())


class ShareLink(models.Model):
    """A read-only, expiring, revocable preview link for an outside expert.

    Only the sha256 of the token is stored: the token itself is shown once, when created.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="share_links")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    note = models.CharField(max_length=200, blank=True, help_text="Who the link is for.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ShareLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Share link for {self.article} ({self.note or self.created_at:%Y-%m-%d})"


class TagReviewInterval(models.Model):
    """A tag's review interval: the default for its articles (the shortest rule wins)."""

    tag = models.OneToOneField(
        "taggit.Tag", on_delete=models.CASCADE, related_name="review_interval"
    )
    months = models.PositiveSmallIntegerField(choices=REVIEW_INTERVAL_CHOICES)

    class Meta:
        verbose_name = "tag review interval"
        constraints = [
            models.CheckConstraint(
                condition=Q(months__in=REVIEW_INTERVAL_MONTHS), name="tag_review_interval_allowed"
            ),
        ]

    def __str__(self):
        return f"{self.tag}: every {self.months} months"


class ReviewReminder(models.Model):
    """One reminder sent about an article due (or overdue) for review: at most one a week."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="review_reminders")
    review_due = models.DateField()
    recipients = models.JSONField(default=list)
    sent_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self):
        return f"reminder about {self.article} ({self.sent_at:%Y-%m-%d})"
