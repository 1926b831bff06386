"""Delivery through the fake provider: consent, quiet hours, the daily limit, retries with
back-off, once per notice even when its task runs twice, and each gateway's request shape."""

import base64
import threading
from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.db import close_old_connections
from django.utils import timezone

from notices import delivery, tasks
from notices.consent import record_consent
from notices.models import Delivery
from queues import allocation, outbox
from queues.models import Notice

pytestmark = pytest.mark.django_db(transaction=True)  # notices leave on commit


def book(slot, patient, category="WALKIN"):
    return allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category=category).token


def at(hour, minute=0, days=0):
    zone = timezone.get_current_timezone()
    return timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=days), time(hour, minute)), zone)


def test_no_consent_or_a_refusal_sends_nothing_and_says_why(sms_gateway, slot, make_patient, consented):
    silent = make_patient()
    refused = consented()
    record_consent(patient_id=refused.pk, channel="sms", granted=False, how="desk", note="does not want SMS")
    for patient in (silent, refused):
        token = book(slot, patient)
        (row,) = Delivery.objects.filter(notice__token=token)
        assert row.state == Delivery.State.SKIPPED and row.reason == "No consent for this channel."
    assert sms_gateway.requests == []


def test_quiet_hours_defer_a_notice_until_they_end(sms_gateway, make_slot, consented, settings):
    settings.NOTICE_QUIET_HOURS = "21:00-07:00"
    with time_machine.travel(at(22, 30), tick=False):
        token = book(make_slot(starts_in=timedelta(hours=10)), consented(), category="ONLINE")
        notice = Notice.objects.get(token=token)
        assert notice.state == "PENDING" and notice.not_before == at(7, 0, days=1)
        assert tasks.sweep(now=timezone.now()) == []  # nothing due yet
    assert sms_gateway.requests == []
    with time_machine.travel(at(7, 1, days=1), tick=False):
        assert tasks.sweep(now=timezone.now()) == [str(notice.pk)]
    assert len(sms_gateway.requests) == 1
    assert Notice.objects.get(pk=notice.pk).state == "DONE"


def test_a_call_is_sent_even_in_quiet_hours(sms_gateway, make_slot, consented, settings):
    settings.NOTICE_QUIET_HOURS = "21:00-07:00"
    with time_machine.travel(at(21, 30), tick=False):
        slot = make_slot(starts_in=timedelta(minutes=-10))
        book(slot, consented())
        allocation.call_next(slot_id=slot.pk)
    assert [("being called" in r.json["text"]) for r in sms_gateway.requests] == [True]


def test_a_provider_500_is_retried_with_back_off_and_delivered_once(sms_gateway, slot, consented, settings):
    settings.NOTICE_RETRY_SECONDS = 30
    sms_gateway.statuses = [500, 503]
    token = book(slot, consented())
    notice = Notice.objects.get(token=token)
    row = notice.deliveries.get()
    assert row.state == Delivery.State.QUEUED and row.reason.startswith("HTTP 500") and row.attempts == 1
    first_retry = notice.not_before
    assert first_retry - timezone.now() > timedelta(seconds=25)
    assert tasks.sweep(now=timezone.now()) == []  # not before its back-off
    with time_machine.travel(first_retry + timedelta(seconds=1)):
        tasks.sweep(now=timezone.now())  # 503: backs off twice as long
    notice.refresh_from_db()
    assert notice.not_before - first_retry > timedelta(seconds=55)
    with time_machine.travel(notice.not_before + timedelta(seconds=1)):
        tasks.sweep(now=timezone.now())
    row.refresh_from_db()
    assert len(sms_gateway.requests) == 3 and row.state == Delivery.State.SENT and row.attempts == 3
    assert row.provider_id == "msg-3"
    assert Notice.objects.get(pk=notice.pk).state == "DONE"


def test_a_provider_refusal_fails_with_its_reason_without_retrying(sms_gateway, slot, consented):
    sms_gateway.statuses = [400]
    token = book(slot, consented())
    row = Delivery.objects.get(notice__token=token)
    assert row.state == Delivery.State.FAILED and row.reason == "HTTP 400: provider trouble"
    assert Notice.objects.get(token=token).state == "DONE"


def test_a_task_run_twice_sends_one_message(sms_gateway, slot, consented):
    token = book(slot, consented())
    notice = Notice.objects.get(token=token)
    tasks.deliver(str(notice.pk))
    outbox.dispatch([str(notice.pk)])
    assert len(sms_gateway.requests) == 1


def test_two_workers_on_one_notice_at_once_send_one_message(sms_gateway, slot, make_patient, settings):
    """The first run holds the notice's row while the provider answers slowly; the second skips it."""
    patient = make_patient()
    settings.NOTICE_DISPATCH_THREAD = False
    token = book(slot, patient)  # no consent yet: written, nothing sent
    Notice.objects.filter(token=token).update(state="PENDING")
    Delivery.objects.filter(notice__token=token).delete()
    record_consent(patient_id=patient.pk, channel="sms", granted=True, how="desk")
    sms_gateway.delay = 0.5
    notice_id = str(Notice.objects.get(token=token).pk)
    start = threading.Barrier(2)

    def run():
        start.wait()
        try:
            tasks.deliver(notice_id)
        finally:
            close_old_connections()

    workers = [threading.Thread(target=run) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(10)
    assert len(sms_gateway.requests) == 1
    assert Delivery.objects.get(notice_id=notice_id).state == Delivery.State.SENT


def test_at_most_k_notices_per_token_per_day(sms_gateway, slot, doctor, consented, settings):
    settings.NOTICE_MAX_PER_TOKEN_PER_DAY = 2
    doctor.notify_when_ahead, doctor.token_prefix = 1, "GM"
    doctor.save()
    book(slot, consented())
    mine = book(slot, consented())  # 1: booked
    allocation.call_next(slot_id=slot.pk)  # 2: nearly your turn
    allocation.call_next(slot_id=slot.pk)  # 3: called -- over the limit
    called = Delivery.objects.get(notice__token=mine, notice__kind="CALLED")
    assert called.state == Delivery.State.SKIPPED and called.reason.startswith("Daily limit reached (2")
    assert sum(f"token {mine.token_label}" in r.json["text"] for r in sms_gateway.requests) == 2


def test_a_notice_that_no_longer_applies_is_not_sent(sms_gateway, slot, consented, settings):
    token = book(slot, consented())
    allocation.call_next(slot_id=slot.pk)
    stale = outbox.for_token(Notice.Kind.NEAR, token, place=1)
    Notice.objects.bulk_create([stale])
    delivery.deliver(stale.pk)
    row = Delivery.objects.get(notice=stale)
    assert row.state == Delivery.State.SKIPPED and row.reason.startswith("No longer applies")


def test_sms_carries_the_sender_id_and_the_dlt_template_id(sms_gateway, slot, consented):
    book(slot, consented())
    payload = sms_gateway.requests[0].json
    assert payload["sender_id"] == "CTYHSP"
    assert payload["dlt_entity_id"] == "1201159100000000001"
    assert payload["dlt_template_id"] == "1107160000000000000"  # BOOKED's
    assert sms_gateway.requests[0].headers["Authorization"] == "Bearer test-key"


def test_msg91_gets_the_sender_route_and_dlt_ids(sms_gateway, slot, consented, settings):
    settings.NOTICE_BACKENDS = {**settings.NOTICE_BACKENDS, "sms": "msg91"}
    settings.SMS_GATEWAY_URL = f"{sms_gateway.url}/msg91/api/sendhttp.php"
    token = book(slot, consented())
    form = sms_gateway.requests[0].form
    assert form["sender"] == "CTYHSP" and form["DLT_TE_ID"] == "1107160000000000000"
    assert form["PE_ID"] == "1201159100000000001" and form["authkey"] == "test-key" and form["mobiles"].startswith("9198")
    assert Delivery.objects.get(notice__token=token).provider == "msg91"


def test_twilio_gets_an_e164_number_and_basic_auth(sms_gateway, slot, consented, settings):
    settings.NOTICE_BACKENDS = {**settings.NOTICE_BACKENDS, "sms": "twilio"}
    settings.TWILIO_API_URL, settings.TWILIO_ACCOUNT_SID = sms_gateway.url, "AC123"
    settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM = "secret", "+15005550006"
    token = book(slot, consented())
    request = sms_gateway.requests[0]
    assert request.path == "/2010-04-01/Accounts/AC123/Messages.json"
    assert request.form["To"].startswith("+9198") and request.form["From"] == "+15005550006"
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"AC123:secret").decode()
    assert Delivery.objects.get(notice__token=token).provider_id.startswith("SM")


def test_whatsapp_sends_the_approved_template_in_the_patients_language(fake_provider, slot, consented, settings):
    settings.NOTICE_CHANNELS = ["whatsapp"]
    settings.NOTICE_BACKENDS = {**settings.NOTICE_BACKENDS, "whatsapp": "cloud"}
    settings.WHATSAPP_API_URL, settings.WHATSAPP_PHONE_NUMBER_ID, settings.WHATSAPP_TOKEN = fake_provider.url, "10987", "wa-token"
    settings.NOTICE_WHATSAPP_TEMPLATES = {"BOOKED": "opd_booked"}
    token = book(slot, consented(channels=("whatsapp",), language="hi"))
    request = fake_provider.requests[0]
    assert request.path == "/10987/messages"
    template = request.json["template"]
    assert template["name"] == "opd_booked" and template["language"] == {"code": "hi"}
    assert [p["text"] for p in template["components"][0]["parameters"]][:3] == [token.token_label, "Dr. Asha Rao", "4"]
    row = Delivery.objects.get(notice__token=token)
    assert row.provider_id == "wamid.1" and "टोकन" in row.body


def test_email_goes_through_djangos_backend(slot, consented, settings, mailoutbox):
    settings.NOTICE_CHANNELS = ["email"]
    settings.NOTICE_BACKENDS = {**settings.NOTICE_BACKENDS, "email": "django"}
    token = book(slot, consented(channels=("email",), email="jane@example.org"))
    (mail,) = mailoutbox
    assert mail.to == ["jane@example.org"] and token.token_label in mail.subject and "room 4" in mail.body
    assert Delivery.objects.get(notice__token=token).state == Delivery.State.SENT


def test_the_console_backend_logs_the_notice(slot, consented, settings, caplog):
    settings.NOTICE_CHANNELS = ["sms"]
    with caplog.at_level("INFO", logger="notices.console"):
        token = book(slot, consented())
    assert any(f"token {token.token_label} with Dr. Asha Rao" in r.getMessage() for r in caplog.records)


def test_a_gateway_without_an_api_key_is_called_without_an_authorization_header(sms_gateway, slot, consented, settings):
    settings.SMS_API_KEY = ""
    token = book(slot, consented())
    assert "Authorization" not in sms_gateway.requests[0].headers
    assert Delivery.objects.get(notice__token=token).state == Delivery.State.SENT
