"""Sources, the passages that make claims (annotations), their ratings and review comments.

Business rules live in `evidence/sources.py`, `evidence/annotations.py` and
`evidence/anchoring.py`; models hold data and invariants.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce


class Source(models.Model):
    """A cited work, deduplicated by PMID, DOI, then normalised URL."""

    class Design(models.TextChoices):
        META_ANALYSIS = "meta_analysis", "Meta-analysis"
        SYSTEMATIC_REVIEW = "systematic_review", "Systematic review"
        RCT = "rct", "Randomised controlled trial"
        COHORT = "cohort", "Cohort study"
        CASE_CONTROL = "case_control", "Case-control study"
        CASE_SERIES = "case_series", "Case series"
        CASE_REPORT = "case_report", "Case report"
        EXPERT_OPINION = "expert_opinion", "Expert opinion"
        ANECDOTE = "anecdote", "Anecdote"
        PROMOTIONAL = "promotional", "Promotional"
        OTHER = "other", "Other"

    pmid = models.CharField("PMID", max_length=12, blank=True, help_text="PubMed id, digits only.")
    doi = models.CharField(
        "DOI", max_length=255, blank=True, help_text="Lower-case, without https://doi.org/."
    )
    url = models.URLField(max_length=2000, blank=True)
    url_key = models.CharField(max_length=2000, blank=True, editable=False)
    title = models.CharField(max_length=1000, blank=True)
    authors = models.CharField(max_length=1000, blank=True)
    journal = models.CharField(max_length=300, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    design = models.CharField(max_length=30, choices=Design.choices, blank=True)
    citation_text = models.TextField(blank=True, help_text="The reference as first cited.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "pk"]
        indexes = [
            # The admin's source list, by title, alone and for each filter (docs/scale.md).
            models.Index(fields=["title", "id"], name="source_title"),
            models.Index(fields=["design", "title", "id"], name="source_design_title"),
            models.Index(fields=["year", "title", "id"], name="source_year_title"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["pmid"], condition=~Q(pmid=""), name="source_unique_pmid"
            ),
            models.UniqueConstraint(fields=["doi"], condition=~Q(doi=""), name="source_unique_doi"),
            models.UniqueConstraint(
                fields=["url_key"], condition=~Q(url_key=""), name="source_unique_url"
            ),
        ]

    def __str__(self):
        return self.title or self.doi or (f"PMID {self.pmid}" if self.pmid else self.url)


class Citation(models.Model):
    """A numbered reference of one revision: "[3]" in the text points here."""

    revision = models.ForeignKey(
        "articles.Revision", on_delete=models.CASCADE, related_name="citations"
    )
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations")
    number = models.PositiveIntegerField()

    class Meta:
        ordering = ["revision", "number"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "number"], name="citation_unique_number"),
        ]

    def __str__(self):
        return f"[{self.number}] {self.source}"


class AnnotationQuerySet(models.QuerySet):
    def open(self) -> "AnnotationQuerySet":
        return self.filter(status=Annotation.Status.OPEN)

    def orphaned(self) -> "AnnotationQuerySet":
        return self.filter(status=Annotation.Status.ORPHANED)


class Annotation(models.Model):
    """A passage of one revision that makes a claim, and the rating of its evidence.

    Anchored as the W3C Web Annotation model does: a quote with its context (exact, prefix,
    suffix) plus a position (start, end) inside one block of the revision.
    """

    class Certainty(models.TextChoices):
        HIGH = "high", "High"
        MODERATE = "moderate", "Moderate"
        LOW = "low", "Low"
        VERY_LOW = "very_low", "Very low"

    class Verdict(models.TextChoices):
        SUPPORTED = "supported", "Supported"
        MIXED = "mixed", "Mixed"
        UNSUPPORTED = "unsupported", "Unsupported"
        MISLEADING = "misleading", "Misleading"
        CONTRADICTED = "contradicted", "Contradicted"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"
        ORPHANED = "orphaned", "Orphaned"

    article = models.ForeignKey(
        "articles.Article", on_delete=models.CASCADE, related_name="annotations"
    )
    revision = models.ForeignKey(
        "articles.Revision", on_delete=models.PROTECT, related_name="annotations"
    )
    block_id = models.CharField(max_length=64)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    exact = models.TextField()
    prefix = models.CharField(max_length=32, blank=True)
    suffix = models.CharField(max_length=32, blank=True)
    certainty = models.CharField(
        max_length=10, choices=Certainty.choices, blank=True, help_text="Blank: not rated."
    )
    verdict = models.CharField(
        max_length=15, choices=Verdict.choices, blank=True, help_text="Blank: not rated."
    )
    note = models.TextField(blank=True, help_text="Reviewer note, Markdown.")
    note_html = models.TextField(blank=True, editable=False)
    sources = models.ManyToManyField(Source, blank=True, related_name="annotations")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="annotations",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    first_published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    objects = AnnotationQuerySet.as_manager()

    class Meta:
        ordering = ["revision", "block_id", "start", "pk"]
        indexes = [
            # The admin's annotation list, newest change first, and its verdict and certainty
            # filters; the status filter reads the status index (db_index) (docs/scale.md).
            models.Index(fields=["-modified_at"], name="annotation_modified"),
            models.Index(fields=["verdict", "-modified_at"], name="annotation_verdict_modified"),
            models.Index(
                fields=["certainty", "-modified_at"], name="annotation_certainty_modified"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="annotation_nonempty"
            ),
        ]

    def __str__(self):
        return f"“{self.exact[:60]}”"

    @property
    def is_rated(self):
        return bool(self.certainty and self.verdict)


class RatingChange(models.Model):
    """The rating history: each change to certainty, verdict or note."""

    annotation = models.ForeignKey(
        Annotation, on_delete=models.CASCADE, related_name="rating_changes"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    field = models.CharField(max_length=20)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.field}: {self.old_value!r} → {self.new_value!r}"


class ReviewCommentQuerySet(models.QuerySet):
    def threads(self) -> "ReviewCommentQuerySet":
        """The comments that start a thread (replies are resolved with their thread)."""
        return self.filter(parent__isnull=True)

    def unresolved(self) -> "ReviewCommentQuerySet":
        """The threads still open: each of them holds back an approval."""
        return self.threads().filter(resolved_at__isnull=True)

    def in_thread_order(self) -> "ReviewCommentQuerySet":
        """Each thread's first comment, then its replies oldest first; threads oldest first."""
        return self.order_by(
            Coalesce("parent_id", "id"), F("parent_id").asc(nulls_first=True), "created_at", "pk"
        )


class ReviewComment(models.Model):
    """An internal comment in the review thread under an annotation. Never public.

    A comment without a parent starts a thread; a reply points to that first comment (one
    level: a reply to a reply joins the same thread). Only a thread's first comment is
    resolved or reopened, and it stands for the whole thread.
    """

    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="replies",
        help_text="The first comment of the thread this one replies to.",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ReviewCommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | Q(resolved_at__isnull=True),
                name="reviewcomment_reply_not_resolved",
            ),
        ]

    def __str__(self):
        return self.body[:60]

    @property
    def is_resolved(self):
        return self.resolved_at is not None


class DualReviewPolicyQuerySet(models.QuerySet):
    def requires_two_ratings(self, article):
        """True when `article` needs two independent ratings: its own rule, else any tag's."""
        own = self.filter(article_id=article.pk).values_list("required", flat=True).first()
        if own is not None:
            return own
        return self.filter(
            required=True,
            tag__taggit_taggeditem_items__object_id=article.pk,
            tag__taggit_taggeditem_items__content_type__app_label="articles",
            tag__taggit_taggeditem_items__content_type__model="article",
        ).exists()


class DualReviewPolicy(models.Model):
    """Whether an article needs two independent ratings of each annotation.

    A row names either one article or one tag. An article's own row wins; without one, the
    article needs dual review when any of its tags has a row that requires it (the tag's rule
    is the default for its articles). No row at all: one rating is enough.
    """

    article = models.OneToOneField(
        "articles.Article", null=True, blank=True, on_delete=models.CASCADE,
        related_name="dual_review_policy",
    )
    tag = models.OneToOneField(
        "taggit.Tag", null=True, blank=True, on_delete=models.CASCADE,
        related_name="dual_review_policy",
    )
    required = models.BooleanField(
        "Two independent ratings", default=True,
        help_text="Each annotation is rated blind by two assigned reviewers; conflicts are "
                  "settled by a recorded consensus.",
    )
    arbiter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
        help_text="A third reviewer who may record the consensus (besides the two raters).",
    )

    objects = DualReviewPolicyQuerySet.as_manager()

    class Meta:
        verbose_name = "dual review rule"
        constraints = [
            models.CheckConstraint(
                condition=(Q(article__isnull=False, tag__isnull=True)
                           | Q(article__isnull=True, tag__isnull=False)),
                name="dualreviewpolicy_article_or_tag",
            ),
        ]

    def __str__(self):
        target = f"article {self.article}" if self.article_id else f"tag {self.tag}"
        return f"{target}: {'two ratings' if self.required else 'one rating'}"


class ReviewerRating(models.Model):
    """One assigned reviewer's own, independent rating of an annotation (dual review).

    Never changed once made: a disagreement is settled by a ConsensusRating, and both
    originals stay as they were.
    """

    annotation = models.ForeignKey(
        Annotation, on_delete=models.CASCADE, related_name="reviewer_ratings"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    certainty = models.CharField(max_length=10, choices=Annotation.Certainty.choices)
    verdict = models.CharField(max_length=15, choices=Annotation.Verdict.choices)
    note = models.TextField(blank=True, help_text="Markdown, for the editorial team.")
    note_html = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["annotation", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["annotation", "reviewer"], name="reviewerrating_one_per_reviewer"
            ),
        ]

    def __str__(self):
        return f"{self.reviewer}: {self.verdict}/{self.certainty}"


class ConsensusRating(models.Model):
    """The agreed rating of an annotation whose two independent ratings conflicted.

    Recorded by one of the two raters or the article's arbiter, with a note; it is what the
    annotation publishes.
    """

    class Resolution(models.TextChoices):
        RATERS = "raters", "Agreed by the two reviewers"
        ARBITER = "arbiter", "Settled by the arbiter"

    annotation = models.OneToOneField(
        Annotation, on_delete=models.CASCADE, related_name="consensus"
    )
    certainty = models.CharField(max_length=10, choices=Annotation.Certainty.choices)
    verdict = models.CharField(max_length=15, choices=Annotation.Verdict.choices)
    note = models.TextField(help_text="Why this rating: Markdown, published as the note.")
    note_html = models.TextField(blank=True, editable=False)
    resolution = models.CharField(max_length=10, choices=Resolution.choices)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"consensus {self.verdict}/{self.certainty} on {self.annotation_id}"
