"""A service's refusal reaches an API client the same way whichever app refused: the status
the rule names (400 bad input, 403 not allowed, 409 wrong state, 412 stale version), its code,
its sentence and, for bad input, the fields. A view calls the service and catches nothing."""

import json
from types import SimpleNamespace

import pytest
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from articles.errors import GateFailed, InvalidInput, NotAllowed, StaleRevision, WrongState
from claims.services import ClaimError, ClaimNotAllowed, StaleClaim
from evidence.annotations import AnnotationError, AnnotationNotAllowed, StaleAnnotation
from evidence.dualreview import RatingsMissing
from spotting.suggestions import SuggestionConflict, SuggestionNotAllowed


def answer_to(refusal):
    """What a client gets from a view whose service raised `refusal`."""

    class RefusingView(APIView):
        authentication_classes = []
        permission_classes = []
        throttle_classes = []

        def post(self, request):
            raise refusal

    response = RefusingView.as_view()(APIRequestFactory().post("/api/v1/x/", {}, format="json"))
    response.render()
    return response.status_code, json.loads(response.content)


NOW = SimpleNamespace(version=7)

CASES = {
    "workflow: not allowed": (
        NotAllowed("Reviewers may not approve their own revision."), 403, "not_allowed"),
    "workflow: wrong state": (WrongState("The article is archived."), 409, "wrong_state"),
    "annotation: archived": (
        AnnotationNotAllowed("The article is archived.", http_status=409), 409, "not_allowed"),
    "annotation: not allowed": (
        AnnotationNotAllowed("Only reviewers rate."), 403, "not_allowed"),
    "dual review: ratings missing": (
        RatingsMissing("rhea has not rated yet.", missing=["rhea"]), 409, "ratings_missing"),
    "claim: merged": (
        ClaimNotAllowed("The claim was merged.", http_status=409, code="merged"), 409, "merged"),
    "claim: not allowed": (ClaimNotAllowed("Only reviewers rate claims."), 403, "not_allowed"),
    "suggestion: not allowed": (
        SuggestionNotAllowed("Only editors decide suggestions."), 403, "not_allowed"),
    "suggestion: decided": (SuggestionConflict("Already dismissed."), 409, "conflict"),
}


@pytest.mark.parametrize("refusal, status, code", CASES.values(), ids=CASES.keys())
def test_a_refusal_is_answered_with_its_status_code_and_sentence(refusal, status, code):
    assert answer_to(refusal) == (status, {"detail": str(refusal), "code": code})


STALE = {
    "article": StaleRevision("Someone saved revision 4 meanwhile.", current=None),
    "annotation": StaleAnnotation(NOW),
    "claim": StaleClaim(NOW),
}


@pytest.mark.parametrize("refusal", STALE.values(), ids=STALE.keys())
def test_a_change_based_on_an_older_version_is_412_with_the_rules_sentence(refusal):
    status, body = answer_to(refusal)
    assert (status, body["code"]) == (412, "precondition_failed")
    assert body["detail"] == str(refusal) and body["detail"]
    assert "errors" not in body


BAD_INPUT = {
    "workflow": (
        InvalidInput("A comment is required to unpublish.",
                     {"comment": ["A comment is required."]}),
        "invalid", {"comment": ["A comment is required."]},
    ),
    "annotation": (
        AnnotationError({"note": ["At most 20000 characters."], "sources": ["No source 9."]}),
        "invalid", {"note": ["At most 20000 characters."], "sources": ["No source 9."]},
    ),
    "claim duplicate": (
        ClaimError({"statement": ["Claim 3 says this already."]}, code="duplicate"),
        "duplicate", {"statement": ["Claim 3 says this already."]},
    ),
}


@pytest.mark.parametrize("refusal, code, errors", BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_is_400_naming_each_field(refusal, code, errors):
    assert answer_to(refusal) == (400, {"detail": str(refusal), "code": code, "errors": errors})


def test_bad_input_without_a_sentence_still_says_what_is_wrong():
    status, body = answer_to(AnnotationError({}))
    assert status == 400
    assert body == {"detail": "The input is not valid.", "code": "invalid"}


def test_a_gate_lists_every_failure():
    refusal = GateFailed("Cannot approve", ["2 annotations are not rated", "a thread is open"])
    status, body = answer_to(refusal)
    assert (status, body["code"]) == (409, "gate_failed")
    assert body["detail"] == "Cannot approve: 2 annotations are not rated; a thread is open"
    assert body["errors"] == {"failures": ["2 annotations are not rated", "a thread is open"]}
