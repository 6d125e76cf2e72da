"""POST /api/v1/auth/token/ signs in for a token; DELETE revokes the caller's token."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.tokens import issue_token, revoke_token, revoke_user_tokens, token_expires_at
from ketasite.api import (
    DomainError,
    LockedOut,
    StrictSerializer,
    TokenRateThrottle,
    error_responses,
    validated,
)

INVALID_CREDENTIALS = "Unable to sign in with the username and password given."


class TokenRequestSerializer(StrictSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class TokenView(APIView):
    """POST exchanges a username and password for an API token (throttled per client at the
    sign-in rate, locked out by django-axes after repeated failures). DELETE, signed in,
    revokes the caller's token."""

    def _signing_in(self):
        # drf-spectacular asks for authenticators before it gives the view a request.
        return getattr(self.request, "method", None) == "POST"

    def get_authenticators(self):
        # A stale Authorization header must not stop anyone from signing in afresh.
        return [] if self._signing_in() else super().get_authenticators()

    def get_permissions(self):
        return [AllowAny()] if self._signing_in() else [IsAuthenticated()]

    def get_throttles(self):
        return [TokenRateThrottle()] if self._signing_in() else super().get_throttles()

    @extend_schema(
        operation_id="auth_token_create",
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer("Token", {
                "token": serializers.CharField(),
                "expires": serializers.DateTimeField(
                    help_text="After this the token gets 401 (code token_expired): sign in "
                              "again."),
            }),
            **error_responses(400, 413, 415, 429),
        },
        tags=["auth"],
        auth=[],
        examples=[
            OpenApiExample(
                "Sign in",
                value={"username": "editor", "password": "correct horse battery staple"},
                request_only=True,
            ),
        ],
    )
    def post(self, request):
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError("Send an object with username and password.")
        credentials = validated(request, TokenRequestSerializer)
        django_request = request._request
        user = authenticate(
            request=django_request,
            username=credentials["username"],
            password=credentials["password"],
        )
        if getattr(django_request, "axes_locked_out", False):
            # Answer here, in the error shape, rather than with axes' own page.
            django_request.axes_locked_out = False
            raise LockedOut()
        if user is None or not user.is_active:
            # One message for an unknown user and a wrong password: no account probing.
            raise DomainError(status_code=400, detail=INVALID_CREDENTIALS,
                              code="invalid_credentials")
        token = issue_token(user=user)
        return Response({"token": token.key, "expires": token_expires_at(token)})

    @extend_schema(
        operation_id="auth_token_destroy",
        request=None,
        responses={
            204: None,
            **error_responses(400, 401, 403, 429),
        },
        tags=["auth"],
        description=(
            "Revoke the caller's token: the one in the Authorization header, or with a session "
            "the signed-in user's. It stops authenticating at once."
        ),
    )
    def delete(self, request):
        if isinstance(request.auth, Token):
            revoke_token(token=request.auth, actor=request.user, reason="revoked by its owner")
        else:
            revoke_user_tokens(user=request.user, actor=request.user,
                               reason="revoked by its owner")
        return Response(status=status.HTTP_204_NO_CONTENT)
