"""Admin of dual review: the rules per article and per tag, the independent ratings and
consensuses (read-only: they change only through evidence/dualreview.py), the forms the
annotator posts without JavaScript, and the agreement report."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from evidence import dualreview
from evidence.agreement import agreement_report
from evidence.annotations import AnnotationError, AnnotationNotAllowed
from evidence.models import Annotation, ConsensusRating, DualReviewPolicy, ReviewerRating
from ketasite.admin_site import ReadOnlyAdmin

PERM_REVIEW = "articles.review_article"


@admin.register(DualReviewPolicy)
class DualReviewPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "article", "tag", "required", "arbiter"]
    list_filter = ["required"]
    autocomplete_fields = ["article", "arbiter"]
    fields = ["article", "tag", "required", "arbiter"]


@admin.register(ConsensusRating)
class ConsensusRatingAdmin(ReadOnlyAdmin):
    list_display = ["annotation", "verdict", "certainty", "resolution", "settled_by",
                    "created_at"]
    list_filter = ["resolution", "verdict"]


@admin.register(ReviewerRating)
class ReviewerRatingAdmin(ReadOnlyAdmin):
    """Independent ratings, listed for the editorial team once both of a pair exist."""

    list_display = ["annotation", "reviewer", "verdict", "certainty", "created_at"]
    list_filter = ["verdict", "certainty"]

    def get_queryset(self, request):
        # Blind: a rating whose annotation still waits for its second one is its author's.
        rated_twice = [
            pk for pk, count in _rating_counts().items() if count >= dualreview.REQUIRED_RATINGS
        ]
        queryset = super().get_queryset(request).select_related("reviewer", "annotation")
        return queryset.filter(annotation_id__in=rated_twice) | queryset.filter(
            reviewer_id=request.user.pk
        )

    def get_urls(self):
        wrap = self.admin_site.admin_view
        custom = [
            path("agreement/", wrap(self.agreement_view),
                 name="evidence_reviewerrating_agreement"),
            path("rate/<int:pk>/", wrap(require_POST(self.rate_view)),
                 name="evidence_reviewerrating_rate"),
            path("consensus/<int:pk>/", wrap(require_POST(self.consensus_view)),
                 name="evidence_reviewerrating_consensus"),
        ]
        return custom + super().get_urls()

    def agreement_view(self, request):
        """Agreement per reviewer pair and month (evidence/agreement.py)."""
        if not (request.user.has_perm(PERM_REVIEW) or request.user.has_perm(
                "evidence.view_reviewerrating")):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Agreement between independent reviewers",
            "opts": self.model._meta,
            "rows": agreement_report(),
        }
        return TemplateResponse(request, "admin/evidence/agreement.html", context)

    def _annotator(self, annotation):
        url = reverse("admin:evidence_annotation_annotate", args=[annotation.article_id])
        return HttpResponseRedirect(f"{url}#annotation-{annotation.pk}")

    def _post_rating(self, request, pk, record, done):
        annotation = get_object_or_404(Annotation, pk=pk)
        try:
            record(
                annotation, actor=request.user, certainty=request.POST.get("certainty", ""),
                verdict=request.POST.get("verdict", ""), note=request.POST.get("note", ""),
            )
        except (AnnotationError, AnnotationNotAllowed) as error:
            messages.error(request, f"Nothing was saved: {error}")
        else:
            messages.success(request, done)
        return self._annotator(annotation)

    def rate_view(self, request, pk):
        return self._post_rating(request, pk, dualreview.rate_independently,
                                 "Your independent rating is recorded.")

    def consensus_view(self, request, pk):
        return self._post_rating(request, pk, dualreview.record_consensus,
                                 "The consensus is recorded; it is the published rating.")


def _rating_counts():
    counts = {}
    for pk in ReviewerRating.objects.values_list("annotation_id", flat=True):
        counts[pk] = counts.get(pk, 0) + 1
    return counts
