"""A request id on every log line and response, and one structured log line per request.

The id is the caller's `X-Request-ID` when it looks like one (the reverse proxy sets it: see
docs/operations.md), else a new random one; it comes back in the response's `X-Request-ID` and
every log line written while the request runs carries it (`RequestIdFilter`), so a line in
the app's log, the proxy's log and a Sentry event can be matched up.

The request line has the method, the path without its query string (a search for a patient
puts their phone or name there), the status and the duration: never a patient's details.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar

import pythonjsonlogger.json
from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core.signals import request_finished
from django.dispatch import receiver
from django.utils.decorators import sync_and_async_middleware
from pythonjsonlogger.core import RESERVED_ATTRS

from config.redact import mask_phones

REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="-")
HEADER = "X-Request-ID"
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

logger = logging.getLogger("opdq.request")


class JsonFormatter(pythonjsonlogger.json.JsonFormatter):
    """python-json-logger's formatter, leaving out the `request` Django attaches to its own
    records (its repr has the full URL, query string and all: a patient's phone or name), and
    masking phone numbers (an error's message can quote a database row)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request"])
        super().__init__(*args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        return mask_phones(super().format(record))


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (a handler's filter, so all loggers get it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


def _request_id(request) -> str:
    offered = request.headers.get(HEADER, "")
    return offered if _ACCEPTABLE.match(offered) else uuid.uuid4().hex


def _finish(request, response, started: float) -> None:
    response[HEADER] = request.request_id
    if settings.LOG_REQUESTS:
        logger.info("request", extra={
            "method": request.method,
            "path": request.path,  # never the query string
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        })


@receiver(request_finished)
def _forget_request_id(**kwargs) -> None:
    # Not at the middleware's exit: Django logs a 4xx/5xx ("Not Found: ...") after the whole
    # middleware chain has returned, and that line should carry the id too.
    REQUEST_ID.set("-")


@sync_and_async_middleware
def request_id_middleware(get_response):
    if iscoroutinefunction(get_response):
        async def middleware(request):
            started = time.perf_counter()
            request.request_id = _request_id(request)
            REQUEST_ID.set(request.request_id)
            response = await get_response(request)
            _finish(request, response, started)
            return response
    else:
        def middleware(request):
            started = time.perf_counter()
            request.request_id = _request_id(request)
            REQUEST_ID.set(request.request_id)
            response = get_response(request)
            _finish(request, response, started)
            return response
    return middleware
