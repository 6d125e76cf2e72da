"""What a change of password does besides changing it: the user's API tokens are revoked."""

from accounts.tokens import revoke_user_tokens


class RevokeApiTokensOnPasswordChange:
    """Revoke a user's API tokens whenever their password changes.

    Listed in AUTH_PASSWORD_VALIDATORS, though it refuses no password: Django calls the
    `password_changed` method of every listed validator each time a user saved after
    `set_password()` (the reset link, the admin's own-password and user-password forms,
    `manage.py changepassword`, code that calls `set_password`). That is the one point every
    password change passes through, with no signal and no extra query on other saves; a hash
    upgraded at sign-in does not count as a change. A password disabled in the admin (made
    unusable) is met in `accounts.authentication` instead.
    """

    def validate(self, password, user=None):
        return None

    def password_changed(self, password, user=None):
        if user is not None and user.pk is not None:
            revoke_user_tokens(user=user, actor=None, reason="the password changed")

    def get_help_text(self):
        return "Changing your password signs out every API client that uses your token."
