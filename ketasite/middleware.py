"""Request-level protections: the 503 answer to a database outage, and the lock-out page.

Fault handling: a database outage answers 503 with a friendly page, never a traceback.

When PostgreSQL restarts, fails over or drops a connection, the view's query raises
`OperationalError` (or `InterfaceError` on a connection already closed). Answering 503 with
`Retry-After` tells readers, API clients and load balancers that this is temporary. Django
closes the broken connection when the request ends, and `CONN_HEALTH_CHECKS` makes the next
request open a fresh one, so the site recovers by itself once the database is back.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from ketasite.api import server_error as api_server_error

logger = logging.getLogger("ketasite.faults")

API_PREFIX = "/api/"
RETRY_AFTER_SECONDS = 30
UNAVAILABLE_DETAIL = (
    "The service is briefly unavailable because its database cannot be reached. "
    "Nothing was changed; please try again in a moment."
)
UNAVAILABLE_CODE = "service_unavailable"


def service_unavailable_response(request):
    """Return the 503 answer: the error shape under /api/, the friendly page elsewhere.

    The page is rendered without a request context, so rendering it needs no database
    (no user, no session, no messages).
    """
    if request.path.startswith(API_PREFIX):
        response = JsonResponse(
            {"detail": UNAVAILABLE_DETAIL, "code": UNAVAILABLE_CODE}, status=503
        )
    else:
        html = render_to_string("503.html", {"retry_after": RETRY_AFTER_SECONDS})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    # A 503 must never be kept by a cache in front of the site, or by the browser.
    response["Cache-Control"] = "no-store"
    return response


def _database_unavailable(request, error):
    # Logged as an error (not a warning): an outage is something operations must see.
    logger.error("Database unavailable during %s %s: %s", request.method, request.path, error)
    return service_unavailable_response(request)


class DatabaseUnavailableMiddleware:
    """Turn a database connection failure raised by a view into a 503 answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        return _database_unavailable(request, exception)


def server_error(request, *args, **kwargs):
    """Django's handler500: a database outage met outside a view (a middleware saving the
    session, say) is still answered 503; any other error is the API's 500 answer."""
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        return _database_unavailable(request, error)
    return api_server_error(request, *args, **kwargs)


def wait_text(seconds):
    """Return a wait as a reader says it: "1 minute", "20 minutes", "2 hours"."""
    minutes = max(1, round(seconds / 60))
    if minutes < 90:
        return "1 minute" if minutes == 1 else f"{minutes} minutes"
    hours = round(minutes / 60)
    return f"{hours} hours"


def lockout_response(request, original_response=None, credentials=None):
    """Answer a locked-out sign-in with a plain page (429) saying when to try again.

    Used as django-axes' AXES_LOCKOUT_CALLABLE. The page is the same whatever account name
    was tried, so it reveals nothing about which accounts exist.
    """
    from axes.helpers import get_cool_off

    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else 3600
    response = render(
        request, "registration/locked_out.html", {"wait_text": wait_text(seconds)}, status=429
    )
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    return response


class RefuseNulCharactersMiddleware:
    """Answer 400 to a request whose query string holds a NUL character.

    No parameter of ours may contain one, and PostgreSQL refuses NUL in text, so a NUL
    that reached a query would fail deep inside the database instead of here, plainly.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query or "\x00" in request.path:
            detail = "The address holds a NUL character, which no parameter may contain."
            if request.path.startswith(API_PREFIX):
                return JsonResponse({"detail": detail, "code": "invalid"}, status=400)
            return HttpResponse(detail, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
