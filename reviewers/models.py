"""A reviewer's public profile, and the site's editorial policy.

A profile is edited by its owner and published by a publisher (`reviewers/profiles.py`).
The public never reads the fields being edited: publishing freezes them into `published`,
the way an article's publication freezes its revision, so an owner's later edit shows only
when a publisher publishes it again.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

# What a publisher approves and the public sees, in this order.
PUBLIC_FIELDS = (
    "name", "qualifications", "current_role", "expertise", "biography", "conflicts_of_interest",
)


class ReviewerProfileQuerySet(models.QuerySet):
    def published(self):
        """Return the profiles the public may see."""
        return self.filter(published_at__isnull=False).exclude(public_slug="")


class ReviewerProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer_profile"
    )
    slug = models.SlugField(
        max_length=80, unique=True, help_text="The address: /reviewers/<slug>/."
    )
    name = models.CharField(max_length=200, help_text="As readers should see it.")
    qualifications = models.CharField(
        max_length=300, blank=True, help_text="Degrees and registrations, e.g. “MBBS, MRCPsych”."
    )
    current_role = models.CharField(max_length=300, blank=True)
    expertise = models.CharField(
        "areas of expertise", max_length=500, blank=True, help_text="Comma-separated."
    )
    biography = models.TextField(blank=True, help_text="A few sentences. Plain text.")
    conflicts_of_interest = models.TextField(
        "declared conflicts of interest", blank=True,
        help_text="Required before submitting, even if it is “None”.",
    )
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The published version: what the public reads, frozen at publish.
    published = models.JSONField(default=dict, blank=True, editable=False)
    public_slug = models.SlugField(max_length=80, blank=True, editable=False, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", editable=False,
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReviewerProfileQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["public_slug"], condition=~Q(public_slug=""),
                name="reviewerprofile_unique_public_slug",
            ),
        ]
        permissions = [("publish_reviewerprofile", "Can publish a reviewer profile")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("reviewers:detail", kwargs={"slug": self.public_slug or self.slug})

    @property
    def is_published(self):
        return self.published_at is not None

    @property
    def has_unpublished_changes(self):
        return self.is_published and (
            self.public_slug != self.slug
            or any(self.published.get(f) != getattr(self, f) for f in PUBLIC_FIELDS)
        )


class EditorialPolicy(models.Model):
    """The editorial policy and funding statement on the how-we-rate page: one row."""

    editorial_policy = models.TextField(
        help_text="How articles are chosen, reviewed and corrected. Plain text; blank lines "
                  "separate paragraphs."
    )
    funding = models.TextField(help_text="Who pays for the site, and what they may not do.")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", editable=False,
    )

    class Meta:
        verbose_name = "editorial policy"
        verbose_name_plural = "editorial policy"

    def __str__(self):
        return "Editorial policy and funding"
