"""/metrics: for a scraper with METRICS_TOKEN only; HTTP basics, bookings by outcome, today's queue
per doctor, open live sockets and push latency."""

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from prometheus_client.parser import text_string_to_metric_families

from queues.models import Display
from queues.routing import websocket_urlpatterns
from tests.prometheus import TOKEN, scrape, value


def book(api, slot, patient):
    return api.post("/api/v1/tokens/", {"slot_id": str(slot.pk), "patient_id": str(patient.pk), "category": "WALKIN"})


@pytest.mark.django_db
def test_metrics_are_off_when_no_token_is_configured(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


@pytest.mark.django_db
def test_a_scraper_without_the_right_token_is_refused(client, metrics_on):
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", headers={"Authorization": f"Token {TOKEN}"}).status_code == 403


@pytest.mark.django_db
def test_http_requests_are_counted(client, metrics_on):
    before = value(scrape(client), "django_http_requests_total_by_method_total", method="GET")
    client.get("/healthz")
    after = value(scrape(client), "django_http_requests_total_by_method_total", method="GET")
    assert after - before >= 2  # the health check and the first scrape


@pytest.mark.django_db
def test_bookings_are_counted_by_outcome_and_the_queue_is_read_at_scrape(client, metrics_on, api, make_slot, make_patient, doctor):
    before = scrape(client)
    slot = make_slot(capacity=1)
    first, second = make_patient(), make_patient()
    assert book(api, slot, first).status_code == 201
    assert book(api, slot, first).status_code == 409  # already booked today
    assert book(api, slot, second).status_code == 202  # the slot is full: the waiting list
    after = scrape(client)

    def grew(outcome):
        return value(after, "opdq_bookings_total", outcome=outcome) - value(before, "opdq_bookings_total", outcome=outcome)

    assert (grew("token"), grew("already_booked"), grew("waiting_list")) == (1, 1, 1)
    doctor_labels = {"doctor_id": str(doctor.pk), "doctor": doctor.name}
    assert value(after, "opdq_queue_length", state="present", **doctor_labels) == 1  # a walk-in is checked in
    assert value(after, "opdq_queue_length", state="expected", **doctor_labels) == 0
    assert value(after, "opdq_queue_longest_wait_seconds", **doctor_labels) >= 0
    assert "Patient" not in client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).content.decode()


@pytest.mark.django_db(transaction=True)
async def test_open_sockets_and_push_latency_are_measured(doctor, slot, make_patient, metrics_on):
    from asgiref.sync import sync_to_async
    from channels.db import database_sync_to_async
    from django.test import Client

    from queues import allocation

    async def scrape_async():
        return await database_sync_to_async(scrape)(Client())

    display = await sync_to_async(Display.objects.create)(name="Main hall")
    await sync_to_async(display.doctors.add)(doctor)
    before = await scrape_async()
    board = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/board/{display.key}/")
    board.scope["user"] = AnonymousUser()
    assert (await board.connect())[0]
    await board.receive_from()
    during = await scrape_async()
    assert value(during, "opdq_open_sockets", screen="board") - value(before, "opdq_open_sockets", screen="board") == 1

    patient = await sync_to_async(make_patient)()
    await sync_to_async(allocation.book_token)(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN")
    await board.receive_from()  # the push reached the board
    await board.disconnect()
    after = await scrape_async()
    assert value(after, "opdq_open_sockets", screen="board") == value(before, "opdq_open_sockets", screen="board")
    assert value(after, "opdq_push_latency_seconds_count") - value(before, "opdq_push_latency_seconds_count") == 1


@pytest.mark.django_db
def test_the_grafana_dashboard_asks_only_for_metrics_the_app_exports(client, metrics_on, api, slot, patient):
    import json
    import re
    from pathlib import Path

    book(api, slot, patient)
    text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).content.decode()
    exported = {  # families with no labelled child yet have no samples, only their # TYPE line
        family.name + suffix
        for family in text_string_to_metric_families(text) for suffix in ("", "_total", "_bucket", "_count", "_sum")
    }
    dashboard = json.loads((Path(__file__).resolve().parent.parent / "docs/grafana/opd-queue.json").read_text())
    asked = {
        name
        for panel in dashboard["panels"] for target in panel["targets"]
        for name in re.findall(r"\b((?:opdq|django_http)_[a-z_]+)", target["expr"])
    }
    assert asked and asked <= exported, asked - exported
