"""Sessions on shared PCs: a staff session ends after SESSION_IDLE_MINUTES without activity (and
its cookie when the browser closes: SESSION_EXPIRE_AT_BROWSER_CLOSE).

The session's expiry in the database is SESSION_COOKIE_AGE (the idle time) from its last save.
Activity (any request by a logged-in user, except a live screen refreshing itself, which sends
`X-Live-Refresh: 1`) saves it again, at most once a minute, so an idle session expires on its
own and costs an active one one write a minute. An htmx request whose session has ended is sent,
as a whole page, to the login form.
"""

import time
from urllib.parse import quote, urlsplit

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.shortcuts import resolve_url
from django_htmx.http import HttpResponseClientRedirect

from config import faults

TOUCHED = "_touched"
TOUCH_EVERY_SECONDS = 60
LIVE_REFRESH_HEADER = "X-Live-Refresh"


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, except when saving the session meets a database outage. Django's database
    backend turns any database error of that save into "the session was deleted" (a 400 Bad
    Request); a database that stopped answering mid-request is a 503 to retry, as everywhere."""

    def process_response(self, request, response):
        try:
            return super().process_response(request, response)
        except SessionInterrupted as exc:
            cause = exc.__context__.__context__ if exc.__context__ else None  # UpdateError <- the save's error
            if isinstance(cause, faults.DATABASE_ERRORS):
                return faults.unavailable_response(request)
            raise


class IdleSessionMiddleware:
    """Sync and async (in an async chain only the session read goes to a thread)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self._acall(request)
        try:
            self._touch(request)
        except faults.DATABASE_ERRORS:  # reading the session is this request's first query
            return faults.unavailable_response(request)
        return self._to_login(request, self.get_response(request))

    async def _acall(self, request):
        try:
            await sync_to_async(self._touch)(request)
        except faults.DATABASE_ERRORS:
            return faults.unavailable_response(request)
        return self._to_login(request, await self.get_response(request))

    @staticmethod
    def _to_login(request, response):
        if request.headers.get("HX-Request") and response.status_code == 302 and _is_login(response["Location"]):
            page = urlsplit(request.headers.get("HX-Current-URL", ""))
            here = page.path + (f"?{page.query}" if page.query else "") or "/"
            return HttpResponseClientRedirect(f"{resolve_url(settings.LOGIN_URL)}?next={quote(here)}")
        return response


    @staticmethod
    def _touch(request) -> None:
        session = request.session
        if session.session_key and not request.headers.get(LIVE_REFRESH_HEADER) and SESSION_KEY in session:
            now = int(time.time())
            if now - session.get(TOUCHED, 0) >= TOUCH_EVERY_SECONDS:
                session[TOUCHED] = now  # saved by SessionMiddleware, with a new expiry


def _is_login(location: str) -> bool:
    return urlsplit(location).path == resolve_url(settings.LOGIN_URL)
