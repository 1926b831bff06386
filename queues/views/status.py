"""A patient's own status page, reached from the slip's QR code without logging in: their token
or waiting-list entry only (see queues/patient_status.py). Unknown codes are counted per IP
(queues/guesses.py); a code stops working when its day ends (410)."""

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from queues import guesses, patient_status, status_page

LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


def _gone(request, language: str, *, title: str, message: str, code: int):
    text = status_page.TEXT[language]
    return render(request, "queues/status_gone.html", {"t": text, "title": text[title], "message": text[message]}, status=code)


@require_GET
@never_cache
def status(request, code):
    language = status_page.language_of(request)
    ip = request.META.get("REMOTE_ADDR", "")
    if guesses.blocked(ip):
        return _gone(request, language, title="unknown_title", message="blocked", code=429)
    found = patient_status.find(code)
    if found is None:
        guesses.count_miss(ip)
        return _gone(request, language, title="unknown_title", message="unknown", code=404)
    if patient_status.has_expired(found.day):
        return _gone(request, language, title="expired_title", message="expired", code=410)
    state = patient_status.status_of(found)
    if request.GET.get("part") == "body":
        response = render(request, f"{status_page.TEMPLATE}#status-body", status_page.context(state, language))
    else:
        response = render(request, status_page.TEMPLATE, status_page.context(state, language))
    if request.GET.get("lang") in status_page.LANGUAGES:
        response.set_cookie(status_page.LANGUAGE_COOKIE, language, max_age=LANGUAGE_COOKIE_SECONDS, samesite="Lax")
    return response
