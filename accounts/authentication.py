"""Token authentication for the API, with expiry."""

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from accounts.tokens import is_expired

EXPIRED = "The token has expired. Sign in again at /api/v1/auth/token/ for a new one."
SIGN_IN_DISABLED = "This account can no longer sign in with a password, so its token is void."


class ExpiringTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, refused (401, code `token_expired`) once the token is
    `KETASITE_TOKEN_DAYS` old.

    A token also stops working when an administrator disables the account's password (that
    change does not pass through `set_password`, so it is checked here, on the row already
    loaded: no extra query).
    """

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if is_expired(token):
            raise exceptions.AuthenticationFailed(EXPIRED, code="token_expired")
        if not user.has_usable_password():
            raise exceptions.AuthenticationFailed(SIGN_IN_DISABLED, code="token_revoked")
        return user, token
