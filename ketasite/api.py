"""Shared plumbing of the JSON API: the error shape, parsing, rendering, throttles, paging
and conditional requests. (Token sign-in is `accounts.api`.)

Every error under /api/ has one shape: {"detail": sentence, "code": machine code, "errors":
{field: [messages]}} with `errors` only for validation problems. DRF's own exceptions, Django's
404/403/400/500 pages and the lock-out of django-axes are all turned into it here.
"""

import hashlib
import json
import logging
import re
from functools import lru_cache, wraps

from django.conf import settings
from django.core.exceptions import (
    PermissionDenied as DjangoPermissionDenied,
)
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.paginator import Paginator as DjangoPaginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.utils.http import http_date, parse_header_parameters, parse_http_date_safe
from django.views import defaults
from django.views.decorators.cache import never_cache
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from ketasite.errors import Refusal
from ketasite.ratelimit import client_address, count_request

logger = logging.getLogger("ketasite.api")

API_PREFIX = "/api/"
W3C_ANNOTATION_PROFILE = "http://www.w3.org/ns/anno.jsonld"
JSONLD_CONTENT_TYPE = f'application/ld+json; profile="{W3C_ANNOTATION_PROFILE}"'


# ---------------------------------------------------------------------------------------------
# Errors


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The article is not in a state that allows this."
    default_code = "conflict"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = (
        "Someone else changed this since you read it: the If-Match tag is stale. "
        "Read it again and re-apply your change."
    )
    default_code = "precondition_failed"


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = "Send the ETag you read in an If-Match header, so no change is overwritten."
    default_code = "precondition_required"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


class LockedOut(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = "Too many failed sign-in attempts. Try again later."
    default_code = "locked_out"


class InvalidRequest(exceptions.APIException):
    """A 400 carrying field errors, for problems a view finds in the request itself.

    The API's answer; a service function refuses bad input with a `Refusal` (400, with
    `errors`), which `refusal_error` answers."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The input is not valid."
    default_code = "invalid"

    def __init__(self, errors, detail=None, code=None):
        super().__init__(detail or self.default_detail, code or self.default_code)
        self.errors = {key: [str(m) for m in messages] for key, messages in errors.items()}


class DomainError(exceptions.APIException):
    """A refusal by a service function, carrying its status, code and message as they are."""

    def __init__(self, *, status_code, detail, code, errors=None):
        self.status_code = status_code
        super().__init__(detail, code)
        self.errors = errors


def refusal_error(refusal):
    """Return the API exception for a `Refusal` raised by a service function: its status,
    code, message and field errors as they are, except that a change based on an older
    version (412) is the API's `PreconditionFailed`, with the refusal's message.

    The exception handler applies it, so views call services without catching anything."""
    if refusal.http_status == status.HTTP_412_PRECONDITION_FAILED:
        return PreconditionFailed(refusal.message or None)
    errors = {
        str(field): [str(message) for message in messages]
        for field, messages in (refusal.errors or {}).items()
    }
    detail = refusal.message
    if not detail:
        detail = InvalidRequest.default_detail if refusal.http_status == 400 else "Refused."
    return DomainError(
        status_code=refusal.http_status, detail=detail, code=refusal.code, errors=errors or None
    )


def error_body(detail, code, errors=None):
    body = {"detail": str(detail), "code": str(code)}
    if errors:
        body["errors"] = errors
    return body


def flatten_errors(detail, prefix=""):
    """Return DRF validation detail as {dotted field path: [messages]}."""
    flat = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "non_field_errors" if key == "non_field_errors" and not prefix else str(key)
            path = f"{prefix}.{name}" if prefix else name
            flat.update(flatten_errors(value, path))
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            flat.setdefault(prefix or "non_field_errors", []).extend(str(i) for i in detail)
        else:
            for index, item in enumerate(detail):
                if item:
                    flat.update(flatten_errors(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        flat.setdefault(prefix or "non_field_errors", []).append(str(detail))
    return flat


def _first_message(errors):
    for key, messages in errors.items():
        if messages:
            where = "" if key == "non_field_errors" else f"{key}: "
            return f"Invalid input. {where}{messages[0]}"
    return "Invalid input."


def api_exception_handler(exc, context):
    """Turn every exception DRF knows, and the Django ones a request can raise, into the
    error shape. Return None for anything else, which Django turns into a JSON 500."""
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge("The request body is larger than this server accepts.")
    elif isinstance(exc, TooManyFilesSent | TooManyFieldsSent):
        exc = exceptions.ValidationError(str(exc) or "Too many fields or files in the request.")
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError("The request could not be read.")
    elif isinstance(exc, Refusal):
        exc = refusal_error(exc)
    # Imported here: this module is named in REST_FRAMEWORK, which rest_framework.views reads.
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*(exc.args or ()))
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        response.data = error_body(_first_message(errors), "invalid", errors)
    elif isinstance(exc, InvalidRequest | DomainError):
        response.data = error_body(exc.detail, exc.detail.code, getattr(exc, "errors", None))
    else:
        detail = exc.detail
        code = getattr(detail, "code", None) or exc.default_code
        if isinstance(detail, list | dict):
            errors = flatten_errors(detail)
            response.data = error_body(_first_message(errors), code, errors)
        else:
            response.data = error_body(detail, code)
    # A refused response carries no validators a client could mistake for the resource's.
    for header in ("ETag", "Last-Modified"):
        if header in response:
            del response[header]
    return response


def _is_api(request):
    return request.path.startswith(API_PREFIX)


def _json_error(status_code, detail, code):
    return JsonResponse(error_body(detail, code), status=status_code)


def bad_request(request, exception, *args, **kwargs):
    """Django's 400 page, as the error shape under /api/."""
    if _is_api(request):
        if isinstance(exception, RequestDataTooBig):
            return _json_error(413, "The request body is larger than this server accepts.",
                               "too_large")
        return _json_error(400, "The request could not be read.", "bad_request")
    if isinstance(exception, TooManyFilesSent):
        # A multi-file upload over DATA_UPLOAD_MAX_NUMBER_FILES (the admin's imports): Django
        # refuses it before any view runs; say why, and what to do instead.
        return render(request, "400_too_many_files.html", status=400, context={
            "limit": f"{settings.DATA_UPLOAD_MAX_NUMBER_FILES:,}",
            "archive_limit": f"{getattr(settings, 'KETASITE_IMPORT_MAX_FILES', 0):,}",
        })
    return defaults.bad_request(request, exception, *args, **kwargs)


def permission_denied(request, exception, *args, **kwargs):
    """Django's 403 page, as the error shape under /api/."""
    if _is_api(request):
        return _json_error(403, str(exception) or "You may not do this.", "permission_denied")
    return defaults.permission_denied(request, exception, *args, **kwargs)


def page_not_found(request, exception, *args, **kwargs):
    """Django's 404 page, as the error shape under /api/."""
    if _is_api(request):
        return _json_error(404, "Not found.", "not_found")
    return defaults.page_not_found(request, exception, *args, **kwargs)


def server_error(request, *args, **kwargs):
    """Django's 500 page, as the error shape under /api/."""
    if _is_api(request):
        return _json_error(500, "Something went wrong on our side; it has been logged.",
                           "server_error")
    return defaults.server_error(request, *args, **kwargs)


# ---------------------------------------------------------------------------------------------
# Parsing and rendering


def _bad_text_paths(value, path="", found=None):
    """Return the paths of strings (keys or values) holding NUL or a lone surrogate."""
    found = [] if found is None else found
    if isinstance(value, str):
        if "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
            found.append(path or "body")
    elif isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            _bad_text_paths(key, here, found)
            _bad_text_paths(item, here, found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _bad_text_paths(item, f"{path}.{index}" if path else str(index), found)
    return found


def max_body_bytes():
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def declared_length(request):
    """The body length the client declares, or 0 when the header is missing or malformed."""
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


class SafeJSONParser(JSONParser):
    """JSON bodies, bounded in size, with text a database can store.

    DRF reads the request stream itself, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not
    apply: the bound is checked here. NUL characters and lone surrogates are refused because
    PostgreSQL cannot store them and no honest client sends them.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        limit = max_body_bytes()
        if request is not None and declared_length(request) > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.ParseError("The request body is not valid UTF-8.")
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as error:
            raise exceptions.ParseError(f"The request body is not valid JSON: {error}")
        bad = _bad_text_paths(data)
        if bad:
            raise exceptions.ValidationError(
                {path: ["Text must not contain NUL characters or lone surrogates."]
                 for path in bad[:20]}
            )
        return data


def _refuse_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, naming them, instead of silently ignoring them."""

    refused_fields = {}

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise exceptions.ValidationError(
                {"non_field_errors": ["Send a JSON object."]}
            )
        unknown = [key for key in data if key not in self.fields]
        if unknown:
            raise exceptions.ValidationError(
                {
                    str(key): [self.refused_fields.get(key, "Unknown field.")]
                    for key in unknown[:20]
                }
            )
        return super().to_internal_value(data)


class ApiJSONRenderer(JSONRenderer):
    """Plain JSON; never the browsable API (its inline scripts break the CSP)."""


class JSONLDRenderer(JSONRenderer):
    """W3C Web Annotation JSON-LD, chosen with `Accept: application/ld+json` or
    `?format=jsonld`; the response names the annotation profile."""

    media_type = "application/ld+json"
    format = "jsonld"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None and not response.exception:
            response["Content-Type"] = JSONLD_CONTENT_TYPE
        return super().render(data, accepted_media_type, renderer_context)


class FallbackContentNegotiation(DefaultContentNegotiation):
    """Choose the renderer from `?format=` or the Accept header, as RFC 9110 (12.5.1) says.

    Media types match without regard to case. Each renderer takes the quality of the most
    specific range that matches it (`application/ld+json` before `application/*` before
    `*/*`); the highest quality wins, a tie goes to the view's first renderer (JSON), and
    q=0 refuses. `?format=json|jsonld` wins over Accept. When Accept names nothing we offer,
    the first renderer (JSON) is served instead of a 406: a JSON body is the most useful
    answer. The public page cache keys on this same choice (`negotiated_representation`).
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        format = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        if format:
            renderers = [renderer for renderer in renderers if renderer.format == format]
            if not renderers:
                raise exceptions.NotFound("Unknown format: use json or jsonld.")
            return renderers[0], renderers[0].media_type
        ranges = _accept_ranges(self.get_accept_list(request))
        best, best_quality, best_type = renderers[0], 0.0, renderers[0].media_type
        for renderer in renderers:
            quality, media_type = _renderer_quality(renderer.media_type, ranges)
            if quality > best_quality:
                best, best_quality, best_type = renderer, quality, media_type
        return best, best_type


def _accept_ranges(tokens):
    """Return the media ranges of Accept `tokens` as (type, params without q, quality, text);
    a range that cannot be read, or whose quality is not a number from 0 to 1, is ignored."""
    ranges = []
    for token in tokens:
        try:
            media_type, params = parse_header_parameters(token)
        except ValueError:
            continue
        try:
            quality = float(params.pop("q", "1"))
        except ValueError:
            continue
        main, _, sub = media_type.partition("/")
        if not (0.0 <= quality <= 1.0) or not main or not sub:
            continue
        text = "; ".join([media_type, *(f"{key}={value}" for key, value in sorted(params.items()))])
        ranges.append((media_type, params, quality, text))
    return ranges


def _renderer_quality(renderer_type, ranges):
    """Return (quality, accepted media type) of `renderer_type` under `ranges`: the quality of
    the most specific matching range (the highest among equally specific ones), and that
    range with its parameters when it names the type itself (`application/json; indent=4`)."""
    main = renderer_type.partition("/")[0]
    best = (-1, 0.0, renderer_type)
    for media_type, params, quality, text in ranges:
        if media_type == renderer_type:
            specificity, accepted = (3 if params else 2), text
        elif media_type == f"{main}/*":
            specificity, accepted = 1, renderer_type
        elif media_type == "*/*":
            specificity, accepted = 0, renderer_type
        else:
            continue
        if (specificity, quality) > best[:2]:
            best = (specificity, quality, accepted)
    return best[1], best[2]


def negotiated_representation(request, view_class):
    """Return the media type `view_class` will answer `request` with, as the negotiation of
    the view chooses it ("application/json", "application/ld+json", ...), or None when it
    refuses (an unknown `?format=`).

    The choice depends on the Accept header and `?format=` alone, so it is remembered for
    each pair: a cached public answer then costs no negotiation (it was a third of a cache
    hit's time). The memory is bounded (the least recently used pairs are forgotten).
    """
    format_parameter = view_class.content_negotiation_class.settings.URL_FORMAT_OVERRIDE
    # Without a query string there is no `?format=`, and no need to parse one.
    format_value = (
        request.GET.get(format_parameter) if request.META.get("QUERY_STRING") else None
    )
    return _negotiated_media_type(view_class, request.META.get("HTTP_ACCEPT"), format_value)


@lru_cache(maxsize=512)
def _negotiated_media_type(view_class, accept, format_value):
    request = HttpRequest()
    request.method = "GET"
    if accept is not None:
        request.META["HTTP_ACCEPT"] = accept
    if format_value is not None:
        format_parameter = view_class.content_negotiation_class.settings.URL_FORMAT_OVERRIDE
        request.GET = QueryDict(mutable=True)
        request.GET[format_parameter] = format_value
    negotiation = view_class.content_negotiation_class()
    renderers = [renderer() for renderer in view_class.renderer_classes]
    try:
        _, media_type = negotiation.select_renderer(
            Request(request, negotiator=negotiation), renderers
        )
    except (exceptions.APIException, Http404):
        return None
    return media_type


def wants_jsonld(request):
    renderer = getattr(request, "accepted_renderer", None)
    return getattr(renderer, "format", None) == "jsonld"


# ---------------------------------------------------------------------------------------------
# Editorial views: the request's object and body


def visible_or_404(queryset, pk, *, allowed, name):
    """Return the object `pk` of `queryset` when `allowed` (the user may see such objects);
    otherwise, and for an unknown id, a 404 naming `name`: an id reveals nothing, so an
    object the user may not see is unknown, never 403. Not allowed costs no query."""
    found = queryset.filter(pk=pk).first() if allowed else None
    if found is None:
        raise exceptions.NotFound(f"No {name} with this id is visible to you.")
    return found


def validated(request, serializer_class):
    """Return the request body as `serializer_class` validates it; invalid, a 400 naming
    each field (before anything is written)."""
    incoming = serializer_class(data=request.data)
    incoming.is_valid(raise_exception=True)
    return incoming.validated_data


# ---------------------------------------------------------------------------------------------
# Throttles and paging


class FixedWindowThrottle:
    """A rate counted in fixed windows (a minute for "120/min"): one atomic cache increment
    per request, where DRF's sliding window reads and rewrites the list of every request's
    time. Mixed into a DRF throttle, whose `get_cache_key` names the bucket (None: this
    throttle does not count the request)."""

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        window = count_request(
            key, limit=self.num_requests, seconds=self.duration, now=self.timer()
        )
        self.window_end = window.ends_at
        return window.allowed

    def wait(self):
        return max(0.0, self.window_end - self.timer())

    def get_ident(self, request):
        return client_address(request)


class FixedWindowAnonThrottle(FixedWindowThrottle, AnonRateThrottle):
    """The anonymous rate, counted per client address (`ketasite.ratelimit.client_address`).
    A signed-in request (session or token) is not counted here but by the user rate, so
    colleagues behind one office address do not share a bucket."""


class FixedWindowUserThrottle(FixedWindowThrottle, UserRateThrottle):
    """The signed-in rate, counted per user, whatever address the requests come from.
    Anonymous requests are left to the anonymous rate."""

    def get_cache_key(self, request, view):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super().get_cache_key(request, view)


class PublicAnonRateThrottle(FixedWindowAnonThrottle):
    """The anonymous rate. A request already counted by `public_endpoint` (before the page
    cache) is not counted twice."""

    def allow_request(self, request, view):
        if getattr(getattr(request, "_request", request), "anon_throttle_counted", False):
            return True
        return super().allow_request(request, view)


class TokenRateThrottle(AnonRateThrottle):
    """The sign-in endpoint's low rate, per client address."""

    scope = "token"


class ApiPagination(PageNumberPagination):
    """Pages of 20; `?page_size=N` asks for up to 100 (more gets 100, with the true `count`
    and a `next` link), so that no request makes one huge page."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    invalid_page_message = "There is no page {page_number}."

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Number of results per page: {self.page_size} unless given, at most "
                    f"{self.max_page_size} (a larger number gets {self.max_page_size})."
                )
        return parameters


class TwoEndedPaginator(DjangoPaginator):
    """A paginator that reads a page in the back half of the list from the end: the ordering
    reversed, the offset counted from the last row, the rows put back in order. The last page
    then skips nothing, where an offset from the start would skip every row before it."""

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        queryset = self.object_list
        if self.count - top < bottom and hasattr(queryset, "reverse") and queryset.ordered:
            rows = list(queryset.reverse()[self.count - top:self.count - bottom])
            rows.reverse()
            return self._get_page(rows, number, self)
        return super().page(number)


class TwoEndedPagination(ApiPagination):
    """ApiPagination whose pages in the back half are read from the end (`TwoEndedPaginator`):
    the same pages and links, the last one as cheap as the first."""

    django_paginator_class = TwoEndedPaginator


@lru_cache(maxsize=16)
def _parsed_rate(rate):
    return AnonRateThrottle.parse_rate(None, rate)


_ANON_THROTTLE = FixedWindowAnonThrottle
# The bucket of a client address is this prefix and the address, as the throttle names it.
_ANON_KEY_PREFIX = _ANON_THROTTLE.cache_format % {"scope": _ANON_THROTTLE.scope, "ident": ""}


def _throttle_refusal(request):
    """Count a request without credentials against the anonymous rate; return a 429 when
    over it.

    The count of `FixedWindowAnonThrottle` (same rate, same bucket) without building a DRF
    throttle or asking for the request's user: a request without credentials has none, and
    the look-up would read the session (adding `Vary: Cookie`). The rate is read from the
    throttles' table on each request (tests and settings change it) but parsed once per
    rate string.
    """
    throttle = _ANON_THROTTLE
    # DRF's order: a `rate` set on the class (tests set it on AnonRateThrottle) wins over
    # the table, which has every scope the settings name.
    rate = getattr(throttle, "rate", None) or throttle.THROTTLE_RATES[throttle.scope]
    request.anon_throttle_counted = True
    if rate is None:
        return None
    limit, seconds = _parsed_rate(rate)
    now = throttle.timer()
    window = count_request(
        _ANON_KEY_PREFIX + client_address(request), limit=limit, seconds=seconds, now=now
    )
    if window.allowed:
        return None
    wait = max(0.0, window.ends_at - now)
    detail = exceptions.Throttled(wait).detail
    response = _json_error(429, detail, "throttled")
    response["Retry-After"] = str(int(wait))
    return response


def never_cached(patterns):
    """Return URL `patterns` with every view wrapped in `never_cache`
    (`Cache-Control: private, no-store`, which even a cache that ignores Vary obeys)."""
    for pattern in patterns:
        pattern.callback = never_cache(pattern.callback)
    return patterns


def is_anonymous_request(request):
    """No credentials at all: no token header and no session cookie (costs no query)."""
    return (
        "HTTP_AUTHORIZATION" not in request.META
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


def public_endpoint(view_class, *, page_cache, frozen=None):
    """Return the view of a public API class, serving anonymous GETs through `page_cache`
    (the public page cache, `public.caching.cached_public_page`, purged on every publish)
    after the anonymous throttle (the cache's guard).

    `frozen(request, *args, **kwargs)`, when given, answers an anonymous GET from documents
    serialised at publish, bypassing DRF's per-request rendering; it returns None for what
    it does not handle (errors, query parameters it does not know), which DRF then answers.
    The cache key holds the host and the representation DRF's negotiation chooses for the
    request (JSON, JSON-LD), so no client is served another's representation or host.
    """
    drf_view = view_class.as_view()

    def anonymous_view(request, *args, **kwargs):
        if frozen is not None:
            response = frozen(request, *args, **kwargs)
            if response is not None:
                return response
        return drf_view(request, *args, **kwargs)

    cached_view = page_cache(
        anonymous_view,
        representation=lambda request: negotiated_representation(request, view_class),
        guard=_throttle_refusal,
    )

    @wraps(drf_view)
    def view(request, *args, **kwargs):
        if request.method in ("GET", "HEAD") and is_anonymous_request(request):
            return cached_view(request, *args, **kwargs)
        return drf_view(request, *args, **kwargs)

    return view


# ---------------------------------------------------------------------------------------------
# Conditional requests


def _etag_list(header):
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


def content_etag(content):
    return '"' + hashlib.blake2b(content, digest_size=16).hexdigest() + '"'


def frozen_json_response(request, body, *, etag, last_modified=None, encoding=""):
    """Return a 200 (or 304) JSON response of ready-to-send `body` bytes, with the headers
    `ConditionalGetMixin` gives a rendered one."""
    if not_modified(request, etag=etag, last_modified=last_modified):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="application/json")
        if encoding:
            response["Content-Encoding"] = encoding
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified.timestamp())
    response["Vary"] = "Accept, Accept-Encoding"
    return response


def not_modified(request, *, etag=None, last_modified=None):
    """Return True when the client's If-None-Match / If-Modified-Since say it has this
    version. If-None-Match wins when both are sent (RFC 9110, 13.2.2)."""
    if request.method not in ("GET", "HEAD"):
        return False
    if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
    if if_none_match and etag:
        tags = _etag_list(if_none_match)
        return "*" in tags or etag.removeprefix("W/") in tags
    if_modified_since = request.META.get("HTTP_IF_MODIFIED_SINCE")
    if if_modified_since and last_modified and not if_none_match:
        since = parse_http_date_safe(if_modified_since)
        return since is not None and int(last_modified.timestamp()) <= since
    return False


def if_match_state(request, current_etag):
    """Return "missing", "match" or "stale" for the request's If-Match header."""
    header = request.META.get("HTTP_IF_MATCH")
    if not header:
        return "missing"
    tags = _etag_list(header)
    if "*" in tags or current_etag.removeprefix("W/") in tags:
        return "match"
    return "stale"


def version_etag(kind, pk, version):
    """The ETag of version `version` of the `kind` ("annotation", "claim") with id `pk`."""
    return f'"{kind}-{pk}-v{version}"'


def expected_version(request, *, kind, pk, current, missing):
    """Return the version a change to the `kind` with id `pk` (now at version `current`) is
    based on, for the service to compare under its lock.

    From If-Match, read as for the article (`if_match_state`: weak or strong tags, a list, or
    `*`): `*` or a tag of the current version gives `current`; another tag of this object
    its version (which the service refuses as stale); no tag of this object is 412. Without
    If-Match, the integer `version` of the body; neither is 428, saying `missing`."""
    header = request.META.get("HTTP_IF_MATCH")
    if header:
        tags = _etag_list(header)
        if "*" in tags:
            return current
        pattern = re.compile(rf'"{re.escape(kind)}-(\d+)-v(\d+)"')
        versions = [
            int(match.group(2))
            for match in map(pattern.fullmatch, tags)
            if match and int(match.group(1)) == pk
        ]
        if not versions:
            raise PreconditionFailed()
        return current if current in versions else versions[0]
    version = request.data.get("version") if isinstance(request.data, dict) else None
    if isinstance(version, int) and not isinstance(version, bool):
        return version
    raise PreconditionRequired(missing)


class ConditionalGetMixin:
    """For public GETs: an ETag over the rendered body and, when the view says so, a
    Last-Modified; a matching conditional request gets an empty 304.

    A view sets `self.last_modified` (a datetime) while handling the request when its
    content has one true modification time.
    """

    last_modified = None

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        response.render()
        etag = content_etag(response.content)
        response["ETag"] = etag
        patch_vary_accept(response)
        if self.last_modified is not None:
            response["Last-Modified"] = http_date(self.last_modified.timestamp())
        if not_modified(request, etag=etag, last_modified=self.last_modified):
            response.status_code = 304
            response.content = b""
            for header in ("Content-Type", "Content-Length"):
                if header in response:
                    del response[header]
        return response


def patch_vary_accept(response):
    vary = response.get("Vary", "")
    if "accept" not in vary.lower():
        response["Vary"] = f"{vary}, Accept" if vary else "Accept"


# ---------------------------------------------------------------------------------------------
# Documentation helpers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="A readable sentence.")
    code = serializers.CharField(help_text="A machine-readable code, e.g. not_found.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Only for invalid input: {field: [messages]}.",
    )

    class Meta:
        ref_name = "Error"


_ERROR_TEXT = {
    400: "Invalid input (a NUL in the address, too); `errors` lists the problems by field.",
    401: "Not authenticated.",
    403: "Not allowed; the detail names the rule.",
    404: "Unknown, or not visible to you.",
    409: "The article's state (or a newer version) does not allow this.",
    412: "The If-Match tag is stale: nothing was changed.",
    413: "The body is too large.",
    415: "Unsupported media type or import format.",
    428: "If-Match is required on this write.",
    429: "Throttled; see Retry-After.",
}


def error_responses(*codes):
    """OpenAPI responses for the given error status codes, all with the error shape."""
    return {
        code: OpenApiResponse(response=ErrorSerializer, description=_ERROR_TEXT[code])
        for code in codes
    }


# Every operation lists 400: an address whose query holds a NUL is refused with it before any
# view runs (ketasite.middleware.RefuseNulCharactersMiddleware).
PUBLIC_ERRORS = (400, 404, 429)
EDITORIAL_READ_ERRORS = (400, 401, 403, 404, 429)
# Reading one editorial object: unknown or invisible is 404, never 403.
EDITORIAL_DETAIL_ERRORS = (400, 401, 404, 429)
# A POST that goes through a workflow or evidence rule.
EDITORIAL_WRITE_ERRORS = (400, 401, 403, 404, 409, 413, 415, 429)
# A POST with no body, or a DELETE, that goes through such a rule.
EDITORIAL_ACTION_ERRORS = (400, 401, 403, 404, 409, 429)
# A PATCH guarded by If-Match (412 stale, 428 missing).
EDITORIAL_PATCH_ERRORS = (400, 401, 403, 404, 409, 412, 413, 415, 428, 429)
