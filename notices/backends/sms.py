"""SMS gateways. India (TRAI): every commercial SMS carries the registered sender id (header)
and the DLT template id of its text, here NOTICE_DLT_TEMPLATES[kind].

- `http`: a generic JSON gateway (SMS_GATEWAY_URL, bearer SMS_API_KEY);
- `msg91`: MSG91's send API (an Indian gateway: authkey, sender, route, DLT_TE_ID);
- `twilio`: Twilio's Messages API (international; no DLT fields outside India).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from notices.backends.base import Message, ProviderError, Sent, post


def dlt_template_id(kind: str) -> str:
    template_id = settings.NOTICE_DLT_TEMPLATES.get(kind, "")
    if not template_id:
        raise ProviderError(f"No DLT template id is configured for {kind} (NOTICE_DLT_TEMPLATES).", retry=False)
    return template_id


def send_generic(message: Message) -> Sent:
    if not settings.SMS_GATEWAY_URL:
        raise ImproperlyConfigured("SMS_GATEWAY_URL must be set for the http SMS backend.")
    response = post(
        settings.SMS_GATEWAY_URL,
        headers={"Authorization": f"Bearer {settings.SMS_API_KEY}"} if settings.SMS_API_KEY else {},
        json={
            "to": message.to, "text": message.body, "sender_id": settings.SMS_SENDER_ID,
            "dlt_entity_id": settings.SMS_DLT_ENTITY_ID, "dlt_template_id": dlt_template_id(message.kind),
            "reference": message.reference,
        },
    )
    provider_id = str(_json(response).get("id") or "")
    if not provider_id:
        raise ProviderError(f"The gateway answered without a message id: {response.text[:200]}", retry=False)
    return Sent(provider="http", provider_id=provider_id)


def send_msg91(message: Message) -> Sent:
    response = post(
        settings.SMS_GATEWAY_URL or "https://api.msg91.com/api/sendhttp.php",
        data={
            "authkey": settings.SMS_API_KEY, "mobiles": message.to, "message": message.body,
            "sender": settings.SMS_SENDER_ID, "route": "4", "country": "0", "unicode": "1",
            "DLT_TE_ID": dlt_template_id(message.kind), "PE_ID": settings.SMS_DLT_ENTITY_ID,
        },
    )
    request_id = response.text.strip()
    if not request_id or " " in request_id:  # MSG91 answers the request id, else an error text
        raise ProviderError(f"MSG91: {request_id[:200]}", retry=False)
    return Sent(provider="msg91", provider_id=request_id)


def send_twilio(message: Message) -> Sent:
    sid = settings.TWILIO_ACCOUNT_SID
    response = post(
        f"{settings.TWILIO_API_URL.rstrip('/')}/2010-04-01/Accounts/{sid}/Messages.json",
        auth=(sid, settings.TWILIO_AUTH_TOKEN),
        data={"To": f"+{message.to}", "From": settings.TWILIO_FROM, "Body": message.body,
              **({"StatusCallback": settings.TWILIO_STATUS_CALLBACK} if settings.TWILIO_STATUS_CALLBACK else {})},
    )
    provider_id = str(_json(response).get("sid") or "")
    if not provider_id:
        raise ProviderError(f"Twilio answered without a sid: {response.text[:200]}", retry=False)
    return Sent(provider="twilio", provider_id=provider_id)


def _json(response) -> dict:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
