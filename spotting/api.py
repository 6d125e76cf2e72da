"""The editorial suggestions API: the draft's suggested claims, and accepting or dismissing one.

Permission: whoever may annotate the article (`suggestions.can_decide`); others who may see
the article get 403, anyone else 404. The views only translate: every rule is in
`spotting/suggestions.py` and, for the annotation an accept makes, `evidence/annotations.py`.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from articles.access import get_visible_article
from evidence.api import (
    EditorialAnnotationDetailSerializer,
    annotation_detail_response,
    editorial_annotations,
)
from ketasite.api import EDITORIAL_ACTION_ERRORS, error_responses
from spotting import suggestions as rules
from spotting.models import Suggestion


class SelectorSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["TextQuoteSelector", "TextPositionSelector"])
    exact = serializers.CharField(required=False)
    prefix = serializers.CharField(required=False)
    suffix = serializers.CharField(required=False)
    start = serializers.IntegerField(required=False)
    end = serializers.IntegerField(required=False)


class SuggestionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    quote = serializers.CharField(help_text="The sentence, as it reads in the draft.")
    selector = SelectorSerializer(
        many=True,
        help_text="W3C TextQuoteSelector and TextPositionSelector (positions in the article's "
        "plain text, blocks joined by a blank line), as an annotation's target has.",
    )
    block = serializers.CharField(help_text="The block the sentence is in.")
    start = serializers.IntegerField(help_text="Offset of the sentence in its block's text.")
    end = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Suggestion.Kind.choices)
    kind_label = serializers.CharField()
    score = serializers.FloatField(min_value=0, max_value=1)
    reasons = serializers.ListField(child=serializers.CharField())
    state = serializers.ChoiceField(choices=Suggestion.State.choices)


def suggestion_item(suggestion: Suggestion) -> dict:
    return {
        "id": suggestion.pk,
        "quote": suggestion.exact,
        "selector": [
            {"type": "TextQuoteSelector", "exact": suggestion.exact,
             "prefix": suggestion.prefix, "suffix": suggestion.suffix},
            {"type": "TextPositionSelector", "start": suggestion.position_start,
             "end": suggestion.position_end},
        ],
        "block": suggestion.block_id,
        "start": suggestion.start,
        "end": suggestion.end,
        "kind": suggestion.kind,
        "kind_label": suggestion.get_kind_display(),
        "score": suggestion.score,
        "reasons": list(suggestion.reasons),
        "state": suggestion.state,
    }


def _article_for_deciding(request, pk):
    article = get_visible_article(request, pk)
    if not rules.can_decide(request.user):
        raise exceptions.PermissionDenied(
            "Only editors and reviewers, who may annotate articles, see and decide suggested "
            "claims."
        )
    return article


def _suggestion_of(article, sid) -> Suggestion:
    suggestion = Suggestion.objects.filter(pk=sid, article=article).first()
    if suggestion is None:
        raise exceptions.NotFound("This article has no suggestion with this id.")
    return suggestion


class EditorialSuggestionListView(generics.GenericAPIView):
    """The claims the spotter suggests on the article's draft, in reading order."""

    permission_classes = [IsAuthenticated]
    queryset = Suggestion.objects.none()
    serializer_class = SuggestionSerializer

    @extend_schema(
        operation_id="editorial_article_suggestions_list",
        description="Sentences of the draft that make a check-worthy health claim, as the "
        "claim spotter found them on import or edit: open ones only (not accepted, not "
        "dismissed for this article, not already annotated). Each has the W3C selectors an "
        "annotation of it would have, a kind, a score from 0 to 1 and the reasons in words.",
        responses={200: SuggestionSerializer(many=True),
                   **error_responses(400, 401, 403, 404, 429)},
        tags=["editorial"],
    )
    def get(self, request, pk):
        article = _article_for_deciding(request, pk)
        page = self.paginate_queryset(rules.open_suggestions(article))
        return self.get_paginated_response([suggestion_item(s) for s in page])


class EditorialSuggestionAcceptView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="editorial_article_suggestions_accept",
        description="Make an annotation of the suggested sentence, unrated, as if an editor "
        "had marked it: the same permission, anchoring and approval rules apply. 409 when the "
        "suggestion was already accepted or dismissed, or the draft has changed since.",
        request=None,
        responses={201: EditorialAnnotationDetailSerializer,
                   **error_responses(*EDITORIAL_ACTION_ERRORS)},
        tags=["editorial"],
    )
    def post(self, request, pk, sid):
        article = _article_for_deciding(request, pk)
        suggestion = _suggestion_of(article, sid)
        annotation = rules.accept_suggestion(suggestion, actor=request.user)
        return annotation_detail_response(
            request, editorial_annotations().get(pk=annotation.pk), status.HTTP_201_CREATED
        )


class EditorialSuggestionDismissView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="editorial_article_suggestions_dismiss",
        description="Record that the sentence is not a claim worth checking. It is never "
        "suggested again for this article, even after a re-import or an edit. 409 when the "
        "suggestion was already accepted or dismissed.",
        request=None,
        responses={
            200: OpenApiResponse(
                inline_serializer("DismissedSuggestion", {
                    "suggestion": SuggestionSerializer(),
                    "dismissed_at": serializers.DateTimeField(),
                }),
                description="The suggestion, now dismissed.",
            ),
            **error_responses(*EDITORIAL_ACTION_ERRORS),
        },
        tags=["editorial"],
    )
    def post(self, request, pk, sid):
        article = _article_for_deciding(request, pk)
        suggestion = _suggestion_of(article, sid)
        dismissal = rules.dismiss_suggestion(suggestion, actor=request.user)
        return Response({"suggestion": suggestion_item(suggestion),
                         "dismissed_at": dismissal.created_at})
