"""The token slip: a print view for 80 mm thermal printers (and fine on A4)."""

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from config.permissions import role_required
from queues import selectors
from queues.models import Token
from scheduling.roles import USE_DESK


@require_GET
@role_required(USE_DESK)
def slip(request, token_id):
    token = get_object_or_404(Token.objects.select_related("patient", "slot__doctor"), pk=token_id)
    selectors.annotate_tokens([token])
    return render(request, "queues/slip.html", {"token": token, "autoprint": request.GET.get("print") == "1"})
