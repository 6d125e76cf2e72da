"""The editorial claim API: the registry, matching, rating, and linking annotations.

Views are thin: they parse and call `claims.services` / `claims.matching`; the API's
exception handler answers their refusals (`ketasite.api.refusal_error`). Public claim
endpoints are in `public/claim_api.py`.
"""

from django.db.models import Count, Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from articles.api import CanViewArticles
from claims import matching, permissions, services
from claims.models import Claim, ClaimLink, ClaimRating
from evidence.models import Annotation, Source
from ketasite.api import (
    EDITORIAL_ACTION_ERRORS,
    EDITORIAL_DETAIL_ERRORS,
    EDITORIAL_PATCH_ERRORS,
    EDITORIAL_READ_ERRORS,
    EDITORIAL_WRITE_ERRORS,
    InvalidRequest,
    StrictSerializer,
    error_responses,
    expected_version,
    validated,
    version_etag,
    visible_or_404,
)

MAX_SIMILAR = 100


def claim_etag(claim):
    return version_etag("claim", claim.pk, claim.version)


# Serialising ----------------------------------------------------------------------------------


def _person(user):
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


def _iso(value):
    return value.isoformat() if value else None


def claim_item(claim):
    """One claim as the editorial API lists it (rated_by and sources loaded)."""
    return {
        "id": claim.pk,
        "slug": claim.slug,
        "statement": claim.statement,
        "verdict": claim.verdict,
        "certainty": claim.certainty,
        "note": claim.note,
        "note_html": claim.note_html,
        "sources": sorted(source.pk for source in claim.sources.all()),
        "rated_by": _person(claim.rated_by),
        "rated_at": _iso(claim.rated_at),
        "version": claim.version,
        "etag": claim_etag(claim),
        "published": claim.published_at is not None,
        "merged_into": claim.merged_into_id,
        "appearance_count": getattr(claim, "appearance_count", None),
    }


def history_item(rating):
    return {
        "verdict": rating.verdict,
        "certainty": rating.certainty,
        "note": rating.note,
        "sources": rating.source_ids,
        "rated_by": _person(rating.actor),
        "rated_at": _iso(rating.created_at),
    }


def link_item(link):
    """One appearance: an annotation linked to the claim, and whether it is confirmed."""
    annotation = link.annotation
    return {
        "annotation": link.annotation_id,
        "article": annotation.article_id,
        "exact": annotation.exact,
        "claim": link.claim_id,
        "linked_by": _person(link.linked_by),
        "linked_at": _iso(link.linked_at),
        "confirmed": link.confirmed_at is not None and link.confirmed_version == link.claim.version,
        "confirmed_by": _person(link.confirmed_by),
        "confirmed_at": _iso(link.confirmed_at),
        "decision": link.decision,
        "confirmation_note": link.confirmation_note,
    }


def claims_for_listing():
    return (
        Claim.objects.select_related("rated_by")
        .prefetch_related(Prefetch("sources", queryset=Source.objects.only("pk")))
        .annotate(appearance_count=Count("links", distinct=True))
    )


def claim_detail_response(claim, status_code=status.HTTP_200_OK, headers=None):
    claim = claims_for_listing().get(pk=claim.pk)
    item = claim_item(claim)
    item["history"] = [
        history_item(r) for r in ClaimRating.objects.filter(claim=claim).select_related("actor")
    ]
    links = (
        ClaimLink.objects.filter(claim=claim)
        .select_related("annotation", "claim", "linked_by", "confirmed_by")
        .order_by("pk")
    )
    item["appearances"] = [link_item(link) for link in links]
    return Response(
        item, status=status_code, headers={"ETag": claim_etag(claim), **(headers or {})}
    )


class HistorySerializer(serializers.Serializer):
    verdict = serializers.CharField(allow_blank=True)
    certainty = serializers.CharField(allow_blank=True)
    note = serializers.CharField(allow_blank=True)
    sources = serializers.ListField(child=serializers.IntegerField())
    rated_by = serializers.CharField(allow_null=True)
    rated_at = serializers.DateTimeField(allow_null=True)


class LinkSerializer(serializers.Serializer):
    annotation = serializers.IntegerField()
    article = serializers.IntegerField()
    exact = serializers.CharField()
    claim = serializers.IntegerField()
    linked_by = serializers.CharField(allow_null=True)
    linked_at = serializers.DateTimeField(allow_null=True)
    confirmed = serializers.BooleanField(
        help_text="A reviewer confirmed the claim's current rating (or their own) for it; "
        "until then the article cannot be approved."
    )
    confirmed_by = serializers.CharField(allow_null=True)
    confirmed_at = serializers.DateTimeField(allow_null=True)
    decision = serializers.CharField(allow_blank=True, help_text="accepted, differs or blank.")
    confirmation_note = serializers.CharField(allow_blank=True)


class ClaimSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    statement = serializers.CharField()
    verdict = serializers.CharField(allow_blank=True)
    certainty = serializers.CharField(allow_blank=True)
    note = serializers.CharField(allow_blank=True)
    note_html = serializers.CharField(allow_blank=True)
    sources = serializers.ListField(child=serializers.IntegerField())
    rated_by = serializers.CharField(allow_null=True)
    rated_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()
    etag = serializers.CharField(help_text="Send it back in If-Match to rate the claim.")
    published = serializers.BooleanField(help_text="A publisher published the claim page.")
    merged_into = serializers.IntegerField(allow_null=True)
    appearance_count = serializers.IntegerField(allow_null=True)


class SimilarClaimSerializer(ClaimSerializer):
    similarity = serializers.FloatField(
        required=False, help_text="With similar_to: 0 to 1, how alike the claim is to the text."
    )
    suggested = serializers.BooleanField(
        required=False,
        help_text=f"With similar_to: true from {matching.SUGGEST_THRESHOLD} up, when no facet "
        "(drug, condition, population, outcome, direction, number…) disagrees."
    )
    reasons = serializers.ListField(
        required=False,
        child=serializers.CharField(),
        help_text="Why it matched or not: the shared drug, condition, outcome, direction and "
        "numbers, then what differs.",
    )


class ClaimDetailSerializer(ClaimSerializer):
    history = HistorySerializer(many=True)
    appearances = LinkSerializer(many=True)


class ClaimCreateSerializer(StrictSerializer):
    statement = serializers.CharField(
        max_length=2000, allow_blank=True, trim_whitespace=False,
        help_text="One short, self-contained sentence (at most 500 characters).",
    )
    annotation = serializers.IntegerField(
        required=False, min_value=1, max_value=2**62,
        help_text="An annotation to link to the new claim (you must be allowed to edit it).",
    )


class ClaimRateSerializer(StrictSerializer):
    verdict = serializers.ChoiceField(choices=Claim.Verdict.choices)
    certainty = serializers.ChoiceField(choices=Claim.Certainty.choices)
    note = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=50_000
    )
    sources = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**62), required=False,
        max_length=200,
    )
    version = serializers.IntegerField(
        required=False, min_value=0, max_value=2**31,
        help_text="The version you read, when you do not send If-Match.",
    )


class LinkInputSerializer(StrictSerializer):
    claim = serializers.IntegerField(min_value=1, max_value=2**62)


class ConfirmInputSerializer(StrictSerializer):
    accept = serializers.BooleanField(
        help_text="true: this passage takes the claim's rating. false: rate it differently "
        "with verdict, certainty and a note saying why."
    )
    verdict = serializers.ChoiceField(choices=Claim.Verdict.choices, required=False)
    certainty = serializers.ChoiceField(choices=Claim.Certainty.choices, required=False)
    note = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=50_000
    )


# Views ----------------------------------------------------------------------------------------


SIMILAR_TO = OpenApiParameter(
    "similar_to", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
    description="Text to match (1 to 1,000 characters): the claims are then ordered by "
    "similarity, each with `similarity`, `suggested` and `reasons`.",
)
Q_PARAM = OpenApiParameter(
    "q", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
    description="Words the statement contains.",
)


def get_visible_claim(request, pk) -> Claim:
    return visible_or_404(
        Claim.objects.all(), pk, allowed=permissions.can_view_claims(request.user), name="claim"
    )


class EditorialClaimListView(generics.GenericAPIView):
    """The claim registry; `?similar_to=` ranks it against a passage. POST registers one."""

    permission_classes = [CanViewArticles]
    queryset = Claim.objects.none()

    @extend_schema(
        operation_id="editorial_claims_list",
        parameters=[SIMILAR_TO, Q_PARAM],
        responses={200: SimilarClaimSerializer(many=True),
                   **error_responses(*EDITORIAL_READ_ERRORS)},
        tags=["editorial"],
    )
    def get(self, request):
        if "similar_to" in request.query_params:
            text = services.clean_similar_to(request.query_params.get("similar_to"))
            matches = matching.similar_claims(text, limit=MAX_SIMILAR)
            by_id = claims_for_listing().in_bulk([m.key for m in matches])
            items = []
            for match in matches:
                claim = by_id.get(match.key)
                if claim is None:
                    continue
                item = claim_item(claim)
                item["similarity"] = match.comparison.similarity
                item["suggested"] = match.comparison.suggested
                item["reasons"] = list(match.comparison.reasons)
                items.append(item)
            page = self.paginate_queryset(items)
            return self.get_paginated_response(page)
        claims = claims_for_listing().current().order_by("statement", "pk")
        words = (request.query_params.get("q") or "").strip()
        if len(words) > services.MAX_SIMILAR_TO_CHARS:
            raise InvalidRequest({"q": ["At most 1,000 characters."]})
        if words:
            claims = claims.filter(statement__icontains=words)
        page = self.paginate_queryset(claims)
        return self.get_paginated_response([claim_item(claim) for claim in page])

    @extend_schema(
        operation_id="editorial_claims_create",
        request=ClaimCreateSerializer,
        examples=[OpenApiExample(
            "Register a claim",
            value={"statement": "Ketamine is not FDA-approved for ADHD."},
            request_only=True,
        )],
        responses={201: ClaimDetailSerializer, **error_responses(*EDITORIAL_WRITE_ERRORS)},
        tags=["editorial"],
    )
    def post(self, request):
        values = validated(request, ClaimCreateSerializer)
        annotation = None
        if "annotation" in values:
            annotation = Annotation.objects.filter(pk=values["annotation"]).first()
            if annotation is None:
                raise InvalidRequest({"annotation": [f"No annotation {values['annotation']}."]})
        claim = services.create_claim(
            statement=values["statement"], actor=request.user, annotation=annotation
        )
        return claim_detail_response(claim, status.HTTP_201_CREATED)


IF_MATCH = OpenApiParameter(
    "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="The claim's ETag you read (or send `version` in the body): stale gives 412, "
    "neither gives 428; `*` rates the claim as it is.",
)


class EditorialClaimDetailView(APIView):
    """A claim with its rating, history and appearances; PATCH rates it (reviewers)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="editorial_claims_retrieve",
        responses={200: ClaimDetailSerializer, **error_responses(*EDITORIAL_DETAIL_ERRORS)},
        tags=["editorial"],
    )
    def get(self, request, pk):
        return claim_detail_response(get_visible_claim(request, pk))

    @extend_schema(
        operation_id="editorial_claims_partial_update",
        parameters=[IF_MATCH],
        request=ClaimRateSerializer,
        examples=[OpenApiExample(
            "Rate a claim",
            value={"verdict": "unsupported", "certainty": "very_low",
                   "note": "No trial in ADHD."},
            request_only=True,
        )],
        responses={200: ClaimDetailSerializer, **error_responses(*EDITORIAL_PATCH_ERRORS)},
        tags=["editorial"],
    )
    def patch(self, request, pk):
        claim = get_visible_claim(request, pk)
        version = expected_version(
            request, kind="claim", pk=claim.pk, current=claim.version,
            missing="Send the claim's ETag in If-Match (or its version in the body), so no "
            "rating is overwritten.",
        )
        values = validated(request, ClaimRateSerializer)
        claim = services.rate_claim(
            claim, actor=request.user, expected_version=version,
            verdict=values["verdict"], certainty=values["certainty"],
            note=values.get("note"), sources=values.get("sources"),
        )
        return claim_detail_response(claim)


def get_visible_annotation(request, pk) -> Annotation:
    return visible_or_404(
        Annotation.objects.all(), pk, allowed=permissions.can_view_claims(request.user),
        name="annotation",
    )


def annotation_link_response(annotation, status_code=status.HTTP_200_OK):
    link = (
        ClaimLink.objects.filter(annotation=annotation)
        .select_related("annotation", "claim", "linked_by", "confirmed_by").first()
    )
    if link is None:
        # Not linked: an answer, not an error (the annotator asks for every annotation).
        return Response({
            "annotation": annotation.pk, "article": annotation.article_id,
            "exact": annotation.exact, "claim": None, "linked_by": None, "linked_at": None,
            "confirmed": False, "confirmed_by": None, "confirmed_at": None, "decision": "",
            "confirmation_note": "", "claim_detail": None,
        }, status=status_code)
    item = link_item(link)
    item["claim_detail"] = claim_item(claims_for_listing().get(pk=link.claim_id))
    return Response(item, status=status_code)


class AnnotationLinkSerializer(LinkSerializer):
    claim = serializers.IntegerField(allow_null=True, help_text="null: not linked to a claim.")
    claim_detail = ClaimSerializer(allow_null=True)


class EditorialAnnotationClaimView(APIView):
    """The claim an annotation makes: PUT links it, DELETE unlinks it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="editorial_annotation_claim_retrieve",
        responses={200: AnnotationLinkSerializer, **error_responses(*EDITORIAL_DETAIL_ERRORS)},
        tags=["editorial"],
    )
    def get(self, request, pk):
        return annotation_link_response(get_visible_annotation(request, pk))

    @extend_schema(
        operation_id="editorial_annotation_claim_update",
        request=LinkInputSerializer,
        examples=[OpenApiExample("Link to claim 1", value={"claim": 1}, request_only=True)],
        responses={200: AnnotationLinkSerializer, **error_responses(*EDITORIAL_WRITE_ERRORS)},
        tags=["editorial"],
    )
    def put(self, request, pk):
        annotation = get_visible_annotation(request, pk)
        claim_id = validated(request, LinkInputSerializer)["claim"]
        claim = Claim.objects.filter(pk=claim_id).first()
        if claim is None:
            raise InvalidRequest({"claim": [f"No claim {claim_id}."]})
        services.link_annotation(annotation, claim=claim, actor=request.user)
        return annotation_link_response(annotation)

    @extend_schema(
        operation_id="editorial_annotation_claim_destroy",
        responses={204: None, **error_responses(*EDITORIAL_ACTION_ERRORS)},
        tags=["editorial"],
    )
    def delete(self, request, pk):
        annotation = get_visible_annotation(request, pk)
        services.unlink_annotation(annotation, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EditorialAnnotationClaimConfirmView(APIView):
    """A reviewer confirms a linked passage: accept the claim's rating, or rate it
    differently with a note on why. Until then the article cannot be approved."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="editorial_annotation_claim_confirm",
        request=ConfirmInputSerializer,
        examples=[
            OpenApiExample("Accept the claim's rating", value={"accept": True},
                           request_only=True),
            OpenApiExample(
                "Rate differently",
                value={"accept": False, "verdict": "mixed", "certainty": "low",
                       "note": "Here the passage is about adults only."},
                request_only=True,
            ),
        ],
        responses={200: AnnotationLinkSerializer, **error_responses(*EDITORIAL_WRITE_ERRORS)},
        tags=["editorial"],
    )
    def post(self, request, pk):
        annotation = get_visible_annotation(request, pk)
        values = validated(request, ConfirmInputSerializer)
        services.confirm_link(
            annotation, actor=request.user, accept=values["accept"],
            verdict=values.get("verdict"), certainty=values.get("certainty"),
            note=values.get("note"),
        )
        return annotation_link_response(annotation)

