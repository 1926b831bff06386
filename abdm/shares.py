"""Scan & Share at the counters: receiving a shared profile, answering the gateway, booking it.

- receive_share: the counter's token number for the day comes from the counter's day ledger
  (CounterDay), upserted and locked in the receiving transaction, like a doctor's token numbers;
  a repeat share by the same ABHA address within SHARE_VALID_MINUTES gets the same token.
- The answer to the gateway (on-share, within ABDM's 30 seconds) goes after commit, from a
  thread of the web process, retried with ABDM_ANSWER_RETRY_SECONDS between tries; a failure is
  recorded on the share and never undoes the token. Not a Celery task: in a registration crowd
  the worker's queue holds the patients' notices, and this answer cannot wait behind them.
- The desk's inbox for the counter is pushed over the desk websocket after commit.
- book_share: the patient (matched by ABHA, or registered from the profile) booked with a
  doctor by the allocation service in one step, the counter token linked to the doctor's token.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from abdm import config, gateway
from abdm.forms import ShareBookingForm
from abdm.models import CounterDay, ProfileShare, RegistrationCounter
from queues import allocation, selectors
from queues.allocation import BookingResult
from queues.broadcast import DESK_GROUP
from queues.errors import AllocationError
from scheduling import abha_qr, identity, patients
from scheduling.errors import DomainError

logger = logging.getLogger(__name__)
DEFAULT_RETRY_SECONDS = (0, 1, 2, 4, 8)  # 15 s of tries, inside ABDM's 30
_answering: list[threading.Thread] = []


class ShareRefused(DomainError):
    """A share that cannot be taken (an unknown or closed counter)."""

    code = "share_refused"


class BookingRefused(DomainError):
    """A shared profile that cannot be booked as asked: the reason is for the receptionist."""

    status_code = 409
    code = "share_not_booked"


@dataclass
class ShareReceived:
    share: ProfileShare
    repeat: bool


# --- receiving --------------------------------------------------------------------------------


def _counter_number(counter_id: int, day, *, step: int) -> int:
    table = CounterDay._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (counter_id, day, last_number) VALUES (%s, %s, %s) "
            f"ON CONFLICT (counter_id, day) DO UPDATE SET last_number = {table}.last_number + %s RETURNING last_number",
            [counter_id, connection.ops.adapt_datefield_value(day), step, step],
        )
        return cursor.fetchone()[0]


def receive_share(*, counter_code: str, patient: dict, request_id: str, now: datetime | None = None) -> ShareReceived:
    """Take a profile shared at a counter (validated by abdm.payloads) and give its counter token."""
    now = now or timezone.now()
    counter = RegistrationCounter.objects.filter(code=counter_code, active=True).first()
    if counter is None:
        raise ShareRefused(f"No open registration counter {counter_code!r} at this hospital.", field="metaData.context")
    day = timezone.localdate(now)
    with transaction.atomic():
        _counter_number(counter.pk, day, step=0)  # the counter's lock, before the repeat check it protects
        recent = (ProfileShare.objects.select_related("counter")
                  .filter(abha_address=patient["abhaAddress"], shared_at__gte=now - timedelta(minutes=config.SHARE_VALID_MINUTES))
                  .order_by("-shared_at").first())
        if recent is not None:
            recent.request_id = request_id
            recent.answered_at, recent.answer_error = None, ""
            recent.save(update_fields=["request_id", "answered_at", "answer_error"])
            _after_commit(recent)
            return ShareReceived(share=recent, repeat=True)
        profile = _profile(patient)
        share = ProfileShare.objects.create(
            counter=counter, day=day, token_number=_counter_number(counter.pk, day, step=1), shared_at=now,
            expires_at=now + timedelta(minutes=config.SHARE_VALID_MINUTES), request_id=request_id,
            abha_address=profile.abha_address, abha_number=profile.abha_number or "", name=profile.name, sex=profile.sex,
            date_of_birth=profile.date_of_birth, year_of_birth=patient["yearOfBirth"], phone=profile.phone,
            address=profile.address[:300], district=profile.district[:80], state=profile.state[:80],
            patient=abha_qr.patients_with_abha(patients.Patient.objects.all(), profile).first(),
        )
        _after_commit(share)
        return ShareReceived(share=share, repeat=False)


def _profile(patient: dict) -> abha_qr.ScannedProfile:
    address = patient.get("address") or {}
    return abha_qr.ScannedProfile(
        name=patient["name"], abha_number=patient.get("abhaNumber") or None, abha_address=patient["abhaAddress"],
        sex=patient["gender"], date_of_birth=patient.get("date_of_birth"),
        phone=identity.compact_phone(patient.get("phoneNumber", ""))[:20],
        address=" ".join(address.get("line", "").split()), district=address.get("district", ""), state=address.get("state", ""),
    )


def profile_of(share: ProfileShare) -> abha_qr.ScannedProfile:
    return abha_qr.ScannedProfile(
        name=share.name, abha_number=share.abha_number or None, abha_address=share.abha_address, sex=share.sex,
        date_of_birth=share.date_of_birth, phone=share.phone, address=share.address, district=share.district, state=share.state,
    )


def _after_commit(share: ProfileShare) -> None:
    transaction.on_commit(partial(answer_in_background, share.pk), robust=True)
    transaction.on_commit(partial(push_inbox, share.counter_id), robust=True)


# --- answering the gateway -------------------------------------------------------------------


def answer_in_background(share_id: int) -> threading.Thread:
    thread = threading.Thread(target=answer_share, args=(share_id,), name=f"abdm-on-share-{share_id}", daemon=True)
    _answering[:] = [t for t in _answering if t.is_alive()] + [thread]
    thread.start()
    return thread


def wait_for_answers(timeout: float = 30.0) -> None:
    """Wait for the answers being sent (tests; a graceful shutdown)."""
    for thread in list(_answering):
        thread.join(timeout)


def answer_share(share_id: int) -> bool:
    """Send the on-share answer, retrying; record the outcome on the share. True once sent."""
    try:
        delays = getattr(settings, "ABDM_ANSWER_RETRY_SECONDS", DEFAULT_RETRY_SECONDS)
        for attempt, delay in enumerate(delays, start=1):
            time.sleep(delay)
            share = ProfileShare.objects.select_related("counter").get(pk=share_id)
            try:
                gateway.send_on_share(
                    request_id=share.request_id, abha_address=share.abha_address, context=share.counter.code,
                    token_number=share.token_number, expiry_seconds=max(int((share.expires_at - timezone.now()).total_seconds()), 0),
                )
            except gateway.GatewayError as exc:
                logger.warning("ABDM on-share for share %s failed (try %s): %s", share_id, attempt, exc)
                ProfileShare.objects.filter(pk=share_id).update(answer_attempts=attempt, answer_error=str(exc)[:300])
                continue
            ProfileShare.objects.filter(pk=share_id).update(answer_attempts=attempt, answer_error="", answered_at=timezone.now())
            return True
        return False
    finally:
        connection.close()  # this thread's own connection


# --- the desk's inbox ---------------------------------------------------------------------------


def inbox(*, counter: RegistrationCounter, day=None) -> list[ProfileShare]:
    """The counter's shares of the day, newest first, with the patient each matched."""
    day = day or timezone.localdate()
    return list(ProfileShare.objects.filter(counter=counter, day=day).select_related("patient", "token__doctor", "counter"))


def push_inbox(counter_id: int) -> None:
    """Re-render the counter's inbox and send it to the desks (they swap it in by its id)."""
    counter = RegistrationCounter.objects.get(pk=counter_id)
    context = {"counter": counter, "shares": inbox(counter=counter), "form": ShareBookingForm()}
    html = render_to_string("abdm/inbox.html#inbox", context)
    async_to_sync(get_channel_layer().group_send)(DESK_GROUP, {"type": "live.html", "html": html})


# --- booking ------------------------------------------------------------------------------------


def book_share(*, share_id: int, doctor_id, category: str, by, confirm_new: bool = False) -> BookingResult:
    """Book the shared patient with the doctor (their current or next slot with room) in one step:
    the registered patient holding the ABHA, else a new registration from the profile."""
    share = ProfileShare.objects.select_related("counter", "patient").filter(pk=share_id).first()
    if share is None:
        raise BookingRefused("That shared profile is no longer in the inbox.")
    if share.token_id:
        raise BookingRefused(f"{share.name} is already booked ({share.token.token_label}).")
    patient = share.patient or abha_qr.patients_with_abha(patients.Patient.objects.all(), profile_of(share)).first()
    if patient is None:
        details = profile_of(share).registration()
        patient = patients.register_patient(**details, confirm_new=confirm_new)
    day = timezone.localdate()
    slots = [s for s in selectors.slot_board(day=day, doctor_id=doctor_id) if s.open]
    slot = selectors.preselected_slot(slots)
    if slot is None:
        raise BookingRefused("That doctor has no open slot left today.")
    try:
        result = allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category=category, by=by)
    except AllocationError as exc:
        ProfileShare.objects.filter(pk=share.pk).update(patient=patient)
        raise BookingRefused(exc.message) from exc
    ProfileShare.objects.filter(pk=share.pk).update(patient=patient, token=result.token, booked_by=by)
    transaction.on_commit(partial(push_inbox, share.counter_id), robust=True)
    return result
