"""Retries made safe: a POST with an Idempotency-Key is answered once; the same key and body again
(a client that timed out and retried) gets the first answer and changes nothing; the same key
with another body is refused. Keys are kept in the database, so a restart does not forget them.
A double booking's 409 names the token the patient already has."""

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from idempotency.models import IdempotencyRecord
from queues.models import QueueEvent, Token
from tests.staff import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    client = APIClient()
    client.force_authenticate(make_staff("desk", "Reception"))
    return client


def book(client, slot, patient, key=None, category="WALKIN"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post("/api/v1/tokens/", {"slot_id": str(slot.pk), "patient_id": str(patient.pk), "category": category},
                       format="json", **headers)


def test_a_retried_booking_gets_the_first_answer_and_books_once(desk, slot, patient):
    key = str(uuid.uuid4())
    first = book(desk, slot, patient, key)
    again = book(desk, slot, patient, key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Token.objects.count() == 1 and QueueEvent.objects.filter(kind="BOOKED").count() == 1


def test_the_same_key_with_another_body_is_refused(desk, slot, patient, make_patient):
    key = str(uuid.uuid4())
    assert book(desk, slot, patient, key).status_code == 201
    other = book(desk, slot, make_patient(), key)
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["detail"] and other.json()["code"] == "idempotency_key_reused"
    assert Token.objects.count() == 1


def test_keys_belong_to_one_staff_member(desk, slot, patient, make_patient):
    key = str(uuid.uuid4())
    assert book(desk, slot, patient, key).status_code == 201
    colleague = APIClient()
    colleague.force_authenticate(make_staff("desk2", "Reception"))
    assert book(colleague, slot, make_patient(), key).status_code == 201
    assert Token.objects.count() == 2


def test_a_refusal_is_replayed_too(desk, slot, patient):
    assert book(desk, slot, patient).status_code == 201
    key = str(uuid.uuid4())
    first = book(desk, slot, patient, key)
    assert first.status_code == 409
    assert book(desk, slot, patient, key).json() == first.json()


def test_keys_are_kept_in_the_database_and_expire(desk, slot, patient):
    key = str(uuid.uuid4())
    assert book(desk, slot, patient, key).status_code == 201
    record = IdempotencyRecord.objects.get(key=key)
    assert record.status_code == 201 and record.expires_at > timezone.now() + timedelta(hours=23)
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        # Expired: the key is free again for a new request (not refused as reused).
        other = desk.post("/api/v1/patients/", {"name": "New Person"}, format="json", HTTP_IDEMPOTENCY_KEY=key)
        assert other.status_code == 201
    assert IdempotencyRecord.objects.get(key=key).status_code == 201


def test_a_server_error_is_not_kept_so_a_retry_runs(slot, patient, monkeypatch):
    from queues import allocation

    real = allocation.book_token

    def failing(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(allocation, "book_token", failing)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(make_staff("desk", "Reception"))
    key = str(uuid.uuid4())
    assert book(client, slot, patient, key).status_code == 500
    monkeypatch.setattr(allocation, "book_token", real)
    assert book(client, slot, patient, key).status_code == 201


def test_an_over_long_key_is_400(desk, slot, patient):
    assert book(desk, slot, patient, "k" * 300).status_code == 400
    assert not Token.objects.exists()


def test_idempotency_covers_the_other_posts(desk, slot, make_patient):
    key = str(uuid.uuid4())
    body = {"name": "Asha Devi", "phone": "9000000001"}
    first = desk.post("/api/v1/patients/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    again = desk.post("/api/v1/patients/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    patient = make_patient()
    key = str(uuid.uuid4())
    body = {"slot_id": str(slot.pk), "patient_id": str(patient.pk)}
    first = desk.post("/api/v1/tokens/emergency/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    again = desk.post("/api/v1/tokens/emergency/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert Token.objects.filter(category="EMERGENCY").count() == 1


# --- the double booking's 409 -------------------------------------------------------------------


def test_a_double_booking_409_carries_the_existing_tokens_id(desk, slot, patient, make_slot):
    token = book(desk, slot, patient).json()
    later = make_slot(starts_in=timedelta(hours=2))
    refused = book(desk, later, patient)
    assert refused.status_code == 409
    assert refused.json()["code"] == "already_booked" and refused.json()["token_id"] == token["id"]


def test_a_double_booking_of_a_waiting_patient_carries_the_entry_id(desk, make_slot, make_patient):
    slot = make_slot(capacity=1)
    book(desk, slot, make_patient())
    waiting = make_patient()
    entry = book(desk, slot, waiting).json()
    refused = book(desk, make_slot(starts_in=timedelta(hours=2)), waiting)
    assert refused.status_code == 409 and refused.json()["waiting_entry_id"] == entry["id"]
