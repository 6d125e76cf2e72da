"""The claim registry: canonical claims, their ratings, and the passages that make them.

A claim is rated once and reused. Business rules live in `claims/services.py` and matching in
`claims/matching.py`; models hold data and invariants. `evidence` never imports this app:
a passage's claim is a row here (`ClaimLink`), not a field on the annotation.
"""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q

from articles.models import Publication
from evidence.models import Annotation


class ClaimQuerySet(models.QuerySet):
    def current(self):
        """Claims that have not been merged into another."""
        return self.filter(merged_into__isnull=True)

    def public(self):
        """Claims a reader may see: shown by a live publication, or published by a publisher.

        Read from what publishing froze (`PublishedAppearance`), never from draft links.
        """
        live = Publication.objects.live().values("pk")
        shown = PublishedAppearance.objects.filter(publication__in=live).values("claim_id")
        return self.current().filter(Q(published_at__isnull=False) | Q(pk__in=shown))


class Claim(models.Model):
    """A canonical, self-contained statement (ClaimReview's claimReviewed) and its rating."""

    Verdict = Annotation.Verdict
    Certainty = Annotation.Certainty

    statement = models.CharField(
        max_length=500, help_text="One short, self-contained sentence, as a reader would say it."
    )
    # The statement folded (case, spacing, end punctuation): two claims may not share it.
    statement_key = models.CharField(max_length=500, unique=True, editable=False)
    slug = models.SlugField(max_length=120, unique=True)
    verdict = models.CharField(max_length=15, choices=Verdict.choices, blank=True)
    certainty = models.CharField(max_length=10, choices=Certainty.choices, blank=True)
    note = models.TextField(blank=True, help_text="Reviewer note, Markdown.")
    note_html = models.TextField(blank=True, editable=False)
    sources = models.ManyToManyField("evidence.Source", blank=True, related_name="claims")
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    rated_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    # Matching: the concepts and word stems of the statement (claims.matching.search_key),
    # and on PostgreSQL their GIN-indexed vector, which candidate searches read.
    match_key = models.TextField(blank=True, editable=False)
    match_vector = SearchVectorField(null=True, editable=False, serialize=False)
    published_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="Set when a publisher publishes the claim page itself.",
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_claims",
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["statement", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("pk")), name="claim_not_merged_into_itself"
            ),
        ]

    def __str__(self):
        return self.statement

    @property
    def is_rated(self):
        return bool(self.verdict and self.certainty)


class ClaimRating(models.Model):
    """One rating of a claim, kept for its history (a merge moves it, never drops it)."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="ratings")
    # The claim it was given to; a split gives it back.
    origin = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="+")
    verdict = models.CharField(max_length=15, choices=Claim.Verdict.choices, blank=True)
    certainty = models.CharField(max_length=10, choices=Claim.Certainty.choices, blank=True)
    note = models.TextField(blank=True)
    source_ids = models.JSONField(default=list, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.verdict or 'not rated'} / {self.certainty or 'not rated'}"


class ClaimLink(models.Model):
    """An appearance: an annotation that makes the claim.

    Linking does not rate: the annotation counts as rated for approval only once a reviewer
    confirmed the link (taking the claim's rating, or their own with a note on why), and only
    for the claim's rating version they confirmed.
    """

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", "Accepted the claim's rating"
        DIFFERS = "differs", "Rated differently"

    annotation = models.OneToOneField(
        "evidence.Annotation", on_delete=models.CASCADE, related_name="claim_link"
    )
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="links")
    origin = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="+")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    linked_at = models.DateTimeField(auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_version = models.PositiveIntegerField(null=True, blank=True)
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    confirmation_note = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"annotation {self.annotation_id} → claim {self.claim_id}"

    @property
    def is_confirmed(self):
        return self.confirmed_at is not None


class PublishedAppearance(models.Model):
    """A claim shown by a publication, frozen at publish (what public claim pages read)."""

    publication = models.ForeignKey(
        "articles.Publication", on_delete=models.CASCADE, related_name="claim_appearances"
    )
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="appearances")
    origin = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="+")
    annotation_id = models.PositiveIntegerField()
    exact = models.TextField()
    verdict = models.CharField(max_length=15, blank=True)
    certainty = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["publication", "annotation_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "annotation_id"], name="published_appearance_once"
            ),
        ]

    def __str__(self):
        return f"claim {self.claim_id} in publication {self.publication_id}"


class ReReview(models.Model):
    """A live article that shows a claim whose rating changed after it was published.

    Open until the article is published again (its page keeps the approved rating till then).
    """

    article = models.ForeignKey(
        "articles.Article", on_delete=models.CASCADE, related_name="claim_rereviews"
    )
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="rereviews")
    publication = models.ForeignKey(
        "articles.Publication", on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = "article needing re-review"
        verbose_name_plural = "articles needing re-review"
        constraints = [
            models.UniqueConstraint(
                fields=["article", "claim"], condition=Q(resolved_at__isnull=True),
                name="rereview_open_once",
            ),
        ]

    def __str__(self):
        return f"{self.article} (claim {self.claim_id})"


class ClaimMerge(models.Model):
    """A merge of `source` into `target`; `split_at` is set when it was split back."""

    source = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="merges_out")
    target = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="merges_in")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    merged_at = models.DateTimeField(auto_now_add=True)
    split_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    split_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["merged_at", "pk"]

    def __str__(self):
        return f"claim {self.source_id} → claim {self.target_id}"
