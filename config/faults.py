"""What staff and API clients get when the database cannot answer: a 503 with Retry-After (JSON
for the API, a short page for staff) instead of Django's bare "Server Error (500)".

The database is unreachable, restarting, or out of pooled connections: the request did nothing
(its transaction rolled back) and is safe to repeat in a few seconds. How long a request waits
before it gets here is bounded by DB_CONNECT_TIMEOUT and DB_POOL_TIMEOUT (config.settings).
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.deprecation import MiddlewareMixin

logger = logging.getLogger(__name__)

# OperationalError covers a refused or dropped connection and psycopg_pool's PoolTimeout (a
# subclass of psycopg's OperationalError, wrapped by Django); InterfaceError a closed connection.
DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5
UNAVAILABLE_MESSAGE = "The database is not answering right now; nothing was changed. Please try again in a few seconds."


def is_api(request) -> bool:
    return request.path.startswith("/api/")


def unavailable_body() -> dict:
    return {"detail": UNAVAILABLE_MESSAGE, "code": "database_unavailable"}


def unavailable_response(request) -> HttpResponse:
    if is_api(request):
        response = JsonResponse(unavailable_body(), status=503)
    else:
        # A page with no database behind it: no user, no session, no context processors.
        html = render_to_string("database_unavailable.html", {"message": UNAVAILABLE_MESSAGE, "retry": RETRY_AFTER_SECONDS})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseFaultMiddleware(MiddlewareMixin):
    """A database error raised by a view becomes the 503 above (config.urls' handler500 does the
    same for one raised outside a view, e.g. while saving the session). MiddlewareMixin keeps it
    sync and async capable."""

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            logger.warning("Database unavailable for %s %s: %s", request.method, request.path, exception)
            return unavailable_response(request)
        return None
