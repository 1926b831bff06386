"""Browser: the doctor works the queue by keyboard (N, R, S, C, X) and each action's
confirmation shows on the page, beside the updated queue."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from queues import allocation
from scheduling.models import Department, Doctor, Patient, Slot
from tests.staff import PASSWORD, make_staff

pytestmark = pytest.mark.browser


@pytest.fixture
def rao_with_patients(transactional_db, local_noon):
    dept = Department.objects.create(name="OPD")
    rao = Doctor.objects.create(name="Dr. Asha Rao", room="4", department=dept)
    start = timezone.now() - timedelta(minutes=30)
    slot = Slot.objects.create(doctor=rao, start_time=start, end_time=start + timedelta(hours=2), max_capacity=20)
    tokens = []
    for n in range(4):  # walk-ins: checked in at booking, callable at once
        patient = Patient.objects.create(name=f"Patient {n}", phone=f"98{n:08d}")
        tokens.append(allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN").token)
    make_staff("rao", "Doctor", rao)
    return rao, tokens


def test_each_keyboard_action_shows_its_confirmation(page, live_server_url, login, rao_with_patients):
    rao, tokens = rao_with_patients
    login("rao", PASSWORD)
    page.goto(f"{live_server_url}/doctor/{rao.pk}/")
    page.wait_for_function("() => document.documentElement.dataset.live === 'open'")
    page.evaluate("window.__noReload = true")
    flash = page.locator("#doctor-flash")
    current = page.locator("#doctor-queue [data-current-token]")
    first = tokens[0].token_label

    page.keyboard.press("n")
    expect(flash).to_contain_text(f"Token {first} called in.")
    expect(current).to_have_attribute("data-current-token", first)

    page.keyboard.press("r")
    expect(flash).to_contain_text(f"Token {first} called again.")

    page.keyboard.press("s")
    expect(flash).to_contain_text(f"Token {first} skipped: back in the queue behind token {tokens[1].token_label}.")
    expect(page.locator("#doctor-queue")).to_contain_text("Nobody is with the doctor.")

    page.keyboard.press("n")
    expect(flash).to_contain_text("called in.")
    called = current.get_attribute("data-current-token")
    assert called != first  # skipped: someone else is called next

    page.keyboard.press("c")
    expect(flash).to_contain_text(f"Token {called} completed.")

    page.keyboard.press("n")
    expect(flash).to_contain_text("called in.")
    called = current.get_attribute("data-current-token")
    page.keyboard.press("x")
    expect(flash).to_contain_text(f"Token {called} marked as a no-show.")
    expect(flash.get_by_role("status")).to_be_visible()
    assert page.evaluate("window.__noReload")
