"""Slips: a print view for 80 mm thermal printers (and fine on A4), for a token or a
waiting-list entry. Once an entry is promoted, its slip is the token's."""

from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from config.permissions import role_required
from queues import selectors
from queues.models import Token, WaitingListEntry
from scheduling.roles import USE_DESK


def _autoprint(request) -> bool:
    return request.GET.get("print") == "1"


@require_GET
@role_required(USE_DESK)
def slip(request, token_id):
    token = get_object_or_404(Token.objects.select_related("patient", "slot__doctor"), pk=token_id)
    selectors.annotate_tokens([token])
    promoted_from = WaitingListEntry.objects.filter(token=token).first()
    return render(request, "queues/slip.html", {"token": token, "promoted_from": promoted_from, "autoprint": _autoprint(request)})


@require_GET
@role_required(USE_DESK)
def waiting_slip(request, entry_id):
    entry = get_object_or_404(WaitingListEntry.objects.select_related("patient", "slot__doctor"), pk=entry_id)
    if entry.token_id:
        query = "?print=1" if _autoprint(request) else ""
        return redirect(reverse("queues:token-slip", args=[entry.token_id]) + query)
    selectors.annotate_waiting_places([entry])
    return render(request, "queues/slip.html", {"entry": entry, "autoprint": _autoprint(request)})
