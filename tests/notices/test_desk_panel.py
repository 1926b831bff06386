"""Staff see each token's notices on the desk's slot panel: sent, failed with the reason, not sent and why."""

import pytest
from django.test import Client

from queues import allocation
from tests.staff import make_staff

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_slot_panel_shows_each_tokens_notice_state_and_reason(sms_gateway, slot, consented, make_patient):
    sent = allocation.book_token(slot_id=slot.pk, patient_id=consented().pk, category="WALKIN").token
    sms_gateway.statuses = [400]
    failed = allocation.book_token(slot_id=slot.pk, patient_id=consented().pk, category="WALKIN").token
    silent = allocation.book_token(slot_id=slot.pk, patient_id=make_patient().pk, category="WALKIN").token
    client = Client()
    client.force_login(make_staff("desk", "Reception"))
    html = client.get("/desk/", {"slot": slot.pk}).content.decode()
    rows = {t.token_label: html.split(f"id=\"cancel-{t.pk}\"")[0].rsplit("<tr", 1)[-1] for t in (sent, failed, silent)}
    assert "Booked · SMS sent" in rows[sent.token_label]
    assert "Booked · SMS failed" in rows[failed.token_label] and "HTTP 400: provider trouble" in rows[failed.token_label]
    assert "Booked · SMS not sent" in rows[silent.token_label] and "No consent for this channel." in rows[silent.token_label]
