"""The admin's list of API tokens: whose, issued when, expiring when; revoke selected.

DRF's own token admin is replaced: it lists the keys themselves, which would let anyone who
may view the list act as any of those users.
"""

from django.contrib import admin, messages
from rest_framework.authtoken.models import TokenProxy

from accounts.models import ApiTokenHolder
from accounts.tokens import is_expired, revoke_user_tokens, token_expires_at
from ketasite.admin_site import ReadOnlyAdmin

if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)


@admin.register(ApiTokenHolder)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("username", "issued", "expires", "status")
    search_fields = ("username", "email")
    ordering = ("-auth_token__created",)
    fields = ("username", "issued", "expires", "status")
    readonly_fields = fields
    actions = ["revoke_tokens"]

    def get_queryset(self, request):
        return (
            super().get_queryset(request)
            .filter(auth_token__isnull=False)
            .select_related("auth_token")
        )

    # Tokens are issued by signing in; this list only shows and revokes them (read-only:
    # deleting here would delete the user, so it is not offered).
    def has_revoke_permission(self, request):
        return request.user.has_perm("authtoken.delete_token")

    @admin.display(description="issued", ordering="auth_token__created")
    def issued(self, holder):
        return holder.auth_token.created

    @admin.display(description="expires")
    def expires(self, holder):
        return token_expires_at(holder.auth_token)

    @admin.display(description="status")
    def status(self, holder):
        return "expired" if is_expired(holder.auth_token) else "valid"

    @admin.action(description="Revoke the selected API tokens", permissions=["revoke"])
    def revoke_tokens(self, request, queryset):
        revoked = sum(
            revoke_user_tokens(user=holder, actor=request.user, reason="revoked in the admin")
            for holder in queryset
        )
        self.message_user(
            request, f"Revoked {revoked} API token{'' if revoked == 1 else 's'}.",
            messages.SUCCESS,
        )
