"""Slips: a print view for 80 mm thermal printers (and fine on A4), for a token or a
waiting-list entry. Once an entry is promoted, its slip is the token's."""

from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from config.permissions import role_required
from queues import patient_status, qr, selectors
from queues.models import Token, WaitingListEntry
from scheduling.roles import USE_DESK


def _autoprint(request) -> bool:
    return request.GET.get("print") == "1"


def _status_link(request, code: str) -> dict:
    """The patient's status page, as the slip prints it: a QR code and the short URL."""
    url = patient_status.status_url(code, request)
    return {"status_url": url, "status_short": url.split("://", 1)[-1], "status_qr": qr.qr_svg(url)}


@require_GET
@role_required(USE_DESK)
def slip(request, token_id):
    token = get_object_or_404(Token.objects.select_related("patient", "slot__doctor"), pk=token_id)
    selectors.annotate_tokens([token])
    promoted_from = WaitingListEntry.objects.filter(token=token).first()
    context = {"token": token, "promoted_from": promoted_from, "autoprint": _autoprint(request)}
    return render(request, "queues/slip.html", context | _status_link(request, token.status_code))


@require_GET
@role_required(USE_DESK)
def waiting_slip(request, entry_id):
    entry = get_object_or_404(WaitingListEntry.objects.select_related("patient", "slot__doctor"), pk=entry_id)
    if entry.token_id:
        query = "?print=1" if _autoprint(request) else ""
        return redirect(reverse("queues:token-slip", args=[entry.token_id]) + query)
    selectors.annotate_waiting_places([entry])
    context = {"entry": entry, "autoprint": _autoprint(request)}
    return render(request, "queues/slip.html", context | _status_link(request, entry.status_code))
