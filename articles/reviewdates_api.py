"""Editorial API for review dates: an article's own review interval.

PUT /api/v1/editorial/articles/{id}/review-interval/ `{"months": 6}` (or `null` for its tags'
rule or the site default). A value outside 3, 6, 12, 18, 24, 36 is refused with 400 and
nothing is written (`articles.reviewing.set_review_interval`).
"""

from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from articles import reviewdates, reviewing
from articles.access import get_visible_article
from ketasite.api import EDITORIAL_WRITE_ERRORS, StrictSerializer, error_responses, validated


class ReviewIntervalInputSerializer(StrictSerializer):
    # Checked by the service, so the admin, the API and the shell refuse the same values.
    months = serializers.IntegerField(
        allow_null=True, min_value=0, max_value=1000,
        help_text="3, 6, 12, 18, 24 or 36; null: the tags' rule, else the site default.",
    )


def review_dates_item(article):
    return {
        "months": article.review_interval_months,
        "effective_months": reviewdates.interval_of(article),
        "last_reviewed_on": article.last_reviewed_on,
        "review_due": article.review_due,
    }


class ReviewIntervalView(APIView):
    """Set the article's review interval; answers its review dates."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="editorial_review_interval_update",
        request=ReviewIntervalInputSerializer,
        examples=[OpenApiExample("Every six months", value={"months": 6}, request_only=True)],
        responses={
            200: inline_serializer("ReviewDates", {
                "months": serializers.IntegerField(allow_null=True),
                "effective_months": serializers.IntegerField(),
                "last_reviewed_on": serializers.DateField(allow_null=True),
                "review_due": serializers.DateField(allow_null=True),
            }),
            **error_responses(*EDITORIAL_WRITE_ERRORS),
        },
        tags=["editorial"],
    )
    def put(self, request, pk):
        article = get_visible_article(request, pk)
        months = validated(request, ReviewIntervalInputSerializer)["months"]
        article = reviewing.set_review_interval(article, actor=request.user, months=months)
        return Response(review_dates_item(article))
