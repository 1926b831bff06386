"""The patient's own status page /s/<code>/: no login, only their token or waiting-list entry,
English or Hindi (remembered), 410 after the day, guessing refused, small enough for 2G."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from queues import allocation
from queues.models import STATUS_CODE_ALPHABET, STATUS_CODE_LENGTH, Token, WaitingListEntry
from tests.staff import make_staff

pytestmark = pytest.mark.django_db

BUDGET_BYTES = 30 * 1024


def book(slot, patient, category="WALKIN"):
    return allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category=category)


def page(code, client=None, **query):
    return (client or Client()).get(f"/s/{code}/", query)


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_every_token_and_waiting_entry_gets_its_own_unguessable_code(make_slot, make_patient):
    slot = make_slot(capacity=2)
    results = [book(slot, make_patient()) for _ in range(3)]
    codes = [results[0].token.status_code, results[1].token.status_code, results[2].waiting_entry.status_code]
    assert len(set(codes)) == 3
    for code in codes:
        assert len(code) == STATUS_CODE_LENGTH and set(code) <= set(STATUS_CODE_ALPHABET)
        assert code not in {str(r.token.pk) for r in results[:2]} and not code.isdigit()
    assert Token.objects.filter(status_code=codes[0]).exists()
    assert WaitingListEntry.objects.filter(status_code=codes[2]).exists()


def test_the_page_shows_the_patients_place_without_login_and_without_their_name_or_phone(slot, doctor, make_patient):
    doctor.token_prefix = "GM"
    doctor.save()
    first = book(slot, make_patient("Ravi Kumar", phone="9811111111")).token
    mine = book(slot, make_patient("Jane Doe", phone="9822222222")).token
    response = page(mine.status_code)
    assert response.status_code == 200
    text = text_of(response)
    assert mine.token_label == "GM-2" and "GM-2" in text and doctor.name in text and "Room 4" in text
    assert "People ahead of you 1" in text
    assert "Expected time" in text and "about" in text
    assert "J. D." in text
    for private in ("Jane", "Doe", "9822222222", "Ravi", "9811111111", first.token_label):
        assert private not in text


def test_a_called_patient_is_told_to_go_to_the_room(slot, patient):
    token = book(slot, patient).token
    allocation.call_next(slot_id=slot.pk)
    text = text_of(page(token.status_code))
    assert "You are being called — go to room 4." in text


def test_a_delay_is_shown(slot, patient):
    token = book(slot, patient).token
    allocation.delay_slot(slot_id=slot.pk, delay_minutes=25)
    assert "The doctor is running 25 min late." in text_of(page(token.status_code))


def test_hindi_is_the_patients_choice_and_is_remembered(slot, patient):
    token = book(slot, patient).token
    client = Client()
    hindi = page(token.status_code, client, lang="hi")
    assert 'lang="hi"' in hindi.content.decode() and "कतार में आपकी जगह" in text_of(hindi)
    assert hindi.cookies["opd_lang"].value == "hi"
    again = page(token.status_code, client)
    assert "आपसे पहले" in text_of(again)
    assert "People ahead" not in text_of(again)
    assert "People ahead" in text_of(page(token.status_code, client, lang="en"))


def test_a_waiting_entry_shows_its_place_then_its_promotion(make_slot, make_patient):
    slot = make_slot(capacity=1)
    holder = book(slot, make_patient()).token
    entry = book(slot, make_patient()).waiting_entry
    text = text_of(page(entry.status_code))
    assert "Waiting list" in text and entry.waiting_label in text
    assert "Your place on the waiting list 1" in text
    allocation.cancel_token(token_id=holder.pk, reason="went home")
    text = text_of(page(entry.status_code))
    promoted = WaitingListEntry.objects.get(pk=entry.pk).token
    assert f"Waiting list {entry.waiting_label} is now token {promoted.token_label}" in text
    assert "People ahead of you 0" in text


def test_the_code_expires_when_the_tokens_day_ends(slot, patient):
    token = book(slot, patient).token
    tomorrow = timezone.now() + timedelta(days=1)
    with time_machine.travel(tomorrow):
        response = page(token.status_code)
    assert response.status_code == 410
    assert "This page has expired" in text_of(response)
    assert token.token_label not in text_of(response)


def test_unknown_codes_are_404_and_guessing_is_refused_per_ip(slot, patient, settings):
    settings.STATUS_GUESS_LIMIT = 3
    token = book(slot, patient).token
    guesser = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(3):
        assert page("abcdefghjk", guesser).status_code == 404
    assert page("abcdefghjk", guesser).status_code == 429
    assert page(token.status_code, guesser).status_code == 429  # a right guess no longer helps
    assert page(token.status_code, Client(REMOTE_ADDR="198.51.100.7")).status_code == 200


def test_the_poll_answers_the_changing_part_only(slot, patient):
    token = book(slot, patient).token
    body = page(token.status_code, part="body").content.decode()
    assert body.lstrip().startswith('<div id="status-body"') and "<html" not in body


def test_the_first_view_is_under_30_kb_with_its_css_and_script(slot, patient):
    """What a phone downloads for the first view: the page and the files it links (no fonts, no
    images), uncompressed."""
    token = book(slot, patient).token
    html = page(token.status_code, lang="hi").content
    linked = re.findall(rb'(?:href|src)="/static/([^"]+)"', html)
    assert sorted(linked) == [b"css/status.css", b"js/status.js"]
    total = len(html) + sum((Path(settings.BASE_DIR) / "static" / name.decode()).stat().st_size for name in linked)
    assert total < BUDGET_BYTES


def test_the_page_reads_without_javascript(slot, patient):
    token = book(slot, patient).token
    html = page(token.status_code).content.decode()
    assert '<noscript><meta http-equiv="refresh" content="60"></noscript>' in html
    assert "<script>" not in html  # no inline script; the live updates come from js/status.js


def test_the_api_answers_carry_the_absolute_status_url(api, make_slot, make_patient):
    slot = make_slot(capacity=1)
    booked = api.post("/api/v1/tokens/", {"slot_id": str(slot.pk), "patient_id": str(make_patient().pk), "category": "ONLINE"})
    token = Token.objects.get(pk=booked.json()["id"])
    assert booked.json()["status_url"] == f"http://testserver/s/{token.status_code}/"
    waiting = api.post("/api/v1/tokens/", {"slot_id": str(slot.pk), "patient_id": str(make_patient().pk), "category": "ONLINE"})
    assert waiting.status_code == 202
    entry = WaitingListEntry.objects.get(pk=waiting.json()["id"])
    assert waiting.json()["status_url"] == f"http://testserver/s/{entry.status_code}/"
    assert api.get(f"/api/v1/tokens/{token.pk}/").json()["status_url"] == f"http://testserver/s/{token.status_code}/"


def test_the_status_url_uses_the_public_address_when_set(api, slot, patient, settings):
    settings.PUBLIC_BASE_URL = "https://opd.example-hospital.in"
    booked = api.post("/api/v1/tokens/", {"slot_id": str(slot.pk), "patient_id": str(patient.pk), "category": "ONLINE"})
    assert booked.json()["status_url"].startswith("https://opd.example-hospital.in/s/")


def test_the_slips_print_the_qr_code_and_the_short_url(make_slot, make_patient):
    slot = make_slot(capacity=1)
    token = book(slot, make_patient()).token
    entry = book(slot, make_patient()).waiting_entry
    client = Client()
    client.force_login(make_staff("desk", "Reception"))
    for url, code in ((f"/tokens/{token.pk}/slip/", token.status_code), (f"/waiting/{entry.pk}/slip/", entry.status_code)):
        html = client.get(url).content.decode()
        assert '<svg viewBox="0 0' in html and 'class="segno"' in html
        assert f"testserver/s/{code}/" in html
