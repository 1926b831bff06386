"""Delivery receipts from providers' webhooks, and their signature checks."""

from __future__ import annotations

import base64
import hashlib
import hmac

from django.utils import timezone

from notices.models import Delivery

DELIVERED = {"delivered", "read"}
FAILED = {"failed", "undelivered", "rejected", "expired"}


def record_receipt(*, provider_id: str, status: str, reason: str = "") -> Delivery | None:
    """Mark the delivery a provider reports on: delivered, or failed with its reason. Receipts
    that only say "sent" or "queued" change nothing; an unknown id is ignored."""
    status = (status or "").lower()
    delivery = Delivery.objects.filter(provider_id=provider_id).exclude(provider_id="").first() if provider_id else None
    if delivery is None:
        return None
    if status in DELIVERED and delivery.state != Delivery.State.DELIVERED:
        delivery.state, delivery.delivered_at = Delivery.State.DELIVERED, timezone.now()
        delivery.save(update_fields=["state", "delivered_at"])
    elif status in FAILED:
        delivery.state, delivery.reason = Delivery.State.FAILED, (reason or f"Provider reported {status}")[:300]
        delivery.save(update_fields=["state", "reason"])
    return delivery


def hmac_sha256_hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def valid_hub_signature(secret: str, body: bytes, header: str) -> bool:
    """Meta's X-Hub-Signature-256: "sha256=" + HMAC-SHA256 of the raw body with the app secret."""
    return bool(secret) and hmac.compare_digest(header or "", "sha256=" + hmac_sha256_hex(secret, body))


def valid_sms_signature(secret: str, body: bytes, header: str) -> bool:
    """Our SMS gateways' receipts: X-Signature, the hex HMAC-SHA256 of the raw body."""
    return bool(secret) and hmac.compare_digest(header or "", hmac_sha256_hex(secret, body))


def twilio_signature(auth_token: str, url: str, params: dict) -> str:
    """Twilio's X-Twilio-Signature: base64 HMAC-SHA1 of the URL followed by each POST parameter
    name and value, sorted by name."""
    payload = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


def valid_twilio_signature(auth_token: str, url: str, params: dict, header: str) -> bool:
    return bool(auth_token) and hmac.compare_digest(header or "", twilio_signature(auth_token, url, params))
