"""Suggested claims: sentences of a revision the claim spotter flags, and what editors decided.

Spotting is derived data: a revision is spotted once, by the job an import queues
(spotting/queue.py) or the first time its suggestions are read, whichever comes first
(SpottedRevision records that it was). A Suggestion belongs to one revision and is
anchored like an Annotation (block, offsets, quote with prefix and suffix) with the W3C
TextPositionSelector over the article's plain text. A Dismissal belongs to the article, keyed
by a hash of the normalised sentence, so a sentence an editor dismissed is never suggested
again for that article: not after a re-import, not after an edit elsewhere in the text.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from spotting.spotter import KINDS


class SuggestionQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state=Suggestion.State.OPEN)


class Suggestion(models.Model):
    """A sentence of one revision that makes a check-worthy claim, until an editor decides."""

    # The spotter names the kinds (spotting/spotter.py KINDS); the model only stores them.
    Kind = models.TextChoices(
        "Kind", [(value.upper(), (value, label)) for value, label in KINDS.items()]
    )

    class State(models.TextChoices):
        OPEN = "open", "Open"
        ACCEPTED = "accepted", "Accepted"
        DISMISSED = "dismissed", "Dismissed"

    article = models.ForeignKey(
        "articles.Article", on_delete=models.CASCADE, related_name="suggestions"
    )
    revision = models.ForeignKey(
        "articles.Revision", on_delete=models.CASCADE, related_name="suggestions"
    )
    block_id = models.CharField(max_length=64)
    start = models.PositiveIntegerField(help_text="Offset of the sentence in its block's text.")
    end = models.PositiveIntegerField()
    exact = models.TextField()
    prefix = models.CharField(max_length=32, blank=True)
    suffix = models.CharField(max_length=32, blank=True)
    position_start = models.PositiveIntegerField(
        help_text="W3C TextPositionSelector start, in the article's plain text."
    )
    position_end = models.PositiveIntegerField()
    sentence_hash = models.CharField(max_length=64, db_index=True, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    score = models.FloatField()
    reasons = models.JSONField(default=list, help_text="Why the spotter flagged it, in words.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    annotation = models.ForeignKey(
        "evidence.Annotation", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", help_text="The annotation made when it was accepted.",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SuggestionQuerySet.as_manager()

    class Meta:
        ordering = ["revision", "position_start", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["revision", "block_id", "start", "end"], name="suggestion_once_per_range"
            ),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="suggestion_nonempty"),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=1), name="suggestion_score_0_to_1"
            ),
        ]

    def __str__(self):
        return f"“{self.exact[:60]}” ({self.get_kind_display()})"


class SpottedRevision(models.Model):
    """A revision the spotter has read: its suggestions exist (there may be none)."""

    revision = models.OneToOneField(
        "articles.Revision", on_delete=models.CASCADE, related_name="spotted"
    )
    spotted_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"revision {self.revision_id} spotted"


class Dismissal(models.Model):
    """An editor's word that a sentence of this article is not a claim worth checking."""

    article = models.ForeignKey(
        "articles.Article", on_delete=models.CASCADE, related_name="claim_dismissals"
    )
    sentence_hash = models.CharField(max_length=64)
    sentence = models.TextField(help_text="The sentence as it read when it was dismissed.")
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["article", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "sentence_hash"], name="dismissal_once_per_sentence"
            ),
        ]

    def __str__(self):
        return f"“{self.sentence[:60]}” is not a claim"
