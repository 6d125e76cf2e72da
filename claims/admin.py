"""Admin for the claim registry: the claim list with appearance counts, merge and split, and
the articles needing re-review. Every change goes through `claims.services`.

Access follows the editorial rights, not per-model permissions: anyone who may see articles
sees claims, editors and reviewers register them, reviewers rate, merge and split, and
publishers publish a claim page.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from claims import permissions, services
from claims.models import Claim, ClaimLink, ClaimMerge, ClaimRating, ReReview
from ketasite.admin_site import ReadOnlyAdmin, ReadOnlyInline


class ClaimInline(ReadOnlyInline):
    def has_view_permission(self, request, obj=None):
        return permissions.can_view_claims(request.user)


class RatingInline(ClaimInline):
    model = ClaimRating
    fk_name = "claim"
    fields = ["created_at", "actor", "verdict", "certainty", "note", "origin"]
    readonly_fields = fields
    verbose_name_plural = "rating history"


class LinkInline(ClaimInline):
    model = ClaimLink
    fk_name = "claim"
    fields = ["annotation", "linked_by", "linked_at", "confirmed_by", "confirmed_at", "decision",
              "origin"]
    readonly_fields = fields
    verbose_name_plural = "appearances (linked annotations)"


class ClaimForm(forms.ModelForm):
    class Meta:
        model = Claim
        fields = ["statement"]


class MergeForm(forms.Form):
    target = forms.ModelChoiceField(
        queryset=Claim.objects.current(), label="Merge into",
        help_text="The claim that stays. The others' appearances and rating history move to it.",
    )
    split = forms.ModelMultipleChoiceField(
        queryset=Claim.objects.filter(merged_into__isnull=False), required=False,
        label="Split back first",
        help_text="Merged claims to split back out in the same request.",
    )


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    form = ClaimForm
    list_display = ["statement", "verdict", "certainty", "appearance_count", "rated_by",
                    "rated_at", "is_published", "merged_into"]
    list_filter = ["verdict", "certainty"]
    search_fields = ["statement", "slug"]
    readonly_fields = ["slug", "verdict", "certainty", "note", "rated_by", "rated_at",
                       "version", "published_at", "published_by", "merged_into"]
    inlines = [RatingInline, LinkInline]
    actions = ["merge_action", "split_action", "publish_action"]
    # Each action is offered only to whoever may do it (claims/permissions.py).
    ACTION_RULES = {"merge_action": permissions.can_merge_claims,
                    "split_action": permissions.can_split_claim,
                    "publish_action": permissions.can_publish_claim}

    def get_actions(self, request):
        actions = super().get_actions(request)
        for name, allowed in self.ACTION_RULES.items():
            if name in actions and not allowed(request.user):
                del actions[name]
        return actions

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("rated_by", "merged_into")
            .annotate(appearance_count=Count("links", distinct=True))
        )

    @admin.display(description="appearances", ordering="appearance_count")
    def appearance_count(self, claim):
        return claim.appearance_count

    @admin.display(description="page published", boolean=True)
    def is_published(self, claim):
        return claim.published_at is not None

    # Rights come from the editorial rules, not model permissions.
    def has_module_permission(self, request):
        return permissions.can_view_claims(request.user)

    def has_view_permission(self, request, obj=None):
        return permissions.can_view_claims(request.user)

    def has_add_permission(self, request):
        return permissions.can_create_claim(request.user)

    def has_change_permission(self, request, obj=None):
        return permissions.can_view_claims(request.user) and obj is None

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Only adding reaches here (claims are not edited in a form): through the service,
        # which refuses a duplicate with a message naming the existing claim.
        claim = services.create_claim(statement=form.cleaned_data["statement"],
                                      actor=request.user)
        obj.pk = claim.pk

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except services.ClaimError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:claims_claim_add"))

    def get_urls(self):
        return [
            path("merge/", self.admin_site.admin_view(self.merge_view),
                 name="claims_claim_merge"),
        ] + super().get_urls()

    @admin.action(description="Merge the selected claims into one…")
    def merge_action(self, request, queryset):
        ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
        return HttpResponseRedirect(f"{reverse('admin:claims_claim_merge')}?ids={ids}")

    @admin.action(description="Split the selected merged claims back out")
    def split_action(self, request, queryset):
        try:
            services.reorganise_claims(actor=request.user, splits=list(queryset))
        except permissions.ClaimNotAllowed as error:
            self.message_user(request, str(error), messages.ERROR)
            return None
        self.message_user(request, f"Split {queryset.count()} claim(s) back out.")
        return None

    @admin.action(description="Publish the selected claim pages")
    def publish_action(self, request, queryset):
        for claim in queryset:
            try:
                services.publish_claim(claim, actor=request.user)
            except permissions.ClaimNotAllowed as error:
                self.message_user(request, f"{claim}: {error}", messages.ERROR)
                return None
        self.message_user(request, "Published the selected claim pages.")
        return None

    def merge_view(self, request):
        """Choose the claim to keep; the others merge into it (and any split back first).

        A refusal (merging a claim into itself, or into one it is split from in the same
        request) answers 409 with the form and its error, and changes nothing; someone who
        may not merge gets 403.
        """
        try:
            permissions.check_merge_claims(request.user)
        except permissions.ClaimNotAllowed as error:
            raise PermissionDenied(str(error)) from error
        raw_ids = request.POST.get("ids") or request.GET.get("ids") or ""
        ids = [int(part) for part in raw_ids.split(",") if part.strip().isdigit()]
        sources = list(Claim.objects.filter(pk__in=ids).order_by("pk"))
        status = 200
        if request.method == "POST":
            form = MergeForm(request.POST)
            if form.is_valid():
                target = form.cleaned_data["target"]
                try:
                    services.reorganise_claims(
                        actor=request.user,
                        splits=list(form.cleaned_data["split"]),
                        merges=[(source, target) for source in sources],
                    )
                except permissions.ClaimNotAllowed as error:
                    form.add_error(None, str(error))
                    status = error.http_status
                else:
                    self.message_user(
                        request, f"Merged {len(sources)} claim(s) into “{target}”."
                    )
                    return HttpResponseRedirect(
                        reverse("admin:claims_claim_change", args=[target.pk])
                    )
            else:
                status = 400
        else:
            form = MergeForm()
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge claims",
            "form": form,
            "sources": sources,
            "ids": ",".join(str(c.pk) for c in sources),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/claims/merge.html", context, status=status)


@admin.register(ReReview)
class ReReviewAdmin(ReadOnlyAdmin):
    list_display = ["article", "claim", "reason", "created_at", "resolved_at"]
    list_filter = ["resolved_at"]
    list_select_related = ["article", "claim"]

    def has_module_permission(self, request):
        return permissions.can_view_claims(request.user)

    def has_view_permission(self, request, obj=None):
        return permissions.can_view_claims(request.user)


@admin.register(ClaimMerge)
class ClaimMergeAdmin(ReReviewAdmin):
    list_display = ["source", "target", "actor", "merged_at", "split_by", "split_at"]
    list_filter = []
    list_select_related = ["source", "target", "actor", "split_by"]
