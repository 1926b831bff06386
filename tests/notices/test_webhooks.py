"""Providers' webhooks: a receipt with a good signature marks the delivery, a bad one is refused
and changes nothing; a STOP reply and the opt-out link withdraw consent."""

import json

import pytest
from django.test import Client

from notices import consent, receipts
from notices.models import Consent, Delivery
from queues import allocation

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sent(sms_gateway, slot, consented):
    token = allocation.book_token(slot_id=slot.pk, patient_id=consented(phone="9812345678").pk, category="WALKIN").token
    return Delivery.objects.get(notice__token=token)



def test_an_sms_receipt_with_a_good_signature_marks_the_delivery(sent, settings):
    settings.SMS_WEBHOOK_SECRET = "hook-secret"
    body = json.dumps({"id": sent.provider_id, "status": "delivered"}).encode()
    response = Client().post("/notices/hooks/sms/", body, content_type="application/json",
                             headers={"X-Signature": receipts.hmac_sha256_hex("hook-secret", body)})
    assert response.status_code == 200
    sent.refresh_from_db()
    assert sent.state == Delivery.State.DELIVERED and sent.delivered_at is not None


def test_an_sms_receipt_with_a_bad_or_missing_signature_is_refused(sent, settings):
    settings.SMS_WEBHOOK_SECRET = "hook-secret"
    body = json.dumps({"id": sent.provider_id, "status": "failed", "reason": "forged"}).encode()
    for signature in ("0" * 64, receipts.hmac_sha256_hex("another-secret", body), None):
        headers = {"X-Signature": signature} if signature else {}
        assert Client().post("/notices/hooks/sms/", body, content_type="application/json", headers=headers).status_code == 403
    sent.refresh_from_db()
    assert sent.state == Delivery.State.SENT


def test_a_failure_receipt_keeps_the_providers_reason(sent, settings):
    settings.SMS_WEBHOOK_SECRET = "hook-secret"
    body = json.dumps({"id": sent.provider_id, "status": "failed", "reason": "DND number"}).encode()
    Client().post("/notices/hooks/sms/", body, content_type="application/json",
                  headers={"X-Signature": receipts.hmac_sha256_hex("hook-secret", body)})
    sent.refresh_from_db()
    assert sent.state == Delivery.State.FAILED and sent.reason == "DND number"


def test_a_stop_reply_withdraws_sms_consent(sent, settings):
    settings.SMS_WEBHOOK_SECRET = "hook-secret"
    body = json.dumps({"from": "+91 98123 45678", "text": " stop "}).encode()
    Client().post("/notices/hooks/sms/", body, content_type="application/json",
                  headers={"X-Signature": receipts.hmac_sha256_hex("hook-secret", body)})
    decision = consent.in_force(sent.notice.patient_id)["sms"]
    assert not decision.granted and decision.how == Consent.How.REPLY


def test_whatsapp_receipts_need_metas_signature(sent, settings):
    settings.WHATSAPP_APP_SECRET = "app-secret"
    payload = {"entry": [{"changes": [{"value": {"statuses": [{"id": sent.provider_id, "status": "read"}]}}]}]}
    body = json.dumps(payload).encode()
    bad = Client().post("/notices/hooks/whatsapp/", body, content_type="application/json",
                        headers={"X-Hub-Signature-256": "sha256=" + "0" * 64})
    assert bad.status_code == 403
    sent.refresh_from_db()
    assert sent.state == Delivery.State.SENT
    good = Client().post("/notices/hooks/whatsapp/", body, content_type="application/json",
                         headers={"X-Hub-Signature-256": "sha256=" + receipts.hmac_sha256_hex("app-secret", body)})
    assert good.status_code == 200
    sent.refresh_from_db()
    assert sent.state == Delivery.State.DELIVERED


def test_twilio_status_callbacks_need_twilios_signature(sent, settings):
    settings.TWILIO_AUTH_TOKEN = "twilio-secret"
    settings.TWILIO_STATUS_CALLBACK = "https://opd.example-hospital.in/notices/hooks/twilio/"
    params = {"MessageSid": sent.provider_id, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    bad = Client().post("/notices/hooks/twilio/", params, headers={"X-Twilio-Signature": "forged"})
    assert bad.status_code == 403
    signature = receipts.twilio_signature("twilio-secret", settings.TWILIO_STATUS_CALLBACK, params)
    good = Client().post("/notices/hooks/twilio/", params, headers={"X-Twilio-Signature": signature})
    assert good.status_code == 200
    sent.refresh_from_db()
    assert sent.state == Delivery.State.FAILED and sent.reason == "Twilio error 30003"


def test_the_opt_out_link_withdraws_every_channel(sent):
    patient_id = sent.notice.patient_id
    assert "/n/stop/" in sent.body
    link = sent.body.rsplit(" ", 1)[-1]
    path = link.split("opd.example-hospital.in", 1)[-1]
    client = Client()
    assert "Stop messages?" in client.get(path).content.decode()
    assert consent.in_force(patient_id)["sms"].granted
    assert "Messages stopped" in client.post(path).content.decode()
    decision = consent.in_force(patient_id)["sms"]
    assert not decision.granted and decision.how == Consent.How.LINK
    assert client.get("/n/stop/not-a-real-token/").status_code == 404


def test_the_desk_records_consent_through_the_api_with_who_and_how(api, staff_user, make_patient):
    patient = make_patient(phone="9812345678")
    answer = api.post(f"/api/v1/patients/{patient.pk}/consents/", {"channel": "sms", "granted": True, "language": "hi"})
    assert answer.status_code == 201
    assert answer.json()["by"] == staff_user.username and answer.json()["how"] == "desk"
    assert [c["channel"] for c in api.get(f"/api/v1/patients/{patient.pk}/consents/").json()] == ["sms"]
    no_email = api.post(f"/api/v1/patients/{patient.pk}/consents/", {"channel": "email", "granted": True})
    assert no_email.status_code == 400 and "no email address" in no_email.json()["detail"]
    assert api.post(f"/api/v1/patients/{patient.pk}/consents/", {"channel": "fax", "granted": True}).status_code == 400

