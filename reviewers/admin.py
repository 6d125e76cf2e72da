"""Admin for reviewer profiles (owners edit and submit, publishers publish) and the policy."""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from articles import workflow
from articles.permissions import PERM_REVIEW, has_permission
from pagecache.generation import purge_public_pages
from reviewers import profiles
from reviewers.models import EditorialPolicy, ReviewerProfile


def _is_editorial_reviewer(user):
    return has_permission(user, PERM_REVIEW)


@admin.register(ReviewerProfile)
class ReviewerProfileAdmin(admin.ModelAdmin):
    change_form_template = "admin/reviewers/reviewerprofile/change_form.html"
    list_display = ["name", "user", "status", "updated_at"]
    search_fields = ["name", "slug", "user__username"]
    prepopulated_fields = {"slug": ["name"]}
    fields = [
        "name", "slug", "qualifications", "current_role", "expertise", "biography",
        "conflicts_of_interest", "status",
    ]
    readonly_fields = ["status"]

    @admin.display(description="status")
    def status(self, obj):
        if obj.pk is None:
            return "New"
        if obj.is_published:
            return "Published, with changes not yet published" if (
                obj.has_unpublished_changes
            ) else "Published"
        return "Submitted, waiting for a publisher" if obj.submitted_at else "Draft"

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("user")
        if profiles.can_publish(request.user) or request.user.is_superuser:
            return queryset
        return queryset.filter(user=request.user)

    def has_module_permission(self, request):
        user = request.user
        return _is_editorial_reviewer(user) or profiles.can_publish(user)

    def has_view_permission(self, request, obj=None):
        if obj is None:
            return self.has_module_permission(request)
        return profiles.is_owner(obj, request.user) or profiles.can_publish(request.user)

    def has_add_permission(self, request):
        user = request.user
        return _is_editorial_reviewer(user) and not ReviewerProfile.objects.filter(
            user=user
        ).exists()

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return _is_editorial_reviewer(request.user)
        return profiles.is_owner(obj, request.user)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            obj.user = request.user
        obj.save()

    def get_urls(self):
        wrap = self.admin_site.admin_view
        custom = [
            path("<int:pk>/do/<str:action>/", wrap(require_POST(self.action_view)),
                 name="reviewers_reviewerprofile_action"),
        ]
        return custom + super().get_urls()

    ACTIONS = {
        "submit": (profiles.submit_profile, "Submitted: a publisher will publish it."),
        "publish": (profiles.publish_profile, "Published."),
        "withdraw": (profiles.withdraw_profile, "Withdrawn from the public site."),
    }

    def action_view(self, request, pk, action):
        profile = get_object_or_404(self.get_queryset(request), pk=pk)
        function, done = self.ACTIONS.get(action, (None, ""))
        if function is None:
            messages.error(request, "Unknown action.")
        else:
            try:
                function(profile, actor=request.user)
            except workflow.WorkflowError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, done)
        return HttpResponseRedirect(
            reverse("admin:reviewers_reviewerprofile_change", args=[profile.pk])
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        profile = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if profile is not None:
            user = request.user
            actions = []
            if profiles.is_owner(profile, user):
                actions.append(("submit", "Submit for publication"))
            if profiles.can_publish(user):
                if profile.submitted_at:
                    actions.append(("publish", "Publish"))
                if profile.is_published:
                    actions.append(("withdraw", "Withdraw"))
            extra["profile_actions"] = actions
        return super().change_view(request, object_id, form_url, extra_context=extra)


@admin.register(EditorialPolicy)
class EditorialPolicyAdmin(admin.ModelAdmin):
    """Publishers edit the policy and funding statement shown on the how-we-rate page."""

    list_display = ["__str__", "updated_at", "updated_by"]

    def has_module_permission(self, request):
        return profiles.can_publish(request.user)

    def has_view_permission(self, request, obj=None):
        return profiles.can_publish(request.user)

    def has_add_permission(self, request):
        return profiles.can_publish(request.user) and not EditorialPolicy.objects.exists()

    def has_change_permission(self, request, obj=None):
        return profiles.can_publish(request.user)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        obj.save()
        # The how-we-rate page is cached for anonymous readers.
        purge_public_pages()
