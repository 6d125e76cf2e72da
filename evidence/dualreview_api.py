"""The editorial API of dual review: an assigned reviewer's own rating, and the consensus.

Both call `evidence.dualreview`; its refusals are answered like every service's
(`ketasite.api.refusal_error`). The
ratings are never public: public clients read the frozen, settled rating of each annotation.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from evidence import dualreview
from evidence.api import (
    ConsensusSerializer,
    ReviewerRatingSerializer,
    get_visible_annotation,
)
from evidence.models import Annotation, ReviewerRating
from ketasite.api import (
    EDITORIAL_ACTION_ERRORS,
    StrictSerializer,
    error_responses,
    validated,
)


class RatingInputSerializer(StrictSerializer):
    certainty = serializers.ChoiceField(choices=Annotation.Certainty.choices)
    verdict = serializers.ChoiceField(choices=Annotation.Verdict.choices)
    note = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=50_000
    )


class EditorialRatingView(APIView):
    """The independent ratings of an annotation in dual review (blind until both exist)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="editorial_annotation_ratings_list",
        description="The independent ratings you may see: your own until both reviewers "
        "have rated, then both.",
        responses={200: ReviewerRatingSerializer(many=True), **error_responses(400, 401, 404,
                                                                               429)},
        tags=["editorial"],
    )
    def get(self, request, pk):
        annotation = get_visible_annotation(request, pk)
        state = dualreview.dual_states([annotation], viewer=request.user)[annotation.pk]
        return Response([dualreview.rating_item(r) for r in state.ratings])

    @extend_schema(
        operation_id="editorial_annotation_ratings_create",
        description="Record your own rating. Only reviewers assigned to the article, once "
        "each (403); 409 when the article does not need two ratings.",
        request=RatingInputSerializer,
        responses={201: ReviewerRatingSerializer, **error_responses(*EDITORIAL_ACTION_ERRORS)},
        tags=["editorial"],
    )
    def post(self, request, pk):
        annotation = get_visible_annotation(request, pk)
        values = validated(request, RatingInputSerializer)
        rating = dualreview.rate_independently(
            annotation, actor=request.user, certainty=values["certainty"],
            verdict=values["verdict"], note=values.get("note", ""),
        )
        rating = ReviewerRating.objects.select_related("reviewer").get(pk=rating.pk)
        return Response(dualreview.rating_item(rating), status=status.HTTP_201_CREATED)


class ConsensusInputSerializer(RatingInputSerializer):
    note = serializers.CharField(trim_whitespace=False, max_length=50_000)


class EditorialConsensusView(APIView):
    """Record the agreed rating of an annotation whose two ratings exist."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="editorial_annotation_consensus_create",
        description="One of the two raters or the article's arbiter records the agreed "
        "rating with a note (403 for anyone else); it is what the annotation publishes. 409 "
        "before both ratings exist (the detail names who has not rated) or once recorded.",
        request=ConsensusInputSerializer,
        responses={201: ConsensusSerializer, **error_responses(*EDITORIAL_ACTION_ERRORS)},
        tags=["editorial"],
    )
    def post(self, request, pk):
        annotation = get_visible_annotation(request, pk)
        values = validated(request, ConsensusInputSerializer)
        consensus = dualreview.record_consensus(
            annotation, actor=request.user, certainty=values["certainty"],
            verdict=values["verdict"], note=values["note"],
        )
        return Response(dualreview.consensus_item(consensus), status=status.HTTP_201_CREATED)
