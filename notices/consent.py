"""Consent to be messaged: recorded per patient and channel with when, how and by whom (the
latest decision is in force), withdrawn by an opt-out link or a reply keyword."""

from __future__ import annotations

import re

from django.conf import settings
from django.core import signing
from django.db.models import Q

from notices.models import Channel, Consent
from scheduling.models import Patient

STOP_SALT = "notices.stop"


class ConsentError(Exception):
    """A consent request that cannot be recorded; the message says why."""


def record_consent(*, patient_id, channel: str, granted: bool, how: str, by=None, language: str = "en", note: str = "") -> Consent:
    if channel not in Channel.values:
        raise ConsentError(f"Unknown channel {channel!r}; choose one of {', '.join(Channel.values)}.")
    if how not in Consent.How.values:
        raise ConsentError(f"Unknown way of recording consent {how!r}.")
    patient = Patient.objects.filter(pk=patient_id).first()
    if patient is None:
        raise ConsentError("No such patient.")
    if granted and not contact_of(patient, channel):
        raise ConsentError(f"The patient has no {'email address' if channel == Channel.EMAIL else 'phone number'} for {channel}.")
    return Consent.objects.create(
        patient=patient, channel=channel, granted=granted, how=how, language=language if language in ("en", "hi") else "en",
        by=by if getattr(by, "is_authenticated", False) else None, note=note[:200],
    )


def in_force(patient_id) -> dict[str, Consent]:
    """The decision in force per channel (channels never decided are absent: no consent)."""
    latest: dict[str, Consent] = {}
    for consent in Consent.objects.filter(patient_id=patient_id).order_by("-at", "-id"):
        latest.setdefault(consent.channel, consent)
    return latest


def contact_of(patient: Patient, channel: str) -> str:
    if channel == Channel.EMAIL:
        return patient.email
    return phone_e164(patient.phone)


def phone_e164(phone: str) -> str:
    """"98123 45678" -> "919812345678" (E.164 without "+"); "" if it is not a phone number."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) == 10:
        digits = settings.NOTICE_COUNTRY_CODE + digits
    elif len(digits) == 11 and digits.startswith("0"):
        digits = settings.NOTICE_COUNTRY_CODE + digits[1:]
    return digits if 11 <= len(digits) <= 15 else ""


def stop_token(patient_id) -> str:
    return signing.dumps(str(patient_id), salt=STOP_SALT, compress=True)


def patient_of_stop_token(token: str):
    try:
        return signing.loads(token, salt=STOP_SALT)
    except signing.BadSignature:
        return None


def opt_out_everywhere(*, patient_id, how: str, note: str = "") -> list[Consent]:
    """Withdraw every channel's consent (the opt-out link)."""
    return [
        Consent.objects.create(patient_id=patient_id, channel=channel, granted=False, how=how, note=note[:200])
        for channel, consent in in_force(patient_id).items() if consent.granted
    ]


def opt_out_by_reply(*, phone: str, text: str, channel: str) -> int:
    """A reply of a stop keyword ("STOP") from a phone withdraws that channel's consent for every
    patient with that number; returns how many patients."""
    if (text or "").strip().upper() not in settings.NOTICE_STOP_KEYWORDS:
        return 0
    digits = phone_e164(phone)
    if not digits:
        return 0
    local = digits[len(settings.NOTICE_COUNTRY_CODE):] if digits.startswith(settings.NOTICE_COUNTRY_CODE) else digits
    count = 0
    for patient in Patient.objects.filter(Q(phone__endswith=local[-10:])):
        if phone_e164(patient.phone) == digits and (c := in_force(patient.pk).get(channel)) and c.granted:
            Consent.objects.create(patient=patient, channel=channel, granted=False, how=Consent.How.REPLY,
                                   note=f"replied {text.strip()[:20]!r}")
            count += 1
    return count
