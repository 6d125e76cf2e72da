"""The OpenAPI schema describes every endpoint and its errors; the docs are served offline;
schemathesis finds no 500 and no response that breaks the schema."""

import re
from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.parameters import ParameterLocation
from werkzeug.test import Client as WSGIClient

from articles import workflow
from articles.models import Article
from claims import services as claim_services
from evidence.models import (
    Annotation,
    DualReviewPolicy,
    ReviewComment,
    ReviewerRating,
    Source,
)
from ketasite.wsgi import application
from tests.api.conftest import publish_article
from tests.conftest import make_annotation, make_article, make_blocks, make_user
from tests.workflow.conftest import assign, ready_article

State = Article.State

API_MD_PATHS = [
    "/api/v1/auth/token/",
    "/api/v1/articles/",
    "/api/v1/articles/{slug}/",
    "/api/v1/articles/{slug}/annotations/",
    "/api/v1/annotations/{id}/",
    "/api/v1/sources/",
    "/api/v1/sources/{id}/",
    "/api/v1/tags/",
    "/api/v1/editorial/articles/",
    "/api/v1/editorial/articles/{id}/",
    "/api/v1/editorial/articles/{id}/revisions/",
    "/api/v1/editorial/articles/{id}/revisions/{number}/",
    "/api/v1/editorial/articles/{id}/diff/",
    "/api/v1/editorial/articles/{id}/reviewers/",
    "/api/v1/editorial/articles/{id}/transitions/",
    "/api/v1/editorial/articles/{id}/events/",
    "/api/v1/editorial/articles/{id}/annotations/",
    "/api/v1/editorial/annotations/{id}/",
    "/api/v1/editorial/annotations/{id}/comments/",
    "/api/v1/editorial/comments/{id}/resolve/",
    "/api/v1/editorial/comments/{id}/reopen/",
]


def _normalised(path):
    return re.sub(r"\{[^}]+\}", "{id}", path)


@pytest.mark.django_db
def test_schema_lists_every_endpoint_of_the_contract(api):
    schema = api.get("/api/schema/?format=json").json()
    paths = {_normalised(p) for p in schema["paths"]}
    assert {_normalised(p) for p in API_MD_PATHS} <= paths


@pytest.mark.django_db
def test_schema_documents_the_error_shape_on_every_operation(api):
    schema = api.get("/api/schema/?format=json").json()
    assert set(schema["components"]["schemas"]["Error"]["properties"]) == {
        "detail", "code", "errors"
    }
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            errors = [code for code in operation["responses"] if code.startswith("4")]
            assert errors, f"{method.upper()} {path} documents no error response"


@pytest.mark.django_db
def test_every_operation_documents_the_400_a_nul_in_its_address_gets(api):
    """Any API address whose query holds a NUL is refused with 400 before it reaches a
    view (PostgreSQL cannot store one), so every operation's schema must list that 400."""
    schema = api.get("/api/schema/?format=json").json()
    undocumented = []
    for path, operations in schema["paths"].items():
        url = re.sub(r"\{[^}]+\}", "1", path) + "?page=1%00"
        for method in operations:
            response = getattr(api, method)(url)
            assert response.status_code == 400, (method, url, response.status_code)
            assert response.json()["code"] == "invalid"
            if "400" not in operations[method]["responses"]:
                undocumented.append(f"{method.upper()} {path}")
    assert undocumented == []


@pytest.mark.django_db
def test_docs_page_is_served_offline_without_inline_script(api):
    page = api.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/" in page
    assert "cdn" not in page.lower()
    assert "<style" not in page
    assert re.search(r"<script>\s*\S", page) is None
    script = api.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


# Schemathesis ------------------------------------------------------------------------------
#
# Schemathesis generates every operation's parameters, headers and bodies from the schema; the
# tests below point the generated cases at real objects, so that details, edits, transitions,
# threads, revisions and diffs answer for real and their responses are checked against the
# schema, not only the 404 of an id nobody has.


def _load_schema():
    # Generating the schema needs no database, so it can be loaded at collection.
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


schema = _load_schema()

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

FUZZ_SETTINGS = hypothesis_settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)

# What anyone may call without signing in (API.md, "Public"); every other operation must
# refuse an anonymous client, whatever it sends.
PUBLIC_OPERATIONS = {
    "GET /api/v1/articles/",
    "GET /api/v1/articles/{slug}/",
    "GET /api/v1/articles/{slug}/annotations/",
    "GET /api/v1/annotations/{id}/",
    "GET /api/v1/sources/",
    "GET /api/v1/sources/{id}/",
    "GET /api/v1/tags/",
    "GET /api/v1/claims/",
    "GET /api/v1/claims/{slug}/",
    "POST /api/v1/auth/token/",
}


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Call the WSGI app the way Django's test client does.

    Schemathesis calls the application directly, so each request's start and end would
    close "old" database connections, and a connection inside the test's transaction counts
    as one: on PostgreSQL the next query would meet a closed connection.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def no_throttles(monkeypatch):
    """Lift every API rate for the run: hundreds of requests a minute from one client is
    what a fuzzer is, and a 429 checks nothing behind it.

    The throttles read their rates from this dict when each request is counted (a rate of
    None counts nothing, so the cache-based counters stay empty); the cache itself is
    cleared around every test (tests/conftest.py).
    """
    for scope in list(SimpleRateThrottle.THROTTLE_RATES):
        monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, scope, None)


def documented_example(path, method):
    """The value of the first request example the schema documents for an operation."""
    body = schema.raw_schema["paths"][path][method]["requestBody"]["content"]
    return next(iter(body["application/json"]["examples"].values()))["value"]


class World:
    """Real objects for the generated cases: a live article (its slug, its published
    annotation, the source it cites), a draft with two revisions, an open annotation with a
    review thread, and the people who work on them. Operations that use an object up
    (a transition, a DELETE, resolving a thread, revoking a token) get a fresh one per case.
    """

    def __init__(self):
        # What the schema's request examples name exists: the editor who signs in, the
        # reviewer assigned, the passage marked in the draft's block p1.
        sign_in = documented_example("/api/v1/auth/token/", "post")
        assignment = documented_example("/api/v1/editorial/articles/{id}/reviewers/", "put")
        mark = documented_example("/api/v1/editorial/articles/{id}/annotations/", "post")
        text = "Ketamine may help some adults with ADHD."
        assert (mark["block"], text[mark["start"]:mark["end"]]) == ("p1", mark["exact"])
        self.editor = make_user(username=sign_in["username"],
                                groups=("Editors", "Reviewers", "Publishers"))
        self.editor.set_password(sign_in["password"])
        self.editor.save(update_fields=["password"])
        self.token = Token.objects.create(user=self.editor).key
        self.colleague = make_user("Editors", username="colleague")
        self.reviewer = make_user("Reviewers", username=assignment["reviewers"][0])
        self.source = Source.objects.create(title="A trial of ketamine", pmid="12345",
                                            year=2020, design=Source.Design.RCT)
        self.live, _, (self.published_annotation,) = publish_article(source=self.source)
        self.draft = make_article(author=self.editor, tags=("adhd",), blocks=make_blocks(text))
        workflow.save_revision(self.draft, actor=self.editor, base_number=1,
                               summary="A second revision, to compare with the first.")
        self.draft.refresh_from_db()
        self.annotation = self.new_annotation()
        self.thread = self.new_thread()
        self.claim = claim_services.create_claim(
            statement="Ketamine is not FDA-approved for ADHD.", actor=self.editor)
        claim_services.rate_claim(self.claim, actor=self.editor, expected_version=1,
                                  verdict="unsupported", certainty="low")
        claim_services.publish_claim(self.claim, actor=self.editor)
        # Read through the WSGI application as schemathesis calls it: Django's test client
        # would connect close_old_connections to the request signals again after each call.
        self.wsgi = WSGIClient(application)
        self._cases = Counter()

    def headers(self, case):
        if case.operation.label == "DELETE /api/v1/auth/token/":
            # Revoking uses the token up: each case revokes a token of its own.
            user = make_user("Editors")
            return {"Authorization": f"Token {Token.objects.create(user=user).key}"}
        return {"Authorization": f"Token {self.token}"}

    def new_annotation(self):
        return make_annotation(self.draft, block_id="p1", start=0, end=8, certainty="low",
                               verdict="unsupported", note="Check the trial.")

    def linked_annotation(self):
        annotation = self.new_annotation()
        claim_services.link_annotation(annotation, claim=self.claim, actor=self.editor)
        return annotation

    def new_suggestion(self):
        """A suggested claim on the draft's p1, open, of a sentence not dismissed yet (an
        accept or a dismiss uses it up)."""
        from spotting.models import Suggestion

        self._suggestions = getattr(self, "_suggestions", 0) + 1
        revision = self.draft.draft
        text = revision.blocks[1]["text"]
        # A range of its own for each (one suggestion per range and revision).
        start, end = divmod(self._suggestions, 30)
        end = len(text) - 1 - end
        return Suggestion.objects.create(
            article=self.draft, revision=revision, block_id="p1", start=start, end=end,
            exact=text[start:end], position_start=start, position_end=end, kind="efficacy",
            score=0.9, sentence_hash=f"schema-case-{self._suggestions}",
            reasons=["a drug: ketamine"],
        )

    def dual_annotation(self, *, rated_apart=False):
        """A fresh unrated passage of an article in dual review, the editor and the reviewer
        assigned; with `rated_apart`, both have rated it and conflict (a consensus is due)."""
        article = ready_article(author=self.colleague, reviewer=self.reviewer,
                                state=State.IN_REVIEW)
        assign(article, self.editor)
        DualReviewPolicy.objects.create(article=article)
        annotation = article.annotations.get()
        Annotation.objects.filter(pk=annotation.pk).update(certainty="", verdict="")
        if rated_apart:
            for reviewer, verdict in ((self.editor, "mixed"), (self.reviewer, "supported")):
                ReviewerRating.objects.create(annotation=annotation, reviewer=reviewer,
                                              verdict=verdict, certainty="low")
        return annotation

    def new_thread(self, *, resolved=False):
        return ReviewComment.objects.create(
            annotation=self.annotation, author=self.editor, body="Is there a trial for this?",
            resolved_at=timezone.now() if resolved else None,
            resolved_by=self.editor if resolved else None,
        )

    def article_for(self, action):
        """A fresh article from which `action` succeeds for the editor, gates passed."""
        state = {
            "submit": State.DRAFT, "request_changes": State.IN_REVIEW,
            "approve": State.IN_REVIEW, "publish": State.APPROVED,
            "unpublish": State.PUBLISHED, "archive": State.DRAFT, "restore": State.ARCHIVED,
            "reviewed_no_change": State.PUBLISHED,
        }[action]
        # Submitting is for an author; approving is not (four eyes).
        author = self.editor if action == "submit" else self.colleague
        return ready_article(author=author, reviewer=self.reviewer, state=state)

    def aim(self, case):
        """Point the case at real objects: the ids and slugs in its path, and the If-Match
        or version it sends (when it sends one), so that what the server answers is about
        the object and not about an id nobody has.

        Cases whose path parameters are invalid on purpose keep them. Of the others, one
        in five keeps the ids schemathesis made up (unknown: the 404 stays checked) and
        one in five the version it made up (stale: the 412).
        """
        label = case.operation.label
        self._cases[label] += 1
        turn = self._cases[label] % 5
        if turn == 0 or (case.meta and case.meta.is_negative_at(ParameterLocation.PATH)):
            return
        case.path_parameters = {
            name: self._real(case, name) for name in case.path_parameters
        }
        if turn != 1:
            self._send_current_version(case)

    def _real(self, case, name):
        """The real value of path parameter `name`, fresh when the case uses it up."""
        path, label = case.path, case.operation.label
        if path.startswith("/api/v1/claims/"):
            return self.claim.slug
        if name == "slug":
            return self.live.slug
        if path.startswith("/api/v1/editorial/claims/"):
            return self.claim.pk
        if label in ("DELETE /api/v1/editorial/annotations/{id}/claim/",
                     "POST /api/v1/editorial/annotations/{id}/claim/confirm/"):
            return self.linked_annotation().pk
        if label == "PUT /api/v1/editorial/annotations/{id}/claim/" and isinstance(
                case.body, dict) and isinstance(case.body.get("claim"), int):
            case.body["claim"] = self.claim.pk
        if name == "number":
            return self.draft.draft.number
        if path.endswith("/transitions/"):
            action = case.body.get("action") if isinstance(case.body, dict) else None
            if isinstance(action, str) and action in workflow.ACTIONS:
                return self.article_for(action).pk
        if name == "sid":
            return self.new_suggestion().pk
        if path.startswith("/api/v1/editorial/articles/"):
            return self.draft.pk
        if label == "DELETE /api/v1/editorial/annotations/{id}/":
            return self.new_annotation().pk
        if label == "POST /api/v1/editorial/annotations/{id}/ratings/":
            return self.dual_annotation().pk
        if label == "POST /api/v1/editorial/annotations/{id}/consensus/":
            return self.dual_annotation(rated_apart=True).pk
        if path.startswith("/api/v1/editorial/annotations/"):
            return self.annotation.pk
        if path.endswith("/resolve/"):
            return self.new_thread().pk
        if path.endswith("/reopen/"):
            return self.new_thread(resolved=True).pk
        if path.startswith("/api/v1/annotations/"):
            return self.published_annotation.pk
        if path.startswith("/api/v1/sources/"):
            return self.source.pk
        raise AssertionError(f"no real value for {name} in {label}")

    def _send_current_version(self, case):
        """Replace the If-Match header and the body's version, when the case sends them,
        with those of the object as it is now."""
        sends_version = isinstance(case.body, dict) and isinstance(case.body.get("version"), int)
        if "If-Match" not in case.headers and not sends_version:
            return
        current = self.wsgi.get(case.formatted_path, headers={
            "Authorization": f"Token {self.token}", "Accept-Encoding": "identity",
        })
        assert current.status_code == 200, (case.formatted_path, current.status_code)
        if "If-Match" in case.headers:
            case.headers["If-Match"] = current.headers["ETag"]
        if sends_version:
            case.body["version"] = current.json["version"]


class Statuses:
    """The statuses an operation answered in one run, and who asked."""

    def __init__(self):
        self.counts = Counter()
        self.anonymous = False

    def record(self, response):
        self.counts[response.status_code] += 1

    def successes(self):
        return sum(n for status, n in self.counts.items() if 200 <= status < 300)

    def __str__(self):
        return ", ".join(f"{status}×{n}" for status, n in sorted(self.counts.items()))


@pytest.fixture
def world(db, no_throttles):
    return World()


@pytest.fixture
def statuses(request):
    """Record what the operation answered; afterwards, check that the run reached it."""
    recorded = Statuses()
    failed_before = request.session.testsfailed
    yield recorded
    label = request.node.operation_label
    request.node.user_properties.append(("statuses", str(recorded)))  # in --junitxml
    if request.session.testsfailed > failed_before:
        return  # the test failed on a response; that failure says more than the count
    assert 429 not in recorded.counts, f"{label} was throttled: {recorded}"
    if recorded.anonymous and label not in PUBLIC_OPERATIONS:
        assert recorded.successes() == 0, f"{label} let an anonymous client in: {recorded}"
    else:
        assert recorded.successes(), f"{label} never answered 2xx: {recorded}"


# Schemathesis sends requests' default `Accept-Encoding: gzip, deflate`, and its WSGI transport
# does not undo a Content-Encoding as an HTTP client does: the stored gzip form of a public
# document would reach the schema check still compressed. That the gzip form is the identity
# form compressed is tested in tests/api/test_frozen_responses.py.
IDENTITY = {"Accept-Encoding": "identity"}


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_conforms_to_its_schema_anonymously(case, world, statuses):
    statuses.anonymous = True
    world.aim(case)
    statuses.record(case.call_and_validate(headers=IDENTITY, checks=CHECKS))


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_conforms_to_its_schema_with_a_token(case, world, statuses):
    world.aim(case)
    headers = {**IDENTITY, **world.headers(case)}
    statuses.record(case.call_and_validate(headers=headers, checks=CHECKS))
