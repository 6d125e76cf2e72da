"""Public claim API: GET /api/v1/claims/ and /api/v1/claims/{slug}/ (anonymous).

Only public claims (`claims.public`), with the appearances live publications froze.
"""

from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from claims.models import Claim
from claims.public import find_public_claim, public_claim_item, public_claims
from ketasite.api import (
    PUBLIC_ERRORS,
    ConditionalGetMixin,
    TwoEndedPagination,
    error_responses,
    public_endpoint,
)
from public.caching import cached_public_page


class PublicClaimSourceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField(allow_blank=True)
    authors = serializers.CharField(allow_blank=True)
    journal = serializers.CharField(allow_blank=True)
    year = serializers.IntegerField(allow_null=True)
    pmid = serializers.CharField(allow_blank=True)
    doi = serializers.CharField(allow_blank=True)
    url = serializers.CharField(allow_blank=True)
    design = serializers.CharField(allow_blank=True)


class PublicClaimHistorySerializer(serializers.Serializer):
    verdict = serializers.CharField(allow_blank=True)
    certainty = serializers.CharField(allow_blank=True)
    note = serializers.CharField(allow_blank=True)
    date = serializers.DateTimeField()


class PublicClaimAppearanceSerializer(serializers.Serializer):
    title = serializers.CharField()
    url = serializers.CharField(help_text="The article's public page.")
    exact = serializers.CharField(help_text="The passage, as published.")
    verdict = serializers.CharField(
        allow_blank=True, help_text="The passage's rating as its publication was approved with."
    )
    certainty = serializers.CharField(allow_blank=True)
    published_at = serializers.DateTimeField()


class PublicClaimSerializer(serializers.Serializer):
    slug = serializers.CharField()
    statement = serializers.CharField()
    verdict = serializers.CharField(allow_blank=True)
    verdict_label = serializers.CharField()
    certainty = serializers.CharField(allow_blank=True)
    certainty_label = serializers.CharField()
    note = serializers.CharField(allow_blank=True, help_text="Markdown.")
    note_html = serializers.CharField(allow_blank=True, help_text="Sanitised HTML.")
    reviewed_by = serializers.CharField(allow_blank=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)
    sources = PublicClaimSourceSerializer(many=True)
    history = PublicClaimHistorySerializer(many=True)
    appearances = PublicClaimAppearanceSerializer(many=True)
    url = serializers.CharField(help_text="The claim's public page.")


VERDICT = OpenApiParameter(
    "verdict", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
    enum=list(Claim.Verdict.values), description="Only claims with this verdict.",
)
TAG = OpenApiParameter(
    "tag", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
    description="Only claims shown by a live article with this tag (its address, e.g. adhd).",
)


class PublicClaimListView(ConditionalGetMixin, generics.ListAPIView):
    """Claims shown by published articles (or published on their own), by statement."""

    permission_classes = [AllowAny]
    serializer_class = PublicClaimSerializer
    filterset_class = None
    pagination_class = TwoEndedPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Claim.objects.none()
        verdict = self.request.query_params.get("verdict", "")
        if verdict and verdict not in Claim.Verdict.values:
            raise exceptions.ValidationError(
                {"verdict": [f"One of {', '.join(Claim.Verdict.values)}."]}
            )
        tag = self.request.query_params.get("tag", "")
        if len(tag) > 100:
            raise exceptions.ValidationError({"tag": ["At most 100 characters."]})
        return public_claims(verdict=verdict, tag=tag)

    @extend_schema(
        operation_id="claims_list",
        parameters=[VERDICT, TAG],
        responses={200: PublicClaimSerializer(many=True), **error_responses(*PUBLIC_ERRORS)},
        tags=["public"],
    )
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([public_claim_item(claim) for claim in page])


class PublicClaimDetailView(ConditionalGetMixin, APIView):
    """One public claim; a claim merged into another answers 301 to it."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="claims_retrieve",
        responses={200: PublicClaimSerializer, **error_responses(*PUBLIC_ERRORS)},
        tags=["public"],
    )
    def get(self, request, slug):
        claim, moved_to = find_public_claim(slug)
        if moved_to is not None:
            location = reverse("api:claim-detail", kwargs={"slug": moved_to})
            return Response(
                {"detail": f"This claim has moved to {location}.", "code": "moved_permanently"},
                status=status.HTTP_301_MOVED_PERMANENTLY, headers={"Location": location},
            )
        if claim is None:
            raise exceptions.NotFound()
        return Response(public_claim_item(claim))


public_claim_list = public_endpoint(PublicClaimListView, page_cache=cached_public_page)
public_claim_detail = public_endpoint(PublicClaimDetailView, page_cache=cached_public_page)

# Routes, under /api/v1/ in the "api" namespace (`ketasite.api_urls` includes this module).
urlpatterns = [
    path("claims/", public_claim_list, name="claim-list"),
    path("claims/<slug:slug>/", public_claim_detail, name="claim-detail"),
]
