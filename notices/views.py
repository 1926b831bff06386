"""Providers' webhooks (delivery receipts and replies, signature-checked) and the opt-out link."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from notices import consent, receipts
from notices.models import Channel, Consent

logger = logging.getLogger(__name__)


def _json_body(request):
    try:
        return json.loads(request.body or b"null")
    except ValueError:
        return None


@csrf_exempt
@require_http_methods(["GET", "POST"])
def whatsapp_hook(request):
    if request.method == "GET":  # Meta's subscription check
        if settings.WHATSAPP_VERIFY_TOKEN and request.GET.get("hub.verify_token") == settings.WHATSAPP_VERIFY_TOKEN:
            return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
        return HttpResponseForbidden("Wrong verify token.")
    if not receipts.valid_hub_signature(settings.WHATSAPP_APP_SECRET, request.body, request.headers.get("X-Hub-Signature-256")):
        return HttpResponseForbidden("Bad signature.")
    payload = _json_body(request)
    if not isinstance(payload, dict):
        return HttpResponseBadRequest("Expected a JSON object.")
    for entry in payload.get("entry") or []:
        for change in entry.get("changes") or []:
            value = change.get("value") or {}
            for status in value.get("statuses") or []:
                errors = status.get("errors") or [{}]
                receipts.record_receipt(provider_id=str(status.get("id", "")), status=str(status.get("status", "")),
                                        reason=str(errors[0].get("title", "")))
            for message in value.get("messages") or []:
                text = (message.get("text") or {}).get("body", "")
                consent.opt_out_by_reply(phone=str(message.get("from", "")), text=text, channel=Channel.WHATSAPP)
    return HttpResponse("ok", content_type="text/plain")


@csrf_exempt
@require_POST
def twilio_hook(request):
    params = request.POST.dict()
    url = settings.TWILIO_STATUS_CALLBACK or request.build_absolute_uri()
    if not receipts.valid_twilio_signature(settings.TWILIO_AUTH_TOKEN, url, params, request.headers.get("X-Twilio-Signature")):
        return HttpResponseForbidden("Bad signature.")
    if "MessageStatus" in params:
        receipts.record_receipt(provider_id=params.get("MessageSid", ""), status=params["MessageStatus"],
                                reason=f"Twilio error {params['ErrorCode']}" if params.get("ErrorCode") else "")
    elif "Body" in params:
        consent.opt_out_by_reply(phone=params.get("From", ""), text=params["Body"], channel=Channel.SMS)
    return HttpResponse("<Response/>", content_type="text/xml")


@csrf_exempt
@require_POST
def sms_hook(request):
    """The generic and MSG91 gateways: {"id", "status", "reason"} receipts, or {"from", "text"}
    replies, signed with SMS_WEBHOOK_SECRET."""
    if not receipts.valid_sms_signature(settings.SMS_WEBHOOK_SECRET, request.body, request.headers.get("X-Signature")):
        return HttpResponseForbidden("Bad signature.")
    payload = _json_body(request)
    if not isinstance(payload, dict):
        return HttpResponseBadRequest("Expected a JSON object.")
    if "text" in payload:
        consent.opt_out_by_reply(phone=str(payload.get("from", "")), text=str(payload["text"]), channel=Channel.SMS)
    else:
        receipts.record_receipt(provider_id=str(payload.get("id", "")), status=str(payload.get("status", "")),
                                reason=str(payload.get("reason", "")))
    return HttpResponse("ok", content_type="text/plain")


@require_http_methods(["GET", "POST"])
def stop(request, token):
    """The opt-out link in every SMS and email: a confirmation page, then every channel withdrawn."""
    patient_id = consent.patient_of_stop_token(token)
    if patient_id is None:
        return render(request, "notices/stop.html", {"invalid": True}, status=404)
    done = False
    if request.method == "POST":
        consent.opt_out_everywhere(patient_id=patient_id, how=Consent.How.LINK, note="opt-out link")
        done = True
    return render(request, "notices/stop.html", {"done": done})
