"""The API's own views: token sign-in and the offline Swagger UI."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, inline_serializer
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import exceptions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from ketasite.api import (
    DomainError,
    LockedOut,
    StrictSerializer,
    TokenRateThrottle,
    error_responses,
)

# ---------------------------------------------------------------------------------------------
# Token sign-in

INVALID_CREDENTIALS = "Unable to sign in with the username and password given."


class TokenRequestSerializer(StrictSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class ObtainTokenView(APIView):
    """Exchange a username and password for an API token (throttled, locked out by
    django-axes after repeated failures)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenRateThrottle]

    @extend_schema(
        operation_id="auth_token_create",
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer("Token", {"token": serializers.CharField()}),
            **error_responses(400, 413, 415, 429),
        },
        tags=["auth"],
        auth=[],
    )
    def post(self, request):
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError("Send an object with username and password.")
        incoming = TokenRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        django_request = request._request
        user = authenticate(
            request=django_request,
            username=incoming.validated_data["username"],
            password=incoming.validated_data["password"],
        )
        if getattr(django_request, "axes_locked_out", False):
            # Answer here, in the error shape, rather than with axes' own page.
            django_request.axes_locked_out = False
            raise LockedOut()
        if user is None or not user.is_active:
            # One message for an unknown user and a wrong password: no account probing.
            raise DomainError(status_code=400, detail=INVALID_CREDENTIALS,
                              code="invalid_credentials")
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class SwaggerDocsView(SpectacularSwaggerSplitView):
    """Swagger UI from drf-spectacular-sidecar (no CDN), its start-up script served as a
    separate file and without the stock inline style, so the CSP holds."""

    template_name = "api/swagger_ui.html"
