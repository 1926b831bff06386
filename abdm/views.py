"""Scan & Share pages and the gateway's callback. Thin: authenticate, validate, call abdm.shares."""

from __future__ import annotations

import json

import segno
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from abdm import config, shares
from abdm.forms import CounterForm, ShareBookingForm
from abdm.gateway_auth import GatewayUnauthorised, verify_gateway_token
from abdm.models import ProfileShare, RegistrationCounter
from abdm.payloads import ProfileShareSerializer
from config.permissions import role_required
from scheduling.errors import DomainError
from scheduling.roles import MANAGE_SCHEDULES, USE_DESK

INBOX = "abdm/inbox.html"


# --- the gateway's callback -----------------------------------------------------------------------


@csrf_exempt
@require_POST
def share_callback(request):
    """POST /abdm/api/v3/hip/patient/share: a patient shared their profile at a counter. 202 with
    the counter token; 401 unless the gateway's signed token checks out; 400 with the reasons for
    a malformed share. Nothing is stored unless it is 202."""
    if not config.enabled():
        return JsonResponse({"detail": config.off_message(), "code": "abdm_off"}, status=503)
    try:
        verify_gateway_token(request.headers.get("Authorization", ""))
    except GatewayUnauthorised as exc:
        response = JsonResponse({"detail": str(exc), "code": "not_authenticated"}, status=401)
        response["WWW-Authenticate"] = "Bearer"
        return response
    request_id = request.headers.get("REQUEST-ID", "").strip()
    if not request_id or len(request_id) > 64:
        return JsonResponse({"detail": "The REQUEST-ID header (the gateway's request id, answered in on-share) is required.",
                             "code": "invalid", "errors": {"REQUEST-ID": ["Required, at most 64 characters."]}}, status=400)
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        return JsonResponse({"detail": "The body is not JSON.", "code": "invalid"}, status=400)
    payload = ProfileShareSerializer(data=body if isinstance(body, dict) else {})
    if not payload.is_valid():
        return JsonResponse({"detail": "The profile share is malformed.", "code": "invalid", "errors": payload.errors}, status=400)
    data = payload.validated_data
    try:
        received = shares.receive_share(counter_code=data["metaData"]["context"], patient=data["profile"]["patient"],
                                        request_id=request_id)
    except shares.ShareRefused as exc:
        return JsonResponse({"detail": exc.message, "code": exc.code, "errors": {exc.field: [exc.message]}}, status=400)
    share = received.share
    return JsonResponse({"status": "ACCEPTED", "tokenNumber": share.token_number, "counter": share.counter.code,
                         "repeat": received.repeat}, status=202)


# --- the desk's inbox ---------------------------------------------------------------------------


def _chosen_counter(request):
    code = request.GET.get("counter") or request.session.get("abdm_counter")
    counters = list(RegistrationCounter.objects.filter(active=True))
    counter = next((c for c in counters if c.code == code), counters[0] if counters else None)
    if counter is not None:
        request.session["abdm_counter"] = counter.code
    return counter, counters


@require_GET
@role_required(USE_DESK)
def inbox(request):
    """The desk's Scan & Share panel (loaded into the desk page; pushed again on every share)."""
    if not config.enabled():
        return HttpResponse("")
    counter, counters = _chosen_counter(request)
    context = {"counter": counter, "counters": counters, "shares": shares.inbox(counter=counter) if counter else [],
               "form": ShareBookingForm()}
    return render(request, INBOX, context)


@require_POST
@role_required(USE_DESK)
def book(request, share_id):
    """Book a shared profile with a doctor in one step (the desk's inbox)."""
    share = get_object_or_404(ProfileShare.objects.select_related("counter"), pk=share_id)
    form = ShareBookingForm(request.POST)
    context = {"counter": share.counter, "shares": shares.inbox(counter=share.counter), "form": form, "open_share": share.pk}
    if form.is_valid():
        try:
            result = shares.book_share(share_id=share.pk, doctor_id=form.cleaned_data["doctor"].pk,
                                       category=form.cleaned_data["category"], by=request.user,
                                       confirm_new=form.cleaned_data["confirm_new"])
        except DomainError as exc:
            context.update(error=exc.message, can_confirm=getattr(exc, "can_confirm", False))
        else:
            booked = result.token.token_label if result.confirmed else f"the waiting list ({result.waiting_entry.waiting_label})"
            context.update(shares=shares.inbox(counter=share.counter), open_share=None,
                           notice=f"{share.name} (counter token {share.token_label}) booked: {booked}.")
            response = render(request, f"{INBOX}#inbox", context)
            if not request.htmx:
                return response
            # The desk's own notice outlives the inbox being pushed again a moment later.
            trigger_client_event(response, "desk-notice", {"message": context["notice"], "level": "success"})
            return trigger_client_event(response, "queue-changed")
    else:
        context["error"] = " ".join(e for errors in form.errors.values() for e in errors)
    return render(request, f"{INBOX}#inbox", context, status=200 if request.htmx else 400)


# --- the manager's counters ---------------------------------------------------------------------


def share_url(counter: RegistrationCounter) -> str:
    """What the counter's QR holds: ABDM's share-profile link with the facility's HIP id and the
    counter's code as its context (docs/abdm.md)."""
    return f"{settings.ABDM_SHARE_PROFILE_URL}?hip-id={settings.ABDM_HIP_ID}&counter-id={counter.code}"


@require_http_methods(["GET", "POST"])
@role_required(MANAGE_SCHEDULES)
def counters(request):
    form = CounterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        counter = form.save()
        messages.success(request, f"Counter {counter.code} added: print its QR and put it up at the counter.")
        return redirect(reverse("abdm:counters"))
    context = {"nav": "counters", "form": form, "counters": RegistrationCounter.objects.all(),
               "enabled": config.enabled(), "off_message": config.off_message() if not config.enabled() else ""}
    return render(request, "abdm/counters.html", context, status=400 if form.errors else 200)


@require_GET
@role_required(MANAGE_SCHEDULES)
def counter_print(request, code):
    """The counter's printable QR card (an SVG drawn on the server)."""
    counter = get_object_or_404(RegistrationCounter, code=code)
    if not config.enabled():
        return render(request, "abdm/counters.html", {"counters": [], "off_message": config.off_message()}, status=409)
    qr = segno.make(share_url(counter), error="m")
    context = {"counter": counter, "url": share_url(counter), "hip_id": settings.ABDM_HIP_ID,
               "qr_svg": qr.svg_inline(scale=8, title=f"Scan & Share: {counter.name}")}
    return render(request, "abdm/counter_print.html", context)
