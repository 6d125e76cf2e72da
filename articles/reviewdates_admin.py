"""Admin for review dates: tag intervals and the reviews report (/admin/articles/article/reviews/).

Imported by `articles/admin.py`, which routes the report under the article admin.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils import timezone
from taggit.models import Tag

from articles import reviewdates, reviewing, workflow
from articles.models import TagReviewInterval
from articles.permissions import PERM_EDIT, has_permission

REVIEW_DATE_FIELDS = ["review_interval_months", "last_reviewed_on", "last_reviewed_by"]


@admin.register(TagReviewInterval)
class TagReviewIntervalAdmin(admin.ModelAdmin):
    """The review interval of a tag's articles (an article's own interval overrides it)."""

    list_display = ["tag", "months"]
    ordering = ["tag__name"]

    def has_module_permission(self, request):
        return has_permission(request.user, PERM_EDIT)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def save_model(self, request, obj, form, change):
        # Through the service: the tag's articles get their next review date again.
        moved = reviewing.set_tag_review_interval(
            obj.tag, actor=request.user, months=obj.months
        )
        obj.pk = TagReviewInterval.objects.get(tag=obj.tag).pk
        self.message_user(request, f"{moved} article(s) have a new next review date.")

    def delete_model(self, request, obj):
        reviewing.set_tag_review_interval(obj.tag, actor=request.user, months=None)

    def delete_queryset(self, request, queryset):
        for rule in queryset.select_related("tag"):
            self.delete_model(request, rule)


def reviews_report_view(request):
    """The live articles with their review dates, filterable by tag, last reviewer and month
    of the next review ("YYYY-MM"). A constant number of queries however many rows."""
    from django.contrib.admin import site

    if not request.user.has_perm("articles.view_article"):
        raise PermissionDenied
    tag = request.GET.get("tag", "")[:100]
    month = request.GET.get("month", "")[:7]
    reviewer = request.GET.get("reviewer", "")
    errors = []
    reviewer_id = int(reviewer) if reviewer.isdigit() else None
    if reviewer and reviewer_id is None:
        errors.append("Choose a reviewer from the list.")
    try:
        articles = reviewdates.review_report(tag=tag, reviewer_id=reviewer_id, month=month)
    except ValueError:
        errors.append(f"{month!r} is not a month: use YYYY-MM.")
        articles = reviewdates.review_report(tag=tag, reviewer_id=reviewer_id)
        month = ""
    articles = list(articles.prefetch_related("tags"))
    today = timezone.localdate()
    tag_rules = reviewdates.tag_rule_map()
    rows = [
        {
            "article": article,
            "interval": reviewdates.interval_of(article, tag_rules=tag_rules),
            "own_interval": bool(article.review_interval_months),
            "overdue": bool(article.review_due and article.review_due < today),
            "tags": sorted(t.name for t in article.tags.all()),
        }
        for article in articles
    ]
    reviewers = (
        get_user_model().objects.filter(is_active=True, groups__name="Reviewers")
        .distinct().order_by("username")
    )
    context = {
        **site.each_context(request),
        "title": "Reviews: when each live article was last reviewed and is next due",
        "rows": rows,
        "tags": Tag.objects.order_by("name"),
        "reviewers": reviewers,
        "selected": {"tag": tag, "reviewer": reviewer_id, "month": month},
        "errors": errors,
        "can_review": request.user.has_perm(workflow.PERM_REVIEW),
    }
    return TemplateResponse(request, "admin/articles/article/reviews.html", context)
